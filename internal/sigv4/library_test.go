package sigv4

// The signer of aws-http-auth (github.com/aws/smithy-go/aws-http-auth), which
// the package signed and verified with until it derived its keys once per
// day (sign.go), is kept here as the reference the package's own signer is
// checked against (TestSignerMatchesLibrary, FuzzParse).

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/smithy-go/aws-http-auth/credentials"
	"github.com/aws/smithy-go/aws-http-auth/sigv4"
	v4 "github.com/aws/smithy-go/aws-http-auth/v4"
)

// libraryPresign returns rawURL (absolute, e.g.
// "http://127.0.0.1:8080/poseidon-exports/123/export-x.zip") presigned
// S3-style for a GET: X-Amz-Algorithm, X-Amz-Credential (accessKeyID/scope),
// X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders=host and X-Amz-Signature,
// with payload hash UNSIGNED-PAYLOAD and no double path escaping (S3 rules).
// expires must be a whole number of seconds in (0, 7 days]. Other query
// parameters of rawURL are kept (and signed); its path is kept as escaped.
func libraryPresign(rawURL, accessKeyID, secret, region, service string, t time.Time, expires time.Duration) (string, error) {
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
	q := u.Query()
	for _, p := range authQueryParams {
		q.Del(p)
	}
	q.Set("X-Amz-Expires", strconv.FormatInt(int64(expires/time.Second), 10))
	u.RawQuery = q.Encode()

	req := &http.Request{Method: http.MethodGet, URL: u, Host: u.Host, Header: http.Header{}}
	signer := sigv4.New(func(o *v4.SignerOptions) {
		o.HeaderRules = signedSet{"host": true}
		o.DisableDoublePathEscape = true
	})
	err = signer.SignRequest(&sigv4.SignRequestInput{
		Request:       req,
		PayloadHash:   v4.UnsignedPayload(),
		Credentials:   credentials.Credentials{AccessKeyID: accessKeyID, SecretAccessKey: secret},
		Service:       service,
		Region:        region,
		Time:          t,
		SignatureType: v4.SignatureTypeQueryString,
	})
	if err != nil {
		return "", fmt.Errorf("sigv4: presign: %w", err)
	}
	return req.URL.String(), nil
}

// libraryCompute re-signs a copy of r that holds exactly the headers the client
// signed, with the library, and returns the library's hex signature. s3
// selects S3 rules (no double path escaping; the payload hash should then be
// UNSIGNED-PAYLOAD).
func (s *Signature) libraryCompute(r *http.Request, secret string, payloadHash []byte, s3 bool) (string, error) {
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

// signedSet is a v4.SignedHeaderRules: a header is signed iff the client
// listed it in SignedHeaders.
type signedSet map[string]bool

func (s signedSet) IsSigned(h string) bool { return s[strings.ToLower(h)] }
