// Package sqlitetest opens real SQLite stores for the tests of other
// packages (use cases whose rules run over a store's typed transaction),
// with a second connection to the same file for fixtures and for reading
// what a test wrote.
package sqlitetest

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/poseidon-ads/poseidon/internal/sqlite"
)

// Store is a migrated store in a temporary directory and Raw, a plain
// connection to its file.
type Store struct {
	*sqlite.DB
	Raw *sql.DB
}

// Open opens a new store; the test's cleanup closes it.
func Open(t testing.TB) *Store {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.db")
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	// Raw writes behind the store's back: pages must be read, not
	// remembered.
	db.ReadEveryPage()
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return &Store{db, raw}
}

// Exec runs one statement on Raw.
func (s *Store) Exec(t testing.TB, q string, args ...any) {
	t.Helper()
	if _, err := s.Raw.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// Count returns the integer a query of one row and column gives.
func (s *Store) Count(t testing.TB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := s.Raw.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// Strings returns the single column of a query's rows, never nil.
func (s *Store) Strings(t testing.TB, q string, args ...any) []string {
	t.Helper()
	rows, err := s.Raw.Query(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
