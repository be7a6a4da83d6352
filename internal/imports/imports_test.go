package imports

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

const (
	tenantA = "111111111111"
	tenantB = "222222222222"
)

// tenantTree builds a data directory on the real file system, as a strict-
// mode server keeps it, with account A's bucket b full of traps: every file
// that A may not read holds "SECRET", every file A may read holds "OK".
// It returns the service (strict mode, one allowed file:// directory) and
// the tree's root.
func tenantTree(tb testing.TB) (*Service, string) {
	tb.Helper()
	root, err := filepath.EvalSymlinks(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	data := filepath.Join(root, "data")
	bucketA := filepath.Join(data, "buckets", tenantA, "b")
	files := map[string]string{
		filepath.Join(data, "poseidon.db"):                                 "SECRET the store",
		filepath.Join(bucketA, "ok.csv"):                                   "OK A's file",
		filepath.Join(bucketA, "dir", "nested.csv"):                        "OK A's nested file",
		filepath.Join(data, "buckets", tenantB, "b", "secret.csv"):         "SECRET B's file",
		filepath.Join(data, "buckets", tenantB, "only-b", "secret.csv"):    "SECRET B's other bucket",
		filepath.Join(data, "imports", tenantB, "import-task-x.zip"):       "SECRET B's errors zip",
		filepath.Join(data, "exports", tenantB, "export-x.zip"):            "SECRET B's export",
		filepath.Join(root, "outside", "secret.csv"):                       "SECRET outside the data directory",
		filepath.Join(root, "allow", "ok.csv"):                             "OK the allowed directory",
		filepath.Join(root, "allow", "sub", "ok.csv"):                      "OK the allowed directory, nested",
		filepath.Join(root, "allow-sibling", "secret.csv"):                 "SECRET a sibling of the allowed directory",
		filepath.Join(data, "continuous-exports", "bucket-b", "data.json"): "SECRET continuous export",
	}
	for p, body := range files {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body+"\n"), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	links := map[string]string{
		filepath.Join(bucketA, "link-in.csv"):           "ok.csv",
		filepath.Join(bucketA, "link-out.csv"):          filepath.Join(root, "outside", "secret.csv"),
		filepath.Join(bucketA, "link-db.csv"):           "../../../poseidon.db",
		filepath.Join(bucketA, "link-other.csv"):        "../../" + tenantB + "/b/secret.csv",
		filepath.Join(bucketA, "link-cmdline.csv"):      "/proc/self/cmdline",
		filepath.Join(bucketA, "link-environ.csv"):      "/proc/self/environ",
		filepath.Join(bucketA, "link-etc"):              "/etc",
		filepath.Join(bucketA, "link-proc"):             "/proc/self",
		filepath.Join(bucketA, "link-up"):               "..",
		filepath.Join(data, "buckets", tenantA, "evil"): "../" + tenantB + "/b",
		filepath.Join(data, "buckets", tenantA, "up"):   "../..",
		filepath.Join(data, "buckets", tenantA, "abs"):  filepath.Join(root, "outside"),
		filepath.Join(root, "allow", "link-out.csv"):    filepath.Join(root, "outside", "secret.csv"),
		filepath.Join(root, "allow", "link-db.csv"):     filepath.Join(data, "poseidon.db"),
		filepath.Join(root, "allow", "link-sibling"):    "../allow-sibling",
	}
	for p, target := range links {
		if err := os.Symlink(target, p); err != nil {
			tb.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(bucketA, "fifo.csv"), 0o644); err != nil {
		tb.Fatal(err)
	}
	return &Service{Data: data, PerAccount: true, AllowDirs: []string{filepath.Join(root, "allow")}}, root
}

// readURL opens raw as account's import file and reads it.
func readURL(ctx context.Context, s *Service, account, raw string) (string, error) {
	rc, err := s.open(ctx, &discovery.ImportTask{AccountID: account, URL: raw})
	if err != nil {
		return "", err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, 1<<20))
	return string(b), err
}

func isInvalid(err error) bool {
	var de *discovery.Error
	return errors.As(err, &de) && de.Code == discovery.InvalidParameterValue
}

// TestOpenConfined runs each route out of a tenant's bucket against the
// real file system: refused when the URL is checked (traversal, schemes,
// hosts) or when the file is opened (links out of the bucket, another
// account's bucket, FIFOs), always without a byte of the file.
func TestOpenConfined(t *testing.T) {
	s, root := tenantTree(t)
	ctx := t.Context()
	for _, raw := range []string{"s3://b/ok.csv", "s3://b/dir/nested.csv", "s3://b/link-in.csv", "s3://b/dir/../ok.csv",
		"file://" + root + "/allow/ok.csv", "file://" + root + "/allow/sub/ok.csv"} {
		got, err := readURL(ctx, s, tenantA, raw)
		if err != nil || !strings.HasPrefix(got, "OK") {
			t.Errorf("%s: %q, %v; want A's file", raw, got, err)
		}
	}
	refusedAtStart := []string{
		"s3://b/../../" + tenantB + "/b/secret.csv", "s3://b/%2e%2e/%2e%2e/" + tenantB + "/b/secret.csv", "s3://b/a%2F..%2F..%2F..%2Fposeidon.db",
		"s3://../poseidon.db", "s3://./x", "s3://b\\..\\x/k", "s3://b/", "s3:///k", "s3://b:80/ok.csv", "s3://user@b/ok.csv",
		"file:///proc/self/cmdline", "file:///proc/self/environ", "file:///etc/passwd", "file://" + root + "/data/poseidon.db",
		"file://" + root + "/allow/../outside/secret.csv", "file://" + root + "/allow", "file://" + root + "/allow-sibling/secret.csv",
		"file://host" + root + "/allow/ok.csv", "file:allow/ok.csv",
		"http://127.0.0.1/x", "https://localhost/x", "http://[::1]/x", "http://2130706433/x", "http://0x7f.1/x",
		"gopher://127.0.0.1/x", "ftp://b/x", "", "%",
	}
	for _, raw := range refusedAtStart {
		if loc, err := s.Resolve(tenantA, raw); !isInvalid(err) {
			t.Errorf("Resolve(%q) = %+v, %v; want InvalidParameterValueException", raw, loc, err)
		}
	}
	refusedAtOpen := []string{
		"s3://b/link-out.csv", "s3://b/link-db.csv", "s3://b/link-other.csv", "s3://b/link-cmdline.csv", "s3://b/link-environ.csv",
		"s3://b/link-etc/passwd", "s3://b/link-proc/cmdline", "s3://b/link-up/../poseidon.db", "s3://b/link-up/b/ok.csv", "s3://b/fifo.csv", "s3://b/dir",
		"s3://b/missing.csv", "s3://evil/secret.csv", "s3://up/poseidon.db", "s3://abs/secret.csv", "s3://only-b/secret.csv",
		"s3://" + tenantB + "/b/secret.csv", "s3://nobucket/x.csv",
		"file://" + root + "/allow/link-out.csv", "file://" + root + "/allow/link-db.csv", "file://" + root + "/allow/link-sibling/secret.csv",
		"file://" + root + "/allow/missing.csv", "file://" + root + "/allow/sub",
	}
	for _, raw := range refusedAtOpen {
		if _, err := s.Resolve(tenantA, raw); err != nil {
			t.Errorf("Resolve(%q): %v; want it accepted (and refused when opened)", raw, err)
			continue
		}
		got, err := readURL(ctx, s, tenantA, raw)
		if !errors.Is(err, errUnreadable) || got != "" {
			t.Errorf("%s: read %q, %v; want %v", raw, got, err, errUnreadable)
		}
	}
	// B reaches its own bucket of the same name, never A's.
	if got, err := readURL(ctx, s, tenantB, "s3://b/secret.csv"); err != nil || !strings.Contains(got, "B's file") {
		t.Errorf("B's own file: %q %v", got, err)
	}
	if _, err := readURL(ctx, s, tenantB, "s3://b/ok.csv"); !errors.Is(err, errUnreadable) {
		t.Errorf("B read A's file: %v", err)
	}
}

// In open mode, buckets are shared (data/buckets/BUCKET) and file:// and
// http(s):// are off unless allowed.
func TestResolveOpenMode(t *testing.T) {
	s := &Service{Data: "/data"}
	loc, err := s.Resolve(tenantA, "s3://b/dir/../k.csv")
	if err != nil || loc.Path() != filepath.FromSlash("/data/buckets/b/k.csv") {
		t.Fatalf("s3: %+v %v", loc, err)
	}
	for _, raw := range []string{"file:///tmp/x.csv", "http://127.0.0.1:80/x", "https://localhost/x"} {
		if _, err := s.Resolve(tenantA, raw); !isInvalid(err) || !strings.Contains(err.Error(), "turned off") {
			t.Errorf("%s: %v, want turned off", raw, err)
		}
	}
	s.AllowDirs = []string{"/srv/import"}
	if loc, err := s.Resolve(tenantA, "file:///srv/import/a/x.csv"); err != nil || loc.Path() != "/srv/import/a/x.csv" {
		t.Errorf("allowed file: %+v %v", loc, err)
	}
	for _, raw := range []string{"file:///srv/import", "file:///srv/import-2/x.csv", "file:///srv/x.csv", "file:///tmp/x.csv"} {
		if _, err := s.Resolve(tenantA, raw); !isInvalid(err) {
			t.Errorf("%s: %v, want refused", raw, err)
		}
	}
}

// staticLookup resolves every name to addrs (the names the test allows are
// not in any DNS).
func staticLookup(addrs ...string) func(context.Context, string, string) ([]netip.Addr, error) {
	return func(context.Context, string, string) ([]netip.Addr, error) {
		var out []netip.Addr
		for _, a := range addrs {
			out = append(out, netip.MustParseAddr(a))
		}
		return out, nil
	}
}

// TestHostsMatchTheDialedAddress fetches from a real listener: only the
// allowed HOST:PORT as spelled, never another spelling of loopback, never
// a name that now resolves elsewhere than at start, no redirect, no proxy.
func TestHostsMatchTheDialedAddress(t *testing.T) {
	t.Setenv("HTTP_PROXY", "http://127.0.0.1:1")
	t.Setenv("http_proxy", "http://127.0.0.1:1")
	hit := 0
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hit++
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, "/ok.csv", http.StatusFound)
			return
		}
		io.WriteString(w, "OK fetched\n")
	}))
	defer hs.Close()
	u, _ := url.Parse(hs.URL)
	port := u.Port()
	ctx := t.Context()

	hosts, err := NewHosts(ctx, []string{"127.0.0.1:" + port}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := &Service{Data: t.TempDir(), PerAccount: true, Hosts: hosts}
	if got, err := readURL(ctx, s, tenantA, hs.URL+"/ok.csv"); err != nil || got != "OK fetched\n" {
		t.Fatalf("allowed host: %q %v", got, err)
	}
	for _, raw := range []string{"http://[::1]:" + port + "/x", "http://2130706433:" + port + "/x", "http://0x7f.1:" + port + "/x",
		"http://127.1:" + port + "/x", "http://0177.0.0.1:" + port + "/x", "http://127.0.0.2:" + port + "/x", "http://127.0.0.1/x",
		"http://127.0.0.1:" + port + "0/x", "http://user@127.0.0.1:" + port + "/x", "http://127.0.0.1.nip.io:" + port + "/x"} {
		if _, err := s.Resolve(tenantA, raw); !isInvalid(err) {
			t.Errorf("Resolve(%q): %v, want refused", raw, err)
		}
	}
	// A name allowed while it resolved to a documentation address: at
	// fetch time "localhost" resolves to loopback, which the dial check
	// refuses (this is what DNS rebinding looks like from the server).
	rebound, err := NewHosts(ctx, []string{"LocalHost.:" + port}, staticLookup("192.0.2.7"))
	if err != nil {
		t.Fatal(err)
	}
	rs := &Service{Data: s.Data, PerAccount: true, Hosts: rebound}
	before := hit
	for _, raw := range []string{"http://localhost:" + port + "/x", "http://LOCALHOST.:" + port + "/x"} {
		if _, err := rs.Resolve(tenantA, raw); err != nil {
			t.Fatalf("Resolve(%q): %v", raw, err)
		}
		_, err := readURL(ctx, rs, tenantA, raw)
		var fe *fetchError
		if !errors.As(err, &fe) || !strings.Contains(fe.msg, "could not be reached") {
			t.Errorf("%s: %v, want refused at dial", raw, err)
		}
	}
	if hit != before {
		t.Fatalf("the listener was reached through a rebound name")
	}
	_, err = readURL(ctx, s, tenantA, hs.URL+"/redirect")
	var fe *fetchError
	if !errors.As(err, &fe) || fe.msg != "the import URL answered HTTP 302 Found." || hit != before+1 {
		t.Fatalf("redirect: %v (%d requests)", err, hit-before)
	}
	for _, bad := range []string{"127.0.0.1", "127.0.0.1:0", "127.0.0.1:x", ":80", "[fe80::1%eth0]:80", "a/b:80"} {
		if _, err := NewHosts(ctx, []string{bad}, staticLookup("192.0.2.7")); err == nil {
			t.Errorf("NewHosts(%q) accepted", bad)
		}
	}
}
