package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// The package signs with its own SigV4 signer, written after aws-http-auth's
// (github.com/aws/smithy-go/aws-http-auth/internal/v4, which
// library_test.go keeps as the reference the tests compare every signature
// with): the library derives the signing key from the secret again for
// every signature (four HMACs) and offers no way to pass it one, and a
// DescribeExportTasks page presigns ten download URLs. Here a signing key is
// derived once per secret, day, region and service (signingKey) and the
// canonical request is built with fewer allocations.

// unsignedPayload is the payload hash of S3-style presigned URLs.
const unsignedPayload = "UNSIGNED-PAYLOAD"

// keyRef names a derived signing key.
type keyRef struct{ secret, day, region, service string }

// maxKeys bounds the cache of signing keys: a caller chooses the region
// and day of the key a request is verified with (any region, days within
// the allowed skew), so the cache must not grow with them. When full it is
// emptied and refilled by the keys in use.
const maxKeys = 256

var keys = struct {
	sync.RWMutex
	m map[keyRef]*signingKeyEntry
}{m: map[keyRef]*signingKeyEntry{}}

// signingKeyEntry is a derived key and the HMAC-SHA256 states made with it,
// for reuse.
type signingKeyEntry struct {
	key  [sha256.Size]byte
	macs sync.Pool // of hash.Hash: HMAC-SHA256 with key
}

// sign returns the HMAC-SHA256 of data with the key, appended to out.
func (e *signingKeyEntry) sign(data, out []byte) []byte {
	h, _ := e.macs.Get().(hash.Hash)
	if h == nil {
		h = hmac.New(sha256.New, e.key[:])
	} else {
		h.Reset()
	}
	h.Write(data)
	out = h.Sum(out)
	e.macs.Put(h)
	return out
}

// signingKey returns the SigV4 signing key of secret for day (YYYYMMDD),
// region and service: HMAC chain "AWS4"+secret, day, region, service,
// "aws4_request". Keys are pure functions of their inputs, so a cached one
// is always right; a new day, region or secret is a new entry.
func signingKey(secret, day, region, service string) *signingKeyEntry {
	ref := keyRef{secret, day, region, service}
	keys.RLock()
	e, ok := keys.m[ref]
	keys.RUnlock()
	if ok {
		return e
	}
	b := hmacSHA256([]byte("AWS4"+secret), day)
	b = hmacSHA256(b, region)
	b = hmacSHA256(b, service)
	b = hmacSHA256(b, Terminator)
	e = &signingKeyEntry{}
	copy(e.key[:], b)
	keys.Lock()
	if len(keys.m) >= maxKeys {
		clear(keys.m)
	}
	keys.m[ref] = e
	keys.Unlock()
	return e
}

func hmacSHA256(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}

// signString is the hex signature of the SigV4 string to sign for
// canonicalRequest, signed at long (the signing time, YYYYMMDDTHHMMSSZ)
// for region and service.
func signString(canonicalRequest, secret, region, service, long string) string {
	day := long[:len(shortDateFormat)]
	sum := sha256.Sum256([]byte(canonicalRequest))
	var buf [256]byte
	b := append(buf[:0], Algorithm...)
	b = append(b, '\n')
	b = append(b, long...)
	b = append(b, '\n')
	b = append(b, day...)
	b = append(b, '/')
	b = append(b, region...)
	b = append(b, '/')
	b = append(b, service...)
	b = append(b, '/')
	b = append(b, Terminator...)
	b = append(b, '\n')
	b = hex.AppendEncode(b, sum[:])
	var mac [sha256.Size]byte
	signingKey(secret, day, region, service).sign(b, mac[:0])
	return hex.EncodeToString(mac[:])
}

// longDate is t (UTC) as YYYYMMDDTHHMMSSZ.
func longDate(t time.Time) string {
	var buf [len(longDateFormat)]byte
	return string(t.UTC().AppendFormat(buf[:0], longDateFormat))
}

// credentialScope is DAY/region/service/aws4_request for the signing time
// long (YYYYMMDDTHHMMSSZ).
func credentialScope(long, region, service string) string {
	return long[:len(shortDateFormat)] + "/" + region + "/" + service + "/" + Terminator
}

// queryParam is an encoded query parameter.
type queryParam struct{ key, value string }

// canonicalQuery returns the parameters of q URI-encoded (SigV4 style) and
// sorted after encoding (as the SigV4 specification says), then by value.
func canonicalQuery(q url.Values, extra int) []queryParam {
	n := extra
	for _, vs := range q {
		n += len(vs)
	}
	params := make([]queryParam, 0, n)
	for k, vs := range q {
		ek := encodeQueryComponent(k)
		for _, v := range vs {
			params = append(params, queryParam{ek, encodeQueryComponent(v)})
		}
	}
	sortParams(params)
	return params
}

func sortParams(params []queryParam) {
	slices.SortFunc(params, func(a, b queryParam) int {
		if c := strings.Compare(a.key, b.key); c != 0 {
			return c
		}
		return strings.Compare(a.value, b.value)
	})
}

// setParam sets the parameter key (plain name, no encoding needed) to value
// (not yet encoded), replacing any it had, and keeps params sorted.
func setParam(params []queryParam, key, value string) []queryParam {
	params = slices.DeleteFunc(params, func(p queryParam) bool { return p.key == key })
	params = append(params, queryParam{key, encodeQueryComponent(value)})
	sortParams(params)
	return params
}

func joinQuery(params []queryParam) string {
	n := 0
	for _, p := range params {
		n += len(p.key) + len(p.value) + 2
	}
	var b strings.Builder
	b.Grow(n)
	for i, p := range params {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.key)
		b.WriteByte('=')
		b.WriteString(p.value)
	}
	return b.String()
}

// encodeQueryComponent URI-encodes a query name or value: every byte
// outside A-Z a-z 0-9 - _ . ~ percent-encoded with uppercase hex.
func encodeQueryComponent(s string) string {
	return uriEscape(s, false)
}

// uriEncodePath encodes a path as SigV4 does when it escapes paths twice:
// as encodeQueryComponent, but leaving '/'.
func uriEncodePath(p string) string { return uriEscape(p, true) }

func uriEscape(s string, keepSlash bool) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i], keepSlash) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	const upperhex = "0123456789ABCDEF"
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c, keepSlash) {
			b = append(b, c)
		} else {
			b = append(b, '%', upperhex[c>>4], upperhex[c&15])
		}
	}
	return string(b)
}

func unreserved(c byte, slash bool) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~' || slash && c == '/'
}

// canonicalHeader is one signed header: its lowercase name and values.
type canonicalHeader struct {
	name   string
	values []string
}

// canonicalRequest is the SigV4 canonical request. headers must be sorted
// by name; each value is trimmed, multiple values joined with ','. s3
// leaves the escaped path as it is (no second escaping).
func canonicalRequest(method, escapedPath, query string, headers []canonicalHeader, payloadHash string, s3 bool) (req, signedHeaders string) {
	if escapedPath == "" {
		escapedPath = "/"
	}
	if !s3 {
		escapedPath = uriEncodePath(escapedPath)
	}
	var sh strings.Builder
	for i, h := range headers {
		if i > 0 {
			sh.WriteByte(';')
		}
		sh.WriteString(h.name)
	}
	signedHeaders = sh.String()
	var b strings.Builder
	b.Grow(len(method) + len(escapedPath) + len(query) + 2*len(signedHeaders) + len(payloadHash) + 64*len(headers) + 8)
	b.WriteString(method)
	b.WriteByte('\n')
	b.WriteString(escapedPath)
	b.WriteByte('\n')
	b.WriteString(query)
	b.WriteByte('\n')
	for _, h := range headers {
		b.WriteString(h.name)
		b.WriteByte(':')
		for j, v := range h.values {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strings.TrimSpace(v))
		}
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(signedHeaders)
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String(), signedHeaders
}
