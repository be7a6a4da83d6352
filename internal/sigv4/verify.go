package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/smithy-go/aws-http-auth/credentials"
	"github.com/aws/smithy-go/aws-http-auth/sigv4"
	v4 "github.com/aws/smithy-go/aws-http-auth/v4"
)

// Verify checks s against r, its full body and the secret key, at server time
// now with the given maximum clock skew (AWS uses 15 minutes). r is the
// request as an http.Server received it (Host in r.Host). Checks, in order:
//
//  1. The credential scope. Every failing part is reported in one
//     InvalidSignatureException message, concatenated in AWS's order:
//     "Credential should be scoped to a valid region, not '<region>'. " (for
//     an empty region only; which regions are valid is the caller's business),
//     "Credential should be scoped to correct service: 'discovery'. ",
//     "Credential should be scoped with a valid terminator: 'aws4_request', not 'x'. ",
//     "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20260102' != '20260101', from '20260101T000000Z'."
//  2. The clock. "Signature not yet current: X is still later than Y (NOW + 15 min.)"
//     when signed more than maxSkew in the future. Header form (and query
//     form without X-Amz-Expires): "Signature expired: X is now earlier than
//     Y (NOW - 15 min.)" when signed more than maxSkew ago. Query form with
//     X-Amz-Expires: the window is Date..Date+Expires instead of the past
//     skew, and "Request has expired: ..." once it has passed.
//  3. 'host' must be a signed header (InvalidSignatureException
//     "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.").
//  4. The signature itself, compared in constant time (InvalidSignatureException
//     MsgSignatureMismatch).
//
// All errors are *Error with status 403.
func (s *Signature) Verify(r *http.Request, body []byte, secret, wantService string, now time.Time, maxSkew time.Duration) error {
	if err := s.Precheck(wantService, now, maxSkew); err != nil {
		return err
	}
	sum := sha256.Sum256(body)
	want, err := s.compute(r, secret, sum[:], false)
	if err != nil || !hmac.Equal([]byte(want), []byte(s.Signature)) {
		return invalid(MsgSignatureMismatch)
	}
	return nil
}

// Precheck runs the checks of Verify that need no secret key (steps 1 to 3:
// scope, clock, host signed), with the same errors. Verify runs it first
// itself; a server may call it before looking up the access key so that a
// bad scope or an expired request is reported ahead of an unknown key, which
// is the order AWS reports them in.
func (s *Signature) Precheck(wantService string, now time.Time, maxSkew time.Duration) error {
	if s == nil {
		return MissingToken()
	}
	if err := s.checkScope(wantService); err != nil {
		return err
	}
	if err := s.checkTime(now, maxSkew); err != nil {
		return err
	}
	if !s.signsHost() {
		return invalid("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
	}
	return nil
}

func (s *Signature) checkScope(wantService string) error {
	var msg strings.Builder
	if s.Scope.Region == "" {
		msg.WriteString("Credential should be scoped to a valid region, not ''. ")
	}
	if s.Scope.Service != wantService {
		fmt.Fprintf(&msg, "Credential should be scoped to correct service: '%s'. ", wantService)
	}
	if s.Scope.Terminator != Terminator {
		fmt.Fprintf(&msg, "Credential should be scoped with a valid terminator: '%s', not '%s'. ", Terminator, s.Scope.Terminator)
	}
	if day := s.Date.UTC().Format(shortDateFormat); s.Scope.Date != day {
		fmt.Fprintf(&msg, "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.",
			s.Scope.Date, day, s.Date.UTC().Format(longDateFormat))
	}
	if msg.Len() > 0 {
		return invalid(msg.String())
	}
	return nil
}

func (s *Signature) checkTime(now time.Time, maxSkew time.Duration) error {
	now = now.UTC()
	date := s.Date.UTC()
	f := func(t time.Time) string { return t.Format(longDateFormat) }
	if latest := now.Add(maxSkew); date.After(latest) {
		return invalid(fmt.Sprintf("Signature not yet current: %s is still later than %s (%s + %s)",
			f(date), f(latest), f(now), skewString(maxSkew)))
	}
	if s.Query && s.hasExpires {
		if end := date.Add(s.Expires); now.After(end) {
			return invalid(fmt.Sprintf("Request has expired: X-Amz-Date %s + X-Amz-Expires %d sec. = %s is now earlier than %s",
				f(date), int64(s.Expires/time.Second), f(end), f(now)))
		}
		return nil
	}
	if earliest := now.Add(-maxSkew); date.Before(earliest) {
		return invalid(fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - %s)",
			f(date), f(earliest), f(now), skewString(maxSkew)))
	}
	return nil
}

// skewString renders a skew the way AWS does in its messages ("15 min.").
func skewString(d time.Duration) string {
	if d%time.Minute == 0 {
		return strconv.FormatInt(int64(d/time.Minute), 10) + " min."
	}
	return strconv.FormatInt(int64(d/time.Second), 10) + " sec."
}

// compute re-signs a copy of r that holds exactly the headers the client
// signed, with aws-http-auth's signer (github.com/aws/smithy-go/aws-http-auth),
// and returns its hex signature. s3
// selects S3 rules (no double path escaping; the payload hash should then be
// UNSIGNED-PAYLOAD).
func (s *Signature) compute(r *http.Request, secret string, payloadHash []byte, s3 bool) (string, error) {
	if r == nil || r.URL == nil || s.Date.IsZero() {
		return "", fmt.Errorf("sigv4: request without URL or signature without date")
	}
	signed := signedSet{}
	for _, h := range s.SignedHeaders {
		signed[strings.ToLower(h)] = true
	}

	header := http.Header{}
	for name := range signed {
		var values []string
		switch name {
		case "host":
			continue // taken from r.Host below; the library sets the header
		case "content-length":
			values = r.Header.Values("Content-Length")
			if len(values) == 0 && r.ContentLength >= 0 {
				values = []string{strconv.FormatInt(r.ContentLength, 10)}
			}
		case "transfer-encoding":
			// net/http moves Transfer-Encoding out of the header map.
			values = r.Header.Values("Transfer-Encoding")
			if len(values) == 0 {
				values = r.TransferEncoding
			}
		default:
			values = r.Header.Values(name)
		}
		for _, v := range values {
			// SigV4 "Trimall": the library trims; clients also collapse runs
			// of spaces inside the value.
			header.Add(name, collapseSpaces(v))
		}
	}

	u := *r.URL
	u.User = nil
	u.Fragment, u.RawFragment = "", ""
	sigType := v4.SignatureTypeHeader
	if s.Query {
		sigType = v4.SignatureTypeQueryString
		q := u.Query()
		q.Del("X-Amz-Signature")
		u.RawQuery = q.Encode() // re-encoded canonically by the library
	}
	host := r.Host
	if host == "" {
		host = r.URL.Host
	}
	req := &http.Request{Method: r.Method, URL: &u, Host: host, Header: header}

	signer := sigv4.New(func(o *v4.SignerOptions) {
		o.HeaderRules = signed
		o.DisableDoublePathEscape = s3
		o.DisableImplicitPayloadHashing = true
	})
	err := signer.SignRequest(&sigv4.SignRequestInput{
		Request:       req,
		PayloadHash:   payloadHash,
		Credentials:   credentials.Credentials{AccessKeyID: s.AccessKeyID, SecretAccessKey: secret},
		Service:       s.Scope.Service,
		Region:        s.Scope.Region,
		Time:          s.Date,
		SignatureType: sigType,
	})
	if err != nil {
		return "", err
	}
	if s.Query {
		return req.URL.Query().Get("X-Amz-Signature"), nil
	}
	auth := req.Header.Get("Authorization")
	i := strings.LastIndex(auth, "Signature=")
	if i < 0 {
		return "", fmt.Errorf("sigv4: library produced no signature")
	}
	return auth[i+len("Signature="):], nil
}

func collapseSpaces(v string) string {
	v = strings.TrimSpace(v)
	if !strings.Contains(v, "  ") {
		return v
	}
	var b strings.Builder
	b.Grow(len(v))
	prevSpace := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == ' ' && prevSpace {
			continue
		}
		prevSpace = c == ' '
		b.WriteByte(c)
	}
	return b.String()
}

// signedSet is a v4.SignedHeaderRules: a header is signed iff the client
// listed it in SignedHeaders.
type signedSet map[string]bool

func (s signedSet) IsSigned(h string) bool { return s[strings.ToLower(h)] }
