package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

// healthCmd asks a running server for its health, for a container's health
// check (it needs no shell, curl or wget): exit 0 when GET
// /_poseidon/health answers 200, 1 otherwise. With --wait it asks again
// until the server answers, for scripts that start one in the background.
type healthCmd struct {
	URL     string        `name:"url" env:"POSEIDON_URL" placeholder:"URL" help:"Base URL of the server (default: http://ADDR, ADDR being POSEIDON_ADDR or 127.0.0.1:8470, an unspecified host such as 0.0.0.0 read as loopback)."`
	Timeout time.Duration `default:"2s" env:"POSEIDON_HEALTH_TIMEOUT" help:"Give up on one request after this long."`
	Wait    time.Duration `default:"0s" env:"POSEIDON_HEALTH_WAIT" help:"Ask again every 200ms until the server answers 200, for at most this long (0: ask once)."`
}

// healthRetry is how long --wait pauses between two requests.
const healthRetry = 200 * time.Millisecond

func (c *healthCmd) Run(ctx context.Context, stdout io.Writer) error {
	base := c.URL
	if base == "" {
		var err error
		if base, err = urlOfAddr(os.Getenv("POSEIDON_ADDR")); err != nil {
			return err
		}
	}
	if c.Timeout <= 0 {
		return errors.New("--timeout must be positive")
	}
	if c.Wait < 0 {
		return errors.New("--wait must not be negative")
	}
	url := strings.TrimRight(base, "/") + "/_poseidon/health"
	hc := &http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	if c.Wait == 0 {
		status, err := c.ask(ctx, hc, url)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "healthy: GET %s answered %s\n", url, status)
		return nil
	}
	wctx, cancel := context.WithTimeout(ctx, c.Wait)
	defer cancel()
	retry := time.NewTimer(0)
	defer retry.Stop()
	last := errors.New("unhealthy: no answer")
	for {
		select {
		case <-wctx.Done():
			return fmt.Errorf("%w (asked for --wait %s)", last, c.Wait)
		case <-retry.C:
		}
		status, err := c.ask(wctx, hc, url)
		if err == nil {
			fmt.Fprintf(stdout, "healthy: GET %s answered %s\n", url, status)
			return nil
		}
		last = err
		retry.Reset(healthRetry)
	}
}

// ask sends one health request, bounded by --timeout, and returns the
// status of a 200 answer.
func (c *healthCmd) ask(ctx context.Context, hc *http.Client, url string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", fmt.Errorf("health: %w", err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("unhealthy: %w", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("unhealthy: GET %s answered %s", url, resp.Status)
	}
	return resp.Status, nil
}

// urlOfAddr is the URL a client on this host reaches a server listening at
// addr (HOST:PORT; DefaultAddr if empty) by: an unspecified host (empty,
// 0.0.0.0, ::) is reached on loopback.
func urlOfAddr(addr string) (string, error) {
	if addr == "" {
		addr = DefaultAddr
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("POSEIDON_ADDR %q: %w; give --url", addr, err)
	}
	if port == "0" {
		return "", fmt.Errorf("POSEIDON_ADDR %q has no fixed port; give --url", addr)
	}
	switch ip := net.ParseIP(host); {
	case host == "":
		host = "127.0.0.1"
	case ip != nil && ip.IsUnspecified():
		if ip.To4() != nil {
			host = "127.0.0.1"
		} else {
			host = "::1"
		}
	}
	return "http://" + net.JoinHostPort(host, port), nil
}
