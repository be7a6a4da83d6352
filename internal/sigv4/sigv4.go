// Package sigv4 parses and verifies AWS Signature Version 4 signatures on
// incoming requests (header and query-string forms) and presigns S3-style
// download URLs.
//
// To verify a request the package re-signs a copy of it that holds exactly
// the headers the client signed, at the client's signing time, region and
// service, and compares that signature with the client's in
// constant time (crypto/hmac.Equal). The signing is
// github.com/aws/smithy-go/aws-http-auth's (verification) and
// github.com/aws/aws-sdk-go-v2/aws/signer/v4's (presigning, with long-lived
// signers that cache their derived keys); the tests hold them to the AWS
// SDKs' and botocore's signatures.
//
// Error codes, messages and statuses follow what AWS JSON ("Coral") services
// send; see the comments on Parse and Signature.Verify. S3-style presigned
// URLs use the S3 codes (see VerifyPresigned).
package sigv4

import (
	"fmt"
	"net/http"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Algorithm is the only signing algorithm accepted.
const Algorithm = "AWS4-HMAC-SHA256"

// Terminator is the last element of every SigV4 credential scope.
const Terminator = "aws4_request"

// MaxExpires is the largest X-Amz-Expires AWS accepts (one week).
const MaxExpires = 7 * 24 * time.Hour

const (
	longDateFormat  = "20060102T150405Z"
	shortDateFormat = "20060102"
)

// Error codes raised by this package.
const (
	CodeIncompleteSignature   = "IncompleteSignatureException"
	CodeInvalidSignature      = "InvalidSignatureException"
	CodeMissingToken          = "MissingAuthenticationTokenException"
	CodeUnrecognizedClient    = "UnrecognizedClientException"
	CodeAccessDenied          = "AccessDenied"          // S3 (presigned URLs)
	CodeSignatureDoesNotMatch = "SignatureDoesNotMatch" // S3 (presigned URLs)
	CodeInvalidAccessKeyID    = "InvalidAccessKeyId"    // S3 (presigned URLs)
)

// MsgSignatureMismatch is the message AWS JSON services send with an
// InvalidSignatureException when the signature itself is wrong.
const MsgSignatureMismatch = "The request signature we calculated does not match the signature you provided. " +
	"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."

// Error is an authentication failure with its AWS wire code, message and HTTP
// status.
type Error struct {
	Code    string
	Message string
	Status  int
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func incomplete(msg string) *Error {
	return &Error{Code: CodeIncompleteSignature, Message: msg, Status: http.StatusBadRequest}
}

func invalid(msg string) *Error {
	return &Error{Code: CodeInvalidSignature, Message: msg, Status: http.StatusForbidden}
}

// MissingToken is the error for a request that carries no signature at all:
// MissingAuthenticationTokenException, 403, "Request is missing Authentication Token".
func MissingToken() *Error {
	return &Error{Code: CodeMissingToken, Message: "Request is missing Authentication Token", Status: http.StatusForbidden}
}

// UnrecognizedClient is the error for an unknown access key ID:
// UnrecognizedClientException, 400.
func UnrecognizedClient() *Error {
	return &Error{Code: CodeUnrecognizedClient, Message: "The security token included in the request is invalid.",
		Status: http.StatusBadRequest}
}

// Scope is a SigV4 credential scope: date/region/service/terminator.
type Scope struct {
	Date       string // YYYYMMDD as sent
	Region     string
	Service    string
	Terminator string // "aws4_request" for a valid scope; checked by Verify
}

// Signature is a parsed SigV4 signature from the Authorization header or the
// query string.
type Signature struct {
	AccessKeyID string
	// Date is the signing time, from X-Amz-Date (header form: header, query
	// form: query parameter); the header form falls back to the Date header.
	Date time.Time
	// Scope is the credential scope (Scope.Date, Scope.Region, Scope.Service).
	Scope Scope
	// SignedHeaders are the header names as the client listed them.
	SignedHeaders []string
	Signature     string // hex, as sent
	Query         bool   // true if presigned (query string)
	// Expires is X-Amz-Expires for the query form, 0 otherwise (or when the
	// query form omits it).
	Expires      time.Duration
	SessionToken string // X-Amz-Security-Token (header or query), if any

	hasExpires bool
}

// Parse finds and parses the signature of r. It returns (nil, nil) when the
// request carries none: no (non-blank) Authorization header and neither an
// X-Amz-Algorithm nor an X-Amz-Signature query parameter. The Authorization
// header wins when both forms are present.
//
// Every malformed value is an IncompleteSignatureException (400), with AWS's
// messages, checked in AWS's order:
//   - a comma-separated element without '=':
//     "'Credential' not a valid key=value pair (missing equal-sign) in Authorization header: '...'."
//   - missing parameters, all listed at once:
//     "Authorization header requires 'Credential' parameter. ... Authorization=<header>"
//     (query form: "AWS query-string parameters must include 'X-Amz-Credential'. ...
//     Re-examine the query-string parameters.")
//   - "Date must be in ISO-8601 'basic format'. Got '...'. See http://en.wikipedia.org/wiki/ISO_8601"
//   - "Unsupported AWS 'algorithm': 'X' (only AWS4-HMAC-SHA256 for now). "
//   - "Credential must have exactly 5 slash-delimited elements, e.g.
//     keyid/date/region/service/term, got '...'" (trailing slashes are ignored)
//   - X-Amz-Expires that is not a whole number of seconds in [0, 604800].
//
// In the query form, an authentication parameter given twice is refused
// first: "AWS query-string parameters must appear only once; 'X' appears N times. ..."
func Parse(r *http.Request) (*Signature, error) {
	if r == nil {
		return nil, nil
	}
	if vs := r.Header.Values("Authorization"); len(vs) > 1 {
		return nil, incomplete("Only one Authorization header is allowed.")
	}
	if auth := strings.TrimSpace(r.Header.Get("Authorization")); auth != "" {
		return parseHeader(r, auth)
	}
	if r.URL == nil {
		return nil, nil
	}
	q := r.URL.Query()
	if q.Has("X-Amz-Algorithm") || q.Has("X-Amz-Signature") {
		return parseQuery(q)
	}
	return nil, nil
}

func parseHeader(r *http.Request, auth string) (*Signature, error) {
	alg, rest, _ := strings.Cut(auth, " ")
	alg = strings.TrimSpace(alg)
	params := map[string]string{}
	for _, part := range strings.Split(rest, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return nil, incomplete(fmt.Sprintf(
				"'%s' not a valid key=value pair (missing equal-sign) in Authorization header: '%s'.", part, auth))
		}
		k = strings.TrimSpace(k)
		if _, dup := params[k]; dup {
			return nil, incomplete(fmt.Sprintf("'%s' appears more than once in Authorization header: '%s'.", k, auth))
		}
		params[k] = strings.TrimSpace(v)
	}

	var missing strings.Builder
	if params["Credential"] == "" {
		missing.WriteString("Authorization header requires 'Credential' parameter. ")
	}
	if params["Signature"] == "" {
		missing.WriteString("Authorization header requires 'Signature' parameter. ")
	}
	signedHeaders, hasSigned := params["SignedHeaders"]
	if !hasSigned {
		missing.WriteString("Authorization header requires 'SignedHeaders' parameter. ")
	}
	rawDate, httpDate := r.Header.Get("X-Amz-Date"), false
	if rawDate == "" {
		rawDate, httpDate = r.Header.Get("Date"), true
	}
	if rawDate == "" {
		missing.WriteString("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ")
	}
	if missing.Len() > 0 {
		return nil, incomplete(missing.String() + "Authorization=" + auth)
	}

	date, err := parseDate(rawDate, httpDate)
	if err != nil {
		return nil, err
	}
	if alg != Algorithm {
		return nil, unsupportedAlgorithm(alg)
	}
	akid, scope, err := parseCredential(params["Credential"])
	if err != nil {
		return nil, err
	}
	return &Signature{
		AccessKeyID:   akid,
		Date:          date,
		Scope:         scope,
		SignedHeaders: splitSignedHeaders(signedHeaders),
		Signature:     params["Signature"],
		SessionToken:  r.Header.Get("X-Amz-Security-Token"),
	}, nil
}

func parseQuery(q url.Values) (*Signature, error) {
	if p := repeatedParam(q); p != "" {
		return nil, incomplete(fmt.Sprintf("AWS query-string parameters must appear only once; '%s' appears %d times. Re-examine the query-string parameters.", p, len(q[p])))
	}
	var missing strings.Builder
	for _, p := range []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date"} {
		if !q.Has(p) || (p != "X-Amz-SignedHeaders" && q.Get(p) == "") {
			fmt.Fprintf(&missing, "AWS query-string parameters must include '%s'. ", p)
		}
	}
	if missing.Len() > 0 {
		return nil, incomplete(missing.String() + "Re-examine the query-string parameters.")
	}
	date, err := parseDate(q.Get("X-Amz-Date"), false)
	if err != nil {
		return nil, err
	}
	if alg := q.Get("X-Amz-Algorithm"); alg != Algorithm {
		return nil, unsupportedAlgorithm(alg)
	}
	akid, scope, err := parseCredential(q.Get("X-Amz-Credential"))
	if err != nil {
		return nil, err
	}
	sig := &Signature{
		AccessKeyID:   akid,
		Date:          date,
		Scope:         scope,
		SignedHeaders: splitSignedHeaders(q.Get("X-Amz-SignedHeaders")),
		Signature:     q.Get("X-Amz-Signature"),
		Query:         true,
		SessionToken:  q.Get("X-Amz-Security-Token"),
	}
	if q.Has("X-Amz-Expires") {
		d, msg := parseExpires(q.Get("X-Amz-Expires"))
		if msg != "" {
			return nil, incomplete(msg)
		}
		sig.Expires, sig.hasExpires = d, true
	}
	return sig, nil
}

func unsupportedAlgorithm(alg string) *Error {
	return incomplete(fmt.Sprintf("Unsupported AWS 'algorithm': '%s' (only %s for now). ", alg, Algorithm))
}

// parseDate parses an X-Amz-Date value (ISO 8601 basic format, strictly) or,
// when httpDate is set, a Date header value.
func parseDate(raw string, httpDate bool) (time.Time, error) {
	var (
		t   time.Time
		err error
	)
	if httpDate {
		// RFC 1123 with "GMT" (net/http), or any RFC 5322 date such as the
		// "-0000" zone that botocore's email.utils.formatdate writes.
		if t, err = http.ParseTime(raw); err != nil {
			t, err = mail.ParseDate(raw)
		}
	} else {
		t, err = parseLongDate(raw)
	}
	if err != nil {
		return time.Time{}, incomplete(fmt.Sprintf(
			"Date must be in ISO-8601 'basic format'. Got '%s'. See http://en.wikipedia.org/wiki/ISO_8601", raw))
	}
	return t.UTC(), nil
}

func parseLongDate(raw string) (time.Time, error) {
	t, err := time.Parse(longDateFormat, raw)
	if err != nil {
		return time.Time{}, err
	}
	// time.Parse accepts some short fields (e.g. a one-digit hour); the
	// signature covers the exact text, so insist on the canonical form.
	if t.Format(longDateFormat) != raw {
		return time.Time{}, fmt.Errorf("sigv4: non-canonical date %q", raw)
	}
	return t, nil
}

func parseCredential(cred string) (string, Scope, error) {
	trimmed := strings.TrimRight(cred, "/")
	parts := strings.Split(trimmed, "/")
	if len(parts) != 5 {
		return "", Scope{}, incomplete(fmt.Sprintf(
			"Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '%s'", cred))
	}
	return parts[0], Scope{Date: parts[1], Region: parts[2], Service: parts[3], Terminator: parts[4]}, nil
}

func splitSignedHeaders(s string) []string {
	var out []string
	for _, h := range strings.Split(s, ";") {
		if h = strings.TrimSpace(h); h != "" {
			out = append(out, h)
		}
	}
	return out
}

// parseExpires parses X-Amz-Expires; a non-empty message means it is invalid
// (the messages are S3's).
func parseExpires(raw string) (time.Duration, string) {
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		return 0, "X-Amz-Expires should be a number"
	}
	if n < 0 {
		return 0, "X-Amz-Expires must be non-negative"
	}
	if n > int64(MaxExpires/time.Second) {
		return 0, "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds"
	}
	return time.Duration(n) * time.Second, ""
}

func (s *Signature) signsHost() bool { return s.Signs("host") }

// Signs reports whether the signature covers the header name.
func (s *Signature) Signs(name string) bool {
	for _, h := range s.SignedHeaders {
		if strings.EqualFold(h, name) {
			return true
		}
	}
	return false
}

// TargetNotSigned is the error for a request whose X-Amz-Target header is
// not a signed header: such a signature could be re-aimed at another
// operation (403 InvalidSignatureException).
func TargetNotSigned() *Error {
	return invalid("'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization.")
}
