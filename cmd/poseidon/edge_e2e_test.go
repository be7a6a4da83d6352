package main

// Protocol edge cases against a real server (issue 6, item 4): empty inputs,
// Content-Type and Content-Encoding variants, Expect: 100-continue,
// pipelined keep-alive requests, chunked bodies, large responses and
// unicode round trips. Every ADS or Migration Hub Config response read raw
// goes through conformance.CheckResponse; SDK clients check theirs through
// conformance.Transport.

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/credentials"
	v4 "github.com/aws/aws-sdk-go/aws/signer/v4"
	ads "github.com/aws/aws-sdk-go/service/applicationdiscoveryservice"
	"github.com/aws/aws-sdk-go/service/migrationhubconfig"
	"github.com/poseidon-ads/poseidon/internal/agentdata"
	"github.com/poseidon-ads/poseidon/internal/conformance"
)

const (
	edgeADS = "AWSPoseidonService_V2015_11_01."
	edgeMGH = "AWSMigrationHubMultiAccountService."
	// Open mode takes the account from the credential scope; the signature
	// is not checked.
	edgeAuthADS = "AWS4-HMAC-SHA256 Credential=" + acctA + "/20260101/" + region + "/discovery/aws4_request, SignedHeaders=host, Signature=00"
	edgeAuthMGH = "AWS4-HMAC-SHA256 Credential=" + acctA + "/20260101/" + region + "/mgh/aws4_request, SignedHeaders=host, Signature=00"
	// edgeNoCT as a Content-Type sends no Content-Type header.
	edgeNoCT = "<none>"
)

func edgeAuth(target string) string {
	if strings.HasPrefix(target, edgeMGH) {
		return edgeAuthMGH
	}
	return edgeAuthADS
}

// edgePost sends one API request for account A with Content-Type
// application/x-amz-json-1.1 unless header pairs say otherwise, checks the
// response against the model and returns it with its decoded body.
func edgePost(t *testing.T, url, target string, body []byte, header ...string) (*http.Response, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+"/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", target)
	req.Header.Set("Authorization", edgeAuth(target))
	for i := 0; i+1 < len(header); i += 2 {
		if header[i] == "Content-Type" && header[i+1] == edgeNoCT {
			req.Header.Del("Content-Type")
			continue
		}
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	return resp, edgeBody(t, target, resp)
}

// edgeBody checks resp against the model and decodes its JSON object body.
func edgeBody(t *testing.T, target string, resp *http.Response) map[string]any {
	t.Helper()
	conformance.CheckResponse(t, target, resp)
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s: reading body: %v", target, err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s: HTTP %d body is not a JSON object: %q", target, resp.StatusCode, b)
	}
	if resp.Header.Get("x-amzn-RequestId") == "" {
		t.Fatalf("%s: no x-amzn-RequestId", target)
	}
	return out
}

// edgeWant fails unless the response is an error with that code and status.
func edgeWant(t *testing.T, resp *http.Response, out map[string]any, status int, code string) {
	t.Helper()
	if resp.StatusCode != status || out["__type"] != code {
		t.Fatalf("got %d %v, want %d %s", resp.StatusCode, out, status, code)
	}
	if resp.Header.Get("X-Amzn-ErrorType") != code {
		t.Fatalf("X-Amzn-ErrorType = %q, want %s", resp.Header.Get("X-Amzn-ErrorType"), code)
	}
}

func edgeGzip(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// edgeAppNames lists account A's application names by configuration ID.
func edgeAppNames(t *testing.T, c *ads.ApplicationDiscoveryService) map[string]string {
	t.Helper()
	out := map[string]string{}
	in := &ads.ListConfigurationsInput{ConfigurationType: aws.String(ads.ConfigurationItemTypeApplication), MaxResults: aws.Int64(100)}
	err := c.ListConfigurationsPages(in, func(p *ads.ListConfigurationsOutput, _ bool) bool {
		for _, m := range p.Configurations {
			out[aws.StringValue(m["application.configurationId"])] = aws.StringValue(m["application.name"])
		}
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func edgeSortedValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

// TestEdgeEmptyInput: for operations without input or with only optional
// input, an empty (or blank) body means {} (Smithy awsJson1_1 "empty body
// serialization"; botocore always sends {}). A JSON null is not an object.
func TestEdgeEmptyInput(t *testing.T) {
	s := startServer(t, "", "--no-limits")
	readOnly := []string{
		edgeADS + "DescribeAgents", edgeADS + "DescribeContinuousExports", edgeADS + "DescribeExportConfigurations",
		edgeADS + "DescribeExportTasks", edgeADS + "DescribeImportTasks", edgeADS + "DescribeTags",
		edgeADS + "GetDiscoverySummary", edgeMGH + "GetHomeRegion", edgeMGH + "DescribeHomeRegionControls",
	}
	// Something to list: two summary exports, started with "" and {}.
	var ids []string
	for _, body := range []string{"", "{}"} {
		resp, out := edgePost(t, s.URL, edgeADS+"StartExportTask", []byte(body))
		id, _ := out["exportId"].(string)
		if resp.StatusCode != 200 || !strings.HasPrefix(id, "export-") {
			t.Fatalf("StartExportTask with body %q: %d %v", body, resp.StatusCode, out)
		}
		ids = append(ids, id)
	}
	c := client(t, s.URL, acctA, "x")
	for _, id := range ids {
		waitExport(t, c, id) // stable answers from here on
	}
	for _, target := range readOnly {
		var want map[string]any
		for _, body := range []string{"{}", "", " \r\n\t ", "{ }"} {
			resp, out := edgePost(t, s.URL, target, []byte(body))
			if resp.StatusCode != 200 {
				t.Fatalf("%s with body %q: %d %v", target, body, resp.StatusCode, out)
			}
			if want == nil {
				want = out
				continue
			}
			// A download URL is signed at the second of the answer: the
			// signing time and signature may differ between two answers.
			a, b := unsigned(want), unsigned(out)
			if !bytes.Equal(a, b) {
				t.Fatalf("%s: body %q answered %s, {} answered %s", target, body, b, a)
			}
			if target == edgeADS+"DescribeExportTasks" {
				if l, _ := out["exportsInfo"].([]any); len(l) != len(ids) {
					t.Fatalf("DescribeExportTasks with body %q lists %d exports, want %d: %v", body, len(l), len(ids), out)
				}
			}
		}
	}
	if _, out := edgePost(t, s.URL, edgeADS+"GetDiscoverySummary", nil); out["servers"] != 0.0 {
		t.Fatalf("GetDiscoverySummary with an empty body: %v", out)
	}
	if _, out := edgePost(t, s.URL, edgeMGH+"GetHomeRegion", nil); out["HomeRegion"] != region {
		t.Fatalf("GetHomeRegion with an empty body: %v", out)
	}
	// ExportConfigurations has no input shape at all.
	if resp, out := edgePost(t, s.URL, edgeADS+"ExportConfigurations", nil); resp.StatusCode != 200 || out["exportId"] == nil {
		t.Fatalf("ExportConfigurations with an empty body: %d %v", resp.StatusCode, out)
	}
	// StartContinuousExport with "" starts one; {} then reaches the
	// operation too, which refuses a second one.
	resp, out := edgePost(t, s.URL, edgeADS+"StartContinuousExport", nil)
	if resp.StatusCode != 200 || out["exportId"] == nil {
		t.Fatalf("StartContinuousExport with an empty body: %d %v", resp.StatusCode, out)
	}
	resp, out = edgePost(t, s.URL, edgeADS+"StartContinuousExport", []byte("{}"))
	edgeWant(t, resp, out, 400, "ConflictErrorException")

	// Not an object: null, a string, a number.
	for _, body := range []string{"null", `"{}"`, "0"} {
		resp, out := edgePost(t, s.URL, edgeADS+"DescribeAgents", []byte(body))
		edgeWant(t, resp, out, 400, "SerializationException")
	}
	// An operation with a required member still needs it: an empty body is {}.
	resp, out = edgePost(t, s.URL, edgeADS+"ListConfigurations", nil)
	edgeWant(t, resp, out, 400, "InvalidParameterException")
	if msg, _ := out["message"].(string); !strings.Contains(msg, "configurationType") {
		t.Fatalf("message %q does not name configurationType", msg)
	}
}

// TestEdgeContentType: the JSON media types SDKs and hand-written clients
// send are accepted with any parameters (charset UTF-8), and so is a
// request without Content-Type. Other media types are refused before the
// operation runs with UnknownOperationException (what AWS answers when it
// cannot route a request to the JSON protocol), a charset other than UTF-8
// with SerializationException.
func TestEdgeContentType(t *testing.T) {
	s := startServer(t, "")
	c := client(t, s.URL, acctA, "x")
	tests := []struct {
		ctype  string
		status int
		code   string
	}{
		{"application/x-amz-json-1.1", 200, ""},
		{"application/x-amz-json-1.0", 200, ""},
		{"application/json", 200, ""},
		{"application/json; charset=utf-8", 200, ""},
		{"application/x-amz-json-1.1; charset=UTF-8", 200, ""},
		{"application/x-amz-json-1.0;charset=utf8", 200, ""},
		{"APPLICATION/X-AMZ-JSON-1.1", 200, ""},
		{edgeNoCT, 200, ""},
		{"", 200, ""},
		{"text/plain", 400, "UnknownOperationException"},
		{"application/x-www-form-urlencoded", 400, "UnknownOperationException"}, // curl -d without -H
		{"application/xml", 400, "UnknownOperationException"},
		{"application/cbor", 400, "UnknownOperationException"},
		{"application/x-amz-json-1.2", 400, "UnknownOperationException"},
		{"application/json-seq", 400, "UnknownOperationException"},
		{"multipart/form-data; boundary=x", 400, "UnknownOperationException"},
		{"application/json; charset", 400, "UnknownOperationException"}, // not a media type
		{"application/json; charset=iso-8859-1", 400, "SerializationException"},
		{"application/x-amz-json-1.1; charset=utf-16", 400, "SerializationException"},
	}
	var accepted []string
	for i, tt := range tests {
		name := fmt.Sprintf("ctype-%02d %s", i, tt.ctype)
		body, _ := json.Marshal(map[string]string{"name": name})
		resp, out := edgePost(t, s.URL, edgeADS+"CreateApplication", body, "Content-Type", tt.ctype)
		if tt.status == 200 {
			if resp.StatusCode != 200 || out["configurationId"] == nil {
				t.Fatalf("Content-Type %q: %d %v", tt.ctype, resp.StatusCode, out)
			}
			accepted = append(accepted, name)
			continue
		}
		edgeWant(t, resp, out, tt.status, tt.code)
		if msg, _ := out["message"].(string); !strings.Contains(msg, "application/x-amz-json-1.1") && !strings.Contains(msg, "UTF-8") {
			t.Fatalf("Content-Type %q: message %q does not say what is accepted", tt.ctype, msg)
		}
	}
	// Refused requests did nothing.
	got := edgeSortedValues(edgeAppNames(t, c))
	sort.Strings(accepted)
	if !slices.Equal(got, accepted) {
		t.Fatalf("applications %q, want %q", got, accepted)
	}
	// The Migration Hub Config API follows the same rules, with its "Message".
	resp, out := edgePost(t, s.URL, edgeMGH+"GetHomeRegion", nil, "Content-Type", "application/json; charset=utf-8")
	if resp.StatusCode != 200 || out["HomeRegion"] != region {
		t.Fatalf("MGH with application/json: %d %v", resp.StatusCode, out)
	}
	resp, out = edgePost(t, s.URL, edgeMGH+"GetHomeRegion", nil, "Content-Type", "text/plain")
	edgeWant(t, resp, out, 400, "UnknownOperationException")
	if out["Message"] == nil {
		t.Fatalf("MGH error without Message: %v", out)
	}
}

// TestEdgeContentEncoding: gzip request bodies (no ADS operation has the
// requestCompression trait, so SDKs do not send them; accepting them is
// harmless) are decoded, and the decoded body is bounded by
// --max-body-bytes like any body. Unknown codings are 415, corrupt gzip 400.
func TestEdgeContentEncoding(t *testing.T) {
	s := startServer(t, "", "--max-body-bytes", "4096")
	c := client(t, s.URL, acctA, "x")
	app := func(name string) []byte {
		b, _ := json.Marshal(map[string]string{"name": name, "description": "gzip ✓"})
		return b
	}
	var created []string
	for _, tt := range []struct {
		name, encoding string
		body           []byte
	}{
		{"gzip", "gzip", edgeGzip(app("gzip"))},
		{"x-gzip", "x-gzip", edgeGzip(app("x-gzip"))},
		{"GZIP upper case", "GZIP", edgeGzip(app("GZIP upper case"))},
		{"identity", "identity", app("identity")},
		{"gzip, identity", "gzip, identity", edgeGzip(app("gzip, identity"))},
		{"gzip twice", "gzip, gzip", edgeGzip(edgeGzip(app("gzip twice")))},
		{"gzip of an empty body", "gzip", edgeGzip(nil)}, // = {}: CreateApplication then misses name
	} {
		resp, out := edgePost(t, s.URL, edgeADS+"CreateApplication", tt.body, "Content-Encoding", tt.encoding)
		if tt.name == "gzip of an empty body" {
			edgeWant(t, resp, out, 400, "InvalidParameterException")
			continue
		}
		if resp.StatusCode != 200 || out["configurationId"] == nil {
			t.Fatalf("%s: %d %v", tt.name, resp.StatusCode, out)
		}
		created = append(created, tt.name)
	}
	// A body sent as several Content-Encoding header lines.
	{
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/", bytes.NewReader(edgeGzip(edgeGzip(app("two header lines")))))
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", edgeADS+"CreateApplication")
		req.Header.Set("Authorization", edgeAuthADS)
		req.Header.Add("Content-Encoding", "gzip")
		req.Header.Add("Content-Encoding", "gzip")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		out := edgeBody(t, edgeADS+"CreateApplication", resp)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("two Content-Encoding lines: %d %v", resp.StatusCode, out)
		}
		created = append(created, "two header lines")
	}

	// Decoded size: a 3000-byte body is fine, a gzip bomb of 1 MB that
	// compresses to ~1 KB is 413 like a plain body of that size.
	big := app(strings.Repeat("n", 100) + "-fits")
	big = bytes.Replace(big, []byte("gzip ✓"), bytes.Repeat([]byte("d"), 900), 1)
	if resp, out := edgePost(t, s.URL, edgeADS+"CreateApplication", edgeGzip(big), "Content-Encoding", "gzip"); resp.StatusCode != 200 {
		t.Fatalf("gzip of %d bytes: %d %v", len(big), resp.StatusCode, out)
	}
	created = append(created, strings.Repeat("n", 100)+"-fits")
	bomb := edgeGzip([]byte(`{"name":"bomb","description":"` + strings.Repeat("x", 1<<20) + `"}`))
	if len(bomb) > 4096 {
		t.Fatalf("test bug: the bomb is %d bytes compressed", len(bomb))
	}
	resp, out := edgePost(t, s.URL, edgeADS+"CreateApplication", bomb, "Content-Encoding", "gzip")
	edgeWant(t, resp, out, 413, "RequestEntityTooLargeException")
	if msg, _ := out["message"].(string); !strings.Contains(msg, "4096") {
		t.Fatalf("413 message %q", msg)
	}
	// Exactly at the limit after decoding: accepted (then validated).
	const pre, post = `{"name":"exact","description":"`, `"}`
	exact := []byte(pre + strings.Repeat("y", 4096-len(pre)-len(post)) + post)
	if len(exact) != 4096 {
		t.Fatalf("test bug: %d bytes", len(exact))
	}
	resp, out = edgePost(t, s.URL, edgeADS+"CreateApplication", edgeGzip(exact), "Content-Encoding", "gzip")
	edgeWant(t, resp, out, 400, "InvalidParameterValueException") // description over 1000 characters: the body was decoded and validated
	// The compressed body as sent is bounded too.
	resp, out = edgePost(t, s.URL, edgeADS+"CreateApplication", bytes.Repeat([]byte{0x1f}, 5000), "Content-Encoding", "gzip")
	edgeWant(t, resp, out, 413, "RequestEntityTooLargeException")

	// Unknown codings: 415 before the body is read, with Accept-Encoding.
	for _, enc := range []string{"br", "deflate", "compress", "zstd", "aws-chunked", "gzip, br", "gzip, gzip, gzip, gzip"} {
		resp, out := edgePost(t, s.URL, edgeADS+"CreateApplication", app("never "+enc), "Content-Encoding", enc)
		edgeWant(t, resp, out, 415, "SerializationException")
		if ae := resp.Header.Get("Accept-Encoding"); !strings.Contains(ae, "gzip") {
			t.Fatalf("%s: Accept-Encoding %q", enc, ae)
		}
	}

	// Corrupt gzip: 400 SerializationException.
	good := edgeGzip(app("corrupt"))
	flipped := bytes.Clone(good)
	flipped[len(flipped)-6] ^= 0xff // CRC-32
	for name, body := range map[string][]byte{
		"not gzip":         app("plain with gzip header"),
		"truncated":        good[:len(good)-4],
		"header only":      good[:10],
		"bad checksum":     flipped,
		"trailing garbage": append(bytes.Clone(good), "garbage"...),
		"gzip of non-JSON": edgeGzip([]byte("name=x")),
	} {
		resp, out := edgePost(t, s.URL, edgeADS+"CreateApplication", body, "Content-Encoding", "gzip")
		edgeWant(t, resp, out, 400, "SerializationException")
		if msg, _ := out["message"].(string); name != "gzip of non-JSON" && !strings.Contains(msg, "gzip") {
			t.Fatalf("%s: message %q", name, msg)
		}
	}

	got := edgeSortedValues(edgeAppNames(t, c))
	sort.Strings(created)
	if !slices.Equal(got, created) {
		t.Fatalf("applications %q, want %q", got, created)
	}
}

// TestEdgeContentEncodingStrict: SigV4 signs the body as sent, so a gzip
// body is authenticated before it is decoded.
func TestEdgeContentEncodingStrict(t *testing.T) {
	s := startServer(t, "", "--credentials", writeCredentials(t))
	send := func(signed, sent []byte) (*http.Response, map[string]any) {
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/", bytes.NewReader(sent))
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("Content-Encoding", "gzip")
		req.Header.Set("X-Amz-Target", edgeADS+"CreateApplication")
		if _, err := v4.NewSigner(credentials.NewStaticCredentials(keyA, secretA, "")).Sign(req, bytes.NewReader(signed), "discovery", region, time.Now()); err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		return resp, edgeBody(t, edgeADS+"CreateApplication", resp)
	}
	plain := []byte(`{"name":"signed gzip"}`)
	zipped := edgeGzip(plain)
	if resp, out := send(zipped, zipped); resp.StatusCode != 200 || out["configurationId"] == nil {
		t.Fatalf("signed over the gzip body: %d %v", resp.StatusCode, out)
	}
	// Signed over the decoded body: the signature does not match.
	resp, out := send(plain, zipped)
	if resp.StatusCode != 403 || out["__type"] != "InvalidSignatureException" {
		t.Fatalf("signed over the decoded body: %d %v", resp.StatusCode, out)
	}
	// Corrupt gzip from an authenticated client: 400.
	bad := zipped[:len(zipped)-3]
	resp, out = send(bad, bad)
	edgeWant(t, resp, out, 400, "SerializationException")
}

// edgeConn is a raw HTTP/1.1 connection to the server.
type edgeConn struct {
	t    *testing.T
	conn net.Conn
	br   *bufio.Reader
	host string
}

func edgeDial(t *testing.T, url string) *edgeConn {
	t.Helper()
	host := strings.TrimPrefix(url, "http://")
	conn, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	// A safety net against a hung test, not an assertion.
	conn.SetDeadline(time.Now().Add(60 * time.Second))
	t.Cleanup(func() { conn.Close() })
	return &edgeConn{t: t, conn: conn, br: bufio.NewReader(conn), host: host}
}

// head is the request line and headers of an API request (without the
// blank line), with extra header lines.
func (c *edgeConn) head(target string, extra ...string) string {
	h := "POST / HTTP/1.1\r\nHost: " + c.host + "\r\nContent-Type: application/x-amz-json-1.1\r\nX-Amz-Target: " + target +
		"\r\nAuthorization: " + edgeAuth(target) + "\r\n"
	for _, e := range extra {
		h += e + "\r\n"
	}
	return h
}

// request is a complete request with a Content-Length body.
func (c *edgeConn) request(target, body string, extra ...string) string {
	return c.head(target, append(extra, fmt.Sprintf("Content-Length: %d", len(body)))...) + "\r\n" + body
}

func (c *edgeConn) write(s string) {
	c.t.Helper()
	if _, err := io.WriteString(c.conn, s); err != nil {
		c.t.Fatal(err)
	}
}

// read reads one response, checks it against the model for target, and
// returns it with its decoded body (nil for a 1xx response).
func (c *edgeConn) read(target string) (*http.Response, map[string]any) {
	c.t.Helper()
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		c.t.Fatalf("reading the response to %s: %v", target, err)
	}
	if resp.StatusCode < 200 {
		return resp, nil
	}
	defer resp.Body.Close()
	return resp, edgeBody(c.t, target, resp)
}

// TestEdgeExpectContinue: a client sending "Expect: 100-continue" gets 100
// Continue, then its answer; a declared body over the limit is refused
// with 413 before the server asks for it, and the connection is closed.
func TestEdgeExpectContinue(t *testing.T) {
	s := startServer(t, "", "--max-body-bytes", "4096")
	target := edgeADS + "CreateApplication"
	body := `{"name":"expect continue"}`

	c := edgeDial(t, s.URL)
	c.write(c.head(target, "Expect: 100-continue", fmt.Sprintf("Content-Length: %d", len(body))) + "\r\n")
	resp, _ := c.read(target)
	if resp.StatusCode != http.StatusContinue {
		t.Fatalf("first answer %d, want 100 Continue", resp.StatusCode)
	}
	c.write(body)
	resp, out := c.read(target)
	if resp.StatusCode != 200 || out["configurationId"] == nil {
		t.Fatalf("after the body: %d %v", resp.StatusCode, out)
	}
	// The connection stays usable.
	c.write(c.request(edgeADS+"GetDiscoverySummary", "{}"))
	if resp, out := c.read(edgeADS + "GetDiscoverySummary"); resp.StatusCode != 200 || out["applications"] != 1.0 {
		t.Fatalf("next request on the connection: %d %v", resp.StatusCode, out)
	}

	// Over the limit: 413 instead of 100, without a byte of body sent.
	c = edgeDial(t, s.URL)
	c.write(c.head(target, "Expect: 100-continue", "Content-Length: 5000") + "\r\n")
	resp, out = c.read(target)
	edgeWant(t, resp, out, 413, "RequestEntityTooLargeException")
	if !resp.Close {
		t.Fatalf("413 to an unsent body keeps the connection open: %v", resp.Header)
	}
	// Refused as well without Expect, the body sent at once.
	c = edgeDial(t, s.URL)
	c.write(c.request(target, `{"name":"`+strings.Repeat("z", 5000)+`"}`))
	resp, out = c.read(target)
	edgeWant(t, resp, out, 413, "RequestEntityTooLargeException")

	// A refusal that needs no body (unknown Content-Encoding) also comes
	// before 100 Continue.
	c = edgeDial(t, s.URL)
	c.write(c.head(target, "Expect: 100-continue", "Content-Encoding: br", "Content-Length: 20") + "\r\n")
	resp, out = c.read(target)
	edgeWant(t, resp, out, 415, "SerializationException")

	apps := edgeAppNames(t, client(t, s.URL, acctA, "x"))
	if got := edgeSortedValues(apps); !slices.Equal(got, []string{"expect continue"}) {
		t.Fatalf("applications %q", got)
	}
}

// TestEdgePipelining: requests written back to back on one keep-alive
// connection before any response is read are answered in order, each
// with its own request ID, and each sees the effects of the ones before.
func TestEdgePipelining(t *testing.T) {
	s := startServer(t, "")
	c := edgeDial(t, s.URL)
	type step struct {
		target, body string
		check        func(resp *http.Response, out map[string]any) bool
	}
	ok200 := func(member string) func(*http.Response, map[string]any) bool {
		return func(r *http.Response, out map[string]any) bool {
			_, has := out[member]
			return r.StatusCode == 200 && has
		}
	}
	steps := []step{
		{edgeADS + "CreateApplication", `{"name":"pipe-1"}`, ok200("configurationId")},
		{edgeADS + "GetDiscoverySummary", ``, func(r *http.Response, out map[string]any) bool {
			return r.StatusCode == 200 && out["applications"] == 1.0
		}},
		{edgeADS + "DescribeEverything", `{}`, func(r *http.Response, out map[string]any) bool {
			return r.StatusCode == 400 && out["__type"] == "UnknownOperationException"
		}},
		{edgeADS + "CreateApplication", `{"name":"pipe-2"}`, ok200("configurationId")},
		{edgeMGH + "GetHomeRegion", `{}`, func(r *http.Response, out map[string]any) bool {
			return r.StatusCode == 200 && out["HomeRegion"] == region
		}},
		{edgeADS + "DescribeExportTasks", `{"maxResults":"x"}`, func(r *http.Response, out map[string]any) bool {
			return r.StatusCode == 400 && out["__type"] == "SerializationException"
		}},
		{edgeADS + "GetDiscoverySummary", `{}`, func(r *http.Response, out map[string]any) bool {
			return r.StatusCode == 200 && out["applications"] == 2.0
		}},
	}
	var all strings.Builder
	for _, st := range steps {
		all.WriteString(c.request(st.target, st.body))
	}
	c.write(all.String()) // one write: every request is on the wire before any answer is read
	seen := map[string]bool{}
	for i, st := range steps {
		resp, out := c.read(st.target)
		if !st.check(resp, out) {
			t.Fatalf("response %d (%s): %d %v", i+1, st.target, resp.StatusCode, out)
		}
		rid := resp.Header.Get("x-amzn-RequestId")
		if seen[rid] {
			t.Fatalf("response %d repeats request ID %s", i+1, rid)
		}
		seen[rid] = true
		if resp.Close {
			t.Fatalf("response %d closes the connection", i+1)
		}
	}
	// Still open for more.
	c.write(c.request(edgeADS+"DescribeTags", "{}"))
	if resp, out := c.read(edgeADS + "DescribeTags"); resp.StatusCode != 200 || out["tags"] == nil {
		t.Fatalf("after the pipeline: %d %v", resp.StatusCode, out)
	}
}

// chunked encodes body in chunks of n bytes.
func edgeChunked(body string, n int) string {
	var b strings.Builder
	for len(body) > 0 {
		k := min(n, len(body))
		fmt.Fprintf(&b, "%x\r\n%s\r\n", k, body[:k])
		body = body[k:]
	}
	b.WriteString("0\r\n\r\n")
	return b.String()
}

// TestEdgeChunked: Transfer-Encoding: chunked bodies are read like any
// other, bounded by --max-body-bytes (413 once the chunks pass it).
func TestEdgeChunked(t *testing.T) {
	s := startServer(t, "", "--max-body-bytes", "4096")
	target := edgeADS + "CreateApplication"
	c := edgeDial(t, s.URL)
	c.write(c.head(target, "Transfer-Encoding: chunked") + "\r\n" + edgeChunked(`{"name":"chunked ✓","description":"in 7-byte chunks"}`, 7))
	if resp, out := c.read(target); resp.StatusCode != 200 || out["configurationId"] == nil {
		t.Fatalf("chunked: %d %v", resp.StatusCode, out)
	}
	// Chunked and gzipped, on the same connection.
	c.write(c.head(target, "Transfer-Encoding: chunked", "Content-Encoding: gzip") + "\r\n" + edgeChunked(string(edgeGzip([]byte(`{"name":"chunked gzip"}`))), 5))
	if resp, out := c.read(target); resp.StatusCode != 200 || out["configurationId"] == nil {
		t.Fatalf("chunked gzip: %d %v", resp.StatusCode, out)
	}
	// A chunk extension and a trailer are allowed by HTTP/1.1.
	ext := `{"name":"extension"}`
	c.write(c.head(target, "Transfer-Encoding: chunked") + "\r\n" + fmt.Sprintf("%x;ext=1\r\n%s\r\n0\r\nX-Trailer: t\r\n\r\n", len(ext), ext))
	if resp, out := c.read(target); resp.StatusCode != 200 || out["configurationId"] == nil {
		t.Fatalf("chunk extension: %d %v", resp.StatusCode, out)
	}
	// Over the limit in many small chunks.
	c.write(c.head(target, "Transfer-Encoding: chunked") + "\r\n" + edgeChunked(`{"name":"`+strings.Repeat("c", 5000)+`"}`, 512))
	resp, out := c.read(target)
	edgeWant(t, resp, out, 413, "RequestEntityTooLargeException")
	// Malformed chunk framing: the body cannot be read.
	c = edgeDial(t, s.URL)
	c.write(c.head(target, "Transfer-Encoding: chunked") + "\r\n" + "zz\r\n{}\r\n0\r\n\r\n")
	resp, out = c.read(target)
	edgeWant(t, resp, out, 400, "SerializationException")

	got := edgeSortedValues(edgeAppNames(t, client(t, s.URL, acctA, "x")))
	if !slices.Equal(got, []string{"chunked gzip", "chunked ✓", "extension"}) {
		t.Fatalf("applications %q", got)
	}
}

// TestEdgeLargeResponses: full pages of 100 items with long attribute maps
// and long values are read completely and conform to the model.
func TestEdgeLargeResponses(t *testing.T) {
	s := startServer(t, "")
	c := client(t, s.URL, acctA, "x")
	base := time.Now().Add(-time.Hour).Truncate(time.Minute)
	var reports []agentdata.Report
	hosts := map[string]bool{}
	for i := range 100 {
		host := fmt.Sprintf("host-%03d.", i) + strings.Repeat("größer-rechenzentrum.", 10) + "example.com"
		hosts[host] = true
		var nics []agentdata.NetworkInterface
		for n := range 12 {
			nics = append(nics, agentdata.NetworkInterface{Name: fmt.Sprintf("eth%d", n), MACAddress: fmt.Sprintf("06:00:00:00:%02x:%02x", i, n),
				IPAddress: fmt.Sprintf("10.%d.%d.%d", i, n, 1), NetMask: "255.255.255.0"})
		}
		reports = append(reports, agentdata.Report{ReportID: fmt.Sprintf("big-%03d", i), AgentID: fmt.Sprintf("o-%017x", i), Timestamp: float64(base.Unix()),
			Agent: agentdata.AgentInfo{Version: "2.0.0"},
			Server: agentdata.ServerInfo{HostName: host, OSName: "Linux – Distribución " + strings.Repeat("ü", 200), OSVersion: strings.Repeat("5.15.0-", 20),
				CPUType: "x64", Hypervisor: "kvm", Type: "EC2", NumCPUs: 4, NumCores: 8, TotalRAMMB: 32768, NumDisks: 2},
			NetworkInterfaces: nics,
			Performance:       &agentdata.Performance{CPUUsagePct: 12.5, FreeRAMMB: 1024, DiskFreeGB: 50},
		})
	}
	postAgentBatch(t, s.URL, acctA, &agentdata.Batch{Reports: reports})

	// One page of 100 servers through the SDK (checked by its transport)...
	out, err := c.ListConfigurations(&ads.ListConfigurationsInput{ConfigurationType: aws.String("SERVER"), MaxResults: aws.Int64(100)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Configurations) != 100 || out.NextToken != nil {
		t.Fatalf("%d servers, nextToken %v", len(out.Configurations), out.NextToken)
	}
	var ids []*string
	minAttrs := 1 << 30
	for _, m := range out.Configurations {
		if !hosts[aws.StringValue(m["server.hostName"])] {
			t.Fatalf("unexpected host name %q", aws.StringValue(m["server.hostName"]))
		}
		minAttrs = min(minAttrs, len(m))
		ids = append(ids, m["server.configurationId"])
	}
	// ...and raw, read to the end: Content-Length matches what was read.
	resp, raw := edgePost(t, s.URL, edgeADS+"ListConfigurations", []byte(`{"configurationType":"SERVER","maxResults":100}`))
	if resp.StatusCode != 200 {
		t.Fatalf("raw ListConfigurations: %d", resp.StatusCode)
	}
	rawList, _ := raw["configurations"].([]any)
	if len(rawList) != 100 {
		t.Fatalf("raw page has %d items", len(rawList))
	}
	// The long attribute maps: DescribeConfigurations of the 100 servers
	// (36 keys each, interface lists as JSON text), raw.
	idJSON, _ := json.Marshal(aws.StringValueSlice(ids))
	resp, raw = edgePost(t, s.URL, edgeADS+"DescribeConfigurations", []byte(`{"configurationIds":`+string(idJSON)+`}`))
	items, _ := raw["configurations"].([]any)
	if resp.StatusCode != 200 || len(items) != 100 {
		t.Fatalf("raw DescribeConfigurations: %d, %d items", resp.StatusCode, len(items))
	}
	minAttrs = 1 << 30
	for _, it := range items {
		m := it.(map[string]any)
		minAttrs = min(minAttrs, len(m))
		ni, _ := m["server.networkInterfaceInfo"].(string)
		var nics []map[string]string
		if err := json.Unmarshal([]byte(ni), &nics); err != nil || len(nics) != 10 || m["server.networkInterfaceInfo.hasMoreValues"] != "true" {
			t.Fatalf("server.networkInterfaceInfo = %q (%v), hasMoreValues %v", ni, err, m["server.networkInterfaceInfo.hasMoreValues"])
		}
		if !hosts[m["server.hostName"].(string)] {
			t.Fatalf("DescribeConfigurations host %v", m["server.hostName"])
		}
	}
	size, _ := json.Marshal(raw)
	t.Logf("DescribeConfigurations: 100 servers, at least %d attributes each, %d bytes of JSON", minAttrs, len(size))
	if minAttrs < 25 {
		t.Fatalf("only %d attributes per server", minAttrs)
	}

	// 3 tags of 256 characters (multibyte) on every server: 300 tags,
	// DescribeTags pages of 100.
	want := map[string]string{}
	var tags []*ads.Tag
	for k := range 3 {
		key := fmt.Sprintf("schlüssel-%d-", k) + strings.Repeat("k", 100)
		val := strings.Repeat("値", 200) + strings.Repeat("🏷", 55) + fmt.Sprintf("%d", k)
		if utf8.RuneCountInString(val) != 256 {
			t.Fatalf("test bug: %d runes", utf8.RuneCountInString(val))
		}
		want[key] = val
		tags = append(tags, &ads.Tag{Key: aws.String(key), Value: aws.String(val)})
	}
	if _, err := c.CreateTags(&ads.CreateTagsInput{ConfigurationIds: ids, Tags: tags}); err != nil {
		t.Fatal(err)
	}
	pages, total := 0, 0
	err = c.DescribeTagsPages(&ads.DescribeTagsInput{MaxResults: aws.Int64(100)}, func(p *ads.DescribeTagsOutput, _ bool) bool {
		pages++
		if len(p.Tags) != 100 {
			t.Errorf("page %d has %d tags", pages, len(p.Tags))
		}
		for _, tg := range p.Tags {
			total++
			if want[aws.StringValue(tg.Key)] != aws.StringValue(tg.Value) {
				t.Errorf("tag %q = %q", aws.StringValue(tg.Key), aws.StringValue(tg.Value))
			}
		}
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	if pages != 3 || total != 300 {
		t.Fatalf("%d pages, %d tags", pages, total)
	}
	// The raw first page, checked against the model.
	resp, raw = edgePost(t, s.URL, edgeADS+"DescribeTags", []byte(`{"maxResults":100}`))
	if l, _ := raw["tags"].([]any); resp.StatusCode != 200 || len(l) != 100 || raw["nextToken"] == nil {
		t.Fatalf("raw DescribeTags: %d, %d tags", resp.StatusCode, len(l))
	}
}

// edgeStrings are names and tags that must come back byte for byte: no
// Unicode normalization, no escaping left behind, supplementary planes.
var edgeStrings = []string{
	"Zahlungsverkehr – Überweisungen 💳 支付 платежи",
	"Caf\u00e9",  // NFC é
	"Cafe\u0301", // NFD e + combining acute: a different name
	"👩\u200d💻 team 👍🏽 🇩🇪",
	"تطبيق الدفع",
	"𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝟙𝟚𝟛",
	"a\u200bb zero width",
	`<script>alert("&'\\")</script>`,
	"Ｆｕｌｌｗｉｄｔｈ　ｎａｍｅ",
}

// TestEdgeUnicode: application names and descriptions, tag keys and values
// and host names with multibyte characters round-trip exactly through the
// API and the summary export CSV files; lengths count code points.
func TestEdgeUnicode(t *testing.T) {
	s := startServer(t, "")
	c := client(t, s.URL, acctA, "x")
	host := "сервер-01.пример.рф"
	postAgentBatch(t, s.URL, acctA, &agentdata.Batch{Reports: []agentdata.Report{{ReportID: "u-0", AgentID: "o-0000000000000abcd",
		Timestamp: float64(time.Now().Add(-time.Hour).Unix()), Server: agentdata.ServerInfo{HostName: host, OSName: "Linux 🐧"}}}})
	servers, err := c.ListConfigurations(&ads.ListConfigurationsInput{ConfigurationType: aws.String("SERVER")})
	if err != nil || len(servers.Configurations) != 1 {
		t.Fatalf("servers %v %v", servers, err)
	}
	if got := aws.StringValue(servers.Configurations[0]["server.hostName"]); got != host {
		t.Fatalf("host name %q, want %q", got, host)
	}
	serverID := servers.Configurations[0]["server.configurationId"]

	apps := map[string]string{}  // ID → name
	descs := map[string]string{} // ID → description
	for i, name := range edgeStrings {
		desc := fmt.Sprintf("description %d: %s\nsecond line\ttab", i, name)
		out, err := c.CreateApplication(&ads.CreateApplicationInput{Name: aws.String(name), Description: aws.String(desc)})
		if err != nil {
			t.Fatalf("CreateApplication(%q): %v", name, err)
		}
		apps[aws.StringValue(out.ConfigurationId)] = name
		descs[aws.StringValue(out.ConfigurationId)] = desc
	}
	// JSON escapes, surrogate pairs included, decode to the same text.
	resp, out := edgePost(t, s.URL, edgeADS+"CreateApplication", []byte(`{"name":"\ud83d\ude00 escaped \u00e9\u0301 \/ \"q\""}`))
	if resp.StatusCode != 200 {
		t.Fatalf("escaped name: %d %v", resp.StatusCode, out)
	}
	apps[out["configurationId"].(string)] = "😀 escaped é\u0301 / \"q\""

	got := edgeAppNames(t, c)
	if len(got) != len(apps) {
		t.Fatalf("%d applications, want %d", len(got), len(apps))
	}
	for id, name := range apps {
		if got[id] != name {
			t.Errorf("application %s: name %q (% x), want %q (% x)", id, got[id], got[id], name, name)
		}
	}
	var idList []*string
	for id := range apps {
		idList = append(idList, aws.String(id))
	}
	desc, err := c.DescribeConfigurations(&ads.DescribeConfigurationsInput{ConfigurationIds: idList})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range desc.Configurations {
		id, name := aws.StringValue(m["application.configurationId"]), aws.StringValue(m["application.name"])
		if apps[id] != name {
			t.Errorf("DescribeConfigurations %s: name %q, want %q", id, name, apps[id])
		}
		if d := aws.StringValue(m["application.description"]); d != descs[id] {
			t.Errorf("DescribeConfigurations %s: description %q, want %q", id, d, descs[id])
		}
	}

	// Lengths count code points: 127 emoji (508 bytes) is a valid name, 128 is not.
	if _, err := c.CreateApplication(&ads.CreateApplicationInput{Name: aws.String(strings.Repeat("😀", 127))}); err != nil {
		t.Fatalf("127 emoji: %v", err)
	}
	_, err = c.CreateApplication(&ads.CreateApplicationInput{Name: aws.String(strings.Repeat("😀", 128))})
	wantCode(t, err, ads.ErrCodeInvalidParameterValueException, 400)
	_, err = c.CreateApplication(&ads.CreateApplicationInput{Name: aws.String("x"), Description: aws.String(strings.Repeat("e\u0301", 500) + "!")}) // 1001 code points
	wantCode(t, err, ads.ErrCodeInvalidParameterValueException, 400)

	// Tags: unicode keys and values on the server, round trip and filters
	// compare exactly (NFC and NFD are different values).
	tagPairs := [][2]string{
		{"ключ-🔑", "значение ✓ Caf\u00e9"},
		{"ключ-🔑", "значение ✓ Cafe\u0301"},
		{"部署", "財務部 👩\u200d💼"},
		{"emoji-🇯🇵", `quote " comma , newline` + "\n" + `end`},
	}
	var tags []*ads.Tag
	for _, p := range tagPairs {
		tags = append(tags, &ads.Tag{Key: aws.String(p[0]), Value: aws.String(p[1])})
	}
	if _, err := c.CreateTags(&ads.CreateTagsInput{ConfigurationIds: []*string{serverID}, Tags: tags}); err != nil {
		t.Fatal(err)
	}
	dt, err := c.DescribeTags(&ads.DescribeTagsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var gotPairs [][2]string
	for _, tg := range dt.Tags {
		gotPairs = append(gotPairs, [2]string{aws.StringValue(tg.Key), aws.StringValue(tg.Value)})
	}
	sortPairs := func(p [][2]string) {
		sort.Slice(p, func(i, j int) bool { return p[i][0]+"\x00"+p[i][1] < p[j][0]+"\x00"+p[j][1] })
	}
	wantPairs := slices.Clone(tagPairs)
	sortPairs(gotPairs)
	sortPairs(wantPairs)
	if !slices.Equal(gotPairs, wantPairs) {
		t.Fatalf("tags %q, want %q", gotPairs, wantPairs)
	}
	dt, err = c.DescribeTags(&ads.DescribeTagsInput{Filters: []*ads.TagFilter{{Name: aws.String("tagValue"), Values: aws.StringSlice([]string{"значение ✓ Caf\u00e9"})}}})
	if err != nil || len(dt.Tags) != 1 || aws.StringValue(dt.Tags[0].Value) != "значение ✓ Caf\u00e9" {
		t.Fatalf("tagValue filter (NFC): %v %v", dt, err)
	}

	// The summary export: Application.csv names, Server.csv host, Tags.csv pairs.
	st, err := c.StartExportTask(&ads.StartExportTaskInput{})
	if err != nil {
		t.Fatal(err)
	}
	info := waitExport(t, c, aws.StringValue(st.ExportId))
	code, zipped := download(t, aws.StringValue(info.ConfigurationsDownloadUrl))
	if code != 200 {
		t.Fatalf("download %d", code)
	}
	files := unzip(t, zipped)
	cells := func(file string) map[string]bool {
		t.Helper()
		text, ok := files[acctA+"_"+file]
		if !ok {
			t.Fatalf("no %s in the export", file)
		}
		if !utf8.ValidString(text) {
			t.Fatalf("%s is not UTF-8", file)
		}
		recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(text, "\ufeff"))).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		set := map[string]bool{}
		for _, r := range recs {
			for _, f := range r {
				set[f] = true
			}
		}
		return set
	}
	appCells := cells("Application.csv")
	for _, name := range apps {
		if !appCells[name] {
			t.Errorf("Application.csv lacks the name %q", name)
		}
	}
	if !cells("Server.csv")[host] {
		t.Errorf("Server.csv lacks the host name %q", host)
	}
	tagCells := cells("Tags.csv")
	for _, p := range tagPairs {
		if !tagCells[p[0]] || !tagCells[p[1]] {
			t.Errorf("Tags.csv lacks %q = %q", p[0], p[1])
		}
	}
}

// TestEdgeMGHConformance: Migration Hub Config responses received by the
// Go SDK are checked against their model too.
func TestEdgeMGHConformance(t *testing.T) {
	s := startServer(t, "", "--home-region", "none")
	m := mghClient(t, s.URL, acctA, "x", region)
	before, _ := conformance.ServiceStats(conformance.ServiceMGH)
	if _, err := m.GetHomeRegion(&migrationhubconfig.GetHomeRegionInput{}); err != nil {
		t.Fatal(err)
	}
	created, err := m.CreateHomeRegionControl(&migrationhubconfig.CreateHomeRegionControlInput{HomeRegion: aws.String(region),
		Target: &migrationhubconfig.Target{Type: aws.String("ACCOUNT"), Id: aws.String(acctA)}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.DescribeHomeRegionControls(&migrationhubconfig.DescribeHomeRegionControlsInput{}); err != nil {
		t.Fatal(err)
	}
	_, err = m.CreateHomeRegionControl(&migrationhubconfig.CreateHomeRegionControlInput{HomeRegion: aws.String(region),
		Target: &migrationhubconfig.Target{Type: aws.String("NOPE")}})
	wantCode(t, err, "InvalidInputException", 400)
	if _, err := m.DeleteHomeRegionControl(&migrationhubconfig.DeleteHomeRegionControlInput{ControlId: created.HomeRegionControl.ControlId}); err != nil {
		t.Fatal(err)
	}
	after, bad := conformance.ServiceStats(conformance.ServiceMGH)
	if after-before < 5 { // other tests may run in parallel: at least these 5
		t.Fatalf("%d Migration Hub Config responses checked, want 5", after-before)
	}
	t.Logf("Migration Hub Config responses checked in this process: %d (%d non-conforming)", after, bad)
}

// presignedAt matches the signing time and signature of a presigned URL.
var presignedAt = regexp.MustCompile(`X-Amz-(Date=[0-9TZ]+|Signature=[0-9a-f]+)`)

// unsigned is the JSON of v with the signing times and signatures of its
// presigned URLs blanked.
func unsigned(v any) []byte {
	b, _ := json.Marshal(v)
	return presignedAt.ReplaceAll(b, []byte("X-Amz-signed"))
}
