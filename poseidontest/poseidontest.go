// Package poseidontest runs poseidon, the AWS Application Discovery Service
// emulator, inside a Go test, the way net/http/httptest runs an HTTP server
// and moto's mock_aws mocks AWS:
//
//	func TestInventory(t *testing.T) {
//		srv := poseidontest.Start(t)
//		srv.Seed(poseidontest.Fleet{Servers: 5, Hours: 2})
//		sess := session.Must(session.NewSession(aws.NewConfig().
//			WithEndpoint(srv.URL).WithRegion(srv.Region).
//			WithCredentials(credentials.NewStaticCredentials(srv.AccessKeyID, srv.SecretAccessKey, ""))))
//		client := applicationdiscoveryservice.New(sess)
//		...
//	}
//
// Start serves the real poseidon (the same assembly as "poseidon serve": the
// HTTP edge, the use cases, the job queue and its workers) on a free port of
// 127.0.0.1, with a store of its own: SQLite in a temporary directory, or a
// PostgreSQL database given with the PostgreSQL option. Two servers share
// nothing. Everything Start makes is undone by t.Cleanup: the listener is
// closed, requests drained, background work ended and waited for, the store
// closed, the temporary directories removed.
//
// The Server it returns has the endpoint, the region and the credentials of
// an account (open mode by default: any 12-digit access key ID is its own
// account and signatures are not checked; Strict checks SigV4 signatures
// against the identities the fixture makes). Its methods seed a simulated
// fleet through the agents' intake endpoint (as "poseidon seed" does),
// reset the store or one account, and read, set and advance the virtual
// clock, all through the control API under /_poseidon/.
//
// The Server's methods report failures with t.Fatal, so they must be called
// from the test's goroutine.
package poseidontest

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/smithy-go/aws-http-auth/credentials"

	"github.com/poseidon-ads/poseidon/internal/fleet"
	"github.com/poseidon-ads/poseidon/internal/launch"
	"github.com/poseidon-ads/poseidon/internal/seeder"
)

// DefaultAccount is the account of a Server's Credentials unless the
// Account option says otherwise, and DefaultRegion its region.
const (
	DefaultAccount = "123456789012"
	DefaultRegion  = "us-west-2"
)

// Credentials are an identity's AWS credentials and its account.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	AccountID       string
}

// Server is a poseidon server started by Start.
type Server struct {
	// URL is the endpoint, http://127.0.0.1:PORT, for the SDKs'
	// endpoint setting (aws.Config.Endpoint, endpoint_url).
	URL string
	// Region is the home region of every account, the region to sign for.
	Region string
	// Credentials are those of the server's account (the Account option;
	// DefaultAccount by default).
	Credentials
	// ControlToken is the bearer token of the control API ("" in open
	// mode, where the control API needs none).
	ControlToken string
	// Strict reports whether signatures are checked (the Strict option).
	Strict bool
	// Data is the server's data directory (a temporary directory): import
	// buckets live under Data/buckets, continuous exports under
	// Data/continuous-exports.
	Data string

	t        testing.TB
	run      *launch.Running
	idents   map[string]Credentials // by account
	http     *http.Client
	stopOnce sync.Once
	logs     *testLog
}

// An Option changes how Start runs the server.
type Option func(*options)

type options struct {
	strict      bool
	databaseURL string
	account     string
	accounts    []string
	region      string
	exportDelay time.Duration
	noLimits    bool
	logLevel    slog.Level
}

// Strict runs the server in strict mode: every request must carry a valid
// SigV4 signature of one of the server's identities (one per account: the
// server's and those of the Accounts option), and the control API needs
// the server's ControlToken (the fixture's methods send it).
func Strict() Option { return func(o *options) { o.strict = true } }

// PostgreSQL keeps the server's state and export archives in the
// PostgreSQL database at url instead of SQLite in a temporary directory.
// The database (or schema, with search_path) should be the test's own:
// the fixture does not empty it first.
func PostgreSQL(url string) Option { return func(o *options) { o.databaseURL = url } }

// Account makes id (12 digits) the account of the Server's Credentials.
func Account(id string) Option { return func(o *options) { o.account = id } }

// Accounts are other accounts the test uses: in strict mode each gets an
// identity of its own (CredentialsFor returns it); in open mode any
// 12-digit account works without this option.
func Accounts(ids ...string) Option {
	return func(o *options) { o.accounts = append(o.accounts, ids...) }
}

// Region makes region the home region of every account and the Server's
// Region.
func Region(region string) Option { return func(o *options) { o.region = region } }

// ExportDelay holds every export IN_PROGRESS for at least d of the virtual
// clock (as AWS takes minutes): Advance moves it on.
func ExportDelay(d time.Duration) Option { return func(o *options) { o.exportDelay = d } }

// NoLimits turns AWS's export limits (2 agent exports a day, ...) off.
func NoLimits() Option { return func(o *options) { o.noLimits = true } }

// LogLevel sets the level of the server's log, which goes to t.Log
// (default: slog.LevelWarn).
func LogLevel(l slog.Level) Option { return func(o *options) { o.logLevel = l } }

// Start runs poseidon in-process on a free port of 127.0.0.1 with a store of
// its own, waits until it is ready, and stops it (and removes what it made)
// when the test ends.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	o := options{account: DefaultAccount, region: DefaultRegion, logLevel: slog.LevelWarn}
	for _, opt := range opts {
		opt(&o)
	}
	for _, a := range append([]string{o.account}, o.accounts...) {
		if !isAccount(a) {
			t.Fatalf("poseidontest: account %q is not 12 digits", a)
		}
	}
	logs := &testLog{t: t}
	s := &Server{
		Region: o.region, Strict: o.strict, Data: t.TempDir(), t: t, logs: logs,
		idents: map[string]Credentials{},
		http:   &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 2 * time.Minute},
	}
	cfg := launch.DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.Data = s.Data
	cfg.DatabaseURL = o.databaseURL
	cfg.HomeRegion = o.region
	cfg.ExportDelay = o.exportDelay
	cfg.Limits.Disabled = o.noLimits
	cfg.Version = "poseidontest"
	if o.strict {
		s.ControlToken = "poseidontest-" + randomHex(16)
		cfg.ControlToken = s.ControlToken
		cfg.Credentials = s.writeIdentities(append([]string{o.account}, o.accounts...))
	} else {
		// Open mode: a 12-digit access key ID is the account; the secret
		// is not checked.
		for _, a := range append([]string{o.account}, o.accounts...) {
			s.idents[a] = Credentials{AccessKeyID: a, SecretAccessKey: "poseidontest", AccountID: a}
		}
	}
	s.Credentials = s.idents[o.account]

	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: o.logLevel}))
	run, err := launch.Start(context.Background(), cfg, log)
	if err != nil {
		t.Fatalf("poseidontest: start poseidon: %v", err)
	}
	s.run, s.URL = run, run.URL
	t.Cleanup(s.Close)
	return s
}

// Close stops the server: it stops listening, drains the requests in
// flight, ends the background work and waits for it, and closes the store.
// t.Cleanup calls it; a test may call it earlier (to test what its client
// does when the server goes away, say). It is idempotent.
func (s *Server) Close() {
	s.stopOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.run.Shutdown(ctx); err != nil {
			s.t.Errorf("poseidontest: drain requests: %v", err)
		}
		if err := s.run.Close(); err != nil {
			s.t.Errorf("poseidontest: close the store: %v", err)
		}
		s.http.CloseIdleConnections()
		s.logs.close()
	})
}

// writeIdentities writes the strict-mode credentials file, one identity
// with every action allowed per account, and returns its path.
func (s *Server) writeIdentities(accounts []string) string {
	type identity struct {
		AccessKeyID     string `json:"accessKeyId"`
		SecretAccessKey string `json:"secretAccessKey"`
		AccountID       string `json:"accountId"`
	}
	var doc struct {
		Identities []identity `json:"identities"`
	}
	for _, a := range accounts {
		if _, dup := s.idents[a]; dup {
			continue
		}
		c := Credentials{AccessKeyID: "AKIAPT" + strings.ToUpper(randomHex(7)), SecretAccessKey: randomHex(20), AccountID: a}
		s.idents[a] = c
		doc.Identities = append(doc.Identities, identity{c.AccessKeyID, c.SecretAccessKey, c.AccountID})
	}
	b, _ := json.Marshal(&doc)
	path := filepath.Join(s.t.TempDir(), "credentials.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		s.t.Fatalf("poseidontest: write the credentials file: %v", err)
	}
	return path
}

// CredentialsFor returns the credentials of account: in open mode those
// of any 12-digit account, in strict mode those of the server's account
// and of the Accounts option's.
func (s *Server) CredentialsFor(account string) Credentials {
	s.t.Helper()
	if c, ok := s.idents[account]; ok {
		return c
	}
	if !s.Strict && isAccount(account) {
		return Credentials{AccessKeyID: account, SecretAccessKey: "poseidontest", AccountID: account}
	}
	s.t.Fatalf("poseidontest: no identity of account %q (strict mode knows those of the Account and Accounts options)", account)
	return Credentials{}
}

// Fleet says which simulated fleet Seed sends (package fleet of poseidon:
// multi-tier applications whose servers report every 15 minutes, with
// processes, connections and performance). The same Fleet gives the same
// agents.
type Fleet struct {
	// Servers is the number of servers (agents), 1..50000; default 10.
	Servers int
	// Hours of reports per server; default 1.
	Hours int
	// Seed is the random seed; default 1.
	Seed uint64
	// End is the time of the last report, rounded down to 15 minutes;
	// default: the server's virtual clock.
	End time.Time
	// AccountID is the account the agents report to; default the
	// server's.
	AccountID string
}

// Agent is one seeded server and its discovery agent.
type Agent struct {
	AgentID     string
	HostName    string
	IPAddress   string
	MACAddress  string
	Application string // the application the server belongs to, e.g. "billing"
	Environment string // prod, staging, dev or qa
	OSName      string
	ServerType  string // EC2, VMWARE_VM or OTHER
}

// Seed sends the reports of the simulated fleet f through the server's
// intake endpoint (POST /_poseidon/intake, signed with the account's
// credentials), as "poseidon seed" does, and returns its agents.
func (s *Server) Seed(f Fleet) []Agent {
	s.t.Helper()
	if f.Servers == 0 {
		f.Servers = 10
	}
	if f.Hours == 0 {
		f.Hours = 1
	}
	if f.Seed == 0 {
		f.Seed = 1
	}
	if f.End.IsZero() {
		f.End = s.Now()
	}
	account := cmp.Or(f.AccountID, s.AccountID)
	c := s.CredentialsFor(account)
	sd, err := seeder.New(s.URL, &credentials.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey}, s.Region, 3)
	if err != nil {
		s.t.Fatalf("poseidontest: seed: %v", err)
	}
	defer sd.CloseIdle()
	res, err := sd.Seed(context.Background(), fleet.Config{Servers: f.Servers, Hours: f.Hours, Seed: f.Seed, End: f.End}, 500, 2, nil)
	if err != nil {
		s.t.Fatalf("poseidontest: seed: %v", err)
	}
	if res.Accepted+res.Duplicates != res.Reports {
		s.t.Fatalf("poseidontest: seed: %d reports, %d accepted, %d duplicates, %d dropped", res.Reports, res.Accepted, res.Duplicates, res.Dropped)
	}
	agents := make([]Agent, len(res.Agents))
	for i, a := range res.Agents {
		agents[i] = Agent{AgentID: a.AgentID, HostName: a.HostName, IPAddress: a.IPAddress, MACAddress: a.MACAddress,
			Application: a.Application, Environment: a.Environment, OSName: a.OSName, ServerType: a.ServerType}
	}
	return agents
}

// Reset wipes the whole store: every account's data, tasks and files, and
// the clock goes back to real time (POST /_poseidon/reset).
func (s *Server) Reset() {
	s.t.Helper()
	s.control(http.MethodPost, "reset", nil, nil)
}

// ResetAccount wipes one account's data, tasks and files; the others'
// and the clock stay (POST /_poseidon/reset {"accountId": ...}).
func (s *Server) ResetAccount(account string) {
	s.t.Helper()
	s.control(http.MethodPost, "reset", map[string]string{"accountId": account}, nil)
}

// Now is the server's virtual clock: real time plus the offset that
// SetClock and Advance set.
func (s *Server) Now() time.Time {
	s.t.Helper()
	return s.clock(http.MethodGet, nil)
}

// SetClock sets the virtual clock to at (which then runs on from there) and
// returns it.
func (s *Server) SetClock(at time.Time) time.Time {
	s.t.Helper()
	return s.clock(http.MethodPost, map[string]float64{"setEpochSeconds": float64(at.UnixMilli()) / 1000})
}

// Advance moves the virtual clock by d (backwards if negative) and returns
// it. Whatever waits on the clock (held exports, expiring download URLs,
// leases, retention) sees it at once.
func (s *Server) Advance(d time.Duration) time.Time {
	s.t.Helper()
	return s.clock(http.MethodPost, map[string]float64{"advanceSeconds": d.Seconds()})
}

func (s *Server) clock(method string, in any) time.Time {
	s.t.Helper()
	var out struct {
		EpochSeconds float64 `json:"epochSeconds"`
	}
	s.control(method, "clock", in, &out)
	return time.UnixMilli(int64(out.EpochSeconds*1000 + 0.5))
}

// control calls the control API at /_poseidon/<path> with the body in (as
// JSON; none if nil) and decodes a 200's body into out.
func (s *Server) control(method, path string, in, out any) {
	s.t.Helper()
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.URL+"/_poseidon/"+path, body)
	if err != nil {
		s.t.Fatalf("poseidontest: %v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if s.ControlToken != "" {
		req.Header.Set("Authorization", "Bearer "+s.ControlToken)
	}
	resp, err := s.http.Do(req)
	if err != nil {
		s.t.Fatalf("poseidontest: %s /_poseidon/%s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		s.t.Fatalf("poseidontest: %s /_poseidon/%s: HTTP %d %s", method, path, resp.StatusCode, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			s.t.Fatalf("poseidontest: %s /_poseidon/%s: %v in %s", method, path, err, raw)
		}
	}
}

// testLog writes the server's log lines to t.Log until closed (t.Log must
// not be called once the test is over).
type testLog struct {
	mu     sync.Mutex
	t      testing.TB
	closed bool
}

func (l *testLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.closed {
		l.t.Log("poseidon: " + strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

func (l *testLog) close() {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
}

func isAccount(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
