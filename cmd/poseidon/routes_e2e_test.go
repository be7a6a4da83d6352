package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestEveryRouteAnswersJSON sends raw requests (net/http would clean "/../"
// before sending) to a real listener: wrong methods get 405 with Allow,
// unknown and non-canonical paths 404, all with a JSON body and a request
// ID, never a redirect or an HTML or text body.
func TestEveryRouteAnswersJSON(t *testing.T) {
	s := startServer(t, "")
	host := strings.TrimPrefix(s.URL, "http://")
	send := func(method, target string) (*http.Response, []byte) {
		t.Helper()
		conn, err := net.Dial("tcp", host)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		// A safety net against a hung test, not an assertion.
		conn.SetDeadline(time.Now().Add(30 * time.Second))
		fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", method, target, host)
		resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: method})
		if err != nil {
			t.Fatalf("%s %s: %v", method, target, err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, b
	}
	for _, tc := range []struct {
		method, target string
		status         int
		allow          string
	}{
		// Wrong methods on every route.
		{"GET", "/", 405, "POST"},
		{"PUT", "/", 405, "POST"},
		{"DELETE", "/", 405, "POST"},
		{"POST", "/_poseidon/health", 405, "GET, HEAD"},
		{"GET", "/_poseidon/reset", 405, "POST"},
		{"DELETE", "/_poseidon/clock", 405, "GET, HEAD, POST"},
		{"GET", "/_poseidon/intake", 405, "POST"},
		{"POST", "/poseidon-exports/111111111111/export-x.zip", 405, "GET, HEAD"},
		{"OPTIONS", "/_poseidon/health", 405, "GET, HEAD"},
		// Odd paths: no redirect.
		{"GET", "//", 404, ""},
		{"POST", "//", 404, ""},
		{"GET", "/../", 404, ""},
		{"GET", "/./x", 404, ""},
		{"GET", "/_poseidon//health", 404, ""},
		{"GET", "/_poseidon/./health", 404, ""},
		{"GET", "/_poseidon/../_poseidon/health", 404, ""},
		{"GET", "/_poseidon/%2e%2e/_poseidon/health", 404, ""},
		{"GET", "/x/..", 404, ""},
		{"POST", "/_poseidon/reset/", 404, ""},
		{"GET", "/_poseidon/health/", 404, ""},
		{"GET", "/_poseidon", 404, ""},
		{"GET", "/_poseidon/", 404, ""},
		{"GET", "/nothing-here", 404, ""},
		{"GET", "/_poseidon/nothing-here", 404, ""},
		// Routes still route.
		{"GET", "/_poseidon/health", 200, ""},
		{"GET", "/_poseidon/health?x=/../", 200, ""},
	} {
		t.Run(tc.method+" "+tc.target, func(t *testing.T) {
			resp, body := send(tc.method, tc.target)
			if resp.StatusCode != tc.status {
				t.Fatalf("HTTP %d %q, want %d", resp.StatusCode, body, tc.status)
			}
			if loc := resp.Header.Get("Location"); loc != "" {
				t.Errorf("redirect to %q", loc)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.Contains(ct, "json") {
				t.Errorf("Content-Type %q, body %q", ct, body)
			}
			if resp.Header.Get("x-amzn-RequestId") == "" {
				t.Error("no x-amzn-RequestId")
			}
			if got := resp.Header.Get("Allow"); got != tc.allow {
				t.Errorf("Allow %q, want %q", got, tc.allow)
			}
			var out map[string]any
			if err := json.Unmarshal(body, &out); err != nil {
				t.Fatalf("body %q is not JSON: %v", body, err)
			}
			want := map[int]string{404: "NotFoundException", 405: "MethodNotAllowedException"}[tc.status]
			if got, _ := out["__type"].(string); got != want || want != "" && out["message"] == "" {
				t.Errorf("body %s, want __type %q and a message", body, want)
			}
		})
	}
	// A browser pointed at the endpoint or the control API's root is told
	// where the console is.
	for _, target := range []string{"/", "/_poseidon", "/_poseidon/"} {
		_, body := send("GET", target)
		if !strings.Contains(string(body), "The web console is at /_poseidon/ui/") {
			t.Errorf("GET %s: %s, want the console's address", target, body)
		}
	}
	// HEAD gets the status and headers of GET, without a body.
	resp, body := send("HEAD", "/_poseidon/reset")
	if resp.StatusCode != 405 || resp.Header.Get("Allow") != "POST" || len(body) != 0 {
		t.Errorf("HEAD reset: %d %q %q", resp.StatusCode, resp.Header.Get("Allow"), body)
	}
}
