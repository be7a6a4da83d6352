package auth

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws/credentials"
	v4 "github.com/aws/aws-sdk-go/aws/signer/v4"

	"github.com/poseidon-ads/poseidon/internal/sigv4"
)

func TestAllowed(t *testing.T) {
	tests := []struct {
		allow  []string
		action string
		want   bool
	}{
		{nil, "discovery:StartExportTask", true},
		{[]string{}, "discovery:DescribeExportTasks", false},
		{[]string{"discovery:Describe*"}, "discovery:DescribeExportTasks", true},
		{[]string{"discovery:Describe*"}, "discovery:StartExportTask", false},
		{[]string{"DISCOVERY:describe*"}, "discovery:DescribeExportTasks", true},
		{[]string{"discovery:*"}, "mgh:GetHomeRegion", false},
		{[]string{"*"}, "mgh:GetHomeRegion", true},
		{[]string{"discovery:StartExportTas?"}, "discovery:StartExportTask", true},
		{[]string{"discovery:Start"}, "discovery:StartExportTask", false},
	}
	for _, tt := range tests {
		if got := (Identity{allow: tt.allow}).Allowed(tt.action); got != tt.want {
			t.Errorf("allow %v, Allowed(%s) = %v, want %v", tt.allow, tt.action, got, tt.want)
		}
	}
}

func TestLoadStrict(t *testing.T) {
	write := func(body string) string {
		p := filepath.Join(t.TempDir(), "c.json")
		os.WriteFile(p, []byte(body), 0o600)
		return p
	}
	bad := map[string]string{
		"no identities": `{"identities":[]}`,
		"short account": `{"identities":[{"accessKeyId":"A","secretAccessKey":"s","accountId":"123"}]}`,
		"no secret":     `{"identities":[{"accessKeyId":"A","accountId":"123456789012"}]}`,
		"duplicate key": `{"identities":[{"accessKeyId":"A","secretAccessKey":"s","accountId":"123456789012"},{"accessKeyId":"A","secretAccessKey":"t","accountId":"123456789012"}]}`,
		"unknown field": `{"identities":[{"accessKeyId":"A","secretAccessKey":"s","accountId":"123456789012","allowed":[]}]}`,
		"not json":      `nope`,
	}
	for name, body := range bad {
		if _, err := LoadStrict(write(body), time.Now); err == nil {
			t.Errorf("%s: LoadStrict accepted it", name)
		}
	}
	a, err := LoadStrict(write(`{"identities":[{"accessKeyId":"AK","secretAccessKey":"sk","accountId":"123456789012"}]}`), time.Now)
	if err != nil || !a.Strict() {
		t.Fatalf("LoadStrict = %v", err)
	}
	if s, ok := a.Secret("AK"); !ok || s != "sk" {
		t.Fatal("Secret(AK)")
	}
	if _, ok := a.Secret("AKX"); ok {
		t.Fatal("Secret of an unknown key")
	}
}

func TestOpenModeIdentity(t *testing.T) {
	a := Open()
	tests := []struct{ auth, wantAcct, wantRegion string }{
		{"", DefaultAccount, DefaultRegion},
		{"AWS4-HMAC-SHA256 Credential=123456789012/20260101/eu-west-1/discovery/aws4_request, SignedHeaders=host, Signature=abc", "123456789012", "eu-west-1"},
		{"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/discovery/aws4_request, SignedHeaders=host, Signature=abc", DefaultAccount, "us-east-1"},
		{"garbage", DefaultAccount, DefaultRegion},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("POST", "/", strings.NewReader("{}"))
		if tt.auth != "" {
			r.Header.Set("Authorization", tt.auth)
		}
		id, err := a.Authenticate(t.Context(), r, []byte("{}"), "discovery")
		if err != nil || id.AccountID != tt.wantAcct || id.Region != tt.wantRegion || !id.Allowed("discovery:Anything") {
			t.Errorf("%q: %+v %v", tt.auth, id, err)
		}
	}
}

// TestStrictTargetMustBeSigned: in strict mode a request whose X-Amz-Target
// the signature leaves out is refused, even with an otherwise valid
// signature (over host;x-amz-date it could be re-aimed at any operation);
// aws-sdk-go v1's signer, like botocore's, signs the target.
func TestStrictTargetMustBeSigned(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.json")
	os.WriteFile(p, []byte(`{"identities":[{"accessKeyId":"AK","secretAccessKey":"sk","accountId":"123456789012"}]}`), 0o600)
	a, err := LoadStrict(p, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	body := []byte("{}")
	signed := func(target string, targetSigned bool) *http.Request {
		r := httptest.NewRequest("POST", "http://127.0.0.1:8470/", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/x-amz-json-1.1")
		if targetSigned {
			r.Header.Set("X-Amz-Target", target)
		}
		if _, err := v4.NewSigner(credentials.NewStaticCredentials("AK", "sk", "")).Sign(r, bytes.NewReader(body), "discovery", "us-west-2", time.Now()); err != nil {
			t.Fatal(err)
		}
		if !targetSigned {
			r.Header.Set("X-Amz-Target", target)
		}
		return r
	}
	const target = "AWSPoseidonService_V2015_11_01.DescribeAgents"
	if _, err := a.Authenticate(t.Context(), signed(target, true), body, "discovery"); err != nil {
		t.Fatalf("target signed: %v", err)
	}
	_, err = a.Authenticate(t.Context(), signed(target, false), body, "discovery")
	var se *sigv4.Error
	if !errors.As(err, &se) || se.Code != sigv4.CodeInvalidSignature || se.Status != 403 ||
		se.Message != "'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization." {
		t.Fatalf("target not signed: %v", err)
	}
	// Without a target (agent intake), nothing more is asked.
	if _, err := a.Authenticate(t.Context(), signed("", true), body, "discovery"); err != nil {
		t.Fatalf("no target: %v", err)
	}
}
