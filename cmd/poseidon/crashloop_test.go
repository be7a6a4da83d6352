package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/awserr"
	"github.com/aws/aws-sdk-go/aws/credentials"
	"github.com/aws/aws-sdk-go/aws/session"
	v4 "github.com/aws/aws-sdk-go/aws/signer/v4"
	ads "github.com/aws/aws-sdk-go/service/applicationdiscoveryservice"

	"github.com/poseidon-ads/poseidon/internal/agentdata"
)

// The crash loop (issue 7, item 1) runs a mixed workload against the real
// binary from several goroutines, kill -9s it at random moments, restarts it
// on the same data directory and port, and checks after every restart that
// nothing acknowledged was lost, nothing is stuck and nothing was doubled.

const (
	loopAgentCount    = 8   // agents (and servers) of the account
	loopFeederCount   = 2   // intake goroutines; each owns a share of the agents
	loopReportsPerRun = 3   // reports per agent per batch
	loopMaxApps       = 300 // applications created before the workload only associates
	loopTagKeys       = 5   // tag keys × values bound the pairs per item to 30 (the limit)
	loopTagValues     = 6
)

// loopSummaryFiles are the members of a summary export, after "{account}_".
var loopSummaryFiles = []string{"Application.csv", "ApplicationResourceAssociation.csv", "ImportTemplate.csv",
	"NetworkInterface.csv", "Server.csv", "SystemPerformance.csv", "Tags.csv", "VMwareInfo.csv"}

// loopAgentFiles are the members of an agent export, after "{account}_".
var loopAgentFiles = []string{"destinationProcessConnection.csv", "networkInterface.csv", "osInfo.csv",
	"process.csv", "results.json", "sourceProcessConnection.csv", "systemPerformance.csv"}

// loopAgentID is crash-loop agent n's ID.
func loopAgentID(n int) string { return fmt.Sprintf("o-%017x", 0x10c000+n) }

// loopReport is report k of agent n (agent ID agent, global index gi for
// addresses): one report per second from base, so that no two reports of an
// agent share a timestamp. Each carries one outbound connection to an address
// of its own (198.18.x.y:443) that no server owns, so the connection's
// occurrence counts the agent's distinct reports taken in.
func loopReport(agent string, gi, k int, base time.Time) agentdata.Report {
	ip := fmt.Sprintf("10.77.%d.%d", gi/250, gi%250+1)
	return agentdata.Report{
		ReportID:  fmt.Sprintf("%s-%d", agent, k),
		AgentID:   agent,
		Timestamp: float64(base.Add(time.Duration(k) * time.Second).Unix()),
		Agent:     agentdata.AgentInfo{Version: "2.0.1500.0"},
		Server: agentdata.ServerInfo{HostName: fmt.Sprintf("crash-host-%d", gi), OSName: "Linux", OSVersion: "6.1",
			NumCPUs: 2, TotalRAMMB: 4096, TotalDiskGB: 40},
		NetworkInterfaces: []agentdata.NetworkInterface{{Name: "eth0", IPAddress: ip,
			MACAddress: fmt.Sprintf("02:77:00:00:%02x:%02x", gi/250, gi%250+1), NetMask: "255.255.255.0"}},
		Performance: &agentdata.Performance{CPUUsagePct: float64(k % 100), FreeRAMMB: 1024 + float64(k%512), DiskFreeGB: 20,
			DiskReadKBps: 10, DiskWriteKBps: 5, NetworkReadKBps: 3, NetworkWriteKBps: 2},
		Processes: []agentdata.Process{{PID: 100, Name: "sshd", Path: "/usr/sbin/sshd", CommandLine: "/usr/sbin/sshd -D"}},
		Connections: []agentdata.Connection{{Direction: "outbound", SourceIP: ip, SourcePort: 40000 + k%20000,
			DestinationIP: loopSinkIP(gi), DestinationPort: 443}},
	}
}

// loopSinkIP is the outbound destination of agent gi's reports.
func loopSinkIP(gi int) string { return fmt.Sprintf("198.18.%d.%d", gi/250, gi%250+1) }

// loopHTTPClient is an HTTP client that never retries on its own and does
// not share connections with other tests.
func loopHTTPClient(conns int) *http.Client {
	return &http.Client{
		Timeout:   60 * time.Second,
		Transport: &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns, IdleConnTimeout: 30 * time.Second},
	}
}

// loopADS is an aws-sdk-go v1 client that signs with akid/secret, with SDK
// retries off, over hc.
func loopADS(t *testing.T, url, akid, secret string, hc *http.Client) *ads.ApplicationDiscoveryService {
	t.Helper()
	cfg := aws.NewConfig().WithEndpoint(url).WithRegion(region).WithMaxRetries(0).
		WithCredentials(credentials.NewStaticCredentials(akid, secret, ""))
	sess, err := session.NewSessionWithOptions(session.Options{Config: *cfg, SharedConfigState: session.SharedConfigDisable})
	if err != nil {
		t.Fatal(err)
	}
	// Set after the session is built: with AWS_CA_BUNDLE set, the SDK
	// refuses a client whose Transport is not an *http.Transport.
	sess.Config.HTTPClient = hc
	return ads.New(sess)
}

// loopIntakeResult is the intake's answer.
type loopIntakeResult struct {
	Status     int
	Accepted   int `json:"accepted"`
	Duplicates int `json:"duplicates"`
	Dropped    int `json:"dropped"`
	Type       string
	Raw        string
}

// loopPostIntake posts a batch to /_poseidon/intake signed with SigV4 for
// akid/secret. A transport error (the server died) is returned as err.
func loopPostIntake(ctx context.Context, hc *http.Client, url, akid, secret string, b *agentdata.Batch) (loopIntakeResult, error) {
	body, err := json.Marshal(b)
	if err != nil {
		return loopIntakeResult{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/_poseidon/intake", bytes.NewReader(body))
	if err != nil {
		return loopIntakeResult{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	if _, err := v4.NewSigner(credentials.NewStaticCredentials(akid, secret, "")).Sign(req, bytes.NewReader(body), "discovery", region, time.Now()); err != nil {
		return loopIntakeResult{}, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return loopIntakeResult{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return loopIntakeResult{}, err
	}
	out := loopIntakeResult{Status: resp.StatusCode, Type: resp.Header.Get("X-Amzn-ErrorType"), Raw: string(raw)}
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(raw, &out); err != nil {
			return out, fmt.Errorf("intake answered 200 with %q: %w", raw, err)
		}
	}
	return out, nil
}

// loopFeeder owns some agents' intake. Only its goroutine touches it while
// the workload runs; the checks read it between rounds.
type loopFeeder struct {
	agents  []int // global agent indices
	next    []int // next report number per agent: the distinct reports generated so far
	pending *agentdata.Batch
}

// batch builds the next batch: per new reports for each agent.
func (f *loopFeeder) batch(base time.Time, per int) *agentdata.Batch {
	b := &agentdata.Batch{}
	for i, n := range f.agents {
		for range per {
			b.Reports = append(b.Reports, loopReport(loopAgentID(n), n, f.next[i], base))
			f.next[i]++
		}
	}
	return b
}

type loopTag struct{ id, key, value string }

// loopExport is an acknowledged export and what its contents must show.
type loopExport struct {
	agent   string // "" for a summary export
	minApps int    // applications acknowledged before it was started
}

// loopRun is the crash loop's record of acknowledged writes.
type loopRun struct {
	t        *testing.T
	url      string
	base     time.Time
	hc       *http.Client
	targets  []loopTarget // the servers: requests go to each in turn
	next     atomic.Uint64
	servers  []string // server ID of agent n
	feeders  []*loopFeeder
	agentOf  map[string]int
	deadline time.Duration // how long an export may stay IN_PROGRESS after a restart

	mu         sync.Mutex
	apps       map[string]map[string]bool // application → acknowledged servers
	appIDs     []string
	tags       map[loopTag]bool
	exports    map[string]loopExport
	zipChecked map[string]bool
	acked      int // acknowledged writes of any kind
	ackedKinds map[string]int
	retried    int // intake batches unanswered at a kill, re-sent after the restart
	resentDup  int // of those, batches the server had stored before the kill (all duplicates)
	violations int
	succeeded  int
	failedKill int // exports FAILED because the server stopped 3 times while building them
	exportSeq  int
}

// loopTarget is a server the workload and the checks send to: the one
// process of TestCrashLoop, or a replica of TestCrashLoopReplicas.
type loopTarget struct {
	url string
	c   *ads.ApplicationDiscoveryService
}

// target is the server of the next request or check: each in turn, as a
// load balancer spreads requests over replicas.
func (r *loopRun) target() loopTarget {
	return r.targets[(r.next.Add(1)-1)%uint64(len(r.targets))]
}

func (r *loopRun) violation(format string, args ...any) {
	r.mu.Lock()
	r.violations++
	r.mu.Unlock()
	r.t.Errorf("crashloop violation: "+format, args...)
}

func (r *loopRun) ack(kind string) {
	r.mu.Lock()
	r.acked++
	r.ackedKinds[kind]++
	r.mu.Unlock()
}

func loopKills(t *testing.T) int {
	t.Helper()
	kills := 5
	if v := os.Getenv("POSEIDON_CRASH_KILLS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("POSEIDON_CRASH_KILLS=%q: want a positive integer", v)
		}
		kills = n
	}
	return kills
}

// TestCrashLoop kill -9s the real binary POSEIDON_CRASH_KILLS times (default
// 5) while exports, intake batches, applications and tags are written from
// several goroutines, and checks the invariants after every restart.
func TestCrashLoop(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the real binary; skipped with -short")
	}
	kills := loopKills(t)
	data := t.TempDir()
	addr := freeAddr(t) // every restart listens on it again
	start := func() *proc {
		return startBinary(t, data, addr, "--no-limits", "--export-delay", "150ms", "--workers", "2")
	}
	p := start()
	hc := loopHTTPClient(16)
	r := newLoopRun(t, hc, []loopTarget{{p.URL, loopADS(t, p.URL, acctA, "x", hc)}})
	r.url = p.URL
	r.seed()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	began := time.Now()
	for kill := 1; kill <= kills; kill++ {
		ctx, cancel := context.WithCancel(context.Background())
		wg := r.workload(ctx, rng)
		time.Sleep(time.Duration(150+rng.IntN(1100)) * time.Millisecond)
		if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		p.cmd.Wait()
		cancel()
		wg.Wait()

		p = start()
		if p.URL != r.url {
			t.Fatalf("restarted on %s, want %s", p.URL, r.url)
		}
		r.check(kill == kills)
		if t.Failed() && r.violations > 20 {
			break
		}
	}
	r.finalExports()
	r.report("crashloop", kills, began)
}

// newLoopRun is a crash loop's record, before the seed, of a workload
// sent to targets.
func newLoopRun(t *testing.T, hc *http.Client, targets []loopTarget) *loopRun {
	r := &loopRun{
		t: t, hc: hc, targets: targets,
		base:     time.Now().Add(-48 * time.Hour).Truncate(time.Second),
		agentOf:  map[string]int{},
		deadline: 90 * time.Second,
		apps:     map[string]map[string]bool{}, tags: map[loopTag]bool{}, exports: map[string]loopExport{},
		zipChecked: map[string]bool{}, ackedKinds: map[string]int{},
	}
	for range loopFeederCount {
		r.feeders = append(r.feeders, &loopFeeder{})
	}
	for n := range loopAgentCount {
		f := r.feeders[n%loopFeederCount]
		f.agents = append(f.agents, n)
		f.next = append(f.next, 0)
		r.agentOf[loopAgentID(n)] = n
	}
	return r
}

// workload starts the workload's goroutines (intake feeders, applications,
// tags, exports), which run until ctx ends; wait for them with the
// returned group.
func (r *loopRun) workload(ctx context.Context, rng *rand.Rand) *sync.WaitGroup {
	var wg sync.WaitGroup
	for _, f := range r.feeders {
		wg.Go(func() { r.feed(ctx, f) })
	}
	rngA, rngT, rngE := rand.New(rand.NewPCG(rng.Uint64(), 1)), rand.New(rand.NewPCG(rng.Uint64(), 2)), rand.New(rand.NewPCG(rng.Uint64(), 3))
	wg.Go(func() { r.applications(ctx, rngA) })
	wg.Go(func() { r.tagging(ctx, rngT) })
	wg.Go(func() { r.exporting(ctx, rngE) })
	return &wg
}

// report prints the loop's figures, each line starting with name.
func (r *loopRun) report(name string, kills int, began time.Time) {
	fmt.Printf("%s: kills=%d acknowledged=%d violations=%d\n", name, kills, r.acked, r.violations)
	fmt.Printf("%s: acknowledged by kind: applications=%d associations=%d tags=%d exports=%d intake-batches=%d; "+
		"intake batches unanswered at a kill and re-sent=%d (already stored before the kill: %d); exports SUCCEEDED=%d FAILED-after-3-interruptions=%d; %s\n",
		name, r.ackedKinds["application"], r.ackedKinds["association"], r.ackedKinds["tags"], r.ackedKinds["export"],
		r.ackedKinds["intake"], r.retried, r.resentDup, r.succeeded, r.failedKill, time.Since(began).Round(time.Millisecond))
	r.t.Logf("%s: kills=%d acknowledged=%d violations=%d", name, kills, r.acked, r.violations)
}

// seed posts every agent's first report and learns the server IDs.
func (r *loopRun) seed() {
	t := r.t
	t.Helper()
	for _, f := range r.feeders {
		b := &agentdata.Batch{}
		for i, n := range f.agents {
			b.Reports = append(b.Reports, loopReport(loopAgentID(n), n, 0, r.base))
			f.next[i] = 1
		}
		res, err := loopPostIntake(context.Background(), r.hc, r.target().url, acctA, "x", b)
		if err != nil || res.Status != 200 || res.Accepted != len(b.Reports) {
			t.Fatalf("seed intake: %v %+v", err, res)
		}
		r.ack("intake")
	}
	r.servers = make([]string, loopAgentCount)
	err := r.target().c.ListConfigurationsPages(&ads.ListConfigurationsInput{ConfigurationType: aws.String("SERVER")},
		func(o *ads.ListConfigurationsOutput, _ bool) bool {
			for _, m := range o.Configurations {
				if n, ok := r.agentOf[aws.StringValue(m["server.agentId"])]; ok {
					r.servers[n] = aws.StringValue(m["server.configurationId"])
				}
			}
			return true
		})
	if err != nil {
		t.Fatal(err)
	}
	for n, s := range r.servers {
		if s == "" {
			t.Fatalf("no server for agent %s", loopAgentID(n))
		}
	}
}

// feed sends intake batches until ctx ends. A batch whose answer was lost
// stays pending and is sent again, unchanged, until it is answered.
func (r *loopRun) feed(ctx context.Context, f *loopFeeder) {
	for ctx.Err() == nil {
		if f.pending == nil {
			f.pending = f.batch(r.base, loopReportsPerRun)
		}
		if !r.send(ctx, f, false) {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// send posts f's pending batch once; true when it was answered (and checked).
func (r *loopRun) send(ctx context.Context, f *loopFeeder, resend bool) bool {
	res, err := loopPostIntake(ctx, r.hc, r.target().url, acctA, "x", f.pending)
	if err != nil {
		return false
	}
	n := len(f.pending.Reports)
	switch {
	case res.Status != 200:
		r.violation("intake batch answered %d %s: %s", res.Status, res.Type, res.Raw)
		return false
	case res.Accepted+res.Duplicates != n || res.Dropped != 0:
		r.violation("intake batch of %d reports: accepted %d, duplicates %d, dropped %d: %s", n, res.Accepted, res.Duplicates, res.Dropped, res.Raw)
	}
	if resend && res.Duplicates == n {
		r.resentDup++
	}
	f.pending = nil
	r.ack("intake")
	return true
}

// flush re-sends, after a restart, the batches whose answer the kill lost.
func (r *loopRun) flush() {
	for _, f := range r.feeders {
		if f.pending != nil {
			r.retried++
		}
		for try := 0; f.pending != nil; try++ {
			if try == 50 {
				r.t.Fatalf("an intake batch was not answered after 50 tries")
			}
			if !r.send(context.Background(), f, true) {
				time.Sleep(100 * time.Millisecond)
			}
		}
	}
}

// applications creates applications and associates servers with them.
func (r *loopRun) applications(ctx context.Context, rng *rand.Rand) {
	for i := 0; ctx.Err() == nil; i++ {
		r.mu.Lock()
		nApps := len(r.appIDs)
		var app string
		if nApps > 0 {
			app = r.appIDs[rng.IntN(nApps)]
		}
		r.mu.Unlock()
		if nApps < loopMaxApps && (app == "" || rng.IntN(2) == 0) {
			out, err := r.target().c.CreateApplicationWithContext(ctx, &ads.CreateApplicationInput{
				Name: aws.String(fmt.Sprintf("crash-app-%d", rng.IntN(1<<30))), Description: aws.String("crash loop")})
			if err != nil {
				r.apiError("CreateApplication", err)
				time.Sleep(20 * time.Millisecond)
				continue
			}
			id := aws.StringValue(out.ConfigurationId)
			r.mu.Lock()
			r.apps[id] = map[string]bool{}
			r.appIDs = append(r.appIDs, id)
			r.mu.Unlock()
			r.ack("application")
			app = id
		}
		var servers []string
		for range 1 + rng.IntN(3) {
			servers = append(servers, r.servers[rng.IntN(len(r.servers))])
		}
		_, err := r.target().c.AssociateConfigurationItemsToApplicationWithContext(ctx, &ads.AssociateConfigurationItemsToApplicationInput{
			ApplicationConfigurationId: aws.String(app), ConfigurationIds: aws.StringSlice(servers)})
		if err != nil {
			r.apiError("AssociateConfigurationItemsToApplication", err)
			time.Sleep(20 * time.Millisecond)
			continue
		}
		r.mu.Lock()
		for _, s := range servers {
			r.apps[app][s] = true
		}
		r.mu.Unlock()
		r.ack("association")
	}
}

// tagging tags servers and applications.
func (r *loopRun) tagging(ctx context.Context, rng *rand.Rand) {
	for ctx.Err() == nil {
		r.mu.Lock()
		var ids []string
		for range 1 + rng.IntN(3) {
			if len(r.appIDs) > 0 && rng.IntN(3) == 0 {
				ids = append(ids, r.appIDs[rng.IntN(len(r.appIDs))])
			} else {
				ids = append(ids, r.servers[rng.IntN(len(r.servers))])
			}
		}
		r.mu.Unlock()
		var tags []*ads.Tag
		for range 1 + rng.IntN(2) {
			tags = append(tags, &ads.Tag{Key: aws.String(fmt.Sprintf("k%d", rng.IntN(loopTagKeys))),
				Value: aws.String(fmt.Sprintf("v%d", rng.IntN(loopTagValues)))})
		}
		if _, err := r.target().c.CreateTagsWithContext(ctx, &ads.CreateTagsInput{ConfigurationIds: aws.StringSlice(ids), Tags: tags}); err != nil {
			r.apiError("CreateTags", err)
			time.Sleep(20 * time.Millisecond)
			continue
		}
		r.mu.Lock()
		for _, id := range ids {
			for _, tg := range tags {
				r.tags[loopTag{id, *tg.Key, *tg.Value}] = true
			}
		}
		r.mu.Unlock()
		r.ack("tags")
		time.Sleep(5 * time.Millisecond)
	}
}

// exporting starts summary and agent exports.
func (r *loopRun) exporting(ctx context.Context, rng *rand.Rand) {
	for ctx.Err() == nil {
		r.mu.Lock()
		minApps := len(r.appIDs)
		r.exportSeq++
		seq := r.exportSeq
		r.mu.Unlock()
		in := &ads.StartExportTaskInput{}
		agent := ""
		if rng.IntN(2) == 0 {
			agent = loopAgentID(rng.IntN(loopAgentCount))
			in.Filters = []*ads.ExportFilter{{Name: aws.String("agentIds"), Values: aws.StringSlice([]string{agent}), Condition: aws.String("EQUALS")}}
			// A window of its own: an agent export with the same window as a
			// SUCCEEDED one is refused.
			in.StartTime = aws.Time(r.base)
			in.EndTime = aws.Time(r.base.Add(time.Duration(3600+seq) * time.Second))
		}
		out, err := r.target().c.StartExportTaskWithContext(ctx, in)
		if err != nil {
			r.apiError("StartExportTask", err)
			time.Sleep(20 * time.Millisecond)
			continue
		}
		r.mu.Lock()
		r.exports[aws.StringValue(out.ExportId)] = loopExport{agent: agent, minApps: minApps}
		r.mu.Unlock()
		r.ack("export")
		time.Sleep(time.Duration(20+rng.IntN(40)) * time.Millisecond)
	}
}

// apiError records an API error of the workload: a transport error (the
// server was killed) is expected, an answered error is a violation.
func (r *loopRun) apiError(op string, err error) {
	var rf awserr.RequestFailure
	// A kill between the status line and the end of the body leaves a 2xx
	// status with an unreadable body: that, too, is an answer lost.
	if errors.As(err, &rf) && rf.StatusCode() >= 300 {
		r.violation("%s answered %d %s: %s", op, rf.StatusCode(), rf.Code(), rf.Message())
	}
}

// check verifies the invariants after a restart (with the workload stopped).
func (r *loopRun) check(final bool) {
	r.flush()
	r.checkIntake()
	r.checkApplications()
	r.checkTags()
	r.checkExports(final)
}

// checkIntake: each agent's outbound connection has one occurrence per
// distinct report sent, and every agent is described.
func (r *loopRun) checkIntake() {
	occ := map[string]string{}
	err := r.target().c.ListConfigurationsPages(&ads.ListConfigurationsInput{ConfigurationType: aws.String("CONNECTION"), MaxResults: aws.Int64(100)},
		func(o *ads.ListConfigurationsOutput, _ bool) bool {
			for _, m := range o.Configurations {
				k := aws.StringValue(m["connection.destinationIp"])
				if _, dup := occ[k]; dup {
					r.violation("connection to %s listed twice", k)
				}
				occ[k] = aws.StringValue(m["connection.occurrence"])
			}
			return true
		})
	if err != nil {
		r.violation("ListConfigurations CONNECTION: %v", err)
		return
	}
	for _, f := range r.feeders {
		for i, n := range f.agents {
			if want := strconv.Itoa(f.next[i]); occ[loopSinkIP(n)] != want {
				r.violation("agent %s: connection occurrence %q after restart, want %s (distinct reports sent)", loopAgentID(n), occ[loopSinkIP(n)], want)
			}
		}
	}
	seen := map[string]bool{}
	err = r.target().c.DescribeAgentsPages(&ads.DescribeAgentsInput{MaxResults: aws.Int64(3)}, func(o *ads.DescribeAgentsOutput, _ bool) bool {
		for _, a := range o.AgentsInfo {
			id := aws.StringValue(a.AgentId)
			if seen[id] {
				r.violation("DescribeAgents listed %s twice", id)
			}
			seen[id] = true
		}
		return true
	})
	if err != nil {
		r.violation("DescribeAgents: %v", err)
	}
	if len(seen) != loopAgentCount {
		r.violation("DescribeAgents lists %d agents, want %d", len(seen), loopAgentCount)
	}
}

// loopMemberships returns application → servers for the given servers
// (ListConfigurations APPLICATION filtered by server.configurationId).
func loopMemberships(c *ads.ApplicationDiscoveryService, servers []string) (map[string]map[string]bool, error) {
	member := map[string]map[string]bool{}
	for _, s := range servers {
		err := c.ListConfigurationsPages(&ads.ListConfigurationsInput{ConfigurationType: aws.String("APPLICATION"), MaxResults: aws.Int64(100),
			Filters: []*ads.Filter{{Name: aws.String("server.configurationId"), Condition: aws.String("EQUALS"), Values: aws.StringSlice([]string{s})}}},
			func(o *ads.ListConfigurationsOutput, _ bool) bool {
				for _, m := range o.Configurations {
					id := aws.StringValue(m["application.configurationId"])
					if member[id] == nil {
						member[id] = map[string]bool{}
					}
					member[id][s] = true
				}
				return true
			})
		if err != nil {
			return nil, fmt.Errorf("ListConfigurations APPLICATION of %s: %w", s, err)
		}
	}
	return member, nil
}

// checkApplications: every acknowledged application exists, with every
// server acknowledged into it (ListConfigurations APPLICATION filtered by
// server.configurationId gives each server's applications).
func (r *loopRun) checkApplications() {
	listed := map[string]int{}
	err := r.target().c.ListConfigurationsPages(&ads.ListConfigurationsInput{ConfigurationType: aws.String("APPLICATION"), MaxResults: aws.Int64(100)},
		func(o *ads.ListConfigurationsOutput, _ bool) bool {
			for _, m := range o.Configurations {
				id := aws.StringValue(m["application.configurationId"])
				if _, dup := listed[id]; dup {
					r.violation("application %s listed twice", id)
				}
				listed[id], _ = strconv.Atoi(aws.StringValue(m["application.serverCount"]))
			}
			return true
		})
	if err != nil {
		r.violation("ListConfigurations APPLICATION: %v", err)
		return
	}
	member, err := loopMemberships(r.target().c, r.servers)
	if err != nil {
		r.violation("%v", err)
		return
	}
	r.mu.Lock()
	apps := map[string][]string{}
	for id, servers := range r.apps {
		apps[id] = slices.Sorted(maps.Keys(servers))
	}
	r.mu.Unlock()
	for id, servers := range apps {
		n, ok := listed[id]
		if !ok {
			r.violation("acknowledged application %s lost", id)
			continue
		}
		for _, s := range servers {
			if !member[id][s] {
				r.violation("acknowledged association of server %s with application %s lost", s, id)
			}
		}
		if n != len(member[id]) {
			r.violation("application %s: serverCount %d, but %d servers list it", id, n, len(member[id]))
		}
	}
}

// checkTags: every acknowledged tag is listed, and no tag twice.
func (r *loopRun) checkTags() {
	got := map[loopTag]bool{}
	err := r.target().c.DescribeTagsPages(&ads.DescribeTagsInput{MaxResults: aws.Int64(100)}, func(o *ads.DescribeTagsOutput, _ bool) bool {
		for _, tg := range o.Tags {
			k := loopTag{aws.StringValue(tg.ConfigurationId), aws.StringValue(tg.Key), aws.StringValue(tg.Value)}
			if got[k] {
				r.violation("tag %v listed twice", k)
			}
			got[k] = true
		}
		return true
	})
	if err != nil {
		r.violation("DescribeTags: %v", err)
		return
	}
	r.mu.Lock()
	var lost []loopTag
	for k := range r.tags {
		if !got[k] {
			lost = append(lost, k)
		}
	}
	r.mu.Unlock()
	for _, k := range lost {
		r.violation("acknowledged tag %v lost", k)
	}
}

// checkExports: every acknowledged export is listed; none stays IN_PROGRESS
// after recovery; every SUCCEEDED one downloads as the zip its task asks for
// (checked once, and all again after the last restart).
func (r *loopRun) checkExports(final bool) {
	deadline := time.Now().Add(r.deadline)
	var infos map[string]*ads.ExportInfo
	for {
		infos = map[string]*ads.ExportInfo{}
		err := r.target().c.DescribeExportTasksPages(&ads.DescribeExportTasksInput{MaxResults: aws.Int64(100)}, func(o *ads.DescribeExportTasksOutput, _ bool) bool {
			for _, i := range o.ExportsInfo {
				id := aws.StringValue(i.ExportId)
				if infos[id] != nil {
					r.violation("export %s listed twice", id)
				}
				infos[id] = i
			}
			return true
		})
		if err != nil {
			r.violation("DescribeExportTasks: %v", err)
			return
		}
		running := 0
		for _, i := range infos {
			if aws.StringValue(i.ExportStatus) == ads.ExportStatusInProgress {
				running++
			}
		}
		if running == 0 {
			break
		}
		if time.Now().After(deadline) {
			r.violation("%d exports still IN_PROGRESS %s after the restart", running, r.deadline)
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	r.mu.Lock()
	acked := maps.Clone(r.exports)
	r.mu.Unlock()
	ids := make([]string, 0, len(acked))
	for id := range acked {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		want := acked[id]
		info := infos[id]
		if info == nil {
			r.violation("acknowledged export %s lost", id)
			continue
		}
		st := aws.StringValue(info.ExportStatus)
		if r.zipChecked[id] && !(final && st == ads.ExportStatusSucceeded) {
			continue
		}
		switch st {
		case ads.ExportStatusSucceeded:
			if !r.zipChecked[id] {
				r.succeeded++
			}
			r.zipChecked[id] = true
			r.checkZip(id, want, aws.StringValue(info.ConfigurationsDownloadUrl))
		case ads.ExportStatusFailed:
			r.zipChecked[id] = true
			if strings.Contains(aws.StringValue(info.StatusMessage), "the server stopped while building this export 3 times") {
				r.failedKill++
			} else {
				r.violation("export %s (agent %q) FAILED: %s", id, want.agent, aws.StringValue(info.StatusMessage))
			}
		}
	}
}

// loopGet downloads a URL.
func (r *loopRun) get(url string) (int, []byte, error) {
	resp, err := r.hc.Get(url)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// loopUnzip reads every member of a zip.
func loopUnzip(b []byte) (map[string]string, error) {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			return nil, err
		}
		body, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		out[f.Name] = string(body)
	}
	return out, nil
}

// loopCSV parses a CSV member: header and data rows.
func loopCSV(s string) ([]string, [][]string, error) {
	rows, err := csv.NewReader(strings.NewReader(s)).ReadAll()
	if err != nil {
		return nil, nil, err
	}
	if len(rows) == 0 {
		return nil, nil, errors.New("no header row")
	}
	return rows[0], rows[1:], nil
}

// checkZip downloads a SUCCEEDED export and checks its members.
func (r *loopRun) checkZip(id string, want loopExport, url string) {
	code, body, err := r.get(url)
	if err != nil || code != 200 {
		r.violation("download of SUCCEEDED export %s: %d %v %.200s", id, code, err, body)
		return
	}
	files, err := loopUnzip(body)
	if err != nil {
		r.violation("export %s is not a valid zip: %v", id, err)
		return
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, strings.TrimPrefix(n, acctA+"_"))
	}
	sort.Strings(names)
	expect := loopSummaryFiles
	if want.agent != "" {
		expect = loopAgentFiles
	}
	if !slices.Equal(names, expect) {
		r.violation("export %s (agent %q) members %v, want %v", id, want.agent, names, expect)
		return
	}
	if want.agent == "" {
		r.checkSummaryZip(id, want, files)
	} else {
		r.checkAgentZip(id, want, files)
	}
}

func (r *loopRun) checkSummaryZip(id string, want loopExport, files map[string]string) {
	rows := map[string][][]string{}
	for _, n := range loopSummaryFiles {
		_, data, err := loopCSV(files[acctA+"_"+n])
		if err != nil {
			r.violation("export %s: %s: %v", id, n, err)
			return
		}
		rows[n] = data
	}
	servers := map[string]bool{}
	for _, row := range rows["Server.csv"] {
		servers[row[0]] = true
	}
	for n, s := range r.servers {
		if !servers[s] {
			r.violation("summary export %s: Server.csv lacks %s (agent %s)", id, s, loopAgentID(n))
		}
	}
	if len(rows["Server.csv"]) != loopAgentCount {
		r.violation("summary export %s: %d Server.csv rows, want %d", id, len(rows["Server.csv"]), loopAgentCount)
	}
	if len(rows["Application.csv"]) < want.minApps {
		r.violation("summary export %s: %d applications, but %d were acknowledged before it started", id, len(rows["Application.csv"]), want.minApps)
	}
}

// sent is the number of distinct reports generated for agent n.
func (r *loopRun) sent(n int) int {
	for _, f := range r.feeders {
		for i, m := range f.agents {
			if m == n {
				return f.next[i]
			}
		}
	}
	return 0
}

// checkAgentZip: every row belongs to the agent, osInfo has one row per
// report (no timestamp twice), never more than the reports sent.
func (r *loopRun) checkAgentZip(id string, want loopExport, files map[string]string) {
	for _, n := range loopAgentFiles {
		if n == "results.json" {
			continue
		}
		_, data, err := loopCSV(files[acctA+"_"+n])
		if err != nil {
			r.violation("agent export %s: %s: %v", id, n, err)
			return
		}
		for _, row := range data {
			if len(row) < 2 || row[0] != acctA || row[1] != want.agent {
				r.violation("agent export %s of %s: %s row %v belongs to another agent", id, want.agent, n, row)
				return
			}
		}
		if n == "osInfo.csv" {
			seen := map[string]bool{}
			for _, row := range data {
				ts := row[len(row)-1]
				if seen[ts] {
					r.violation("agent export %s of %s: osInfo.csv has two reports at %s (duplicate intake)", id, want.agent, ts)
					return
				}
				seen[ts] = true
			}
			if sent := r.sent(r.agentOf[want.agent]); len(data) > sent {
				r.violation("agent export %s of %s: %d reports, but only %d were sent", id, want.agent, len(data), sent)
			}
		}
	}
	var res struct {
		CustomerAccount  string
		ExportID         string `json:"ExportId"`
		ExportStatus     string
		RequestedFilters []struct {
			Name   string
			Values []string
		}
	}
	if err := json.Unmarshal([]byte(files[acctA+"_results.json"]), &res); err != nil {
		r.violation("agent export %s: results.json: %v", id, err)
		return
	}
	if res.CustomerAccount != acctA || res.ExportID != id || res.ExportStatus != "SUCCEEDED" ||
		len(res.RequestedFilters) != 1 || !slices.Equal(res.RequestedFilters[0].Values, []string{want.agent}) {
		r.violation("agent export %s of %s: results.json %s", id, want.agent, files[acctA+"_results.json"])
	}
}

// finalExports exports every agent's whole window after the last restart:
// osInfo.csv must hold exactly one row per distinct report sent.
func (r *loopRun) finalExports() {
	ids := map[string]int{}
	for n := range loopAgentCount {
		sent := r.sent(n)
		out, err := r.target().c.StartExportTask(&ads.StartExportTaskInput{
			Filters:   []*ads.ExportFilter{{Name: aws.String("agentIds"), Values: aws.StringSlice([]string{loopAgentID(n)}), Condition: aws.String("EQUALS")}},
			StartTime: aws.Time(r.base.Add(-time.Second)), // a window no workload export used
			EndTime:   aws.Time(r.base.Add(time.Duration(sent) * time.Second)),
		})
		if err != nil {
			r.violation("final StartExportTask of %s: %v", loopAgentID(n), err)
			continue
		}
		ids[aws.StringValue(out.ExportId)] = n
	}
	for id, n := range ids {
		deadline := time.Now().Add(r.deadline)
		var info *ads.ExportInfo
		for {
			out, err := r.target().c.DescribeExportTasks(&ads.DescribeExportTasksInput{ExportIds: aws.StringSlice([]string{id})})
			if err != nil || len(out.ExportsInfo) != 1 {
				r.violation("final DescribeExportTasks %s: %v", id, err)
				return
			}
			info = out.ExportsInfo[0]
			if aws.StringValue(info.ExportStatus) != ads.ExportStatusInProgress || time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if aws.StringValue(info.ExportStatus) != ads.ExportStatusSucceeded {
			r.violation("final export %s of %s: %s %s", id, loopAgentID(n), aws.StringValue(info.ExportStatus), aws.StringValue(info.StatusMessage))
			continue
		}
		code, body, err := r.get(aws.StringValue(info.ConfigurationsDownloadUrl))
		if err != nil || code != 200 {
			r.violation("final export %s: download %d %v", id, code, err)
			continue
		}
		files, err := loopUnzip(body)
		if err != nil {
			r.violation("final export %s: %v", id, err)
			continue
		}
		r.checkAgentZip(id, loopExport{agent: loopAgentID(n)}, files)
		_, rows, _ := loopCSV(files[acctA+"_osInfo.csv"])
		_, perf, _ := loopCSV(files[acctA+"_systemPerformance.csv"])
		if sent := r.sent(n); len(rows) != sent || len(perf) != sent {
			r.violation("final export of %s: %d osInfo rows and %d systemPerformance rows, want %d (distinct reports sent)",
				loopAgentID(n), len(rows), len(perf), sent)
		}
	}
}
