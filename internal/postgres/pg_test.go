package postgres

import (
	"context"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/poseidon-ads/poseidon/internal/postgres/pgtestdb"
)

// The tests run on a real PostgreSQL (package pgtestdb): each in a schema of
// its own, dropped when it ends. Without a reachable server they skip,
// saying why, except under CI=true, where they fail.

func testURL() string { return pgtestdb.ServerURL() }

// connectAdmin connects to the test server without a schema of its own.
func connectAdmin(t testing.TB) *pgx.Conn { return pgtestdb.Admin(t) }

// testSchema returns the test server's URL with a new schema as
// search_path.
func testSchema(t testing.TB) string { return pgtestdb.Schema(t) }

func withSearchPath(t testing.TB, base, schema string) string {
	return pgtestdb.WithSearchPath(t, base, schema)
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
