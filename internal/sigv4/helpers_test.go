package sigv4

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v2signer "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	v1creds "github.com/aws/aws-sdk-go/aws/credentials"
	v1signer "github.com/aws/aws-sdk-go/aws/signer/v4"
)

const (
	testAKID   = "AKIAIOSFODNN7EXAMPLE"
	testSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	testToken  = "FQoGZXIvYXdzEXAMPLE//////////wEaDEXAMPLETOKEN+/="
	testRegion = "us-west-2"
	testTarget = "AWSPoseidonService_V2015_11_01.DescribeExportTasks"
	jsonCT     = "application/x-amz-json-1.1"
)

// testTime is the signing time used throughout; noon, so ±16 minutes stays
// on the same day.
var testTime = time.Date(2026, 3, 15, 12, 34, 56, 0, time.UTC)

// wireReq is a signed request as a client would put it on the wire.
type wireReq struct {
	Method string
	URL    string
	Header http.Header // may hold "Host"
	Body   []byte
}

func (w wireReq) clone() wireReq {
	w.Header = w.Header.Clone()
	w.Body = bytes.Clone(w.Body)
	return w
}

// received is a request as the http.Server handed it to the handler.
type received struct {
	r    *http.Request
	body []byte
}

// capture is a real HTTP server that hands every request it receives to the
// test.
type capture struct {
	srv *httptest.Server
	ch  chan received
	// respond, if set, answers the request (used when another process sends
	// and waits for a response); otherwise 204.
	mu      sync.Mutex
	respond func(received) (int, string)
}

func newCapture(t *testing.T) *capture {
	t.Helper()
	c := &capture{ch: make(chan received, 16)}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		rec := received{r: r.Clone(context.Background()), body: body}
		c.mu.Lock()
		respond := c.respond
		c.mu.Unlock()
		if respond != nil {
			code, msg := respond(rec)
			w.WriteHeader(code)
			_, _ = io.WriteString(w, msg)
		} else {
			w.WriteHeader(http.StatusNoContent)
		}
		c.ch <- rec
	}))
	t.Cleanup(c.srv.Close)
	return c
}

// send puts w on the wire with Go's HTTP client and returns what the server
// received.
func (c *capture) send(t *testing.T, w wireReq) received {
	t.Helper()
	req, err := http.NewRequest(w.Method, w.URL, bytes.NewReader(w.Body))
	if err != nil {
		t.Fatal(err)
	}
	if len(w.Body) == 0 {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	for k, vs := range w.Header {
		switch http.CanonicalHeaderKey(k) {
		case "Host":
			req.Host = vs[0]
		case "Content-Length":
			// Go's client writes its own from the body; make sure they agree.
			if vs[0] != strconv.Itoa(len(w.Body)) {
				t.Fatalf("signed Content-Length %s != body length %d", vs[0], len(w.Body))
			}
		default:
			for _, v := range vs {
				req.Header.Add(k, v)
			}
		}
	}
	resp, err := c.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return c.next(t)
}

func (c *capture) setRespond(f func(received) (int, string)) {
	c.mu.Lock()
	c.respond = f
	c.mu.Unlock()
}

func (c *capture) next(t *testing.T) received {
	t.Helper()
	select {
	case rec := <-c.ch:
		return rec
	case <-time.After(10 * time.Second):
		t.Fatal("server received nothing")
		return received{}
	}
}

// signInput describes one request to sign.
type signInput struct {
	query   bool // presign (query string) instead of the Authorization header
	method  string
	url     string
	header  [][2]string // extra headers, signed
	body    []byte
	region  string
	service string
	at      time.Time
	token   string
	expires time.Duration // query form
	secret  string        // default testSecret
}

func (in signInput) secretKey() string {
	if in.secret != "" {
		return in.secret
	}
	return testSecret
}

type clientSigner struct {
	name string
	sign func(t *testing.T, in signInput) wireReq
}

func hexSHA(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func newGoRequest(t *testing.T, in signInput) *http.Request {
	t.Helper()
	req, err := http.NewRequest(in.method, in.url, bytes.NewReader(in.body))
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range in.header {
		req.Header.Add(h[0], h[1])
	}
	return req
}

func fromGoRequest(req *http.Request, body []byte) wireReq {
	h := req.Header.Clone()
	h.Set("Host", req.Host)
	return wireReq{Method: req.Method, URL: req.URL.String(), Header: h, Body: body}
}

// signV1 signs with aws-sdk-go (v1) aws/signer/v4.
func signV1(t *testing.T, in signInput) wireReq {
	t.Helper()
	req := newGoRequest(t, in)
	s := v1signer.NewSigner(v1creds.NewStaticCredentials(testAKID, in.secretKey(), in.token))
	var err error
	if in.query {
		_, err = s.Presign(req, bytes.NewReader(in.body), in.service, in.region, in.expires, in.at)
	} else {
		_, err = s.Sign(req, bytes.NewReader(in.body), in.service, in.region, in.at)
	}
	if err != nil {
		t.Fatal(err)
	}
	return fromGoRequest(req, in.body)
}

// signV2 signs with aws-sdk-go-v2 aws/signer/v4.
func signV2(t *testing.T, in signInput) wireReq {
	t.Helper()
	req := newGoRequest(t, in)
	creds := aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: in.secretKey(), SessionToken: in.token}
	s := v2signer.NewSigner()
	if !in.query {
		if err := s.SignHTTP(context.Background(), creds, req, hexSHA(in.body), in.service, in.region, in.at); err != nil {
			t.Fatal(err)
		}
		return fromGoRequest(req, in.body)
	}
	q := req.URL.Query()
	q.Set("X-Amz-Expires", strconv.Itoa(int(in.expires/time.Second)))
	req.URL.RawQuery = q.Encode()
	u, hdr, err := s.PresignHTTP(context.Background(), creds, req, hexSHA(in.body), in.service, in.region, in.at)
	if err != nil {
		t.Fatal(err)
	}
	return wireReq{Method: in.method, URL: u, Header: hdr, Body: in.body}
}

// botocore is one long-lived python3 process running botocore_sign.py
// --serve: one JSON spec per line in, one result per line out.
var botocore struct {
	once sync.Once
	err  error
	mu   sync.Mutex
	in   io.WriteCloser
	out  *bufio.Reader
}

func startBotocore() error {
	botocore.once.Do(func() {
		if err := exec.Command("python3", "-c", "import botocore.auth").Run(); err != nil {
			botocore.err = fmt.Errorf("python3 with botocore is not available: %v", err)
			return
		}
		cmd := exec.Command("python3", "testdata/botocore_sign.py", "--serve")
		cmd.Stderr = os.Stderr
		in, err := cmd.StdinPipe()
		if err != nil {
			botocore.err = err
			return
		}
		out, err := cmd.StdoutPipe()
		if err != nil {
			botocore.err = err
			return
		}
		if err := cmd.Start(); err != nil {
			botocore.err = err
			return
		}
		botocore.in, botocore.out = in, bufio.NewReader(out)
	})
	return botocore.err
}

type botoOut struct {
	Method   string      `json:"method"`
	URL      string      `json:"url"`
	Headers  [][2]string `json:"headers"`
	Body     string      `json:"body"`
	Status   int         `json:"status"`
	Response string      `json:"response"`
}

func runBotocore(t *testing.T, in signInput, mode string, send bool) botoOut {
	t.Helper()
	if err := startBotocore(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	spec := map[string]any{
		"mode": mode, "method": in.method, "url": in.url, "headers": in.header,
		"body": string(in.body), "akid": testAKID, "secret": in.secretKey(), "token": in.token,
		"region": in.region, "service": in.service, "time": in.at.UTC().Format(longDateFormat),
		"expires": int(in.expires / time.Second), "send": send,
	}
	if spec["headers"] == nil {
		spec["headers"] = [][2]string{}
	}
	js, _ := json.Marshal(spec)
	botocore.mu.Lock()
	defer botocore.mu.Unlock()
	if _, err := botocore.in.Write(append(js, '\n')); err != nil {
		t.Fatalf("botocore: %v", err)
	}
	out, err := botocore.out.ReadBytes('\n')
	if err != nil {
		t.Fatalf("botocore: %v", err)
	}
	var res botoOut
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("botocore output %q: %v", out, err)
	}
	return res
}

// signBotocore signs with botocore.auth.SigV4Auth / SigV4QueryAuth.
func signBotocore(t *testing.T, in signInput) wireReq {
	t.Helper()
	mode := "header"
	if in.query {
		mode = "query"
	}
	res := runBotocore(t, in, mode, false)
	h := http.Header{}
	for _, kv := range res.Headers {
		h.Add(kv[0], kv[1])
	}
	return wireReq{Method: res.Method, URL: res.URL, Header: h, Body: []byte(res.Body)}
}

var clientSigners = []clientSigner{
	{"aws-sdk-go-v1", signV1},
	{"aws-sdk-go-v2", signV2},
	{"botocore", signBotocore},
}

// wantErr checks that err is an *Error with the given code, status and a
// message containing substr.
func wantErr(t *testing.T, err error, code string, status int, substr string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("want %s error, got %v", code, err)
	}
	if e.Code != code || e.Status != status || !strings.Contains(e.Message, substr) {
		t.Fatalf("want %s/%d containing %q, got %s/%d %q", code, status, substr, e.Code, e.Status, e.Message)
	}
}
