package sigv4

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v2signer "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// randomText draws from characters that SigV4 encodes differently in paths,
// queries and headers: reserved, unreserved, spaces, '/', '+', '%', UTF-8.
func randomText(rng *rand.Rand, n int) string {
	const alphabet = "aZ09-_.~ /+%=&;:,?#!*'()ü\t"
	rs := []rune(alphabet)
	var b strings.Builder
	for range rng.IntN(n + 1) {
		b.WriteRune(rs[rng.IntN(len(rs))])
	}
	return b.String()
}

// randomRequest is a request as an http.Server hands it over, with a
// signature whose signed headers, time, region and service are random.
func randomRequest(rng *rand.Rand) (*http.Request, *Signature) {
	q := url.Values{}
	for range rng.IntN(4) {
		k := randomText(rng, 6)
		q.Add(k, randomText(rng, 8))
		if rng.IntN(3) == 0 {
			q.Add(k, randomText(rng, 8))
		}
	}
	query := rng.IntN(2) == 0
	if query {
		q.Set("X-Amz-Signature", "abc")
		q.Set("X-Amz-Expires", "300")
		if rng.IntN(2) == 0 {
			q.Set("X-Amz-Credential", "stale")
		}
	}
	u := &url.URL{Path: "/" + randomText(rng, 12), RawQuery: q.Encode()}
	if rng.IntN(4) == 0 {
		u.RawPath = strings.ReplaceAll(u.EscapedPath(), "%20", "+") // a RawPath that is no valid encoding: ignored
	}
	r := &http.Request{Method: []string{"GET", "POST", "PUT"}[rng.IntN(3)], URL: u, Header: http.Header{}, Host: "127.0.0.1:8470",
		ContentLength: int64(rng.IntN(3) - 1)}
	if rng.IntN(5) == 0 {
		r.Host = ""
		u.Host = "example.com"
	}
	names := []string{"Content-Type", "X-Amz-Target", "X-Amz-Date", "X-Amz-Security-Token", "X-Custom", "Authorization"}
	for _, n := range names {
		for range rng.IntN(3) {
			r.Header.Add(n, randomText(rng, 10)+"  "+randomText(rng, 4))
		}
	}
	if rng.IntN(3) == 0 {
		r.TransferEncoding = []string{"chunked"}
	}
	signed := []string{"host"}
	for _, n := range append(names, "content-length", "transfer-encoding", "x-absent", "HOST") {
		if rng.IntN(2) == 0 {
			signed = append(signed, n)
		}
	}
	rng.Shuffle(len(signed), func(i, j int) { signed[i], signed[j] = signed[j], signed[i] })
	at := time.Date(2026, 3, 15, 23, 59, 0, 0, time.UTC).Add(time.Duration(rng.IntN(240)) * time.Second)
	if rng.IntN(2) == 0 {
		at = at.In(time.FixedZone("x", 5*3600))
	}
	sig := &Signature{AccessKeyID: "AKID" + randomText(rng, 3), Date: at, Query: query, SignedHeaders: signed,
		Scope: Scope{Region: []string{"us-west-2", "eu-central-1", ""}[rng.IntN(3)], Service: []string{"discovery", "s3", "mgh"}[rng.IntN(3)]}}
	return r, sig
}

// Signature.compute (aws-http-auth's signer, given a request rebuilt from
// the headers the client listed) accepts what aws-sdk-go-v2's signer signs,
// header and query form, S3 rules or not, across a day change, for every
// random request.
func TestComputeAcceptsSDKv2(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 3000 {
		r, sig := randomRequest(rng)
		r.Header.Del("Authorization")
		r.Header.Del("X-Amz-Date")
		sig.AccessKeyID = fmt.Sprintf("AKID%d", i) // one a client can send
		secret := []string{"secret", "other secret", randomText(rng, 20)}[rng.IntN(3)]
		body := []byte(randomText(rng, 32))
		sum := sha256.Sum256(body)
		payloadHash, payload := hex.EncodeToString(sum[:]), sum[:]
		if rng.IntN(2) == 0 {
			payloadHash, payload = unsignedPayload, []byte(unsignedPayload)
		}
		s3 := rng.IntN(2) == 0
		signer := v2signer.NewSigner(func(o *v2signer.SignerOptions) { o.DisableURIPathEscaping = s3 })
		creds := aws.Credentials{AccessKeyID: sig.AccessKeyID, SecretAccessKey: secret}
		var err error
		if sig.Query {
			q := r.URL.Query()
			q.Del("X-Amz-Signature") // v2 would add a second one
			// v2 moves X-Amz-* headers into the query: a token given twice
			// would be refused by Parse.
			r.Header.Del("X-Amz-Security-Token")
			r.URL.RawQuery = q.Encode()
			var signed string
			signed, _, err = signer.PresignHTTP(context.Background(), creds, r, payloadHash, sig.Scope.Service, sig.Scope.Region, sig.Date)
			if err == nil { // the URL's query is signed; the rest is as it was
				_, r.URL.RawQuery, _ = strings.Cut(signed, "?")
			}
		} else {
			err = signer.SignHTTP(context.Background(), creds, r, payloadHash, sig.Scope.Service, sig.Scope.Region, sig.Date)
		}
		if err != nil {
			t.Fatal(err)
		}
		got, perr := Parse(r)
		if perr != nil || got == nil {
			t.Fatalf("case %d: Parse: %v", i, perr)
		}
		want, cerr := got.compute(r, secret, payload, s3)
		if cerr != nil || !hmac.Equal([]byte(want), []byte(got.Signature)) {
			t.Fatalf("case %d: %s %s signed %v query %v s3 %v at %v:\nsdk v2  %q\ncompute %q %v",
				i, r.Method, r.URL, got.SignedHeaders, sig.Query, s3, sig.Date, got.Signature, want, cerr)
		}
		if other, _ := got.compute(r, secret+"x", payload, s3); other == got.Signature {
			t.Fatalf("case %d: signature of another secret matched", i)
		}
	}
}

// Presign makes the URL aws-http-auth's signer makes: the same signature
// and parameters (the order of the query differs: aws-sdk-go-v2 puts
// X-Amz-Signature last).
func TestPresignMatchesLibrary(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 2000 {
		raw := fmt.Sprintf("http://127.0.0.1:%d/%s", 1000+rng.IntN(9000), url.PathEscape(randomText(rng, 12)))
		if rng.IntN(2) == 0 {
			raw += "?" + url.Values{randomText(rng, 4): {randomText(rng, 6)}, "X-Amz-Signature": {"old"}}.Encode()
		}
		at := time.Date(2026, 3, 15, 23, 58, 0, 0, time.UTC).Add(time.Duration(rng.IntN(240)) * time.Second)
		region := []string{"us-west-2", "eu-west-1"}[rng.IntN(2)]
		exp := time.Duration(1+rng.IntN(86400)) * time.Second
		want, werr := libraryPresign(raw, "POSEIDON", "s3cret", region, "s3", at, exp)
		got, gerr := Presign(raw, "POSEIDON", "s3cret", region, "s3", at, exp)
		if !sameURL(t, want, got) || (werr == nil) != (gerr == nil) {
			t.Fatalf("case %d: %s at %v:\nlibrary %q %v\nours    %q %v", i, raw, at, want, werr, got, gerr)
		}
	}
}

// sameURL reports whether a and b differ at most in the order of their
// query parameters.
func sameURL(t *testing.T, a, b string) bool {
	t.Helper()
	pa, qa, _ := strings.Cut(a, "?")
	pb, qb, _ := strings.Cut(b, "?")
	va, err := url.ParseQuery(qa)
	if err != nil {
		t.Fatal(err)
	}
	vb, err := url.ParseQuery(qb)
	if err != nil {
		t.Fatal(err)
	}
	return pa == pb && reflect.DeepEqual(va, vb)
}

// A Presigner makes the URLs Presign makes.
func TestPresignerMatchesPresign(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range 2000 {
		base := fmt.Sprintf("http://127.0.0.1:%d", 1000+rng.IntN(9000))
		switch rng.IntN(4) {
		case 0:
			base += "/"
		case 1:
			base += "/" + url.PathEscape(randomText(rng, 6))
		case 2:
			base = strings.ToUpper(base[:4]) + base[4:] + "/a%20b/"
		}
		path := fmt.Sprintf("/poseidon-exports/%012d/export-%x.zip", rng.IntN(1e12), rng.Uint64())
		if rng.IntN(3) == 0 {
			path = "/poseidon-exports/" + url.PathEscape(randomText(rng, 12)) + "/" + url.PathEscape(randomText(rng, 12)) + ".zip"
		}
		at := time.Date(2026, 3, 15, 23, 58, 0, 0, time.UTC).Add(time.Duration(rng.IntN(240)) * time.Second)
		region := []string{"us-west-2", "eu-west-1"}[rng.IntN(2)]
		exp := time.Duration(1+rng.IntN(86400)) * time.Second
		p, err := NewPresigner(base, "POSEIDON", "s3cret", region, "s3", at, exp)
		if err != nil {
			t.Fatal(err)
		}
		want, err := Presign(strings.TrimSuffix(base, "/")+path, "POSEIDON", "s3cret", region, "s3", at, exp)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := p.Presign(path); got != want || err != nil {
			t.Fatalf("case %d: base %q path %q:\nPresigner %s\nPresign   %s", i, base, path, got, want)
		}
	}
	for _, bad := range []string{"/relative", "http://h/?q=1", "http://u@h/", "http://h/#f"} {
		if _, err := NewPresigner(bad, "K", "s", "r", "s3", time.Now(), time.Hour); err == nil {
			t.Errorf("NewPresigner(%q) accepted", bad)
		}
	}
}

// Presign keeps one signer per secret, region and service, at most
// maxSigners of them; two secrets behind one access key ID (two servers in
// one process) each get their own key, and a URL presigned just before
// midnight and one just after each get their day's.
func TestPresignSigners(t *testing.T) {
	const raw = "http://127.0.0.1:8470/poseidon-exports/1/x.zip"
	verify := func(u, secret string, at time.Time) error {
		pu, err := url.Parse(u)
		if err != nil {
			t.Fatal(err)
		}
		r := &http.Request{Method: http.MethodGet, URL: pu, Host: pu.Host, Header: http.Header{}}
		_, err = VerifyPresigned(r, func(string) (string, bool) { return secret, true }, "s3", at.Add(time.Minute))
		return err
	}
	for i := range 3 * maxSigners {
		secret := []string{testSecret, "other secret"}[i%2]
		region := fmt.Sprintf("region-%d", i%(2*maxSigners))
		at := time.Date(2026, 3, 15, 23, 59, 59, 0, time.UTC).Add(time.Duration(i%3) * time.Second)
		u, err := Presign(raw, testAKID, secret, region, "s3", at, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := libraryPresign(raw, testAKID, secret, region, "s3", at, time.Hour)
		if !sameURL(t, u, want) {
			t.Fatalf("case %d: %s, library %s", i, u, want)
		}
		if err := verify(u, secret, at); err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if err := verify(u, secret+"x", at); err == nil {
			t.Fatalf("case %d: verified with another secret", i)
		}
		signers.Lock()
		n := len(signers.m)
		signers.Unlock()
		if n > maxSigners {
			t.Fatalf("%d signers kept, at most %d allowed", n, maxSigners)
		}
	}
}

func BenchmarkPresign(b *testing.B) {
	at := time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)
	b.Run("ours", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			Presign("http://127.0.0.1:8470/poseidon-exports/111111111111/export-1234.zip", "POSEIDONEXPORTS", "0123456789abcdef", "us-west-2", "s3", at, 24*time.Hour)
		}
	})
	b.Run("presigner", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			p, _ := NewPresigner("http://127.0.0.1:8470", "POSEIDONEXPORTS", "0123456789abcdef", "us-west-2", "s3", at, 24*time.Hour)
			for range 10 {
				p.Presign("/poseidon-exports/111111111111/export-1234.zip")
			}
		}
	})
	b.Run("library", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			libraryPresign("http://127.0.0.1:8470/poseidon-exports/111111111111/export-1234.zip", "POSEIDONEXPORTS", "0123456789abcdef", "us-west-2", "s3", at, 24*time.Hour)
		}
	})
}
