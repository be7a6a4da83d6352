package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"time"
)

// loadFlags describe one repeated request.
type loadFlags struct {
	url, target, body, service, region, key, secret string
}

// loadRun sends the same signed request from conns clients (one keep-alive
// connection each) for warm+dur, and measures the requests that start
// after warm.
func loadRun(ctx context.Context, f loadFlags, conns int, warm, dur time.Duration, pid int, label string) (*Result, error) {
	hc := newHTTPClient(conns)
	probe := newClient(hc, f.url, f.key, f.secret, f.service, f.region)
	a, err := probe.call(ctx, f.target, []byte(f.body))
	if err != nil {
		return nil, fmt.Errorf("first request: %w", err)
	}
	if a.status != http.StatusOK {
		return nil, fmt.Errorf("first request: %d %s: %.300s", a.status, a.code, a.body)
	}
	start := time.Now()
	measureFrom, end := start.Add(warm), start.Add(warm+dur)
	recs := make([]*recorder, conns)
	var wg sync.WaitGroup
	for i := range conns {
		recs[i] = newRecorder()
		c := newClient(hc, f.url, f.key, f.secret, f.service, f.region)
		wg.Go(func() {
			rec := recs[i]
			for {
				now := time.Now()
				if !now.Before(end) {
					return
				}
				a, err := c.call(ctx, f.target, []byte(f.body))
				if now.Before(measureFrom) {
					continue
				}
				rec.record("all", a, err)
			}
		})
	}
	// The RSS sampler and the clock start with the measured window.
	time.Sleep(time.Until(measureFrom))
	began := time.Now()
	sampler := startRSS(pid)
	wg.Wait()
	elapsed := time.Since(began)
	total := newRecorder()
	for _, r := range recs {
		total.merge(r)
	}
	r := &Result{Label: label, Kind: "load", URL: f.url, Conns: conns, BodyBytes: len(a.body)}
	r.fill(total, elapsed)
	sampler.end(r)
	return r, nil
}

// captured is a response as the bare handler sends it again.
type captured struct {
	Status int               `json:"status"`
	Header map[string]string `json:"header"`
	Body   []byte            `json:"body"`
}

// capture sends the request once and writes its answer to out.
func capture(ctx context.Context, f loadFlags, out string) error {
	c := newClient(newHTTPClient(1), f.url, f.key, f.secret, f.service, f.region)
	a, err := c.call(ctx, f.target, []byte(f.body))
	if err != nil {
		return err
	}
	if a.status != http.StatusOK {
		return fmt.Errorf("%d %s: %.300s", a.status, a.code, a.body)
	}
	cp := captured{Status: a.status, Header: map[string]string{}, Body: a.body}
	for k := range a.header {
		switch k {
		case "Date", "Content-Length":
			continue
		}
		cp.Header[k] = a.header.Get(k)
	}
	b, err := json.Marshal(cp)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "captured %d bytes (%d headers) from %s %s\n", len(a.body), len(cp.Header), f.url, f.target)
	return os.WriteFile(out, b, 0o644)
}

// serveBare serves the captured response to every request: the limit of
// what net/http on this machine can answer with those bytes.
func serveBare(ctx context.Context, addr, file string) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var cp captured
	if err := json.Unmarshal(b, &cp); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		for k, v := range cp.Header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(cp.Status)
		w.Write(cp.Body)
	})
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { <-ctx.Done(); hs.Close() }()
	fmt.Printf("bare listening on http://%s (%d bytes)\n", ln.Addr(), len(cp.Body))
	if err := hs.Serve(ln); err != http.ErrServerClosed {
		return err
	}
	return nil
}
