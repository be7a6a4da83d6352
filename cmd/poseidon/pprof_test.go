package main

import (
	"net"
	"net/http"
	"testing"
)

// --pprof-addr serves the profiles on a listener of their own; the API
// listener never does.
func TestPprofAddr(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s := startServer(t, "", "--pprof-addr", addr)
	get := func(url string) int {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := get("http://" + addr + "/debug/pprof/"); code != http.StatusOK {
		t.Fatalf("profiles on --pprof-addr: HTTP %d", code)
	}
	if code := get("http://" + addr + "/debug/pprof/heap?debug=1"); code != http.StatusOK {
		t.Fatalf("heap profile on --pprof-addr: HTTP %d", code)
	}
	if code := get(s.URL + "/debug/pprof/"); code != http.StatusNotFound {
		t.Fatalf("profiles on the API listener: HTTP %d, want 404", code)
	}
	// Without the flag there is no profiling listener at all.
	s.Stop(t)
	if _, err := net.Dial("tcp", addr); err == nil {
		t.Fatal("the profiling listener is still open after the server stopped")
	}
	plain := startServer(t, "")
	if code := get(plain.URL + "/debug/pprof/"); code != http.StatusNotFound {
		t.Fatalf("profiles on the API listener without --pprof-addr: HTTP %d, want 404", code)
	}
}
