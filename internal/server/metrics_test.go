package server

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/auth"
	"github.com/poseidon-ads/poseidon/internal/clock"
	"github.com/poseidon-ads/poseidon/internal/sqlite/sqlitetest"
)

// A handler that panics answers 500 ServerInternalErrorException and is
// counted in poseidon_http_panics_total. The panic is a real one: a server
// without an export service (a wiring mistake) asked for an export.
func TestPanicsCounted(t *testing.T) {
	s := New(Config{Store: sqlitetest.Open(t), Auth: auth.Open(), Clock: clock.New(time.Now), HomeRegion: "us-west-2"})
	s.Ready()
	ts := httptest.NewServer(s)
	defer ts.Close()
	scrape := func() string {
		resp, err := http.Get(ts.URL + "/_poseidon/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	if m := scrape(); !strings.Contains(m, "poseidon_http_panics_total 0\n") {
		t.Fatalf("no panic counter at 0:\n%s", m)
	}
	for range 2 {
		req, _ := http.NewRequest("POST", ts.URL+"/", strings.NewReader("{}"))
		req.Header.Set("X-Amz-Target", "AWSPoseidonService_V2015_11_01.StartExportTask")
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=111111111111/20240101/us-west-2/discovery/aws4_request, SignedHeaders=host, Signature=x")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 500 || !strings.Contains(string(b), "ServerInternalErrorException") {
			t.Fatalf("panicking handler: %d %s", resp.StatusCode, b)
		}
	}
	if m := scrape(); !strings.Contains(m, "poseidon_http_panics_total 2\n") {
		t.Fatalf("panics not counted:\n%s", m)
	}
}
