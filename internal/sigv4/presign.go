package sigv4

import (
	"context"
	"crypto/hmac"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// PresignSkew is how far in the future a presigned URL's X-Amz-Date may be
// before VerifyPresigned calls it "not valid yet".
const PresignSkew = 15 * time.Minute

// authQueryParams are the query parameters a presigned URL adds; Presign
// drops any that rawURL already carries.
var authQueryParams = []string{
	"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
	"X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Security-Token",
}

// unsignedPayload is the payload hash of S3-style presigned URLs.
const unsignedPayload = "UNSIGNED-PAYLOAD"

// signerRef names a long-lived aws-sdk-go-v2 signer.
type signerRef struct{ secret, region, service string }

// maxSigners bounds the signers kept: a caller chooses the region its
// download URLs are presigned for, so the map must not grow with them. When
// full it is emptied and refilled by the signers in use.
const maxSigners = 256

// signers holds one aws-sdk-go-v2 Signer per secret, region and service.
// Such a Signer caches the signing key it derives (four HMACs) per region
// and service for one access key ID and day, and derives it again when
// either changes; it keys the cache by access key ID, not by secret, and
// keeps one entry per region and service for good. One Signer per secret,
// region and service makes its cache hold exactly one key, always the
// right one, and keeps the whole bounded.
var signers = struct {
	sync.Mutex
	m map[signerRef]*v4.Signer
}{m: map[signerRef]*v4.Signer{}}

func signerFor(secret, region, service string) *v4.Signer {
	ref := signerRef{secret, region, service}
	signers.Lock()
	defer signers.Unlock()
	s, ok := signers.m[ref]
	if !ok {
		if len(signers.m) >= maxSigners {
			clear(signers.m)
		}
		s = v4.NewSigner(func(o *v4.SignerOptions) {
			// S3 rules: the path is signed as escaped, once.
			o.DisableURIPathEscaping = true
		})
		signers.m[ref] = s
	}
	return s
}

// Presign returns rawURL (absolute, e.g.
// "http://127.0.0.1:8080/poseidon-exports/123/export-x.zip") presigned
// S3-style for a GET: X-Amz-Algorithm, X-Amz-Credential (accessKeyID/scope),
// X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders=host and X-Amz-Signature,
// with payload hash UNSIGNED-PAYLOAD and no double path escaping (S3 rules).
// expires must be a whole number of seconds in (0, 7 days]. Other query
// parameters of rawURL are kept (and signed); its path is kept as escaped.
// The signer is aws-sdk-go-v2's (PresignHTTP), one per secret, region and
// service, which derives its signing key once a day.
func Presign(rawURL, accessKeyID, secret, region, service string, t time.Time, expires time.Duration) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", fmt.Errorf("sigv4: presign: %w", err)
	}
	if u.Scheme == "" || u.Host == "" {
		return "", fmt.Errorf("sigv4: presign: URL %q is not absolute", rawURL)
	}
	if err := checkPresign(t, expires); err != nil {
		return "", err
	}
	return presign(signerFor(secret, region, service), u, accessKeyID, secret, region, service, t,
		strconv.FormatInt(int64(expires/time.Second), 10))
}

func checkPresign(t time.Time, expires time.Duration) error {
	if expires <= 0 || expires > MaxExpires || expires%time.Second != 0 {
		return fmt.Errorf("sigv4: presign: expiry %v must be whole seconds in (0, %v]", expires, MaxExpires)
	}
	if t.IsZero() {
		return fmt.Errorf("sigv4: presign: zero signing time")
	}
	return nil
}

// presign signs u (which it changes) with signer; expires is X-Amz-Expires.
func presign(signer *v4.Signer, u *url.URL, accessKeyID, secret, region, service string, t time.Time, expires string) (string, error) {
	if u.RawQuery == "" {
		u.RawQuery = "X-Amz-Expires=" + expires
	} else {
		q := u.Query()
		for _, p := range authQueryParams {
			q.Del(p)
		}
		q.Set("X-Amz-Expires", expires)
		u.RawQuery = q.Encode()
	}
	u.User, u.Fragment, u.RawFragment = nil, "", ""
	// The signer signs the host without a default port; so must the URL be,
	// or a client that sends "Host: h:80" would not match.
	if p := u.Port(); p == "80" && u.Scheme == "http" || p == "443" && u.Scheme == "https" {
		u.Host = strings.TrimSuffix(u.Host, ":"+p)
	}
	key := presignKey{signerRef{secret, region, service}, accessKeyID, u.String(), expires}
	sec := t.Unix()
	if signed, ok := presigned.get(sec, key); ok {
		return signed, nil
	}
	req := &http.Request{Method: http.MethodGet, URL: u, Host: u.Host, Header: http.Header{}}
	signed, _, err := signer.PresignHTTP(context.Background(),
		aws.Credentials{AccessKeyID: accessKeyID, SecretAccessKey: secret}, req, unsignedPayload, service, region, t)
	if err != nil {
		return "", fmt.Errorf("sigv4: presign: %w", err)
	}
	presigned.put(sec, key, signed)
	return signed, nil
}

// presignKey is everything a presigned URL depends on but its signing time.
type presignKey struct {
	signerRef
	accessKeyID, url, expires string
}

// maxPresigned bounds the URLs remembered for one second.
const maxPresigned = 4096

// presigned remembers the URLs presigned within the current second of
// signing time. A presigned URL is a function of its inputs and of its
// signing time to the second (X-Amz-Date), so a URL asked for again within
// the same second is the one signed before, byte for byte: a client polling
// DescribeExportTasks many times a second gets its page's download URLs
// without signing them again. The memory is dropped when the second changes
// and never holds more than maxPresigned URLs.
var presigned = &presignMemo{urls: map[presignKey]string{}}

type presignMemo struct {
	sync.Mutex
	sec  int64
	urls map[presignKey]string
}

func (m *presignMemo) get(sec int64, k presignKey) (string, bool) {
	m.Lock()
	defer m.Unlock()
	if m.sec != sec {
		return "", false
	}
	u, ok := m.urls[k]
	return u, ok
}

func (m *presignMemo) put(sec int64, k presignKey, url string) {
	m.Lock()
	defer m.Unlock()
	if m.sec != sec {
		clear(m.urls)
		m.sec = sec
	}
	if len(m.urls) < maxPresigned {
		m.urls[k] = url
	}
}

// repeatedParam returns the first of authQueryParams that q holds more than
// once, or "".
func repeatedParam(q url.Values) string {
	for _, p := range authQueryParams {
		if len(q[p]) > 1 {
			return p
		}
	}
	return ""
}

func s3Error(code, msg string) *Error {
	return &Error{Code: code, Message: msg, Status: http.StatusForbidden}
}

func accessDenied(msg string) *Error { return s3Error(CodeAccessDenied, msg) }

// VerifyPresigned checks a request made with a URL from Presign (or any
// S3-style SigV4 query-string presigner), as received by an http.Server
// (r.Host set), under S3 rules: no double path escaping, payload
// UNSIGNED-PAYLOAD, the signature compared in constant time. service is the
// signing name the URL must be scoped to; any non-empty region is accepted.
// On success it returns the access key ID. Every failure is a 403 *Error:
//
//   - no presign parameters at all: AccessDenied "Access Denied";
//   - any of authQueryParams given more than once: AccessDenied "Each
//     X-Amz-* authentication parameter may appear only once." (a second
//     X-Amz-Signature would otherwise ride along on a valid URL);
//   - some missing: AccessDenied "Query-string authentication version 4
//     requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature,
//     X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.";
//   - malformed algorithm, credential, date or expiry, wrong service, host not
//     signed: AccessDenied with S3's message for it (real S3 sends most of
//     these as 400 AuthorizationQueryParametersError);
//   - X-Amz-Date more than PresignSkew in the future: AccessDenied "Request is not valid yet";
//   - now after X-Amz-Date + X-Amz-Expires: AccessDenied "Request has expired";
//   - unknown access key: InvalidAccessKeyId;
//   - wrong signature (tampered path, query, signature, or wrong secret):
//     SignatureDoesNotMatch.
func VerifyPresigned(r *http.Request, secretFor func(accessKeyID string) (string, bool), service string, now time.Time) (accessKeyID string, err error) {
	if r == nil || r.URL == nil {
		return "", accessDenied("Access Denied")
	}
	q := r.URL.Query()
	if p := repeatedParam(q); p != "" {
		return "", accessDenied("Each X-Amz-* authentication parameter may appear only once; " + p + " appears more than once.")
	}
	required := []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Expires"}
	present := 0
	for _, p := range required {
		if q.Get(p) != "" {
			present++
		}
	}
	switch {
	case present == 0:
		return "", accessDenied("Access Denied")
	case present < len(required):
		return "", accessDenied("Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, " +
			"X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.")
	}
	if q.Get("X-Amz-Algorithm") != Algorithm {
		return "", accessDenied(`X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"`)
	}
	akid, scope, perr := parseCredential(q.Get("X-Amz-Credential"))
	if perr != nil || akid == "" || scope.Region == "" || scope.Terminator != Terminator || len(scope.Date) != 8 {
		return "", accessDenied(`Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; ` +
			`expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`)
	}
	if scope.Service != service {
		return "", accessDenied(fmt.Sprintf(`Error parsing the X-Amz-Credential parameter; incorrect service "%s". `+
			`This endpoint belongs to "%s".`, scope.Service, service))
	}
	date, derr := parseLongDate(q.Get("X-Amz-Date"))
	if derr != nil {
		return "", accessDenied(`X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd'T'HHmmss'Z'"`)
	}
	expires, msg := parseExpires(q.Get("X-Amz-Expires"))
	if msg != "" {
		return "", accessDenied(msg)
	}
	sig := &Signature{
		AccessKeyID:   akid,
		Date:          date,
		Scope:         scope,
		SignedHeaders: splitSignedHeaders(q.Get("X-Amz-SignedHeaders")),
		Signature:     q.Get("X-Amz-Signature"),
		Query:         true,
		Expires:       expires,
		SessionToken:  q.Get("X-Amz-Security-Token"),
		hasExpires:    true,
	}
	if !sig.signsHost() {
		return "", accessDenied("Query-string authentication requires the host header to be signed (X-Amz-SignedHeaders).")
	}
	now = now.UTC()
	if date.After(now.Add(PresignSkew)) {
		return "", accessDenied("Request is not valid yet")
	}
	if now.After(date.Add(expires)) {
		return "", accessDenied("Request has expired")
	}
	secret, ok := secretFor(akid)
	if !ok {
		return "", s3Error(CodeInvalidAccessKeyID, "The AWS Access Key Id you provided does not exist in our records.")
	}
	// A scope date that disagrees with X-Amz-Date cannot come from a correct
	// signer; the library signs with X-Amz-Date's day, so it fails below.
	want, cerr := sig.compute(r, secret, []byte(unsignedPayload), true)
	if cerr != nil || scope.Date != date.Format(shortDateFormat) || !hmac.Equal([]byte(want), []byte(sig.Signature)) {
		return "", s3Error(CodeSignatureDoesNotMatch,
			"The request signature we calculated does not match the signature you provided. Check your key and signing method.")
	}
	return akid, nil
}

// Presigner presigns GET URLs under one base URL with one key, region,
// signing time and expiry, as Presign does each of them, with the signer
// Presign would use, looked up once. A DescribeExportTasks page presigns its
// download URLs with one.
type Presigner struct {
	signer                                        *v4.Signer
	scheme, host                                  string
	path                                          string // the base's escaped path, without a trailing slash
	accessKeyID, secret, region, service, expires string
	t                                             time.Time
}

// NewPresigner returns a Presigner for URLs under base (absolute, without
// query, fragment or user information). expires must be a whole number of
// seconds in (0, 7 days].
func NewPresigner(base, accessKeyID, secret, region, service string, t time.Time, expires time.Duration) (*Presigner, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("sigv4: presign: %w", err)
	}
	if u.Scheme == "" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.Opaque != "" {
		return nil, fmt.Errorf("sigv4: presign: base URL %q must be absolute, without query, fragment or user", base)
	}
	if err := checkPresign(t, expires); err != nil {
		return nil, err
	}
	return &Presigner{signer: signerFor(secret, region, service), scheme: u.Scheme, host: u.Host,
		path: strings.TrimSuffix(u.EscapedPath(), "/"), accessKeyID: accessKeyID, secret: secret, region: region,
		service: service, t: t, expires: strconv.FormatInt(int64(expires/time.Second), 10)}, nil
}

// Presign returns base + escapedPath (which starts with "/") presigned: the
// URL Presign makes of it.
func (p *Presigner) Presign(escapedPath string) (string, error) {
	if !strings.HasPrefix(escapedPath, "/") {
		return "", fmt.Errorf("sigv4: presign: path %q does not start with /", escapedPath)
	}
	path := p.path + escapedPath
	var u *url.URL
	if plainPath(path) { // escaped as it is: no parsing needed
		u = &url.URL{Scheme: p.scheme, Host: p.host, Path: path}
	} else {
		var err error
		if u, err = url.Parse(p.scheme + "://" + p.host + path); err != nil {
			return "", fmt.Errorf("sigv4: presign: %w", err)
		}
	}
	return presign(p.signer, u, p.accessKeyID, p.secret, p.region, p.service, p.t, p.expires)
}

// plainPath reports whether path holds only A-Z a-z 0-9 - . _ ~ and /, the
// bytes a path never escapes.
func plainPath(path string) bool {
	for i := 0; i < len(path); i++ {
		c := path[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
			return false
		}
	}
	return true
}
