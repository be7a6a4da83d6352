package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// The tests run on a real PostgreSQL: POSEIDON_TEST_DATABASE_URL, by
// default the one of the development machine. Each test works in a schema
// of its own, dropped when it ends. Without a reachable server the tests
// skip, saying why, except under CI=true, where they fail.

const defaultTestURL = "postgres://postgres@127.0.0.1:5432/test"

func testURL() string {
	if u := os.Getenv("POSEIDON_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return defaultTestURL
}

// connectAdmin connects to the test server without a schema of its own, or
// skips (fails under CI=true) when it cannot.
func connectAdmin(t testing.TB) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, testURL())
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL is required under CI=true but %s is unreachable: %v", testURL(), err)
		}
		t.Skipf("skipping: PostgreSQL at %s is unreachable (%v); set POSEIDON_TEST_DATABASE_URL to run these tests", testURL(), err)
	}
	return conn
}

// testSchema creates an empty schema t_<random>, dropped (with everything
// in it) when the test ends, and returns the test server's URL with that
// schema as search_path.
func testSchema(t testing.TB) string {
	t.Helper()
	conn := connectAdmin(t)
	defer conn.Close(context.Background())
	b := make([]byte, 8)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	if _, err := conn.Exec(context.Background(), `CREATE SCHEMA `+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn := connectAdmin(t)
		defer conn.Close(context.Background())
		if _, err := conn.Exec(context.Background(), `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return withSearchPath(t, testURL(), schema)
}

// withSearchPath adds search_path=schema to a URL or key=value connection
// string.
func withSearchPath(t testing.TB, base, schema string) string {
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

// openURL opens the store at url, closed when the test ends.
func openURL(t testing.TB, url string) *DB {
	t.Helper()
	db, err := Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// openTest opens a store in a new schema.
func openTest(t testing.TB) *DB {
	t.Helper()
	return openURL(t, testSchema(t))
}

// exec runs a fixture statement.
func exec(t testing.TB, db *DB, query string, args ...any) {
	t.Helper()
	if _, err := db.pool.Exec(context.Background(), query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// count returns the single integer query gives.
func count(t testing.TB, db *DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.pool.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// replicas opens n stores on url, each with a pool of its own, as n
// poseidon processes would.
func replicas(t testing.TB, url string, n int) []*DB {
	t.Helper()
	dbs := make([]*DB, n)
	for i := range dbs {
		dbs[i] = openURL(t, url)
	}
	return dbs
}

// atOnce runs fn(0) to fn(n-1) in goroutines released together, and
// waits for them all.
func atOnce(n int, fn func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			fn(i)
		})
	}
	close(start)
	wg.Wait()
}
