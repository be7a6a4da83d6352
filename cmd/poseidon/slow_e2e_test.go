package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Slow clients and connection limits against a real server (run() on a real
// listener) started with tiny timeouts. Outcomes only: a connection is
// closed (EOF) within a generous bound of 10x the timeout, a request is
// answered; never how fast.

// slowBound is how long a test waits for an outcome that the server should
// bring about after timeout.
func slowBound(timeout time.Duration) time.Duration { return 10 * timeout }

// slowDial opens a raw TCP connection to the server at base.
func slowDial(t *testing.T, base string) net.Conn {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.DialTimeout("tcp", u.Host, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// slowHealthRequest is a keep-alive health check.
const slowHealthRequest = "GET /_poseidon/health HTTP/1.1\r\nHost: poseidon\r\n\r\n"

// slowRoundTrip sends a health check on c and reads its answer within
// bound; it fails the test unless the server answers 200.
func slowRoundTrip(t *testing.T, c net.Conn, br *bufio.Reader, bound time.Duration) {
	t.Helper()
	if _, err := io.WriteString(c, slowHealthRequest); err != nil {
		t.Fatalf("write request: %v", err)
	}
	c.SetReadDeadline(time.Now().Add(bound))
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no answer within %v: %v", bound, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	c.SetReadDeadline(time.Time{})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("health answered %d %s", resp.StatusCode, body)
	}
}

// slowWaitClosed reads c until the server closes it and returns what was
// read; it fails the test if the connection is still open after bound.
func slowWaitClosed(t *testing.T, c net.Conn, r io.Reader, bound time.Duration) []byte {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(bound))
	defer c.SetReadDeadline(time.Time{})
	got, err := io.ReadAll(r)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("connection still open after %v (read %q)", bound, got)
	}
	// io.ReadAll turns EOF into nil; a reset is a close too.
	if err != nil && !errors.Is(err, net.ErrClosed) && !strings.Contains(err.Error(), "reset") {
		t.Fatalf("read: %v", err)
	}
	return got
}

// slowServes fails the test unless a fresh connection gets a health check
// answered: the server still serves others.
func slowServes(t *testing.T, base string) {
	t.Helper()
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := hc.Get(base + "/_poseidon/health")
	if err != nil {
		t.Fatalf("server no longer serves: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("health: HTTP %d", resp.StatusCode)
	}
}

func TestSlowHeadersAreCutOffAfterHeaderTimeout(t *testing.T) {
	const timeout = 200 * time.Millisecond
	srv := startServer(t, "", "--read-header-timeout", timeout.String(), "--read-timeout", "1m")

	// A client that starts a request and never finishes its headers.
	c := slowDial(t, srv.URL)
	if _, err := io.WriteString(c, "POST / HTTP/1.1\r\nHost: poseidon\r\nX-Amz-Target: AWSPoseidonService_V2015_11_01.Desc"); err != nil {
		t.Fatal(err)
	}
	if got := slowWaitClosed(t, c, c, slowBound(timeout)); len(got) > 0 && !strings.HasPrefix(string(got), "HTTP/1.1 4") {
		t.Errorf("half-sent headers answered with %q", got)
	}
	slowServes(t, srv.URL)

	// A client that trickles header bytes: each byte within the timeout,
	// the whole header block not.
	c = slowDial(t, srv.URL)
	if _, err := io.WriteString(c, "GET /_poseidon/health HTTP/1.1\r\nHost: poseidon\r\nX-Slow: "); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(timeout / 4):
			}
			if _, err := io.WriteString(c, "x"); err != nil {
				return
			}
		}
	}()
	slowWaitClosed(t, c, c, slowBound(timeout))
	slowServes(t, srv.URL)
}

func TestSlowBodyIsCutOffAfterReadTimeout(t *testing.T) {
	const timeout = 500 * time.Millisecond
	srv := startServer(t, "", "--read-header-timeout", "1m", "--read-timeout", timeout.String())

	// A body of 4,000 bytes sent one byte every 10 ms takes 40 s: far past
	// the read timeout, though bytes keep coming.
	const size = 4000
	c := slowDial(t, srv.URL)
	head := fmt.Sprintf("POST / HTTP/1.1\r\nHost: poseidon\r\nContent-Type: application/x-amz-json-1.1\r\n"+
		"X-Amz-Target: AWSPoseidonService_V2015_11_01.DescribeAgents\r\n"+
		"Authorization: AWS4-HMAC-SHA256 Credential=%s/20260101/%s/discovery/aws4_request, SignedHeaders=host, Signature=00\r\n"+
		"Content-Length: %d\r\n\r\n{", acctA, region, size)
	if _, err := io.WriteString(c, head); err != nil {
		t.Fatal(err)
	}
	var sent atomic.Int64
	sent.Store(1)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for sent.Load() < size {
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
			if _, err := c.Write([]byte(" ")); err != nil {
				return
			}
			sent.Add(1)
		}
	}()

	br := bufio.NewReader(c)
	c.SetReadDeadline(time.Now().Add(slowBound(timeout)))
	resp, err := http.ReadResponse(br, nil)
	switch {
	case err == nil:
		// The handler saw its body read fail and said so; then the
		// connection must close, as the rest of the body is unread.
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestTimeout || !strings.Contains(string(body), "RequestTimeoutException") {
			t.Errorf("cut-off body answered %d %s, want 408 RequestTimeoutException (retried by SDKs)", resp.StatusCode, body)
		}
		slowWaitClosed(t, c, br, slowBound(timeout))
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "reset"):
		// Closed without an answer: cut off too.
	default:
		t.Fatalf("slow body: no answer and no close within %v: %v", slowBound(timeout), err)
	}
	if n := sent.Load(); n >= size {
		t.Fatalf("the whole body (%d bytes) was sent: not cut off", n)
	}
	slowServes(t, srv.URL)
}

func TestSlowIdleKeepAliveIsClosedAfterIdleTimeout(t *testing.T) {
	const timeout = 300 * time.Millisecond
	srv := startServer(t, "", "--idle-timeout", timeout.String())

	c := slowDial(t, srv.URL)
	br := bufio.NewReader(c)
	slowRoundTrip(t, c, br, 10*time.Second)
	// The connection is kept alive for a next request ...
	slowRoundTrip(t, c, br, 10*time.Second)
	// ... and closed once it idles past the idle timeout.
	if got := slowWaitClosed(t, c, br, slowBound(timeout)); len(got) > 0 {
		t.Errorf("idle connection got %q", got)
	}
	slowServes(t, srv.URL)
}

func TestSlowMaxConnections(t *testing.T) {
	srv := startServer(t, "", "--max-connections", "2")
	// startServer's health checks may have left a keep-alive connection in
	// the default transport; it would hold a slot until the idle timeout.
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	const bound = 10 * time.Second

	// A holds one slot; requests on new connections use the other one.
	a := slowDial(t, srv.URL)
	abr := bufio.NewReader(a)
	slowRoundTrip(t, a, abr, bound)
	for range 3 {
		slowServes(t, srv.URL)
	}

	// B holds the second slot: a third connection is accepted by the kernel
	// but not served.
	b := slowDial(t, srv.URL)
	bbr := bufio.NewReader(b)
	slowRoundTrip(t, b, bbr, bound)
	c := slowDial(t, srv.URL)
	cbr := bufio.NewReader(c)
	if _, err := io.WriteString(c, slowHealthRequest); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	if _, err := cbr.Peek(1); err == nil {
		t.Fatal("a third connection was served while two were held open")
	} else if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
		t.Fatalf("third connection: %v, want it left waiting", err)
	}
	// The held connections still work.
	slowRoundTrip(t, a, abr, bound)

	// Closing A frees a slot: C's waiting request is answered.
	a.Close()
	c.SetReadDeadline(time.Now().Add(bound))
	resp, err := http.ReadResponse(cbr, nil)
	if err != nil {
		t.Fatalf("third connection not served after a slot freed: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("third connection: HTTP %d", resp.StatusCode)
	}
	c.SetReadDeadline(time.Time{})
	slowRoundTrip(t, b, bbr, bound)
	slowRoundTrip(t, c, cbr, bound)

	// Both slots free again: new connections are served.
	b.Close()
	c.Close()
	slowServes(t, srv.URL)
}

func TestSlowUnlimitedConnections(t *testing.T) {
	srv := startServer(t, "", "--max-connections", "0")
	const held = 8
	for range held {
		c := slowDial(t, srv.URL)
		slowRoundTrip(t, c, bufio.NewReader(c), 10*time.Second)
	}
	slowServes(t, srv.URL)
}

func TestSlowFlagsFromEnvironment(t *testing.T) {
	// The limit comes from POSEIDON_MAX_CONNECTIONS like every other flag.
	t.Setenv("POSEIDON_MAX_CONNECTIONS", "1")
	t.Setenv("POSEIDON_IDLE_TIMEOUT", "1m")
	srv := startServer(t, "")
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	a := slowDial(t, srv.URL)
	slowRoundTrip(t, a, bufio.NewReader(a), 10*time.Second)
	b := slowDial(t, srv.URL)
	if _, err := io.WriteString(b, slowHealthRequest); err != nil {
		t.Fatal(err)
	}
	b.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	if _, err := bufio.NewReader(b).Peek(1); err == nil {
		t.Fatal("POSEIDON_MAX_CONNECTIONS=1: a second connection was served while one was held")
	}
	a.Close()
	b.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := http.ReadResponse(bufio.NewReader(b), nil); err != nil {
		// The first Peek consumed nothing, so a fresh reader sees it all.
		t.Fatalf("second connection not served after the first closed: %v", err)
	}
}

func TestSlowNegativeLimitsRefused(t *testing.T) {
	for _, args := range [][]string{{"--max-connections=-1"}, {"--read-timeout=-1s"}, {"--idle-timeout=-1ms"}} {
		err := run(t.Context(), append([]string{"serve", "--addr", "127.0.0.1:0", "--data", t.TempDir()}, args...), io.Discard, io.Discard)
		if err == nil {
			t.Errorf("serve %v started", args)
		}
	}
}
