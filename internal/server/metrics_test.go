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
	"github.com/poseidon-ads/poseidon/internal/discovery"
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

// With the store down, a scrape still serves the other metrics (the queue
// depths are left out) and health still answers 200, saying the queue is
// unknown.
func TestMetricsAndHealthWithTheStoreDown(t *testing.T) {
	db := sqlitetest.Open(t)
	s := New(Config{Store: db, Auth: auth.Open(), Clock: clock.New(time.Now)})
	s.Ready()
	ts := httptest.NewServer(s)
	defer ts.Close()
	get := func(path string) (int, string) {
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if err := db.Enqueue(t.Context(), &discovery.Job{Kind: discovery.JobJanitor, RunAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if code, body := get("/_poseidon/health"); code != 200 || !strings.Contains(body, `"export":{"queued":0,"running":0,"scheduled":0}`) ||
		!strings.Contains(body, `"janitor":{"queued":1,"running":0,"scheduled":0}`) {
		t.Fatalf("health: %d %s", code, body)
	}
	if _, body := get("/_poseidon/metrics"); !strings.Contains(body, `poseidon_jobs{kind="janitor",state="queued"} 1`) {
		t.Fatalf("metrics without the janitor's job:\n%s", body)
	}
	db.Close()
	code, body := get("/_poseidon/metrics")
	if code != 200 || !strings.Contains(body, "poseidon_http_panics_total 0") || strings.Contains(body, "poseidon_jobs{") {
		t.Fatalf("metrics with the store down: %d\n%s", code, body)
	}
	if code, body := get("/_poseidon/health"); code != 200 || !strings.Contains(body, `"queue":{"error":"the store did not answer"}`) {
		t.Fatalf("health with the store down: %d %s", code, body)
	}
}
