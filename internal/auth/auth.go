// Package auth decides who a request comes from: in open mode it trusts the
// credential scope, in strict mode it verifies the SigV4 signature against a
// credentials file. It also answers whether an identity may call an action.
package auth

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/poseidon-ads/poseidon/internal/sigv4"
)

// DefaultAccount is the account of open-mode callers whose access key ID is
// not 12 digits, and DefaultRegion the region of unsigned requests.
const (
	DefaultAccount = "000000000000"
	DefaultRegion  = "us-west-2"
	MaxSkew        = 15 * time.Minute
)

// Identity is an authenticated caller.
type Identity struct {
	AccountID   string
	AccessKeyID string
	Region      string
	allow       []string // nil means every action
}

// Allowed reports whether the identity may call action ("discovery:StartExportTask").
// Patterns match IAM-style: case-insensitive, with * and ? wildcards.
func (id Identity) Allowed(action string) bool {
	if id.allow == nil {
		return true
	}
	for _, p := range id.allow {
		if ok, _ := path.Match(strings.ToLower(p), strings.ToLower(action)); ok {
			return true
		}
	}
	return false
}

// Credential is one identity of the credentials file.
type Credential struct {
	AccessKeyID     string   `json:"accessKeyId"`
	SecretAccessKey string   `json:"secretAccessKey"`
	AccountID       string   `json:"accountId"`
	Allow           []string `json:"allow"`
}

// Authenticator authenticates requests. The zero value is open mode.
type Authenticator struct {
	creds map[string]Credential // nil in open mode
	now   func() time.Time
}

var twelveDigits = regexp.MustCompile(`^[0-9]{12}$`)

// Open returns an open-mode authenticator: signatures are not verified.
func Open() *Authenticator { return &Authenticator{} }

// LoadStrict reads a credentials file,
// {"identities":[{"accessKeyId","secretAccessKey","accountId","allow":[...]}]},
// and returns a strict-mode authenticator using now for the clock-skew check.
func LoadStrict(file string, now func() time.Time) (*Authenticator, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read credentials: %w", err)
	}
	var doc struct {
		Identities []Credential `json:"identities"`
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("parse credentials %s: %w", file, err)
	}
	if len(doc.Identities) == 0 {
		return nil, fmt.Errorf("credentials %s: no identities", file)
	}
	a := &Authenticator{creds: map[string]Credential{}, now: now}
	for i, c := range doc.Identities {
		switch {
		case c.AccessKeyID == "" || c.SecretAccessKey == "":
			return nil, fmt.Errorf("credentials %s: identity %d needs accessKeyId and secretAccessKey", file, i)
		case !twelveDigits.MatchString(c.AccountID):
			return nil, fmt.Errorf("credentials %s: identity %s: accountId must be 12 digits", file, c.AccessKeyID)
		}
		if _, dup := a.creds[c.AccessKeyID]; dup {
			return nil, fmt.Errorf("credentials %s: access key %s listed twice", file, c.AccessKeyID)
		}
		if c.Allow != nil && len(c.Allow) == 0 {
			c.Allow = []string{} // explicit empty list: nothing allowed
		}
		a.creds[c.AccessKeyID] = c
	}
	return a, nil
}

// Strict reports whether signatures are verified.
func (a *Authenticator) Strict() bool { return a.creds != nil }

// Authenticate returns the caller of r, whose full body is body. service is
// the signing name the request must be scoped to ("discovery" or "mgh").
// Failures are *sigv4.Error values.
func (a *Authenticator) Authenticate(ctx context.Context, r *http.Request, body []byte, service string) (Identity, error) {
	sig, err := sigv4.Parse(r)
	if !a.Strict() {
		id := Identity{AccountID: DefaultAccount, Region: DefaultRegion}
		akid, reg := "", ""
		if err == nil && sig != nil {
			akid, reg = sig.AccessKeyID, sig.Scope.Region
		} else {
			akid, reg = looseScope(r)
		}
		id.AccessKeyID = akid
		if twelveDigits.MatchString(akid) {
			id.AccountID = akid
		}
		if reg != "" {
			id.Region = reg
		}
		return id, nil
	}
	if err != nil {
		return Identity{}, err
	}
	if sig == nil {
		return Identity{}, sigv4.MissingToken()
	}
	// Scope and clock problems are reported before unknown keys, as AWS does.
	if err := sig.Precheck(service, a.now(), MaxSkew); err != nil {
		return Identity{}, err
	}
	// The body is covered by the payload hash, the date by the string to
	// sign, host by Precheck; the operation must be covered too, or a
	// signature over host;x-amz-date alone could be re-aimed at another one.
	if r.Header.Get("X-Amz-Target") != "" && !sig.Signs("X-Amz-Target") {
		return Identity{}, sigv4.TargetNotSigned()
	}
	c, ok := a.lookup(sig.AccessKeyID)
	// Identities in the credentials file are long-term keys: a session token
	// cannot belong to them.
	if !ok || sig.SessionToken != "" {
		return Identity{}, sigv4.UnrecognizedClient()
	}
	if err := sig.Verify(r, body, c.SecretAccessKey, service, a.now(), MaxSkew); err != nil {
		return Identity{}, err
	}
	return Identity{AccountID: c.AccountID, AccessKeyID: c.AccessKeyID, Region: sig.Scope.Region, allow: c.Allow}, nil
}

var credentialRE = regexp.MustCompile(`Credential=([^/,\s]+)/[0-9]{8}/([a-z0-9-]+)/`)

// looseScope reads the access key ID and region from a credential scope
// that sigv4.Parse refused (open mode trusts callers, so a signature missing
// other parts still names its account and region).
func looseScope(r *http.Request) (akid, region string) {
	src := r.Header.Get("Authorization")
	if c := r.URL.Query().Get("X-Amz-Credential"); src == "" && c != "" {
		src = "Credential=" + c
	}
	m := credentialRE.FindStringSubmatch(src)
	if m == nil {
		return "", ""
	}
	return m[1], m[2]
}

// lookup finds a credential by access key ID, comparing in constant time so
// that timing does not reveal which keys exist.
func (a *Authenticator) lookup(akid string) (Credential, bool) {
	var (
		found Credential
		ok    bool
	)
	for k, c := range a.creds {
		if subtle.ConstantTimeCompare([]byte(k), []byte(akid)) == 1 {
			found, ok = c, true
		}
	}
	return found, ok
}

// Secret returns the secret key of an access key ID (for presigned URLs).
func (a *Authenticator) Secret(akid string) (string, bool) {
	c, ok := a.lookup(akid)
	return c.SecretAccessKey, ok
}
