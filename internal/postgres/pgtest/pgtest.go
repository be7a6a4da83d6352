// Package pgtest gives tests a real PostgreSQL database: a schema of its
// own per test, dropped when the test ends, on the server that
// POSEIDON_TEST_DATABASE_URL names (by default the development machine's).
// Without a reachable server a test skips, saying why, except under
// CI=true, where it fails. The store's own tests use it, and so do the
// tests of use cases whose rules run over the store (with Open), which is
// why it imports no store: it mirrors internal/sqlite/sqlitetest.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
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

// Open opens a store with open (postgres.Open) in a new schema, and Raw, a
// plain pool on the same schema for fixtures and for reading what a test
// wrote; the test's cleanup closes both.
func Open[S io.Closer](t testing.TB, open func(context.Context, string) (S, error)) (S, *Raw) {
	t.Helper()
	url := Schema(t)
	db, err := open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, Connect(t, url)
}

// Raw runs a test's own SQL. Its methods take SQLite's `?` placeholders as
// well as PostgreSQL's `$n`, so that one fixture serves both stores.
type Raw struct{ pool *pgxpool.Pool }

// Connect opens a Raw on url; the test's cleanup closes it.
func Connect(t testing.TB, url string) *Raw {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return &Raw{pool}
}

// Exec runs one statement.
func (r *Raw) Exec(t testing.TB, q string, args ...any) {
	t.Helper()
	if _, err := r.pool.Exec(context.Background(), Numbered(q), args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// Count returns the integer a query of one row and column gives.
func (r *Raw) Count(t testing.TB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := r.pool.QueryRow(context.Background(), Numbered(q), args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// Strings returns the single column of a query's rows, never nil.
func (r *Raw) Strings(t testing.TB, q string, args ...any) []string {
	t.Helper()
	rows, err := r.pool.Query(context.Background(), Numbered(q), args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	if out == nil {
		out = []string{}
	}
	return out
}

// Numbered returns q with each `?` outside quotes replaced by $1, $2, ….
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
