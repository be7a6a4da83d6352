package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
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

// Presign returns rawURL (absolute, e.g.
// "http://127.0.0.1:8080/poseidon-exports/123/export-x.zip") presigned
// S3-style for a GET: X-Amz-Algorithm, X-Amz-Credential (accessKeyID/scope),
// X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders=host and X-Amz-Signature,
// with payload hash UNSIGNED-PAYLOAD and no double path escaping (S3 rules).
// expires must be a whole number of seconds in (0, 7 days]. Other query
// parameters of rawURL are kept (and signed); its path is kept as escaped.
func Presign(rawURL, accessKeyID, secret, region, service string, t time.Time, expires time.Duration) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", fmt.Errorf("sigv4: presign: %w", err)
	}
	if u.Scheme == "" || u.Host == "" {
		return "", fmt.Errorf("sigv4: presign: URL %q is not absolute", rawURL)
	}
	if expires <= 0 || expires > MaxExpires || expires%time.Second != 0 {
		return "", fmt.Errorf("sigv4: presign: expiry %v must be whole seconds in (0, %v]", expires, MaxExpires)
	}
	if t.IsZero() {
		return "", fmt.Errorf("sigv4: presign: zero signing time")
	}
	long := longDate(t)
	credential := accessKeyID + "/" + credentialScope(long, region, service)
	expiresParam := strconv.FormatInt(int64(expires/time.Second), 10)
	var params []queryParam
	if u.RawQuery == "" {
		// The common case (download URLs): only the parameters below,
		// already in canonical order.
		params = make([]queryParam, 0, 6)
		params = append(params, queryParam{"X-Amz-Algorithm", Algorithm}, queryParam{"X-Amz-Credential", encodeQueryComponent(credential)},
			queryParam{"X-Amz-Date", long}, queryParam{"X-Amz-Expires", expiresParam}, queryParam{"X-Amz-SignedHeaders", "host"})
	} else {
		q := u.Query()
		for _, p := range authQueryParams {
			q.Del(p)
		}
		q.Set("X-Amz-Algorithm", Algorithm)
		q.Set("X-Amz-Credential", credential)
		q.Set("X-Amz-Date", long)
		q.Set("X-Amz-Expires", expiresParam)
		q.Set("X-Amz-SignedHeaders", "host")
		params = canonicalQuery(q, 1)
	}
	creq, _ := canonicalRequest(http.MethodGet, u.EscapedPath(), joinQuery(params),
		[]canonicalHeader{{"host", []string{u.Host}}}, unsignedPayload, true)
	params = setParam(params, "X-Amz-Signature", signString(creq, secret, region, service, long))
	u.RawQuery = joinQuery(params)
	return u.String(), nil
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
// signing time and expiry, as Presign does each of them: the parts they
// share (the credential, the query, the signing key) are made once. A
// DescribeExportTasks page presigns its download URLs with one.
type Presigner struct {
	base    string // scheme://host[/path]
	host    string
	path    string // the base's escaped path, without a trailing slash
	query   string // the canonical query before X-Amz-Signature
	long    string // the signing time, YYYYMMDDTHHMMSSZ
	region  string
	service string
	key     *signingKeyEntry

	// For paths Presign would write otherwise (see Presigner.Presign).
	accessKeyID, secret string
	t                   time.Time
	expires             time.Duration
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
	if expires <= 0 || expires > MaxExpires || expires%time.Second != 0 {
		return nil, fmt.Errorf("sigv4: presign: expiry %v must be whole seconds in (0, %v]", expires, MaxExpires)
	}
	if t.IsZero() {
		return nil, fmt.Errorf("sigv4: presign: zero signing time")
	}
	long := longDate(t)
	day := long[:len(shortDateFormat)]
	query := "X-Amz-Algorithm=" + Algorithm +
		"&X-Amz-Credential=" + encodeQueryComponent(accessKeyID+"/"+credentialScope(long, region, service)) +
		"&X-Amz-Date=" + long +
		"&X-Amz-Expires=" + strconv.FormatInt(int64(expires/time.Second), 10)
	path := strings.TrimSuffix(u.EscapedPath(), "/")
	return &Presigner{base: u.Scheme + "://" + u.Host + path, host: u.Host, path: path,
		query: query, long: long, region: region, service: service, key: signingKey(secret, day, region, service),
		accessKeyID: accessKeyID, secret: secret, t: t, expires: expires}, nil
}

// Presign returns base + escapedPath (which starts with "/") presigned: the
// URL Presign makes of it. A path of other bytes than A-Z a-z 0-9 - . _ ~ /
// (one url.URL might write in another form) is given to Presign.
func (p *Presigner) Presign(escapedPath string) (string, error) {
	const signedHeaders = "&X-Amz-SignedHeaders=host"
	for i := 0; i < len(escapedPath); i++ {
		if !unreserved(escapedPath[i], true) {
			return Presign(p.base+escapedPath, p.accessKeyID, p.secret, p.region, p.service, p.t, p.expires)
		}
	}
	if !strings.HasPrefix(escapedPath, "/") {
		return "", fmt.Errorf("sigv4: presign: path %q does not start with /", escapedPath)
	}
	path := p.path + escapedPath
	var buf [512]byte
	creq := append(buf[:0], "GET\n"...)
	creq = append(creq, path...)
	creq = append(creq, '\n')
	creq = append(creq, p.query...)
	creq = append(creq, signedHeaders...)
	creq = append(creq, "\nhost:"...)
	creq = append(creq, strings.TrimSpace(p.host)...)
	creq = append(creq, "\n\nhost\n"+unsignedPayload...)
	sum := sha256.Sum256(creq)

	sts := append(buf[:0], Algorithm+"\n"...)
	sts = append(sts, p.long...)
	sts = append(sts, '\n')
	sts = append(sts, p.long[:len(shortDateFormat)]...)
	sts = append(sts, '/')
	sts = append(sts, p.region...)
	sts = append(sts, '/')
	sts = append(sts, p.service...)
	sts = append(sts, "/"+Terminator+"\n"...)
	sts = hex.AppendEncode(sts, sum[:])
	var mac [sha256.Size]byte
	p.key.sign(sts, mac[:0])

	var sb strings.Builder
	sb.Grow(len(p.base) + len(escapedPath) + len(p.query) + 2*sha256.Size + 64)
	sb.WriteString(p.base)
	sb.WriteString(escapedPath)
	sb.WriteByte('?')
	sb.WriteString(p.query)
	sb.WriteString("&X-Amz-Signature=")
	var hx [2 * sha256.Size]byte
	hex.Encode(hx[:], mac[:])
	sb.Write(hx[:])
	sb.WriteString(signedHeaders)
	return sb.String(), nil
}
