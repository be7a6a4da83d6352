package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	ads "github.com/aws/aws-sdk-go/service/applicationdiscoveryservice"
	"github.com/poseidon-ads/poseidon/internal/agentdata"
)

// exportRows reads every JSON Lines file of a bucket and returns the rows by
// table (the first folder under the bucket), failing on a bad path or line.
func exportRows(t *testing.T, data, bucket string) map[string][]map[string]any {
	t.Helper()
	root := filepath.Join(data, "continuous-exports", bucket)
	out := map[string][]map[string]any{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) && p == root {
				return filepath.SkipDir
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		parts := strings.Split(filepath.ToSlash(rel), "/")
		if len(parts) != 5 || !strings.HasPrefix(parts[1], "year=") || !strings.HasPrefix(parts[2], "month=") ||
			!strings.HasPrefix(parts[3], "day=") || !strings.HasSuffix(parts[4], ".jsonl") {
			t.Errorf("unexpected file %s", rel)
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var row map[string]any
			if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
				t.Errorf("%s: bad line %q: %v", rel, sc.Text(), err)
				continue
			}
			ts, _ := row["timestamp"].(string)
			tm, err := time.Parse("2006-01-02T15:04:05.000Z", ts)
			if err != nil {
				t.Errorf("%s: timestamp %q: %v", rel, ts, err)
			} else if want := fmt.Sprintf("%s/year=%04d/month=%02d/day=%02d/%s-%02d.jsonl", parts[0], tm.Year(), tm.Month(), tm.Day(), row["agent_id"], tm.Hour()); rel != want {
				t.Errorf("row of %s in %s, want %s", ts, rel, want)
			}
			out[parts[0]] = append(out[parts[0]], row)
		}
		return sc.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
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

	// Data through intake while ACTIVE lands in the bucket.
	base := time.Now().Add(-2 * time.Hour).Truncate(time.Minute)
	fb := fleetBatch(base)
	postAgentBatch(t, s.URL, acctA, &fb)
	rows := exportRows(t, s.Data, bucket)
	nics, procs, in, out := 0, 0, 0, 0
	for _, r := range fb.Reports {
		nics += len(r.NetworkInterfaces)
		procs += len(r.Processes)
		for _, k := range r.Connections {
			if k.Direction == "inbound" {
				in++
			} else {
				out++
			}
		}
	}
	perf := 0
	for _, r := range fb.Reports {
		if r.Performance != nil {
			perf++
		}
	}
	want := map[string]int{"os_info_agent": len(fb.Reports), "network_interface_agent": nics, "processes_agent": procs,
		"inbound_connection_agent": in, "outbound_connection_agent": out, "sys_performance_agent": perf}
	for table, n := range want {
		if len(rows[table]) != n {
			t.Errorf("%s: %d rows, want %d", table, len(rows[table]), n)
		}
	}
	if len(rows) != len(want) {
		t.Errorf("tables %v", len(rows))
	}
	var found bool
	for _, r := range rows["os_info_agent"] {
		if r["report_id"] == "web1-0" {
			found = true
			if r["host_name"] != "web-1.example.com" || r["agent_id"] != agentWeb1 || r["account_id"] != acctA || r["os_name"] != fb.Reports[0].Server.OSName {
				t.Errorf("os_info row %v", r)
			}
		}
	}
	if !found {
		t.Error("no os_info_agent row for web1-0")
	}
	for _, r := range rows["sys_performance_agent"] {
		if r["report_id"] == "web1-1" && r["cpu_usage_pct"] != 20.0 {
			t.Errorf("perf row %v", r)
		}
	}
	// B's export got none of A's data.
	if rb := exportRows(t, s.Data, aws.StringValue(stB.S3Bucket)); len(rb) != 0 {
		t.Errorf("B's bucket has %d tables", len(rb))
	}

	// Duplicates are not appended again; only the new report of a mixed batch is.
	mixed := agentdata.Batch{Reports: []agentdata.Report{fb.Reports[0], {ReportID: "late-0", AgentID: agentWeb1, Timestamp: float64(base.Add(time.Hour).Unix()),
		Server: agentdata.ServerInfo{HostName: "web-1.example.com"}}}}
	body, _ := json.Marshal(mixed)
	if code, _, res := intakeCall(t, s.URL, acctA, "secret", body); code != 200 || res["accepted"] != 1.0 || res["duplicates"] != 1.0 {
		t.Fatalf("mixed intake = %d %v", code, res)
	}
	if got := len(exportRows(t, s.Data, bucket)["os_info_agent"]); got != len(fb.Reports)+1 {
		t.Fatalf("os_info_agent rows after mixed batch = %d, want %d", got, len(fb.Reports)+1)
	}

	// Stop.
	advance(t, s.URL, time.Minute)
	sp, err := c.StopContinuousExport(&ads.StopContinuousExportInput{ExportId: aws.String(id)})
	if err != nil {
		t.Fatal(err)
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
	advance(t, s.URL, 11*time.Second)
	if d := describeContinuous(t, c, &ads.DescribeContinuousExportsInput{}); len(d) != 1 || aws.StringValue(d[0].Status) != "INACTIVE" {
		t.Fatalf("describe later = %v", d)
	}

	// Data after the stop is not appended.
	after := agentdata.Batch{Reports: []agentdata.Report{{ReportID: "after-stop", AgentID: agentWeb1, Timestamp: float64(base.Add(90 * time.Minute).Unix()),
		Server: agentdata.ServerInfo{HostName: "web-1.example.com"}, Processes: []agentdata.Process{{PID: 7, Name: "late"}}}}}
	postAgentBatch(t, s.URL, acctA, &after)
	rows2 := exportRows(t, s.Data, bucket)
	if got := len(rows2["os_info_agent"]); got != len(fb.Reports)+1 {
		t.Errorf("os_info_agent rows after stop = %d, want %d", got, len(fb.Reports)+1)
	}
	if got := len(rows2["processes_agent"]); got != procs {
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
