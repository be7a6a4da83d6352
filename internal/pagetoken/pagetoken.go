// Package pagetoken makes opaque, tamper-evident pagination tokens bound to
// the query that produced them. A token carries a keyset cursor (never an
// offset) and an HMAC over the cursor and a digest of the query.
package pagetoken

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
)

// ErrInvalid is returned for a token that was tampered with, made by another
// query or another server, or is not a token at all.
var ErrInvalid = errors.New("invalid pagination token")

// Sealer seals and opens tokens with a server secret.
type Sealer struct {
	key []byte
}

// New returns a Sealer keyed by secret.
func New(secret []byte) *Sealer {
	k := sha256.Sum256(append([]byte("poseidon-pagetoken\x00"), secret...))
	return &Sealer{key: k[:]}
}

// Query digests the parts of a query that a token must be bound to: the
// operation, the caller's account and the request's filters. Parts are
// JSON-encoded, so their boundaries cannot be confused.
func Query(parts ...any) string {
	b, err := json.Marshal(parts)
	if err != nil {
		panic("pagetoken: query not encodable: " + err.Error())
	}
	sum := sha256.Sum256(b)
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

type envelope struct {
	Q string          `json:"q"`
	C json.RawMessage `json:"c"`
}

// Seal returns a token for cursor, bound to query.
func (s *Sealer) Seal(query string, cursor any) (string, error) {
	c, err := json.Marshal(cursor)
	if err != nil {
		return "", err
	}
	body, err := json.Marshal(envelope{Q: query, C: c})
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(body) + "." + base64.RawURLEncoding.EncodeToString(s.mac(body)), nil
}

// Open checks token against query and decodes its cursor into cursor.
func (s *Sealer) Open(token, query string, cursor any) error {
	b64, m64, ok := strings.Cut(token, ".")
	if !ok || len(token) > 4096 {
		return ErrInvalid
	}
	body, err := base64.RawURLEncoding.DecodeString(b64)
	if err != nil {
		return ErrInvalid
	}
	mac, err := base64.RawURLEncoding.DecodeString(m64)
	if err != nil || !hmac.Equal(mac, s.mac(body)) {
		return ErrInvalid
	}
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil || env.Q != query {
		return ErrInvalid
	}
	if err := json.Unmarshal(env.C, cursor); err != nil {
		return ErrInvalid
	}
	return nil
}

func (s *Sealer) mac(b []byte) []byte {
	h := hmac.New(sha256.New, s.key)
	h.Write(b)
	return h.Sum(nil)[:20]
}
