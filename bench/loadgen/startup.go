package main

import (
	"context"
	"errors"
	"fmt"
	"math"
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

// startup is what one start-up measurement execs and polls. In argv,
// {port} is a free port and {dir} a fresh empty directory (an empty store)
// of each start; with freshSchema (a PostgreSQL URL), {db} is that URL with
// a new empty schema as its search_path, dropped after the start.
type startup struct {
	argv        []string
	path        string
	freshSchema string
}

// startupRun starts s.argv runs times and measures each time from exec to
// the first 200 answer of GET s.path. The first warm starts are not counted
// (they fill the page cache, or migrate a database that later runs reuse).
// This is the one start-up timer of bench/ (bench/perf.sh scenario 5 and
// bench/startup.sh).
func startupRun(ctx context.Context, s startup, runs, warm int, label string) (*Result, error) {
	var times []float64
	hc := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	for i := range warm + runs {
		d, err := s.once(ctx, hc)
		if err != nil {
			return nil, err
		}
		if i >= warm {
			times = append(times, math.Round(d.Seconds()*1e5)/100)
		}
	}
	sorted := slices.Clone(times)
	slices.Sort(sorted)
	r := &Result{Label: label, Kind: "startup", Runs: runs, AllTimes: times, Min: sorted[0], Max: sorted[len(sorted)-1],
		Median: median(sorted), Note: strings.Join(s.argv, " ")}
	return r, nil
}

// setRef records a reference median given as NAME=MS and the ratio to it.
func (r *Result) setRef(ref string) error {
	if ref == "" {
		return nil
	}
	name, v, ok := strings.Cut(ref, "=")
	ms, err := strconv.ParseFloat(v, 64)
	if !ok || err != nil || ms <= 0 || r.Median <= 0 {
		return fmt.Errorf("-ref %q: want NAME=MS", ref)
	}
	r.Ref, r.RefMs, r.RefRatio = name, ms, math.Round(ms/r.Median*10)/10
	return nil
}

// median of sorted values (the mean of the middle two for an even count).
func median(sorted []float64) float64 {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return sorted[n/2]
	}
	return math.Round((sorted[n/2-1]+sorted[n/2])/2*100) / 100
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// once starts the command, times its first 200 and stops it.
func (s startup) once(ctx context.Context, hc *http.Client) (time.Duration, error) {
	port, err := freePort()
	if err != nil {
		return 0, err
	}
	dir, err := os.MkdirTemp("", "loadgen-startup-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	db := ""
	if s.freshSchema != "" {
		schema, drop, err := newSchema(ctx, s.freshSchema)
		if err != nil {
			return 0, err
		}
		defer drop()
		if db, err = pgtestdb.URLWithSearchPath(s.freshSchema, schema); err != nil {
			return 0, err
		}
	}
	rep := strings.NewReplacer("{port}", strconv.Itoa(port), "{dir}", dir, "{db}", db)
	args := make([]string, len(s.argv))
	for i, a := range s.argv {
		args[i] = rep.Replace(a)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := os.Create(dir + ".log")
	if err != nil {
		return 0, err
	}
	defer os.Remove(out.Name())
	defer out.Close()
	cmd.Stdout, cmd.Stderr = out, out
	url := fmt.Sprintf("http://127.0.0.1:%d%s", port, s.path)
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	}()
	deadline := t0.Add(60 * time.Second)
	for {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		select {
		case err := <-exited:
			exited <- err
			log, _ := os.ReadFile(out.Name())
			return 0, fmt.Errorf("%s exited before answering (%v): %.2000s", args[0], err, log)
		default:
		}
		resp, err := hc.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(t0), nil
			}
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("no 200 from %s within 60s", url)
		}
		time.Sleep(200 * time.Microsecond)
	}
}

// newSchema creates an empty schema on the server at url and returns its
// name and a func that drops it.
func newSchema(ctx context.Context, url string) (string, func(), error) {
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
		if _, err := conn.Exec(context.WithoutCancel(ctx), `DROP SCHEMA `+pgx.Identifier{schema}.Sanitize()+` CASCADE`); err != nil && !errors.Is(err, context.Canceled) {
			fmt.Fprintln(os.Stderr, "loadgen startup: drop schema:", err)
		}
		conn.Close(context.WithoutCancel(ctx))
	}, nil
}
