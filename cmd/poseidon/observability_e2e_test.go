package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/awserr"
	ads "github.com/aws/aws-sdk-go/service/applicationdiscoveryservice"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/poseidon-ads/poseidon/internal/agentdata"
)

// metricsOf reads GET /_poseidon/metrics (unauthenticated) and returns its
// body and parsed families.
func metricsOf(t *testing.T, url string) (string, map[string]*dto.MetricFamily) {
	t.Helper()
	resp, err := http.Get(url + "/_poseidon/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("metrics: HTTP %d %v", resp.StatusCode, err)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("metrics do not parse: %v\n%s", err, b)
	}
	return string(b), fams
}

// metricValue is the value of the counter (or the count of the histogram)
// of family name whose labels are labels; 0 if there is none.
func metricValue(fams map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	f := fams[name]
	if f == nil {
		return 0
	}
next:
	for _, m := range f.GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		for k, v := range labels {
			if got[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		}
	}
	return 0
}

func TestMetricsHealthAndAccessLog(t *testing.T) {
	data := t.TempDir()
	var logs secLog // the server's log, --log-level info
	s := runServer(t, data, &logs, []string{"serve", "--addr", "127.0.0.1:0", "--data", data, "--log-level", "info"})
	c := client(t, s.URL, acctA, "any")

	// Two successful DescribeExportTasks, one failing (an unknown filter),
	// an export that succeeds, and intake of a report twice.
	for range 2 {
		if _, err := c.DescribeExportTasks(&ads.DescribeExportTasksInput{}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := c.DescribeExportTasks(&ads.DescribeExportTasksInput{MaxResults: aws.Int64(-1)})
	var ae awserr.RequestFailure
	if !errors.As(err, &ae) || ae.StatusCode() != 400 {
		t.Fatalf("failing call: %v", err)
	}
	failCode := ae.Code()
	_, fams := metricsOf(t, s.URL)
	for _, tc := range []struct {
		labels map[string]string
		want   float64
	}{
		{map[string]string{"operation": "DescribeExportTasks", "status": "200", "code": ""}, 2},
		{map[string]string{"operation": "DescribeExportTasks", "status": "400", "code": failCode}, 1},
		{map[string]string{"operation": "DescribeExportTasks", "status": "400", "code": ""}, 0},
	} {
		if got := metricValue(fams, "poseidon_requests_total", tc.labels); got != tc.want {
			t.Errorf("poseidon_requests_total%v = %v, want %v", tc.labels, got, tc.want)
		}
	}
	if got := metricValue(fams, "poseidon_request_duration_seconds", map[string]string{"operation": "DescribeExportTasks"}); got != 3 {
		t.Errorf("DescribeExportTasks latency count = %v, want 3", got)
	}

	out, err := c.StartExportTask(&ads.StartExportTaskInput{})
	if err != nil {
		t.Fatal(err)
	}
	if info := waitExport(t, c, aws.StringValue(out.ExportId)); aws.StringValue(info.ExportStatus) != ads.ExportStatusSucceeded {
		t.Fatalf("export %v", info)
	}
	batch, _ := json.Marshal(agentdata.Batch{Reports: []agentdata.Report{agentReport(1, 0)}})
	for range 2 {
		if code, _, res := intakeCall(t, s.URL, acctA, "x", batch); code != 200 {
			t.Fatalf("intake: %d %v", code, res)
		}
	}

	body, fams := metricsOf(t, s.URL)
	for _, tc := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"poseidon_requests_total", map[string]string{"operation": "StartExportTask", "status": "200", "code": ""}, 1},
		{"poseidon_requests_total", map[string]string{"operation": "SubmitAgentReports", "status": "200", "code": ""}, 2},
		{"poseidon_exports_finished_total", map[string]string{"status": "SUCCEEDED"}, 1},
		{"poseidon_exports_finished_total", map[string]string{"status": "FAILED"}, 0},
		{"poseidon_intake_reports_total", map[string]string{"outcome": "accepted"}, 1},
		{"poseidon_intake_reports_total", map[string]string{"outcome": "duplicate"}, 1},
		{"poseidon_intake_reports_total", map[string]string{"outcome": "dropped"}, 0},
	} {
		if got := metricValue(fams, tc.name, tc.labels); got != tc.want {
			t.Errorf("%s%v = %v, want %v", tc.name, tc.labels, got, tc.want)
		}
	}
	if strings.Contains(body, acctA) || strings.Contains(body, aws.StringValue(out.ExportId)) {
		t.Errorf("metrics name an account or export ID:\n%s", body)
	}

	// Health keeps status and strict, and adds version, store and uptime.
	resp, err := http.Get(s.URL + "/_poseidon/health")
	if err != nil {
		t.Fatal(err)
	}
	var h map[string]any
	json.NewDecoder(resp.Body).Decode(&h)
	resp.Body.Close()
	if resp.StatusCode != 200 || h["status"] != "ok" || h["strict"] != false {
		t.Fatalf("health = %d %v", resp.StatusCode, h)
	}
	if v, _ := h["version"].(string); !strings.HasPrefix(v, "poseidon ") && !strings.Contains(v, "go") {
		t.Errorf("health version = %q", h["version"])
	}
	wantStore := "sqlite"
	if onPostgres {
		wantStore = "postgres"
	}
	if h["store"] != wantStore {
		t.Errorf("health store = %v, want %s", h["store"], wantStore)
	}
	if u, ok := h["uptimeSeconds"].(float64); !ok || u < 0 {
		t.Errorf("health uptimeSeconds = %v", h["uptimeSeconds"])
	}

	// The access log line of the failing call names the operation, the
	// code, the account and the latency.
	deadline := time.Now().Add(5 * time.Second)
	for {
		var line string
		for _, l := range strings.Split(logs.String(), "\n") {
			if strings.Contains(l, "code="+failCode) {
				line = l
			}
		}
		if line != "" {
			for _, want := range []string{"msg=request", "operation=DescribeExportTasks", "status=400", "account=" + acctA, "latency="} {
				if !strings.Contains(line, want) {
					t.Errorf("access log line %q lacks %q", line, want)
				}
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no access log line with code=%s in:\n%s", failCode, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
