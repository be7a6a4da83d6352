package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws/credentials"
	v1sign "github.com/aws/aws-sdk-go/aws/signer/v4"
	"github.com/poseidon-ads/poseidon/internal/agentdata"
)

// The tenant attack suite: a strict-mode server run as its own process
// (the real binary, so that /proc/self is the server's), with a real
// --control-token on its command line and a canary in its environment,
// serving a tenant whose identity allows StartImportTask and
// DescribeImportTasks only. The tenant tries every route to a file or a
// service that is not its own; the test then searches everything the
// tenant (and an administrator identity of the same account) can fetch for
// any secret.

const (
	acctT        = "333333333333"
	keyT         = "AKIATENANTTENANTTENA"
	secretT      = "secret-of-the-tenant-with-import-rights-only"
	keyT2        = "AKIATENANTADMINADMIN"
	secretT2     = "secret-of-the-tenant-administrator"
	victimMarker = "VICTIM-A-PRIVATE-ROW"
)

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// attackCase is one import URL a tenant tries.
type attackCase struct {
	name, url string
	// want is "refused" (StartImportTask answers 400
	// InvalidParameterValueException) or "unread" (accepted, then
	// IMPORT_FAILED without reading a byte).
	want string
}

// attackLoot is everything the tenant fetched, kept to be searched.
type attackLoot struct {
	items []string
	bytes int
}

func (l *attackLoot) add(what, s string) {
	l.items = append(l.items, what+"\n"+s)
	l.bytes += len(s)
}

func TestTenantAttacks(t *testing.T) {
	token := "ctl-" + randomHex(t, 16)
	canary := "env-canary-" + randomHex(t, 12)
	// The server inherits the environment: /proc/self/environ would hold it.
	t.Setenv("POSEIDON_TEST_ATTACK_CANARY", canary)

	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(root, "data")
	shared := filepath.Join(root, "shared-imports") // --import-allow-dir
	creds := filepath.Join(root, "credentials.json")
	doc := `{"identities":[
		{"accessKeyId":"` + keyT + `","secretAccessKey":"` + secretT + `","accountId":"` + acctT + `","allow":["discovery:StartImportTask","discovery:DescribeImportTasks"]},
		{"accessKeyId":"` + keyT2 + `","secretAccessKey":"` + secretT2 + `","accountId":"` + acctT + `"},
		{"accessKeyId":"` + keyA + `","secretAccessKey":"` + secretA + `","accountId":"` + acctA + `"}]}`
	mustWrite(t, creds, doc)

	// A file server the operator allows (the tenant's own CSV), and a
	// canary on another loopback port that nothing may reach.
	fileSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, importHeader+"t-http,,,tenant-http-host,Linux,2,,,\n")
	}))
	defer fileSrv.Close()
	var canaryHits atomic.Int64
	canarySrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		canaryHits.Add(1)
		io.WriteString(w, "ExternalId\nCANARY-HTTP-BODY\n")
	}))
	defer canarySrv.Close()
	fileHost := strings.TrimPrefix(fileSrv.URL, "http://")
	canaryPort := strings.TrimPrefix(canarySrv.URL, "http://127.0.0.1:")

	mustWrite(t, filepath.Join(shared, "tenant.csv"), importHeader+"t-file,,,tenant-file-host,Linux,2,,,\n")
	p := startBinary(t, data, "127.0.0.1:0", "--credentials", creds, "--control-token", token, "--no-limits",
		"--import-allow-dir", shared, "--import-allow-host", fileHost)
	selfPort := strings.TrimPrefix(p.URL, "http://127.0.0.1:")

	tenant := &secCaller{url: p.URL, akid: keyT, secret: secretT}
	admin := &secCaller{url: p.URL, akid: keyT2, secret: secretT2}
	victim := &secCaller{url: p.URL, akid: keyA, secret: secretA}

	// The victim imports a private file of its own.
	victimFile := filepath.Join(data, "buckets", acctA, "shared", "servers.csv")
	mustWrite(t, victimFile, importHeader+"v-1,,,"+victimMarker+",Linux,2,,,\n")
	if st := attackImport(t, victim, "victim", "s3://shared/servers.csv"); st["status"] != "IMPORT_COMPLETE" {
		t.Fatalf("victim's own import: %v", st)
	}
	victimBefore := secJSON(victim.call(t, "ListConfigurations", `{"configurationType":"SERVER"}`).ok(t, "victim servers")["configurations"])

	// The tenant's bucket, with a real file and traps.
	mine := filepath.Join(data, "buckets", acctT, "mine")
	mustWrite(t, filepath.Join(mine, "good.csv"), importHeader+"t-1,,,tenant-host,Linux,2,,,\n")
	for name, target := range map[string]string{
		"cmdline.csv": "/proc/self/cmdline", "environ.csv": "/proc/self/environ", "passwd.csv": "/etc/passwd",
		"db.csv": "../../../poseidon.db", "db-abs.csv": filepath.Join(data, "poseidon.db"), "creds.csv": creds,
		"victim.csv": "../../" + acctA + "/shared/servers.csv", "root": "/", "proc": "/proc/self", "up": "..",
	} {
		mustSymlink(t, target, filepath.Join(mine, name))
	}
	mustSymlink(t, "../"+acctA+"/shared", filepath.Join(data, "buckets", acctT, "victim-bucket"))
	mustSymlink(t, "../..", filepath.Join(data, "buckets", acctT, "data-bucket"))
	if err := syscall.Mkfifo(filepath.Join(mine, "pipe.csv"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustSymlink(t, "/proc/self/cmdline", filepath.Join(shared, "cmdline.csv"))
	mustSymlink(t, filepath.Join(data, "poseidon.db"), filepath.Join(shared, "db.csv"))
	mustSymlink(t, data, filepath.Join(shared, "data"))

	cases := []attackCase{
		// The control API token and the server's files, directly.
		{"cmdline", "file:///proc/self/cmdline", "refused"},
		{"environ", "file:///proc/self/environ", "refused"},
		{"passwd", "file:///etc/passwd", "refused"},
		{"sqlite db", "file://" + filepath.Join(data, "poseidon.db"), "refused"},
		{"credentials file", "file://" + creds, "refused"},
		{"file with localhost", "file://localhost/proc/self/cmdline", "refused"},
		{"file, no slashes", "file:/proc/self/cmdline", "refused"},
		{"file out of the allowed dir", "file://" + shared + "/../data/poseidon.db", "refused"},
		// Traversal out of the tenant's bucket.
		{"dot-dot", "s3://mine/../../" + acctA + "/shared/servers.csv", "refused"},
		{"encoded dot-dot", "s3://mine/%2e%2e/%2e%2e/" + acctA + "/shared/servers.csv", "refused"},
		{"encoded slashes", "s3://mine/..%2F..%2F" + acctA + "%2Fshared%2Fservers.csv", "refused"},
		{"deep dot-dot", "s3://mine/a/../../../../poseidon.db", "refused"},
		{"dot-dot bucket", "s3://../" + acctA + "/shared/servers.csv", "refused"},
		{"backslashes", `s3://mine/..\..\` + acctA + `\shared\servers.csv`, "refused"},
		{"account as bucket", "s3://" + acctA + "/shared/servers.csv", "unread"},
		// Links out of the tenant's bucket, and things that are not files.
		{"link to cmdline", "s3://mine/cmdline.csv", "unread"},
		{"link to environ", "s3://mine/environ.csv", "unread"},
		{"link to passwd", "s3://mine/passwd.csv", "unread"},
		{"link to the db", "s3://mine/db.csv", "unread"},
		{"absolute link to the db", "s3://mine/db-abs.csv", "unread"},
		{"link to the credentials", "s3://mine/creds.csv", "unread"},
		{"link to the victim's file", "s3://mine/victim.csv", "unread"},
		{"link to /", "s3://mine/root/etc/passwd", "unread"},
		{"link to /proc/self", "s3://mine/proc/cmdline", "unread"},
		{"link to the account folder", "s3://mine/up/victim-bucket/servers.csv", "unread"},
		{"bucket linked to the victim's", "s3://victim-bucket/servers.csv", "unread"},
		{"bucket linked to the data dir", "s3://data-bucket/poseidon.db", "unread"},
		{"fifo", "s3://mine/pipe.csv", "unread"},
		{"folder", "s3://mine/root", "unread"},
		{"allowed dir, link to cmdline", "file://" + shared + "/cmdline.csv", "unread"},
		{"allowed dir, link to the db", "file://" + shared + "/db.csv", "unread"},
		{"allowed dir, link to the data dir", "file://" + shared + "/data/poseidon.db", "unread"},
		// Another account's bucket, by name: the tenant's own (empty)
		// bucket of that name, answered as a missing one.
		{"victim's bucket", "s3://shared/servers.csv", "unread"},
		{"victim's bucket, missing key", "s3://shared/missing.csv", "unread"},
		{"missing bucket", "s3://no-such-bucket/servers.csv", "unread"},
		{"own bucket, missing key", "s3://mine/missing.csv", "unread"},
		// Other schemes.
		{"gopher", "gopher://127.0.0.1:" + selfPort + "/_", "refused"},
		{"ftp", "ftp://127.0.0.1/x.csv", "refused"},
		{"dict", "dict://127.0.0.1:" + canaryPort + "/x", "refused"},
		{"metadata service", "http://169.254.169.254/latest/meta-data/", "refused"},
		{"user info", "http://user@" + fileHost + "/x.csv", "refused"},
	}
	// Loopback in every spelling, to poseidon itself and to the canary.
	for _, port := range []string{selfPort, canaryPort} {
		for _, host := range []string{"127.0.0.1", "localhost", "localhost.", "LOCALHOST", "[::1]", "[0:0:0:0:0:0:0:1]", "2130706433",
			"0x7f.1", "0x7f000001", "127.1", "0177.0.0.1", "[::ffff:127.0.0.1]", "0.0.0.0", "127.0.0.2", "127.0.0.1.nip.io"} {
			for _, scheme := range []string{"http", "https"} {
				cases = append(cases, attackCase{"loopback " + scheme + " " + host + ":" + port,
					scheme + "://" + host + ":" + port + "/_poseidon/health", "refused"})
			}
		}
	}
	// Other spellings of the allowed host.
	for _, host := range []string{"localhost", "[::1]", "2130706433", "0x7f.1", "127.1"} {
		cases = append(cases, attackCase{"allowed host as " + host, "http://" + host + ":" + strings.TrimPrefix(fileHost, "127.0.0.1:") + "/x.csv", "refused"})
	}

	loot := &attackLoot{}
	var refused, unread int
	unreadMessages := map[string]string{}
	for _, c := range cases {
		body := `{"name":"attack","importUrl":` + secJSON(c.url) + `}`
		r := tenant.call(t, "StartImportTask", body)
		loot.add("StartImportTask "+c.name, r.Raw)
		switch c.want {
		case "refused":
			if r.Status != 400 || r.Type != "InvalidParameterValueException" {
				t.Errorf("%s (%s): HTTP %d %s, want 400 InvalidParameterValueException", c.name, c.url, r.Status, r.Raw)
				continue
			}
			refused++
		case "unread":
			if r.Status != 200 {
				t.Errorf("%s (%s): HTTP %d %s, want the task accepted", c.name, c.url, r.Status, r.Raw)
				continue
			}
			st := attackWait(t, tenant, secStr(r.Body, "task", "importTaskId"))
			if st["status"] != "IMPORT_FAILED" || st["serverImportSuccess"] != 0.0 {
				t.Errorf("%s (%s): %v, want IMPORT_FAILED with nothing imported", c.name, c.url, st)
				continue
			}
			zipURL, _ := st["errorsAndFailedEntriesZip"].(string)
			code, zb := download(t, zipURL)
			if code != 200 {
				t.Errorf("%s: errors zip HTTP %d", c.name, code)
				continue
			}
			files := unzip(t, zb)
			loot.add("errors zip "+c.name, string(zb))
			for n, f := range files {
				loot.add("errors zip "+c.name+" "+n, f)
			}
			if strings.Contains(files["errors-file.csv"], data) || strings.Contains(files["errors-file.csv"], root) {
				t.Errorf("%s: the errors zip names a server path: %q", c.name, files["errors-file.csv"])
			}
			if files["failed-entries-file.csv"] != "" {
				t.Errorf("%s: failed entries from a file the tenant may not read: %q", c.name, files["failed-entries-file.csv"])
			}
			unreadMessages[c.name] = files["errors-file.csv"]
			unread++
		}
	}
	// The victim's bucket answers exactly as a bucket that does not exist.
	want := unreadMessages["missing bucket"]
	if !strings.Contains(want, "Access Denied") {
		t.Errorf("missing bucket: %q", want)
	}
	for name, got := range unreadMessages {
		if got != want {
			t.Errorf("%s: errors file %q, want the same as for a missing bucket %q", name, got, want)
		}
	}

	// The tenant's own data works through every allowed route.
	for _, u := range []string{"s3://mine/good.csv", "file://" + shared + "/tenant.csv", fileSrv.URL + "/tenant.csv"} {
		if st := attackImport(t, tenant, "own", u); st["status"] != "IMPORT_COMPLETE" || st["serverImportSuccess"] != 1.0 {
			t.Errorf("own import %s: %v", u, st)
		}
	}

	// A clientRequestToken already used is answered first: the same
	// request gets its task back, any other (even a refused URL)
	// ResourceInUseException.
	first := tenant.call(t, "StartImportTask", `{"clientRequestToken":"tenant-tok","name":"tok","importUrl":"s3://mine/good.csv"}`).ok(t, "token")
	again := tenant.call(t, "StartImportTask", `{"clientRequestToken":"tenant-tok","name":"tok","importUrl":"s3://mine/good.csv"}`).ok(t, "token again")
	if secStr(first, "task", "importTaskId") != secStr(again, "task", "importTaskId") {
		t.Errorf("same token, same request: %v then %v", first, again)
	}
	for _, u := range []string{"file:///proc/self/cmdline", "s3://mine/other.csv"} {
		r := tenant.call(t, "StartImportTask", `{"clientRequestToken":"tenant-tok","name":"tok","importUrl":`+secJSON(u)+`}`)
		loot.add("token reuse", r.Raw)
		if r.Status != 400 || r.Type != "ResourceInUseException" {
			t.Errorf("token reuse with %s: HTTP %d %s, want ResourceInUseException", u, r.Status, r.Raw)
		}
	}
	attackWait(t, tenant, secStr(first, "task", "importTaskId"))

	// A signature that leaves X-Amz-Target out cannot be re-aimed.
	retarget := attackUnsignedTarget(t, p.URL, "BatchDeleteImportData", `{"importTaskIds":["`+secStr(first, "task", "importTaskId")+`"]}`)
	if retarget.Status != 403 || retarget.Type != "InvalidSignatureException" {
		t.Errorf("unsigned X-Amz-Target: HTTP %d %s", retarget.Status, retarget.Raw)
	}
	loot.add("unsigned target", retarget.Raw)

	// Everything the tenant can list, and what the same account's
	// administrator can export.
	for next := ""; ; {
		body := `{"maxResults":7}`
		if next != "" {
			body = `{"maxResults":7,"nextToken":` + secJSON(next) + `}`
		}
		r := tenant.call(t, "DescribeImportTasks", body)
		loot.add("DescribeImportTasks", r.Raw)
		out := r.ok(t, "DescribeImportTasks")
		for _, tk := range out["tasks"].([]any) {
			if z, _ := tk.(map[string]any)["errorsAndFailedEntriesZip"].(string); z != "" {
				if strings.Contains(z, "X-Amz-Signature=") {
					// The same URL with a second signature is refused.
					if code, b := secGet(t, z+"&X-Amz-Signature="+strings.Repeat("0", 64)); code != 403 || !strings.Contains(b, "AccessDenied") {
						t.Errorf("errors zip with a repeated signature: HTTP %d %s", code, b)
					}
				}
			}
		}
		if next, _ = out["nextToken"].(string); next == "" {
			break
		}
	}
	exp := admin.call(t, "StartExportTask", `{}`).ok(t, "admin export")
	info := secWaitExport(t, admin, secStr(exp, "exportId"))
	loot.add("DescribeExportTasks", secJSON(info))
	code, zb := download(t, secStr(info, "configurationsDownloadUrl"))
	if code != 200 {
		t.Fatalf("admin export: HTTP %d", code)
	}
	for n, f := range unzip(t, zb) {
		loot.add("export "+n, f)
	}
	// The tenant identity may not call anything else.
	if r := tenant.call(t, "StartExportTask", `{}`); r.Status != 400 || r.Type != "AuthorizationErrorException" {
		t.Errorf("tenant StartExportTask: HTTP %d %s", r.Status, r.Raw)
	}

	// No secret in anything fetched.
	secrets := map[string]string{
		"control token": token, "environment canary": canary, "/etc/passwd": "root:x:0:", "SQLite header": "SQLite format 3",
		"victim's row": victimMarker, "tenant secret": secretT, "administrator secret": secretT2, "victim secret": secretA,
		"canary HTTP body": "CANARY-HTTP-BODY", "credentials file": `"identities"`,
	}
	for _, item := range loot.items {
		for what, s := range secrets {
			if strings.Contains(item, s) {
				t.Errorf("the %s is in what the tenant fetched: %.300q", what, item)
			}
		}
	}
	if n := canaryHits.Load(); n != 0 {
		t.Errorf("the canary listener was reached %d times", n)
	}

	// The control API: no token, a wrong one, the tenant's own
	// credentials, and every word of everything fetched as a token.
	controlTries, controlRefused := 0, 0
	tryControl := func(what string, req *http.Request, want int) {
		controlTries++
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("control API with %s: HTTP %d, want %d", what, resp.StatusCode, want)
			return
		}
		controlRefused++
	}
	resetReq := func(auth, body string) *http.Request {
		req, _ := http.NewRequest(http.MethodPost, p.URL+"/_poseidon/reset", strings.NewReader(body))
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		return req
	}
	tryControl("no token", resetReq("", ""), 401)
	tryControl("no token, one account", resetReq("", `{"accountId":"`+acctA+`"}`), 401)
	tryControl("a wrong token", resetReq("Bearer not-the-token", ""), 403)
	tryControl("the tenant's secret", resetReq("Bearer "+secretT, ""), 403)
	signed := resetReq("", "")
	if _, err := v1sign.NewSigner(credentials.NewStaticCredentials(keyT, secretT, "")).Sign(signed, nil, "discovery", region, time.Now()); err != nil {
		t.Fatal(err)
	}
	tryControl("the tenant's SigV4 signature", signed, 401)
	words := map[string]bool{}
	for _, item := range loot.items {
		for _, w := range strings.FieldsFunc(item, func(r rune) bool { return strings.ContainsRune(" \t\r\n\",:{}[]<>=&?'", r) }) {
			if len(w) >= 8 && len(words) < 400 && tokenWord.MatchString(w) {
				words[w] = true
			}
		}
	}
	for w := range words {
		tryControl("a fetched word as token", resetReq("Bearer "+w, ""), 403)
	}
	if got := secJSON(victim.call(t, "ListConfigurations", `{"configurationType":"SERVER"}`).ok(t, "victim servers")["configurations"]); got != victimBefore {
		t.Errorf("the victim's servers changed: %s, were %s", got, victimBefore)
	}
	hosts := attackHosts(t, admin)
	if strings.Join(hosts, ",") != "tenant-file-host,tenant-host,tenant-http-host" {
		t.Errorf("the tenant's servers: %v", hosts)
	}
	t.Logf("%d attack URLs: %d refused by StartImportTask, %d accepted and ended IMPORT_FAILED without reading a byte; "+
		"%d control API calls refused (%d fetched words tried as the token); %d answers, %d bytes searched for %d secrets: none found; canary listener hits: %d",
		len(cases), refused, unread, controlRefused, len(words), len(loot.items), loot.bytes, len(secrets), canaryHits.Load())
}

// A server without --import-allow-dir and --import-allow-host refuses
// file:// and http(s):// import URLs in strict mode, even to a file or a
// host that exists.
func TestTenantFileAndHTTPOffByDefault(t *testing.T) {
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, importHeader+"x,,,h,Linux,2,,,\n")
	}))
	defer hs.Close()
	s, _ := secStart(t, "--credentials", writeCredentials(t), "--control-token", "tok")
	f := filepath.Join(t.TempDir(), "ok.csv")
	mustWrite(t, f, importHeader+"x,,,h,Linux,2,,,\n")
	a := &secCaller{url: s.URL, akid: keyA, secret: secretA}
	for _, u := range []string{"file://" + f, hs.URL + "/ok.csv"} {
		r := a.call(t, "StartImportTask", `{"name":"x","importUrl":`+secJSON(u)+`}`)
		if r.Status != 400 || r.Type != "InvalidParameterValueException" || !strings.Contains(r.Raw, "turned off") {
			t.Errorf("%s: HTTP %d %s", u, r.Status, r.Raw)
		}
	}
}

// The control API's reset removes an account's files with its data:
// {"accountId"} only that account's (buckets, errors zips, export files,
// continuous export data), an empty body every account's.
func TestTenantResetRemovesFiles(t *testing.T) {
	const tok = "reset-files-token"
	s, _ := secStart(t, "--credentials", writeCredentials(t), "--control-token", tok)
	a := &secCaller{url: s.URL, akid: keyA, secret: secretA}
	b := &secCaller{url: s.URL, akid: keyB, secret: secretB}
	files := map[string][]string{}
	downloads := map[string]string{} // each account's export's URL
	for _, x := range []struct {
		acct, key, secret string
		c                 *secCaller
	}{{acctA, keyA, secretA, a}, {acctB, keyB, secretB, b}} {
		bucketFile := filepath.Join(s.Data, "buckets", x.acct, "b", "half-bad.csv")
		mustWrite(t, bucketFile, importHeader+"ok,,,h-"+x.acct+",Linux,2,,,\n,,,,Linux,2,,,\n")
		st := attackImport(t, x.c, "half bad", "s3://b/half-bad.csv")
		if st["status"] != "IMPORT_COMPLETE_WITH_ERRORS" {
			t.Fatalf("%s import: %v", x.acct, st)
		}
		exp := x.c.call(t, "StartExportTask", `{}`).ok(t, "export")
		e := secWaitExport(t, x.c, secStr(exp, "exportId"))
		if e["exportStatus"] != "SUCCEEDED" {
			t.Fatalf("%s export: %v", x.acct, e)
		}
		downloads[x.acct] = secStr(e, "configurationsDownloadUrl")
		ce := x.c.call(t, "StartContinuousExport", `{}`).ok(t, "continuous export")
		bucket := secStr(ce, "s3Bucket")
		if code, out := control(t, s.URL, "clock", tok, map[string]any{"advanceSeconds": 20}); code != 200 {
			t.Fatalf("clock: %d %v", code, out)
		}
		body, _ := json.Marshal(agentdata.Batch{Reports: []agentdata.Report{secAgentReport(1)}})
		if code, _, out := intakeCall(t, s.URL, x.key, x.secret, body); code != 200 {
			t.Fatalf("intake: %d %v", code, out)
		}
		files[x.acct] = []string{bucketFile, filepath.Join(s.Data, "imports", x.acct)}
		if !onPostgres { // else the export archives and continuous export buckets are in the database
			files[x.acct] = append(files[x.acct], filepath.Join(s.Data, "exports", x.acct), filepath.Join(s.Data, "continuous-exports", bucket))
		}
		for _, f := range files[x.acct] {
			if _, err := os.Stat(f); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
		}
	}
	if code, out := control(t, s.URL, "reset", tok, map[string]any{"accountId": acctA}); code != 200 {
		t.Fatalf("reset A: %d %v", code, out)
	}
	for acct, fs := range files {
		for _, f := range fs {
			_, err := os.Stat(f)
			if gone := os.IsNotExist(err); gone != (acct == acctA) {
				t.Errorf("after resetting %s: %s exists = %v", acctA, f, !gone)
			}
		}
	}
	for acct, u := range downloads {
		code, _ := secGet(t, u)
		if served := code == 200; served != (acct != acctA) {
			t.Errorf("after resetting %s: %s's export download answers %d", acctA, acct, code)
		}
	}
	if tasks := a.call(t, "DescribeImportTasks", `{}`).ok(t, "A tasks")["tasks"].([]any); len(tasks) != 0 {
		t.Errorf("A's tasks after its reset: %v", tasks)
	}
	if tasks := b.call(t, "DescribeImportTasks", `{}`).ok(t, "B tasks")["tasks"].([]any); len(tasks) != 1 {
		t.Errorf("B's tasks after A's reset: %v", tasks)
	}
	for _, bad := range []map[string]any{{"accountId": "12"}, {"accountId": 1}, {"account": acctA}} {
		if code, _ := control(t, s.URL, "reset", tok, bad); code != 400 {
			t.Errorf("reset %v: HTTP %d, want 400", bad, code)
		}
	}
	if code, out := control(t, s.URL, "reset", tok, map[string]any{}); code != 200 {
		t.Fatalf("reset: %d %v", code, out)
	}
	var left []string
	filepath.WalkDir(s.Data, func(p string, d os.DirEntry, err error) error {
		// The store's files (SQLite), or the ID of the data directory
		// (PostgreSQL), are not account data.
		if err == nil && !d.IsDir() && !strings.HasPrefix(d.Name(), "poseidon.db") && d.Name() != "poseidon-dir-id" {
			left = append(left, p)
		}
		return nil
	})
	if len(left) != 0 {
		t.Errorf("files left after a reset: %v", left)
	}
}

// tokenWord is what could be a bearer token (and be sent in a header).
var tokenWord = regexp.MustCompile(`^[A-Za-z0-9._~+/-]+$`)

func attackImport(t *testing.T, c *secCaller, name, u string) map[string]any {
	t.Helper()
	r := c.call(t, "StartImportTask", `{"name":`+secJSON(name)+`,"importUrl":`+secJSON(u)+`}`).ok(t, "import "+u)
	return attackWait(t, c, secStr(r, "task", "importTaskId"))
}

func attackWait(t *testing.T, c *secCaller, id string) map[string]any {
	t.Helper()
	out := secWait(t, c, "DescribeImportTasks", `{"filters":[{"name":"IMPORT_TASK_ID","values":["`+id+`"]}]}`, func(m map[string]any) bool {
		f := secFirst(m, "tasks")
		return f != nil && f["status"] != "IMPORT_IN_PROGRESS"
	})
	return secFirst(out, "tasks")
}

// attackHosts lists the account's server host names.
func attackHosts(t *testing.T, c *secCaller) []string {
	t.Helper()
	var hosts []string
	for _, m := range c.call(t, "ListConfigurations", `{"configurationType":"SERVER"}`).ok(t, "servers")["configurations"].([]any) {
		hosts = append(hosts, m.(map[string]any)["server.hostName"].(string))
	}
	sort.Strings(hosts)
	return hosts
}

// attackUnsignedTarget sends op signed by the tenant administrator over
// host and x-amz-date only (the target is set after signing).
func attackUnsignedTarget(t *testing.T, url, op, body string) secResp {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+"/", strings.NewReader(body))
	if _, err := v1sign.NewSigner(credentials.NewStaticCredentials(keyT2, secretT2, "")).Sign(req, strings.NewReader(body), "discovery", region, time.Now()); err != nil {
		t.Fatal(err)
	}
	if sh := req.Header.Get("Authorization"); !strings.Contains(sh, "SignedHeaders=host;x-amz-date,") {
		t.Fatalf("signed more than host;x-amz-date: %s", sh)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AWSPoseidonService_V2015_11_01."+op)
	return secDo(t, req)
}

func mustWrite(t *testing.T, p, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustSymlink(t *testing.T, target, p string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, p); err != nil {
		t.Fatal(err)
	}
}
