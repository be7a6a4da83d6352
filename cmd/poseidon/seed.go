package main

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/smithy-go/aws-http-auth/credentials"
	"github.com/aws/smithy-go/aws-http-auth/sigv4"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/poseidon-ads/poseidon/internal/agentdata"
	"github.com/poseidon-ads/poseidon/internal/auth"
	"github.com/poseidon-ads/poseidon/internal/fleet"
)

// The demo fleet of "serve --demo".
const (
	demoServers = 12
	demoHours   = 24
	demoSeed    = 2015 // ADS's API version year
)

type seedCmd struct {
	Endpoint     string `default:"http://127.0.0.1:8470" env:"POSEIDON_SEED_ENDPOINT" help:"Base URL of the poseidon server to fill."`
	Servers      int    `default:"10" env:"POSEIDON_SEED_SERVERS" help:"Servers (agents) in the fleet, 1..50000."`
	Hours        int    `default:"24" env:"POSEIDON_SEED_HOURS" help:"Hours of 15-minute reports per server, ending at --end."`
	Seed         uint64 `default:"1" env:"POSEIDON_SEED_SEED" help:"Random seed: the same seed (and servers, hours, end) gives the same fleet."`
	End          string `env:"POSEIDON_SEED_END" help:"Time of the last report, RFC 3339 or epoch seconds, rounded down to 15 minutes (default: the server's virtual clock, else now)."`
	Batch        int    `default:"500" env:"POSEIDON_SEED_BATCH" help:"Reports per intake request, 1..1000."`
	Concurrency  int    `default:"2" env:"POSEIDON_SEED_CONCURRENCY" help:"Intake requests in flight, 1..64."`
	Retries      int    `default:"5" env:"POSEIDON_SEED_RETRIES" help:"Retries of a batch after a connection error or a 5xx (intake is idempotent, so retries are safe)."`
	ControlToken string `env:"POSEIDON_SEED_CONTROL_TOKEN" help:"Bearer token to read the server's virtual clock (the server's --control-token; needed in strict mode)."`
	Quiet        bool   `short:"q" env:"POSEIDON_SEED_QUIET" help:"No progress bar."`
}

func (c *seedCmd) Run(ctx context.Context, stdout io.Writer, g *globals) error {
	switch {
	case c.Batch < 1 || c.Batch > agentdata.MaxReports:
		return fmt.Errorf("--batch must be 1..%d, got %d", agentdata.MaxReports, c.Batch)
	case c.Concurrency < 1 || c.Concurrency > 64:
		return fmt.Errorf("--concurrency must be 1..64, got %d", c.Concurrency)
	case c.Retries < 0:
		return fmt.Errorf("--retries must not be negative, got %d", c.Retries)
	}
	s, err := newSeeder(c.Endpoint, c.Retries)
	if err != nil {
		return err
	}
	if s.creds == nil {
		fmt.Fprintf(g.stderr, "poseidon seed: AWS_ACCESS_KEY_ID is not set: the fleet goes to the default account %s (open mode). "+
			"To fill another account, set AWS_ACCESS_KEY_ID to its 12-digit ID (open mode) or to a key of the server's --credentials file (strict mode), with AWS_SECRET_ACCESS_KEY.\n", auth.DefaultAccount)
	}
	var end time.Time
	if c.End != "" {
		if end, err = parseEnd(c.End); err != nil {
			return err
		}
	} else if end, err = s.serverClock(ctx, c.ControlToken); err != nil {
		end = time.Now()
		fmt.Fprintf(g.stderr, "poseidon seed: cannot read the server's clock (%v); the fleet ends now\n", err)
	}
	cfg := fleet.Config{Servers: c.Servers, Hours: c.Hours, Seed: c.Seed, End: end}
	if err := cfg.Validate(); err != nil {
		return err
	}

	var bar *progressbar.ProgressBar
	if !c.Quiet && isTerminal(g.stderr) {
		bar = progressbar.NewOptions64(cfg.ReportCount(),
			progressbar.OptionSetWriter(g.stderr),
			progressbar.OptionSetDescription(fmt.Sprintf("seeding %d servers × %d h", cfg.Servers, cfg.Hours)),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("reports"),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionSetRenderBlankState(true),
		)
	}
	var progress func(int)
	if bar != nil {
		progress = func(n int) { bar.Add(n) }
	}
	res, err := s.seed(ctx, cfg, c.Batch, c.Concurrency, progress)
	if bar != nil {
		bar.Exit()
		if err != nil {
			fmt.Fprintln(g.stderr)
		}
	}
	if err != nil {
		return err
	}
	var out bytes.Buffer
	for _, a := range res.Agents {
		out.WriteString(a.AgentID)
		out.WriteByte('\n')
	}
	if _, err := stdout.Write(out.Bytes()); err != nil {
		return err
	}
	first, last := cfg.Window()
	fmt.Fprintf(g.stderr, "seeded %d servers × %d h (%s .. %s): %d reports, %d accepted, %d duplicates, %d dropped in %.1f s (%.0f reports/s)\n",
		cfg.Servers, cfg.Hours, first.Format(time.RFC3339), last.Format(time.RFC3339),
		res.Reports, res.Accepted, res.Duplicates, res.Dropped, res.Elapsed.Seconds(), res.rate())
	if res.Dropped > 0 {
		fmt.Fprintf(g.stderr, "poseidon seed: the server dropped %d reports (agents whose data collection is stopped)\n", res.Dropped)
	}
	return nil
}

// seedDemo fills a just-started server with a small demo fleet (serve --demo).
// It signs with the AWS credentials of the environment, if any, so the fleet
// lands in their account (and strict mode works); otherwise it sends unsigned
// requests, which open mode files under the default account.
func seedDemo(ctx context.Context, endpoint string, log *slog.Logger) error {
	s, err := newSeeder(endpoint, 3)
	if err != nil {
		return err
	}
	end, err := s.serverClock(ctx, os.Getenv("POSEIDON_CONTROL_TOKEN"))
	if err != nil {
		end = time.Now()
	}
	cfg := fleet.Config{Servers: demoServers, Hours: demoHours, Seed: demoSeed, End: end}
	res, err := s.seed(ctx, cfg, 500, 2, nil)
	if err != nil {
		if ctx.Err() != nil {
			return nil // shutting down
		}
		return err
	}
	account := "default account"
	if s.creds != nil {
		account = "access key " + s.creds.AccessKeyID
	}
	log.Info("demo fleet seeded", "servers", cfg.Servers, "hours", cfg.Hours, "reports", res.Reports,
		"accepted", res.Accepted, "duplicates", res.Duplicates, "dropped", res.Dropped,
		"as", account, "took", res.Elapsed.Round(time.Millisecond))
	return nil
}

// seeder sends a fleet's reports to a server's intake endpoint.
type seeder struct {
	base    string
	client  *http.Client
	creds   *credentials.Credentials // nil: unsigned requests
	region  string
	signer  *sigv4.Signer
	retries int
	backoff time.Duration // before the first retry; doubles up to 5 s
}

// newSeeder makes a seeder for the server at endpoint, with the AWS
// credentials and region of the environment.
func newSeeder(endpoint string, retries int) (*seeder, error) {
	endpoint = strings.TrimRight(endpoint, "/")
	if !strings.HasPrefix(endpoint, "http://") && !strings.HasPrefix(endpoint, "https://") {
		return nil, fmt.Errorf("endpoint %q must be an http:// or https:// URL", endpoint)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	s := &seeder{
		base:    endpoint,
		client:  &http.Client{Transport: tr, Timeout: 5 * time.Minute},
		region:  "us-west-2",
		signer:  sigv4.New(),
		retries: retries,
		backoff: 250 * time.Millisecond,
	}
	if r := os.Getenv("AWS_REGION"); r != "" {
		s.region = r
	} else if r := os.Getenv("AWS_DEFAULT_REGION"); r != "" {
		s.region = r
	}
	if akid := os.Getenv("AWS_ACCESS_KEY_ID"); akid != "" {
		s.creds = &credentials.Credentials{
			AccessKeyID:     akid,
			SecretAccessKey: os.Getenv("AWS_SECRET_ACCESS_KEY"),
			SessionToken:    os.Getenv("AWS_SESSION_TOKEN"),
		}
	}
	return s, nil
}

// serverClock reads the server's virtual clock (GET /_poseidon/clock).
func (s *seeder) serverClock(ctx context.Context, token string) (time.Time, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+"/_poseidon/clock", nil)
	if err != nil {
		return time.Time{}, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return time.Time{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return time.Time{}, fmt.Errorf("GET /_poseidon/clock: HTTP %d", resp.StatusCode)
	}
	var out struct {
		EpochSeconds *float64 `json:"epochSeconds"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&out); err != nil || out.EpochSeconds == nil {
		return time.Time{}, fmt.Errorf("GET /_poseidon/clock: unexpected body (%v)", err)
	}
	return time.UnixMilli(int64(*out.EpochSeconds * 1000)), nil
}

// parseEnd reads RFC 3339 or epoch seconds.
func parseEnd(v string) (time.Time, error) {
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		if f <= 0 || f > 1e10 {
			return time.Time{}, fmt.Errorf("--end %s is out of range of epoch seconds", v)
		}
		return time.UnixMilli(int64(f * 1000)), nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("--end %q is neither RFC 3339 (2026-01-02T15:04:05Z) nor epoch seconds", v)
	}
	return t, nil
}

// seedResult sums the intake responses of a run.
type seedResult struct {
	Reports, Accepted, Duplicates, Dropped int64
	Agents                                 []fleet.AgentSummary
	Elapsed                                time.Duration
}

func (r seedResult) rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Reports) / r.Elapsed.Seconds()
}

// intakeResponse is the body of a successful POST /_poseidon/intake.
type intakeResponse struct {
	Accepted       int64             `json:"accepted"`
	Duplicates     int64             `json:"duplicates"`
	Dropped        int64             `json:"dropped"`
	DroppedReports []json.RawMessage `json:"droppedReports"`
}

// seed generates the fleet of cfg and sends it in batches of batch reports
// over conc concurrent requests. At most conc+2 batches exist at once: one
// being filled, one per request in flight, and one spare. progress, if not
// nil, is called with the size of each accepted batch. The first failure
// stops the run.
func (s *seeder) seed(ctx context.Context, cfg fleet.Config, batch, conc int, progress func(int)) (seedResult, error) {
	start := time.Now()
	f, err := fleet.New(cfg)
	if err != nil {
		return seedResult{}, err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	var accepted, duplicates, dropped atomic.Int64
	jobs := make(chan []agentdata.Report)
	free := make(chan []agentdata.Report, conc+1)
	var wg sync.WaitGroup
	for range conc {
		wg.Go(func() {
			var body bytes.Buffer
			for reports := range jobs {
				if ctx.Err() == nil {
					resp, err := s.send(ctx, &body, reports)
					if err != nil {
						cancel(err)
					} else {
						accepted.Add(resp.Accepted)
						duplicates.Add(resp.Duplicates)
						dropped.Add(resp.Dropped)
						if progress != nil {
							progress(len(reports))
						}
					}
				}
				clear(reports)
				select {
				case free <- reports[:0]:
				default:
				}
			}
		})
	}

	cur := make([]agentdata.Report, 0, batch)
	var total int64
	flush := func() error {
		select {
		case jobs <- cur:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
		select {
		case cur = <-free:
		default:
			cur = make([]agentdata.Report, 0, batch)
		}
		return nil
	}
	push := func(r agentdata.Report) error {
		cur = append(cur, r)
		if len(cur) == batch {
			return flush()
		}
		return nil
	}
	// The first slot (every agent once) goes out first, in batches as large
	// as intake takes, and is waited for; then the rest, in the fleet's
	// intake order (see fleet.GenerateIntakeOrder).
	first := make([]agentdata.Report, 0, len(f.Agents()))
	sendFirst := func() error {
		var body bytes.Buffer
		for chunk := range slices.Chunk(first, agentdata.MaxReports) {
			resp, err := s.send(ctx, &body, chunk)
			if err != nil {
				return err
			}
			accepted.Add(resp.Accepted)
			duplicates.Add(resp.Duplicates)
			dropped.Add(resp.Dropped)
			if progress != nil {
				progress(len(chunk))
			}
		}
		first = nil
		return nil
	}
	genErr := f.GenerateIntakeOrder(func(r agentdata.Report, isFirst bool) error {
		total++
		if isFirst {
			first = append(first, r)
			if len(first) == cap(first) {
				return sendFirst()
			}
			return nil
		}
		return push(r)
	})
	if genErr == nil && len(cur) > 0 {
		genErr = flush()
	}
	close(jobs)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return seedResult{}, err
	}
	if genErr != nil {
		return seedResult{}, genErr
	}
	return seedResult{
		Reports: total, Accepted: accepted.Load(), Duplicates: duplicates.Load(), Dropped: dropped.Load(),
		Agents: f.Agents(), Elapsed: time.Since(start),
	}, nil
}

// httpError is a response the seeder does not retry.
type httpError struct {
	status      int
	code, msg   string
	signed      bool
	batchLength int
}

func (e *httpError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "intake refused a batch of %d reports: HTTP %d", e.batchLength, e.status)
	if e.code != "" {
		b.WriteString(" " + e.code)
	}
	if e.msg != "" {
		b.WriteString(": " + e.msg)
	}
	switch {
	case e.status == http.StatusNotFound:
		b.WriteString(" (the server has no POST /_poseidon/intake: is --endpoint a poseidon server of this version?)")
	case e.status == http.StatusRequestEntityTooLarge:
		b.WriteString(" (lower --batch)")
	case (e.status == http.StatusForbidden || e.status == http.StatusUnauthorized || e.status == http.StatusBadRequest) && !e.signed &&
		strings.Contains(e.code, "MissingAuthenticationToken"):
		b.WriteString(" (the server is in strict mode: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY of one of its identities)")
	}
	return b.String()
}

// send posts one batch, retrying connection errors, 429 and 5xx with
// exponential backoff.
func (s *seeder) send(ctx context.Context, body *bytes.Buffer, reports []agentdata.Report) (*intakeResponse, error) {
	body.Reset()
	if err := json.NewEncoder(body).Encode(agentdata.Batch{Reports: reports}); err != nil {
		return nil, err
	}
	payload := body.Bytes()
	hash := sha256.Sum256(payload)
	delay := s.backoff
	for attempt := 0; ; attempt++ {
		resp, retry, err := s.post(ctx, payload, hash[:], len(reports))
		if err == nil || !retry || attempt >= s.retries || ctx.Err() != nil {
			if err != nil && retry {
				err = fmt.Errorf("intake failed after %d attempts: %w", attempt+1, err)
			}
			return resp, err
		}
		// Full jitter keeps concurrent workers from retrying in lockstep.
		wait := delay/2 + rand.N(delay/2+1)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		}
		delay = min(2*delay, 5*time.Second)
	}
}

func (s *seeder) post(ctx context.Context, payload, hash []byte, n int) (_ *intakeResponse, retry bool, _ error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.base+"/_poseidon/intake", bytes.NewReader(payload))
	if err != nil {
		return nil, false, err
	}
	req.Header.Set("Content-Type", "application/json")
	if s.creds != nil {
		if err := s.signer.SignRequest(&sigv4.SignRequestInput{
			Request: req, PayloadHash: hash, Credentials: *s.creds, Service: "discovery", Region: s.region,
		}); err != nil {
			return nil, false, err
		}
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, ctx.Err() == nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, true, err
	}
	switch {
	case resp.StatusCode == http.StatusOK:
		var out intakeResponse
		if err := json.Unmarshal(raw, &out); err != nil {
			return nil, false, fmt.Errorf("intake answered 200 with an unexpected body: %v", err)
		}
		return &out, false, nil
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return nil, true, fmt.Errorf("HTTP %d: %s", resp.StatusCode, snippet(raw))
	}
	e := &httpError{status: resp.StatusCode, signed: s.creds != nil, batchLength: n}
	var body struct {
		Type     string `json:"__type"`
		Message  string `json:"message"`
		Message2 string `json:"Message"`
	}
	if json.Unmarshal(raw, &body) == nil {
		e.code, e.msg = body.Type, cmp.Or(body.Message, body.Message2)
	}
	if e.code == "" && e.msg == "" {
		e.msg = snippet(raw)
	}
	return nil, false, e
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
