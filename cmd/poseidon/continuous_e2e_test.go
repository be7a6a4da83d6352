package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/poseidon-ads/poseidon/internal/continuous"

	"github.com/aws/aws-sdk-go/aws"
	ads "github.com/aws/aws-sdk-go/service/applicationdiscoveryservice"
	"github.com/aws/aws-sdk-go/service/s3"
	"github.com/poseidon-ads/poseidon/internal/agentdata"
)

// tableRows reads the rows of every data file of a table of account's
// bucket (not its schema file) through the server's bucket endpoint, failing
// on a key out of Firehose's layout.
func tableRows[T any](t *testing.T, url, account, bucket, table string) []T {
	t.Helper()
	c := bucketClient(t, url, account, "x")
	list, err := c.ListObjectsV2(&s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(table + "/")})
	if err != nil {
		t.Fatal(err)
	}
	var out []T
	for _, o := range list.Contents {
		key := aws.StringValue(o.Key)
		if key == table+"/"+continuous.SchemaFile {
			continue
		}
		if !keyLayout.MatchString(key) {
			t.Errorf("unexpected key %s", key)
			continue
		}
		obj, err := c.GetObject(&s3.GetObjectInput{Bucket: aws.String(bucket), Key: o.Key})
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(obj.Body)
		obj.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		rows, err := parquet.Read[T](bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		out = append(out, rows...)
	}
	return out
}

// keyLayout is the key of a data file: Firehose's default layout under the
// table's prefix.
var keyLayout = regexp.MustCompile(`^([a-z_]+)/\d{4}/\d{2}/\d{2}/\d{2}/aws-application-discovery-service-([a-z_]+)-1-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9a-f-]{36}\.parquet$`)

// exportCounts counts the rows of each table of account's bucket.
func bucketRowCounts(t *testing.T, url, account, bucket string) map[string]int {
	t.Helper()
	n := map[string]int{}
	add := func(table string, k int) {
		if k > 0 {
			n[table] = k
		}
	}
	add(continuous.TableOSInfo, len(tableRows[continuous.OSInfoRow](t, url, account, bucket, continuous.TableOSInfo)))
	add(continuous.TableNetworkInterface, len(tableRows[continuous.NetworkInterfaceRow](t, url, account, bucket, continuous.TableNetworkInterface)))
	add(continuous.TableSysPerformance, len(tableRows[continuous.SysPerformanceRow](t, url, account, bucket, continuous.TableSysPerformance)))
	add(continuous.TableProcesses, len(tableRows[continuous.ProcessRow](t, url, account, bucket, continuous.TableProcesses)))
	add(continuous.TableInbound, len(tableRows[continuous.ConnectionRow](t, url, account, bucket, continuous.TableInbound)))
	add(continuous.TableOutbound, len(tableRows[continuous.ConnectionRow](t, url, account, bucket, continuous.TableOutbound)))
	add(continuous.TableIDMapping, len(tableRows[continuous.IDMappingRow](t, url, account, bucket, continuous.TableIDMapping)))
	return n
}

func describeContinuous(t *testing.T, c *ads.ApplicationDiscoveryService, in *ads.DescribeContinuousExportsInput) []*ads.ContinuousExportDescription {
	t.Helper()
	out, err := c.DescribeContinuousExports(in)
	if err != nil {
		t.Fatal(err)
	}
	return out.Descriptions
}

func TestContinuousExports(t *testing.T) {
	s := startServer(t, "")
	c := client(t, s.URL, acctA, "x")
	cb := client(t, s.URL, acctB, "x")

	if d := describeContinuous(t, c, &ads.DescribeContinuousExportsInput{}); len(d) != 0 {
		t.Fatalf("describe before any start = %v", d)
	}
	_, err := c.StopContinuousExport(&ads.StopContinuousExportInput{ExportId: aws.String("no-such-export")})
	wantCode(t, err, "ResourceNotFoundException", 400)
	_, err = c.DescribeContinuousExports(&ads.DescribeContinuousExportsInput{ExportIds: aws.StringSlice([]string{"no-such-export"})})
	wantCode(t, err, "ResourceNotFoundException", 400)

	// Start.
	before := time.Now().Add(-time.Second)
	st, err := c.StartContinuousExport(&ads.StartContinuousExportInput{})
	if err != nil {
		t.Fatal(err)
	}
	id, bucket := aws.StringValue(st.ExportId), aws.StringValue(st.S3Bucket)
	if id == "" || !strings.HasPrefix(bucket, "aws-application-discovery-service-") || aws.StringValue(st.DataSource) != "AGENT" ||
		aws.StringValue(st.SchemaStorageConfig["databaseName"]) != "application_discovery_service_database" || aws.TimeValue(st.StartTime).Before(before) {
		t.Fatalf("start = %v", st)
	}
	_, err = c.StartContinuousExport(&ads.StartContinuousExportInput{})
	wantCode(t, err, "ConflictErrorException", 400)

	d := describeContinuous(t, c, &ads.DescribeContinuousExportsInput{})
	if len(d) != 1 || aws.StringValue(d[0].ExportId) != id || aws.StringValue(d[0].Status) != "START_IN_PROGRESS" ||
		aws.StringValue(d[0].S3Bucket) != bucket || d[0].StopTime != nil || aws.StringValue(d[0].DataSource) != "AGENT" ||
		aws.StringValue(d[0].SchemaStorageConfig["databaseName"]) != "application_discovery_service_database" {
		t.Fatalf("describe after start = %v", d)
	}
	// Another account has its own exports.
	stB, err := cb.StartContinuousExport(&ads.StartContinuousExportInput{})
	if err != nil {
		t.Fatal(err)
	}
	if dB := describeContinuous(t, cb, &ads.DescribeContinuousExportsInput{}); len(dB) != 1 || aws.StringValue(dB[0].ExportId) != aws.StringValue(stB.ExportId) {
		t.Fatalf("B describe = %v", dB)
	}
	_, err = cb.StopContinuousExport(&ads.StopContinuousExportInput{ExportId: aws.String(id)})
	wantCode(t, err, "ResourceNotFoundException", 400)

	advance(t, s.URL, 11*time.Second)
	if d := describeContinuous(t, c, &ads.DescribeContinuousExportsInput{ExportIds: aws.StringSlice([]string{id})}); len(d) != 1 || aws.StringValue(d[0].Status) != "ACTIVE" {
		t.Fatalf("describe later = %v", d)
	}

	// Data through intake while ACTIVE is buffered, and lands in the
	// bucket as Parquet once the buffering interval has passed.
	base := time.Now().Add(-2 * time.Hour).Truncate(time.Minute)
	fb := fleetBatch(base)
	postAgentBatch(t, s.URL, acctA, &fb)
	if n := bucketRowCounts(t, s.URL, acctA, bucket); len(n) != 0 {
		t.Fatalf("rows before the buffering interval: %v", n)
	}
	nics, procs, in, out, perf, agentIDs := 0, 0, 0, 0, 0, map[string]bool{}
	for _, r := range fb.Reports {
		nics += len(r.NetworkInterfaces)
		procs += len(r.Processes)
		agentIDs[r.AgentID] = true
		if r.Performance != nil {
			perf++
		}
		for _, k := range r.Connections {
			if k.Direction == "inbound" {
				in++
			} else {
				out++
			}
		}
	}
	want := map[string]int{"os_info_agent": len(fb.Reports), "network_interface_agent": nics, "processes_agent": procs,
		"inbound_connection_agent": in, "outbound_connection_agent": out, "sys_performance_agent": perf, "id_mapping_agent": len(agentIDs)}
	advance(t, s.URL, continuous.DefaultBufferInterval)
	// The seven tables are seven streams: their files appear one by one.
	eventually(t, "the buffer's delivery", func() bool { return len(bucketRowCounts(t, s.URL, acctA, bucket)) == len(want) })
	if got := bucketRowCounts(t, s.URL, acctA, bucket); !maps.Equal(got, want) {
		t.Fatalf("rows %v, want %v", got, want)
	}
	var found bool
	for _, r := range tableRows[continuous.OSInfoRow](t, s.URL, acctA, bucket, continuous.TableOSInfo) {
		if r.Timestamp == int64(fb.Reports[0].Timestamp*1000) && r.AgentID == agentWeb1 {
			found = true
			if r.HostName != "web-1.example.com" || fmt.Sprint(r.AccountNumber) != acctA || r.OSName != fb.Reports[0].Server.OSName {
				t.Errorf("os_info row %+v", r)
			}
		}
	}
	if !found {
		t.Error("no os_info_agent row for web1's first report")
	}
	for _, r := range tableRows[continuous.SysPerformanceRow](t, s.URL, acctA, bucket, continuous.TableSysPerformance) {
		if r.AgentID == agentWeb1 && r.Timestamp == int64(fb.Reports[1].Timestamp*1000) && r.TotalCPUUsagePct != 20.0 {
			t.Errorf("perf row %+v", r)
		}
	}
	// B's export got none of A's data.
	if rb := bucketRowCounts(t, s.URL, acctB, aws.StringValue(stB.S3Bucket)); len(rb) != 0 {
		t.Errorf("B's bucket has rows %v", rb)
	}

	// Duplicates are not buffered again; only the new report of a mixed
	// batch is. A stop delivers what is buffered at once.
	mixed := agentdata.Batch{Reports: []agentdata.Report{fb.Reports[0], {ReportID: "late-0", AgentID: agentWeb1, Timestamp: float64(base.Add(time.Hour).Unix()),
		Server: agentdata.ServerInfo{HostName: "web-1.example.com"}}}}
	body, _ := json.Marshal(mixed)
	if code, _, res := intakeCall(t, s.URL, acctA, "secret", body); code != 200 || res["accepted"] != 1.0 || res["duplicates"] != 1.0 {
		t.Fatalf("mixed intake = %d %v", code, res)
	}
	if got := bucketRowCounts(t, s.URL, acctA, bucket)["os_info_agent"]; got != len(fb.Reports) {
		t.Fatalf("os_info_agent rows before the next delivery = %d, want %d", got, len(fb.Reports))
	}

	// Stop.
	advance(t, s.URL, time.Minute)
	sp, err := c.StopContinuousExport(&ads.StopContinuousExportInput{ExportId: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	if got := bucketRowCounts(t, s.URL, acctA, bucket)["os_info_agent"]; got != len(fb.Reports)+1 {
		t.Fatalf("os_info_agent rows after the stop = %d, want %d", got, len(fb.Reports)+1)
	}
	if !aws.TimeValue(sp.StartTime).Equal(aws.TimeValue(st.StartTime)) || !aws.TimeValue(sp.StopTime).After(aws.TimeValue(sp.StartTime)) {
		t.Fatalf("stop = %v (start %v)", sp, st.StartTime)
	}
	if d := describeContinuous(t, c, &ads.DescribeContinuousExportsInput{}); len(d) != 1 || aws.StringValue(d[0].Status) != "STOP_IN_PROGRESS" ||
		!aws.TimeValue(d[0].StopTime).Equal(aws.TimeValue(sp.StopTime)) {
		t.Fatalf("describe after stop = %v", d)
	}
	_, err = c.StopContinuousExport(&ads.StopContinuousExportInput{ExportId: aws.String(id)})
	wantCode(t, err, "ResourceInUseException", 400)
	// Data sent while the stop is in progress is not written.
	during := agentdata.Batch{Reports: []agentdata.Report{{ReportID: "during-stop", AgentID: agentWeb1, Timestamp: float64(base.Add(80 * time.Minute).Unix()),
		Server: agentdata.ServerInfo{HostName: "web-1.example.com"}}}}
	postAgentBatch(t, s.URL, acctA, &during)
	advance(t, s.URL, 11*time.Second)
	if d := describeContinuous(t, c, &ads.DescribeContinuousExportsInput{}); len(d) != 1 || aws.StringValue(d[0].Status) != "INACTIVE" {
		t.Fatalf("describe later = %v", d)
	}

	// Data after the stop is not written; what was written stays.
	after := agentdata.Batch{Reports: []agentdata.Report{{ReportID: "after-stop", AgentID: agentWeb1, Timestamp: float64(base.Add(90 * time.Minute).Unix()),
		Server: agentdata.ServerInfo{HostName: "web-1.example.com"}, Processes: []agentdata.Process{{PID: 7, Name: "late"}}}}}
	postAgentBatch(t, s.URL, acctA, &after)
	advance(t, s.URL, 2*continuous.DefaultBufferInterval)
	if entries, err := os.ReadDir(filepath.Join(s.Data, "continuous-buffer", bucket)); err == nil && len(entries) != 0 {
		t.Fatalf("buffered after the stop: %v", entries)
	}
	rows2 := bucketRowCounts(t, s.URL, acctA, bucket)
	if got := rows2["os_info_agent"]; got != len(fb.Reports)+1 {
		t.Errorf("os_info_agent rows after stop = %d, want %d", got, len(fb.Reports)+1)
	}
	if got := rows2["processes_agent"]; got != procs {
		t.Errorf("processes_agent rows after stop = %d, want %d", got, procs)
	}

	// A new export may start; exports page newest first.
	advance(t, s.URL, time.Minute)
	st2, err := c.StartContinuousExport(&ads.StartContinuousExportInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.StringValue(st2.S3Bucket) != bucket || aws.StringValue(st2.ExportId) == id {
		t.Errorf("second start = %v", st2)
	}
	var ids []string
	pages := 0
	err = c.DescribeContinuousExportsPages(&ads.DescribeContinuousExportsInput{MaxResults: aws.Int64(1)}, func(p *ads.DescribeContinuousExportsOutput, last bool) bool {
		pages++
		for _, d := range p.Descriptions {
			ids = append(ids, aws.StringValue(d.ExportId))
		}
		return pages < 10
	})
	if err != nil {
		t.Fatal(err)
	}
	if pages != 2 || len(ids) != 2 || ids[0] != aws.StringValue(st2.ExportId) || ids[1] != id {
		t.Fatalf("pages %d ids %v", pages, ids)
	}

	// Errors of Describe.
	_, err = c.DescribeContinuousExports(&ads.DescribeContinuousExportsInput{NextToken: aws.String("bogus")})
	wantCode(t, err, "InvalidParameterValueException", 400)
	first, err := c.DescribeContinuousExports(&ads.DescribeContinuousExportsInput{MaxResults: aws.Int64(1)})
	if err != nil || first.NextToken == nil {
		t.Fatalf("first page %v %v", first, err)
	}
	_, err = c.DescribeContinuousExports(&ads.DescribeContinuousExportsInput{MaxResults: aws.Int64(1), NextToken: first.NextToken, ExportIds: aws.StringSlice([]string{id})})
	wantCode(t, err, "InvalidParameterValueException", 400)
	_, err = cb.DescribeContinuousExports(&ads.DescribeContinuousExportsInput{MaxResults: aws.Int64(1), NextToken: first.NextToken})
	wantCode(t, err, "InvalidParameterValueException", 400)
	_, err = c.DescribeContinuousExports(&ads.DescribeContinuousExportsInput{ExportIds: aws.StringSlice([]string{id, "missing"})})
	wantCode(t, err, "ResourceNotFoundException", 400)
	if code, body := rawADS(t, s.URL, "DescribeContinuousExports", `{"maxResults":0}`); code != 400 || !strings.Contains(body, "maxResults") {
		t.Errorf("maxResults 0 = %d %s", code, body)
	}
	if code, body := rawADS(t, s.URL, "DescribeContinuousExports", `{"maxResults":101}`); code != 400 {
		t.Errorf("maxResults 101 = %d %s", code, body)
	}
	if code, body := rawADS(t, s.URL, "StopContinuousExport", `{}`); code != 400 {
		t.Errorf("stop without exportId = %d %s", code, body)
	}
}

// The control API puts an export into its failure states on purpose:
// START_FAILED (then Start works again), ERROR (nothing exported; Start
// refused until a Stop), STOP_FAILED (Stop works again), each with the
// model's statusDetail code, as DescribeContinuousExports shows it.
func TestContinuousExportFailures(t *testing.T) {
	s := startServer(t, "")
	c := client(t, s.URL, acctA, "x")
	fail := func(id, status, detail string) (int, map[string]any) {
		t.Helper()
		return control(t, s.URL, "continuous-export-failure", "", map[string]any{"accountId": acctA, "exportId": id, "status": status, "statusDetail": detail})
	}
	described := func(id string) *ads.ContinuousExportDescription {
		t.Helper()
		d := describeContinuous(t, c, &ads.DescribeContinuousExportsInput{ExportIds: aws.StringSlice([]string{id})})
		if len(d) != 1 {
			t.Fatalf("describe %s: %v", id, d)
		}
		return d[0]
	}
	st, err := c.StartContinuousExport(&ads.StartContinuousExportInput{})
	if err != nil {
		t.Fatal(err)
	}
	id1 := aws.StringValue(st.ExportId)
	if code, out := fail(id1, "ERROR", "INTERNAL_FAILURE"); code != 409 || out["__type"] != "ResourceInUseException" {
		t.Fatalf("ERROR while START_IN_PROGRESS: %d %v", code, out)
	}
	if code, out := fail(id1, "START_FAILED", "ACCESS_DENIED"); code != 200 || out["status"] != "START_FAILED" || out["statusDetail"] != "ACCESS_DENIED" {
		t.Fatalf("START_FAILED: %d %v", code, out)
	}
	advance(t, s.URL, 11*time.Second) // the start's job leaves it failed
	if d := described(id1); aws.StringValue(d.Status) != "START_FAILED" || aws.StringValue(d.StatusDetail) != "ACCESS_DENIED" {
		t.Fatalf("describe START_FAILED: %v", d)
	}

	// "To recover, call start-continuous-export again."
	st2, err := c.StartContinuousExport(&ads.StartContinuousExportInput{})
	if err != nil {
		t.Fatalf("start after START_FAILED: %v", err)
	}
	id2 := aws.StringValue(st2.ExportId)
	advance(t, s.URL, 11*time.Second)
	if code, out := fail(id2, "ERROR", "FIREHOSE_ROLE_MISSING"); code != 200 || out["status"] != "ERROR" {
		t.Fatalf("ERROR: %d %v", code, out)
	}
	if d := described(id2); aws.StringValue(d.Status) != "ERROR" || aws.StringValue(d.StatusDetail) != "FIREHOSE_ROLE_MISSING" {
		t.Fatalf("describe ERROR: %v", d)
	}
	// Nothing is exported in ERROR, and Start is refused until a Stop.
	fb := fleetBatch(time.Now().Add(-2 * time.Hour).Truncate(time.Minute))
	postAgentBatch(t, s.URL, acctA, &fb)
	if entries, _ := os.ReadDir(filepath.Join(s.Data, "continuous-buffer", aws.StringValue(st2.S3Bucket))); len(entries) != 0 {
		t.Fatalf("buffered in ERROR: %v", entries)
	}
	_, err = c.StartContinuousExport(&ads.StartContinuousExportInput{})
	wantCode(t, err, "ConflictErrorException", 400)
	if _, err := c.StopContinuousExport(&ads.StopContinuousExportInput{ExportId: aws.String(id2)}); err != nil {
		t.Fatalf("stop in ERROR: %v", err)
	}
	if code, out := fail(id2, "STOP_FAILED", "S3_NOT_SIGNED_UP"); code != 200 || out["status"] != "STOP_FAILED" {
		t.Fatalf("STOP_FAILED: %d %v", code, out)
	}
	advance(t, s.URL, 11*time.Second) // the stop's job leaves it failed
	if d := described(id2); aws.StringValue(d.Status) != "STOP_FAILED" || aws.StringValue(d.StatusDetail) != "S3_NOT_SIGNED_UP" {
		t.Fatalf("describe STOP_FAILED: %v", d)
	}
	// "To recover, call stop-continuous-export again."
	if _, err := c.StopContinuousExport(&ads.StopContinuousExportInput{ExportId: aws.String(id2)}); err != nil {
		t.Fatalf("stop after STOP_FAILED: %v", err)
	}
	// STOP_IN_PROGRESS, or already INACTIVE: the first stop's job, due
	// since the clock moved, may run only now and finish this stop.
	if d := described(id2); aws.StringValue(d.Status) != "STOP_IN_PROGRESS" && aws.StringValue(d.Status) != "INACTIVE" || d.StatusDetail != nil {
		t.Fatalf("describe after the second stop: %v", d)
	}
	advance(t, s.URL, 11*time.Second)
	eventually(t, "INACTIVE", func() bool { return aws.StringValue(described(id2).Status) == "INACTIVE" })

	// Bad requests.
	for _, x := range []struct {
		body map[string]any
		code int
		typ  string
	}{
		{map[string]any{"accountId": acctA, "exportId": id2, "status": "BROKEN"}, 400, "InvalidParameterValueException"},
		{map[string]any{"accountId": acctA, "exportId": id2, "status": "ERROR", "statusDetail": "NOPE"}, 400, "InvalidParameterValueException"},
		{map[string]any{"accountId": acctA, "exportId": "no-such", "status": "ERROR"}, 404, "ResourceNotFoundException"},
		{map[string]any{"accountId": acctB, "exportId": id2, "status": "ERROR"}, 404, "ResourceNotFoundException"},
		{map[string]any{"accountId": acctA, "exportId": id2, "status": "ERROR"}, 409, "ResourceInUseException"},
		{map[string]any{"accountId": acctA, "exportId": id2, "bogus": 1}, 400, "InvalidRequestException"},
		{map[string]any{"exportId": id2, "status": "ERROR"}, 400, "InvalidRequestException"},
	} {
		if code, out := control(t, s.URL, "continuous-export-failure", "", x.body); code != x.code || out["__type"] != x.typ {
			t.Errorf("%v: %d %v, want %d %s", x.body, code, out, x.code, x.typ)
		}
	}
}

// In strict mode the failure endpoint follows the control API's token rules.
func TestContinuousExportFailuresNeedTheControlToken(t *testing.T) {
	const tok = "failure-token"
	s, _ := secStart(t, "--credentials", writeCredentials(t), "--control-token", tok)
	body := map[string]any{"accountId": acctA, "exportId": "no-such", "status": "ERROR"}
	for _, x := range []struct {
		tok  string
		code int
	}{{"", 401}, {"wrong", 403}, {tok, 404}} {
		if code, out := control(t, s.URL, "continuous-export-failure", x.tok, body); code != x.code {
			t.Errorf("token %q: %d %v, want %d", x.tok, code, out, x.code)
		}
	}
}

// startFed starts account A's continuous export on the server at url, lets
// it become ACTIVE and sends it the fleet batch; it returns the bucket and
// the batch.
func startFed(t *testing.T, url string) (string, agentdata.Batch) {
	t.Helper()
	st, err := client(t, url, acctA, "x").StartContinuousExport(&ads.StartContinuousExportInput{})
	if err != nil {
		t.Fatal(err)
	}
	advance(t, url, 11*time.Second)
	fb := fleetBatch(time.Now().Add(-2 * time.Hour).Truncate(time.Minute))
	postAgentBatch(t, url, acctA, &fb)
	return aws.StringValue(st.S3Bucket), fb
}

// What intake acknowledged and the buffer held when the process was killed
// (kill -9) is delivered by the restarted process, on the same data.
func TestContinuousBufferSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary; skipped with -short")
	}
	data, addr := t.TempDir(), freeAddr(t)
	p := startBinary(t, data, addr)
	bucket, fb := startFed(t, p.URL)
	if n := bucketRowCounts(t, p.URL, acctA, bucket); len(n) != 0 {
		t.Fatalf("delivered before the interval: %v", n)
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.cmd.Wait()

	p = startBinary(t, data, addr)
	advance(t, p.URL, continuous.DefaultBufferInterval)
	eventually(t, "the restarted process delivers the buffer", func() bool {
		return bucketRowCounts(t, p.URL, acctA, bucket)[continuous.TableOSInfo] == len(fb.Reports)
	})
}
