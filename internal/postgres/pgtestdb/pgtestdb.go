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
	"fmt"
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

// Connect connects to the test server without a schema of its own.
func Connect(ctx context.Context) (*pgx.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return pgx.Connect(ctx, ServerURL())
}

// Admin connects to the test server without a schema of its own, or skips
// the test (fails it under CI=true) when it cannot.
func Admin(t testing.TB) *pgx.Conn {
	t.Helper()
	conn, err := Connect(context.Background())
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
	schema, err := CreateSchema(context.Background(), conn, "t")
	if err != nil {
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

// CreateSchema creates an empty schema <prefix>_<random> and returns its
// name. A prefix is lower-case letters, digits and underscores.
func CreateSchema(ctx context.Context, conn *pgx.Conn, prefix string) (string, error) {
	if err := checkPrefix(prefix); err != nil {
		return "", err
	}
	b := make([]byte, 8)
	rand.Read(b)
	schema := prefix + "_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, `CREATE SCHEMA `+schema); err != nil {
		return "", err
	}
	return schema, nil
}

// DropSchemas drops every schema whose name starts with prefix and an
// underscore (those CreateSchema made with that prefix), with everything
// in them, and returns how many it dropped.
func DropSchemas(ctx context.Context, conn *pgx.Conn, prefix string) (int, error) {
	if err := checkPrefix(prefix); err != nil {
		return 0, err
	}
	var names []string
	rows, err := conn.Query(ctx, `SELECT nspname FROM pg_namespace WHERE left(nspname, length($1)) = $1`, prefix+"_")
	if err != nil {
		return 0, err
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return 0, err
		}
		names = append(names, n)
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for i, n := range names {
		if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{n}.Sanitize()+` CASCADE`); err != nil {
			return i, err
		}
	}
	return len(names), nil
}

func checkPrefix(prefix string) error {
	if prefix == "" || len(prefix) > 40 || strings.Trim(prefix, "abcdefghijklmnopqrstuvwxyz0123456789_") != "" {
		return fmt.Errorf("schema prefix %q: want 1 to 40 lower-case letters, digits and underscores", prefix)
	}
	return nil
}

// WithSearchPath adds search_path=schema to a URL or key=value connection
// string.
func WithSearchPath(t testing.TB, base, schema string) string {
	t.Helper()
	u, err := URLWithSearchPath(base, schema)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// URLWithSearchPath adds search_path=schema to a URL or key=value
// connection string.
func URLWithSearchPath(base, schema string) (string, error) {
	if !strings.HasPrefix(base, "postgres://") && !strings.HasPrefix(base, "postgresql://") {
		return base + " search_path=" + schema, nil
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
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
