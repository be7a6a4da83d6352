package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws/credentials"
	v1sign "github.com/aws/aws-sdk-go/aws/signer/v4"

	"github.com/poseidon-ads/poseidon/internal/agentdata"
	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/fleet"
	"github.com/poseidon-ads/poseidon/internal/sigv4"
	"github.com/poseidon-ads/poseidon/internal/webui"
)

// The attacks on the surfaces added with the web console, fault injection
// and the status route: a hostile tenant (account B, valid credentials) or
// an unauthenticated client tries to read account A's data, to reach the
// server's files, to use the control API, or to make the server answer 5xx.

const (
	// keyD is an identity of account B allowed every discovery action but
	// none of the console's (poseidon:*) ones.
	keyD    = "AKIAATTACKDISCOVERYO"
	secretD = "secret-of-the-discovery-only-identity"
)

// attackCredentials writes the credentials of writeCredentials plus keyD.
func attackCredentials(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "credentials.json")
	doc := `{"identities":[
		{"accessKeyId":"` + keyA + `","secretAccessKey":"` + secretA + `","accountId":"` + acctA + `"},
		{"accessKeyId":"` + keyB + `","secretAccessKey":"` + secretB + `","accountId":"` + acctB + `"},
		{"accessKeyId":"` + keyRO + `","secretAccessKey":"` + secretR + `","accountId":"` + acctA + `","allow":["discovery:Describe*"]},
		{"accessKeyId":"` + keyD + `","secretAccessKey":"` + secretD + `","accountId":"` + acctB + `","allow":["discovery:*"]}]}`
	mustWrite(t, p, doc)
	return p
}

// sendFleet sends account A a fleet of servers (one hour of 15-minute
// samples and connections) through agent intake, and returns its agents.
func sendFleet(t *testing.T, url string, servers int, seed uint64) []fleet.AgentSummary {
	t.Helper()
	f, err := fleet.New(fleet.Config{Servers: servers, Hours: 1, Seed: seed, End: time.Now().Truncate(15 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	var batch agentdata.Batch
	if err := f.Generate(func(r agentdata.Report) error { batch.Reports = append(batch.Reports, r); return nil }); err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(&batch)
	if code, _, out := intakeCall(t, url, keyA, secretA, body); code != http.StatusOK {
		t.Fatalf("intake: %d %v", code, out)
	}
	return f.Agents()
}

// attackFleet sends account A a small fleet and returns its agents' IDs.
func attackFleet(t *testing.T, url string) []string {
	t.Helper()
	var ids []string
	for _, a := range sendFleet(t, url, 5, 11) {
		ids = append(ids, a.AgentID)
	}
	return ids
}

// consoleReq builds a console read, signed by akid for service in reg at
// at when akid is set.
func consoleReq(t *testing.T, url, akid, secret, service, reg, target, body string, at time.Time) *http.Request {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+"/_poseidon/console", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	if target != "" {
		req.Header.Set("X-Amz-Target", target)
	}
	if akid != "" {
		if _, err := v1sign.NewSigner(credentials.NewStaticCredentials(akid, secret, "")).Sign(req, strings.NewReader(body), service, reg, at); err != nil {
			t.Fatal(err)
		}
	}
	return req
}

// attackRefused checks an answer is a 4xx AWS JSON error (never a 5xx, a
// success or a body that is not JSON) that shows none of the secrets.
func attackRefused(t *testing.T, what string, r secResp, secrets ...string) {
	t.Helper()
	if r.Status < 400 || r.Status > 499 || r.Type == "" {
		t.Errorf("%s: HTTP %d %.300s, want a 4xx AWS error", what, r.Status, r.Raw)
	}
	for _, s := range secrets {
		if strings.Contains(r.Raw, s) {
			t.Errorf("%s: the answer shows %q: %.300s", what, s, r.Raw)
		}
	}
}

// TestAttackConsoleReads: account B, unsigned clients and clients with bad
// signatures attack POST /_poseidon/console.
func TestAttackConsoleReads(t *testing.T) {
	s := startServer(t, "", "--credentials", attackCredentials(t))
	agents := attackFleet(t, s.URL)
	servers := make([]string, len(agents))
	for i, a := range agents {
		servers[i] = discovery.ServerID(acctA, a)
	}
	// A sees its own map; everything of A is what B must never see.
	code, m := consoleCall(t, s.URL, keyA, secretA, "GetNetworkMap", `{}`)
	if code != 200 || len(m["nodes"].([]any)) != len(agents) {
		t.Fatalf("A's map: %d %v", code, m)
	}
	var secrets []string
	secrets = append(secrets, agents...)
	secrets = append(secrets, servers...)
	for _, n := range m["nodes"].([]any) {
		secrets = append(secrets, n.(map[string]any)["hostName"].(string))
	}
	usage := func(id string) string { return `{"serverId":"` + id + `"}` }
	now := time.Now()
	sign := func(akid, secret, target, body string) secResp {
		return secDo(t, consoleReq(t, s.URL, akid, secret, "discovery", region, target, body, now))
	}
	const tU, tM = "PoseidonConsole.GetServerUsage", "PoseidonConsole.GetNetworkMap"
	attacks := 0
	refused := func(what string, r secResp) {
		t.Helper()
		attackRefused(t, what, r, secrets...)
		attacks++
	}

	// B names A's servers and agents, in every form.
	for i, id := range servers {
		for _, body := range []string{usage(id), usage(strings.ToUpper(id)), usage(" " + id), usage(id + `\u0000`),
			`{"serverId":"` + id + `","accountId":"` + acctA + `"}`, `{"serverId":"` + id + `","ServerId":"` + id + `"}`,
			usage(agents[i]), usage(discovery.ServerID(acctB, agents[i]))} {
			// The answer may repeat the ID sent, nothing else of A.
			var others []string
			for _, sec := range secrets {
				if !strings.Contains(body, sec) {
					others = append(others, sec)
				}
			}
			r := sign(keyB, secretB, tU, body)
			attackRefused(t, "B reads A's server "+body, r, others...)
			if r.Type != "ResourceNotFoundException" && r.Type != "InvalidParameterValueException" {
				t.Errorf("B reads A's server %s: %s, want the answer for an ID that does not exist", body, r.Raw)
			}
			attacks++
		}
	}
	// B's own map stays empty: no node or edge of A.
	if r := sign(keyB, secretB, tM, `{}`); r.Status != 200 || len(r.Body["nodes"].([]any)) != 0 || len(r.Body["edges"].([]any)) != 0 {
		t.Errorf("B's map: %d %s", r.Status, r.Raw)
	}
	// Unknown members are ignored, as by the API: the account is the
	// signature's.
	for _, body := range []string{`{"accountId":"` + acctA + `"}`, `{"AccountId":"` + acctA + `","serverId":"` + servers[0] + `"}`} {
		if r := sign(keyB, secretB, tM, body); r.Status != 200 || len(r.Body["nodes"].([]any)) != 0 {
			t.Errorf("B's map with %s: %d %s", body, r.Status, r.Raw)
		}
	}

	// Bodies: malformed, huge, deeply nested, wrong types, absurd windows.
	huge := `{"serverId":"` + servers[0] + `","x":"` + strings.Repeat("a", 2<<20) + `"}`
	deep := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
	for _, body := range []string{`{`, `[]`, `null`, `"x"`, `{"serverId":5}`, `{"serverId":null}`, `{"serverId":["` + servers[0] + `"]}`,
		huge, deep, `{"serverId":` + deep + `}`, strings.Repeat(" ", 1<<19) + "{}", "\xff\xfe{}",
		`{"serverId":"` + servers[0] + `","startTime":"0"}`,
		`{"serverId":"` + servers[0] + `","startTime":-1}`,
		`{"serverId":"` + servers[0] + `","startTime":1e308,"endTime":1e308}`,
		`{"serverId":"` + servers[0] + `","startTime":1e400}`,
		`{"serverId":"` + servers[0] + `","endTime":-0.5}`,
		`{"serverId":"` + servers[0] + `","startTime":0,"endTime":100000000000}`,
		`{"serverId":"` + servers[0] + `","startTime":0}`,
		`{"serverId":"` + servers[0] + `","endTime":100000000001}`,
		`{"serverId":"` + servers[0] + `","startTime":99999999999,"endTime":100000000000.5}`,
		`{"serverId":"` + servers[0] + `","startTime":2000000000,"endTime":1000000000}`,
		`{"serverId":"` + servers[0] + `","startTime":1000000000,"endTime":1007776001}`,
		usage("d-server-" + strings.Repeat("f", 100000)), usage("d-server-../../etc/passwd"), usage("")} {
		what := body
		if len(what) > 80 {
			what = what[:80] + "..."
		}
		refused("A's body "+what, sign(keyA, secretA, tU, body))
	}
	// The longest window (90 days) and windows at the ends of time answer.
	for _, body := range []string{`{"serverId":"` + servers[0] + `","startTime":1000000000,"endTime":1007776000}`,
		`{"serverId":"` + servers[0] + `","startTime":0,"endTime":0}`,
		`{"serverId":"` + servers[0] + `","endTime":0}`,
		`{"serverId":"` + servers[0] + `","startTime":99999999999,"endTime":100000000000}`} {
		if r := sign(keyA, secretA, tU, body); r.Status != 200 {
			t.Errorf("A's %s: %d %s", body, r.Status, r.Raw)
		}
	}

	// Targets: other services' operations and near misses.
	for _, target := range []string{"", "PoseidonConsole", "PoseidonConsole.", "PoseidonConsole.GetServerUsage.x", "poseidonconsole.GetNetworkMap",
		"PoseidonConsole.getNetworkMap", "AWSPoseidonService_V2015_11_01.DescribeAgents", "AWSMigrationHubMultiAccountService.GetHomeRegion",
		"PoseidonConsole.GetNetworkMap%00", strings.Repeat("P", 10000)} {
		refused(fmt.Sprintf("target %.40q", target), sign(keyB, secretB, target, `{}`))
	}

	// Signatures: none, wrong, for another service or region, expired, not
	// yet valid, replayed over another body or target, A's under B's key.
	refused("unsigned", sign("", "", tM, `{}`))
	refused("wrong secret", sign(keyB, "not-the-secret", tM, `{}`))
	refused("unknown key", sign("AKIANOBODYNOBODYNOBO", secretB, tM, `{}`))
	for _, svc := range []string{"mgh", "s3", "execute-api", "poseidon", "sts"} {
		refused("signed for "+svc, secDo(t, consoleReq(t, s.URL, keyA, secretA, svc, region, tM, `{}`, now)))
	}
	for _, reg := range []string{"eu-west-1", "us-east-1"} {
		refused("signed in "+reg, secDo(t, consoleReq(t, s.URL, keyA, secretA, "discovery", reg, tU, usage(servers[0]), now)))
	}
	for _, d := range []time.Duration{-16 * time.Minute, -24 * time.Hour, 16 * time.Minute} {
		refused(fmt.Sprintf("signed at %v", d), secDo(t, consoleReq(t, s.URL, keyA, secretA, "discovery", region, tU, usage(servers[0]), now.Add(d))))
	}
	orig := consoleReq(t, s.URL, keyA, secretA, "discovery", region, tM, `{}`, now)
	for _, c := range []struct{ body, target, auth string }{
		{`{"serverId":"` + servers[0] + `"}`, tU, ""},
		{`{} `, tM, ""},
		{`{}`, tU, ""},
		{`{}`, tM, strings.Replace(orig.Header.Get("Authorization"), keyA, keyB, 1)},
	} {
		req := orig.Clone(context.Background())
		req.Body, req.ContentLength = io.NopCloser(strings.NewReader(c.body)), int64(len(c.body))
		req.Header.Set("X-Amz-Target", c.target)
		if c.auth != "" {
			req.Header.Set("Authorization", c.auth)
		}
		refused("replayed over "+c.body+" "+c.target, secDo(t, req))
	}
	// Presigned (query-string) console calls past their expiry.
	pre, _ := http.NewRequest(http.MethodPost, s.URL+"/_poseidon/console", strings.NewReader(`{}`))
	pre.Header.Set("Content-Type", "application/x-amz-json-1.1")
	pre.Header.Set("X-Amz-Target", tM)
	if _, err := v1sign.NewSigner(credentials.NewStaticCredentials(keyA, secretA, "")).Presign(pre, strings.NewReader(`{}`), "discovery", region, time.Minute, now.Add(-2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	pre.Body = io.NopCloser(strings.NewReader(`{}`))
	refused("presigned and expired", secDo(t, pre))

	// Allow lists without the console's actions.
	refused("discovery:* only, map", sign(keyD, secretD, tM, `{}`))
	refused("discovery:* only, usage", sign(keyD, secretD, tU, usage(servers[0])))
	refused("Describe* only, usage", sign(keyRO, secretR, tU, usage(servers[0])))

	// A gzip bomb: 64 MiB of zeros in a few kilobytes, over the body limit
	// once inflated.
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	zw.Write([]byte(`{"serverId":"` + servers[0] + `","x":"`))
	zw.Write(make([]byte, 64<<20))
	zw.Write([]byte(`"}`))
	zw.Close()
	bomb := consoleReq(t, s.URL, "", "", "", "", tU, "", now)
	bomb.Body, bomb.ContentLength = io.NopCloser(bytes.NewReader(zipped.Bytes())), int64(zipped.Len())
	bomb.Header.Set("Content-Encoding", "gzip")
	if _, err := v1sign.NewSigner(credentials.NewStaticCredentials(keyA, secretA, "")).Sign(bomb, bytes.NewReader(zipped.Bytes()), "discovery", region, now); err != nil {
		t.Fatal(err)
	}
	if r := secDo(t, bomb); r.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("gzip bomb: %d %.200s, want 413", r.Status, r.Raw)
	}
	attacks++

	// Other methods on the route.
	for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
		req, _ := http.NewRequest(method, s.URL+"/_poseidon/console", nil)
		refused(method+" /_poseidon/console", secDo(t, req))
	}
	t.Logf("console reads: %d attacks refused", attacks)
}

// attackRaw sends one request line as is (no client-side cleaning of the
// path) and returns the status and body.
func attackRaw(t *testing.T, addr, method, target string) (int, string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", method, target, addr)
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: method})
	if err != nil {
		t.Fatalf("%s %.80s: %v", method, target, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestAttackConsoleFiles: GET /_poseidon/ui/... serves the embedded assets
// and nothing else, whatever the path.
func TestAttackConsoleFiles(t *testing.T) {
	s := startServer(t, "", "--credentials", writeCredentials(t))
	addr := strings.TrimPrefix(s.URL, "http://")
	const planted = "PLANTED-UI-SECRET"
	for _, p := range []string{filepath.Join(s.Data, "index.html"), filepath.Join(s.Data, "planted.txt"),
		filepath.Join(s.Data, "ui", "index.html"), filepath.Join(s.Data, "js", "app.js")} {
		mustWrite(t, p, planted)
	}
	// The embedded assets: any 200 must be one of them, byte for byte.
	assets := map[string]bool{}
	fs.WalkDir(webui.Files(), ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := fs.ReadFile(webui.Files(), p)
			assets[string(b)] = true
		}
		return err
	})
	cwd, _ := os.Getwd()
	paths := []string{
		"../", "..", "../../etc/passwd", "..%2f..%2fetc%2fpasswd", "%2e%2e/%2e%2e/etc/passwd", "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
		"%252e%252e%252fetc%252fpasswd", "js/../../../etc/passwd", "js/..%2f..%2f..%2fetc%2fpasswd", "js%2f..%2f..%2findex.html",
		"js%2fapp.js", "js%5capp.js", "..\\..\\etc\\passwd", "..%5c..%5cetc%5cpasswd", "%2fetc%2fpasswd", "/etc/passwd",
		"//etc/passwd", "./index.html", "js/./app.js", "js//app.js", "js/", "js", "vendor", "vendor/", ".", "%2e", "%2e%2e",
		"index.html%00", "index.html%00.js", "%00", "index.html/", "index.html/.", "app.css/..", "planted.txt",
		"..%2fplanted.txt", "..%2f..%2f..%2fplanted.txt", url2(s.Data) + "/planted.txt", "%2f" + url2(s.Data) + "%2fplanted.txt",
		url2(cwd) + "/main.go", "..%2f..%2f..%2fcmd%2fposeidon%2fmain.go", "..%2f..%2finternal%2fwebui%2fwebui.go",
		"..;/index.html", "index.html;/../../etc/passwd", "js/app.js?/../../etc/passwd", "js/app.js#/../../../etc/passwd",
		"%u002e%u002e/etc/passwd", "%c0%ae%c0%ae/etc/passwd", "..%c0%af..%c0%afetc%c0%afpasswd", "js/app.js/",
		"JS/APP.JS", "Index.html", "vendor/versions.json/..", strings.Repeat("a/", 4000) + "index.html",
		strings.Repeat("../", 2000) + "etc/passwd", strings.Repeat("%2e%2e%2f", 2000) + "etc/passwd", strings.Repeat("x", 60000),
	}
	attacks := 0
	for _, p := range paths {
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			code, body := attackRaw(t, addr, method, "/_poseidon/ui/"+p)
			attacks++
			if code >= 500 {
				t.Errorf("%s %.100s: HTTP %d", method, p, code)
			}
			if strings.Contains(body, planted) || strings.Contains(body, "root:") || strings.Contains(body, "package ") ||
				strings.Contains(body, "SQLite format") {
				t.Errorf("%s %.100s: served a file of the server: %.80q", method, p, body)
			}
			if code == 200 && method == http.MethodGet && !assets[body] {
				t.Errorf("GET %.100s: 200 with a body that is no embedded asset: %.80q", p, body)
			}
			if code/100 == 3 {
				// A redirect stays under the console.
				if got, _ := attackRedirect(t, addr, p); got != "" && !strings.HasPrefix(got, "/_poseidon/ui/") && !strings.HasPrefix(got, "./") {
					t.Errorf("GET %.100s: redirect to %q", p, got)
				}
			}
		}
	}
	// The assets themselves are served.
	for _, p := range []string{"", "js/app.js", "vendor/uplot.js", "app.css"} {
		if code, body := attackRaw(t, addr, http.MethodGet, "/_poseidon/ui/"+p); code != 200 || !assets[body] {
			t.Errorf("GET /_poseidon/ui/%s: %d", p, code)
		}
	}
	t.Logf("console files: %d requests, nothing outside the embedded assets", attacks)
}

// url2 percent-encodes the slashes of an absolute path.
func url2(p string) string { return strings.ReplaceAll(strings.TrimPrefix(p, "/"), "/", "%2f") }

// attackRedirect returns the Location a GET of /_poseidon/ui/p answers.
func attackRedirect(t *testing.T, addr, p string) (string, int) {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, err := http.NewRequest(http.MethodGet, "http://"+addr+"/_poseidon/ui/"+p, nil)
	if err != nil {
		return "", 0
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.Header.Get("Location"), resp.StatusCode
}

// attackControl sends a control-API request with an Authorization header
// as given, and returns the status and raw body.
func attackControl(t *testing.T, url, method, path, authz, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url+"/_poseidon/"+path, strings.NewReader(body))
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Errorf("%s %s: answer is not JSON: %.200q", method, path, b)
	}
	return resp.StatusCode, string(b)
}

// faultRoutes are the fault injection routes, each with a body it takes.
var faultRoutes = [][3]string{{"GET", "faults", ""}, {"DELETE", "faults", ""}, {"POST", "faults/exports/fail", `{"statusMessage":"m"}`},
	{"POST", "faults/imports/fail", `{"statusMessage":"m"}`}, {"POST", "faults/exports/hold", `{}`},
	{"DELETE", "faults/exports/hold", ""}, {"POST", "faults/exports/release", `{}`},
	{"POST", "faults/operations", `{"operation":"DescribeAgents","error":"ThrottlingException"}`},
	{"DELETE", "faults/operations/1", ""}, {"GET", "status", ""}}

// TestAttackFaultsAuth: a tenant's credentials, presented any way, never
// open the fault injection or status routes; in strict mode without
// --control-token they are off.
func TestAttackFaultsAuth(t *testing.T) {
	const tok = "attack-control-token-0123456789"
	s := startServer(t, "", "--credentials", writeCredentials(t), "--control-token", tok)
	b := &secCaller{url: s.URL, akid: keyB, secret: secretB}
	b.call(t, "CreateApplication", `{"name":"b-app"}`).ok(t, "B creates")
	attacks := 0
	for _, c := range faultRoutes {
		// The tenant signs the control request itself with SigV4.
		req, _ := http.NewRequest(c[0], s.URL+"/_poseidon/"+c[1], strings.NewReader(c[2]))
		if _, err := v1sign.NewSigner(credentials.NewStaticCredentials(keyB, secretB, "")).Sign(req, strings.NewReader(c[2]), "discovery", region, time.Now()); err != nil {
			t.Fatal(err)
		}
		r := secDo(t, req)
		if r.Status != 401 {
			t.Errorf("%s %s SigV4-signed by B: %d %s, want 401", c[0], c[1], r.Status, r.Raw)
		}
		attacks++
		for authz, want := range map[string]int{
			"Bearer " + secretB: 403, "Bearer " + keyB: 403, "Bearer " + keyB + ":" + secretB: 403, "Bearer " + acctB: 403,
			req.Header.Get("Authorization"): 401, "Bearer " + req.Header.Get("Authorization"): 403,
		} {
			if code, body := attackControl(t, s.URL, c[0], c[1], authz, c[2]); code != want {
				t.Errorf("%s %s with %.40q: %d %s, want %d", c[0], c[1], authz, code, body, want)
			}
			attacks++
		}
		// The token in the query string or another header is no token.
		for _, h := range [][2]string{{"X-Poseidon-Control-Token", tok}, {"X-Amz-Security-Token", tok}, {"Cookie", "token=" + tok}} {
			req, _ := http.NewRequest(c[0], s.URL+"/_poseidon/"+c[1]+"?token="+tok+"&access_token="+tok, strings.NewReader(c[2]))
			req.Header.Set(h[0], h[1])
			if r := secDo(t, req); r.Status != 401 {
				t.Errorf("%s %s with the token in %s and the query: %d", c[0], c[1], h[0], r.Status)
			}
			attacks++
		}
	}
	if code, f := faultCall(t, s.URL, "GET", "faults", tok, nil); code != 200 || len(f["operations"].([]any)) != 0 || f["failExports"] != nil {
		t.Fatalf("a refused call set a fault: %d %v", code, f)
	}
	b.call(t, "DescribeAgents", `{}`).ok(t, "B after the attacks")

	// Strict mode without --control-token: every route is off, whatever
	// is sent.
	off := startServer(t, "", "--credentials", writeCredentials(t))
	for _, c := range faultRoutes {
		for _, authz := range []string{"", "Bearer ", "Bearer x", "Bearer " + tok} {
			if code, body := attackControl(t, off.URL, c[0], c[1], authz, c[2]); code != 403 || !strings.Contains(body, "AccessDeniedException") {
				t.Errorf("strict without token: %s %s with %q: %d %s", c[0], c[1], authz, code, body)
			}
			attacks++
		}
	}
	t.Logf("faults and status auth: %d attacks refused", attacks)
}

// TestAttackFaultBodies: the fault routes refuse every body outside their
// bounds with a 400 (never a 5xx), and set nothing then.
func TestAttackFaultBodies(t *testing.T) {
	const tok = "attack-fault-bodies-token"
	s := startServer(t, "", "--credentials", writeCredentials(t), "--control-token", tok)
	authz := "Bearer " + tok
	op := func(extra string) string {
		return `{"operation":"DescribeAgents","error":"ThrottlingException"` + extra + `}`
	}
	deep := strings.Repeat(`{"a":`, 5000) + `1` + strings.Repeat(`}`, 5000)
	bad := []struct{ path, body string }{
		// Bodies.
		{"faults/operations", strings.Repeat(" ", 1<<20) + op("")},
		{"faults/operations", op(`,"message":"` + strings.Repeat("m", 1<<20) + `"`)},
		{"faults/operations", deep},
		{"faults/operations", strings.Repeat("[", 8000)},
		{"faults/operations", `{"operation":"DescribeAgents","error":"ThrottlingException","unknown":1}`},
		{"faults/operations", `{"Operation":"DescribeAgents","error":"ThrottlingException"}`},
		{"faults/operations", `{"operation":"DescribeAgents","error":"ThrottlingException","LatencyMs":1}`},
		{"faults/exports/hold", `{"MaxSeconds":1}`},
		{"faults/operations", `[` + op("") + `]`},
		{"faults/operations", `null`},
		{"faults/operations", op("") + `{}`},
		{"faults/operations", "\xff\xfe"},
		// Counts.
		{"faults/operations", op(`,"count":-1`)}, {"faults/operations", op(`,"count":0`)},
		{"faults/operations", op(`,"count":1000001`)}, {"faults/operations", op(`,"count":9223372036854775807`)},
		{"faults/operations", op(`,"count":9223372036854775808`)}, {"faults/operations", op(`,"count":1e30`)},
		{"faults/operations", op(`,"count":1.5`)}, {"faults/operations", op(`,"count":"3"`)},
		{"faults/operations", op(`,"count":1,"probability":0.5`)},
		// Probabilities.
		{"faults/operations", op(`,"probability":-0.1`)}, {"faults/operations", op(`,"probability":0`)},
		{"faults/operations", op(`,"probability":1.0000001`)}, {"faults/operations", op(`,"probability":1e308`)},
		{"faults/operations", op(`,"probability":1e400`)}, {"faults/operations", op(`,"probability":"0.5"`)},
		// Latencies: negative, over the bound, and values whose
		// milliseconds overflow a time.Duration (2^58 ms wraps to 0 ns,
		// 9223372036855 ms to a negative one).
		{"faults/operations", op(`,"latencyMs":-1`)}, {"faults/operations", op(`,"latencyMs":300001`)},
		{"faults/operations", op(`,"latencyMs":288230376151711744`)},
		{"faults/operations", op(`,"latencyMs":9223372036855`)},
		{"faults/operations", op(`,"latencyMs":9223372036854775807`)},
		{"faults/operations", `{"operation":"DescribeAgents","latencyMs":288230376151711744}`},
		{"faults/operations", `{"operation":"DescribeAgents","latencyMs":9223372036855}`},
		{"faults/operations", op(`,"latencyMs":1e30`)},
		// Durations.
		{"faults/operations", op(`,"forSeconds":0`)}, {"faults/operations", op(`,"forSeconds":-1`)},
		{"faults/operations", op(`,"forSeconds":1e9`)}, {"faults/operations", op(`,"forSeconds":1e308`)},
		// Names.
		{"faults/operations", `{"operation":"DeleteEverything","error":"ThrottlingException"}`},
		{"faults/operations", `{"operation":"DescribeAgents","error":"NoSuchErrorException"}`},
		{"faults/operations", `{"operation":"DescribeAgents","error":"ThrottlingException","accountId":"../../etc"}`},
		{"faults/operations", `{"operation":"DescribeAgents","error":"ThrottlingException","accountId":"12345678901"}`},
		{"faults/operations", op(`,"message":"` + strings.Repeat("m", 1025) + `"`)},
		{"faults/operations", `{"operation":"DescribeAgents"}`},
		{"faults/exports/fail", `{"statusMessage":"m","count":-5}`}, {"faults/exports/fail", `{"statusMessage":"m","count":1000001}`},
		{"faults/exports/fail", `{"statusMessage":""}`}, {"faults/exports/fail", `{"statusMessage":"m","accountId":"x"}`},
		{"faults/imports/fail", `{"statusMessage":"` + strings.Repeat("m", 1025) + `"}`}, {"faults/imports/fail", `{"count":1,"x":1}`},
		{"faults/exports/hold", `{"maxSeconds":0}`}, {"faults/exports/hold", `{"maxSeconds":-1}`},
		{"faults/exports/hold", `{"maxSeconds":1e9}`}, {"faults/exports/hold", `{"maxSeconds":1e308}`},
		{"faults/exports/hold", `{"accountId":"` + acctA + `0"}`},
		{"faults/exports/release", `{"exportId":5}`}, {"faults/exports/release", `{"exportId":"x","y":1}`},
	}
	attacks := 0
	for _, c := range bad {
		code, body := attackControl(t, s.URL, http.MethodPost, c.path, authz, c.body)
		what := c.body
		if len(what) > 100 {
			what = what[:100] + "..."
		}
		if code != 400 && code != 413 {
			t.Errorf("POST %s %s: %d %.300s, want 400", c.path, what, code, body)
		}
		attacks++
	}
	for _, id := range []string{"-1", "0", "99999999999999999999", "abc", "1e3", "%00", "..%2f..%2fclock"} {
		code, body := attackControl(t, s.URL, http.MethodDelete, "faults/operations/"+id, authz, "")
		if code != 400 && code != 404 {
			t.Errorf("DELETE faults/operations/%s: %d %s", id, code, body)
		}
		attacks++
	}
	if code, f := faultCall(t, s.URL, "GET", "faults", tok, nil); code != 200 || len(f["operations"].([]any)) != 0 ||
		f["failExports"] != nil || f["failImports"] != nil || f["holdExports"] != nil {
		t.Fatalf("a refused body set a fault: %d %v", code, f)
	}
	// The bounds themselves are taken.
	for _, body := range []string{op(`,"latencyMs":300000,"count":1`), op(`,"probability":1,"forSeconds":100000000`)} {
		if code, out := attackControl(t, s.URL, http.MethodPost, "faults/operations", authz, body); code != 200 {
			t.Errorf("POST faults/operations %s: %d %s", body, code, out)
		}
	}
	t.Logf("fault bodies: %d refused", attacks)
}

// TestAttackStatusMetricsHealth: GET /_poseidon/status names accounts and
// needs the control token; metrics and the health check are public and
// name no account and no resource, whatever tenants did.
func TestAttackStatusMetricsHealth(t *testing.T) {
	const tok = "attack-status-token"
	s := startServer(t, "", "--credentials", writeCredentials(t), "--control-token", tok)
	agents := attackFleet(t, s.URL)
	a := &secCaller{url: s.URL, akid: keyA, secret: secretA}
	b := &secCaller{url: s.URL, akid: keyB, secret: secretB}
	app := secStr(a.call(t, "CreateApplication", `{"name":"attack-app-name"}`).ok(t, "app"), "configurationId")
	exp := secStr(a.call(t, "StartExportTask", `{}`).ok(t, "export"), "exportId")
	secWaitExport(t, a, exp)
	// B fills its requests with A's IDs: none may come back in a label.
	for _, target := range []string{"AWSPoseidonService_V2015_11_01." + acctA, "AWSPoseidonService_V2015_11_01." + app, "PoseidonConsole." + exp, acctA} {
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/", strings.NewReader(`{}`))
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", target)
		v1sign.NewSigner(credentials.NewStaticCredentials(keyB, secretB, "")).Sign(req, strings.NewReader(`{}`), "discovery", region, time.Now())
		secDo(t, req)
		req = consoleReq(t, s.URL, keyB, secretB, "discovery", region, target, `{}`, time.Now())
		secDo(t, req)
	}
	b.call(t, "DescribeConfigurations", `{"configurationIds":["`+app+`"]}`)
	consoleCall(t, s.URL, keyB, secretB, "GetServerUsage", `{"serverId":"`+discovery.ServerID(acctA, agents[0])+`"}`)

	secrets := append([]string{acctA, acctB, app, exp, "attack-app-name", keyA, keyB, tok}, agents...)
	for _, ag := range agents {
		secrets = append(secrets, discovery.ServerID(acctA, ag))
	}
	for _, p := range []string{"metrics", "health"} {
		for _, authz := range []string{"", "Bearer " + tok} {
			req, _ := http.NewRequest(http.MethodGet, s.URL+"/_poseidon/"+p, nil)
			if authz != "" {
				req.Header.Set("Authorization", authz)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Errorf("%s: %d", p, resp.StatusCode)
			}
			for _, sec := range secrets {
				if bytes.Contains(body, []byte(sec)) {
					t.Errorf("%s (Authorization %q) shows %q", p, authz, sec)
				}
			}
		}
	}
	// Status: refused to tenants, with every account to the token.
	for _, authz := range []string{"", "Bearer " + secretA, "Bearer " + keyA, "Bearer " + tok + "x"} {
		if code, body := attackControl(t, s.URL, http.MethodGet, "status", authz, ""); code != 401 && code != 403 || strings.Contains(body, acctA) {
			t.Errorf("status with %q: %d %s", authz, code, body)
		}
	}
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/_poseidon/status", nil)
	v1sign.NewSigner(credentials.NewStaticCredentials(keyA, secretA, "")).Sign(req, nil, "discovery", region, time.Now())
	if r := secDo(t, req); r.Status != 401 || strings.Contains(r.Raw, acctA) {
		t.Errorf("status SigV4-signed by A: %d %s", r.Status, r.Raw)
	}
	if code, body := attackControl(t, s.URL, http.MethodGet, "status", "Bearer "+tok, ""); code != 200 || !strings.Contains(body, acctA) {
		t.Errorf("status with the token: %d %s", code, body)
	}
}

// TestAttackNULStrings: a NUL character (valid JSON, \u0000) in the IDs
// and strings of API requests and console reads is a 4xx or a success,
// never a 5xx (PostgreSQL refuses text holding NUL).
func TestAttackNULStrings(t *testing.T) {
	s := startServer(t, "", "--credentials", writeCredentials(t))
	b := &secCaller{url: s.URL, akid: keyB, secret: secretB}
	const n = `\u0000`
	srv := "d-server-0123456789abcdef0" + n
	for _, c := range [][2]string{
		{"DescribeConfigurations", `{"configurationIds":["` + srv + `"]}`},
		{"ListServerNeighbors", `{"configurationId":"` + srv + `"}`},
		{"ListServerNeighbors", `{"configurationId":"d-server-0123456789abcdef0","neighborConfigurationIds":["` + srv + `"]}`},
		{"CreateApplication", `{"name":"a` + n + `b","description":"` + n + `"}`},
		{"UpdateApplication", `{"configurationId":"d-application-0123456789abcdef0` + n + `","name":"x"}`},
		{"DeleteApplications", `{"configurationIds":["d-application-0123456789abcdef0` + n + `"]}`},
		{"AssociateConfigurationItemsToApplication", `{"applicationConfigurationId":"d-application-0123456789abcdef0` + n + `","configurationIds":["` + srv + `"]}`},
		{"DescribeAgents", `{"agentIds":["o-0123456789abcdef0` + n + `"]}`},
		{"DescribeAgents", `{"filters":[{"name":"hostName","values":["` + n + `"],"condition":"EQUALS"}]}`},
		{"StartDataCollectionByAgentIds", `{"agentIds":["o-0123456789abcdef0` + n + `"]}`},
		{"DescribeExportTasks", `{"exportIds":["export-` + n + `"]}`},
		{"DescribeExportTasks", `{"filters":[{"name":"agentIds","values":["` + n + `"],"condition":"EQUALS"}]}`},
		{"DescribeImportTasks", `{"filters":[{"name":"NAME","values":["` + n + `"]}]}`},
		{"DescribeImportTasks", `{"filters":[{"name":"IMPORT_TASK_ID","values":["` + n + `"]}]}`},
		{"StartImportTask", `{"name":"` + n + `","importUrl":"s3://b/` + n + `"}`},
		{"BatchDeleteImportData", `{"importTaskIds":["` + n + `"]}`},
		{"CreateTags", `{"configurationIds":["` + srv + `"],"tags":[{"key":"k` + n + `","value":"` + n + `"}]}`},
		{"DescribeTags", `{"filters":[{"name":"tagKey","values":["` + n + `"]}]}`},
		{"DeleteTags", `{"configurationIds":["` + srv + `"]}`},
		{"ListConfigurations", `{"configurationType":"SERVER","filters":[{"name":"server.hostName","values":["` + n + `"],"condition":"EQUALS"}]}`},
		{"ListConfigurations", `{"configurationType":"SERVER","orderBy":[{"fieldName":"server.hostName` + n + `"}]}`},
		{"ListConfigurations", `{"configurationType":"SERVER","nextToken":"` + n + `"}`},
		{"StartExportTask", `{"filters":[{"name":"agentIds","values":["o-0123456789abcdef0` + n + `"],"condition":"EQUALS"}]}`},
		{"DescribeExportConfigurations", `{"exportIds":["` + n + `"]}`},
		{"DescribeBatchDeleteConfigurationTask", `{"taskId":"` + n + `"}`},
		{"StartBatchDeleteConfigurationTask", `{"configurationType":"SERVER","configurationIds":["` + srv + `"]}`},
	} {
		if r := b.call(t, c[0], c[1]); r.Status != 400 || r.Type != "InvalidParameterValueException" || !strings.Contains(r.Raw, "NUL") {
			t.Errorf("%s %s: HTTP %d %s, want 400 InvalidParameterValueException", c[0], c[1], r.Status, r.Raw)
		}
	}
	for _, c := range [][2]string{{"GetServerUsage", `{"serverId":"` + srv + `"}`}, {"GetNetworkMap", `{"x":"` + n + `"}`}} {
		if code, out := consoleCall(t, s.URL, keyB, secretB, c[0], c[1]); code != 400 || out["__type"] != "InvalidParameterValueException" {
			t.Errorf("%s %s: HTTP %d %v", c[0], c[1], code, out)
		}
	}
	// An import file's records holding a NUL or bytes that are not UTF-8
	// fail alone, the others are imported (on both stores alike).
	mustWrite(t, filepath.Join(s.Data, "buckets", acctB, "bk", "nul.csv"), importHeader+"t-1,,,host\x00name,Linux,2,,,\n"+
		"t-2,,,host\xffname,Linux,2,,,\nt-3,,,good-host,Linux,2,,,\n")
	if st := attackImport(t, b, "nul", "s3://bk/nul.csv"); st["serverImportSuccess"] != 1.0 || st["serverImportFailure"] != 2.0 {
		t.Errorf("import with a NUL: %v", st)
	}
	// Agent intake and Migration Hub Config too.
	report := secAgentReport(1)
	report.Server.HostName = "host\x00name"
	body, _ := json.Marshal(agentdata.Batch{Reports: []agentdata.Report{report}})
	if code, _, out := intakeCall(t, s.URL, keyB, secretB, body); code != 400 {
		t.Errorf("intake with a NUL host name: %d %v", code, out)
	}
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/", strings.NewReader(`{"HomeRegion":"us-west-2`+n+`","Target":{"Type":"ACCOUNT"}}`))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AWSMigrationHubMultiAccountService.CreateHomeRegionControl")
	v1sign.NewSigner(credentials.NewStaticCredentials(keyB, secretB, "")).Sign(req, strings.NewReader(`{"HomeRegion":"us-west-2`+n+`","Target":{"Type":"ACCOUNT"}}`), "mgh", region, time.Now())
	if r := secDo(t, req); r.Status != 400 {
		t.Errorf("CreateHomeRegionControl with a NUL: %d %s", r.Status, r.Raw)
	}
}

// TestAttackDownloadsOfHeldAndFailedExports: exports held or failed by the
// fault injection, reset, or of another account have no archive to serve,
// even to a URL validly signed with the server's own key; a fault set for
// one account does not touch another's calls.
func TestAttackDownloadsOfHeldAndFailedExports(t *testing.T) {
	const tok = "attack-downloads-token"
	s, _ := secStart(t, "--credentials", writeCredentials(t), "--control-token", tok)
	a := &secCaller{url: s.URL, akid: keyA, secret: secretA}
	b := &secCaller{url: s.URL, akid: keyB, secret: secretB}
	key := secDownloadSecret(t, s.Data)
	signed := func(account, id string) string {
		u, err := sigv4.Presign(s.URL+"/poseidon-exports/"+account+"/"+id+".zip", "POSEIDONEXPORTS", key, region, "s3", time.Now(), time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	wantNone := func(what, u string) {
		t.Helper()
		if code, body := secGet(t, u); code != 404 || strings.HasPrefix(body, "PK") {
			t.Errorf("%s: %d %.80q, want 404", what, code, body)
		}
	}
	// A's export is held IN_PROGRESS: no URL, and a forged one serves nothing.
	if code, out := faultCall(t, s.URL, "POST", "faults/exports/hold", tok, map[string]any{"accountId": acctA}); code != 200 {
		t.Fatalf("hold: %d %v", code, out)
	}
	held := secStr(a.call(t, "StartExportTask", `{}`).ok(t, "export"), "exportId")
	secWait(t, a, "DescribeExportTasks", `{}`, func(map[string]any) bool {
		_, f := faultCall(t, s.URL, "GET", "faults", tok, nil)
		return len(f["held"].([]any)) == 1
	})
	wantNone("held export", signed(acctA, held))
	// B's exports are not held, and B cannot release A's.
	idB := secStr(b.call(t, "StartExportTask", `{}`).ok(t, "B's export"), "exportId")
	if e := secWaitExport(t, b, idB); e["exportStatus"] != "SUCCEEDED" {
		t.Fatalf("B's export under A's hold: %v", e)
	}
	wantNone("B's export under A's account", signed(acctA, idB))
	wantNone("A's held export under B's account", signed(acctB, held))
	// A's export fails: still nothing.
	faultCall(t, s.URL, "DELETE", "faults/exports/hold", tok, nil)
	faultCall(t, s.URL, "POST", "faults/exports/release", tok, map[string]any{})
	secWaitExport(t, a, held)
	if code, out := faultCall(t, s.URL, "POST", "faults/exports/fail", tok, map[string]any{"statusMessage": "injected", "accountId": acctA}); code != 200 {
		t.Fatalf("fail: %d %v", code, out)
	}
	failed := secStr(a.call(t, "StartExportTask", `{}`).ok(t, "export"), "exportId")
	if e := secWaitExport(t, a, failed); e["exportStatus"] != "FAILED" || e["configurationsDownloadUrl"] != nil {
		t.Fatalf("failed export: %v", e)
	}
	wantNone("failed export", signed(acctA, failed))
	// A's succeeded export, then A reset: its URL serves nothing more.
	ok := secWaitExport(t, a, held)
	u := secStr(ok, "configurationsDownloadUrl")
	if code, _ := secGet(t, u); code != 200 {
		t.Fatalf("A's released export: %d", code)
	}
	if code, out := control(t, s.URL, "reset", tok, map[string]any{"accountId": acctA}); code != 200 {
		t.Fatalf("reset A: %d %v", code, out)
	}
	wantNone("A's URL after A's reset", u)
	// An operation fault set for A alone: B's calls answer.
	if code, out := faultCall(t, s.URL, "POST", "faults/operations", tok, map[string]any{"operation": "DescribeExportTasks",
		"error": "ThrottlingException", "accountId": acctA}); code != 200 {
		t.Fatalf("operation fault: %d %v", code, out)
	}
	b.call(t, "DescribeExportTasks", `{}`).ok(t, "B under A's fault")
	if r := a.call(t, "DescribeExportTasks", `{}`); r.Status != 400 || r.Type != "ThrottlingException" {
		t.Errorf("A under its fault: %d %s", r.Status, r.Raw)
	}
}

// TestAttackFaultLatencyEndsWithClient: the longest injected latency (5
// minutes) holds a request only while its client waits: a client that
// goes away frees the handler at once, and the fault, limited to B, never
// delays A.
func TestAttackFaultLatencyEndsWithClient(t *testing.T) {
	const tok = "attack-latency-token"
	s := startServer(t, "", "--credentials", writeCredentials(t), "--control-token", tok)
	if code, out := faultCall(t, s.URL, "POST", "faults/operations", tok, map[string]any{"operation": "DescribeAgents",
		"latencyMs": 300000, "accountId": acctB}); code != 200 {
		t.Fatalf("latency fault: %d %v", code, out)
	}
	a := &secCaller{url: s.URL, akid: keyA, secret: secretA}
	a.call(t, "DescribeAgents", `{}`).ok(t, "A under B's latency fault")

	req, _ := http.NewRequest(http.MethodPost, s.URL+"/", strings.NewReader(`{}`))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AWSPoseidonService_V2015_11_01.DescribeAgents")
	if _, err := v1sign.NewSigner(credentials.NewStaticCredentials(keyB, secretB, "")).Sign(req, strings.NewReader(`{}`), "discovery", region, time.Now()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if resp, err := http.DefaultClient.Do(req.WithContext(ctx)); err == nil {
		resp.Body.Close()
		t.Fatalf("B's delayed call answered %d at once", resp.StatusCode)
	}
	// The handler of B's call ends (counted with status 499, the call
	// did nothing) once B went away, long before the 5 minutes; the
	// deadline is a safety net, not a measure.
	deadline := time.Now().Add(time.Minute)
	for {
		_, fams := metricsOf(t, s.URL)
		if metricValue(fams, "poseidon_requests_total", map[string]string{"operation": "DescribeAgents", "status": "499",
			"code": "ClientClosedRequest"}) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("B's delayed call still holds its handler after its client went away")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
