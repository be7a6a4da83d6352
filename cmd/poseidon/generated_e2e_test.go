package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/agentdata"
	"github.com/poseidon-ads/poseidon/internal/conformance"
)

// TestGeneratedRequests sends the requests that internal/conformance
// generates from the model for all 28 operations to a real server: valid
// ones (minimal and maximal, naming resources a fixture created) must
// succeed, and each invalid one (one broken constraint) must get the
// modeled validation error naming the member. Every response is checked
// against the model. With POSEIDON_REQUESTS_REPORT set to a file name, the
// per-operation counts are written there as a markdown table.
//
// The long cases (lists and strings grown to the body limit) are left out
// under the race detector, which makes each megabyte request take seconds
// and the package exceed go test's timeout; scripts/test.sh runs this test
// without -race through tests/compat/run.sh, long cases included.
func TestGeneratedRequests(t *testing.T) {
	// --no-limits: the valid cases start more exports than the per-account
	// export limits allow.
	s := startServer(t, "", "--no-limits")
	fx := genNewFixture(t, s)

	ops, err := conformance.Operations()
	if err != nil {
		t.Fatal(err)
	}
	if len(ops) != 28 {
		t.Fatalf("model has %d operations, want 28", len(ops))
	}
	var rows []genRow
	for _, op := range ops {
		cases, err := conformance.RequestCases(op, fx.fill, genVariants[op]...)
		if err != nil {
			t.Fatalf("%s: %v", op, err)
		}
		if !raceEnabled {
			long, err := conformance.LongCases(op, fx.fill, genBodyLimit, genVariants[op]...)
			if err != nil {
				t.Fatalf("%s: %v", op, err)
			}
			cases = append(cases, long...)
		}
		row := genRow{op: op}
		t.Run(op, func(t *testing.T) {
			for _, c := range cases {
				if c.Inapplicable != "" {
					row.inapplicable = append(row.inapplicable, c.Name+" ("+c.Inapplicable+")")
					continue
				}
				row.run++
				isLong := c.Kind == conformance.LongList || c.Kind == conformance.LongDistinct || c.Kind == conformance.LongString
				switch {
				case isLong:
					row.long++
				case c.Kind.Valid():
					row.valid++
				default:
					row.invalid++
				}
				ok := t.Run(c.Name, func(t *testing.T) { fx.runCase(t, c) })
				switch {
				case ok && isLong:
					row.longOK++
				case ok && c.Kind.Valid():
					row.validOK++
				case ok:
					row.invalidOK++
				}
			}
		})
		rows = append(rows, row)
	}
	if raceEnabled {
		t.Log("long cases skipped under -race; tests/compat/run.sh runs them without it")
	}
	table := genTable(rows)
	t.Logf("generated request cases:\n%s", table)
	if p := os.Getenv("POSEIDON_REQUESTS_REPORT"); p != "" {
		if err := os.WriteFile(p, []byte(table), 0o644); err != nil {
			t.Errorf("writing %s: %v", p, err)
		}
	}
}

// genVariants replaces the single maximal request of operations whose
// semantics refuse every member at once.
var genVariants = map[string][]conformance.Variant{
	// An agent filter plus EC2 recommendation preferences is refused
	// (docs/behavior.md "Export tasks": InvalidParameterValueException), so
	// the maximal request is sent twice: once as an agent export (all but
	// preferences) and once as an EC2 recommendations export (all but
	// filters). Together they set every member.
	"StartExportTask": {
		{Name: "agent", Omit: []string{"preferences"}},
		{Name: "ec2", Omit: []string{"filters"}},
	},
}

type genRow struct {
	op                                                    string
	run, valid, validOK, invalid, invalidOK, long, longOK int
	inapplicable                                          []string
}

func genTable(rows []genRow) string {
	var b strings.Builder
	b.WriteString("| Operation | Cases run | Valid passed | Invalid passed | Long passed | Inapplicable |\n")
	b.WriteString("|---|---:|---:|---:|---:|---|\n")
	var tot genRow
	for _, r := range rows {
		in := "—"
		if len(r.inapplicable) > 0 {
			in = strings.Join(r.inapplicable, "; ")
		}
		fmt.Fprintf(&b, "| %s | %d | %d/%d | %d/%d | %d/%d | %s |\n", r.op, r.run, r.validOK, r.valid, r.invalidOK, r.invalid, r.longOK, r.long, in)
		tot.run += r.run
		tot.valid += r.valid
		tot.validOK += r.validOK
		tot.invalid += r.invalid
		tot.invalidOK += r.invalidOK
		tot.long += r.long
		tot.longOK += r.longOK
		tot.inapplicable = append(tot.inapplicable, r.inapplicable...)
	}
	fmt.Fprintf(&b, "| **Total** | %d | %d/%d | %d/%d | %d/%d | %d |\n", tot.run, tot.validOK, tot.valid, tot.invalidOK, tot.invalid, tot.longOK, tot.long, len(tot.inapplicable))
	fmt.Fprintf(&b, "\nLong cases (conformance.LongCases): for every list member, nested ones too, the list grown until the body reaches the %d-byte limit or the list its model max, once cycling the request's values and once with distinct made-up strings (where the element is a string or holds lists of strings; lists of structures first get inner lists of their max or 100 items), and every string without a max length (tag keys and values, nextToken) grown alike. Each answers 200 or its documented 4xx, never a 5xx (largest: %d bytes, %d list items). Responses with HTTP 5xx: %d.\n",
		genBodyLimit, genLongestBody.Load(), genMostItems.Load(), gen5xx.Load())
	fmt.Fprintf(&b, "\nResponses checked against the model (cases and fixture calls): %d; non-conforming: %d.\n", genChecked.Load(), genNonConforming.Load())
	return b.String()
}

// genChecked and genNonConforming count the responses this test checked
// with conformance.Check, and those with a violation; gen5xx those with a
// 5xx status; genLongestBody and genMostItems the largest long case.
var genChecked, genNonConforming, gen5xx, genLongestBody, genMostItems atomic.Int64

// genBodyLimit is the server's default --max-body-bytes: long cases fill it.
const genBodyLimit = 1 << 20

// genLongRefused are the long cases the server refuses by a documented rule
// (docs/behavior.md), with the modeled error it answers; every other long
// case must succeed.
var genLongRefused = map[string]string{
	// DECISIONS.md: more than 100 exportIds.
	"DescribeExportTasks long-list exportIds":              "InvalidParameterValueException",
	"DescribeExportTasks long-distinct exportIds":          "InvalidParameterValueException",
	"DescribeExportConfigurations long-list exportIds":     "InvalidParameterValueException",
	"DescribeExportConfigurations long-distinct exportIds": "InvalidParameterValueException",
	// One agentIds filter with one agent ID (DECISIONS.md).
	"StartExportTask long-list filters/agent":                     "InvalidParameterValueException",
	"StartExportTask long-distinct filters/agent":                 "InvalidParameterValueException",
	"StartExportTask long-list filters.1.member.values/agent":     "InvalidParameterValueException",
	"StartExportTask long-distinct filters.1.member.values/agent": "InvalidParameterValueException",
	// At most 200 configuration IDs (model: LimitExceededException).
	"StartBatchDeleteConfigurationTask long-list configurationIds":     "LimitExceededException",
	"StartBatchDeleteConfigurationTask long-distinct configurationIds": "LimitExceededException",
	// A megabyte of "a"s is no page token (docs/behavior.md "Pagination
	// tokens").
	"DescribeAgents long-string nextToken":               "InvalidParameterValueException",
	"DescribeContinuousExports long-string nextToken":    "InvalidParameterValueException",
	"DescribeExportConfigurations long-string nextToken": "InvalidParameterValueException",
	"DescribeExportTasks long-string nextToken":          "InvalidParameterValueException",
	"DescribeImportTasks long-string nextToken":          "InvalidParameterValueException",
	"DescribeTags long-string nextToken":                 "InvalidParameterValueException",
	"ListConfigurations long-string nextToken":           "InvalidParameterValueException",
	// A field at most once in orderBy.
	"ListConfigurations long-list orderBy": "InvalidParameterValueException",
	// Made-up IDs name no resource: operations that act on resources
	// refuse unknown ones (docs/behavior.md, each operation's section).
	"AssociateConfigurationItemsToApplication long-distinct configurationIds":      "InvalidParameterValueException",
	"DisassociateConfigurationItemsFromApplication long-distinct configurationIds": "InvalidParameterValueException",
	"DeleteApplications long-distinct configurationIds":                            "InvalidParameterValueException",
	"CreateTags long-distinct configurationIds":                                    "ResourceNotFoundException",
	"DeleteTags long-distinct configurationIds":                                    "ResourceNotFoundException",
	"DescribeContinuousExports long-distinct exportIds":                            "ResourceNotFoundException",
}

func genCount(violations []string) {
	genChecked.Add(1)
	if len(violations) > 0 {
		genNonConforming.Add(1)
	}
}

// runCase sends c and checks status, error code, message and conformance.
func (fx *genFixture) runCase(t *testing.T, c conformance.Case) {
	body := c.Body
	if c.Kind.Valid() {
		var in map[string]any
		if err := json.Unmarshal(body, &in); err != nil {
			t.Fatal(err)
		}
		if before := genBefore[c.Op]; before != nil {
			before(t, fx, in)
		}
		if c.Kind != conformance.LongString {
			fx.withNextToken(t, c.Op, in)
		}
		body, _ = json.Marshal(in)
	}
	status, hdr, resp := postADS(t, fx.url, c.Op, body)
	violations := conformance.Check(c.Op, status, resp)
	genCount(violations)
	if status >= 500 {
		gen5xx.Add(1)
	}
	for _, v := range violations {
		t.Errorf("non-conforming response (HTTP %d): %s\nrequest: %.400s", status, v, body)
	}
	want := c.WantStatus
	refused, isRefused := genLongRefused[c.Op+" "+c.Name]
	if isRefused {
		want = http.StatusBadRequest
	}
	if status != want {
		t.Fatalf("HTTP %d %.600s, want %d\nrequest: %.400s", status, resp, want, body)
	}
	if c.Kind == conformance.LongList || c.Kind == conformance.LongDistinct || c.Kind == conformance.LongString {
		genLongStats(body)
		if got := hdr.Get("X-Amzn-ErrorType"); isRefused && got != refused {
			t.Errorf("refused with %s %.300s, want %s", got, resp, refused)
		}
		return
	}
	if c.Kind.Valid() {
		return
	}
	var e struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal(resp, &e); err != nil {
		t.Fatalf("error body %q: %v", resp, err)
	}
	noun := "errors"
	if c.WantViolations == 1 {
		noun = "error"
	}
	prefix := fmt.Sprintf("%d validation %s detected: ", c.WantViolations, noun)
	at := "at '" + c.WantPath + "' failed to satisfy constraint: "
	if c.Kind == conformance.Missing {
		at = "Value null " + at
	}
	if e.Type != c.WantCode || hdr.Get("X-Amzn-ErrorType") != e.Type || !strings.HasPrefix(e.Message, prefix) ||
		strings.Count(e.Message, at) != c.WantViolations || !strings.Contains(e.Message, at+c.WantConstraint) {
		t.Errorf("got %s (X-Amzn-ErrorType %q) %q\nwant %s, message %q... with %d× %q, one followed by %q\nrequest: %.400s",
			e.Type, hdr.Get("X-Amzn-ErrorType"), e.Message, c.WantCode, prefix, c.WantViolations, at, c.WantConstraint, body)
	}
}

// genLongStats records the size of a long case's body and its longest list.
func genLongStats(body []byte) {
	// Cases run one at a time.
	if n := int64(len(body)); n > genLongestBody.Load() {
		genLongestBody.Store(n)
	}
	var walk func(v any) int
	walk = func(v any) int {
		most := 0
		switch v := v.(type) {
		case []any:
			most = len(v)
			for _, e := range v {
				most = max(most, walk(e))
			}
		case map[string]any:
			for _, e := range v {
				most = max(most, walk(e))
			}
		}
		return most
	}
	var in any
	if json.Unmarshal(body, &in) != nil {
		return
	}
	if n := int64(walk(in)); n > genMostItems.Load() {
		genMostItems.Store(n)
	}
}

// genBefore runs before each valid case of an operation, just before it is
// sent, and may change the request: exclusive resources are made here, not
// in the filler, which runs when all cases of the operation are generated.
var genBefore = map[string]func(*testing.T, *genFixture, map[string]any){
	// One continuous export per account: stop the running one first.
	"StartContinuousExport": func(t *testing.T, fx *genFixture, _ map[string]any) { fx.stopContinuous(t) },
	// Stop needs a running export of its own.
	"StopContinuousExport": func(t *testing.T, fx *genFixture, in map[string]any) {
		fx.stopContinuous(t)
		in["exportId"] = fx.call(t, "StartContinuousExport", map[string]any{})["exportId"]
	},
}

// withNextToken replaces the nextToken of a valid request with a real one:
// tokens are bound to their query, so it asks the same query without it.
func (fx *genFixture) withNextToken(t *testing.T, op string, in map[string]any) {
	t.Helper()
	if _, ok := in["nextToken"]; !ok {
		return
	}
	delete(in, "nextToken")
	out := fx.call(t, op, in)
	tok, _ := out["nextToken"].(string)
	if tok == "" {
		t.Fatalf("fixture too small: %s %v answered no nextToken: %v", op, in, out)
	}
	in["nextToken"] = tok
}

// genFixture holds the resources the valid requests name.
type genFixture struct {
	t       *testing.T
	url     string
	data    string
	base    time.Time
	agents  []string // g1..g4; g1 talks to g2 and g3
	servers []string // their server IDs
	apps    []string
	summary []string // summary export IDs
	agentEx []string // agent exports of g1
	cont    []string // continuous exports: a stopped one, then a running one
	imports []string
	task    string // a batch delete task
	fresh   int
}

func genNewFixture(t *testing.T, s *testServer) *genFixture {
	t.Helper()
	fx := &genFixture{t: t, url: s.URL, data: s.Data, base: time.Now().Add(-3 * time.Hour).Truncate(time.Minute)}
	var reports []agentdata.Report
	for i := 1; i <= 4; i++ {
		id := fmt.Sprintf("o-9e%014d", i)
		fx.agents = append(fx.agents, id)
		ip := fmt.Sprintf("10.9.0.%d", i)
		for r := 0; r < 2; r++ {
			rep := agentdata.Report{
				ReportID: fmt.Sprintf("gen-%d-%d", i, r), AgentID: id, Timestamp: float64(fx.base.Add(time.Duration(r) * 15 * time.Minute).Unix()),
				Agent:             agentdata.AgentInfo{Version: "2.0.1"},
				Server:            agentdata.ServerInfo{HostName: fmt.Sprintf("gen-%d.example.com", i), OSName: "Linux", NumCPUs: 2, TotalRAMMB: 4096},
				NetworkInterfaces: []agentdata.NetworkInterface{{Name: "eth0", MACAddress: fmt.Sprintf("02:00:00:00:09:%02d", i), IPAddress: ip, NetMask: "255.255.255.0"}},
				Performance:       &agentdata.Performance{CPUUsagePct: 10, FreeRAMMB: 2048, DiskFreeGB: 10},
				Processes:         []agentdata.Process{{PID: 100, Name: "svc", CommandLine: "/usr/bin/svc", Path: "/usr/bin/svc"}},
			}
			if i == 1 {
				rep.Connections = []agentdata.Connection{
					{Direction: "outbound", SourceIP: ip, SourcePort: 40000 + r, DestinationIP: "10.9.0.2", DestinationPort: 5432, PID: 100},
					{Direction: "outbound", SourceIP: ip, SourcePort: 41000 + r, DestinationIP: "10.9.0.3", DestinationPort: 443, PID: 100},
				}
			}
			reports = append(reports, rep)
		}
	}
	postAgentBatch(t, fx.url, acctA, &agentdata.Batch{Reports: reports})
	for _, a := range fx.agents {
		fx.servers = append(fx.servers, fx.serverOf(t, a))
	}

	for i := 1; i <= 2; i++ {
		fx.apps = append(fx.apps, fx.newApp(t))
	}
	fx.call(t, "AssociateConfigurationItemsToApplication", map[string]any{"applicationConfigurationId": fx.apps[0], "configurationIds": fx.servers[:2]})
	fx.call(t, "CreateTags", map[string]any{"configurationIds": fx.servers[:2], "tags": []any{map[string]any{"key": "gen-env", "value": "prod"}}})

	for i := 0; i < 2; i++ {
		fx.summary = append(fx.summary, fx.call(t, "StartExportTask", map[string]any{})["exportId"].(string))
		fx.agentEx = append(fx.agentEx, fx.call(t, "StartExportTask", map[string]any{
			"filters":   []any{map[string]any{"name": "agentIds", "values": []string{fx.agents[0]}, "condition": "EQUALS"}},
			"startTime": fx.base.Unix(), "endTime": fx.base.Add(time.Duration(i+1) * 10 * time.Minute).Unix(),
		})["exportId"].(string))
	}

	fx.cont = append(fx.cont, fx.call(t, "StartContinuousExport", map[string]any{})["exportId"].(string))
	fx.call(t, "StopContinuousExport", map[string]any{"exportId": fx.cont[0]})
	fx.cont = append(fx.cont, fx.call(t, "StartContinuousExport", map[string]any{})["exportId"].(string))

	bucket := filepath.Join(fx.data, "buckets", "gen-bucket")
	if err := os.MkdirAll(bucket, 0o755); err != nil {
		t.Fatal(err)
	}
	csv := "ExternalId,IPAddress,HostName,OS.Name\n" +
		"gen-ext-1,10.19.0.1,imported-1.example.net,Linux\n" +
		"gen-ext-2,10.19.0.2,imported-2.example.net,Linux\n"
	if err := os.WriteFile(filepath.Join(bucket, "servers.csv"), []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		fx.imports = append(fx.imports, fx.newImport(t))
	}
	fx.task = fx.call(t, "StartBatchDeleteConfigurationTask", map[string]any{"configurationType": "SERVER", "configurationIds": []string{fx.freshServer(t)}})["taskId"].(string)
	return fx
}

// call sends a request that must succeed and returns the decoded answer.
func (fx *genFixture) call(t *testing.T, op string, in any) map[string]any {
	t.Helper()
	body, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	status, _, resp := postADS(t, fx.url, op, body)
	violations := conformance.Check(op, status, resp)
	genCount(violations)
	for _, v := range violations {
		t.Errorf("fixture %s: non-conforming response: %s", op, v)
	}
	if status != http.StatusOK {
		t.Fatalf("fixture %s %s: HTTP %d %s", op, body, status, resp)
	}
	var out map[string]any
	if err := json.Unmarshal(resp, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func (fx *genFixture) serverOf(t *testing.T, agent string) string {
	t.Helper()
	out := fx.call(t, "ListConfigurations", map[string]any{"configurationType": "SERVER",
		"filters": []any{map[string]any{"name": "server.agentId", "condition": "EQUALS", "values": []string{agent}}}})
	cs, _ := out["configurations"].([]any)
	if len(cs) != 1 {
		t.Fatalf("servers of agent %s: %v", agent, out)
	}
	return cs[0].(map[string]any)["server.configurationId"].(string)
}

func (fx *genFixture) newApp(t *testing.T) string {
	t.Helper()
	fx.fresh++
	return fx.call(t, "CreateApplication", map[string]any{"name": fmt.Sprintf("gen-app-%d", fx.fresh)})["configurationId"].(string)
}

func (fx *genFixture) newImport(t *testing.T) string {
	t.Helper()
	fx.fresh++
	out := fx.call(t, "StartImportTask", map[string]any{"name": fmt.Sprintf("gen-import-%d", fx.fresh), "importUrl": "s3://gen-bucket/servers.csv"})
	return out["task"].(map[string]any)["importTaskId"].(string)
}

// freshAgent registers a new agent (with its server) and returns its ID.
func (fx *genFixture) freshAgent(t *testing.T) string {
	t.Helper()
	fx.fresh++
	id := fmt.Sprintf("o-9f%014d", fx.fresh)
	postAgentBatch(t, fx.url, acctA, &agentdata.Batch{Reports: []agentdata.Report{{
		ReportID: "gen-fresh-" + id, AgentID: id, Timestamp: float64(fx.base.Unix()),
		Server:            agentdata.ServerInfo{HostName: fmt.Sprintf("fresh-%d.example.org", fx.fresh), OSName: "Linux"},
		NetworkInterfaces: []agentdata.NetworkInterface{{Name: "eth0", IPAddress: fmt.Sprintf("10.29.%d.%d", fx.fresh/250, fx.fresh%250+1)}},
	}}})
	return id
}

func (fx *genFixture) freshServer(t *testing.T) string {
	t.Helper()
	return fx.serverOf(t, fx.freshAgent(t))
}

// stopContinuous stops the account's running continuous export, if any.
func (fx *genFixture) stopContinuous(t *testing.T) {
	t.Helper()
	out := fx.call(t, "DescribeContinuousExports", map[string]any{})
	for _, d := range out["descriptions"].([]any) {
		e := d.(map[string]any)
		if st := e["status"]; st == "START_IN_PROGRESS" || st == "ACTIVE" {
			fx.call(t, "StopContinuousExport", map[string]any{"exportId": e["exportId"]})
		}
	}
}

// fill is the conformance.Filler: it names real resources in valid
// requests. Consuming operations get a fresh resource per valid request;
// invalid requests (kind Missing and others) never reach the operation,
// so they reuse fixture IDs.
func (fx *genFixture) fill(op string, kind conformance.Kind, path string) (any, bool) {
	t := fx.t
	valid := kind.Valid()
	switch op + " " + path {
	case "AssociateConfigurationItemsToApplication applicationConfigurationId",
		"DisassociateConfigurationItemsFromApplication applicationConfigurationId":
		return fx.apps[0], true
	case "AssociateConfigurationItemsToApplication configurationIds":
		return fx.servers[2:3], true
	case "DisassociateConfigurationItemsFromApplication configurationIds":
		return fx.servers[1:2], true
	case "BatchDeleteAgents deleteAgents.1.member.agentId":
		if valid {
			return fx.freshAgent(t), true
		}
		return fx.agents[3], true
	case "BatchDeleteImportData importTaskIds":
		if valid {
			return []string{fx.newImport(t)}, true
		}
		return fx.imports[:1], true
	case "CreateTags configurationIds":
		return fx.servers[:1], true
	case "DeleteApplications configurationIds":
		if valid {
			return []string{fx.newApp(t)}, true
		}
		return fx.apps[:1], true
	case "DeleteTags configurationIds":
		return fx.servers[3:4], true
	case "DescribeAgents agentIds", "StartDataCollectionByAgentIds agentIds", "StopDataCollectionByAgentIds agentIds":
		return fx.agents[:2], true
	case "DescribeAgents filters.1.member.name":
		return "hostName", true
	case "DescribeAgents filters.1.member.condition", "ListConfigurations filters.1.member.condition":
		return "CONTAINS", true
	case "DescribeAgents filters.1.member.values", "ListConfigurations filters.1.member.values":
		return []string{"gen-"}, true
	case "DescribeBatchDeleteConfigurationTask taskId":
		return fx.task, true
	case "DescribeConfigurations configurationIds":
		return fx.servers[:2], true
	case "DescribeContinuousExports exportIds":
		return fx.cont, true
	case "DescribeExportConfigurations exportIds":
		return fx.summary, true
	case "DescribeExportTasks exportIds":
		return fx.agentEx, true
	case "DescribeExportTasks filters.1.member.name", "StartExportTask filters.1.member.name":
		return "agentIds", true
	case "DescribeExportTasks filters.1.member.condition", "StartExportTask filters.1.member.condition":
		return "EQUALS", true
	case "DescribeExportTasks filters.1.member.values":
		return fx.agents[:1], true
	case "StartExportTask filters.1.member.values":
		return fx.agents[1:2], true
	case "StartExportTask startTime":
		return fx.base.Unix(), true
	case "StartExportTask endTime":
		// A fresh window per valid request: a second export of the same
		// agent and window is refused once the first one succeeded.
		if valid {
			fx.fresh++
			return fx.base.Add(30*time.Minute + time.Duration(fx.fresh)*time.Second).Unix(), true
		}
		return fx.base.Add(30 * time.Minute).Unix(), true
	case "DescribeImportTasks filters.1.member.values":
		return fx.imports, true
	case "DescribeTags filters.1.member.name":
		return "tagKey", true
	case "DescribeTags filters.1.member.values":
		return []string{"gen-env"}, true
	case "ListConfigurations filters.1.member.name", "ListConfigurations orderBy.1.member.fieldName":
		return "server.hostName", true
	case "ListServerNeighbors configurationId":
		return fx.servers[0], true
	case "ListServerNeighbors neighborConfigurationIds":
		return fx.servers[1:3], true
	case "StartBatchDeleteConfigurationTask configurationIds":
		if valid {
			return []string{fx.freshServer(t)}, true
		}
		return fx.servers[3:4], true
	case "StartImportTask importUrl":
		return "s3://gen-bucket/servers.csv", true
	case "StopContinuousExport exportId":
		// Valid requests get a running export at send time (genBefore).
		return fx.cont[0], true
	case "UpdateApplication configurationId":
		return fx.apps[1], true
	}
	return nil, false
}
