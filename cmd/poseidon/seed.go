package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/aws/smithy-go/aws-http-auth/credentials"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/poseidon-ads/poseidon/internal/agentdata"
	"github.com/poseidon-ads/poseidon/internal/auth"
	"github.com/poseidon-ads/poseidon/internal/fleet"
	"github.com/poseidon-ads/poseidon/internal/seeder"
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
	s, creds, err := newSeeder(c.Endpoint, c.Retries)
	if err != nil {
		return err
	}
	if creds == nil {
		// A strict server refuses unsigned reports: say what to set
		// rather than warn about the default account and then fail.
		if strict, err := s.ServerStrict(ctx); err == nil && strict {
			return fmt.Errorf("the server at %s is in strict mode: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY to a key of its --credentials file "+
				"(the fleet goes to that identity's account)", c.Endpoint)
		}
		fmt.Fprintf(g.stderr, "poseidon seed: AWS_ACCESS_KEY_ID is not set: the fleet goes to the default account %s (open mode). "+
			"To fill another account, set AWS_ACCESS_KEY_ID to its 12-digit ID (open mode) or to a key of the server's --credentials file (strict mode), with AWS_SECRET_ACCESS_KEY.\n", auth.DefaultAccount)
	}
	var end time.Time
	if c.End != "" {
		if end, err = parseEnd(c.End); err != nil {
			return err
		}
	} else if end, err = s.ServerClock(ctx, c.ControlToken); err != nil {
		end = time.Now()
		fmt.Fprintf(g.stderr, "poseidon seed: cannot read the server's clock (%v); the fleet ends now, in real time. "+
			"To end it at a moved virtual clock, give the server's control token (--control-token, POSEIDON_SEED_CONTROL_TOKEN), or --end\n", err)
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
	res, err := s.Seed(ctx, cfg, c.Batch, c.Concurrency, progress)
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
		res.Reports, res.Accepted, res.Duplicates, res.Dropped, res.Elapsed.Seconds(), res.Rate())
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
	s, creds, err := newSeeder(endpoint, 3)
	if err != nil {
		return err
	}
	end, err := s.ServerClock(ctx, os.Getenv("POSEIDON_CONTROL_TOKEN"))
	if err != nil {
		end = time.Now()
	}
	cfg := fleet.Config{Servers: demoServers, Hours: demoHours, Seed: demoSeed, End: end}
	res, err := s.Seed(ctx, cfg, 500, 2, nil)
	if err != nil {
		if ctx.Err() != nil {
			return nil // shutting down
		}
		return err
	}
	account := "default account"
	if creds != nil {
		account = "access key " + creds.AccessKeyID
	}
	log.Info("demo fleet seeded", "servers", cfg.Servers, "hours", cfg.Hours, "reports", res.Reports,
		"accepted", res.Accepted, "duplicates", res.Duplicates, "dropped", res.Dropped,
		"as", account, "took", res.Elapsed.Round(time.Millisecond))
	return nil
}

// newSeeder makes a seeder for the server at endpoint, with the AWS
// credentials (nil if none: unsigned requests) and region of the
// environment.
func newSeeder(endpoint string, retries int) (*seeder.Seeder, *credentials.Credentials, error) {
	region := "us-west-2"
	if r := os.Getenv("AWS_REGION"); r != "" {
		region = r
	} else if r := os.Getenv("AWS_DEFAULT_REGION"); r != "" {
		region = r
	}
	var creds *credentials.Credentials
	if akid := os.Getenv("AWS_ACCESS_KEY_ID"); akid != "" {
		creds = &credentials.Credentials{
			AccessKeyID:     akid,
			SecretAccessKey: os.Getenv("AWS_SECRET_ACCESS_KEY"),
			SessionToken:    os.Getenv("AWS_SESSION_TOKEN"),
		}
	}
	s, err := seeder.New(endpoint, creds, region, retries)
	return s, creds, err
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

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
