// Package teststore opens the store that use-case tests run against, so
// that they need not name one: SQLite in a temporary directory by default,
// or PostgreSQL in a schema of its own (pgtestdb) when the environment
// selects it (Kind). Every store it opens runs the conformance suite
// (internal/storetest) from its own package.
package teststore

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/poseidon-ads/poseidon/internal/postgres"
	"github.com/poseidon-ads/poseidon/internal/postgres/pgtestdb"
	"github.com/poseidon-ads/poseidon/internal/sqlite"
	"github.com/poseidon-ads/poseidon/internal/storetest"
)

// Store is the store contract (storetest.Store).
type Store = storetest.Store

// The stores Open can open.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// PostgresLacks are the capabilities the PostgreSQL store does not have
// yet. Its conformance run (internal/postgres) skips the subtests that need
// them, and Open on PostgreSQL skips the test while the store lacks any. Each
// line goes when the branch that adds the capability lands; the conformance
// run fails while a line names a capability the store has.
// The PostgreSQL store has had every capability since branch pg3 landed;
// an entry reads: storetest.Lacking[inventory.Store]("branch pg3").
var PostgresLacks = []storetest.Lack{}

// Kind is the store Open opens: POSEIDON_TEST_STORE (sqlite or postgres)
// if set; else postgres when POSEIDON_TEST_DATABASE_URL names a test
// server, and sqlite when it does not.
func Kind() string {
	if k := os.Getenv("POSEIDON_TEST_STORE"); k != "" {
		return k
	}
	if os.Getenv("POSEIDON_TEST_DATABASE_URL") != "" {
		return Postgres
	}
	return SQLite
}

// files maps the SQLite stores opened here to their database files.
var files sync.Map

// Open returns a new, empty store of Kind; it is closed when the test ends.
// A PostgreSQL store gets a schema of its own, dropped when the test ends;
// without a reachable test server the test skips (fails under CI=true), and
// while the store lacks a capability of PostgresLacks it skips too.
func Open(tb testing.TB) Store {
	tb.Helper()
	switch k := Kind(); k {
	case SQLite:
		return OpenDir(tb, tb.TempDir())
	case Postgres:
		return openPostgres(tb)
	default:
		tb.Fatalf("teststore: POSEIDON_TEST_STORE is %q; want %s or %s", k, SQLite, Postgres)
		return nil
	}
}

// openPostgres opens a PostgreSQL store in a new schema.
func openPostgres(tb testing.TB) Store {
	tb.Helper()
	db, err := postgres.Open(context.Background(), pgtestdb.Schema(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	if s, ok := any(db).(Store); ok {
		return s
	}
	why := map[string]string{}
	for _, l := range PostgresLacks {
		why[l.Capability] = l.Why
	}
	var lacks []string
	for _, c := range storetest.Missing(db) {
		w, ok := why[c]
		if !ok {
			tb.Fatalf("teststore: the PostgreSQL store lacks %s, which PostgresLacks does not name", strings.Join(storetest.Missing(db), ", "))
		}
		lacks = append(lacks, c+" ("+w+")")
	}
	tb.Skipf("teststore: the PostgreSQL store lacks %s", strings.Join(lacks, ", "))
	return nil
}

// OpenDir opens the SQLite store kept in directory dir, creating it if
// needed, for tests that keep a store across runs (a benchmark's seeded
// fleet): a store in a directory is SQLite whatever Kind says. It is closed
// when the test ends; once Close returns, the directory holds the whole
// store.
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
