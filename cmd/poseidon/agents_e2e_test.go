package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/credentials"
	v4 "github.com/aws/aws-sdk-go/aws/signer/v4"
	ads "github.com/aws/aws-sdk-go/service/applicationdiscoveryservice"

	"github.com/poseidon-ads/poseidon/internal/agentdata"
)

// agentsT0 is when the test agents first report.
var agentsT0 = time.Date(2026, 2, 1, 8, 0, 0, 0, time.UTC)

// testAgentID is the ID of test agent n.
func testAgentID(n int) string { return fmt.Sprintf("o-%017x", 0xa0000+n) }

// agentReport builds test agent n's report at agentsT0 + step×15 minutes:
// host "host-n", IP 10.20.0.n, a performance sample and one outbound
// connection to agent n+1.
func agentReport(n, step int) agentdata.Report {
	ts := agentsT0.Add(time.Duration(step) * 15 * time.Minute)
	return agentdata.Report{
		ReportID:  fmt.Sprintf("e2e-%d-%d", n, step),
		AgentID:   testAgentID(n),
		Timestamp: float64(ts.Unix()),
		Agent:     agentdata.AgentInfo{Version: "2.0.1500.0"},
		Server:    agentdata.ServerInfo{HostName: fmt.Sprintf("host-%d", n), OSName: "Linux", NumCPUs: 2, TotalRAMMB: 8192},
		NetworkInterfaces: []agentdata.NetworkInterface{
			{Name: "eth0", IPAddress: fmt.Sprintf("10.20.0.%d", n), MACAddress: fmt.Sprintf("02:42:ac:11:00:%02x", n)}},
		Performance: &agentdata.Performance{CPUUsagePct: 12.5, FreeRAMMB: 4096, DiskFreeGB: 50},
		Processes:   []agentdata.Process{{PID: 300, Name: "java", Path: "/usr/bin/java"}},
		Connections: []agentdata.Connection{{Direction: "outbound", SourceIP: fmt.Sprintf("10.20.0.%d", n), SourcePort: 41000,
			DestinationIP: fmt.Sprintf("10.20.0.%d", n+1), DestinationPort: 8080, PID: 300}},
	}
}

// takeInReports posts reports and fails unless the intake answers 200.
func takeInReports(t *testing.T, url, akid, secret string, rs ...agentdata.Report) map[string]any {
	t.Helper()
	body, err := json.Marshal(agentdata.Batch{Reports: rs})
	if err != nil {
		t.Fatal(err)
	}
	code, _, out := intakeCall(t, url, akid, secret, body)
	if code != 200 {
		t.Fatalf("intake: %d %v", code, out)
	}
	return out
}

// wantIntakeError checks an intake error answer: status, __type, the
// X-Amzn-ErrorType header and a request ID.
func wantIntakeError(t *testing.T, code int, h http.Header, out map[string]any, wantStatus int, wantType string) string {
	t.Helper()
	if code != wantStatus || out["__type"] != wantType || h.Get("X-Amzn-ErrorType") != wantType || h.Get("x-amzn-RequestId") == "" {
		t.Fatalf("got %d %v (%s), want %d %s", code, out, h.Get("X-Amzn-ErrorType"), wantStatus, wantType)
	}
	msg, _ := out["message"].(string)
	if msg == "" {
		t.Fatalf("error without message: %v", out)
	}
	return msg
}

// describeAgentIDs lists the IDs DescribeAgents returns over all pages.
func describeAgentIDs(t *testing.T, c *ads.ApplicationDiscoveryService, in *ads.DescribeAgentsInput) []string {
	t.Helper()
	var got []string
	err := c.DescribeAgentsPages(in, func(p *ads.DescribeAgentsOutput, last bool) bool {
		for _, a := range p.AgentsInfo {
			got = append(got, aws.StringValue(a.AgentId))
		}
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func agentIDs(ns ...int) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = testAgentID(n)
	}
	return out
}

func agentFilterOf(name, cond string, values ...string) *ads.Filter {
	return &ads.Filter{Name: aws.String(name), Condition: aws.String(cond), Values: aws.StringSlice(values)}
}

func TestAgentsIntakeAndDescribe(t *testing.T) {
	s := startServer(t, "")
	c := client(t, s.URL, acctA, "x")

	var batch []agentdata.Report
	for n := 1; n <= 5; n++ {
		for step := range 2 {
			r := agentReport(n, step)
			if n == 3 {
				r.Agent.Health = "UNHEALTHY"
			}
			if n == 4 {
				r.Agent.AgentType, r.Agent.ConnectorID, r.Agent.Version = "VMWARE", "connector-4", "1.9"
			}
			batch = append(batch, r)
		}
	}
	out := takeInReports(t, s.URL, acctA, "x", batch...)
	want := map[string]any{"accepted": 10.0, "duplicates": 0.0, "dropped": 0.0, "droppedReports": []any{}}
	if fmt.Sprint(out) != fmt.Sprint(want) {
		t.Fatalf("intake = %v, want %v", out, want)
	}
	// A retried batch adds nothing.
	out = takeInReports(t, s.URL, acctA, "x", batch...)
	if out["accepted"] != 0.0 || out["duplicates"] != 10.0 {
		t.Fatalf("retry = %v", out)
	}

	t.Run("AgentInfo", func(t *testing.T) {
		got, err := c.DescribeAgents(&ads.DescribeAgentsInput{AgentIds: aws.StringSlice(agentIDs(1, 4))})
		if err != nil {
			t.Fatal(err)
		}
		if len(got.AgentsInfo) != 2 || got.NextToken != nil {
			t.Fatalf("DescribeAgents = %v", got)
		}
		a, v := got.AgentsInfo[0], got.AgentsInfo[1]
		wantA := &ads.AgentInfo{
			AgentId: aws.String(testAgentID(1)), HostName: aws.String("host-1"),
			AgentNetworkInfoList: []*ads.AgentNetworkInfo{{IpAddress: aws.String("10.20.0.1"), MacAddress: aws.String("02:42:ac:11:00:01")}},
			Version:              aws.String("2.0.1500.0"), Health: aws.String("HEALTHY"), CollectionStatus: aws.String("STARTED"),
			AgentType: aws.String("EC2"), RegisteredTime: aws.String("2026-02-01T08:00:00Z"), LastHealthPingTime: aws.String("2026-02-01T08:15:00Z"),
		}
		if a.String() != wantA.String() {
			t.Fatalf("agent 1 =\n%s\nwant\n%s", a, wantA)
		}
		if aws.StringValue(v.ConnectorId) != "connector-4" || aws.StringValue(v.AgentType) != "VMWARE" || aws.StringValue(v.Version) != "1.9" {
			t.Fatalf("agent 4 = %s", v)
		}
	})

	t.Run("pages of two", func(t *testing.T) {
		var (
			got    []string
			tokens = map[string]bool{}
			pages  int
		)
		in := &ads.DescribeAgentsInput{MaxResults: aws.Int64(2)}
		for {
			p, err := c.DescribeAgents(in)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			for _, a := range p.AgentsInfo {
				got = append(got, aws.StringValue(a.AgentId))
			}
			if p.NextToken == nil {
				break
			}
			if tokens[*p.NextToken] {
				t.Fatal("a token came twice")
			}
			tokens[*p.NextToken] = true
			in.NextToken = p.NextToken
		}
		if want := agentIDs(1, 2, 3, 4, 5); pages != 3 || !slices.Equal(got, want) {
			t.Fatalf("%d pages: %v, want %v", pages, got, want)
		}
		// The SDK paginator, with a filter.
		if got := describeAgentIDs(t, c, &ads.DescribeAgentsInput{MaxResults: aws.Int64(2),
			Filters: []*ads.Filter{agentFilterOf("hostName", "NOT_EQUALS", "host-2")}}); !slices.Equal(got, agentIDs(1, 3, 4, 5)) {
			t.Fatalf("filtered pages: %v", got)
		}
	})

	t.Run("filters", func(t *testing.T) {
		for _, tc := range []struct {
			in   *ads.DescribeAgentsInput
			want []string
		}{
			{&ads.DescribeAgentsInput{Filters: []*ads.Filter{agentFilterOf("health", "EQUALS", "UNHEALTHY")}}, agentIDs(3)},
			{&ads.DescribeAgentsInput{Filters: []*ads.Filter{agentFilterOf("collectionStatus", "EQUALS", "STARTED", "STOPPED")}}, agentIDs(1, 2, 3, 4, 5)},
			{&ads.DescribeAgentsInput{Filters: []*ads.Filter{agentFilterOf("agentNetworkInfoList.ipAddress", "CONTAINS", "10.20.0.5")}}, agentIDs(5)},
			{&ads.DescribeAgentsInput{Filters: []*ads.Filter{agentFilterOf("agentType", "NOT_CONTAINS", "VM")}}, agentIDs(1, 2, 3, 5)},
			{&ads.DescribeAgentsInput{AgentIds: aws.StringSlice(append(agentIDs(2, 3), "o-unknownunknown01")),
				Filters: []*ads.Filter{agentFilterOf("health", "EQUALS", "HEALTHY")}}, agentIDs(2)},
			{&ads.DescribeAgentsInput{AgentIds: aws.StringSlice([]string{"o-unknownunknown01"})}, nil},
		} {
			if got := describeAgentIDs(t, c, tc.in); !slices.Equal(got, tc.want) {
				t.Errorf("%s: got %v, want %v", tc.in, got, tc.want)
			}
		}
	})

	t.Run("modeled errors", func(t *testing.T) {
		_, err := c.DescribeAgents(&ads.DescribeAgentsInput{Filters: []*ads.Filter{agentFilterOf("osName", "EQUALS", "Linux")}})
		wantCode(t, err, ads.ErrCodeInvalidParameterException, 400)
		_, err = c.DescribeAgents(&ads.DescribeAgentsInput{Filters: []*ads.Filter{agentFilterOf("health", "LIKE", "H")}})
		wantCode(t, err, ads.ErrCodeInvalidParameterValueException, 400)
		_, err = c.DescribeAgents(&ads.DescribeAgentsInput{MaxResults: aws.Int64(-1)})
		rf := wantCode(t, err, ads.ErrCodeInvalidParameterValueException, 400)
		if !strings.Contains(rf.Message(), "Value '-1' at 'maxResults'") {
			t.Fatalf("message = %q", rf.Message())
		}
		_, err = c.DescribeAgents(&ads.DescribeAgentsInput{Filters: []*ads.Filter{{Name: aws.String("health"), Values: aws.StringSlice([]string{"x"})}}})
		wantCode(t, err, ads.ErrCodeInvalidParameterException, 400) // condition missing
		// A token of another query, and of another account.
		p, err := c.DescribeAgents(&ads.DescribeAgentsInput{MaxResults: aws.Int64(1)})
		if err != nil || p.NextToken == nil {
			t.Fatal(err)
		}
		_, err = c.DescribeAgents(&ads.DescribeAgentsInput{NextToken: p.NextToken, Filters: []*ads.Filter{agentFilterOf("health", "EQUALS", "HEALTHY")}})
		wantCode(t, err, ads.ErrCodeInvalidParameterValueException, 400)
		_, err = client(t, s.URL, acctB, "x").DescribeAgents(&ads.DescribeAgentsInput{NextToken: p.NextToken})
		wantCode(t, err, ads.ErrCodeInvalidParameterValueException, 400)
	})

	t.Run("accounts are isolated", func(t *testing.T) {
		b := client(t, s.URL, acctB, "x")
		if got := describeAgentIDs(t, b, &ads.DescribeAgentsInput{}); len(got) != 0 {
			t.Fatalf("account B sees %v", got)
		}
		st, err := b.StopDataCollectionByAgentIds(&ads.StopDataCollectionByAgentIdsInput{AgentIds: aws.StringSlice(agentIDs(1))})
		if err != nil || aws.BoolValue(st.AgentsConfigurationStatus[0].OperationSucceeded) {
			t.Fatalf("B stops A's agent: %v %v", st, err)
		}
		del, err := b.BatchDeleteAgents(&ads.BatchDeleteAgentsInput{DeleteAgents: []*ads.DeleteAgent{{AgentId: aws.String(testAgentID(1)), Force: aws.Bool(true)}}})
		if err != nil || len(del.Errors) != 1 || aws.StringValue(del.Errors[0].ErrorCode) != "NOT_FOUND" {
			t.Fatalf("B deletes A's agent: %v %v", del, err)
		}
		if got := describeAgentIDs(t, c, &ads.DescribeAgentsInput{}); len(got) != 5 {
			t.Fatalf("account A sees %v", got)
		}
	})
}

func TestAgentsCollectionControl(t *testing.T) {
	s := startServer(t, "")
	c := client(t, s.URL, acctA, "x")
	takeInReports(t, s.URL, acctA, "x", agentReport(1, 0), agentReport(2, 0), agentReport(3, 0))

	stop, err := c.StopDataCollectionByAgentIds(&ads.StopDataCollectionByAgentIdsInput{AgentIds: aws.StringSlice([]string{testAgentID(1), "o-notthereatall01"})})
	if err != nil {
		t.Fatal(err)
	}
	want := []*ads.AgentConfigurationStatus{
		{AgentId: aws.String(testAgentID(1)), OperationSucceeded: aws.Bool(true), Description: aws.String("Data collection stopped.")},
		{AgentId: aws.String("o-notthereatall01"), OperationSucceeded: aws.Bool(false), Description: aws.String("Agent o-notthereatall01 was not found in this account.")},
	}
	if fmt.Sprint(stop.AgentsConfigurationStatus) != fmt.Sprint(want) {
		t.Fatalf("stop = %v", stop.AgentsConfigurationStatus)
	}
	if got := describeAgentIDs(t, c, &ads.DescribeAgentsInput{Filters: []*ads.Filter{agentFilterOf("collectionStatus", "EQUALS", "STOPPED")}}); !slices.Equal(got, agentIDs(1)) {
		t.Fatalf("stopped: %v", got)
	}

	// A stopped agent's report updates its health, and its data is dropped.
	r := agentReport(1, 1)
	r.Agent.Health = "SHUTDOWN"
	out := takeInReports(t, s.URL, acctA, "x", r, agentReport(2, 1))
	want2 := fmt.Sprint(map[string]any{"accepted": 1.0, "duplicates": 0.0, "dropped": 1.0, "droppedReports": []any{
		map[string]any{"reportId": r.ReportID, "reason": "data collection is stopped for agent " + testAgentID(1)}}})
	if fmt.Sprint(out) != want2 {
		t.Fatalf("intake = %v, want %v", out, want2)
	}
	info, err := c.DescribeAgents(&ads.DescribeAgentsInput{AgentIds: aws.StringSlice(agentIDs(1))})
	if err != nil || aws.StringValue(info.AgentsInfo[0].Health) != "SHUTDOWN" || aws.StringValue(info.AgentsInfo[0].LastHealthPingTime) != "2026-02-01T08:15:00Z" {
		t.Fatalf("stopped agent = %v %v", info, err)
	}

	start, err := c.StartDataCollectionByAgentIds(&ads.StartDataCollectionByAgentIdsInput{AgentIds: aws.StringSlice(agentIDs(1, 1))})
	if err != nil || len(start.AgentsConfigurationStatus) != 1 || !aws.BoolValue(start.AgentsConfigurationStatus[0].OperationSucceeded) ||
		aws.StringValue(start.AgentsConfigurationStatus[0].Description) != "Data collection started." {
		t.Fatalf("start = %v %v", start, err)
	}
	if out := takeInReports(t, s.URL, acctA, "x", agentReport(1, 2)); out["accepted"] != 1.0 {
		t.Fatalf("after start: %v", out)
	}

	// BatchDeleteAgents: collecting agents need force; agent 2 is stopped first.
	if _, err := c.StopDataCollectionByAgentIds(&ads.StopDataCollectionByAgentIdsInput{AgentIds: aws.StringSlice(agentIDs(2))}); err != nil {
		t.Fatal(err)
	}
	del, err := c.BatchDeleteAgents(&ads.BatchDeleteAgentsInput{DeleteAgents: []*ads.DeleteAgent{
		{AgentId: aws.String(testAgentID(1))},
		{AgentId: aws.String(testAgentID(2))},
		{AgentId: aws.String(testAgentID(3)), Force: aws.Bool(true)},
		{AgentId: aws.String("o-notthereatall01")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	wantErrs := []*ads.BatchDeleteAgentError{
		{AgentId: aws.String(testAgentID(1)), ErrorCode: aws.String("AGENT_IN_USE"),
			ErrorMessage: aws.String("Agent " + testAgentID(1) + " is collecting data. Stop its data collection first, or set force to delete it anyway.")},
		{AgentId: aws.String("o-notthereatall01"), ErrorCode: aws.String("NOT_FOUND"), ErrorMessage: aws.String("Agent o-notthereatall01 was not found in this account.")},
	}
	if fmt.Sprint(del.Errors) != fmt.Sprint(wantErrs) {
		t.Fatalf("errors = %v", del.Errors)
	}
	if got := describeAgentIDs(t, c, &ads.DescribeAgentsInput{}); !slices.Equal(got, agentIDs(1)) {
		t.Fatalf("after delete: %v", got)
	}
	// No errors: "errors" is an empty list.
	resp, body := post(t, s.URL, prefix+"BatchDeleteAgents", `{"deleteAgents":[{"agentId":"`+testAgentID(1)+`","force":true}]}`,
		"Authorization", "AWS4-HMAC-SHA256 Credential="+acctA+"/20260101/us-west-2/discovery/aws4_request, SignedHeaders=host, Signature=00")
	if resp.StatusCode != 200 || fmt.Sprint(body) != "map[errors:[]]" {
		t.Fatalf("forced delete: %d %v", resp.StatusCode, body)
	}
	// The model bounds deleteAgents to 1..50.
	_, err = c.BatchDeleteAgents(&ads.BatchDeleteAgentsInput{DeleteAgents: []*ads.DeleteAgent{}})
	wantCode(t, err, ads.ErrCodeInvalidParameterValueException, 400)

	// A deleted agent that reports again registers anew.
	if out := takeInReports(t, s.URL, acctA, "x", agentReport(3, 8)); out["accepted"] != 1.0 {
		t.Fatalf("re-registration: %v", out)
	}
	info, err = c.DescribeAgents(&ads.DescribeAgentsInput{AgentIds: aws.StringSlice(agentIDs(3))})
	if err != nil || len(info.AgentsInfo) != 1 || aws.StringValue(info.AgentsInfo[0].RegisteredTime) != "2026-02-01T10:00:00Z" ||
		aws.StringValue(info.AgentsInfo[0].CollectionStatus) != "STARTED" {
		t.Fatalf("re-registered = %v %v", info, err)
	}
}

func TestAgentsIntakeRefusals(t *testing.T) {
	s := startServer(t, "")
	c := client(t, s.URL, acctA, "x")
	good, _ := json.Marshal(agentdata.Batch{Reports: []agentdata.Report{agentReport(1, 0)}})

	t.Run("malformed JSON", func(t *testing.T) {
		code, h, out := intakeCall(t, s.URL, acctA, "x", []byte(`{"reports": [`))
		wantIntakeError(t, code, h, out, 400, "SerializationException")
		code, h, out = intakeCall(t, s.URL, acctA, "x", []byte(`{"reports": "many"}`))
		wantIntakeError(t, code, h, out, 400, "SerializationException")
	})
	t.Run("invalid report", func(t *testing.T) {
		bad := agentReport(2, 0)
		bad.Connections[0].DestinationPort = 70000
		body, _ := json.Marshal(agentdata.Batch{Reports: []agentdata.Report{agentReport(1, 0), bad}})
		code, h, out := intakeCall(t, s.URL, acctA, "x", body)
		msg := wantIntakeError(t, code, h, out, 400, "InvalidParameterValueException")
		if !strings.Contains(msg, "reports[1].connections[0].destinationPort") {
			t.Fatalf("message = %q", msg)
		}
		code, h, out = intakeCall(t, s.URL, acctA, "x", []byte(`{}`))
		wantIntakeError(t, code, h, out, 400, "InvalidParameterValueException")
	})
	t.Run("oversized", func(t *testing.T) {
		body := append([]byte(`{"reports":[`), bytes.Repeat([]byte(" "), 8<<20)...)
		body = append(body, good[len(`{"reports":[`):]...)
		code, h, out := intakeCall(t, s.URL, acctA, "x", body)
		wantIntakeError(t, code, h, out, 413, "RequestEntityTooLargeException")
	})
	// Nothing of the refused batches was stored.
	if got := describeAgentIDs(t, c, &ads.DescribeAgentsInput{}); len(got) != 0 {
		t.Fatalf("refused batches stored agents: %v", got)
	}
	// Just under the limit is fine.
	body := append([]byte(`{"reports":[`), bytes.Repeat([]byte(" "), 8<<20-len(good)-1)...)
	body = append(body, good[len(`{"reports":[`):]...)
	if code, _, out := intakeCall(t, s.URL, acctA, "x", body); code != 200 || out["accepted"] != 1.0 {
		t.Fatalf("body of %d bytes: %d %v", len(body), code, out)
	}
	t.Run("home region not set", func(t *testing.T) {
		s := startServer(t, "", "--home-region", "none")
		code, h, out := intakeCall(t, s.URL, acctA, "x", good)
		wantIntakeError(t, code, h, out, 400, "HomeRegionNotSetException")
		_, err := client(t, s.URL, acctA, "x").DescribeAgents(&ads.DescribeAgentsInput{})
		wantCode(t, err, ads.ErrCodeHomeRegionNotSetException, 400)
		_, err = client(t, s.URL, acctA, "x").StartDataCollectionByAgentIds(&ads.StartDataCollectionByAgentIdsInput{AgentIds: aws.StringSlice(agentIDs(1))})
		wantCode(t, err, ads.ErrCodeHomeRegionNotSetException, 400)
	})
}

func TestAgentsStrictMode(t *testing.T) {
	s := startServer(t, "", "--credentials", writeCredentials(t))
	body, _ := json.Marshal(agentdata.Batch{Reports: []agentdata.Report{agentReport(1, 0), agentReport(2, 0)}})

	code, h, out := intakeCall(t, s.URL, "", "", body)
	wantIntakeError(t, code, h, out, 403, "MissingAuthenticationTokenException")
	code, h, out = intakeCall(t, s.URL, keyA, "wrong-secret", body)
	wantIntakeError(t, code, h, out, 403, "InvalidSignatureException")
	code, h, out = intakeCall(t, s.URL, keyRO, secretR, body)
	if msg := wantIntakeError(t, code, h, out, 400, "AuthorizationErrorException"); !strings.Contains(msg, "poseidon:SubmitAgentReports") {
		t.Fatalf("message = %q", msg)
	}
	if code, _, out := intakeCall(t, s.URL, keyA, secretA, body); code != 200 || out["accepted"] != 2.0 {
		t.Fatalf("signed intake: %d %v", code, out)
	}
	// The signature covers the body.
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/_poseidon/intake", bytes.NewReader(body))
	v4.NewSigner(credentials.NewStaticCredentials(keyA, secretA, "")).Sign(req, bytes.NewReader(body), "discovery", region, time.Now())
	req.Body = io.NopCloser(bytes.NewReader(bytes.Replace(body, []byte("host-1"), []byte("host-X"), 1)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Fatalf("tampered body: %d", resp.StatusCode)
	}

	a := client(t, s.URL, keyA, secretA)
	if got := describeAgentIDs(t, a, &ads.DescribeAgentsInput{}); !slices.Equal(got, agentIDs(1, 2)) {
		t.Fatalf("account A sees %v", got)
	}
	if got := describeAgentIDs(t, client(t, s.URL, keyRO, secretR), &ads.DescribeAgentsInput{}); !slices.Equal(got, agentIDs(1, 2)) {
		t.Fatalf("read-only identity of A sees %v", got)
	}
	b := client(t, s.URL, keyB, secretB)
	if got := describeAgentIDs(t, b, &ads.DescribeAgentsInput{}); len(got) != 0 {
		t.Fatalf("account B sees %v", got)
	}
	_, err = client(t, s.URL, keyRO, secretR).StopDataCollectionByAgentIds(&ads.StopDataCollectionByAgentIdsInput{AgentIds: aws.StringSlice(agentIDs(1))})
	wantCode(t, err, ads.ErrCodeAuthorizationErrorException, 400)
}
