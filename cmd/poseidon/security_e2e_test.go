package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws/credentials"
	v1sign "github.com/aws/aws-sdk-go/aws/signer/v4"
	"github.com/poseidon-ads/poseidon/internal/adsapi"
	"github.com/poseidon-ads/poseidon/internal/agentdata"
	"github.com/poseidon-ads/poseidon/internal/sigv4"
)

// secLog is a goroutine-safe buffer for the server's log.
type secLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *secLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *secLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// secStart runs "poseidon serve" in-process like startServer, but at debug
// log level with the log captured, and with extra flags.
func secStart(t *testing.T, extra ...string) (*testServer, *secLog) {
	t.Helper()
	data := t.TempDir()
	logs := &secLog{}
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data", data, "--log-level", "debug", "--no-limits"}, extra...)
	return runServer(t, data, logs, args), logs
}

// secResp is a raw ADS answer.
type secResp struct {
	Status int
	Type   string // __type without namespace; "" on success
	Raw    string
	Body   map[string]any
}

// secCaller makes raw ADS calls signed (SigV4, aws-sdk-go v1 signer) with
// one access key, and remembers every Authorization header it sent.
type secCaller struct {
	url, akid, secret string
	mu                sync.Mutex
	sent              []string
}

func (c *secCaller) call(t *testing.T, op, body string) secResp {
	t.Helper()
	return c.callAt(t, op, body, time.Now())
}

func (c *secCaller) callAt(t *testing.T, op, body string, at time.Time) secResp {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.url+"/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AWSPoseidonService_V2015_11_01."+op)
	if _, err := v1sign.NewSigner(credentials.NewStaticCredentials(c.akid, c.secret, "")).Sign(req, strings.NewReader(body), "discovery", region, at); err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	c.sent = append(c.sent, req.Header.Get("Authorization"))
	c.mu.Unlock()
	return secDo(t, req)
}

func secDo(t *testing.T, req *http.Request) secResp {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := secResp{Status: resp.StatusCode, Raw: string(raw)}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &r.Body); err != nil {
			t.Fatalf("%s: answer is not JSON: %q", req.Header.Get("X-Amz-Target"), raw)
		}
	}
	if ty, ok := r.Body["__type"].(string); ok {
		_, r.Type, _ = strings.Cut(ty, "#")
		if r.Type == "" {
			r.Type = ty
		}
	}
	return r
}

// ok fails unless the call succeeded, and returns its body.
func (r secResp) ok(t *testing.T, what string) map[string]any {
	t.Helper()
	if r.Status != 200 {
		t.Fatalf("%s: HTTP %d %s", what, r.Status, r.Raw)
	}
	return r.Body
}

func secStr(m map[string]any, path ...string) string {
	var v any = m
	for _, p := range path {
		mm, _ := v.(map[string]any)
		v = mm[p]
	}
	s, _ := v.(string)
	return s
}

func secJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// secFake returns an ID of the same form as id that names nothing: its
// last character changed.
func secFake(id string) string {
	r := byte('0')
	if id[len(id)-1] == '0' {
		r = '1'
	}
	return id[:len(id)-1] + string(r)
}

// secAgentReport is a report of account A's agent n.
func secAgentReport(n int) agentdata.Report {
	return agentdata.Report{
		ReportID:  fmt.Sprintf("sec-%d", n),
		AgentID:   secAgentID(n),
		Timestamp: float64(time.Now().Add(-time.Hour).Unix()),
		Agent:     agentdata.AgentInfo{Version: "2.0.1500.0"},
		Server:    agentdata.ServerInfo{HostName: fmt.Sprintf("sec-a-host-%d", n), OSName: "Linux", NumCPUs: 2, TotalRAMMB: 4096},
		NetworkInterfaces: []agentdata.NetworkInterface{
			{Name: "eth0", IPAddress: fmt.Sprintf("10.77.0.%d", n), MACAddress: fmt.Sprintf("02:77:00:00:00:%02x", n)}},
		Performance: &agentdata.Performance{CPUUsagePct: 10, FreeRAMMB: 2048, DiskFreeGB: 20},
		Connections: []agentdata.Connection{{Direction: "outbound", SourceIP: fmt.Sprintf("10.77.0.%d", n), SourcePort: 40000,
			DestinationIP: fmt.Sprintf("10.77.0.%d", n%3+1), DestinationPort: 443}},
	}
}

func secAgentID(n int) string { return fmt.Sprintf("o-5ec%014x", n) }

// secWait polls op until done reports true on its answer.
func secWait(t *testing.T, c *secCaller, op, body string, done func(map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		out := c.call(t, op, body).ok(t, op)
		if done(out) {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s %s: still not done: %v", op, body, out)
		}
		time.Sleep(30 * time.Millisecond)
	}
}

func secFirst(m map[string]any, key string) map[string]any {
	l, _ := m[key].([]any)
	if len(l) == 0 {
		return nil
	}
	f, _ := l[0].(map[string]any)
	return f
}

func secWaitExport(t *testing.T, c *secCaller, id string) map[string]any {
	t.Helper()
	out := secWait(t, c, "DescribeExportTasks", `{"exportIds":["`+id+`"]}`, func(m map[string]any) bool {
		e := secFirst(m, "exportsInfo")
		return e != nil && e["exportStatus"] != "IN_PROGRESS"
	})
	return secFirst(out, "exportsInfo")
}

// secAccountA is what account A owns in the cross-account test.
type secAccountA struct {
	ids       map[string]string // role -> ID
	hostnames []string
}

// secSeedA creates one resource of every kind in account A.
func secSeedA(t *testing.T, s *testServer, a *secCaller) secAccountA {
	t.Helper()
	acc := secAccountA{ids: map[string]string{}}
	var batch agentdata.Batch
	for n := 1; n <= 3; n++ {
		batch.Reports = append(batch.Reports, secAgentReport(n))
		acc.hostnames = append(acc.hostnames, fmt.Sprintf("sec-a-host-%d", n))
	}
	body, _ := json.Marshal(batch)
	if code, _, out := intakeCall(t, s.URL, keyA, secretA, body); code != 200 {
		t.Fatalf("intake: %d %v", code, out)
	}
	acc.ids["agent"], acc.ids["agent2"] = secAgentID(1), secAgentID(2)
	list := a.call(t, "ListConfigurations", `{"configurationType":"SERVER"}`).ok(t, "list servers")
	servers := map[string]string{}
	for _, c := range list["configurations"].([]any) {
		m := c.(map[string]any)
		servers[m["server.hostName"].(string)] = m["server.configurationId"].(string)
	}
	acc.ids["server"], acc.ids["server2"] = servers["sec-a-host-1"], servers["sec-a-host-2"]
	doomed := servers["sec-a-host-3"]
	if acc.ids["server"] == "" || acc.ids["server2"] == "" || doomed == "" {
		t.Fatalf("servers %v", servers)
	}

	app := a.call(t, "CreateApplication", `{"name":"sec-a-app","description":"A's"}`).ok(t, "create app")
	acc.ids["app"] = secStr(app, "configurationId")
	a.call(t, "AssociateConfigurationItemsToApplication",
		`{"applicationConfigurationId":"`+acc.ids["app"]+`","configurationIds":["`+acc.ids["server"]+`"]}`).ok(t, "associate")
	a.call(t, "CreateTags", `{"configurationIds":["`+acc.ids["server"]+`"],"tags":[{"key":"sec-env","value":"prod"}]}`).ok(t, "tag")

	// A's own bucket (strict mode: data/buckets/<account>/<bucket>/).
	csvPath := filepath.Join(s.Data, "buckets", acctA, "sec-a", "import.csv")
	csv := "ExternalId,IPAddress,MACAddress,HostName,OS.Name,CPU.NumberOfCores\nsec-ext-1,10.78.0.1,,sec-a-imported,Linux,2\n"
	if err := os.MkdirAll(filepath.Dir(csvPath), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(csvPath, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	acc.hostnames = append(acc.hostnames, "sec-a-imported")
	acc.ids["token"] = "sec-token-of-account-a"
	imp := a.call(t, "StartImportTask", `{"clientRequestToken":"`+acc.ids["token"]+`","name":"sec-a-import","importUrl":"s3://sec-a/import.csv"}`).ok(t, "import")
	acc.ids["import"] = secStr(imp, "task", "importTaskId")
	secWait(t, a, "DescribeImportTasks", `{"filters":[{"name":"IMPORT_TASK_ID","values":["`+acc.ids["import"]+`"]}]}`, func(m map[string]any) bool {
		f := secFirst(m, "tasks")
		return f != nil && f["status"] == "IMPORT_COMPLETE"
	})

	exp := a.call(t, "StartExportTask", `{}`).ok(t, "export")
	acc.ids["export"] = secStr(exp, "exportId")
	if e := secWaitExport(t, a, acc.ids["export"]); e["exportStatus"] != "SUCCEEDED" {
		t.Fatalf("A's export: %v", e)
	}

	bd := a.call(t, "StartBatchDeleteConfigurationTask", `{"configurationType":"SERVER","configurationIds":["`+doomed+`"]}`).ok(t, "batch delete")
	acc.ids["batchDelete"] = secStr(bd, "taskId")
	secWait(t, a, "DescribeBatchDeleteConfigurationTask", `{"taskId":"`+acc.ids["batchDelete"]+`"}`, func(m map[string]any) bool {
		return secStr(m, "task", "status") == "COMPLETED"
	})

	ce := a.call(t, "StartContinuousExport", `{}`).ok(t, "continuous export")
	acc.ids["continuous"] = secStr(ce, "exportId")
	for k, v := range acc.ids {
		if v == "" {
			t.Fatalf("no ID for %s: %v", k, acc.ids)
		}
	}
	return acc
}

// secSnapshot is everything account A can read, with the time-dependent
// parts blanked, to prove that B's calls changed nothing of A's.
func secSnapshot(t *testing.T, a *secCaller, acc secAccountA) string {
	t.Helper()
	var out []string
	for _, c := range [][2]string{
		{"ListConfigurations", `{"configurationType":"SERVER"}`},
		{"ListConfigurations", `{"configurationType":"APPLICATION"}`},
		{"DescribeConfigurations", `{"configurationIds":["` + acc.ids["server"] + `","` + acc.ids["server2"] + `"]}`},
		{"DescribeConfigurations", `{"configurationIds":["` + acc.ids["app"] + `"]}`},
		{"DescribeAgents", `{}`},
		{"DescribeTags", `{}`},
		{"DescribeImportTasks", `{}`},
		{"DescribeExportTasks", `{}`},
		{"DescribeBatchDeleteConfigurationTask", `{"taskId":"` + acc.ids["batchDelete"] + `"}`},
		{"ListServerNeighbors", `{"configurationId":"` + acc.ids["server"] + `"}`},
		{"GetDiscoverySummary", `{}`},
	} {
		body := a.call(t, c[0], c[1]).ok(t, "A "+c[0])
		secBlank(body, map[string]bool{"configurationsDownloadUrl": true, "lastHealthPingTime": true, "health": true,
			"connectorSummary": true, "agentSummary": true, "meCollectorSummary": true, "agentlessCollectorSummary": true})
		out = append(out, c[0]+" "+secJSON(body))
	}
	ce := a.call(t, "DescribeContinuousExports", `{"exportIds":["`+acc.ids["continuous"]+`"]}`).ok(t, "A continuous")
	if d := secFirst(ce, "descriptions"); d == nil || strings.HasPrefix(d["status"].(string), "STOP") {
		t.Fatalf("A's continuous export: %v", ce)
	}
	return strings.Join(out, "\n")
}

// secBlank replaces the values of the given keys, at any depth, by "*".
func secBlank(v any, keys map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if keys[k] {
				x[k] = "*"
			} else {
				secBlank(e, keys)
			}
		}
	case []any:
		for _, e := range x {
			secBlank(e, keys)
		}
	}
}

// secNormalize turns a raw answer into comparable JSON: each ID of ids
// (A's real ones and the fake ones alike) becomes <role>, and volatile keys
// are blanked.
func secNormalize(t *testing.T, r secResp, ids map[string]string, volatile []string) string {
	t.Helper()
	raw := r.Raw
	// Longest first, so that an ID that prefixes another is not cut.
	roles := make([]string, 0, len(ids))
	for k := range ids {
		roles = append(roles, k)
	}
	sort.Slice(roles, func(i, j int) bool { return len(ids[roles[i]]) > len(ids[roles[j]]) })
	for _, k := range roles {
		raw = strings.ReplaceAll(raw, ids[k], "<"+k+">")
	}
	var v any
	if raw != "" {
		if err := json.Unmarshal([]byte(raw), &v); err != nil {
			t.Fatal(err)
		}
	}
	keys := map[string]bool{}
	for _, k := range volatile {
		keys[k] = true
	}
	secBlank(v, keys)
	return fmt.Sprintf("%d %s", r.Status, secJSON(v))
}

// secRow is one operation of the cross-account table.
type secRow struct {
	op string
	// body is the request with the IDs given by role; nil for operations
	// that take no ID of another account (checked by check only).
	body func(id map[string]string) string
	// volatile keys of the answer that differ between any two calls.
	volatile []string
	// after, if set, checks more once both calls answered (real: with A's
	// IDs, fake: with never-existing IDs).
	after func(t *testing.T, b *secCaller, real, fake secResp)
	// check, for rows without body, makes the calls itself.
	check func(t *testing.T, b *secCaller) []secResp
}

func secRows(acc secAccountA) []secRow {
	q := func(s string) string { return `"` + s + `"` }
	waitBoth := func(op, idKey, bodyFmt string, done func(map[string]any) bool, volatile ...string) func(*testing.T, *secCaller, secResp, secResp) {
		return func(t *testing.T, b *secCaller, real, fake secResp) {
			ri, fi := secStr(real.Body, idKey), secStr(fake.Body, idKey)
			if ri == "" || fi == "" || ri == fi {
				t.Fatalf("ids %q %q", ri, fi)
			}
			rd := secWait(t, b, op, fmt.Sprintf(bodyFmt, ri), done)
			fd := secWait(t, b, op, fmt.Sprintf(bodyFmt, fi), done)
			rn := secNormalize(t, secResp{Status: 200, Raw: strings.ReplaceAll(secJSON(rd), ri, "<new>")}, acc.ids, volatile)
			fn := secNormalize(t, secResp{Status: 200, Raw: strings.ReplaceAll(secJSON(fd), fi, "<new>")}, secFakes(acc.ids), volatile)
			if rn != fn {
				t.Fatalf("%s with A's IDs ended\n  %s\nwith unknown IDs\n  %s", op, rn, fn)
			}
		}
	}
	return []secRow{
		{op: "AssociateConfigurationItemsToApplication", body: func(id map[string]string) string {
			return `{"applicationConfigurationId":` + q(id["app"]) + `,"configurationIds":[` + q(id["server2"]) + `]}`
		}},
		{op: "BatchDeleteAgents", body: func(id map[string]string) string {
			return `{"deleteAgents":[{"agentId":` + q(id["agent"]) + `,"force":true}]}`
		}},
		{op: "BatchDeleteImportData", body: func(id map[string]string) string {
			return `{"importTaskIds":[` + q(id["import"]) + `],"deleteHistory":true}`
		}},
		{op: "CreateApplication", body: func(id map[string]string) string {
			// A's application name is free in B's account.
			name := "sec-a-app"
			if id["app"] != acc.ids["app"] {
				name = "sec-b-app"
			}
			return `{"name":` + q(name) + `}`
		}, volatile: []string{"configurationId"}, after: func(t *testing.T, b *secCaller, real, fake secResp) {
			if secStr(real.Body, "configurationId") == acc.ids["app"] {
				t.Fatal("B got A's application")
			}
			b.call(t, "DeleteApplications", `{"configurationIds":[`+q(secStr(real.Body, "configurationId"))+`,`+q(secStr(fake.Body, "configurationId"))+`]}`).ok(t, "cleanup")
		}},
		{op: "CreateTags", body: func(id map[string]string) string {
			return `{"configurationIds":[` + q(id["server"]) + `],"tags":[{"key":"sec-b","value":"x"}]}`
		}},
		{op: "DeleteApplications", body: func(id map[string]string) string {
			return `{"configurationIds":[` + q(id["app"]) + `]}`
		}},
		{op: "DeleteTags", body: func(id map[string]string) string {
			return `{"configurationIds":[` + q(id["server"]) + `],"tags":[{"key":"sec-env","value":"prod"}]}`
		}},
		{op: "DescribeAgents", body: func(id map[string]string) string {
			return `{"agentIds":[` + q(id["agent"]) + `,` + q(id["agent2"]) + `]}`
		}},
		{op: "DescribeBatchDeleteConfigurationTask", body: func(id map[string]string) string {
			return `{"taskId":` + q(id["batchDelete"]) + `}`
		}},
		{op: "DescribeConfigurations", body: func(id map[string]string) string {
			return `{"configurationIds":[` + q(id["server"]) + `,` + q(id["app"]) + `]}`
		}},
		{op: "DescribeContinuousExports", body: func(id map[string]string) string {
			return `{"exportIds":[` + q(id["continuous"]) + `]}`
		}},
		{op: "DescribeExportConfigurations", body: func(id map[string]string) string {
			return `{"exportIds":[` + q(id["export"]) + `]}`
		}},
		{op: "DescribeExportTasks", body: func(id map[string]string) string {
			return `{"exportIds":[` + q(id["export"]) + `]}`
		}},
		{op: "DescribeImportTasks", body: func(id map[string]string) string {
			return `{"filters":[{"name":"IMPORT_TASK_ID","values":[` + q(id["import"]) + `]}]}`
		}},
		{op: "DescribeTags", body: func(id map[string]string) string {
			return `{"filters":[{"name":"configurationId","values":[` + q(id["server"]) + `]}]}`
		}},
		{op: "DisassociateConfigurationItemsFromApplication", body: func(id map[string]string) string {
			return `{"applicationConfigurationId":` + q(id["app"]) + `,"configurationIds":[` + q(id["server"]) + `]}`
		}},
		{op: "ExportConfigurations", check: func(t *testing.T, b *secCaller) []secResp {
			r := b.call(t, "ExportConfigurations", `{}`)
			e := secWaitExport(t, b, secStr(r.ok(t, "ExportConfigurations"), "exportId"))
			if e["exportStatus"] != "SUCCEEDED" {
				t.Fatalf("B's export: %v", e)
			}
			code, zipBody := download(t, secStr(e, "configurationsDownloadUrl"))
			if code != 200 {
				t.Fatalf("download B's export: %d", code)
			}
			var all strings.Builder
			for name, member := range unzip(t, zipBody) {
				all.WriteString(name + "\n" + member)
			}
			return []secResp{r, {Status: 200, Raw: all.String()}}
		}},
		{op: "GetDiscoverySummary", check: func(t *testing.T, b *secCaller) []secResp {
			r := b.call(t, "GetDiscoverySummary", `{}`)
			m := r.ok(t, "summary")
			for _, k := range []string{"servers", "serversMappedToApplications", "serversMappedtoTags"} {
				if n, _ := m[k].(float64); n != 0 {
					t.Errorf("B's summary counts %s = %v (A's?)", k, m[k])
				}
			}
			if n, _ := m["agentSummary"].(map[string]any)["totalAgents"].(float64); n != 0 {
				t.Errorf("B's summary counts %v agents", n)
			}
			return []secResp{r}
		}},
		{op: "ListConfigurations", check: func(t *testing.T, b *secCaller) []secResp {
			var out []secResp
			for _, ty := range []string{"SERVER", "PROCESS", "CONNECTION", "APPLICATION"} {
				r := b.call(t, "ListConfigurations", `{"configurationType":"`+ty+`"}`)
				r.ok(t, "list "+ty)
				if l, _ := r.Body["configurations"].([]any); len(l) != 0 {
					t.Errorf("B lists %s: %v", ty, l)
				}
				out = append(out, r)
			}
			real := b.call(t, "ListConfigurations", `{"configurationType":"SERVER","filters":[{"name":"server.configurationId","values":["`+acc.ids["server"]+`"],"condition":"EQUALS"}]}`)
			fake := b.call(t, "ListConfigurations", `{"configurationType":"SERVER","filters":[{"name":"server.configurationId","values":["`+secFake(acc.ids["server"])+`"],"condition":"EQUALS"}]}`)
			if rn, fn := secNormalize(t, real, acc.ids, nil), secNormalize(t, fake, secFakes(acc.ids), nil); rn != fn {
				t.Errorf("filtered by A's server: %s, by an unknown one: %s", rn, fn)
			}
			return append(out, real)
		}},
		{op: "ListServerNeighbors", body: func(id map[string]string) string {
			return `{"configurationId":` + q(id["server"]) + `,"neighborConfigurationIds":[` + q(id["server2"]) + `]}`
		}},
		{op: "StartBatchDeleteConfigurationTask", body: func(id map[string]string) string {
			return `{"configurationType":"SERVER","configurationIds":[` + q(id["server"]) + `]}`
		}, volatile: []string{"taskId"},
			after: waitBoth("DescribeBatchDeleteConfigurationTask", "taskId", `{"taskId":"%s"}`,
				func(m map[string]any) bool { return secStr(m, "task", "status") == "COMPLETED" }, "startTime", "endTime")},
		{op: "StartContinuousExport", check: func(t *testing.T, b *secCaller) []secResp {
			// A's running continuous export does not stop B from starting one.
			r := b.call(t, "StartContinuousExport", `{}`)
			if id := secStr(r.ok(t, "B StartContinuousExport"), "exportId"); id == "" || id == acc.ids["continuous"] {
				t.Fatalf("B's continuous export %q", id)
			}
			return []secResp{r}
		}},
		{op: "StartDataCollectionByAgentIds", body: func(id map[string]string) string {
			return `{"agentIds":[` + q(id["agent"]) + `]}`
		}},
		{op: "StartExportTask", body: func(id map[string]string) string {
			return `{"filters":[{"name":"agentIds","values":[` + q(id["agent"]) + `],"condition":"EQUALS"}]}`
		}, volatile: []string{"exportId"},
			after: waitBoth("DescribeExportTasks", "exportId", `{"exportIds":["%s"]}`,
				func(m map[string]any) bool {
					e := secFirst(m, "exportsInfo")
					return e != nil && e["exportStatus"] != "IN_PROGRESS"
				}, "exportRequestTime", "configurationsDownloadUrl", "requestedStartTime", "requestedEndTime")},
		{op: "StartImportTask", body: func(id map[string]string) string {
			// A's clientRequestToken does not give B A's task, and A's
			// bucket name names B's own (empty) bucket.
			return `{"clientRequestToken":` + q(id["token"]) + `,"name":"sec-b-import","importUrl":"s3://sec-a/import.csv"}`
		}, volatile: []string{"importTaskId", "importRequestTime", "importCompletionTime", "importDeletedTime", "status",
			"serverImportSuccess", "serverImportFailure", "applicationImportSuccess", "applicationImportFailure", "errorsAndFailedEntriesZip"},
			after: func(t *testing.T, b *secCaller, real, fake secResp) {
				if id := secStr(real.Body, "task", "importTaskId"); id == "" || id == acc.ids["import"] {
					t.Fatalf("B's import task %q", id)
				}
				if secStr(real.Body, "task", "name") != "sec-b-import" {
					t.Fatalf("B got A's import task: %s", real.Raw)
				}
			}},
		{op: "StopContinuousExport", body: func(id map[string]string) string {
			return `{"exportId":` + q(id["continuous"]) + `}`
		}},
		{op: "StopDataCollectionByAgentIds", body: func(id map[string]string) string {
			return `{"agentIds":[` + q(id["agent"]) + `]}`
		}},
		{op: "UpdateApplication", body: func(id map[string]string) string {
			return `{"configurationId":` + q(id["app"]) + `,"name":"hijacked-by-b"}`
		}},
	}
}

// secFakes gives every role an ID of the same form that names nothing:
// its last 3 characters replaced, distinct per role.
func secFakes(ids map[string]string) map[string]string {
	roles := make([]string, 0, len(ids))
	for k := range ids {
		roles = append(roles, k)
	}
	sort.Strings(roles)
	out := map[string]string{}
	for i, k := range roles {
		v := ids[k]
		if k == "token" {
			out[k] = "sec-token-never-used"
			continue
		}
		out[k] = v[:len(v)-3] + fmt.Sprintf("%03x", 0xf00+i)
		for _, real := range ids {
			if out[k] == real {
				panic("fake ID equals a real one: " + real)
			}
		}
	}
	return out
}

// TestSecCrossAccount: account B calls every ADS operation with the IDs of
// account A's resources. Each call must answer exactly as for IDs that never
// existed (same status, code and shape, IDs aside), B must see none of A's
// items, and nothing of A's may change.
func TestSecCrossAccount(t *testing.T) {
	s, _ := secStart(t, "--credentials", writeCredentials(t), "--control-token", "sec-tok")
	a := &secCaller{url: s.URL, akid: keyA, secret: secretA}
	b := &secCaller{url: s.URL, akid: keyB, secret: secretB}
	acc := secSeedA(t, s, a)
	before := secSnapshot(t, a, acc)
	fakes := secFakes(acc.ids)

	rows := secRows(acc)
	covered := map[string]bool{}
	for _, r := range rows {
		covered[r.op] = true
	}
	for op := range adsapi.Operations {
		if !covered[op] {
			t.Errorf("operation %s has no cross-account row", op)
		}
	}
	if len(rows) != len(adsapi.Operations) {
		t.Errorf("%d rows for %d operations", len(rows), len(adsapi.Operations))
	}

	// What of A's must never show up in B's answers (beyond the IDs B sent).
	secretsOfA := append([]string{}, acc.hostnames...)
	for _, v := range acc.ids {
		secretsOfA = append(secretsOfA, v)
	}
	refused := 0
	for _, row := range rows {
		t.Run(row.op, func(t *testing.T) {
			var answers []secResp
			if row.body != nil {
				realBody, fakeBody := row.body(acc.ids), row.body(fakes)
				real := b.call(t, row.op, realBody)
				fake := b.call(t, row.op, fakeBody)
				rn, fn := secNormalize(t, real, acc.ids, row.volatile), secNormalize(t, fake, fakes, row.volatile)
				if rn != fn {
					t.Fatalf("B with A's IDs:\n  %s\n  -> %s\nB with unknown IDs:\n  %s\n  -> %s", realBody, rn, fakeBody, fn)
				}
				if row.after != nil {
					row.after(t, b, real, fake)
				}
				// Only the IDs B sent may be echoed.
				for _, secret := range secretsOfA {
					if !strings.Contains(realBody, secret) && strings.Contains(real.Raw, secret) {
						t.Errorf("B's answer holds A's %q: %s", secret, real.Raw)
					}
				}
			}
			if row.check != nil {
				answers = append(answers, row.check(t, b)...)
			}
			for _, r := range answers {
				for _, secret := range secretsOfA {
					if strings.Contains(r.Raw, secret) {
						t.Errorf("B's answer holds A's %q: %.300s", secret, r.Raw)
					}
				}
			}
			refused++
		})
	}
	// B sees none of A's items in unfiltered lists (B's own export and
	// import name A's agent ID and A's request token: B sent them).
	var notSent []string
	for _, v := range secretsOfA {
		if v != acc.ids["agent"] && v != acc.ids["token"] {
			notSent = append(notSent, v)
		}
	}
	for _, c := range [][2]string{{"DescribeAgents", `{}`}, {"DescribeTags", `{}`}, {"DescribeImportTasks", `{}`},
		{"DescribeExportTasks", `{}`}, {"DescribeExportConfigurations", `{}`}, {"DescribeContinuousExports", `{}`}} {
		r := b.call(t, c[0], c[1])
		r.ok(t, "B "+c[0])
		for _, secret := range notSent {
			if strings.Contains(r.Raw, secret) {
				t.Errorf("B's %s shows A's %q", c[0], secret)
			}
		}
	}
	if after := secSnapshot(t, a, acc); after != before {
		t.Errorf("B's calls changed account A:\nbefore %s\nafter  %s", before, after)
	}
	t.Logf("cross-account: %d operations answered as for unknown IDs", refused)
}

// TestSecReplay: signatures outside the 15-minute window and a signature
// replayed over another body are refused with the protocol errors.
func TestSecReplay(t *testing.T) {
	s, _ := secStart(t, "--credentials", writeCredentials(t), "--control-token", "sec-tok")
	a := &secCaller{url: s.URL, akid: keyA, secret: secretA}
	wantRefused := func(r secResp, code, msg string) {
		t.Helper()
		if r.Status != 403 || r.Type != code || !strings.Contains(secStr(r.Body, "message"), msg) {
			t.Fatalf("got %d %s, want 403 %s %q", r.Status, r.Raw, code, msg)
		}
	}
	refused := 0
	for _, d := range []time.Duration{-16 * time.Minute, -time.Hour, -24 * time.Hour} {
		wantRefused(a.callAt(t, "DescribeExportTasks", `{}`, time.Now().Add(d)), sigv4.CodeInvalidSignature, "Signature expired")
		refused++
	}
	for _, d := range []time.Duration{16 * time.Minute, time.Hour} {
		wantRefused(a.callAt(t, "DescribeExportTasks", `{}`, time.Now().Add(d)), sigv4.CodeInvalidSignature, "Signature not yet current")
		refused++
	}
	// 14 minutes either way is inside the window.
	for _, d := range []time.Duration{-14 * time.Minute, 14 * time.Minute} {
		a.callAt(t, "DescribeExportTasks", `{}`, time.Now().Add(d)).ok(t, "inside the window")
	}

	// The same signature over another body, and over the same body with
	// another target.
	signed := func(body string) *http.Request {
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", "AWSPoseidonService_V2015_11_01.DescribeExportTasks")
		if _, err := v1sign.NewSigner(credentials.NewStaticCredentials(keyA, secretA, "")).Sign(req, strings.NewReader(body), "discovery", region, time.Now()); err != nil {
			t.Fatal(err)
		}
		return req
	}
	orig := signed(`{"maxResults":1}`)
	for _, other := range []string{`{"maxResults":2}`, `{"maxResults":1} `, `{}`, ``} {
		req := orig.Clone(context.Background())
		req.Body, req.ContentLength = io.NopCloser(strings.NewReader(other)), int64(len(other))
		wantRefused(secDo(t, req), sigv4.CodeInvalidSignature, "The request signature we calculated does not match")
		refused++
	}
	req := orig.Clone(context.Background())
	req.Body = io.NopCloser(strings.NewReader(`{"maxResults":1}`))
	req.Header.Set("X-Amz-Target", "AWSPoseidonService_V2015_11_01.StartExportTask")
	wantRefused(secDo(t, req), sigv4.CodeInvalidSignature, "The request signature we calculated does not match")
	refused++
	// A's signature presented under B's access key ID.
	req = orig.Clone(context.Background())
	req.Body = io.NopCloser(strings.NewReader(`{"maxResults":1}`))
	req.Header.Set("Authorization", strings.Replace(req.Header.Get("Authorization"), keyA, keyB, 1))
	wantRefused(secDo(t, req), sigv4.CodeInvalidSignature, "The request signature we calculated does not match")
	refused++
	// The original itself still verifies (replays inside the window are
	// accepted, as by AWS).
	req = orig.Clone(context.Background())
	req.Body = io.NopCloser(strings.NewReader(`{"maxResults":1}`))
	secDo(t, req).ok(t, "original")

	// Query-string (presigned) API calls: past X-Amz-Expires.
	pre, _ := http.NewRequest(http.MethodPost, s.URL+"/", strings.NewReader(`{}`))
	pre.Header.Set("Content-Type", "application/x-amz-json-1.1")
	pre.Header.Set("X-Amz-Target", "AWSPoseidonService_V2015_11_01.DescribeExportTasks")
	if _, err := v1sign.NewSigner(credentials.NewStaticCredentials(keyA, secretA, "")).Presign(pre, strings.NewReader(`{}`), "discovery", region, time.Minute, time.Now().Add(-2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	pre.Body = io.NopCloser(strings.NewReader(`{}`))
	wantRefused(secDo(t, pre), sigv4.CodeInvalidSignature, "Request has expired")
	refused++
	t.Logf("replay: %d attempts refused", refused)
}

// secDownloadSecret reads the server's download-URL signing key from its
// store, to sign URLs a client could never sign (defense in depth).
func secDownloadSecret(t *testing.T, data string) string {
	t.Helper()
	db, _ := storeDB(t, data)
	var v []byte
	if err := db.QueryRow(`SELECT value FROM settings WHERE key = 'secret:download'`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", v)
}

// secGet GETs a URL. A redirect (net/http's path cleaning answers
// "/a/../b" with one) is followed once by hand and its target's answer
// returned, so that a redirect to a served file is caught too.
func secGet(t *testing.T, raw string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, raw, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 == 3 {
		loc, err := resp.Location()
		if err != nil {
			t.Fatalf("redirect without Location: %v", err)
		}
		next, err := c.Get(loc.String())
		if err != nil {
			t.Fatal(err)
		}
		defer next.Body.Close()
		nb, _ := io.ReadAll(next.Body)
		return next.StatusCode, string(nb)
	}
	return resp.StatusCode, string(b)
}

// TestSecDownloads: tampered, expired, cross-account and path-traversal
// download URLs are all refused and serve nothing.
func TestSecDownloads(t *testing.T) {
	const tok = "sec-download-control-token"
	s, _ := secStart(t, "--credentials", writeCredentials(t), "--control-token", tok)
	a := &secCaller{url: s.URL, akid: keyA, secret: secretA}
	b := &secCaller{url: s.URL, akid: keyB, secret: secretB}
	exportOf := func(c *secCaller) (string, string) {
		id := secStr(c.call(t, "StartExportTask", `{}`).ok(t, "export"), "exportId")
		e := secWaitExport(t, c, id)
		return id, secStr(e, "configurationsDownloadUrl")
	}
	idA, urlA := exportOf(a)
	idB, urlB := exportOf(b)
	if code, body := secGet(t, urlA); code != 200 || !strings.HasPrefix(body, "PK\x03\x04") {
		t.Fatalf("A's own URL: %d", code)
	}
	// Files the download route must never serve.
	const planted = "PLANTED-SECRET-CONTENT"
	for _, p := range []string{filepath.Join(s.Data, "planted.zip"), filepath.Join(s.Data, "exports", "planted.zip"),
		filepath.Join(s.Data, "exports", acctA, "planted.zip")} {
		// (With the archives in PostgreSQL there is no exports directory
		// but the one planted here.)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(planted), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	refused := 0
	wantRefused := func(what, raw string) {
		t.Helper()
		code, body := secGet(t, raw)
		if code != 403 && code != 404 && code != 400 {
			t.Errorf("%s: HTTP %d, want a refusal (%s)", what, code, raw)
		}
		if strings.Contains(body, planted) || strings.HasPrefix(body, "PK") || strings.Contains(body, "SQLite format") {
			t.Errorf("%s: served a file: %.60q", what, body)
		}
		refused++
	}
	ua, _ := url.Parse(urlA)
	setQ := func(u *url.URL, k, v string) string {
		c := *u
		qq := c.Query()
		qq.Set(k, v)
		c.RawQuery = qq.Encode()
		return c.String()
	}
	sig := ua.Query().Get("X-Amz-Signature")
	flip := func(s string) string { return secFake(s) }
	wantRefused("signature last byte", setQ(ua, "X-Amz-Signature", flip(sig)))
	first := "0"
	if sig[0] == '0' {
		first = "1"
	}
	wantRefused("signature first byte", setQ(ua, "X-Amz-Signature", first+sig[1:]))
	wantRefused("signature empty", setQ(ua, "X-Amz-Signature", ""))
	wantRefused("signature uppercase", setQ(ua, "X-Amz-Signature", strings.ToUpper(sig)))
	wantRefused("expiry longer", setQ(ua, "X-Amz-Expires", "604800"))
	wantRefused("date later", setQ(ua, "X-Amz-Date", time.Now().UTC().Add(time.Hour).Format("20060102T150405Z")))
	wantRefused("credential", setQ(ua, "X-Amz-Credential", strings.Replace(ua.Query().Get("X-Amz-Credential"), "POSEIDONEXPORTS", "POSEIDONEXPORTZ", 1)))
	wantRefused("no query", ua.Scheme+"://"+ua.Host+ua.Path)
	swapPath := func(u *url.URL, p string) string { c := *u; c.Path, c.RawPath = p, ""; return c.String() }
	wantRefused("account segment", swapPath(ua, "/poseidon-exports/"+acctB+"/"+idA+".zip"))
	wantRefused("export segment (B's export, A's signature)", swapPath(ua, "/poseidon-exports/"+acctA+"/"+idB+".zip"))
	wantRefused("B's export under A's account", swapPath(ua, "/poseidon-exports/"+acctB+"/"+idB+".zip"))
	ub, _ := url.Parse(urlB)
	wantRefused("B's signature on A's path", swapPath(ub, ua.Path))
	wantRefused("extension", swapPath(ua, strings.TrimSuffix(ua.Path, ".zip")+".ZIP"))

	// Traversal, with A's signature and with a valid signature made with the
	// server's own key.
	key := secDownloadSecret(t, s.Data)
	traversals := []string{
		"/poseidon-exports/../poseidon.db",
		"/poseidon-exports/" + acctA + "/../../poseidon.db",
		"/poseidon-exports/" + acctA + "/..%2f..%2fposeidon.db",
		"/poseidon-exports/" + acctA + "/..%2f..%2fplanted.zip",
		"/poseidon-exports/" + acctA + "/%2e%2e%2f%2e%2e%2fplanted.zip",
		"/poseidon-exports/" + acctA + "/%252e%252e%252fplanted.zip",
		"/poseidon-exports/%2e%2e/planted.zip",
		"/poseidon-exports/..%2f/planted.zip",
		"/poseidon-exports/" + acctA + "/..\\..\\planted.zip",
		"/poseidon-exports/" + acctA + "/..%5c..%5cplanted.zip",
		"/poseidon-exports/" + acctA + "/planted.zip",
		"/poseidon-exports/" + acctA + "/%2Fetc%2Fpasswd.zip",
		"/poseidon-exports/" + acctA + "/" + url.PathEscape(filepath.Join(s.Data, "planted.zip")),
		"/poseidon-exports/" + url.PathEscape(s.Data) + "/planted.zip",
		"/poseidon-exports/" + acctA + "/" + idA + ".zip%00",
		"/poseidon-exports/" + acctA + "/" + idA + "%00.zip",
		"/poseidon-exports/" + acctA + "%00/" + idA + ".zip",
		"/poseidon-exports/" + acctA + "/./" + idA + "/../planted.zip",
		"//poseidon-exports/" + acctA + "/planted.zip",
	}
	for _, p := range traversals {
		wantRefused("traversal with A's query "+p, ua.Scheme+"://"+ua.Host+p+"?"+ua.RawQuery)
		signedURL, err := sigv4.Presign(ua.Scheme+"://"+ua.Host+p, "POSEIDONEXPORTS", key, region, "s3", time.Now(), time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		wantRefused("traversal, validly signed "+p, signedURL)
	}
	// A validly signed URL for a well-formed ID that does not exist, or for
	// B's export under A's account, is a 404 with no body of interest.
	for _, p := range []string{"/poseidon-exports/" + acctA + "/" + secFake(idA) + ".zip", "/poseidon-exports/" + acctA + "/" + idB + ".zip"} {
		signedURL, _ := sigv4.Presign(ua.Scheme+"://"+ua.Host+p, "POSEIDONEXPORTS", key, region, "s3", time.Now(), time.Hour)
		if code, _ := secGet(t, signedURL); code != 404 {
			t.Errorf("%s: %d, want 404", p, code)
		}
		refused++
	}

	// Expired: move the virtual clock past the URL's 24 hours with the
	// control token, then back.
	if code, out := control(t, s.URL, "clock", tok, map[string]any{"advanceSeconds": (24*time.Hour + time.Minute).Seconds()}); code != 200 {
		t.Fatalf("advance: %d %v", code, out)
	}
	code, body := secGet(t, urlA)
	if code != 403 || !strings.Contains(body, "Request has expired") {
		t.Errorf("expired URL: %d %s", code, body)
	}
	refused++
	if code, out := control(t, s.URL, "clock", tok, map[string]any{"advanceSeconds": -(24*time.Hour + time.Minute).Seconds()}); code != 200 {
		t.Fatalf("advance back: %d %v", code, out)
	}
	if code, _ := secGet(t, urlA); code != 200 {
		t.Errorf("A's URL after the clock came back: %d", code)
	}
	t.Logf("downloads: %d attacks refused", refused)
}

// TestSecControl: the control API refuses requests without the token, with
// a wrong one, or with one that differs from it in one byte, and changes
// nothing then.
func TestSecControl(t *testing.T) {
	const tok = "sec-control-token-0123456789"
	s, _ := secStart(t, "--credentials", writeCredentials(t), "--control-token", tok)
	a := &secCaller{url: s.URL, akid: keyA, secret: secretA}
	a.call(t, "CreateApplication", `{"name":"survives"}`).ok(t, "create")
	send := func(method, path, auth, body string) int {
		req, _ := http.NewRequest(method, s.URL+"/_poseidon/"+path, strings.NewReader(body))
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	last := tok[:len(tok)-1] + string(tok[len(tok)-1]^1)
	auths := map[string]int{
		"":                               401,
		"Bearer":                         401,
		"Basic " + tok:                   401,
		tok:                              401,
		"Bearer ":                        401, // trailing whitespace is not part of a header value
		"Bearer wrong":                   403,
		"Bearer " + last:                 403,
		"Bearer " + tok[:len(tok)-1]:     403,
		"Bearer " + tok + "9":            403,
		"Bearer  " + tok:                 403,
		"Bearer " + strings.ToUpper(tok): 403,
	}
	refused := 0
	for auth, want := range auths {
		for _, c := range [][3]string{{"GET", "clock", ""}, {"POST", "clock", `{"advanceSeconds":86400}`}, {"POST", "reset", `{}`},
			{"GET", "faults", ""}, {"DELETE", "faults", ""}, {"POST", "faults/exports/fail", `{"statusMessage":"m"}`},
			{"POST", "faults/imports/fail", `{"statusMessage":"m"}`}, {"POST", "faults/exports/hold", `{}`},
			{"DELETE", "faults/exports/hold", ""}, {"POST", "faults/exports/release", `{}`},
			{"POST", "faults/operations", `{"operation":"DescribeAgents","error":"ThrottlingException"}`},
			{"DELETE", "faults/operations/1", ""}} {
			if got := send(c[0], c[1], auth, c[2]); got != want {
				t.Errorf("%s %s with Authorization %q: %d, want %d", c[0], c[1], auth, got, want)
			}
			refused++
		}
	}
	// Nothing was reset and the clock did not move.
	if l, _ := a.call(t, "ListConfigurations", `{"configurationType":"APPLICATION"}`).ok(t, "list")["configurations"].([]any); len(l) != 1 {
		t.Fatalf("a refused reset wiped data: %v", l)
	}
	if code, f := faultCall(t, s.URL, "GET", "faults", tok, nil); code != 200 || f["failExports"] != nil || f["failImports"] != nil ||
		f["holdExports"] != nil || len(f["operations"].([]any)) != 0 {
		t.Fatalf("a refused fault call set a fault: %d %v", code, f)
	}
	_, out := control(t, s.URL, "clock", tok, nil)
	if sec, _ := out["epochSeconds"].(float64); time.Since(time.UnixMilli(int64(sec*1000))) > time.Hour || time.Since(time.UnixMilli(int64(sec*1000))) < -time.Hour {
		t.Fatalf("a refused clock call moved the clock: %v", out)
	}
	if got := send("GET", "clock", "Bearer "+tok, ""); got != 200 {
		t.Fatalf("right token: %d", got)
	}
	// The scheme name is case-insensitive (RFC 9110 §11.1).
	if got := send("GET", "clock", "bearer "+tok, ""); got != 200 {
		t.Fatalf("right token, scheme in lower case: %d", got)
	}
	t.Logf("control: %d requests refused", refused)
}

// TestSecLogs: at debug level, after valid and invalid signed calls, right
// and wrong control tokens and downloads, the log holds no secret key, no
// control token, no presigned signature and no Authorization header value.
func TestSecLogs(t *testing.T) {
	const (
		akid   = "AKIASECLOGSKEY000001"
		secret = "sEcReT/Logs+Key/0123456789abcdefGHIJKLMN"
		tok    = "ctl-TOKEN-5b1e9c0d7a3f4e2b8c6d"
	)
	creds := filepath.Join(t.TempDir(), "creds.json")
	if err := os.WriteFile(creds, []byte(`{"identities":[{"accessKeyId":"`+akid+`","secretAccessKey":"`+secret+`","accountId":"`+acctA+`"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	s, logs := secStart(t, "--credentials", creds, "--control-token", tok)
	good := &secCaller{url: s.URL, akid: akid, secret: secret}
	bad := &secCaller{url: s.URL, akid: akid, secret: secret + "x"}
	unknown := &secCaller{url: s.URL, akid: "AKIASECLOGSUNKNOWN01", secret: secret}
	id := secStr(good.call(t, "StartExportTask", `{}`).ok(t, "export"), "exportId")
	e := secWaitExport(t, good, id)
	u := secStr(e, "configurationsDownloadUrl")
	if code, _ := secGet(t, u); code != 200 {
		t.Fatalf("download: %d", code)
	}
	pu, _ := url.Parse(u)
	sig := pu.Query().Get("X-Amz-Signature")
	qq := pu.Query()
	qq.Set("X-Amz-Signature", secFake(sig))
	pu.RawQuery = qq.Encode()
	secGet(t, pu.String())
	good.call(t, "DescribeAgents", `{"maxResults":1000000}`) // a validation error
	good.callAt(t, "DescribeAgents", `{}`, time.Now().Add(-time.Hour))
	if r := bad.call(t, "DescribeAgents", `{}`); r.Status != 403 {
		t.Fatalf("bad signature: %d", r.Status)
	}
	unknown.call(t, "DescribeAgents", `{}`)
	control(t, s.URL, "clock", tok, nil)
	control(t, s.URL, "clock", tok+"x", nil)
	control(t, s.URL, "clock", "wrong-"+tok, nil)
	intakeCall(t, s.URL, akid, secret, []byte(`{"reports":[]}`))
	intakeCall(t, s.URL, akid, secret+"x", []byte(`{"reports":[]}`))

	got := logs.String()
	if testing.Verbose() {
		t.Logf("server log:\n%s", got)
	}
	if !strings.Contains(got, "level=DEBUG") && !strings.Contains(got, "level=INFO") {
		t.Fatalf("no log captured: %q", got)
	}
	forbidden := map[string]string{"secret key": secret, "control token": tok, "download signature": sig,
		"download key": secDownloadSecret(t, s.Data)}
	for i, h := range append(append(append([]string{}, good.sent...), bad.sent...), unknown.sent...) {
		forbidden[fmt.Sprintf("Authorization header %d", i)] = h
		if _, sg, ok := strings.Cut(h, "Signature="); ok {
			forbidden[fmt.Sprintf("request signature %d", i)] = sg
		}
	}
	checked := 0
	for what, v := range forbidden {
		if v == "" {
			continue
		}
		if strings.Contains(got, v) {
			t.Errorf("the log holds the %s", what)
		}
		checked++
	}
	if strings.Contains(got, "X-Amz-Signature=") {
		t.Error("the log holds a presigned URL's signature parameter")
	}
	t.Logf("logs: %d secrets checked absent from %d bytes of debug log", checked, len(got))
}
