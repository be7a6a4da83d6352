package imports

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Hosts are the http(s) hosts import URLs may fetch from, each a HOST:PORT
// the operator named (--import-allow-host). Two checks guard a fetch:
//
//   - the URL's host and port, spelled as the operator spelled them (names
//     lower-cased and without a trailing dot, IP addresses in their
//     canonical form), must be one of the entries: StartImportTask refuses
//     others, so http://2130706433/, http://0x7f.1/ or http://[::1]/ do not
//     match an entry 127.0.0.1:PORT;
//   - every connection is checked where it is dialed (a net.Dialer Control
//     hook): the IP address and port must be one the entries resolved to
//     when the server started. A name that later resolves elsewhere (DNS
//     rebinding) is refused, and so is any address not listed.
//
// Redirects are not followed, proxies from the environment are not used.
type Hosts struct {
	names  map[string]bool
	addrs  map[netip.AddrPort]bool
	client *http.Client
}

// NewHosts resolves entries (HOST:PORT) with lookup (net.DefaultResolver's
// LookupNetIP when nil) and returns the policy that allows them; nil for
// no entries.
func NewHosts(ctx context.Context, entries []string, lookup func(ctx context.Context, network, host string) ([]netip.Addr, error)) (*Hosts, error) {
	if len(entries) == 0 {
		return nil, nil
	}
	if lookup == nil {
		lookup = net.DefaultResolver.LookupNetIP
	}
	h := &Hosts{names: map[string]bool{}, addrs: map[netip.AddrPort]bool{}}
	for _, e := range entries {
		host, port, err := net.SplitHostPort(strings.TrimSpace(e))
		if err != nil || host == "" {
			return nil, fmt.Errorf("import host %q: want HOST:PORT", e)
		}
		p, err := netip.ParseAddrPort(net.JoinHostPort("0.0.0.0", port))
		if err != nil || p.Port() == 0 {
			return nil, fmt.Errorf("import host %q: bad port", e)
		}
		name, ok := canonicalHost(host)
		if !ok {
			return nil, fmt.Errorf("import host %q: not a host name or IP address", e)
		}
		h.names[net.JoinHostPort(name, port)] = true
		var ips []netip.Addr
		if ip, err := netip.ParseAddr(name); err == nil {
			ips = []netip.Addr{ip}
		} else if ips, err = lookup(ctx, "ip", name); err != nil || len(ips) == 0 {
			return nil, fmt.Errorf("import host %q: cannot resolve %s: %v", e, name, err)
		}
		for _, ip := range ips {
			h.addrs[netip.AddrPortFrom(ip.Unmap(), p.Port())] = true
		}
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second, Control: h.control}
	h.client = &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           dialer.DialContext,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: 20 * time.Second,
			DisableKeepAlives:     true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return h, nil
}

// canonicalHost lower-cases a host name and drops its trailing dot; an IP
// address (no zone) becomes its canonical text. ok is false for anything
// else.
func canonicalHost(h string) (string, bool) {
	if ip, err := netip.ParseAddr(h); err == nil {
		if ip.Zone() != "" {
			return "", false
		}
		return ip.Unmap().String(), true
	}
	h = strings.TrimSuffix(strings.ToLower(h), ".")
	if h == "" || strings.ContainsAny(h, "%/\\@:[] ") {
		return "", false
	}
	return h, true
}

// allowsURL reports whether u's host and port are one of the entries.
func (h *Hosts) allowsURL(u *url.URL) bool {
	name, ok := canonicalHost(u.Hostname())
	if !ok {
		return false
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[strings.ToLower(u.Scheme)]
	}
	return h.names[net.JoinHostPort(name, port)]
}

// errHostNotAllowed refuses a connection to an address not allowed.
var errHostNotAllowed = errors.New("address not allowed")

// control is the dialer's check of the address actually dialed.
func (h *Hosts) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil || !h.addrs[netip.AddrPortFrom(ap.Addr().Unmap().WithZone(""), ap.Port())] {
		return errHostNotAllowed
	}
	return nil
}

// fetchError is a failed fetch, with a message fit for the tenant.
type fetchError struct{ msg string }

func (e *fetchError) Error() string { return e.msg }

// get fetches raw; a non-200 answer or a failed connection is a *fetchError.
func (h *Hosts) get(ctx context.Context, raw string) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		return nil, &fetchError{"the import URL could not be requested."}
	}
	resp, err := h.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &fetchError{"the import URL's host could not be reached."}
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, &fetchError{fmt.Sprintf("the import URL answered HTTP %d %s.", resp.StatusCode, http.StatusText(resp.StatusCode))}
	}
	return resp.Body, nil
}
