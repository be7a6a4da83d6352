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
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alecthomas/kong"
	"github.com/poseidon-ads/poseidon/internal/adsapi"
	"github.com/poseidon-ads/poseidon/internal/agentdata"
	"github.com/poseidon-ads/poseidon/internal/conformance"
	"github.com/poseidon-ads/poseidon/internal/launch"
	"github.com/poseidon-ads/poseidon/internal/mghapi"
)

// slowFuzzTimeout bounds each fuzzed request through its context; a
// handler still running slowFuzzGrace after that counts as a hang.
const (
	slowFuzzTimeout = 10 * time.Second
	slowFuzzGrace   = 20 * time.Second
)

// slowFuzzTargets lists every operation's X-Amz-Target in a fixed order
// (ADS, then Migration Hub Config), so that a corpus entry's op index
// always names the same operation.
func slowFuzzTargets() []string {
	var out []string
	for name := range adsapi.Operations {
		out = append(out, adsapi.TargetPrefix+"."+name)
	}
	slices.Sort(out)
	var mgh []string
	for name := range mghapi.Operations {
		mgh = append(mgh, mghapi.TargetPrefix+"."+name)
	}
	slices.Sort(mgh)
	return append(out, mgh...)
}

// slowFuzzHandler assembles a real server exactly as "poseidon serve" does
// (flag defaults, the test store (storeArgs) on a temp dir, background workers running)
// and returns its handler, with account acctA holding a few agents, an
// application and tags, and an import file in a bucket.
func slowFuzzHandler(f *testing.F, log *slog.Logger) http.Handler {
	dir := f.TempDir()
	var c cli
	parser, err := newParser(&c, kong.Exit(func(int) { f.Fatal("flag parsing exited") }))
	if err != nil {
		f.Fatal(err)
	}
	if _, err := parser.Parse(storeArgs(f, dir, []string{"serve", "--data", dir, "--workers", "1"})); err != nil {
		f.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	cfg := c.Serve.config()
	a, err := launch.New(ctx, &cfg, log)
	if err != nil {
		stop()
		f.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, run := range a.Work {
		wg.Go(func() { run(ctx) })
	}
	f.Cleanup(func() {
		stop()
		wg.Wait()
		a.Close()
	})
	a.Server.SetPublicURL("http://127.0.0.1:8470")
	a.Server.Ready()

	bucket := filepath.Join(dir, "buckets", "poseidon-fuzz")
	if err := os.MkdirAll(bucket, 0o755); err != nil {
		f.Fatal(err)
	}
	csv := "ExternalId,HostName,IPAddress,RAM.TotalSizeInMB,CPU.NumberOfCores,Applications,Tags\n" +
		"ext-1,imp-1,10.9.0.1,4096,2,imported-app,env:fuzz\n" +
		"ext-2,imp-2,10.9.0.2,NaN,2,,\n" +
		"ext-3,imp-3,10.9.0.3,Infinity,1.5,,bad\n"
	if err := os.WriteFile(filepath.Join(bucket, "servers.csv"), []byte(csv), 0o644); err != nil {
		f.Fatal(err)
	}

	now := float64(time.Now().Unix())
	var batch agentdata.Batch
	for i := range 3 {
		ip := fmt.Sprintf("10.8.0.%d", i+1)
		batch.Reports = append(batch.Reports, agentdata.Report{
			ReportID: fmt.Sprintf("fuzz-%d", i), AgentID: fmt.Sprintf("o-fuzz%013d", i), Timestamp: now - 60,
			Server:            agentdata.ServerInfo{HostName: fmt.Sprintf("fuzz-%d", i), OSName: "Linux", NumCPUs: 2, TotalRAMMB: 4096},
			NetworkInterfaces: []agentdata.NetworkInterface{{Name: "eth0", IPAddress: ip, MACAddress: fmt.Sprintf("06:00:00:00:00:%02x", i)}},
			Performance:       &agentdata.Performance{CPUUsagePct: 10, FreeRAMMB: 1024},
			Processes:         []agentdata.Process{{PID: 1, Name: "java"}},
			Connections: []agentdata.Connection{{Direction: "outbound", SourceIP: ip, DestinationIP: fmt.Sprintf("10.8.0.%d", (i+1)%3+1),
				DestinationPort: 5432, PID: 1}},
		})
	}
	body, _ := json.Marshal(&batch)
	for _, seed := range []struct{ path, target, body string }{
		{"/_poseidon/intake", "", string(body)},
		{"/", adsapi.TargetPrefix + ".CreateApplication", `{"name": "fuzz-app", "wave": "w1"}`},
	} {
		code, out := slowFuzzDo(a.Server, seed.path, seed.target, acctA, seed.body)
		if code != http.StatusOK {
			f.Fatalf("seeding %s %s: HTTP %d %s", seed.path, seed.target, code, out)
		}
	}
	return a.Server
}

// slowFuzzDo sends one open-mode request for account through h.
func slowFuzzDo(h http.Handler, path, target, account, body string) (int, string) {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	if target != "" {
		req.Header.Set("X-Amz-Target", target)
	}
	req.Header.Set("Authorization", slowFuzzAuth(account))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

func slowFuzzAuth(account string) string {
	return "AWS4-HMAC-SHA256 Credential=" + account + "/20260101/" + region + "/discovery/aws4_request, SignedHeaders=host, Signature=00"
}

// FuzzServeAPI sends arbitrary requests through the whole HTTP edge of a
// real server (handler, services, SQLite store, background workers): an
// operation (an index into every operation, or beyond it the raw target
// string), a subset of headers picked by the bits of hdr, a path (for the
// GET and intake variants) and a body. The server must never panic (its
// recovery would answer 500), never answer 5xx, never hang past the
// request's context deadline, and every ADS and Migration Hub Config answer
// must conform to its model (modeled output or a modeled/protocol error).
//
// hdr bits: 0-1 Content-Type (none, AWS JSON 1.1, application/json,
// text/plain); 2-3 Authorization (none, account A with data, a fresh
// account, the auth string); 4 X-Amz-Date and X-Amz-Security-Token; 5
// unknown body length; 6-7 route (POST /, POST /_poseidon/intake, GET path,
// POST path).
//
// The control API's state-changing routes (reset, clock) are left out so
// that a failure reproduces from its input alone; account A's data is
// shared by all inputs that pick it.
func FuzzServeAPI(f *testing.F) {
	targets := slowFuzzTargets()
	index := func(op string) uint16 {
		for i, t := range targets {
			if strings.HasSuffix(t, "."+op) {
				return uint16(i)
			}
		}
		f.Fatalf("no operation %s", op)
		return 0
	}
	const (
		ctJSON    = 1
		authA     = 1 << 2
		authFresh = 2 << 2
		authRaw   = 3 << 2
		dated     = 1 << 4
		chunked   = 1 << 5
		intake    = 1 << 6
		getPath   = 2 << 6
		postPath  = 3 << 6
	)
	beyond := uint16(len(targets))
	for _, s := range []struct {
		op     uint16
		target string
		hdr    uint8
		auth   string
		path   string
		body   string
	}{
		{index("DescribeAgents"), "", ctJSON | authA, "", "", `{}`},
		{index("DescribeAgents"), "", ctJSON | authA, "", "", `{"maxResults": 1, "nextToken": "x"}`},
		{index("DescribeAgents"), "", ctJSON | authFresh | chunked, "", "", `{"filters": [{"name": "hostName", "values": ["fuzz-1"], "condition": "EQUALS"}]}`},
		{index("ListConfigurations"), "", ctJSON | authA, "", "", `{"configurationType": "SERVER", "orderBy": [{"fieldName": "server.hostName", "sortOrder": "DESC"}]}`},
		{index("ListConfigurations"), "", ctJSON | authA, "", "", `{"configurationType": "CONNECTION", "filters": [{"name": "server.configurationId", "values": ["d-server-x"], "condition": "EQUALS"}]}`},
		{index("DescribeConfigurations"), "", ctJSON | authA, "", "", `{"configurationIds": ["d-server-0000000000000", "d-application-x"]}`},
		{index("ListServerNeighbors"), "", ctJSON | authA, "", "", `{"configurationId": "d-server-0", "portInformationNeeded": true, "maxResults": 5}`},
		{index("GetDiscoverySummary"), "", ctJSON | authA, "", "", ``},
		{index("CreateTags"), "", ctJSON | authA, "", "", `{"configurationIds": ["d-server-0"], "tags": [{"key": "k", "value": "v"}]}`},
		{index("DescribeTags"), "", ctJSON | authA, "", "", `{"filters": [{"name": "tagKey", "values": ["k"]}], "maxResults": 1}`},
		{index("CreateApplication"), "", ctJSON | authFresh, "", "", `{"name": "a", "description": "d"}`},
		{index("UpdateApplication"), "", ctJSON | authA, "", "", `{"configurationId": "d-application-0", "name": ""}`},
		{index("StartExportTask"), "", ctJSON | authA, "", "", `{"exportDataFormat": ["CSV"], "filters": [{"name": "agentIds", "values": ["o-fuzz0000000000000"], "condition": "EQUALS"}], "startTime": 1e9, "endTime": 1e10}`},
		{index("StartExportTask"), "", ctJSON | authA, "", "", `{"preferences": {"ec2RecommendationsPreferences": {"enabled": true}}}`},
		{index("ExportConfigurations"), "", ctJSON | authFresh, "", "", ``},
		{index("DescribeExportTasks"), "", ctJSON | authA, "", "", `{"maxResults": 100}`},
		{index("StartImportTask"), "", ctJSON | authFresh, "", "", `{"name": "fuzz", "importUrl": "s3://poseidon-fuzz/servers.csv", "clientRequestToken": "t-1"}`},
		{index("StartImportTask"), "", ctJSON | authA, "", "", `{"name": "fuzz", "importUrl": "file:///etc/passwd"}`},
		{index("DescribeImportTasks"), "", ctJSON | authA, "", "", `{"filters": [{"name": "STATUS", "values": ["IMPORT_COMPLETE"]}]}`},
		{index("BatchDeleteImportData"), "", ctJSON | authA, "", "", `{"importTaskIds": ["import-task-0123456789abcdef0123456789abcdef"], "deleteHistory": true}`},
		{index("StartBatchDeleteConfigurationTask"), "", ctJSON | authFresh, "", "", `{"configurationType": "SERVER", "configurationIds": ["d-server-1"]}`},
		{index("StartContinuousExport"), "", ctJSON | authFresh, "", "", `{}`},
		{index("DescribeContinuousExports"), "", ctJSON | authA, "", "", `{"exportIds": ["x"]}`},
		{index("StartDataCollectionByAgentIds"), "", ctJSON | authA, "", "", `{"agentIds": ["o-fuzz0000000000001"]}`},
		{index("BatchDeleteAgents"), "", ctJSON | authFresh, "", "", `{"deleteAgents": [{"agentId": "o-fuzz0000000000002", "force": true}]}`},
		{index("CreateHomeRegionControl"), "", ctJSON | authFresh, "", "", `{"HomeRegion": "us-west-2", "Target": {"Type": "ACCOUNT"}}`},
		{index("DescribeHomeRegionControls"), "", ctJSON | authA, "", "", `{"MaxResults": 1}`},
		{index("GetHomeRegion"), "", ctJSON | authFresh | dated, "", "", `{}`},
		{index("DescribeAgents"), "", ctJSON | authRaw, "AWS4-HMAC-SHA256 Credential=AKID/x, SignedHeaders=, Signature=", "", `{}`},
		{index("DescribeAgents"), "", 0, "", "", `{}`},
		{index("DescribeAgents"), "", 2 | authA, "", "", `[]`},
		{index("DescribeAgents"), "", 3 | authA, "", "", `{"maxResults": "1"}`},
		{beyond, "AWSPoseidonService_V2015_11_01.NoSuchOperation", ctJSON | authA, "", "", `{}`},
		{beyond, "AWSMigrationHubMultiAccountService.GetHomeRegion", ctJSON | authA, "", "", `{}`},
		{beyond, "", ctJSON | authA, "", "", `{}`},
		{0, "", ctJSON | authA | intake, "", "", `{"reports": [{"reportId": "r", "agentId": "o-0123456789", "timestamp": 1700000000, "server": {"hostName": "h"}}]}`},
		{0, "", ctJSON | authFresh | intake, "", "", `{"reports": []}`},
		{0, "", getPath, "", "/_poseidon/health", ``},
		{0, "", getPath, "", "/_poseidon/clock", ``},
		{0, "", getPath | authA, "", "/poseidon-exports/111111111111/export-x.zip?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=00", ``},
		{0, "", getPath, "", "/poseidon-exports/../../etc/passwd", ``},
		{0, "", postPath | ctJSON | authA, "", "/_poseidon/nope", `{}`},
		{0, "", getPath, "", "/", ``},
	} {
		f.Add(s.op, s.target, s.hdr, s.auth, s.path, []byte(s.body))
	}

	errs := newSlowErrorLog()
	h := slowFuzzHandler(f, slog.New(errs))
	var fresh atomic.Int64
	f.Fuzz(func(t *testing.T, op uint16, target string, hdr uint8, auth, path string, body []byte) {
		if int(op) < len(targets) {
			target = targets[op]
		}
		method, route := http.MethodPost, "/"
		switch hdr >> 6 {
		case 1:
			route = "/_poseidon/intake"
		case 2, 3:
			if hdr>>6 == 2 {
				method = http.MethodGet
			}
			route = "/" + strings.TrimPrefix(path, "/")
			// The state-changing control routes are left out (see above).
			if clean := strings.ToLower(strings.Trim(route, "/")); method == http.MethodPost && strings.HasPrefix(clean, "_poseidon") {
				route = "/_poseidon/intake"
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), slowFuzzTimeout)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, method, "http://127.0.0.1:8470/", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		p, q, _ := strings.Cut(route, "?")
		req.URL.Path, req.URL.RawQuery = p, q
		req.RequestURI = req.URL.RequestURI()
		if target != "" || int(op) < len(targets) {
			req.Header.Set("X-Amz-Target", target)
		}
		switch hdr & 3 {
		case 1:
			req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		case 2:
			req.Header.Set("Content-Type", "application/json")
		case 3:
			req.Header.Set("Content-Type", "text/plain")
		}
		switch hdr >> 2 & 3 {
		case 1:
			req.Header.Set("Authorization", slowFuzzAuth(acctA))
		case 2:
			req.Header.Set("Authorization", slowFuzzAuth(fmt.Sprintf("3%011d", fresh.Add(1))))
		case 3:
			req.Header["Authorization"] = []string{auth}
		}
		if hdr&dated != 0 {
			req.Header.Set("X-Amz-Date", "20260101T000000Z")
			req.Header.Set("X-Amz-Security-Token", "token")
		}
		if hdr&chunked != 0 {
			req.ContentLength = -1
		}

		errsBefore := errs.count.Load()
		rec := httptest.NewRecorder()
		done := make(chan struct{})
		go func() {
			defer close(done)
			h.ServeHTTP(rec, req)
		}()
		select {
		case <-done:
		case <-time.After(slowFuzzTimeout + slowFuzzGrace):
			t.Fatalf("%s %s %s: no answer %v after the request's deadline", method, route, target, slowFuzzGrace)
		}
		res := rec.Result()
		got, _ := io.ReadAll(res.Body)
		if testing.Verbose() {
			t.Logf("%s %s %s: %d %.300s", method, route, target, res.StatusCode, got)
		}
		if res.StatusCode >= 500 {
			t.Fatalf("%s %s %q: HTTP %d %s", method, route, target, res.StatusCode, got)
		}
		if n := errs.count.Load(); n > errsBefore {
			t.Fatalf("%s %s %q: the server logged an error: %s", method, route, target, errs.last.Load())
		}
		if res.Header.Get("x-amzn-RequestId") == "" {
			t.Errorf("%s %s: no x-amzn-RequestId", method, route)
		}
		if method == http.MethodPost && route == "/" {
			if _, v, ok := conformance.CheckTarget(target, res.StatusCode, got); ok && len(v) > 0 {
				t.Fatalf("%s answered %d %s\nnot per the model: %s", target, res.StatusCode, got, strings.Join(v, "; "))
			}
			if res.StatusCode != http.StatusOK {
				var e struct {
					Type string `json:"__type"`
				}
				if json.Unmarshal(got, &e) != nil || e.Type == "" || res.Header.Get("X-Amzn-ErrorType") != e.Type {
					t.Fatalf("%s: error %d without a matching __type and X-Amzn-ErrorType: %s / %q", target, res.StatusCode, got, res.Header.Get("X-Amzn-ErrorType"))
				}
			}
		}
	})
}

// slowErrorLog is a slog handler that keeps count of error records (from
// request handling and from the background workers alike) and the last
// one's message and attributes. Handlers derived by WithAttrs share them.
type slowErrorLog struct {
	count *atomic.Int64
	last  *atomic.Value // string
	attrs []slog.Attr
}

func newSlowErrorLog() *slowErrorLog {
	return &slowErrorLog{count: new(atomic.Int64), last: new(atomic.Value)}
}

func (h *slowErrorLog) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelError }

func (h *slowErrorLog) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	for _, a := range h.attrs {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
	}
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	})
	h.last.Store(b.String())
	h.count.Add(1)
	return nil
}

func (h *slowErrorLog) WithAttrs(as []slog.Attr) slog.Handler {
	return &slowErrorLog{count: h.count, last: h.last, attrs: append(slices.Clip(h.attrs), as...)}
}

func (h *slowErrorLog) WithGroup(string) slog.Handler { return h }
