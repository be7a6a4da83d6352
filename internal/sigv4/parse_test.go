package sigv4

import (
	"net/http"
	"net/url"
	"testing"
	"time"
)

func parseReq(auth, rawQuery string, hdr ...string) *http.Request {
	r := &http.Request{Method: http.MethodPost, URL: &url.URL{Path: "/", RawQuery: rawQuery}, Header: http.Header{}, Host: "localhost"}
	if auth != "" {
		r.Header.Set("Authorization", auth)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Add(hdr[i], hdr[i+1])
	}
	return r
}

const goodAuth = "AWS4-HMAC-SHA256 Credential=AKID/20260315/us-west-2/discovery/aws4_request, " +
	"SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=0123abcd"

func TestParseNone(t *testing.T) {
	for _, r := range []*http.Request{
		parseReq("", ""),
		parseReq("   ", ""),
		parseReq("", "Action=List&X-Amz-Date=20260315T123456Z"),
		nil,
	} {
		sig, err := Parse(r)
		if sig != nil || err != nil {
			t.Fatalf("want (nil, nil), got %+v, %v", sig, err)
		}
	}
}

func TestParseHeader(t *testing.T) {
	sig, err := Parse(parseReq(goodAuth, "", "X-Amz-Date", "20260315T123456Z", "X-Amz-Security-Token", "tok"))
	if err != nil {
		t.Fatal(err)
	}
	want := Scope{Date: "20260315", Region: "us-west-2", Service: "discovery", Terminator: "aws4_request"}
	if sig.AccessKeyID != "AKID" || sig.Scope != want || sig.Signature != "0123abcd" || sig.Query ||
		!sig.Date.Equal(testTime) || sig.SessionToken != "tok" || len(sig.SignedHeaders) != 4 || sig.SignedHeaders[1] != "host" {
		t.Fatalf("%+v", sig)
	}

	// No spaces after commas, trailing slash on the credential (AWS ignores it).
	sig, err = Parse(parseReq("AWS4-HMAC-SHA256 Credential=AKID/20260315/us-west-2/discovery/aws4_request/,SignedHeaders=host,Signature=ff",
		"", "X-Amz-Date", "20260315T123456Z"))
	if err != nil || sig.Scope.Terminator != "aws4_request" || sig.Signature != "ff" {
		t.Fatalf("%+v %v", sig, err)
	}

	// Date header fallback, in the forms clients send.
	for _, d := range []string{"Sun, 15 Mar 2026 12:34:56 GMT", "Sun, 15 Mar 2026 12:34:56 -0000", "Sun, 15 Mar 2026 13:34:56 +0100"} {
		sig, err = Parse(parseReq(goodAuth, "", "Date", d))
		if err != nil || !sig.Date.Equal(testTime) {
			t.Fatalf("Date %q: %+v %v", d, sig, err)
		}
	}
	// X-Amz-Date wins over Date.
	sig, err = Parse(parseReq(goodAuth, "", "Date", "Mon, 16 Mar 2026 00:00:00 GMT", "X-Amz-Date", "20260315T123456Z"))
	if err != nil || !sig.Date.Equal(testTime) {
		t.Fatalf("%+v %v", sig, err)
	}
	// Authorization wins over the query form.
	sig, err = Parse(parseReq(goodAuth, "X-Amz-Algorithm=AWS4-HMAC-SHA256", "X-Amz-Date", "20260315T123456Z"))
	if err != nil || sig.Query {
		t.Fatalf("%+v %v", sig, err)
	}
}

func TestParseQuery(t *testing.T) {
	q := "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20260315%2Fus-west-2%2Fdiscovery%2Faws4_request" +
		"&X-Amz-Date=20260315T123456Z&X-Amz-Expires=300&X-Amz-SignedHeaders=host&X-Amz-Signature=abc&X-Amz-Security-Token=t%2Bk"
	sig, err := Parse(parseReq("", q))
	if err != nil {
		t.Fatal(err)
	}
	if !sig.Query || sig.Expires != 5*time.Minute || sig.AccessKeyID != "AKID" || sig.Signature != "abc" ||
		sig.SessionToken != "t+k" || !sig.Date.Equal(testTime) || sig.Scope.Service != "discovery" {
		t.Fatalf("%+v", sig)
	}
	// X-Amz-Expires is optional for API requests.
	sig, err = Parse(parseReq("", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=A/20260315/r/s/aws4_request&X-Amz-Date=20260315T123456Z&X-Amz-SignedHeaders=host&X-Amz-Signature=ab"))
	if err != nil || sig.Expires != 0 {
		t.Fatalf("%+v %v", sig, err)
	}
}

func TestParseErrors(t *testing.T) {
	date := []string{"X-Amz-Date", "20260315T123456Z"}
	cases := []struct {
		name, auth, query string
		hdr               []string
		msg               string
	}{
		{"not-sigv4", "foo", "", date,
			"Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. " +
				"Authorization header requires 'SignedHeaders' parameter. Authorization=foo"},
		{"not-sigv4-no-date", "foo", "", nil,
			"Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. " +
				"Authorization header requires 'SignedHeaders' parameter. " +
				"Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=foo"},
		{"only-credential", "AWS4-HMAC-SHA256 Credential=AKID/20260315/us-west-2/discovery/aws4_request", "", date,
			"Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. " +
				"Authorization=AWS4-HMAC-SHA256 Credential=AKID/20260315/us-west-2/discovery/aws4_request"},
		{"missing-equal-sign", "AWS4-HMAC-SHA256 Signature=b,    Credential,    SignedHeaders", "", date,
			"'Credential' not a valid key=value pair (missing equal-sign) in Authorization header: " +
				"'AWS4-HMAC-SHA256 Signature=b,    Credential,    SignedHeaders'."},
		{"bearer", "Bearer abc.def", "", date,
			"'abc.def' not a valid key=value pair (missing equal-sign) in Authorization header: 'Bearer abc.def'."},
		{"bad-x-amz-date", goodAuth, "", []string{"X-Amz-Date", "201"},
			"Date must be in ISO-8601 'basic format'. Got '201'. See http://en.wikipedia.org/wiki/ISO_8601"},
		{"non-canonical-x-amz-date", goodAuth, "", []string{"X-Amz-Date", "20260315T12345Z"},
			"Date must be in ISO-8601 'basic format'. Got '20260315T12345Z'."},
		{"bad-date-header", goodAuth, "", []string{"Date", "yesterday"},
			"Date must be in ISO-8601 'basic format'. Got 'yesterday'."},
		{"algorithm", "AWS4-HMAC-SHA512 Credential=AKID/20260315/us-west-2/discovery/aws4_request, SignedHeaders=host, Signature=ab", "", date,
			"Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512' (only AWS4-HMAC-SHA256 for now). "},
		{"four-element-credential", "AWS4-HMAC-SHA256 Credential=a/b/c/d, SignedHeaders=host, Signature=ab", "", date,
			"Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'a/b/c/d'"},
		{"six-element-credential", "AWS4-HMAC-SHA256 Credential=a/b/c/d/e/f, SignedHeaders=host, Signature=ab", "", date,
			"Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'a/b/c/d/e/f'"},
		{"query-missing", "", "X-Amz-Algorithm=AWS4-HMAC-SHA256", nil,
			"AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string parameters must include 'X-Amz-Signature'. " +
				"AWS query-string parameters must include 'X-Amz-SignedHeaders'. AWS query-string parameters must include 'X-Amz-Date'. " +
				"Re-examine the query-string parameters."},
		{"query-signature-only", "", "X-Amz-Signature=abc", nil,
			"AWS query-string parameters must include 'X-Amz-Algorithm'. AWS query-string parameters must include 'X-Amz-Credential'."},
		{"query-algorithm", "", "X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256&X-Amz-Credential=a/b/c/d/e&X-Amz-Date=20260315T123456Z&X-Amz-SignedHeaders=host&X-Amz-Signature=ab", nil,
			"Unsupported AWS 'algorithm': 'AWS4-ECDSA-P256-SHA256' (only AWS4-HMAC-SHA256 for now). "},
		{"query-expires-nan", "", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a/b/c/d/e&X-Amz-Date=20260315T123456Z&X-Amz-SignedHeaders=host&X-Amz-Signature=ab&X-Amz-Expires=soon", nil,
			"X-Amz-Expires should be a number"},
		{"query-expires-negative", "", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a/b/c/d/e&X-Amz-Date=20260315T123456Z&X-Amz-SignedHeaders=host&X-Amz-Signature=ab&X-Amz-Expires=-1", nil,
			"X-Amz-Expires must be non-negative"},
		{"query-expires-week", "", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a/b/c/d/e&X-Amz-Date=20260315T123456Z&X-Amz-SignedHeaders=host&X-Amz-Signature=ab&X-Amz-Expires=604801", nil,
			"X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds"},
		{"query-bad-date", "", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a/b/c/d/e&X-Amz-Date=2026-03-15&X-Amz-SignedHeaders=host&X-Amz-Signature=ab", nil,
			"Date must be in ISO-8601 'basic format'. Got '2026-03-15'."},
		{"query-repeated-signature", "", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a/b/c/d/e&X-Amz-Date=20260315T123456Z&X-Amz-SignedHeaders=host&X-Amz-Signature=ab&X-Amz-Signature=cd", nil,
			"AWS query-string parameters must appear only once; 'X-Amz-Signature' appears 2 times. Re-examine the query-string parameters."},
		{"query-repeated-credential", "", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a/b/c/d/e&X-Amz-Credential=a/b/c/d/e&X-Amz-Date=20260315T123456Z&X-Amz-SignedHeaders=host&X-Amz-Signature=ab", nil,
			"'X-Amz-Credential' appears 2 times"},
		{"header-repeated-signature", goodAuth + ", Signature=ffff", "", date,
			"'Signature' appears more than once in Authorization header"},
		{"header-repeated-signed-headers", "AWS4-HMAC-SHA256 Credential=AKID/20260315/us-west-2/discovery/aws4_request, SignedHeaders=host, SignedHeaders=host;x-amz-target, Signature=ab", "", date,
			"'SignedHeaders' appears more than once in Authorization header"},
		{"two-authorization-headers", goodAuth, "", append([]string{"Authorization", goodAuth}, date...),
			"Only one Authorization header is allowed."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sig, err := Parse(parseReq(tc.auth, tc.query, tc.hdr...))
			if sig != nil {
				t.Fatalf("want no signature, got %+v", sig)
			}
			wantErr(t, err, CodeIncompleteSignature, 400, tc.msg)
		})
	}
}

// TestVerifyScopeMessages: every failing scope part is reported at once, in
// AWS's order.
func TestVerifyScopeMessages(t *testing.T) {
	r := parseReq("AWS4-HMAC-SHA256 Credential=AKID/20260314//mgh/aws5_request, SignedHeaders=host;x-amz-date, Signature=ab",
		"", "X-Amz-Date", "20260315T123456Z")
	sig, err := Parse(r)
	if err != nil {
		t.Fatal(err)
	}
	err = sig.Verify(r, nil, "secret", "discovery", testTime, skew)
	wantErr(t, err, CodeInvalidSignature, 403,
		"Credential should be scoped to a valid region, not ''. "+
			"Credential should be scoped to correct service: 'discovery'. "+
			"Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. "+
			"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20260314' != '20260315', from '20260315T123456Z'.")
}

func TestSkewString(t *testing.T) {
	for d, want := range map[time.Duration]string{15 * time.Minute: "15 min.", 5 * time.Minute: "5 min.", 90 * time.Second: "90 sec."} {
		if got := skewString(d); got != want {
			t.Errorf("%v: %q", d, got)
		}
	}
}

func TestPrecheck(t *testing.T) {
	r := parseReq(goodAuth, "", "X-Amz-Date", "20260315T123456Z")
	sig, err := Parse(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := sig.Precheck("discovery", testTime.Add(15*time.Minute), skew); err != nil {
		t.Fatalf("at the edge of the skew: %v", err)
	}
	wantErr(t, sig.Precheck("discovery", testTime.Add(15*time.Minute+time.Second), skew), CodeInvalidSignature, 403, "Signature expired")
	wantErr(t, sig.Precheck("mgh", testTime, skew), CodeInvalidSignature, 403, "Credential should be scoped to correct service: 'mgh'. ")
	var none *Signature
	wantErr(t, none.Precheck("discovery", testTime, skew), CodeMissingToken, 403, "Request is missing Authentication Token")
}
