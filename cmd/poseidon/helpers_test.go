package main

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/awserr"
	"github.com/aws/aws-sdk-go/aws/credentials"
	"github.com/aws/aws-sdk-go/aws/session"
	v4 "github.com/aws/aws-sdk-go/aws/signer/v4"
	ads "github.com/aws/aws-sdk-go/service/applicationdiscoveryservice"
	"github.com/aws/aws-sdk-go/service/migrationhubconfig"
	"github.com/poseidon-ads/poseidon/internal/agentdata"
	"github.com/poseidon-ads/poseidon/internal/conformance"
)

const (
	acctA   = "111111111111"
	acctB   = "222222222222"
	region  = "us-west-2"
	keyA    = "AKIAAAAAAAAAAAAAAAAA"
	secretA = "secret-a"
	keyB    = "AKIABBBBBBBBBBBBBBBB"
	secretB = "secret-b"
	keyRO   = "AKIAREADONLYREADONLY"
	secretR = "secret-ro"
)

// testServer is a poseidon server run in-process by run(), on a free port.
type testServer struct {
	URL  string
	Data string
	stop context.CancelFunc
	done chan error
}

// startServer runs "poseidon serve" on 127.0.0.1:0 with a fresh data
// directory (or data, if not empty) plus extra flags, and waits until ready.
func startServer(t testing.TB, data string, extra ...string) *testServer {
	t.Helper()
	return startServerAt(t, data, "127.0.0.1:0", extra...)
}

// startServerAt is startServer on a given address.
func startServerAt(t testing.TB, data, addr string, extra ...string) *testServer {
	t.Helper()
	if data == "" {
		data = t.TempDir()
	}
	args := append([]string{"serve", "--addr", addr, "--data", data, "--log-level", "warn"}, extra...)
	return runServer(t, data, io.Discard, args)
}

// startServerLogged is startServer with the server's log (level info)
// kept, and printed with the test's output if the test fails.
func startServerLogged(t testing.TB, data string, extra ...string) *testServer {
	t.Helper()
	if data == "" {
		data = t.TempDir()
	}
	var mu sync.Mutex
	var log bytes.Buffer
	t.Cleanup(func() {
		if t.Failed() {
			mu.Lock()
			t.Logf("server log:\n%s", log.String())
			mu.Unlock()
		}
	})
	w := writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return log.Write(p)
	})
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data", data, "--log-level", "info"}, extra...)
	return runServer(t, data, w, args)
}

// writerFunc is an io.Writer of a func.
type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// runServer runs poseidon with args (a serve command on data) in-process,
// on the test store (storeArgs), its log going to stderr, and waits until
// it is healthy.
func runServer(t testing.TB, data string, stderr io.Writer, args []string) *testServer {
	t.Helper()
	args = storeArgs(t, data, args)
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	s := &testServer{Data: data, stop: cancel, done: make(chan error, 1)}
	go func() {
		err := run(ctx, args, pw, stderr)
		pw.Close()
		s.done <- err
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	go io.Copy(io.Discard, pr)
	if err != nil {
		cancel()
		t.Fatalf("server did not start: %v (%v)", err, <-s.done)
	}
	s.URL = listenURL(t, line)
	t.Cleanup(func() { s.Stop(t) })
	waitHealthy(t, s.URL)
	return s
}

// Stop shuts the server down gracefully (as SIGTERM does) and waits for it.
func (s *testServer) Stop(t testing.TB) {
	if s.stop == nil {
		return
	}
	s.stop()
	s.stop = nil
	select {
	case err := <-s.done:
		if err != nil {
			t.Errorf("server exited with %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Error("server did not stop within 30s")
	}
}

func listenURL(t testing.TB, line string) string {
	t.Helper()
	_, rest, ok := strings.Cut(line, "listening on ")
	if !ok {
		t.Fatalf("unexpected first line %q", line)
	}
	u, _, _ := strings.Cut(rest, " ")
	return strings.TrimSpace(u)
}

func waitHealthy(t testing.TB, url string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url + "/_poseidon/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s never became healthy", url)
}

func newSession(t testing.TB, url, akid, secret, reg string) *session.Session {
	t.Helper()
	cfg := aws.NewConfig().
		WithEndpoint(url).
		WithRegion(reg).
		WithMaxRetries(0).
		WithDisableParamValidation(true)
	if akid == "" {
		cfg = cfg.WithCredentials(credentials.AnonymousCredentials)
	} else {
		cfg = cfg.WithCredentials(credentials.NewStaticCredentials(akid, secret, ""))
	}
	sess, err := session.NewSessionWithOptions(session.Options{Config: *cfg, SharedConfigState: session.SharedConfigDisable})
	if err != nil {
		t.Fatal(err)
	}
	// Every ADS response the SDK receives is checked against the model. The
	// client is set after the session is built, wrapping the transport the
	// session chose: with AWS_CA_BUNDLE set, the SDK refuses a custom
	// http.Client whose Transport is not an *http.Transport.
	base := http.DefaultTransport
	if hc := sess.Config.HTTPClient; hc != nil && hc.Transport != nil {
		base = hc.Transport
	}
	sess.Config.HTTPClient = &http.Client{Transport: conformance.Transport(t, base)}
	return sess
}

// client returns an ADS client of aws-sdk-go v1, with retries and client-side
// validation off so that bad input reaches the server.
func client(t *testing.T, url, akid, secret string) *ads.ApplicationDiscoveryService {
	return ads.New(newSession(t, url, akid, secret, region))
}

func clientIn(t *testing.T, url, akid, secret, reg string) *ads.ApplicationDiscoveryService {
	return ads.New(newSession(t, url, akid, secret, reg))
}

func mghClient(t *testing.T, url, akid, secret, reg string) *migrationhubconfig.MigrationHubConfig {
	return migrationhubconfig.New(newSession(t, url, akid, secret, reg))
}

// wantCode fails unless err is an AWS error with that code and HTTP status.
func wantCode(t *testing.T, err error, code string, status int) awserr.RequestFailure {
	t.Helper()
	var rf awserr.RequestFailure
	if !errors.As(err, &rf) {
		t.Fatalf("error = %v, want %s", err, code)
	}
	if rf.Code() != code || rf.StatusCode() != status {
		t.Fatalf("error = %s (%d) %q, want %s (%d)", rf.Code(), rf.StatusCode(), rf.Message(), code, status)
	}
	if rf.RequestID() == "" {
		t.Fatalf("error %s has no request ID", code)
	}
	return rf
}

// waitExport polls DescribeExportTasks until the export leaves IN_PROGRESS.
func waitExport(t *testing.T, c *ads.ApplicationDiscoveryService, id string) *ads.ExportInfo {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		out, err := c.DescribeExportTasks(&ads.DescribeExportTasksInput{ExportIds: []*string{&id}})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.ExportsInfo) != 1 {
			t.Fatalf("DescribeExportTasks(%s) returned %d exports", id, len(out.ExportsInfo))
		}
		info := out.ExportsInfo[0]
		if aws.StringValue(info.StatusMessage) == "" {
			t.Fatalf("export %s has an empty statusMessage", id)
		}
		if aws.StringValue(info.ExportStatus) != ads.ExportStatusInProgress {
			return info
		}
		if time.Now().After(deadline) {
			t.Fatalf("export %s still IN_PROGRESS", id)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// summaryExport runs a summary export (StartExportTask without filters)
// to success and returns its ID and archive.
func summaryExport(t *testing.T, c *ads.ApplicationDiscoveryService) (string, []byte) {
	t.Helper()
	out, err := c.StartExportTask(&ads.StartExportTaskInput{})
	if err != nil {
		t.Fatal(err)
	}
	info := waitExport(t, c, aws.StringValue(out.ExportId))
	if aws.StringValue(info.ExportStatus) != ads.ExportStatusSucceeded {
		t.Fatalf("export %v", info)
	}
	code, b := download(t, aws.StringValue(info.ConfigurationsDownloadUrl))
	if code != 200 {
		t.Fatalf("download = %d", code)
	}
	return aws.StringValue(out.ExportId), b
}

// download GETs a URL and returns status and body.
func download(t *testing.T, url string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// unzip returns the members of a zip archive.
func unzip(t *testing.T, b []byte) map[string]string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("not a zip: %v", err)
	}
	out := map[string]string{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name] = string(body)
	}
	return out
}

// control calls the control API: GET, or POST with body when not nil.
func control(t *testing.T, url, path, token string, body any) (int, map[string]any) {
	t.Helper()
	if body != nil {
		return faultCall(t, url, http.MethodPost, path, token, body)
	}
	return faultCall(t, url, http.MethodGet, path, token, nil)
}

func advance(t *testing.T, url string, d time.Duration) {
	t.Helper()
	if code, out := control(t, url, "clock", "", map[string]any{"advanceSeconds": d.Seconds()}); code != 200 {
		t.Fatalf("advance clock: %d %v", code, out)
	}
}

// writeCredentials writes a strict-mode credentials file with three
// identities: A (all actions), B (all actions, another account) and a
// read-only identity of account A.
func writeCredentials(t testing.TB) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "credentials.json")
	doc := `{"identities":[
		{"accessKeyId":"` + keyA + `","secretAccessKey":"` + secretA + `","accountId":"` + acctA + `"},
		{"accessKeyId":"` + keyB + `","secretAccessKey":"` + secretB + `","accountId":"` + acctB + `"},
		{"accessKeyId":"` + keyRO + `","secretAccessKey":"` + secretR + `","accountId":"` + acctA + `","allow":["discovery:Describe*"]}]}`
	if err := os.WriteFile(p, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMain(m *testing.M) {
	// aws-sdk-go v1 logs a line for each call of a deprecated operation.
	log.SetOutput(io.Discard)
	if err := checkTestStore(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// binary builds the poseidon binary once per test run.
func binary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "poseidon-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "poseidon")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = errors.New(string(out))
		}
	})
	if binErr != nil {
		t.Fatalf("build poseidon: %v", binErr)
	}
	return binPath
}

// proc is the real binary running as a child process.
type proc struct {
	cmd *exec.Cmd
	URL string
}

// startBinary runs the built binary with serve flags, on the test store
// (storeArgs), and waits until ready.
func startBinary(t *testing.T, data, addr string, extra ...string) *proc {
	t.Helper()
	args := storeArgs(t, data, append([]string{"serve", "--addr", addr, "--data", data, "--log-level", "warn"}, extra...))
	cmd := exec.Command(binary(t), args...)
	cmd.Env = append(os.Environ(), "POSEIDON_LOG_FORMAT=text")
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("binary did not start: %v", err)
	}
	go io.Copy(io.Discard, stdout)
	p := &proc{cmd: cmd, URL: listenURL(t, line)}
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			p.cmd.Wait()
		}
	})
	waitHealthy(t, p.URL)
	return p
}

// intakeCall posts body to /_poseidon/intake, signed with SigV4 for akid and
// secret unless akid is empty, and returns the status and the decoded body.
func intakeCall(t *testing.T, url, akid, secret string, body []byte) (int, http.Header, map[string]any) {
	t.Helper()
	return signedPost(t, url+"/_poseidon/intake", "application/json", nil, akid, secret, body)
}

// signedPost posts body to url with the content type and headers, signed
// with SigV4 (service discovery) for akid and secret unless akid is empty,
// and returns the status, the headers and the body decoded as JSON (it
// fails the test if the body is not JSON).
func signedPost(t *testing.T, url, contentType string, headers map[string]string, akid, secret string, body []byte) (int, http.Header, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	if akid != "" {
		if _, err := v4.NewSigner(credentials.NewStaticCredentials(akid, secret, "")).Sign(req, bytes.NewReader(body), "discovery", region, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("POST %s answered %d with a body that is not JSON: %q", url, resp.StatusCode, raw)
	}
	return resp.StatusCode, resp.Header, out
}

// postAgentBatch posts a batch to the intake endpoint, SigV4-signed for the
// account (open mode takes the account from a 12-digit access key ID), and
// fails unless every report is accepted.
func postAgentBatch(t *testing.T, url, account string, b *agentdata.Batch) {
	t.Helper()
	body, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	code, _, out := intakeCall(t, url, account, "secret", body)
	if code != http.StatusOK {
		t.Fatalf("intake: HTTP %d %v", code, out)
	}
	if n, _ := out["accepted"].(float64); int(n) != len(b.Reports) {
		t.Fatalf("intake accepted %v of %d reports: %v", out["accepted"], len(b.Reports), out)
	}
}

// postADS posts a raw ADS request as account A (open mode) and returns the
// status, headers and body.
func postADS(t *testing.T, url, op string, body []byte) (int, http.Header, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+"/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AWSPoseidonService_V2015_11_01."+op)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+acctA+"/20260101/"+region+"/discovery/aws4_request, SignedHeaders=host, Signature=00")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// rawADS posts a raw ADS request as account A and returns status and body,
// which must conform to the model.
func rawADS(t *testing.T, url, op, body string) (int, string) {
	t.Helper()
	status, _, b := postADS(t, url, op, []byte(body))
	for _, v := range conformance.Check(op, status, b) {
		t.Errorf("conformance: %s (HTTP %d): %s", op, status, v)
	}
	return status, string(b)
}
