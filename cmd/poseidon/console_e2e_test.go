package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// consoleCall posts one of the web console's reads to POST
// /_poseidon/console, SigV4-signed (X-Amz-Target included) when akid is
// set, and returns the status and the decoded JSON body.
func consoleCall(t *testing.T, url, akid, secret, op, body string) (int, map[string]any) {
	t.Helper()
	status, _, out := signedPost(t, url+"/_poseidon/console", "application/x-amz-json-1.1",
		map[string]string{"X-Amz-Target": "PoseidonConsole." + op}, akid, secret, []byte(body))
	return status, out
}

// TestConsoleReads checks the console's own reads in strict mode: the
// account comes from the signature, each account sees its own servers and
// samples only, bad input gets a 4xx AWS error, allow lists apply.
func TestConsoleReads(t *testing.T) {
	s := startServer(t, "", "--credentials", writeCredentials(t))
	agents := sendFleet(t, s.URL, 8, 3)
	server := discovery.ServerID(acctA, agents[0].AgentID)

	code, m := consoleCall(t, s.URL, keyA, secretA, "GetNetworkMap", `{}`)
	if code != http.StatusOK {
		t.Fatalf("GetNetworkMap: %d %v", code, m)
	}
	nodes, _ := m["nodes"].([]any)
	edges, _ := m["edges"].([]any)
	if len(nodes) != len(agents) || len(edges) == 0 {
		t.Fatalf("A's map: %d nodes, %d edges; want %d nodes and some edges", len(nodes), len(edges), len(agents))
	}
	for _, e := range edges {
		e := e.([]any)
		if src, dst := int(e[0].(float64)), int(e[1].(float64)); src == dst || src >= len(nodes) || dst >= len(nodes) || e[2].(float64) < 1 {
			t.Errorf("edge %v: not between two distinct nodes with traffic", e)
		}
	}
	if code, m := consoleCall(t, s.URL, keyB, secretB, "GetNetworkMap", `{}`); code != http.StatusOK || len(m["nodes"].([]any)) != 0 || len(m["edges"].([]any)) != 0 {
		t.Errorf("B's map: %d %v, want empty", code, m)
	}

	code, u := consoleCall(t, s.URL, keyA, secretA, "GetServerUsage", `{"serverId":"`+server+`"}`)
	if code != http.StatusOK {
		t.Fatalf("GetServerUsage: %d %v", code, u)
	}
	samples := u["samples"].(map[string]any)
	times := samples["time"].([]any)
	if len(times) != 4 || len(samples["cpuPct"].([]any)) != 4 {
		t.Fatalf("1 h of 15-minute samples: got %d times, %v", len(times), samples)
	}
	for i := 1; i < len(times); i++ {
		if times[i].(float64)-times[i-1].(float64) != 900 {
			t.Errorf("sample times %v: not 15 minutes apart, oldest first", times)
		}
	}
	// A narrower window: the last sample alone.
	last := times[3].(float64)
	if code, u := consoleCall(t, s.URL, keyA, secretA, "GetServerUsage", `{"serverId":"`+server+`","startTime":`+jsonNum(last)+`,"endTime":`+jsonNum(last+1)+`}`); code != http.StatusOK ||
		len(u["samples"].(map[string]any)["time"].([]any)) != 1 {
		t.Errorf("window of the last sample: %d %v", code, u)
	}

	for _, tc := range []struct {
		name, key, secret, op, body string
		status                      int
		code                        string
	}{
		{"B reads A's server", keyB, secretB, "GetServerUsage", `{"serverId":"` + server + `"}`, 400, "ResourceNotFoundException"},
		{"not a server ID", keyA, secretA, "GetServerUsage", `{"serverId":"d-application-0123456789abcdef0"}`, 400, "InvalidParameterValueException"},
		{"start after end", keyA, secretA, "GetServerUsage", `{"serverId":"` + server + `","startTime":2000000000,"endTime":1900000000}`, 400, "InvalidParameterValueException"},
		{"a window over 90 days", keyA, secretA, "GetServerUsage", `{"serverId":"` + server + `","startTime":1000000000,"endTime":1900000000}`, 400, "InvalidParameterValueException"},
		{"negative time", keyA, secretA, "GetServerUsage", `{"serverId":"` + server + `","startTime":-5}`, 400, "InvalidParameterValueException"},
		{"not JSON", keyA, secretA, "GetServerUsage", `{"serverId":`, 400, "SerializationException"},
		{"an unknown operation", keyA, secretA, "DeleteEverything", `{}`, 400, "UnknownOperationException"},
		{"unsigned", "", "", "GetNetworkMap", `{}`, 403, "MissingAuthenticationTokenException"},
		{"a wrong secret", keyA, "not-the-secret", "GetNetworkMap", `{}`, 403, "InvalidSignatureException"},
		{"an allow list without poseidon:GetNetworkMap", keyRO, secretR, "GetNetworkMap", `{}`, 400, "AuthorizationErrorException"},
	} {
		code, out := consoleCall(t, s.URL, tc.key, tc.secret, tc.op, tc.body)
		if typ, _ := out["__type"].(string); code != tc.status || typ != tc.code {
			t.Errorf("%s: %d %v, want %d %s", tc.name, code, out, tc.status, tc.code)
		}
	}
}

func jsonNum(v float64) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestConsolePages checks that the console's files are served from the
// binary, with a strict content security policy, at /_poseidon/ui/.
func TestConsolePages(t *testing.T) {
	s := startServer(t, "", "--credentials", writeCredentials(t))
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(s.URL + "/_poseidon/ui")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "/_poseidon/ui/" {
		t.Errorf("/_poseidon/ui: %d to %q, want 301 to /_poseidon/ui/", resp.StatusCode, resp.Header.Get("Location"))
	}
	for _, tc := range []struct {
		path, contentType, contains string
	}{
		{"/_poseidon/ui/", "text/html", `<script type="module" src="js/app.js">`},
		{"/_poseidon/ui/js/api.js", "text/javascript", "AwsClient"},
		{"/_poseidon/ui/vendor/cytoscape.js", "text/javascript", "export"},
		{"/_poseidon/ui/vendor/uplot.js", "text/javascript", "export { uPlot as default }"},
		{"/_poseidon/ui/vendor/aws4fetch.js", "text/javascript", "class AwsClient"},
		{"/_poseidon/ui/vendor/uplot.css", "text/css", ".uplot"},
	} {
		resp, err := http.Get(s.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), tc.contentType) || !bytes.Contains(b, []byte(tc.contains)) {
			t.Errorf("%s: %d %s, %d bytes; want 200 %s containing %q", tc.path, resp.StatusCode, resp.Header.Get("Content-Type"), len(b), tc.contentType, tc.contains)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("%s: Content-Security-Policy %q", tc.path, csp)
		}
	}
	for _, p := range []string{"/_poseidon/ui/no-such-file.js", "/_poseidon/ui/vendor", "/_poseidon/ui/vendor/", "/_poseidon/ui/js/"} {
		resp, err = http.Get(s.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound || !bytes.Contains(b, []byte(`"NotFoundException"`)) {
			t.Errorf("%s: %d %q, want the JSON 404 (no folder listing)", p, resp.StatusCode, b)
		}
	}
}
