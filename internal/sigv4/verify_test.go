package sigv4

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

const skew = 15 * time.Minute

// check parses and verifies what the server received, as the server will.
func check(rec received, secret, service string, now time.Time) (*Signature, error) {
	sig, err := Parse(rec.r)
	if err != nil {
		return nil, err
	}
	if sig == nil {
		return nil, MissingToken()
	}
	return sig, sig.Verify(rec.r, rec.body, secret, service, now, skew)
}

type verifyCase struct {
	name    string
	mod     func(signInput) signInput // change what the client signs
	tamper  func(*wireReq)            // change the request after signing
	secret  string                    // verify with this secret (default testSecret)
	service string                    // want this service (default "discovery")
	now     time.Time                 // server time (default testTime + 1 min)
	code    string                    // "" = success
	status  int
	msg     string // substring of the message
	after   func(t *testing.T, sig *Signature)
}

func runVerifyCases(t *testing.T, c *capture, cs clientSigner, base signInput, cases []verifyCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := base
			in.header = append([][2]string(nil), base.header...)
			if tc.mod != nil {
				in = tc.mod(in)
			}
			w := cs.sign(t, in).clone()
			if tc.tamper != nil {
				tc.tamper(&w)
			}
			rec := c.send(t, w)
			secret, service, now := testSecret, "discovery", testTime.Add(time.Minute)
			if tc.secret != "" {
				secret = tc.secret
			}
			if tc.service != "" {
				service = tc.service
			}
			if !tc.now.IsZero() {
				now = tc.now
			}
			sig, err := check(rec, secret, service, now)
			if tc.code == "" {
				if err != nil {
					t.Fatalf("verify failed: %v\nrequest: %s %s\nheaders: %v", err, rec.r.Method, rec.r.URL, rec.r.Header)
				}
			} else {
				wantErr(t, err, tc.code, tc.status, tc.msg)
			}
			if tc.after != nil {
				tc.after(t, sig)
			}
		})
	}
}

func setHeader(name, value string) func(*wireReq) {
	return func(w *wireReq) { w.Header.Set(name, value) }
}

func withHeaders(kv ...string) func(signInput) signInput {
	return func(in signInput) signInput {
		for i := 0; i+1 < len(kv); i += 2 {
			in.header = append(in.header, [2]string{kv[i], kv[i+1]})
		}
		return in
	}
}

func TestVerifyHeaderForm(t *testing.T) {
	c := newCapture(t)
	body := []byte(`{"exportIds":["export-1234"],"maxResults":10}`)
	base := signInput{
		method: http.MethodPost, url: c.srv.URL + "/",
		header: [][2]string{{"Content-Type", jsonCT}, {"X-Amz-Target", testTarget}},
		body:   body, region: testRegion, service: "discovery", at: testTime,
	}
	mismatch := "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."

	cases := []verifyCase{
		{name: "ok", after: func(t *testing.T, sig *Signature) {
			if sig.AccessKeyID != testAKID || sig.Scope.Region != testRegion || sig.Scope.Service != "discovery" ||
				sig.Scope.Date != "20260315" || !sig.Date.Equal(testTime) || sig.Query || sig.Expires != 0 {
				t.Fatalf("parsed %+v", sig)
			}
		}},
		{name: "ok-signed-content-length-type-target-date-host",
			mod: withHeaders("Content-Length", strconv.Itoa(len(body))),
			after: func(t *testing.T, sig *Signature) {
				got := strings.Join(sig.SignedHeaders, ";")
				for _, h := range []string{"content-length", "content-type", "host", "x-amz-date", "x-amz-target"} {
					if !strings.Contains(got, h) {
						t.Fatalf("client did not sign %s: %s", h, got)
					}
				}
			}},
		{name: "ok-session-token", mod: func(in signInput) signInput { in.token = testToken; return in },
			after: func(t *testing.T, sig *Signature) {
				if sig.SessionToken != testToken || !strings.Contains(strings.Join(sig.SignedHeaders, ";"), "x-amz-security-token") {
					t.Fatalf("token %q not signed: %v", sig.SessionToken, sig.SignedHeaders)
				}
			}},
		{name: "ok-unsigned-header-added-later", tamper: setHeader("X-Added-Later", "yes")},
		{name: "ok-inner-spaces-and-repeated-values",
			mod: withHeaders("X-Custom", "a   b  c", "X-Multi", "one", "X-Multi", " two ")},
		{name: "ok-escaped-path", mod: func(in signInput) signInput { in.url = c.srv.URL + "/a%20b/c%2Fd/%7Ee"; return in }},
		{name: "ok-query-params", mod: func(in signInput) signInput { in.url = c.srv.URL + "/?b=2&a=1&c=x%20y"; return in }},
		{name: "ok-mgh", mod: func(in signInput) signInput { in.service = "mgh"; return in }, service: "mgh"},
		{name: "ok-14-minutes-late", now: testTime.Add(14 * time.Minute)},
		{name: "ok-14-minutes-early", now: testTime.Add(-14 * time.Minute)},

		{name: "tampered-body", tamper: func(w *wireReq) { w.Body = []byte(strings.Replace(string(w.Body), "1234", "9999", 1)) },
			code: CodeInvalidSignature, status: 403, msg: mismatch},
		{name: "tampered-signed-header", tamper: setHeader("X-Amz-Target", "AWSPoseidonService_V2015_11_01.DescribeAgents"),
			code: CodeInvalidSignature, status: 403, msg: mismatch},
		{name: "dropped-signed-header", tamper: func(w *wireReq) { w.Header.Del("X-Amz-Target") },
			code: CodeInvalidSignature, status: 403, msg: mismatch},
		{name: "tampered-date-same-day", tamper: setHeader("X-Amz-Date", testTime.Add(time.Hour).Format(longDateFormat)),
			now: testTime.Add(time.Hour), code: CodeInvalidSignature, status: 403, msg: mismatch},
		{name: "tampered-date-other-day", tamper: setHeader("X-Amz-Date", testTime.Add(24*time.Hour).Format(longDateFormat)),
			now: testTime.Add(24 * time.Hour), code: CodeInvalidSignature, status: 403,
			msg: "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20260315' != '20260316', from '20260316T123456Z'."},
		{name: "wrong-secret", secret: "not-the-secret", code: CodeInvalidSignature, status: 403, msg: mismatch},
		{name: "region-less-scope", mod: func(in signInput) signInput { in.region = ""; return in },
			code: CodeInvalidSignature, status: 403, msg: "Credential should be scoped to a valid region, not ''. "},
		{name: "scope-missing-region-element",
			tamper: func(w *wireReq) {
				w.Header.Set("Authorization", strings.Replace(w.Header.Get("Authorization"), "/"+testRegion+"/", "/", 1))
			},
			code: CodeIncompleteSignature, status: 400,
			msg: "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '" + testAKID + "/20260315/discovery/aws4_request'"},
		{name: "wrong-service", mod: func(in signInput) signInput { in.service = "mgh"; return in },
			code: CodeInvalidSignature, status: 403, msg: "Credential should be scoped to correct service: 'discovery'. "},
		{name: "tampered-session-token", mod: func(in signInput) signInput { in.token = testToken; return in },
			tamper: setHeader("X-Amz-Security-Token", "another-token"), code: CodeInvalidSignature, status: 403, msg: mismatch},
		{name: "tampered-signature", tamper: func(w *wireReq) {
			a := w.Header.Get("Authorization")
			last := a[len(a)-1]
			repl := byte('0')
			if last == '0' {
				repl = '1'
			}
			w.Header.Set("Authorization", a[:len(a)-1]+string(repl))
		}, code: CodeInvalidSignature, status: 403, msg: mismatch},
		{name: "host-not-signed", tamper: func(w *wireReq) {
			w.Header.Set("Authorization", strings.Replace(w.Header.Get("Authorization"), "host;", "", 1))
		}, code: CodeInvalidSignature, status: 403, msg: "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."},
		{name: "16-minutes-late", now: testTime.Add(16 * time.Minute), code: CodeInvalidSignature, status: 403,
			msg: "Signature expired: 20260315T123456Z is now earlier than 20260315T123556Z (20260315T125056Z - 15 min.)"},
		{name: "16-minutes-early", now: testTime.Add(-16 * time.Minute), code: CodeInvalidSignature, status: 403,
			msg: "Signature not yet current: 20260315T123456Z is still later than 20260315T123356Z (20260315T121856Z + 15 min.)"},
	}
	for _, cs := range clientSigners {
		t.Run(cs.name, func(t *testing.T) { runVerifyCases(t, c, cs, base, cases) })
	}
}

func TestVerifyQueryForm(t *testing.T) {
	c := newCapture(t)
	base := signInput{
		query: true, method: http.MethodGet, url: c.srv.URL + "/?extra=a%20b",
		header: [][2]string{{"X-Amz-Target", testTarget}},
		region: testRegion, service: "discovery", at: testTime, expires: 5 * time.Minute,
	}
	mismatch := "The request signature we calculated does not match"
	tamperQuery := func(f func(url.Values)) func(*wireReq) {
		return func(w *wireReq) {
			u, _ := url.Parse(w.URL)
			q := u.Query()
			f(q)
			u.RawQuery = q.Encode()
			w.URL = u.String()
		}
	}
	cases := []verifyCase{
		{name: "ok", after: func(t *testing.T, sig *Signature) {
			if !sig.Query || sig.Expires != 5*time.Minute || !sig.Date.Equal(testTime) || sig.Scope.Region != testRegion {
				t.Fatalf("parsed %+v", sig)
			}
		}},
		{name: "ok-until-expiry", now: testTime.Add(5 * time.Minute)},
		{name: "ok-session-token", mod: func(in signInput) signInput { in.token = testToken; return in },
			after: func(t *testing.T, sig *Signature) {
				if sig.SessionToken != testToken {
					t.Fatalf("token %q", sig.SessionToken)
				}
			}},
		{name: "ok-long-expiry-past-skew", mod: func(in signInput) signInput { in.expires = time.Hour; return in },
			now: testTime.Add(40 * time.Minute)},
		{name: "expired", now: testTime.Add(5*time.Minute + time.Second), code: CodeInvalidSignature, status: 403,
			msg: "Request has expired"},
		{name: "not-yet-current", now: testTime.Add(-16 * time.Minute), code: CodeInvalidSignature, status: 403,
			msg: "Signature not yet current: 20260315T123456Z is still later than"},
		{name: "tampered-query-param", tamper: tamperQuery(func(q url.Values) { q.Set("extra", "changed") }),
			code: CodeInvalidSignature, status: 403, msg: mismatch},
		{name: "added-query-param", tamper: tamperQuery(func(q url.Values) { q.Set("added", "1") }),
			code: CodeInvalidSignature, status: 403, msg: mismatch},
		{name: "tampered-expires", tamper: tamperQuery(func(q url.Values) { q.Set("X-Amz-Expires", "3600") }),
			code: CodeInvalidSignature, status: 403, msg: mismatch},
		{name: "tampered-signature", tamper: tamperQuery(func(q url.Values) {
			s := q.Get("X-Amz-Signature")
			q.Set("X-Amz-Signature", strings.Repeat("0", len(s)))
		}), code: CodeInvalidSignature, status: 403, msg: mismatch},
		{name: "wrong-secret", secret: "nope", code: CodeInvalidSignature, status: 403, msg: mismatch},
		{name: "wrong-service", mod: func(in signInput) signInput { in.service = "mgh"; return in },
			code: CodeInvalidSignature, status: 403, msg: "Credential should be scoped to correct service: 'discovery'. "},
	}
	for _, cs := range clientSigners {
		t.Run(cs.name, func(t *testing.T) { runVerifyCases(t, c, cs, base, cases) })
	}
}

// TestVerifyDateHeader: botocore signs with the Date header (RFC 5322, zone
// "-0000") instead of X-Amz-Date when the request already has one.
func TestVerifyDateHeader(t *testing.T) {
	c := newCapture(t)
	in := signInput{
		method: http.MethodPost, url: c.srv.URL + "/",
		header: [][2]string{{"Content-Type", jsonCT}, {"X-Amz-Target", testTarget}, {"Date", "placeholder"}},
		body:   []byte(`{}`), region: testRegion, service: "discovery", at: testTime,
	}
	w := signBotocore(t, in)
	if w.Header.Get("X-Amz-Date") != "" || w.Header.Get("Date") == "" {
		t.Fatalf("botocore did not sign with Date: %v", w.Header)
	}
	rec := c.send(t, w)
	sig, err := check(rec, testSecret, "discovery", testTime.Add(time.Minute))
	if err != nil {
		t.Fatalf("Date %q: %v", w.Header.Get("Date"), err)
	}
	if !sig.Date.Equal(testTime) || !strings.Contains(strings.Join(sig.SignedHeaders, ";"), "date") {
		t.Fatalf("parsed %+v", sig)
	}
	w2 := w.clone()
	w2.Header.Set("Date", testTime.Add(time.Second).Format(http.TimeFormat))
	_, err = check(c.send(t, w2), testSecret, "discovery", testTime.Add(time.Minute))
	wantErr(t, err, CodeInvalidSignature, 403, "does not match the signature you provided")
}

// TestVerifyBotocoreSends lets botocore put the request on the wire itself
// (its own urllib3 stack, Host and Content-Length handling) and verifies in
// the handler, as the server does.
func TestVerifyBotocoreSends(t *testing.T) {
	c := newCapture(t)
	c.setRespond(func(rec received) (int, string) {
		if _, err := check(rec, testSecret, "discovery", testTime.Add(time.Minute)); err != nil {
			return 403, err.Error()
		}
		return 200, "{}"
	})
	body := `{"maxResults":5}`
	for _, token := range []string{"", testToken} {
		in := signInput{
			method: http.MethodPost, url: c.srv.URL + "/",
			header: [][2]string{{"Content-Type", jsonCT}, {"X-Amz-Target", testTarget},
				{"Content-Length", strconv.Itoa(len(body))}},
			body: []byte(body), region: testRegion, service: "discovery", at: testTime, token: token,
		}
		res := runBotocore(t, in, "header", true)
		rec := c.next(t)
		if res.Status != 200 {
			t.Fatalf("token %q: status %d: %s", token, res.Status, res.Response)
		}
		if got := rec.r.Header.Get("Authorization"); !strings.Contains(got, "content-length;content-type;host;x-amz-date") {
			t.Fatalf("signed headers: %s", got)
		}
	}
	// The same request verified with another secret must fail.
	c.setRespond(func(rec received) (int, string) {
		if _, err := check(rec, "other", "discovery", testTime.Add(time.Minute)); err != nil {
			return 403, err.Error()
		}
		return 200, "{}"
	})
	res := runBotocore(t, signInput{method: http.MethodPost, url: c.srv.URL + "/", body: []byte(body),
		region: testRegion, service: "discovery", at: testTime}, "header", true)
	c.next(t)
	if res.Status != 403 || !strings.Contains(res.Response, CodeInvalidSignature) {
		t.Fatalf("wrong secret: status %d: %s", res.Status, res.Response)
	}
}

// TestServerHeaders documents what the verifier sees from net/http: Host is
// in r.Host, not r.Header; Content-Length stays in r.Header.
func TestServerHeaders(t *testing.T) {
	c := newCapture(t)
	w := signV1(t, signInput{method: http.MethodPost, url: c.srv.URL + "/", body: []byte("{}"),
		header: [][2]string{{"Content-Length", "2"}}, region: testRegion, service: "discovery", at: testTime})
	rec := c.send(t, w)
	if rec.r.Header.Get("Host") != "" || rec.r.Host == "" {
		t.Fatalf("Host: header %q, r.Host %q", rec.r.Header.Get("Host"), rec.r.Host)
	}
	if _, err := check(rec, testSecret, "discovery", testTime); err != nil {
		t.Fatal(err)
	}
	// Content-Length is recovered from r.ContentLength if a proxy or framework
	// dropped the header.
	rec.r.Header.Del("Content-Length")
	if _, err := check(rec, testSecret, "discovery", testTime); err != nil {
		t.Fatalf("without Content-Length header: %v", err)
	}
}

func TestVerifyNilSignature(t *testing.T) {
	var s *Signature
	wantErr(t, s.Verify(&http.Request{URL: &url.URL{Path: "/"}}, nil, "x", "discovery", testTime, skew),
		CodeMissingToken, 403, "Request is missing Authentication Token")
}

func TestErrors(t *testing.T) {
	if e := MissingToken(); e.Code != "MissingAuthenticationTokenException" || e.Status != 403 || e.Message != "Request is missing Authentication Token" {
		t.Fatalf("%+v", e)
	}
	if e := UnrecognizedClient(); e.Code != "UnrecognizedClientException" || e.Status != 400 ||
		e.Message != "The security token included in the request is invalid." {
		t.Fatalf("%+v", e)
	}
	if got := UnrecognizedClient().Error(); got != "UnrecognizedClientException: The security token included in the request is invalid." {
		t.Fatal(got)
	}
}
