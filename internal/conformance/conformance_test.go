package conformance

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const okExport = `{"exportId":"export-1","exportStatus":"SUCCEEDED","statusMessage":"done","exportRequestTime":1.7e9,"isTruncated":false}`

func TestCheck(t *testing.T) {
	tests := []struct {
		name   string
		op     string
		status int
		body   string
		want   string // substring of the single expected violation; "" = conforms
	}{
		{"ok", "DescribeExportTasks", 200, `{"exportsInfo":[` + okExport + `],"nextToken":"x"}`, ""},
		{"ok empty", "DescribeExportTasks", 200, `{}`, ""},
		{"ok map and long", "GetDiscoverySummary", 200, `{"servers":12,"agentSummary":{"activeAgents":1,"healthyAgents":1,"blackListedAgents":0,"shutdownAgents":0,"unhealthyAgents":0,"totalAgents":1,"unknownAgents":0}}`, ""},
		{"ok map", "DescribeConfigurations", 200, `{"configurations":[{"server.hostName":"h"}]}`, ""},
		{"missing required", "DescribeExportTasks", 200, `{"exportsInfo":[{"exportId":"e","exportStatus":"FAILED","statusMessage":"m"}]}`, "$.exportsInfo[0].exportRequestTime: required member missing"},
		{"extra member", "CreateApplication", 200, `{"configurationId":"d-application-0","name":"x"}`, "$.name: member not in the model"},
		{"wrong type string", "CreateApplication", 200, `{"configurationId":7}`, "$.configurationId: is number 7, want string"},
		{"wrong type long fraction", "GetDiscoverySummary", 200, `{"servers":1.5}`, "$.servers: 1.5 is not a JSON integer"},
		{"wrong type long string", "GetDiscoverySummary", 200, `{"servers":"1"}`, "$.servers: is string, want long"},
		{"integer overflow", "GetDiscoverySummary", 200, `{"agentSummary":{"activeAgents":4294967296,"healthyAgents":1,"blackListedAgents":0,"shutdownAgents":0,"unhealthyAgents":0,"totalAgents":1,"unknownAgents":0}}`, "$.agentSummary.activeAgents: 4294967296 overflows integer"},
		{"wrong type boolean", "DescribeExportTasks", 200, `{"exportsInfo":[` + strings.Replace(okExport, `false`, `"false"`, 1) + `]}`, "$.exportsInfo[0].isTruncated: is string, want boolean"},
		{"wrong type list", "DescribeExportTasks", 200, `{"exportsInfo":{}}`, "$.exportsInfo: is object, want list"},
		{"wrong type map value", "DescribeConfigurations", 200, `{"configurations":[{"a":1}]}`, `$.configurations[0]["a"]: is number 1, want string`},
		{"string timestamp", "DescribeExportTasks", 200, `{"exportsInfo":[` + strings.Replace(okExport, `1.7e9`, `"2024-01-01T00:00:00Z"`, 1) + `]}`, "$.exportsInfo[0].exportRequestTime: is string, want timestamp"},
		{"bad enum", "DescribeExportTasks", 200, `{"exportsInfo":[` + strings.Replace(okExport, `SUCCEEDED`, `DONE`, 1) + `]}`, `$.exportsInfo[0].exportStatus: "DONE" is not a value of enum ExportStatus`},
		{"null member", "CreateApplication", 200, `{"configurationId":null}`, "$.configurationId: null"},
		{"not json", "CreateApplication", 200, `<html>`, "$: body is not JSON"},
		{"unknown op 200", "Nope", 200, `{}`, `$: 200 for unknown operation "Nope"`},

		{"modeled error", "CreateTags", 400, `{"__type":"ResourceNotFoundException","message":"m"}`, ""},
		{"namespaced error", "CreateTags", 400, `{"__type":"com.amazonaws.discovery#ResourceNotFoundException","message":"m"}`, ""},
		{"protocol error", "CreateTags", 400, `{"__type":"SerializationException","message":"m"}`, ""},
		{"protocol error unknown op", "Nope", 400, `{"__type":"UnknownOperationException","message":"m"}`, ""},
		{"unmodeled error type", "CreateApplication", 400, `{"__type":"ResourceNotFoundException","message":"m"}`, `$.__type: "ResourceNotFoundException" is not a modeled error of CreateApplication`},
		{"invented error type", "Nope", 400, `{"__type":"ValidationException","message":"m"}`, `$.__type: "ValidationException" is not a protocol error`},
		{"error without type", "CreateTags", 500, `{"message":"m"}`, "$.__type: missing"},
		{"error without message", "CreateTags", 400, `{"__type":"InvalidParameterException"}`, "$.message: missing"},
		{"error Message spelled wrong", "CreateTags", 400, `{"__type":"InvalidParameterException","message":"m","Message":"m"}`, "$.Message: unexpected member in error body"},
		{"error message not string", "CreateTags", 400, `{"__type":"InvalidParameterException","message":1}`, "$.message: is number 1, want string"},
		{"odd status", "CreateTags", 302, `{}`, "$: unexpected HTTP status 302"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Check(tc.op, tc.status, []byte(tc.body))
			if tc.want == "" {
				if len(got) != 0 {
					t.Fatalf("violations %q, want none", got)
				}
				return
			}
			if len(got) != 1 || !strings.Contains(got[0], tc.want) {
				t.Fatalf("violations %q, want one containing %q", got, tc.want)
			}
		})
	}
}

func TestUnion(t *testing.T) {
	c := &checker{m: mustLoad(t)}
	c.value("$", map[string]any{}, "ExportPreferences")
	if len(c.out) != 1 || !strings.Contains(c.out[0], "union has 0 members set") {
		t.Fatalf("violations %q", c.out)
	}
}

func mustLoad(t *testing.T) *model {
	m, err := load()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// recorder is a testing.TB that records Errorf calls.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, format)
}

func TestTransport(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		io.WriteString(w, `{"configurationId":"x","extra":1}`)
	}))
	defer srv.Close()
	for _, tc := range []struct {
		target string
		errs   int
	}{
		{TargetPrefix() + "CreateApplication", 1},
		{"AWSMigrationHubMultiAccountService.CreateHomeRegionControl", 2}, // MGH responses are checked too: both members are foreign to its model
		{"", 0},
	} {
		rec := &recorder{TB: t}
		c := &http.Client{Transport: Transport(rec, nil)}
		req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader("{}"))
		req.Header.Set("X-Amz-Target", tc.target)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != `{"configurationId":"x","extra":1}` {
			t.Errorf("%s: body not restored: %q", tc.target, b)
		}
		if len(rec.errs) != tc.errs {
			t.Errorf("%s: %d errors, want %d", tc.target, len(rec.errs), tc.errs)
		}
	}
}
