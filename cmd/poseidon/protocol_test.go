package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	ads "github.com/aws/aws-sdk-go/service/applicationdiscoveryservice"
	"github.com/poseidon-ads/poseidon/internal/adsapi"
	"github.com/poseidon-ads/poseidon/internal/conformance"
)

// post sends a raw AWS JSON 1.1 request (unsigned: open mode).
func post(t *testing.T, url, target, body string, header ...string) (*http.Response, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+"/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	if target != "" {
		req.Header.Set("X-Amz-Target", target)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	conformance.CheckResponse(t, target, resp)
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s: body is not JSON: %q", target, b)
	}
	return resp, out
}

const prefix = "AWSPoseidonService_V2015_11_01."

func TestProtocol(t *testing.T) {
	s := startServer(t, "", "--max-body-bytes", "4096")
	tests := []struct {
		name, target, body string
		status             int
		code, msg          string
	}{
		{"unknown operation", prefix + "DescribeEverything", "{}", 400, "UnknownOperationException", "DescribeEverything"},
		{"unknown prefix", "SomethingElse.StartExportTask", "{}", 400, "UnknownOperationException", ""},
		{"no target", "", "{}", 400, "UnknownOperationException", ""},
		{"not JSON", prefix + "DescribeExportTasks", "{nope", 400, "SerializationException", ""},
		{"not an object", prefix + "DescribeExportTasks", "[1,2]", 400, "SerializationException", ""},
		{"wrong member type", prefix + "DescribeExportTasks", `{"maxResults":"ten"}`, 400, "SerializationException", "maxResults"},
		{"timestamp as string", prefix + "StartExportTask", `{"startTime":"2020-01-01T00:00:00Z","filters":[{"name":"agentIds","values":["o-1"],"condition":"EQUALS"}]}`, 400, "SerializationException", ""},
		{"trailing data", prefix + "DescribeExportTasks", `{} {}`, 400, "SerializationException", ""},
		{"body too large", prefix + "DescribeExportTasks", `{"exportIds":["` + strings.Repeat("x", 5000) + `"]}`, 413, "RequestEntityTooLargeException", "4096"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, out := post(t, s.URL, tt.target, tt.body)
			if resp.StatusCode != tt.status || out["__type"] != tt.code {
				t.Fatalf("got %d %v, want %d %s", resp.StatusCode, out, tt.status, tt.code)
			}
			if msg, _ := out["message"].(string); msg == "" || !strings.Contains(msg, tt.msg) {
				t.Fatalf("message = %q, want it to contain %q", msg, tt.msg)
			}
			if resp.Header.Get("X-Amzn-ErrorType") != tt.code || resp.Header.Get("x-amzn-RequestId") == "" {
				t.Fatalf("headers = %v", resp.Header)
			}
			if resp.Header.Get("Content-Type") != "application/x-amz-json-1.1" {
				t.Fatalf("content type = %q", resp.Header.Get("Content-Type"))
			}
		})
	}
	t.Run("empty body and {} for an operation without input", func(t *testing.T) {
		for _, body := range []string{"", "{}"} {
			resp, out := post(t, s.URL, prefix+"ExportConfigurations", body)
			if resp.StatusCode != 200 || !strings.HasPrefix(out["exportId"].(string), "export-") {
				t.Fatalf("body %q: %d %v", body, resp.StatusCode, out)
			}
		}
	})
	t.Run("unknown members are ignored, fractional timestamps accepted", func(t *testing.T) {
		resp, out := post(t, s.URL, prefix+"StartExportTask", `{"futureMember":1,"startTime":1700000000.123,"endTime":1.7000001E9,"filters":[{"name":"agentIds","values":["o-1"],"condition":"EQUALS"}]}`)
		if resp.StatusCode != 200 {
			t.Fatalf("%d %v", resp.StatusCode, out)
		}
		resp, got := post(t, s.URL, prefix+"DescribeExportTasks", `{"exportIds":["`+out["exportId"].(string)+`"]}`)
		info := got["exportsInfo"].([]any)[0].(map[string]any)
		if resp.StatusCode != 200 || info["requestedStartTime"] != 1700000000.123 || info["requestedEndTime"] != 1700000100.0 {
			t.Fatalf("echoed times = %v %v", info["requestedStartTime"], info["requestedEndTime"])
		}
		if _, ok := info["exportRequestTime"].(float64); !ok {
			t.Fatalf("exportRequestTime is not a number: %T", info["exportRequestTime"])
		}
	})
	t.Run("empty result list is present", func(t *testing.T) {
		_, out := post(t, s.URL, prefix+"DescribeExportTasks", `{"exportIds":["export-none"]}`)
		if l, ok := out["exportsInfo"].([]any); !ok || len(l) != 0 {
			t.Fatalf("exportsInfo = %v", out)
		}
		if _, ok := out["nextToken"]; ok {
			t.Fatal("nextToken on the last page")
		}
	})
	t.Run("request ID on every route", func(t *testing.T) {
		for _, path := range []string{"/_poseidon/health", "/nothing-here", "/poseidon-exports/1/2.zip"} {
			resp, err := http.Get(s.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.Header.Get("x-amzn-RequestId") == "" {
				t.Errorf("%s has no x-amzn-RequestId", path)
			}
		}
		resp, err := http.Get(s.URL + "/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 405 || resp.Header.Get("x-amzn-RequestId") == "" {
			t.Errorf("GET / = %d", resp.StatusCode)
		}
	})
}

func TestControlAPI(t *testing.T) {
	s := startServer(t, "")
	c := client(t, s.URL, acctA, "x")
	code, before := control(t, s.URL, "clock", "", nil)
	if code != 200 {
		t.Fatal(code)
	}
	code, after := control(t, s.URL, "clock", "", map[string]any{"advanceSeconds": 3600})
	if code != 200 || after["epochSeconds"].(float64)-before["epochSeconds"].(float64) < 3600 {
		t.Fatalf("advance: %d %v %v", code, before, after)
	}
	code, set := control(t, s.URL, "clock", "", map[string]any{"setEpochSeconds": 2000000000})
	if code != 200 || set["epochSeconds"].(float64) < 2000000000 || set["epochSeconds"].(float64) > 2000000010 {
		t.Fatalf("set: %d %v", code, set)
	}
	out, _ := c.StartExportTask(&ads.StartExportTaskInput{})
	info := waitExport(t, c, aws.StringValue(out.ExportId))
	if info.ExportRequestTime.Unix() < 2000000000 {
		t.Fatalf("exportRequestTime %v ignores the virtual clock", info.ExportRequestTime)
	}
	for _, bad := range []any{map[string]any{}, map[string]any{"advanceSeconds": 1, "setEpochSeconds": 1}, map[string]any{"advanceSeconds": "x"}} {
		if code, _ := control(t, s.URL, "clock", "", bad); code != 400 {
			t.Errorf("clock %v = %d, want 400", bad, code)
		}
	}
	if code, _ := control(t, s.URL, "reset", "", map[string]any{}); code != 200 {
		t.Fatal(code)
	}
	got, err := c.DescribeExportTasks(&ads.DescribeExportTasksInput{})
	if err != nil || len(got.ExportsInfo) != 0 {
		t.Fatalf("after reset: %v %v", got, err)
	}
	_, now := control(t, s.URL, "clock", "", nil)
	if d := now["epochSeconds"].(float64) - float64(time.Now().Unix()); d > 5 || d < -5 {
		t.Fatalf("reset did not reset the clock: off by %vs", d)
	}
	if code, _ := control(t, s.URL, "reset", "", nil); code != 405 && code != 404 {
		// GET /_poseidon/reset is not a route.
		t.Fatalf("GET reset = %d", code)
	}
}

// TestEveryOperationImplemented calls all 28 ADS operations with an empty
// body: each answers 200 or a modeled error, never NotImplementedException.
func TestEveryOperationImplemented(t *testing.T) {
	s := startServer(t, "")
	for _, name := range adsapi.OperationNames {
		resp, out := post(t, s.URL, prefix+name, "{}")
		if typ, _ := out["__type"].(string); typ == "NotImplementedException" || typ == "UnknownOperationException" || resp.StatusCode >= 500 {
			t.Errorf("%s: %d %v", name, resp.StatusCode, out)
		}
	}
	if len(adsapi.OperationNames) != 28 {
		t.Fatalf("%d operations in the model, want 28", len(adsapi.OperationNames))
	}
}

// A body that is not UTF-8 is refused, not read with U+FFFD in place of
// its bad bytes; nothing is stored.
func TestInvalidUTF8Body(t *testing.T) {
	s := startServer(t, "")
	status, body := rawADS(t, s.URL, "CreateApplication", "{\"name\":\"app-\xff\"}")
	if status != 400 || !strings.Contains(body, "SerializationException") || !strings.Contains(body, "not valid UTF-8") {
		t.Fatalf("CreateApplication with invalid UTF-8: %d %s", status, body)
	}
	if status, body := rawADS(t, s.URL, "ListConfigurations", `{"configurationType":"APPLICATION"}`); status != 200 || strings.Contains(body, "app-") {
		t.Fatalf("an application was stored: %d %s", status, body)
	}
}
