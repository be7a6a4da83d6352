package main

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
)

// TestHealthWait runs the binary's health subcommand with --wait against a
// real listener that answers 503 before it answers 200: the command asks
// again until the 200, and gives up with the last answer when it never
// comes.
func TestHealthWait(t *testing.T) {
	health := func(args ...string) (int, string) {
		out, err := exec.Command(binary(t), append([]string{"health"}, args...)...).CombinedOutput()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode(), string(out)
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0, string(out)
	}
	var calls atomic.Int32
	starting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/_poseidon/health" {
			http.NotFound(w, r)
			return
		}
		if calls.Add(1) <= 2 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte(`{"status":"ok"}`))
	}))
	defer starting.Close()
	if code, out := health("--url", starting.URL, "--wait", "1m"); code != 0 || !strings.Contains(out, "healthy: GET") {
		t.Errorf("health --wait 1m against a server answering 503 twice: exit %d %q, want 0", code, out)
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("health --wait asked %d times, want 3 (two 503s, then the 200)", n)
	}

	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer down.Close()
	if code, out := health("--url", down.URL, "--wait", "600ms"); code != 1 || !strings.Contains(out, "503") || !strings.Contains(out, "--wait 600ms") {
		t.Errorf("health --wait 600ms against a server answering 503: exit %d %q, want 1 naming the 503 and --wait", code, out)
	}
	// Without --wait one answer decides.
	calls.Store(0)
	if code, out := health("--url", starting.URL); code != 1 || !strings.Contains(out, "503") {
		t.Errorf("health without --wait against a 503: exit %d %q, want 1", code, out)
	}
	if code, out := health("--url", starting.URL, "--wait=-1s"); code != 1 || !strings.Contains(out, "--wait must not be negative") {
		t.Errorf("health --wait -1s: exit %d %q, want 1", code, out)
	}
}
