package sigv4

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v2signer "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const exportService = "s3"

func secrets(akid string) (string, bool) {
	if akid == testAKID {
		return testSecret, true
	}
	return "", false
}

// get fetches rawURL from the capture server with a plain HTTP GET.
func (c *capture) get(t *testing.T, rawURL string) received {
	t.Helper()
	return c.send(t, wireReq{Method: http.MethodGet, URL: rawURL, Header: http.Header{}})
}

func mustPresign(t *testing.T, rawURL string) string {
	t.Helper()
	u, err := Presign(rawURL, testAKID, testSecret, testRegion, exportService, testTime, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestPresignShape(t *testing.T) {
	u := mustPresign(t, "http://127.0.0.1:8080/poseidon-exports/123/export-x.zip")
	parsed, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	if parsed.Scheme != "http" || parsed.Host != "127.0.0.1:8080" || parsed.EscapedPath() != "/poseidon-exports/123/export-x.zip" {
		t.Fatalf("url %s", u)
	}
	q := parsed.Query()
	want := map[string]string{
		"X-Amz-Algorithm":     "AWS4-HMAC-SHA256",
		"X-Amz-Credential":    testAKID + "/20260315/us-west-2/s3/aws4_request",
		"X-Amz-Date":          "20260315T123456Z",
		"X-Amz-Expires":       "86400",
		"X-Amz-SignedHeaders": "host",
	}
	for k, v := range want {
		if q.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, q.Get(k), v)
		}
	}
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(q.Get("X-Amz-Signature")) || len(q) != 6 {
		t.Fatalf("query %v", q)
	}
	for _, bad := range []struct {
		url string
		exp time.Duration
	}{
		{"/relative/path", time.Hour},
		{"http://h/x", 0},
		{"http://h/x", 8 * 24 * time.Hour},
		{"http://h/x", 1500 * time.Millisecond},
		{"http://h/%zz", time.Hour},
	} {
		if _, err := Presign(bad.url, testAKID, testSecret, testRegion, exportService, testTime, bad.exp); err == nil {
			t.Errorf("Presign(%q, %v) succeeded", bad.url, bad.exp)
		}
	}
	// A default port is left out of the URL, as the signer leaves it out of
	// the signed host.
	for _, raw := range []string{"http://127.0.0.1:80/x.zip", "https://127.0.0.1:443/x.zip"} {
		signed := mustPresign(t, raw)
		pu, _ := url.Parse(signed)
		r := &http.Request{Method: http.MethodGet, URL: pu, Host: pu.Host, Header: http.Header{}}
		if _, err := VerifyPresigned(r, secrets, exportService, testTime.Add(time.Minute)); err != nil || pu.Host != "127.0.0.1" {
			t.Fatalf("%s: %s %v", raw, signed, err)
		}
	}
	// Presigning a presigned URL replaces the old parameters.
	again, err := Presign(u, testAKID, testSecret, testRegion, exportService, testTime.Add(time.Hour), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	q2, _ := url.ParseQuery(strings.SplitN(again, "?", 2)[1])
	if len(q2) != 6 || q2.Get("X-Amz-Expires") != "3600" || q2.Get("X-Amz-Date") != "20260315T133456Z" {
		t.Fatalf("re-presigned %s", again)
	}
}

func TestPresignRoundTrip(t *testing.T) {
	c := newCapture(t)
	paths := map[string]string{ // escaped path -> path the server decodes
		"/poseidon-exports/123/export-x.zip":                    "/poseidon-exports/123/export-x.zip",
		"/poseidon-exports/123/export%20x%2By%25z%2Fw.zip":      "/poseidon-exports/123/export x+y%z/w.zip",
		"/poseidon-exports/123/%C3%A9t%C3%A9%20(1)~_.-!$&'.zip": "/poseidon-exports/123/été (1)~_.-!$&'.zip",
	}
	for escaped, decoded := range paths {
		u := mustPresign(t, c.srv.URL+escaped+"?response-content-type=application%2Fzip")
		if !strings.Contains(u, escaped+"?") {
			t.Fatalf("escaped path not kept: %s", u)
		}
		rec := c.get(t, u)
		if rec.r.URL.Path != decoded {
			t.Fatalf("server path %q, want %q", rec.r.URL.Path, decoded)
		}
		akid, err := VerifyPresigned(rec.r, secrets, exportService, testTime.Add(time.Minute))
		if err != nil || akid != testAKID {
			t.Fatalf("%s: %q %v", escaped, akid, err)
		}
		// Right up to the end of the window.
		if _, err := VerifyPresigned(rec.r, secrets, exportService, testTime.Add(24*time.Hour)); err != nil {
			t.Fatalf("at expiry: %v", err)
		}
	}
}

func TestVerifyPresignedFailures(t *testing.T) {
	c := newCapture(t)
	good := mustPresign(t, c.srv.URL+"/poseidon-exports/123/export-x.zip")
	now := testTime.Add(time.Minute)
	editQuery := func(f func(url.Values)) string {
		u, _ := url.Parse(good)
		q := u.Query()
		f(q)
		u.RawQuery = q.Encode()
		return u.String()
	}
	sig := func() string { u, _ := url.Parse(good); return u.Query().Get("X-Amz-Signature") }()
	flipped := []byte(sig)
	if flipped[10] == '0' {
		flipped[10] = '1'
	} else {
		flipped[10] = '0'
	}

	cases := []struct {
		name      string
		url       string
		method    string
		secretFor func(string) (string, bool)
		service   string
		now       time.Time
		code, msg string
	}{
		{name: "expired", url: good, now: testTime.Add(24*time.Hour + time.Second), code: CodeAccessDenied, msg: "Request has expired"},
		{name: "not-yet-valid", url: good, now: testTime.Add(-16 * time.Minute), code: CodeAccessDenied, msg: "Request is not valid yet"},
		{name: "tampered-path", url: strings.Replace(good, "export-x.zip", "export-y.zip", 1), code: CodeSignatureDoesNotMatch,
			msg: "The request signature we calculated does not match the signature you provided."},
		{name: "tampered-path-escaping", url: strings.Replace(good, "export-x.zip", "export%2Dx.zip", 1), code: CodeSignatureDoesNotMatch},
		{name: "tampered-account", url: strings.Replace(good, "/123/", "/124/", 1), code: CodeSignatureDoesNotMatch},
		{name: "tampered-expires", url: editQuery(func(q url.Values) { q.Set("X-Amz-Expires", "604800") }), code: CodeSignatureDoesNotMatch},
		{name: "tampered-date", url: editQuery(func(q url.Values) { q.Set("X-Amz-Date", "20260315T123356Z") }), code: CodeSignatureDoesNotMatch},
		{name: "tampered-scope-date", url: editQuery(func(q url.Values) {
			q.Set("X-Amz-Credential", strings.Replace(q.Get("X-Amz-Credential"), "20260315", "20260316", 1))
		}), code: CodeSignatureDoesNotMatch},
		{name: "tampered-region", url: editQuery(func(q url.Values) {
			q.Set("X-Amz-Credential", strings.Replace(q.Get("X-Amz-Credential"), testRegion, "us-east-1", 1))
		}), code: CodeSignatureDoesNotMatch},
		{name: "added-param", url: editQuery(func(q url.Values) { q.Set("response-content-disposition", "inline") }), code: CodeSignatureDoesNotMatch},
		{name: "tampered-signature", url: editQuery(func(q url.Values) { q.Set("X-Amz-Signature", string(flipped)) }), code: CodeSignatureDoesNotMatch},
		{name: "wrong-secret", url: good, secretFor: func(string) (string, bool) { return "other-secret", true }, code: CodeSignatureDoesNotMatch},
		{name: "unknown-key", url: good, secretFor: func(string) (string, bool) { return "", false }, code: CodeInvalidAccessKeyID},
		{name: "head-instead-of-get", url: good, method: http.MethodHead, code: CodeSignatureDoesNotMatch},
		{name: "wrong-service", url: good, service: "discovery", code: CodeAccessDenied,
			msg: `Error parsing the X-Amz-Credential parameter; incorrect service "s3". This endpoint belongs to "discovery".`},
		{name: "no-parameters", url: c.srv.URL + "/poseidon-exports/123/export-x.zip", code: CodeAccessDenied, msg: "Access Denied"},
		{name: "missing-signature", url: editQuery(func(q url.Values) { q.Del("X-Amz-Signature") }), code: CodeAccessDenied,
			msg: "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."},
		{name: "missing-expires", url: editQuery(func(q url.Values) { q.Del("X-Amz-Expires") }), code: CodeAccessDenied, msg: "requires the X-Amz-Algorithm"},
		{name: "bad-algorithm", url: editQuery(func(q url.Values) { q.Set("X-Amz-Algorithm", "AWS4-HMAC-SHA1") }), code: CodeAccessDenied,
			msg: `X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"`},
		{name: "bad-credential", url: editQuery(func(q url.Values) { q.Set("X-Amz-Credential", testAKID+"/20260315/s3/aws4_request") }),
			code: CodeAccessDenied, msg: "Error parsing the X-Amz-Credential parameter; the Credential is mal-formed"},
		{name: "bad-date", url: editQuery(func(q url.Values) { q.Set("X-Amz-Date", "2026-03-15T12:34:56Z") }), code: CodeAccessDenied,
			msg: "X-Amz-Date must be in the ISO8601 Long Format"},
		{name: "bad-expires", url: editQuery(func(q url.Values) { q.Set("X-Amz-Expires", "1e3") }), code: CodeAccessDenied,
			msg: "X-Amz-Expires should be a number"},
		{name: "expires-over-a-week", url: editQuery(func(q url.Values) { q.Set("X-Amz-Expires", "604801") }), code: CodeAccessDenied,
			msg: "X-Amz-Expires must be less than a week"},
		{name: "host-not-signed", url: editQuery(func(q url.Values) { q.Set("X-Amz-SignedHeaders", "x-amz-date") }), code: CodeAccessDenied,
			msg: "host"},
		// A repeated signing parameter is refused even when its first value
		// is the valid one (the canonical query drops every X-Amz-Signature,
		// so a second one would otherwise ride along unchecked).
		{name: "repeated-signature-after", url: good + "&X-Amz-Signature=" + string(flipped), code: CodeAccessDenied,
			msg: "Each X-Amz-* authentication parameter may appear only once; X-Amz-Signature appears more than once."},
		{name: "repeated-signature-before", url: strings.Replace(good, "?", "?X-Amz-Signature="+sig+"&", 1), code: CodeAccessDenied,
			msg: "X-Amz-Signature appears more than once"},
		{name: "repeated-credential", url: good + "&X-Amz-Credential=x", code: CodeAccessDenied, msg: "X-Amz-Credential appears more than once"},
		{name: "repeated-date", url: good + "&X-Amz-Date=20260315T123456Z", code: CodeAccessDenied, msg: "X-Amz-Date appears more than once"},
		{name: "repeated-expires", url: good + "&X-Amz-Expires=1", code: CodeAccessDenied, msg: "X-Amz-Expires appears more than once"},
		{name: "repeated-signed-headers", url: good + "&X-Amz-SignedHeaders=host", code: CodeAccessDenied, msg: "X-Amz-SignedHeaders appears more than once"},
		{name: "repeated-algorithm", url: good + "&X-Amz-Algorithm=AWS4-HMAC-SHA256", code: CodeAccessDenied, msg: "X-Amz-Algorithm appears more than once"},
		{name: "repeated-security-token", url: good + "&X-Amz-Security-Token=a&X-Amz-Security-Token=b", code: CodeAccessDenied,
			msg: "X-Amz-Security-Token appears more than once"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			method := http.MethodGet
			if tc.method != "" {
				method = tc.method
			}
			rec := c.send(t, wireReq{Method: method, URL: tc.url, Header: http.Header{}})
			sf, service, at := secrets, exportService, now
			if tc.secretFor != nil {
				sf = tc.secretFor
			}
			if tc.service != "" {
				service = tc.service
			}
			if !tc.now.IsZero() {
				at = tc.now
			}
			akid, err := VerifyPresigned(rec.r, sf, service, at)
			if akid != "" {
				t.Fatalf("returned access key %q with error %v", akid, err)
			}
			wantErr(t, err, tc.code, 403, tc.msg)
		})
	}
}

// TestPresignMatchesOtherPresigners: botocore's S3 presigner and the v2 SDK's
// presigner (S3 settings) produce URLs VerifyPresigned accepts, and the very
// same URL as Presign for the same inputs.
func TestPresignMatchesOtherPresigners(t *testing.T) {
	c := newCapture(t)
	for _, path := range []string{"/poseidon-exports/123/export-x.zip", "/poseidon-exports/123/export%20x%2By.zip"} {
		raw := c.srv.URL + path
		ours := mustPresign(t, raw)
		ourSig := sigOf(t, ours)

		t.Run("botocore"+path, func(t *testing.T) {
			res := runBotocore(t, signInput{method: http.MethodGet, url: raw, region: testRegion, service: exportService,
				at: testTime, expires: 24 * time.Hour}, "s3query", false)
			if res.URL != ours {
				t.Errorf("botocore's URL differs:\nbotocore %s\nours     %s", res.URL, ours)
			}
			if got := sigOf(t, res.URL); got != ourSig {
				t.Fatalf("botocore signature %s != ours %s\nbotocore %s\nours     %s", got, ourSig, res.URL, ours)
			}
			rec := c.get(t, res.URL)
			if _, err := VerifyPresigned(rec.r, secrets, exportService, testTime.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
		})
		t.Run("aws-sdk-go-v2"+path, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, raw, nil)
			if err != nil {
				t.Fatal(err)
			}
			q := req.URL.Query()
			q.Set("X-Amz-Expires", "86400")
			req.URL.RawQuery = q.Encode()
			u, _, err := v2signer.NewSigner().PresignHTTP(context.Background(),
				aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecret}, req, "UNSIGNED-PAYLOAD",
				exportService, testRegion, testTime, func(o *v2signer.SignerOptions) { o.DisableURIPathEscaping = true })
			if err != nil {
				t.Fatal(err)
			}
			if u != ours {
				t.Errorf("v2's URL differs:\nv2   %s\nours %s", u, ours)
			}
			if got := sigOf(t, u); got != ourSig {
				t.Fatalf("v2 signature %s != ours %s", got, ourSig)
			}
			rec := c.get(t, u)
			if _, err := VerifyPresigned(rec.r, secrets, exportService, testTime.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func sigOf(t *testing.T, rawURL string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("X-Amz-Signature")
}

// Presigned URLs are remembered within one second of signing time: every
// input still decides the URL. Each variant below is presigned twice (the
// second answer may come from the memory) and must equal what a signer
// with an empty memory makes of it, and differ from the others.
func TestPresignMemory(t *testing.T) {
	const base = "http://127.0.0.1:8080/poseidon-exports/123/export-x.zip"
	type in struct {
		url, akid, secret, region, service string
		t                                  time.Time
		exp                                time.Duration
	}
	std := in{base, testAKID, testSecret, testRegion, exportService, testTime, time.Hour}
	variants := []in{std}
	for i := range 7 {
		v := std
		switch i {
		case 0:
			v.url = base + "2"
		case 1:
			v.akid = "AKIDOTHER0000000000"
		case 2:
			v.secret = "another secret"
		case 3:
			v.region = "eu-west-1"
		case 4:
			v.service = "execute-api"
		case 5:
			v.t = testTime.Add(time.Second)
		case 6:
			v.exp = 2 * time.Hour
		}
		variants = append(variants, v)
	}
	presignAll := func() []string {
		var out []string
		for _, v := range variants {
			u, err := Presign(v.url, v.akid, v.secret, v.region, v.service, v.t, v.exp)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, u)
		}
		return out
	}
	fresh := func() []string {
		var out []string
		for _, v := range variants {
			presigned.put(0, presignKey{}, "") // a new second: the memory is emptied
			u, err := Presign(v.url, v.akid, v.secret, v.region, v.service, v.t, v.exp)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, u)
		}
		return out
	}
	want := fresh()
	for round := range 2 {
		got := presignAll()
		seen := map[string]int{}
		for i, u := range got {
			if u != want[i] {
				t.Fatalf("round %d, variant %d: %s; a fresh signer makes %s", round, i, u, want[i])
			}
			if j, dup := seen[u]; dup {
				t.Fatalf("variants %d and %d got the same URL %s", j, i, u)
			}
			seen[u] = i
		}
	}
}
