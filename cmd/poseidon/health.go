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
// /_poseidon/health answers 200, 1 otherwise.
type healthCmd struct {
	URL     string        `name:"url" env:"POSEIDON_URL" placeholder:"URL" help:"Base URL of the server (default: http://ADDR, ADDR being POSEIDON_ADDR or 127.0.0.1:8470, an unspecified host such as 0.0.0.0 read as loopback)."`
	Timeout time.Duration `default:"2s" env:"POSEIDON_HEALTH_TIMEOUT" help:"Give up after this long."`
}

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
	url := strings.TrimRight(base, "/") + "/_poseidon/health"
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	hc := &http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("unhealthy: %w", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("unhealthy: GET %s answered %s", url, resp.Status)
	}
	fmt.Fprintf(stdout, "healthy: GET %s answered %s\n", url, resp.Status)
	return nil
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
