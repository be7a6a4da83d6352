// Command startuptime measures how long a server takes from exec to its
// first answer: it starts the command, polls a URL in a tight loop (a new
// connection every 200 µs) until it answers (with -status, that status),
// records the time, stops the server with SIGTERM and waits for it. It does
// this -runs times after one untimed warm-up run and prints the median,
// min and max as a human line and as one JSON line (bench/startup.sh).
//
//	startuptime -case sqlite-empty -url 'http://127.0.0.1:{port}/_poseidon/health' -status 200 \
//	    -fresh-dir -- ./poseidon serve --addr 127.0.0.1:{port} --data {dir}
//
// In the command and URL, {port} is a free port picked for each run and
// {dir} a new empty directory for each run (-fresh-dir; else one directory
// for all runs), removed after. With -fresh-schema URL, {db} is URL with a
// new empty PostgreSQL schema as search_path for each run, dropped after.
// -ref NAME=MS adds the ratio NAME/this to the output.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/poseidon-ads/poseidon/internal/postgres/pgtestdb"
)

func main() {
	name := flag.String("case", "", "name of the case, printed")
	url := flag.String("url", "", "URL to poll; {port} is the run's port")
	status := flag.Int("status", 0, "status the answer must have (0: any answer)")
	runs := flag.Int("runs", 7, "timed runs (after one untimed warm-up)")
	freshDir := flag.Bool("fresh-dir", false, "a new empty {dir} for every run")
	freshSchema := flag.String("fresh-schema", "", "PostgreSQL URL: {db} is it with a new empty schema for every run")
	timeout := flag.Duration("timeout", 60*time.Second, "longest wait for the first answer")
	ref := flag.String("ref", "", "NAME=MS: a reference median to print the ratio against")
	flag.Parse()
	if *url == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: startuptime -case NAME -url URL [-status N] [-runs N] [-fresh-dir] [-fresh-schema URL] [-ref NAME=MS] -- COMMAND ARGS...")
		os.Exit(2)
	}
	m := measurer{url: *url, status: *status, freshDir: *freshDir, freshSchema: *freshSchema, timeout: *timeout, cmd: flag.Args()}
	if !*freshDir {
		dir, err := os.MkdirTemp("", "startuptime-")
		if err != nil {
			fail(err)
		}
		defer os.RemoveAll(dir)
		m.dir = dir
	}
	if _, err := m.once(); err != nil { // warm-up: the binary and libraries into the page cache
		fail(err)
	}
	var took []time.Duration
	for range *runs {
		d, err := m.once()
		if err != nil {
			fail(err)
		}
		took = append(took, d)
	}
	slices.Sort(took)
	msOf := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	out := map[string]any{
		"scenario": "startup", "case": *name, "runs": len(took),
		"median_ms": msOf(took[len(took)/2]), "min_ms": msOf(took[0]), "max_ms": msOf(took[len(took)-1]),
	}
	line := fmt.Sprintf("startup %-22s median %8.1f ms  (min %.1f, max %.1f; %d runs)", *name, msOf(took[len(took)/2]), msOf(took[0]), msOf(took[len(took)-1]), len(took))
	if *ref != "" {
		rn, rv, ok := strings.Cut(*ref, "=")
		refMs, err := strconv.ParseFloat(rv, 64)
		if !ok || err != nil || refMs <= 0 {
			fail(fmt.Errorf("-ref %q: want NAME=MS", *ref))
		}
		r := refMs / msOf(took[len(took)/2])
		out["ref"], out["ref_ms"], out["ref_ratio"] = rn, refMs, r
		line += fmt.Sprintf("; %s %.1f ms is %.1fx slower", rn, refMs, r)
	}
	fmt.Println(line)
	b, _ := json.Marshal(out)
	fmt.Println(string(b))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "startuptime:", err)
	os.Exit(1)
}

type measurer struct {
	url, freshSchema string
	status           int
	freshDir         bool
	dir              string
	timeout          time.Duration
	cmd              []string
}

// once starts the command, times its first answer and stops it.
func (m *measurer) once() (time.Duration, error) {
	port, err := freePort()
	if err != nil {
		return 0, err
	}
	dir := m.dir
	if m.freshDir {
		if dir, err = os.MkdirTemp("", "startuptime-"); err != nil {
			return 0, err
		}
		defer os.RemoveAll(dir)
	}
	db := ""
	if m.freshSchema != "" {
		schema, drop, err := newSchema(m.freshSchema)
		if err != nil {
			return 0, err
		}
		defer drop()
		if db, err = pgtestdb.URLWithSearchPath(m.freshSchema, schema); err != nil {
			return 0, err
		}
	}
	r := strings.NewReplacer("{port}", strconv.Itoa(port), "{dir}", dir, "{db}", db)
	args := make([]string, len(m.cmd))
	for i, a := range m.cmd {
		args[i] = r.Replace(a)
	}
	url := r.Replace(m.url)
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: time.Second}

	cmd := exec.Command(args[0], args[1:]...)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	}
	for {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if m.status == 0 || resp.StatusCode == m.status {
				took := time.Since(start)
				stop()
				return took, nil
			}
		}
		select {
		case err := <-exited:
			return 0, fmt.Errorf("%s exited before answering: %v\n%s", args[0], err, stderr.Bytes())
		default:
		}
		if time.Since(start) > m.timeout {
			stop()
			return 0, fmt.Errorf("%s: no answer from %s within %s\n%s", args[0], url, m.timeout, stderr.Bytes())
		}
		time.Sleep(200 * time.Microsecond)
	}
}

// freePort returns a port no one listens on now.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// newSchema creates an empty schema on the server at url and returns its
// name and a func that drops it.
func newSchema(url string) (string, func(), error) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return "", nil, err
	}
	schema, err := pgtestdb.CreateSchema(ctx, conn, "startup")
	if err != nil {
		conn.Close(ctx)
		return "", nil, err
	}
	return schema, func() {
		if _, err := conn.Exec(ctx, `DROP SCHEMA `+pgx.Identifier{schema}.Sanitize()+` CASCADE`); err != nil && !errors.Is(err, context.Canceled) {
			fmt.Fprintln(os.Stderr, "startuptime: drop schema:", err)
		}
		conn.Close(ctx)
	}, nil
}
