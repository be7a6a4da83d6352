package main

import (
	"context"
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
)

// startupRun starts argv runs times and measures each time from exec to
// the first 200 answer of GET path. In argv, {port} is a free port and
// {dir} a fresh empty directory (an empty store) of each run; the first
// warm runs are not counted (they fill the page cache, or migrate a
// database schema that later runs reuse).
func startupRun(ctx context.Context, argv []string, path string, runs, warm int, label string) (*Result, error) {
	var times []float64
	hc := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	for i := range warm + runs {
		d, err := startOnce(ctx, hc, argv, path)
		if err != nil {
			return nil, err
		}
		if i >= warm {
			times = append(times, math.Round(d.Seconds()*1e5)/100)
		}
	}
	s := slices.Clone(times)
	slices.Sort(s)
	r := &Result{Label: label, Kind: "startup", Runs: runs, AllTimes: times, Min: s[0], Max: s[len(s)-1], Median: median(s),
		Note: strings.Join(argv, " ")}
	return r, nil
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

func startOnce(ctx context.Context, hc *http.Client, argv []string, path string) (time.Duration, error) {
	port, err := freePort()
	if err != nil {
		return 0, err
	}
	dir, err := os.MkdirTemp("", "loadgen-startup-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	args := make([]string, len(argv))
	for i, a := range argv {
		a = strings.ReplaceAll(a, "{port}", strconv.Itoa(port))
		args[i] = strings.ReplaceAll(a, "{dir}", dir)
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
	url := fmt.Sprintf("http://127.0.0.1:%d%s", port, path)
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
		time.Sleep(time.Millisecond)
	}
}
