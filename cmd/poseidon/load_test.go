package main

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	ads "github.com/aws/aws-sdk-go/service/applicationdiscoveryservice"
)

// The load test (issue 7, item 2) runs 64 SigV4-signing aws-sdk-go v1
// clients against the real binary in strict mode for a while, then checks
// that no request failed on the server's side, no acknowledged write was
// lost and no pagination saw an item twice or missed one, and that the
// server's memory stayed bounded.

const (
	loadClients        = 64
	loadAccountCount   = 8
	loadAgentsPerCl    = 2
	loadReportsPerRun  = 5
	loadPagers         = 4       // clients that page through lists while the others write
	loadMaxApps        = 950     // below the 1,000 applications per account limit
	loadRSSBound       = 1 << 30 // RSS after the run must stay below 1 GiB
	loadTargetPrefixOp = "AWSPoseidonService_V2015_11_01."
)

// loadWriteOps are the operations of the mix that write (intake is the
// agents' POST); the others read.
var loadWriteOps = map[string]bool{"CreateApplication": true, "AssociateConfigurationItemsToApplication": true,
	"CreateTags": true, "StartExportTask": true, "intake": true}

// loadAccount is one strict-mode identity and what was acknowledged for it.
type loadAccount struct {
	id, key, secret string
	servers         []string // its servers, known after the seed

	mu      sync.Mutex
	apps    map[string]map[string]bool // application → acknowledged servers
	appIDs  []string
	tags    map[loopTag]bool
	tagIDs  []string // configuration IDs that can be tagged
	exports map[string]bool
}

// loadStats is one client's record of its requests.
type loadStats struct {
	lat       map[string][]time.Duration // by operation
	status    map[int]int
	codes     map[string]int // error codes (X-Amzn-ErrorType) of non-2xx answers
	transport int            // requests without an answer
	transErrs []string
}

func newLoadStats() *loadStats {
	return &loadStats{lat: map[string][]time.Duration{}, status: map[int]int{}, codes: map[string]int{}}
}

// loadTransport measures every request of one client (used from its
// goroutine only).
type loadTransport struct {
	next http.RoundTripper
	st   *loadStats
}

func (lt *loadTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	op, ok := strings.CutPrefix(req.Header.Get("X-Amz-Target"), loadTargetPrefixOp)
	if !ok {
		op = "intake"
	}
	t0 := time.Now()
	resp, err := lt.next.RoundTrip(req)
	d := time.Since(t0)
	if err != nil {
		lt.st.transport++
		if len(lt.st.transErrs) < 5 {
			lt.st.transErrs = append(lt.st.transErrs, op+": "+err.Error())
		}
		return resp, err
	}
	lt.st.lat[op] = append(lt.st.lat[op], d)
	lt.st.status[resp.StatusCode]++
	if resp.StatusCode >= 300 {
		code := resp.Header.Get("X-Amzn-ErrorType")
		if code == "" {
			code = "(none)"
		}
		lt.st.codes[code]++
	}
	return resp, nil
}

// loadFigures are the outcome counters shared by all clients.
type loadFigures struct {
	lost, anomalies, passes, pages                       atomic.Int64
	apps, assocs, tags, exports, batches, reports, other atomic.Int64
	mu                                                   sync.Mutex
	problems                                             []string
}

func (f *loadFigures) problem(counter *atomic.Int64, format string, args ...any) {
	counter.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.problems) < 30 {
		f.problems = append(f.problems, fmt.Sprintf(format, args...))
	}
}

func loadDuration(t *testing.T) time.Duration {
	t.Helper()
	if v := os.Getenv("POSEIDON_LOAD_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			t.Fatalf("POSEIDON_LOAD_DURATION=%q: want a positive duration like 30s", v)
		}
		return d
	}
	if os.Getenv("CI") == "true" {
		return 30 * time.Second
	}
	return 5 * time.Second
}

// loadRSS reads VmRSS and VmHWM (bytes) of a process.
func loadRSS(pid int) (rss, hwm int64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		n, _ := strconv.ParseInt(f[0], 10, 64)
		switch k {
		case "VmRSS":
			rss = n << 10
		case "VmHWM":
			hwm = n << 10
		}
	}
	return rss, hwm
}

func loadMiB(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// loadWriteCredentials writes a credentials file with loadAccountCount
// full-access identities and returns them and the file.
func loadWriteCredentials(t *testing.T) ([]*loadAccount, string) {
	t.Helper()
	var accts []*loadAccount
	var ids []string
	for i := range loadAccountCount {
		a := &loadAccount{id: fmt.Sprintf("3000000000%02d", i), key: fmt.Sprintf("AKIALOAD%012d", i), secret: fmt.Sprintf("load-secret-%d", i),
			apps: map[string]map[string]bool{}, tags: map[loopTag]bool{}, exports: map[string]bool{}}
		accts = append(accts, a)
		ids = append(ids, fmt.Sprintf(`{"accessKeyId":%q,"secretAccessKey":%q,"accountId":%q}`, a.key, a.secret, a.id))
	}
	p := filepath.Join(t.TempDir(), "credentials.json")
	if err := os.WriteFile(p, []byte(`{"identities":[`+strings.Join(ids, ",")+`]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	return accts, p
}

// loadClient is one of the 64 clients.
type loadClient struct {
	n    int
	url  string
	acct *loadAccount
	c    *ads.ApplicationDiscoveryService
	hc   *http.Client
	st   *loadStats
	feed *loopFeeder
	rng  *rand.Rand
}

// TestLoad runs 64 concurrent signing clients against the real binary in
// strict mode for POSEIDON_LOAD_DURATION (default 5s, 30s with CI=true).
func TestLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary under load; skipped with -short")
	}
	dur := loadDuration(t)
	accts, creds := loadWriteCredentials(t)
	p := startBinary(t, t.TempDir(), "127.0.0.1:0", "--credentials", creds, "--no-limits", "--workers", "2")
	pid := p.cmd.Process.Pid
	base := time.Now().Add(-48 * time.Hour).Truncate(time.Second)

	shared := &http.Transport{MaxIdleConns: loadClients * 2, MaxIdleConnsPerHost: loadClients * 2, IdleConnTimeout: time.Minute}
	var clients []*loadClient
	for i := range loadClients {
		a := accts[i%loadAccountCount]
		st := newLoadStats()
		hc := &http.Client{Timeout: 60 * time.Second, Transport: &loadTransport{next: shared, st: st}}
		f := &loopFeeder{}
		for j := range loadAgentsPerCl {
			f.agents = append(f.agents, 1000+i*loadAgentsPerCl+j)
			f.next = append(f.next, 0)
		}
		clients = append(clients, &loadClient{n: i, url: p.URL, acct: a, c: loopADS(t, p.URL, a.key, a.secret, hc), hc: hc, st: st, feed: f,
			rng: rand.New(rand.NewPCG(uint64(i), uint64(time.Now().UnixNano())))})
	}

	// Seed: every client's agents report once; then each account's servers.
	verifyHC := loopHTTPClient(8)
	figs := &loadFigures{}
	for _, cl := range clients {
		cl.feed.pending = cl.feed.batch(base, 1)
		if !cl.intake(context.Background(), base, figs) {
			t.Fatalf("seed intake of client %d failed", cl.n)
		}
	}
	for _, a := range accts {
		c := loopADS(t, p.URL, a.key, a.secret, verifyHC)
		err := c.ListConfigurationsPages(&ads.ListConfigurationsInput{ConfigurationType: aws.String("SERVER")}, func(o *ads.ListConfigurationsOutput, _ bool) bool {
			for _, m := range o.Configurations {
				a.servers = append(a.servers, aws.StringValue(m["server.configurationId"]))
			}
			return true
		})
		if err != nil {
			t.Fatal(err)
		}
		if want := loadClients / loadAccountCount * loadAgentsPerCl; len(a.servers) != want {
			t.Fatalf("account %s has %d servers after the seed, want %d", a.id, len(a.servers), want)
		}
		a.tagIDs = slices.Clone(a.servers)
	}
	for _, cl := range clients {
		*cl.st = *newLoadStats() // the figures cover the run, not the seed
	}
	figs.batches.Store(0)
	figs.reports.Store(0)

	rssBefore, _ := loadRSS(pid)
	var rssPeak atomic.Int64
	rssPeak.Store(rssBefore)
	samplerDone := make(chan struct{})
	stopSampler := make(chan struct{})
	go func() {
		defer close(samplerDone)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stopSampler:
				return
			case <-tick.C:
				if rss, _ := loadRSS(pid); rss > rssPeak.Load() {
					rssPeak.Store(rss)
				}
			}
		}
	}()

	var exportSeq atomic.Int64
	// ctx only tells the clients when to stop: a request in flight at the
	// end runs to its answer, so that it is measured and nothing is cut off.
	ctx, cancel := context.WithTimeout(context.Background(), dur)
	began := time.Now()
	var wg sync.WaitGroup
	for _, cl := range clients {
		wg.Go(func() {
			if cl.n < loadPagers {
				cl.page(ctx, figs)
			} else {
				cl.work(ctx, base, &exportSeq, figs)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(began)
	cancel()

	verifyStart := time.Now()
	// Batches whose answer was lost are sent again before counting.
	for _, cl := range clients {
		for try := 0; cl.feed.pending != nil; try++ {
			if try == 20 {
				t.Fatalf("client %d: an intake batch was not answered after 20 tries", cl.n)
			}
			cl.intake(context.Background(), base, figs)
		}
	}
	for _, a := range accts {
		loadVerify(t, loopADS(t, p.URL, a.key, a.secret, verifyHC), a, clients, figs)
	}
	verifyTime := time.Since(verifyStart)
	close(stopSampler)
	<-samplerDone
	rssAfter, hwm := loadRSS(pid)

	// Figures.
	all := map[string][]time.Duration{}
	status := map[int]int{}
	codes := map[string]int{}
	transport := 0
	var transErrs []string
	for _, cl := range clients {
		for op, ds := range cl.st.lat {
			all[op] = append(all[op], ds...)
		}
		for k, v := range cl.st.status {
			status[k] += v
		}
		for k, v := range cl.st.codes {
			codes[k] += v
		}
		transport += cl.st.transport
		transErrs = append(transErrs, cl.st.transErrs...)
	}
	var every []time.Duration
	for _, ds := range all {
		every = append(every, ds...)
	}
	fivexx := 0
	for s, n := range status {
		if s >= 500 {
			fivexx += n
		}
	}
	pct := func(ds []time.Duration, q float64) time.Duration {
		if len(ds) == 0 {
			return 0
		}
		slices.Sort(ds)
		return ds[min(len(ds)-1, int(q*float64(len(ds))))].Round(10 * time.Microsecond)
	}
	fmt.Printf("load: clients=%d accounts=%d duration=%s requests=%d throughput=%.0f req/s p50=%s p99=%s\n",
		loadClients, loadAccountCount, elapsed.Round(time.Millisecond), len(every), float64(len(every))/elapsed.Seconds(), pct(every, 0.50), pct(every, 0.99))
	fmt.Printf("load: 5xx=%d transport-errors=%d lost-writes=%d pagination-anomalies=%d (pagination passes=%d pages=%d)\n",
		fivexx, transport, figs.lost.Load(), figs.anomalies.Load(), figs.passes.Load(), figs.pages.Load())
	fmt.Printf("load: status %s\n", loadFormat(status))
	fmt.Printf("load: errors by code %s\n", loadFormat(codes))
	fmt.Printf("load: acknowledged writes: applications=%d associations=%d tags=%d exports=%d intake-batches=%d (reports=%d)\n",
		figs.apps.Load(), figs.assocs.Load(), figs.tags.Load(), figs.exports.Load(), figs.batches.Load(), figs.reports.Load())
	fmt.Printf("load: verification after the run took %s\n", verifyTime.Round(time.Millisecond))
	fmt.Printf("load: server RSS before=%s peak=%s after=%s (VmHWM %s)\n", loadMiB(rssBefore), loadMiB(rssPeak.Load()), loadMiB(rssAfter), loadMiB(hwm))
	ops := slices.Sorted(maps.Keys(all))
	var writes, reads []time.Duration
	for _, op := range ops {
		fmt.Printf("load:   %-40s %7d  p50=%-10s p99=%s\n", op, len(all[op]), pct(all[op], 0.5), pct(all[op], 0.99))
		if loadWriteOps[op] {
			writes = append(writes, all[op]...)
		} else {
			reads = append(reads, all[op]...)
		}
	}
	fmt.Printf("load: writes %d (%.0f/s) p50=%s p99=%s; reads %d (%.0f/s) p50=%s p99=%s\n",
		len(writes), float64(len(writes))/elapsed.Seconds(), pct(writes, 0.5), pct(writes, 0.99),
		len(reads), float64(len(reads))/elapsed.Seconds(), pct(reads, 0.5), pct(reads, 0.99))

	for _, p := range figs.problems {
		t.Error(p)
	}
	if fivexx > 0 {
		t.Errorf("%d answers were 5xx", fivexx)
	}
	if transport > 0 {
		t.Errorf("%d requests got no answer: %v", transport, transErrs)
	}
	for _, code := range []string{"InvalidSignatureException", "IncompleteSignatureException", "UnrecognizedClientException",
		"MissingAuthenticationTokenException", "SerializationException", "ServerInternalErrorException"} {
		if codes[code] > 0 {
			t.Errorf("%d properly signed, well-formed requests were refused with %s", codes[code], code)
		}
	}
	if figs.lost.Load() > 0 || figs.anomalies.Load() > 0 {
		t.Errorf("%d lost writes, %d pagination anomalies", figs.lost.Load(), figs.anomalies.Load())
	}
	if figs.passes.Load() == 0 {
		t.Error("no pagination pass completed")
	}
	if rssAfter > loadRSSBound {
		t.Errorf("server RSS after the run is %s, over the %s bound", loadMiB(rssAfter), loadMiB(loadRSSBound))
	}
}

func loadFormat[K comparable](m map[K]int) string {
	keys := make([]string, 0, len(m))
	vals := map[string]int{}
	for k, v := range m {
		s := fmt.Sprint(k)
		keys = append(keys, s)
		vals[s] = v
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%d ", k, vals[k])
	}
	if b.Len() == 0 {
		return "(none)"
	}
	return strings.TrimSpace(b.String())
}

// intake sends the client's pending batch; true when it was acknowledged.
func (cl *loadClient) intake(ctx context.Context, base time.Time, figs *loadFigures) bool {
	res, err := loopPostIntake(ctx, cl.hc, cl.url, cl.acct.key, cl.acct.secret, cl.feed.pending)
	if err != nil || res.Status != 200 {
		return false
	}
	n := len(cl.feed.pending.Reports)
	if res.Accepted+res.Duplicates != n || res.Dropped != 0 {
		figs.problem(&figs.other, "client %d: intake batch of %d reports: accepted %d duplicates %d dropped %d", cl.n, n, res.Accepted, res.Duplicates, res.Dropped)
	}
	cl.feed.pending = nil
	figs.batches.Add(1)
	figs.reports.Add(int64(n))
	return true
}

// work runs the write-and-read mix until ctx ends.
func (cl *loadClient) work(stop context.Context, base time.Time, exportSeq *atomic.Int64, figs *loadFigures) {
	a, rng := cl.acct, cl.rng
	ctx := context.Background()
	pick := func(s []string) string { return s[rng.IntN(len(s))] }
	for stop.Err() == nil {
		a.mu.Lock()
		appIDs := slices.Clone(a.appIDs)
		tagIDs := slices.Clone(a.tagIDs)
		a.mu.Unlock()
		switch w := rng.IntN(100); {
		case w < 8: // reads of agents and servers, with pagination
			out, err := cl.c.DescribeAgentsWithContext(ctx, &ads.DescribeAgentsInput{MaxResults: aws.Int64(5)})
			if err == nil && out.NextToken != nil {
				cl.c.DescribeAgentsWithContext(ctx, &ads.DescribeAgentsInput{MaxResults: aws.Int64(5), NextToken: out.NextToken})
			}
		case w < 16:
			in := &ads.ListConfigurationsInput{ConfigurationType: aws.String("SERVER"), MaxResults: aws.Int64(4)}
			for range 3 {
				out, err := cl.c.ListConfigurationsWithContext(ctx, in)
				if err != nil || out.NextToken == nil {
					break
				}
				in.NextToken = out.NextToken
			}
		case w < 21:
			cl.c.DescribeConfigurationsWithContext(ctx, &ads.DescribeConfigurationsInput{ConfigurationIds: aws.StringSlice([]string{pick(a.servers), pick(a.servers)})})
		case w < 25:
			cl.c.GetDiscoverySummaryWithContext(ctx, &ads.GetDiscoverySummaryInput{})
		case w < 31: // CreateApplication
			if len(appIDs) >= loadMaxApps {
				continue
			}
			out, err := cl.c.CreateApplicationWithContext(ctx, &ads.CreateApplicationInput{Name: aws.String(fmt.Sprintf("load-%d-%d", cl.n, rng.IntN(1<<30)))})
			if err != nil {
				continue
			}
			id := aws.StringValue(out.ConfigurationId)
			a.mu.Lock()
			a.apps[id] = map[string]bool{}
			a.appIDs = append(a.appIDs, id)
			a.tagIDs = append(a.tagIDs, id)
			a.mu.Unlock()
			figs.apps.Add(1)
		case w < 39: // Associate
			if len(appIDs) == 0 {
				continue
			}
			app := pick(appIDs)
			servers := []string{pick(a.servers)}
			if rng.IntN(2) == 0 {
				servers = append(servers, pick(a.servers))
			}
			_, err := cl.c.AssociateConfigurationItemsToApplicationWithContext(ctx, &ads.AssociateConfigurationItemsToApplicationInput{
				ApplicationConfigurationId: aws.String(app), ConfigurationIds: aws.StringSlice(servers)})
			if err != nil {
				continue
			}
			a.mu.Lock()
			for _, s := range servers {
				a.apps[app][s] = true
			}
			a.mu.Unlock()
			figs.assocs.Add(1)
		case w < 51: // CreateTags
			ids := []string{pick(tagIDs)}
			if rng.IntN(2) == 0 {
				ids = append(ids, pick(tagIDs))
			}
			tag := &ads.Tag{Key: aws.String(fmt.Sprintf("k%d", rng.IntN(loopTagKeys))), Value: aws.String(fmt.Sprintf("v%d", rng.IntN(loopTagValues)))}
			if _, err := cl.c.CreateTagsWithContext(ctx, &ads.CreateTagsInput{ConfigurationIds: aws.StringSlice(ids), Tags: []*ads.Tag{tag}}); err != nil {
				continue
			}
			a.mu.Lock()
			for _, id := range ids {
				a.tags[loopTag{id, *tag.Key, *tag.Value}] = true
			}
			a.mu.Unlock()
			figs.tags.Add(1)
		case w < 61: // DescribeTags of one item, or by key
			in := &ads.DescribeTagsInput{MaxResults: aws.Int64(20), Filters: []*ads.TagFilter{{Name: aws.String("configurationId"), Values: aws.StringSlice([]string{pick(tagIDs)})}}}
			if rng.IntN(2) == 0 {
				in.Filters = []*ads.TagFilter{{Name: aws.String("tagKey"), Values: aws.StringSlice([]string{fmt.Sprintf("k%d", rng.IntN(loopTagKeys))})}}
			}
			cl.c.DescribeTagsWithContext(ctx, in)
		case w < 66: // StartExportTask: summary, sometimes one of its own agents
			in := &ads.StartExportTaskInput{}
			if rng.IntN(5) == 0 {
				agent := loopAgentID(pick2(rng, cl.feed.agents))
				in.Filters = []*ads.ExportFilter{{Name: aws.String("agentIds"), Values: aws.StringSlice([]string{agent}), Condition: aws.String("EQUALS")}}
				in.StartTime = aws.Time(base)
				in.EndTime = aws.Time(base.Add(time.Duration(3600+exportSeq.Add(1)) * time.Second))
			}
			out, err := cl.c.StartExportTaskWithContext(ctx, in)
			if err != nil {
				continue
			}
			a.mu.Lock()
			a.exports[aws.StringValue(out.ExportId)] = true
			a.mu.Unlock()
			figs.exports.Add(1)
		case w < 75:
			cl.c.DescribeExportTasksWithContext(ctx, &ads.DescribeExportTasksInput{MaxResults: aws.Int64(20)})
		default: // intake batch
			if cl.feed.pending == nil {
				cl.feed.pending = cl.feed.batch(base, loadReportsPerRun)
			}
			cl.intake(ctx, base, figs)
		}
	}
}

func pick2(rng *rand.Rand, s []int) int { return s[rng.IntN(len(s))] }

// page pages through lists of its account while the other clients write:
// no item may appear twice, the order must hold across pages, and every item
// acknowledged before the pass began must appear (nothing is deleted).
func (cl *loadClient) page(stop context.Context, figs *loadFigures) {
	a := cl.acct
	ctx := context.Background()
	for i := 0; stop.Err() == nil; i++ {
		size := aws.Int64(int64(5 + cl.rng.IntN(40)))
		pause := func() { time.Sleep(time.Duration(cl.rng.IntN(8)) * time.Millisecond) }
		var ok bool
		switch i % 3 {
		case 0: // DescribeTags, ordered by (configurationId, key, value)
			a.mu.Lock()
			before := maps.Clone(a.tags)
			a.mu.Unlock()
			seen := map[loopTag]bool{}
			var last *loopTag
			ok = loadPages(stop, func(tok *string) (*string, error) {
				out, err := cl.c.DescribeTagsWithContext(ctx, &ads.DescribeTagsInput{MaxResults: size, NextToken: tok})
				if err != nil {
					return nil, err
				}
				figs.pages.Add(1)
				for _, tg := range out.Tags {
					k := loopTag{aws.StringValue(tg.ConfigurationId), aws.StringValue(tg.Key), aws.StringValue(tg.Value)}
					if seen[k] {
						figs.problem(&figs.anomalies, "DescribeTags pagination: %v seen twice", k)
					}
					if last != nil && !loadTagLess(*last, k) {
						figs.problem(&figs.anomalies, "DescribeTags pagination: %v after %v", k, *last)
					}
					seen[k], last = true, &k
				}
				pause()
				return out.NextToken, nil
			})
			if ok {
				for k := range before {
					if !seen[k] {
						figs.problem(&figs.anomalies, "DescribeTags pagination missed %v, acknowledged before the pass", k)
					}
				}
			}
		case 1: // ListConfigurations APPLICATION, ordered by configuration ID
			a.mu.Lock()
			before := slices.Clone(a.appIDs)
			a.mu.Unlock()
			seen := map[string]bool{}
			last := ""
			ok = loadPages(stop, func(tok *string) (*string, error) {
				out, err := cl.c.ListConfigurationsWithContext(ctx, &ads.ListConfigurationsInput{ConfigurationType: aws.String("APPLICATION"), MaxResults: size, NextToken: tok})
				if err != nil {
					return nil, err
				}
				figs.pages.Add(1)
				for _, m := range out.Configurations {
					id := aws.StringValue(m["application.configurationId"])
					if seen[id] {
						figs.problem(&figs.anomalies, "ListConfigurations APPLICATION pagination: %s seen twice", id)
					}
					if id <= last {
						figs.problem(&figs.anomalies, "ListConfigurations APPLICATION pagination: %s after %s", id, last)
					}
					seen[id], last = true, id
				}
				pause()
				return out.NextToken, nil
			})
			if ok {
				for _, id := range before {
					if !seen[id] {
						figs.problem(&figs.anomalies, "ListConfigurations APPLICATION pagination missed %s, acknowledged before the pass", id)
					}
				}
			}
		case 2: // DescribeExportTasks, newest first
			a.mu.Lock()
			before := maps.Clone(a.exports)
			a.mu.Unlock()
			seen := map[string]bool{}
			var lastT time.Time
			lastID := ""
			ok = loadPages(stop, func(tok *string) (*string, error) {
				out, err := cl.c.DescribeExportTasksWithContext(ctx, &ads.DescribeExportTasksInput{MaxResults: size, NextToken: tok})
				if err != nil {
					return nil, err
				}
				figs.pages.Add(1)
				for _, e := range out.ExportsInfo {
					id, at := aws.StringValue(e.ExportId), aws.TimeValue(e.ExportRequestTime)
					if seen[id] {
						figs.problem(&figs.anomalies, "DescribeExportTasks pagination: %s seen twice", id)
					}
					if lastID != "" && (at.After(lastT) || at.Equal(lastT) && id >= lastID) {
						figs.problem(&figs.anomalies, "DescribeExportTasks pagination: %s (%s) after %s (%s)", id, at, lastID, lastT)
					}
					seen[id], lastT, lastID = true, at, id
				}
				pause()
				return out.NextToken, nil
			})
			if ok {
				for id := range before {
					if !seen[id] {
						figs.problem(&figs.anomalies, "DescribeExportTasks pagination missed %s, acknowledged before the pass", id)
					}
				}
			}
		}
		if ok {
			figs.passes.Add(1)
		}
	}
}

// loadPages calls page with each next token until the last page; false if
// a call failed or ctx ended first (the pass then proves nothing).
func loadPages(ctx context.Context, page func(*string) (*string, error)) bool {
	var tok *string
	for {
		next, err := page(tok)
		if err != nil {
			return false
		}
		if next == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		tok = next
	}
}

func loadTagLess(a, b loopTag) bool {
	if a.id != b.id {
		return a.id < b.id
	}
	if a.key != b.key {
		return a.key < b.key
	}
	return a.value < b.value
}

// loadVerify checks that every write acknowledged for an account is
// readable after the run.
func loadVerify(t *testing.T, c *ads.ApplicationDiscoveryService, a *loadAccount, clients []*loadClient, figs *loadFigures) {
	t.Helper()
	lost := func(format string, args ...any) {
		figs.problem(&figs.lost, "account %s: "+format, append([]any{a.id}, args...)...)
	}
	fail := func(what string, err error) { t.Errorf("verify %s of account %s: %v", what, a.id, err) }
	// Applications and their servers.
	listed := map[string]bool{}
	if err := c.ListConfigurationsPages(&ads.ListConfigurationsInput{ConfigurationType: aws.String("APPLICATION"), MaxResults: aws.Int64(100)},
		func(o *ads.ListConfigurationsOutput, _ bool) bool {
			for _, m := range o.Configurations {
				listed[aws.StringValue(m["application.configurationId"])] = true
			}
			return true
		}); err != nil {
		fail("applications", err)
		return
	}
	member, err := loopMemberships(c, a.servers)
	if err != nil {
		fail("applications", err)
		return
	}
	for id, servers := range a.apps {
		if !listed[id] {
			lost("application %s", id)
		}
		for s := range servers {
			if !member[id][s] {
				lost("association of %s with %s", s, id)
			}
		}
	}
	// Tags.
	tags := map[loopTag]bool{}
	if err := c.DescribeTagsPages(&ads.DescribeTagsInput{MaxResults: aws.Int64(100)}, func(o *ads.DescribeTagsOutput, _ bool) bool {
		for _, tg := range o.Tags {
			tags[loopTag{aws.StringValue(tg.ConfigurationId), aws.StringValue(tg.Key), aws.StringValue(tg.Value)}] = true
		}
		return true
	}); err != nil {
		fail("tags", err)
		return
	}
	for k := range a.tags {
		if !tags[k] {
			lost("tag %v", k)
		}
	}
	// Exports.
	exports := map[string]bool{}
	if err := c.DescribeExportTasksPages(&ads.DescribeExportTasksInput{MaxResults: aws.Int64(100)}, func(o *ads.DescribeExportTasksOutput, _ bool) bool {
		for _, e := range o.ExportsInfo {
			exports[aws.StringValue(e.ExportId)] = true
		}
		return true
	}); err != nil {
		fail("exports", err)
		return
	}
	for id := range a.exports {
		if !exports[id] {
			lost("export %s", id)
		}
	}
	// Intake: one connection occurrence per distinct report of each agent.
	occ := map[string]string{}
	if err := c.ListConfigurationsPages(&ads.ListConfigurationsInput{ConfigurationType: aws.String("CONNECTION"), MaxResults: aws.Int64(100)},
		func(o *ads.ListConfigurationsOutput, _ bool) bool {
			for _, m := range o.Configurations {
				occ[aws.StringValue(m["connection.destinationIp"])] = aws.StringValue(m["connection.occurrence"])
			}
			return true
		}); err != nil {
		fail("connections", err)
		return
	}
	for _, cl := range clients {
		if cl.acct != a {
			continue
		}
		for i, n := range cl.feed.agents {
			if want := strconv.Itoa(cl.feed.next[i]); occ[loopSinkIP(n)] != want {
				lost("agent %s: %q reports counted, want %s", loopAgentID(n), occ[loopSinkIP(n)], want)
			}
		}
	}
}
