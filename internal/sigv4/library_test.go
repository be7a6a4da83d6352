package sigv4

// aws-http-auth's signer (github.com/aws/smithy-go/aws-http-auth), which
// verifies signatures (Signature.compute), presigning as it does: the
// reference the URLs of Presign (aws-sdk-go-v2's signer) are checked against
// (TestPresignMatchesLibrary).

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
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
