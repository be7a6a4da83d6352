// Package teststore opens the store that use-case tests run against, so
// that they need not name one: today SQLite in a temporary directory; once
// a second store exists, the one POSEIDON_TEST_DATABASE_URL names. Every
// store it opens passes the conformance suite (internal/storetest).
package teststore

import (
	"path/filepath"
	"sync"
	"testing"

	"github.com/poseidon-ads/poseidon/internal/sqlite"
	"github.com/poseidon-ads/poseidon/internal/storetest"
)

// Store is the store contract (storetest.Store).
type Store = storetest.Store

// files maps the SQLite stores opened here to their database files.
var files sync.Map

// Open returns a new, empty store in tb.TempDir(); it is closed when the
// test ends.
func Open(tb testing.TB) Store {
	tb.Helper()
	return OpenDir(tb, tb.TempDir())
}

// OpenDir opens the store kept in directory dir, creating it if needed, for
// tests that keep a store across runs (a benchmark's seeded fleet). It is
// closed when the test ends; once Close returns, the directory holds the
// whole store.
func OpenDir(tb testing.TB, dir string) Store {
	tb.Helper()
	path := filepath.Join(dir, "poseidon.db")
	db, err := sqlite.Open(tb.Context(), path)
	if err != nil {
		tb.Fatal(err)
	}
	files.Store(db, path)
	tb.Cleanup(func() {
		db.Close()
		files.Delete(db)
	})
	return db
}

// SQLiteFile returns the database file of s, a store opened here on SQLite,
// for tests that seed with SQL rows that no store method writes (exact
// aggregates, servers with hand-picked IDs, an agent without data). On
// another store it skips the test.
func SQLiteFile(tb testing.TB, s Store) string {
	tb.Helper()
	path, ok := files.Load(s)
	if !ok {
		tb.Skipf("the test seeds rows with SQLite's SQL; the test store is %T", s)
	}
	return path.(string)
}
