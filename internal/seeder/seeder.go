// Package seeder fills a running poseidon with a simulated fleet (package
// fleet) through its real intake path, POST /_poseidon/intake, as discovery
// agents would: "poseidon seed", "poseidon serve --demo" and the
// poseidontest fixture use it.
package seeder

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/smithy-go/aws-http-auth/credentials"
	"github.com/aws/smithy-go/aws-http-auth/sigv4"

	"github.com/poseidon-ads/poseidon/internal/agentdata"
	"github.com/poseidon-ads/poseidon/internal/fleet"
)

// Seeder sends a fleet's reports to a server's intake endpoint.
type Seeder struct {
	base    string
	client  *http.Client
	creds   *credentials.Credentials // nil: unsigned requests
	region  string
	signer  *sigv4.Signer
	retries int
	backoff time.Duration // before the first retry; doubles up to 5 s
}

// New makes a Seeder for the server at endpoint (an http:// or https://
// URL) that signs its requests with creds in region, or sends them
// unsigned if creds is nil (open mode files them under the default
// account). A batch is retried up to retries times.
func New(endpoint string, creds *credentials.Credentials, region string, retries int) (*Seeder, error) {
	endpoint = strings.TrimRight(endpoint, "/")
	if !strings.HasPrefix(endpoint, "http://") && !strings.HasPrefix(endpoint, "https://") {
		return nil, fmt.Errorf("endpoint %q must be an http:// or https:// URL", endpoint)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	return &Seeder{
		base:    endpoint,
		client:  &http.Client{Transport: tr, Timeout: 5 * time.Minute},
		creds:   creds,
		region:  region,
		signer:  sigv4.New(),
		retries: retries,
		backoff: 250 * time.Millisecond,
	}, nil
}

// CloseIdle closes the Seeder's idle connections.
func (s *Seeder) CloseIdle() { s.client.CloseIdleConnections() }

// ServerClock reads the server's virtual clock (GET /_poseidon/clock),
// with the control API's bearer token if not empty.
func (s *Seeder) ServerClock(ctx context.Context, token string) (time.Time, error) {
	var out struct {
		EpochSeconds *float64 `json:"epochSeconds"`
	}
	if err := s.getControl(ctx, "clock", token, &out); err != nil {
		return time.Time{}, err
	}
	if out.EpochSeconds == nil {
		return time.Time{}, errors.New("GET /_poseidon/clock: unexpected body (no epochSeconds)")
	}
	return time.UnixMilli(int64(*out.EpochSeconds * 1000)), nil
}

// ServerStrict tells whether the server runs in strict mode (its health
// check's "strict"), so that an unsigned run can say what to set before
// sending anything.
func (s *Seeder) ServerStrict(ctx context.Context) (bool, error) {
	var out struct {
		Strict *bool `json:"strict"`
	}
	if err := s.getControl(ctx, "health", "", &out); err != nil {
		return false, err
	}
	if out.Strict == nil {
		return false, errors.New("GET /_poseidon/health: unexpected body (no strict)")
	}
	return *out.Strict, nil
}

// getControl reads GET /_poseidon/<path> (with the bearer token, if any)
// into out, in at most 5 seconds.
func (s *Seeder) getControl(ctx context.Context, path, token string, out any) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+"/_poseidon/"+path, nil)
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /_poseidon/%s: HTTP %d", path, resp.StatusCode)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(out); err != nil {
		return fmt.Errorf("GET /_poseidon/%s: unexpected body (%v)", path, err)
	}
	return nil
}

// Result sums the intake responses of a run.
type Result struct {
	Reports, Accepted, Duplicates, Dropped int64
	Agents                                 []fleet.AgentSummary
	Elapsed                                time.Duration
}

// Rate is the reports sent per second.
func (r Result) Rate() float64 {
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

// Seed generates the fleet of cfg and sends it in batches of batch reports
// over conc concurrent requests. At most conc+2 batches exist at once: one
// being filled, one per request in flight, and one spare. progress, if not
// nil, is called with the size of each accepted batch. The first failure
// stops the run.
func (s *Seeder) Seed(ctx context.Context, cfg fleet.Config, batch, conc int, progress func(int)) (Result, error) {
	start := time.Now()
	f, err := fleet.New(cfg)
	if err != nil {
		return Result{}, err
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
		return Result{}, err
	}
	if genErr != nil {
		return Result{}, genErr
	}
	return Result{
		Reports: total, Accepted: accepted.Load(), Duplicates: duplicates.Load(), Dropped: dropped.Load(),
		Agents: f.Agents(), Elapsed: time.Since(start),
	}, nil
}

// httpError is a response the Seeder does not retry. Its hints name the
// flags of "poseidon seed", the Seeder's command.
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
func (s *Seeder) send(ctx context.Context, body *bytes.Buffer, reports []agentdata.Report) (*intakeResponse, error) {
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

func (s *Seeder) post(ctx context.Context, payload, hash []byte, n int) (_ *intakeResponse, retry bool, _ error) {
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
