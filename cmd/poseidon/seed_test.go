package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	ads "github.com/aws/aws-sdk-go/service/applicationdiscoveryservice"

	"github.com/poseidon-ads/poseidon/internal/agentdata"
	"github.com/poseidon-ads/poseidon/internal/fleet"
	"github.com/poseidon-ads/poseidon/internal/sigv4"
)

// setAWSEnv sets the AWS credential variables the seeder reads; an empty
// access key ID means none.
func setAWSEnv(t *testing.T, akid, secret string) {
	t.Setenv("AWS_ACCESS_KEY_ID", akid)
	t.Setenv("AWS_SECRET_ACCESS_KEY", secret)
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", region)
}

// runSeed runs "poseidon seed" in-process and returns stdout and stderr.
func runSeed(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), append([]string{"seed"}, args...), &stdout, &stderr)
	return stdout.String(), stderr.String(), err
}

// serverEpoch reads a test server's virtual clock.
func serverEpoch(t *testing.T, url string) string {
	t.Helper()
	code, out := control(t, url, "clock", "", nil)
	if code != 200 {
		t.Fatalf("GET clock: %d %v", code, out)
	}
	return strconv.FormatFloat(out["epochSeconds"].(float64), 'f', -1, 64)
}

// allAgents pages through DescribeAgents.
func allAgents(t *testing.T, c *ads.ApplicationDiscoveryService) map[string]*ads.AgentInfo {
	t.Helper()
	out := map[string]*ads.AgentInfo{}
	in := &ads.DescribeAgentsInput{MaxResults: aws.Int64(7)}
	for {
		page, err := c.DescribeAgents(in)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range page.AgentsInfo {
			id := aws.StringValue(a.AgentId)
			if out[id] != nil {
				t.Fatalf("DescribeAgents returned %s twice", id)
			}
			out[id] = a
		}
		if page.NextToken == nil {
			return out
		}
		in.NextToken = page.NextToken
	}
}

func TestSeedEndToEnd(t *testing.T) {
	srv := startServer(t, "")
	setAWSEnv(t, acctA, "anything")
	end := serverEpoch(t, srv.URL)
	args := []string{"--endpoint", srv.URL, "--servers", "20", "--hours", "6", "--seed", "99", "--end", end, "--batch", "64", "--concurrency", "3"}

	stdout, stderr, err := runSeed(t, args...)
	if err != nil {
		t.Fatalf("seed: %v\n%s", err, stderr)
	}
	endTime, _ := parseEnd(end)
	want, err := fleet.Agents(fleet.Config{Servers: 20, Hours: 6, Seed: 99, End: endTime})
	if err != nil {
		t.Fatal(err)
	}
	ids := strings.Fields(stdout)
	if len(ids) != 20 {
		t.Fatalf("stdout lists %d agent IDs, want 20:\n%s", len(ids), stdout)
	}
	for i, a := range want {
		if ids[i] != a.AgentID {
			t.Fatalf("stdout line %d = %s, want %s", i+1, ids[i], a.AgentID)
		}
	}
	if !strings.Contains(stderr, "480 reports, 480 accepted, 0 duplicates, 0 dropped") {
		t.Fatalf("summary: %s", stderr)
	}

	c := client(t, srv.URL, acctA, "anything")
	got := allAgents(t, c)
	if len(got) != 20 {
		t.Fatalf("DescribeAgents returned %d agents, want 20", len(got))
	}
	for _, a := range want {
		info := got[a.AgentID]
		if info == nil {
			t.Fatalf("agent %s missing from DescribeAgents", a.AgentID)
		}
		if aws.StringValue(info.HostName) != a.HostName {
			t.Errorf("agent %s hostName %q, want %q", a.AgentID, aws.StringValue(info.HostName), a.HostName)
		}
	}
	// Another account sees none of them.
	if other := allAgents(t, client(t, srv.URL, acctB, "anything")); len(other) != 0 {
		t.Fatalf("account B sees %d agents", len(other))
	}

	// The same run again is all duplicates and adds nothing.
	stdout2, stderr2, err := runSeed(t, args...)
	if err != nil {
		t.Fatalf("second seed: %v\n%s", err, stderr2)
	}
	if stdout2 != stdout {
		t.Fatalf("second run lists other agents:\n%s", stdout2)
	}
	if !strings.Contains(stderr2, "480 reports, 0 accepted, 480 duplicates, 0 dropped") {
		t.Fatalf("second summary: %s", stderr2)
	}
	if again := allAgents(t, c); len(again) != 20 {
		t.Fatalf("after the second run DescribeAgents returns %d agents", len(again))
	}
}

func TestSeedDefaultEndIsServerClock(t *testing.T) {
	srv := startServer(t, "")
	setAWSEnv(t, "", "")
	// Move the virtual clock back a year: the fleet must end then, not now.
	advance(t, srv.URL, -365*24*time.Hour)
	end, _ := parseEnd(serverEpoch(t, srv.URL))
	stdout, stderr, err := runSeed(t, "--endpoint", srv.URL, "--servers", "3", "--hours", "1", "--quiet")
	if err != nil {
		t.Fatalf("seed: %v\n%s", err, stderr)
	}
	last := end.UTC().Truncate(fleet.Interval)
	if !strings.Contains(stderr, last.Format(time.RFC3339)) {
		t.Fatalf("summary %q does not end at the server's clock %s", stderr, last.Format(time.RFC3339))
	}
	// Unsigned requests land in the default account.
	got := allAgents(t, client(t, srv.URL, "AKIANOTTWELVEDIGITS", "x"))
	for _, id := range strings.Fields(stdout) {
		if got[id] == nil {
			t.Fatalf("agent %s not in the default account", id)
		}
	}
}

func TestSeedStrictMode(t *testing.T) {
	srv := startServer(t, "", "--credentials", writeCredentials(t), "--control-token", "tok")
	url := srv.URL

	// Unsigned: refused before sending anything, saying only what to set
	// (not the open mode's warning about the default account).
	setAWSEnv(t, "", "")
	_, stderr, err := runSeed(t, "--endpoint", url, "--servers", "2", "--hours", "1", "--control-token", "tok")
	if err == nil || !strings.Contains(err.Error(), "strict mode: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY") ||
		strings.Contains(stderr, "default account") || strings.Contains(stderr, "open mode") {
		t.Fatalf("unsigned seed in strict mode: %v\nstderr: %s", err, stderr)
	}
	// A wrong secret: refused.
	setAWSEnv(t, keyA, "wrong")
	if _, _, err := runSeed(t, "--endpoint", url, "--servers", "2", "--hours", "1"); err == nil || !strings.Contains(err.Error(), "InvalidSignatureException") {
		t.Fatalf("badly signed seed: %v", err)
	}

	// Signed with identity A: its account gets the fleet, B's does not.
	setAWSEnv(t, keyA, secretA)
	stdout, stderr, err := runSeed(t, "--endpoint", url, "--servers", "4", "--hours", "2", "--seed", "5", "--control-token", "tok")
	if err != nil {
		t.Fatalf("signed seed: %v\n%s", err, stderr)
	}
	got := allAgents(t, client(t, url, keyA, secretA))
	ids := strings.Fields(stdout)
	if len(ids) != 4 || len(got) != 4 {
		t.Fatalf("%d IDs on stdout, %d agents in account A", len(ids), len(got))
	}
	for _, id := range ids {
		if got[id] == nil {
			t.Fatalf("agent %s not in account A", id)
		}
	}
	if other := allAgents(t, client(t, url, keyB, secretB)); len(other) != 0 {
		t.Fatalf("account B sees %d agents", len(other))
	}
	// Without the control token the clock cannot be read: the fleet ends
	// now, and the warning says how to follow the virtual clock.
	_, stderr, err = runSeed(t, "--endpoint", url, "--servers", "1", "--hours", "1", "--seed", "6")
	if err != nil || !strings.Contains(stderr, "cannot read the server's clock") || !strings.Contains(stderr, "--control-token, POSEIDON_SEED_CONTROL_TOKEN") {
		t.Fatalf("signed seed without the control token: %v\n%s", err, stderr)
	}
}

// fakeIntake is an intake endpoint that fails the first attempts of every
// batch with a status, and records what it received.
type fakeIntake struct {
	mu       sync.Mutex
	failures map[string]int // first report ID → failures so far
	failN    int
	status   int
	requests int
	reports  []string
	auth     []string
}

func (f *fakeIntake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/_poseidon/intake" {
		http.NotFound(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	var b agentdata.Batch
	if err := json.Unmarshal(body, &b); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	if err := b.Validate(); err != nil {
		w.WriteHeader(400)
		fmt.Fprintf(w, `{"__type":"InvalidParameterValueException","message":%q}`, err.Error())
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests++
	f.auth = append(f.auth, r.Header.Get("Authorization"))
	key := b.Reports[0].ReportID
	if f.failures[key] < f.failN {
		f.failures[key]++
		w.WriteHeader(f.status)
		fmt.Fprint(w, `{"__type":"ServerInternalErrorException","message":"try again"}`)
		return
	}
	for _, r := range b.Reports {
		f.reports = append(f.reports, r.ReportID)
	}
	fmt.Fprintf(w, `{"accepted":%d,"duplicates":0,"dropped":0,"droppedReports":[]}`, len(b.Reports))
}

func TestSeedRetries(t *testing.T) {
	setAWSEnv(t, "", "")
	f := &fakeIntake{failures: map[string]int{}, failN: 2, status: 503}
	ts := httptest.NewServer(f)
	defer ts.Close()
	args := []string{"--endpoint", ts.URL, "--servers", "3", "--hours", "2", "--end", "1700000000", "--batch", "10", "--quiet"}

	// Every batch fails twice with 503 and then goes through.
	stdout, stderr, err := runSeed(t, append(args, "--retries", "2")...)
	if err != nil {
		t.Fatalf("seed: %v\n%s", err, stderr)
	}
	// 4 batches (the first slot of 3 reports alone, then 21 reports by 10),
	// each tried 3 times.
	if len(strings.Fields(stdout)) != 3 || f.requests != 4*3 || len(f.reports) != 24 {
		t.Fatalf("%d agents, %d requests, %d reports", len(strings.Fields(stdout)), f.requests, len(f.reports))
	}
	if !strings.Contains(stderr, "24 reports, 24 accepted") {
		t.Fatalf("summary: %s", stderr)
	}
	for _, a := range f.auth {
		if a != "" {
			t.Fatalf("unsigned run sent Authorization %q", a)
		}
	}

	// Too few retries: the run fails and prints no agent IDs.
	f.failures, f.reports = map[string]int{}, nil
	stdout, _, err = runSeed(t, append(args, "--retries", "1")...)
	if err == nil || !strings.Contains(err.Error(), "after 2 attempts") || !strings.Contains(err.Error(), "HTTP 503") || stdout != "" {
		t.Fatalf("err %v, stdout %q", err, stdout)
	}
}

func TestSeedStopsOnClientError(t *testing.T) {
	setAWSEnv(t, "", "")
	f := &fakeIntake{failures: map[string]int{}, failN: 1, status: 400}
	ts := httptest.NewServer(f)
	defer ts.Close()
	stdout, _, err := runSeed(t, "--endpoint", ts.URL, "--servers", "3", "--hours", "2", "--end", "1700000000", "--batch", "5", "--retries", "5")
	if err == nil || !strings.Contains(err.Error(), "HTTP 400 ServerInternalErrorException: try again") || stdout != "" {
		t.Fatalf("err %v, stdout %q", err, stdout)
	}
	if f.requests > 3 {
		t.Fatalf("%d requests after a 4xx; a client error must stop the run", f.requests)
	}

	// No intake endpoint at all.
	ts404 := httptest.NewServer(http.NotFoundHandler())
	defer ts404.Close()
	_, _, err = runSeed(t, "--endpoint", ts404.URL, "--servers", "1", "--hours", "1", "--end", "1700000000")
	if err == nil || !strings.Contains(err.Error(), "HTTP 404") || !strings.Contains(err.Error(), "no POST /_poseidon/intake") {
		t.Fatalf("404: %v", err)
	}
}

func TestSeedSigns(t *testing.T) {
	setAWSEnv(t, "AKIASEEDERTEST", "s3cret")
	t.Setenv("AWS_REGION", "eu-west-1")
	var mu sync.Mutex
	var verified int
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		sig, err := sigv4.Parse(r)
		if err == nil && sig == nil {
			err = fmt.Errorf("unsigned")
		}
		if err == nil {
			err = sig.Verify(r, body, "s3cret", "discovery", time.Now(), 15*time.Minute)
		}
		if err == nil && (sig.AccessKeyID != "AKIASEEDERTEST" || sig.Scope.Region != "eu-west-1") {
			err = fmt.Errorf("signed as %s in %s", sig.AccessKeyID, sig.Scope.Region)
		}
		if err != nil {
			w.WriteHeader(403)
			fmt.Fprintf(w, `{"__type":"InvalidSignatureException","message":%q}`, err.Error())
			return
		}
		var b agentdata.Batch
		json.Unmarshal(body, &b)
		mu.Lock()
		verified++
		mu.Unlock()
		fmt.Fprintf(w, `{"accepted":%d,"duplicates":0,"dropped":0,"droppedReports":[]}`, len(b.Reports))
	}))
	defer ts.Close()
	if _, stderr, err := runSeed(t, "--endpoint", ts.URL, "--servers", "2", "--hours", "1", "--end", "1700000000", "--batch", "3"); err != nil {
		t.Fatalf("seed: %v\n%s", err, stderr)
	}
	if verified != 3 {
		t.Fatalf("%d verified requests, want 3", verified)
	}
}

func TestSeedFlags(t *testing.T) {
	setAWSEnv(t, "", "")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--batch", "0"}, "--batch must be 1..1000"},
		{[]string{"--batch", "1001"}, "--batch must be 1..1000"},
		{[]string{"--concurrency", "0"}, "--concurrency must be 1..64"},
		{[]string{"--servers", "0", "--end", "1700000000"}, "servers must be 1..50000"},
		{[]string{"--hours", "0", "--end", "1700000000"}, "hours must be 1.."},
		{[]string{"--end", "yesterday"}, "neither RFC 3339"},
		{[]string{"--endpoint", "localhost:8470"}, "must be an http:// or https:// URL"},
	} {
		_, _, err := runSeed(t, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("seed %v: %v, want %q", c.args, err, c.want)
		}
	}
	// Flags come from the environment too.
	t.Setenv("POSEIDON_SEED_BATCH", "0")
	if _, _, err := runSeed(t); err == nil || !strings.Contains(err.Error(), "--batch must be") {
		t.Errorf("POSEIDON_SEED_BATCH=0: %v", err)
	}
	for _, v := range []string{"2026-01-02T15:04:05Z", "1767366245", "1767366245.5"} {
		got, err := parseEnd(v)
		if err != nil || got.Unix() != 1767366245 {
			t.Errorf("parseEnd(%s) = %v, %v", v, got, err)
		}
	}
}

func TestServeDemo(t *testing.T) {
	setAWSEnv(t, "", "")
	srv := startServer(t, "", "--demo")
	c := client(t, srv.URL, "AKIANOTTWELVEDIGITS", "x")
	start := time.Now()
	for {
		got := allAgents(t, c)
		if len(got) == demoServers {
			break
		}
		if time.Since(start) > 20*time.Second {
			t.Fatalf("demo fleet: %d agents after 20 s", len(got))
		}
		time.Sleep(50 * time.Millisecond)
	}

	// The same fleet through seedDemo on a fresh server, timed.
	fresh := startServer(t, "")
	var logs bytes.Buffer
	t0 := time.Now()
	if err := seedDemo(context.Background(), fresh.URL, slog.New(slog.NewTextHandler(&logs, nil))); err != nil {
		t.Fatal(err)
	}
	t.Logf("seedDemo took %v: %s", time.Since(t0), logs.String())
	if !strings.Contains(logs.String(), "demo fleet seeded") || !strings.Contains(logs.String(), "accepted=1152 duplicates=0") {
		t.Fatalf("log: %s", logs.String())
	}
	want := allAgents(t, client(t, fresh.URL, "AKIANOTTWELVEDIGITS", "x"))
	if got := allAgents(t, c); len(got) != len(want) {
		t.Fatalf("serve --demo made %d agents, seedDemo %d", len(got), len(want))
	} else {
		for id := range want {
			if got[id] == nil {
				t.Fatalf("agent %s of seedDemo not in the --demo fleet", id)
			}
		}
	}

	// Again in the same 15 minutes: nothing new.
	logs.Reset()
	if err := seedDemo(context.Background(), fresh.URL, slog.New(slog.NewTextHandler(&logs, nil))); err != nil {
		t.Fatal(err)
	}
	// (Unless the clock crossed a 15-minute boundary in between: then one new
	// slot of 12 reports is accepted.)
	m := regexp.MustCompile(`accepted=(\d+) duplicates=(\d+)`).FindStringSubmatch(logs.String())
	if m == nil || (m[1] != "0" || m[2] != "1152") && (m[1] != "12" || m[2] != "1140") {
		t.Fatalf("second seedDemo: %s", logs.String())
	}
}
