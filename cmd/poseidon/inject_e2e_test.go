package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	awsclient "github.com/aws/aws-sdk-go/aws/client"
	ads "github.com/aws/aws-sdk-go/service/applicationdiscoveryservice"

	"github.com/poseidon-ads/poseidon/internal/postgres/pgtestdb"
)

// The fault injection of the control API (/_poseidon/faults...), through
// the real listener and aws-sdk-go v1 clients.

// rawBody is a body faultCall sends as it is, not encoded as JSON.
type rawBody string

// faultCall calls the control API with any method; body nil sends none, a
// rawBody is sent as it is, anything else encoded as JSON.
func faultCall(t *testing.T, url, method, path, token string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if raw, ok := body.(rawBody); ok {
		rd = strings.NewReader(string(raw))
	} else if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url+"/_poseidon/"+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// mustFault calls the control API and fails unless it answers 200.
func mustFault(t *testing.T, url, method, path string, body any) map[string]any {
	t.Helper()
	code, out := faultCall(t, url, method, path, "", body)
	if code != 200 {
		t.Fatalf("%s %s: %d %v", method, path, code, out)
	}
	return out
}

func startExport(t *testing.T, c *ads.ApplicationDiscoveryService) string {
	t.Helper()
	o, err := c.StartExportTask(&ads.StartExportTaskInput{})
	if err != nil {
		t.Fatal(err)
	}
	return aws.StringValue(o.ExportId)
}

// exportStatus is the export's status and message.
func exportStatus(t *testing.T, c *ads.ApplicationDiscoveryService, id string) (string, string) {
	t.Helper()
	out, err := c.DescribeExportTasks(&ads.DescribeExportTasksInput{ExportIds: []*string{&id}})
	if err != nil || len(out.ExportsInfo) != 1 {
		t.Fatalf("describe %s: %v %v", id, out, err)
	}
	return aws.StringValue(out.ExportsInfo[0].ExportStatus), aws.StringValue(out.ExportsInfo[0].StatusMessage)
}

// heldIDs are the exports GET /_poseidon/faults lists as held.
func heldIDs(t *testing.T, url string) []string {
	t.Helper()
	var ids []string
	for _, h := range mustFault(t, url, "GET", "faults", nil)["held"].([]any) {
		ids = append(ids, h.(map[string]any)["exportId"].(string))
	}
	return ids
}

// waitHeld waits until the exports ids are all held.
func waitHeld(t *testing.T, url string, ids ...string) {
	t.Helper()
	eventually(t, "exports held", func() bool {
		held := heldIDs(t, url)
		for _, id := range ids {
			if !strings.Contains(strings.Join(held, " "), id) {
				return false
			}
		}
		return true
	})
}

func TestFaultInjectTaskFailures(t *testing.T) {
	s := startServer(t, "", "--no-limits")
	c := client(t, s.URL, acctA, "x")
	cb := client(t, s.URL, acctB, "x")

	// The next two exports fail with the message, as a real failure:
	// FAILED, no download URL, no file.
	const msg = "Export failed: injected for the client's error path."
	mustFault(t, s.URL, "POST", "faults/exports/fail", map[string]any{"count": 2, "statusMessage": msg})
	var failed []string
	for range 2 {
		id := startExport(t, c)
		info := waitExport(t, c, id)
		if aws.StringValue(info.ExportStatus) != ads.ExportStatusFailed || aws.StringValue(info.StatusMessage) != msg || info.ConfigurationsDownloadUrl != nil {
			t.Fatalf("injected export failure: %v", info)
		}
		failed = append(failed, id)
	}
	if f := mustFault(t, s.URL, "GET", "faults", nil); f["failExports"] != nil {
		t.Fatalf("the count is spent but the fault remains: %v", f)
	}
	filepath.WalkDir(s.Data, func(p string, d os.DirEntry, err error) error {
		for _, id := range failed {
			if strings.Contains(p, id) {
				t.Errorf("a failed export left %s", p)
			}
		}
		return nil
	})
	if info := waitExport(t, c, startExport(t, c)); aws.StringValue(info.ExportStatus) != ads.ExportStatusSucceeded {
		t.Fatalf("the export after the injected failures: %v", info)
	}

	// Per account: B's next export fails, A's does not.
	mustFault(t, s.URL, "POST", "faults/exports/fail", map[string]any{"statusMessage": "B only", "accountId": acctB})
	if info := waitExport(t, c, startExport(t, c)); aws.StringValue(info.ExportStatus) != ads.ExportStatusSucceeded {
		t.Fatalf("A's export under B's fault: %v", info)
	}
	if info := waitExport(t, cb, startExport(t, cb)); aws.StringValue(info.StatusMessage) != "B only" {
		t.Fatalf("B's export: %v", info)
	}

	// The next import fails; its errors zip gives the message.
	bucket := filepath.Join(s.Data, "buckets", "b")
	if err := os.MkdirAll(bucket, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bucket, "ok.csv"), []byte(importHeader+"ok-1,,,ok-host,Linux,2,,,\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustFault(t, s.URL, "POST", "faults/imports/fail", map[string]any{"statusMessage": "injected import failure"})
	st := startImport(t, c, "one", "s3://b/ok.csv")
	if aws.StringValue(st.Status) != "IMPORT_FAILED" || st.ErrorsAndFailedEntriesZip == nil || aws.Int64Value(st.ServerImportSuccess) != 0 {
		t.Fatalf("injected import failure: %v", st)
	}
	code, zipped := download(t, aws.StringValue(st.ErrorsAndFailedEntriesZip))
	if code != 200 {
		t.Fatalf("errors zip: %d", code)
	}
	var all strings.Builder
	for _, body := range unzip(t, zipped) {
		all.WriteString(body)
	}
	if !strings.Contains(all.String(), "injected import failure") {
		t.Fatalf("errors zip does not give the message: %q", all.String())
	}
	if st := startImport(t, c, "two", "s3://b/ok.csv"); aws.StringValue(st.Status) != "IMPORT_COMPLETE" {
		t.Fatalf("the import after the injected failure: %v", st)
	}

	// Bad settings are refused with a clear 400.
	for _, bad := range []map[string]any{{}, {"statusMessage": "m", "count": 0}, {"statusMessage": "m", "accountId": "x"}, {"statusMessage": "m", "other": 1}} {
		if code, out := faultCall(t, s.URL, "POST", "faults/exports/fail", "", bad); code != 400 || out["__type"] != "InvalidRequestException" {
			t.Fatalf("fail %v: %d %v", bad, code, out)
		}
	}
}

// retryingClient is an ADS client of aws-sdk-go v1 with its default
// retryer (awsclient.DefaultRetryer, 3 retries for this service).
func retryingClient(t *testing.T, url, account string) *ads.ApplicationDiscoveryService {
	sess := newSession(t, url, account, "x", region)
	sess.Config.Retryer = awsclient.DefaultRetryer{NumMaxRetries: awsclient.DefaultRetryerMaxNumRetries}
	sess.Config.MaxRetries = aws.Int(awsclient.DefaultRetryerMaxNumRetries)
	return ads.New(sess)
}

func TestFaultInjectOperations(t *testing.T) {
	s := startServer(t, "")
	c := client(t, s.URL, acctA, "x")
	cb := client(t, s.URL, acctB, "x")

	// Two throttles: the SDK's default retryer retries them and succeeds.
	mustFault(t, s.URL, "POST", "faults/operations", map[string]any{"operation": "DescribeExportTasks", "error": "ThrottlingException", "count": 2})
	req, _ := retryingClient(t, s.URL, acctA).DescribeExportTasksRequest(&ads.DescribeExportTasksInput{})
	if err := req.Send(); err != nil {
		t.Fatalf("the default retryer did not get through two throttles: %v", err)
	}
	if req.RetryCount != 2 {
		t.Fatalf("retries = %d, want 2", req.RetryCount)
	}
	_, fams := metricsOf(t, s.URL)
	if n := metricValue(fams, "poseidon_requests_total", map[string]string{"operation": "DescribeExportTasks", "code": "ThrottlingException", "status": "400"}); n != 2 {
		t.Fatalf("throttled calls counted: %v, want 2", n)
	}
	if ops := mustFault(t, s.URL, "GET", "faults", nil)["operations"].([]any); len(ops) != 0 {
		t.Fatalf("a spent counted fault remains: %v", ops)
	}

	// A modeled error for every call of one account, until removed.
	out := mustFault(t, s.URL, "POST", "faults/operations", map[string]any{"operation": "GetDiscoverySummary",
		"error": "AuthorizationErrorException", "message": "injected denial", "accountId": acctB})
	for range 3 {
		_, err := cb.GetDiscoverySummary(&ads.GetDiscoverySummaryInput{})
		if rf := wantCode(t, err, "AuthorizationErrorException", 400); rf.Message() != "injected denial" {
			t.Fatalf("message %q", rf.Message())
		}
	}
	if _, err := c.GetDiscoverySummary(&ads.GetDiscoverySummaryInput{}); err != nil {
		t.Fatalf("another account's call: %v", err)
	}
	mustFault(t, s.URL, "DELETE", fmt.Sprintf("faults/operations/%v", out["id"]), nil)
	if _, err := cb.GetDiscoverySummary(&ads.GetDiscoverySummaryInput{}); err != nil {
		t.Fatalf("after the fault was removed: %v", err)
	}

	// The internal error is a 500; a probability of 1 hits every call.
	mustFault(t, s.URL, "POST", "faults/operations", map[string]any{"operation": "DescribeAgents", "error": "ServerInternalErrorException", "probability": 1})
	_, err := c.DescribeAgents(&ads.DescribeAgentsInput{})
	wantCode(t, err, "ServerInternalErrorException", 500)

	// Latency for the next call only: it takes at least that long.
	mustFault(t, s.URL, "POST", "faults/operations", map[string]any{"operation": "DescribeTags", "latencyMs": 300, "count": 1})
	start := time.Now()
	if _, err = c.DescribeTags(&ads.DescribeTagsInput{}); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 300*time.Millisecond {
		t.Fatalf("a call with 300 ms of latency took %v", took)
	}

	// A fault with forSeconds ends when the virtual clock passes it.
	mustFault(t, s.URL, "POST", "faults/operations", map[string]any{"operation": "DescribeContinuousExports", "error": "ThrottlingException", "forSeconds": 60})
	_, err = c.DescribeContinuousExports(&ads.DescribeContinuousExportsInput{})
	wantCode(t, err, "ThrottlingException", 400)
	advance(t, s.URL, 61*time.Second)
	if _, err = c.DescribeContinuousExports(&ads.DescribeContinuousExportsInput{}); err != nil {
		t.Fatalf("after the fault's time: %v", err)
	}
	for _, o := range mustFault(t, s.URL, "GET", "faults", nil)["operations"].([]any) {
		if o.(map[string]any)["operation"] == "DescribeContinuousExports" {
			t.Fatalf("an expired fault is listed: %v", o)
		}
	}

	// Clear removes every fault.
	mustFault(t, s.URL, "DELETE", "faults", nil)
	if _, err = c.DescribeAgents(&ads.DescribeAgentsInput{}); err != nil {
		t.Fatalf("after clear: %v", err)
	}

	// Bad settings are refused with a clear 400.
	for _, bad := range []map[string]any{
		{"operation": "NoSuchOperation", "error": "ThrottlingException"},
		{"operation": "DescribeExportTasks", "error": "ResourceInUseException"},
		{"operation": "DescribeExportTasks", "error": "NotAnError"},
		{"operation": "DescribeExportTasks"},
		{"operation": "DescribeExportTasks", "error": "ThrottlingException", "count": 1, "probability": 0.5},
		{"operation": "DescribeExportTasks", "error": "ThrottlingException", "probability": 1.5},
		{"operation": "DescribeExportTasks", "latencyMs": -1},
	} {
		if code, out := faultCall(t, s.URL, "POST", "faults/operations", "", bad); code != 400 || out["__type"] != "InvalidRequestException" || out["message"] == "" {
			t.Fatalf("operation fault %v: %d %v", bad, code, out)
		}
	}
	if code, out := faultCall(t, s.URL, "POST", "faults/operations", "", map[string]any{"operation": "DescribeExportTasks", "error": "ResourceInUseException"}); !strings.Contains(fmt.Sprint(out["message"]), "ServerInternalErrorException") {
		t.Fatalf("the refusal does not list the errors allowed: %d %v", code, out)
	}
}

func TestFaultHoldExports(t *testing.T) {
	data := t.TempDir()
	s := startServer(t, data, "--no-limits")
	c := client(t, s.URL, acctA, "x")

	mustFault(t, s.URL, "POST", "faults/exports/hold", map[string]any{})
	one, two := startExport(t, c), startExport(t, c)
	waitHeld(t, s.URL, one, two)
	// The virtual clock passes the jobs' leases (10 s) many times: the
	// runner heartbeats them, so they are neither taken over nor failed.
	advance(t, s.URL, 2*time.Minute)
	for _, id := range []string{one, two} {
		if st, _ := exportStatus(t, c, id); st != ads.ExportStatusInProgress {
			t.Fatalf("held export %s is %s", id, st)
		}
	}
	// Release one: it completes, the other stays held.
	if out := mustFault(t, s.URL, "POST", "faults/exports/release", map[string]any{"exportId": one}); len(out["released"].([]any)) != 1 {
		t.Fatalf("release: %v", out)
	}
	if info := waitExport(t, c, one); aws.StringValue(info.ExportStatus) != ads.ExportStatusSucceeded {
		t.Fatalf("released export: %v", info)
	}
	if st, _ := exportStatus(t, c, two); st != ads.ExportStatusInProgress {
		t.Fatalf("the export still held is %s", st)
	}
	if code, out := faultCall(t, s.URL, "POST", "faults/exports/release", "", map[string]any{"exportId": one}); code != 404 {
		t.Fatalf("release of an export not held: %d %v", code, out)
	}

	// A restart keeps the hold (it is in the store): the export is built
	// again, held, and completes once released.
	s.Stop(t)
	s = startServer(t, data, "--no-limits")
	c = client(t, s.URL, acctA, "x")
	waitHeld(t, s.URL, two)
	if st, _ := exportStatus(t, c, two); st != ads.ExportStatusInProgress {
		t.Fatalf("the held export after a restart is %s", st)
	}
	mustFault(t, s.URL, "POST", "faults/exports/release", map[string]any{})
	if info := waitExport(t, c, two); aws.StringValue(info.ExportStatus) != ads.ExportStatusSucceeded {
		t.Fatalf("released after restart: %v", info)
	}

	// A hold ends by itself after maxSeconds on the virtual clock.
	mustFault(t, s.URL, "POST", "faults/exports/hold", map[string]any{"maxSeconds": 300})
	three := startExport(t, c)
	waitHeld(t, s.URL, three)
	advance(t, s.URL, 301*time.Second)
	if info := waitExport(t, c, three); aws.StringValue(info.ExportStatus) != ads.ExportStatusSucceeded {
		t.Fatalf("export after its hold passed: %v", info)
	}

	// Holding stops: new exports build at once.
	mustFault(t, s.URL, "DELETE", "faults/exports/hold", nil)
	if info := waitExport(t, c, startExport(t, c)); aws.StringValue(info.ExportStatus) != ads.ExportStatusSucceeded {
		t.Fatalf("export once holding stopped: %v", info)
	}
	if f := mustFault(t, s.URL, "GET", "faults", nil); f["holdExports"] != nil || len(f["held"].([]any)) != 0 {
		t.Fatalf("faults left: %v", f)
	}

	// A full reset clears the faults.
	mustFault(t, s.URL, "POST", "faults/exports/hold", map[string]any{})
	mustFault(t, s.URL, "POST", "reset", map[string]any{})
	if f := mustFault(t, s.URL, "GET", "faults", nil); f["holdExports"] != nil {
		t.Fatalf("a reset left the faults: %v", f)
	}
}

// In strict mode the fault routes are control routes: refused without the
// control token, with a wrong one, and served with it.
func TestFaultControlStrict(t *testing.T) {
	s := startServer(t, "", "--credentials", writeCredentials(t), "--control-token", "tok")
	body := map[string]any{"statusMessage": "m"}
	if code, out := faultCall(t, s.URL, "POST", "faults/exports/fail", "", body); code != 401 || out["__type"] != "UnauthorizedException" {
		t.Fatalf("without the token: %d %v", code, out)
	}
	if code, out := faultCall(t, s.URL, "POST", "faults/exports/fail", "wrong", body); code != 403 {
		t.Fatalf("with a wrong token: %d %v", code, out)
	}
	for _, m := range []string{"GET", "DELETE"} {
		if code, _ := faultCall(t, s.URL, m, "faults", "", nil); code != 401 {
			t.Fatalf("%s faults without the token: %d", m, code)
		}
	}
	if code, out := faultCall(t, s.URL, "POST", "faults/exports/fail", "tok", body); code != 200 {
		t.Fatalf("with the token: %d %v", code, out)
	}
	off := startServer(t, "", "--credentials", writeCredentials(t))
	if code, out := faultCall(t, off.URL, "POST", "faults/operations", "", map[string]any{"operation": "DescribeAgents", "error": "ThrottlingException"}); code != 403 {
		t.Fatalf("strict mode without a control token: %d %v", code, out)
	}
}

// Faults are shared by replicas on one PostgreSQL: a fault set through one
// replica acts on the exports and calls of the other.
func TestReplicasShareFaults(t *testing.T) {
	dbURL := pgtestdb.Schema(t)
	rs := startReplicas(t, dbURL, 2, "--no-limits")
	a, b := client(t, rs[0].URL, acctA, "x"), client(t, rs[1].URL, acctA, "x")
	mustFault(t, rs[0].URL, "POST", "faults/exports/fail", map[string]any{"statusMessage": "shared", "count": 1})
	if info := waitExport(t, b, startExport(t, b)); aws.StringValue(info.StatusMessage) != "shared" {
		t.Fatalf("export through the other replica: %v", info)
	}
	if info := waitExport(t, a, startExport(t, a)); aws.StringValue(info.ExportStatus) != ads.ExportStatusSucceeded {
		t.Fatalf("the count was consumed once: %v", info)
	}
	mustFault(t, rs[1].URL, "POST", "faults/operations", map[string]any{"operation": "GetDiscoverySummary", "error": "ThrottlingException", "count": 1})
	// The other replica learns of it by notification (or within
	// FollowEvery); the one call of the count is answered once, by either.
	eventually(t, "the fault reaches replica A", func() bool {
		_, err := a.GetDiscoverySummary(&ads.GetDiscoverySummaryInput{})
		return err != nil
	})
	if _, err := b.GetDiscoverySummary(&ads.GetDiscoverySummaryInput{}); err != nil {
		t.Fatalf("the count of one was consumed twice: %v", err)
	}
	mustFault(t, rs[0].URL, "POST", "faults/exports/hold", map[string]any{})
	id := startExport(t, a)
	waitHeld(t, rs[1].URL, id)
	mustFault(t, rs[1].URL, "POST", "faults/exports/release", map[string]any{"exportId": id})
	if info := waitExport(t, b, id); aws.StringValue(info.ExportStatus) != ads.ExportStatusSucceeded {
		t.Fatalf("export released through the other replica: %v", info)
	}
}

// Queue depths, read from the store at each scrape and in the health
// check: a held export runs, the one behind it (one worker) is queued.
func TestQueueDepthMetricsAndHealth(t *testing.T) {
	s := startServer(t, "", "--no-limits", "--workers", "1")
	c := client(t, s.URL, acctA, "x")
	mustFault(t, s.URL, "POST", "faults/exports/hold", map[string]any{})
	first, second := startExport(t, c), startExport(t, c)
	waitHeld(t, s.URL, first)
	depth := func(state string) float64 {
		_, fams := metricsOf(t, s.URL)
		return metricValue(fams, "poseidon_jobs", map[string]string{"kind": "export", "state": state})
	}
	if r, q := depth("running"), depth("queued"); r != 1 || q != 1 {
		t.Fatalf("export jobs running %v, queued %v; want 1 and 1", r, q)
	}
	resp, err := http.Get(s.URL + "/_poseidon/health")
	if err != nil {
		t.Fatal(err)
	}
	var h struct {
		Queue map[string]map[string]int `json:"queue"`
	}
	json.NewDecoder(resp.Body).Decode(&h)
	resp.Body.Close()
	if e := h.Queue["export"]; e["running"] != 1 || e["queued"] != 1 || h.Queue["import"] == nil {
		t.Fatalf("health queue = %v", h.Queue)
	}
	mustFault(t, s.URL, "DELETE", "faults/exports/hold", nil)
	mustFault(t, s.URL, "POST", "faults/exports/release", map[string]any{})
	for _, id := range []string{first, second} {
		if info := waitExport(t, c, id); aws.StringValue(info.ExportStatus) != ads.ExportStatusSucceeded {
			t.Fatalf("export %s: %v", id, info)
		}
	}
	if r, q := depth("running"), depth("queued"); r != 0 || q != 0 {
		t.Fatalf("after the exports: running %v, queued %v", r, q)
	}
}
