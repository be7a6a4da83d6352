package sigv4

import (
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"
)

// FuzzParse feeds arbitrary Authorization headers, query strings, dates and
// signed-header lists through Parse, Verify and VerifyPresigned: nothing may
// panic, and Parse must return a signature or a 400
// IncompleteSignatureException, never both.
func FuzzParse(f *testing.F) {
	f.Add(goodAuth, "", "20260315T123456Z", "/")
	f.Add("AWS4-HMAC-SHA256 Credential=AKID/20260315/us-west-2/discovery/aws4_request/, SignedHeaders=host, Signature=", "", "", "/")
	f.Add("foo", "", "", "/")
	f.Add("AWS4-HMAC-SHA256 Signature=b,    Credential,    SignedHeaders", "", "201", "/a%20b")
	f.Add("AWS4-HMAC-SHA256 Credential=a/b/c/d, SignedHeaders=host;HOST;;x, Signature=00", "a=b&a=c", "20260315T123456Z", "//x/../y")
	f.Add("Bearer abc", "X-Amz-Algorithm=AWS4-HMAC-SHA256", "Sun, 15 Mar 2026 12:34:56 -0000", "/")
	f.Add("", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20260315%2Fus-west-2%2Fs3%2Faws4_request"+
		"&X-Amz-Date=20260315T123456Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=abc", "", "/poseidon-exports/1/x.zip")
	f.Add("", "X-Amz-Signature=&X-Amz-Expires=-9999999999999999999999", "", "/")
	f.Add("", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=%2F%2F%2F%2F&X-Amz-Date=99991231T235959Z&X-Amz-Expires=604800"+
		"&X-Amz-SignedHeaders=host%3Bcontent-length%3Btransfer-encoding&X-Amz-Signature=%00", "", "/%zz")
	f.Add("AWS4-HMAC-SHA256 Credential=\x00/\xff/../\n/aws4_request,SignedHeaders=content-length;transfer-encoding;host,Signature=\u00e9",
		"%", "00010101T000000Z", "/\x00")

	f.Fuzz(func(t *testing.T, auth, rawQuery, date, path string) {
		r := &http.Request{
			Method:        http.MethodPost,
			URL:           &url.URL{Path: path, RawQuery: rawQuery},
			Header:        http.Header{},
			Host:          "127.0.0.1:8080",
			ContentLength: -1,
		}
		if auth != "" {
			r.Header["Authorization"] = []string{auth}
		}
		if date != "" {
			r.Header["X-Amz-Date"] = []string{date}
			r.Header["Date"] = []string{date}
		}
		sig, err := Parse(r)
		if sig != nil && err != nil {
			t.Fatalf("both signature and error: %+v %v", sig, err)
		}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code != CodeIncompleteSignature || e.Status != 400 || e.Message == "" {
				t.Fatalf("unexpected error %#v", err)
			}
		}
		if sig != nil {
			// Exercise the re-signing directly too; the checks in Verify
			// would stop most random inputs before it.
			for _, s3 := range []bool{false, true} {
				got, cerr := sig.compute(r, "secret", []byte("x"), s3)
				if cerr == nil && got == sig.Signature {
					t.Fatalf("random signature %q matched", got)
				}
			}
			verr := sig.Verify(r, []byte(auth), "secret", "discovery", testTime, 15*time.Minute)
			var e *Error
			if verr == nil || !errors.As(verr, &e) || e.Status != 403 {
				// A random input cannot carry a valid signature for "secret".
				t.Fatalf("Verify: %#v", verr)
			}
		}
		akid, perr := VerifyPresigned(r, func(string) (string, bool) { return "secret", true }, "s3", testTime)
		if perr == nil || akid != "" {
			t.Fatalf("VerifyPresigned accepted fuzz input: %q", akid)
		}
	})
}
