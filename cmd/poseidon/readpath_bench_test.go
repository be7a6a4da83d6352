//go:build unix

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/credentials"
	v4 "github.com/aws/aws-sdk-go/aws/signer/v4"
	ads "github.com/aws/aws-sdk-go/service/applicationdiscoveryservice"
)

// The read path benchmark (issue 14, scenario 1): DescribeExportTasks, a
// page of 10 from an account with 1,000 SUCCEEDED exports, strict mode,
// SigV4-signed with aws-sdk-go v1's signer, over a real listener, against
// a bare net/http handler that answers the same bytes, with the same
// client, in the same run. The server logs at info, as "poseidon serve"
// does by default (to io.Discard here).
//
//	go test ./cmd/poseidon -run '^$' -bench ReadPath -benchtime 5s
//	POSEIDON_BENCH_CPUPROFILE=cpu.out go test ./cmd/poseidon -run '^$' -bench ReadPath -benchtime 5s -o poseidon.test
//	POSEIDON_TEST_STORE=postgres go test ./cmd/poseidon -run '^$' -bench ReadPath ...
//
// The client signs the request once (as wrk replays one request) and sends
// it from 8 goroutines, on keep-alive connections; every request is still
// verified in full by the server. Client and server share the process, so
// ns/op and allocs/op count both: the bare handler's figures are the
// client's share plus net/http's.

const readPathExports = 1000

// readPathBody is the request: the first page of 10.
var readPathBody = []byte(`{"maxResults":10}`)

// seedExports starts n exports for account A through the API and waits
// until every one has SUCCEEDED.
func seedExports(tb testing.TB, url string, n int) {
	tb.Helper()
	c := ads.New(newSession(tb, url, keyA, secretA, region))
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	next := make(chan int)
	for range 4 {
		wg.Go(func() {
			for range next {
				if _, err := c.StartExportTask(&ads.StartExportTaskInput{}); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		tb.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Minute)
	for {
		done, total := 0, 0
		err := c.DescribeExportTasksPages(&ads.DescribeExportTasksInput{MaxResults: aws.Int64(100)}, func(p *ads.DescribeExportTasksOutput, _ bool) bool {
			for _, e := range p.ExportsInfo {
				total++
				if aws.StringValue(e.ExportStatus) == ads.ExportStatusSucceeded {
					done++
				}
			}
			return true
		})
		if err != nil {
			tb.Fatal(err)
		}
		if total != n {
			tb.Fatalf("%d exports stored, want %d", total, n)
		}
		if done == n {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%d of %d exports SUCCEEDED after 5 minutes", done, n)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// signedRequest is a request signed once and sent many times.
type signedRequest struct {
	url    string
	header http.Header
	body   []byte
}

func signDescribe(tb testing.TB, url string) signedRequest {
	tb.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+"/", bytes.NewReader(readPathBody))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AWSPoseidonService_V2015_11_01.DescribeExportTasks")
	signer := v4.NewSigner(credentials.NewStaticCredentials(keyA, secretA, ""))
	if _, err := signer.Sign(req, bytes.NewReader(readPathBody), "discovery", region, time.Now()); err != nil {
		tb.Fatal(err)
	}
	return signedRequest{url: url + "/", header: req.Header, body: readPathBody}
}

// send posts r and returns the status and body.
func (r signedRequest) send(c *http.Client) (int, []byte, error) {
	req, err := http.NewRequest(http.MethodPost, r.url, bytes.NewReader(r.body))
	if err != nil {
		return 0, nil, err
	}
	req.Header = r.header
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, b, err
}

// bareServer serves body, as poseidon's answer, to every request, on a real
// listener, as fast as net/http serves: the whole body at once, with its
// Content-Length.
func bareServer(tb testing.TB, body []byte, header http.Header) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	ct := header.Get("Content-Type")
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", ct)
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
	})}
	go hs.Serve(ln)
	tb.Cleanup(func() { hs.Close() })
	return "http://" + ln.Addr().String()
}

// benchRequests sends r from 8 goroutines until b.N requests are done and
// reports requests/s.
func benchRequests(b *testing.B, r signedRequest, c *http.Client) (rps, cpuPerOp float64) {
	b.ReportAllocs()
	b.SetParallelism(8 / max(1, runtimeProcs()))
	b.ResetTimer()
	cpu0 := processCPU()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			status, body, err := r.send(c)
			if err != nil || status != http.StatusOK {
				b.Errorf("HTTP %d %q %v", status, body, err)
				return
			}
		}
	})
	cpu := processCPU() - cpu0
	rps = float64(b.N) / b.Elapsed().Seconds()
	b.ReportMetric(rps, "req/s")
	// The process's CPU time (user and system) per request, client's
	// included: on a machine shared with other work the requests/s follow
	// the CPU the process is given, this does not.
	cpuPerOp = float64(cpu.Microseconds()) / float64(b.N)
	b.ReportMetric(cpuPerOp, "cpu-µs/op")
	return rps, cpuPerOp
}

// processCPU is the CPU time the process has used, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func runtimeProcs() int { return runtime.GOMAXPROCS(0) }

func benchClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	return &http.Client{Transport: tr}
}

// BenchmarkReadPath runs the bare handler and poseidon one after the
// other and prints the ratio of their requests/s.
func BenchmarkReadPath(b *testing.B) {
	data := b.TempDir()
	creds := writeCredentials(b)
	s := runServer(b, data, io.Discard, []string{"serve", "--addr", "127.0.0.1:0", "--data", data, "--log-level", "info",
		"--credentials", creds, "--control-token", "tok", "--no-limits"})
	start := time.Now()
	seedExports(b, s.URL, readPathExports)
	b.Logf("seeded %d exports in %v", readPathExports, time.Since(start).Round(time.Millisecond))

	c := benchClient()
	req := signDescribe(b, s.URL)
	// The bytes poseidon answers, checked: 10 exports with download URLs.
	hreq, _ := http.NewRequest(http.MethodPost, req.url, bytes.NewReader(req.body))
	hreq.Header = req.header
	resp, err := c.Do(hreq)
	if err != nil {
		b.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var page struct {
		ExportsInfo []struct {
			ConfigurationsDownloadURL string `json:"configurationsDownloadUrl"`
		} `json:"exportsInfo"`
		NextToken string `json:"nextToken"`
	}
	if err := json.Unmarshal(answer, &page); err != nil || resp.StatusCode != 200 || len(page.ExportsInfo) != 10 || page.NextToken == "" ||
		!strings.Contains(page.ExportsInfo[9].ConfigurationsDownloadURL, "X-Amz-Signature=") {
		b.Fatalf("DescribeExportTasks: HTTP %d %s", resp.StatusCode, answer)
	}
	bare := bareServer(b, answer, resp.Header)

	var bareRPS, poseidonRPS, bareCPU, poseidonCPU float64
	b.Run("bare", func(b *testing.B) {
		r := req
		r.url = bare + "/"
		bareRPS, bareCPU = benchRequests(b, r, c)
	})
	b.Run("poseidon", func(b *testing.B) {
		// POSEIDON_BENCH_CPUPROFILE profiles this part alone (go test's
		// -cpuprofile also covers the seeding and the bare handler).
		if path := os.Getenv("POSEIDON_BENCH_CPUPROFILE"); path != "" && b.N > 1 {
			f, err := os.Create(path)
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			if err := pprof.StartCPUProfile(f); err != nil {
				b.Fatal(err)
			}
			defer pprof.StopCPUProfile()
		}
		poseidonRPS, poseidonCPU = benchRequests(b, signDescribe(b, s.URL), c)
	})
	store := "sqlite"
	if onPostgres {
		store = "postgres"
	}
	if bareRPS > 0 && poseidonCPU > 0 {
		fmt.Fprintf(os.Stdout, "read path (%s): poseidon %.0f req/s, bare handler %.0f req/s: %.2fx; CPU per request (client's included) %.0f µs and %.0f µs: %.2fx\n",
			store, poseidonRPS, bareRPS, poseidonRPS/bareRPS, poseidonCPU, bareCPU, bareCPU/poseidonCPU)
	}
}
