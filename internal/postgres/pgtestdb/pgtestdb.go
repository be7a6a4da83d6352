// Package pgtestdb gives tests a real PostgreSQL database: a schema of its
// own per test, dropped when the test ends, on the server that
// POSEIDON_TEST_DATABASE_URL names (by default the development machine's).
// Without a reachable server a test skips, saying why, except under
// CI=true, where it fails. It imports no store, so that the store's own
// tests can use it; other packages' tests open a store with package pgtest.
package pgtestdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

const defaultURL = "postgres://postgres@127.0.0.1:5432/test"

// ServerURL is the test server's URL: POSEIDON_TEST_DATABASE_URL, or the
// development machine's.
func ServerURL() string {
	if u := os.Getenv("POSEIDON_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return defaultURL
}

// Admin connects to the test server without a schema of its own, or skips
// the test (fails it under CI=true) when it cannot.
func Admin(t testing.TB) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, ServerURL())
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL is required under CI=true but %s is unreachable: %v", ServerURL(), err)
		}
		t.Skipf("skipping: PostgreSQL at %s is unreachable (%v); set POSEIDON_TEST_DATABASE_URL to run these tests", ServerURL(), err)
	}
	return conn
}

// Schema creates an empty schema t_<random>, dropped (with everything in
// it) when the test ends, and returns the test server's URL with that
// schema as search_path.
func Schema(t testing.TB) string {
	t.Helper()
	conn := Admin(t)
	defer conn.Close(context.Background())
	b := make([]byte, 8)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	if _, err := conn.Exec(context.Background(), `CREATE SCHEMA `+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn := Admin(t)
		defer conn.Close(context.Background())
		if _, err := conn.Exec(context.Background(), `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return WithSearchPath(t, ServerURL(), schema)
}

// WithSearchPath adds search_path=schema to a URL or key=value connection
// string.
func WithSearchPath(t testing.TB, base, schema string) string {
	t.Helper()
	if !strings.HasPrefix(base, "postgres://") && !strings.HasPrefix(base, "postgresql://") {
		return base + " search_path=" + schema
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Numbered returns q with each `?` outside quotes replaced by $1, $2, …, so
// that SQL written for SQLite's placeholders runs on PostgreSQL.
func Numbered(q string) string {
	var b strings.Builder
	n := 0
	var quote rune
	for _, c := range q {
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}
