package sigv4

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
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

// The package's signer computes, for every request, the signature that
// aws-http-auth's computes (across a day change, with keys cached).
func TestSignerMatchesLibrary(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 5000 {
		r, sig := randomRequest(rng)
		secret := []string{"secret", "other secret", randomText(rng, 20)}[rng.IntN(3)]
		payload := []byte(unsignedPayload)
		if rng.IntN(2) == 0 {
			payload = []byte(randomText(rng, 32))
		}
		s3 := rng.IntN(2) == 0
		want, werr := sig.libraryCompute(r, secret, payload, s3)
		got, gerr := sig.compute(r, secret, payload, s3)
		if want != got || (werr == nil) != (gerr == nil) {
			t.Fatalf("case %d: %s %s signed %v query %v s3 %v at %v:\nlibrary %q %v\nours    %q %v",
				i, r.Method, r.URL, sig.SignedHeaders, sig.Query, s3, sig.Date, want, werr, got, gerr)
		}
	}
}

// Presign makes the URL aws-http-auth's signer makes.
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
		if want != got || (werr == nil) != (gerr == nil) {
			t.Fatalf("case %d: %s at %v:\nlibrary %q %v\nours    %q %v", i, raw, at, want, werr, got, gerr)
		}
	}
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

// A cached signing key is the key of its secret, day, region and service:
// across a day change the next day's key is derived, and a full cache is
// emptied, not consulted for a key it does not hold.
func TestSigningKeyCache(t *testing.T) {
	derive := func(secret, day, region, service string) string {
		b := hmacSHA256([]byte("AWS4"+secret), day)
		b = hmacSHA256(b, region)
		b = hmacSHA256(b, service)
		return fmt.Sprintf("%x", hmacSHA256(b, Terminator))
	}
	check := func(secret, day, region, service string) {
		t.Helper()
		for range 2 { // derived, then cached
			k := signingKey(secret, day, region, service)
			if got, want := fmt.Sprintf("%x", k.key[:]), derive(secret, day, region, service); got != want {
				t.Fatalf("key of %s/%s/%s/%s = %s, want %s", secret, day, region, service, got, want)
			}
		}
	}
	check("s", "20260315", "us-west-2", "s3")
	check("s", "20260316", "us-west-2", "s3")
	check("t", "20260316", "us-west-2", "s3")
	check("s", "20260316", "us-east-1", "s3")
	check("s", "20260316", "us-east-1", "discovery")
	for i := range 3 * maxKeys {
		check("s", "20260316", fmt.Sprintf("region-%d", i), "s3")
		keys.RLock()
		n := len(keys.m)
		keys.RUnlock()
		if n > maxKeys {
			t.Fatalf("%d keys cached, at most %d allowed", n, maxKeys)
		}
	}
	check("s", "20260315", "us-west-2", "s3")

	// A URL presigned just before midnight and one just after verify, each
	// with its own day's key.
	for _, at := range []time.Time{time.Date(2026, 3, 15, 23, 59, 59, 0, time.UTC), time.Date(2026, 3, 16, 0, 0, 0, 0, time.UTC)} {
		u, err := Presign("http://127.0.0.1:8470/poseidon-exports/1/x.zip", testAKID, testSecret, testRegion, "s3", at, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := libraryPresign("http://127.0.0.1:8470/poseidon-exports/1/x.zip", testAKID, testSecret, testRegion, "s3", at, time.Hour)
		if u != want {
			t.Fatalf("at %v: %s, library %s", at, u, want)
		}
		pu, _ := url.Parse(u)
		r := &http.Request{Method: http.MethodGet, URL: pu, Host: pu.Host, Header: http.Header{}}
		if _, err := VerifyPresigned(r, secrets, "s3", at.Add(time.Minute)); err != nil {
			t.Fatalf("at %v: %v", at, err)
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
