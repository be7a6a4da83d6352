// Package pgtest opens real PostgreSQL stores for the tests of other
// packages (use cases whose rules run over a store's typed transaction), in
// a schema of their own (package pgtestdb), with a second pool on the same
// schema for fixtures and for reading what a test wrote. It mirrors
// internal/sqlite/sqlitetest, and its SQL takes SQLite's ? placeholders,
// so that one fixture serves both stores.
package pgtest

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/poseidon-ads/poseidon/internal/postgres"
	"github.com/poseidon-ads/poseidon/internal/postgres/pgtestdb"
)

// Store is a migrated store in a new schema and Raw, a plain pool on that
// schema.
type Store struct {
	*postgres.DB
	Raw *pgxpool.Pool
}

// Open opens a new store, or skips the test when the test server is
// unreachable (fails it under CI=true); the test's cleanup closes it and
// drops its schema.
func Open(t testing.TB) *Store {
	t.Helper()
	url := pgtestdb.Schema(t)
	db, err := postgres.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	raw, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(raw.Close)
	return &Store{db, raw}
}

// Exec runs one statement on Raw.
func (s *Store) Exec(t testing.TB, q string, args ...any) {
	t.Helper()
	if _, err := s.Raw.Exec(context.Background(), Numbered(q), args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// Count returns the integer a query of one row and column gives.
func (s *Store) Count(t testing.TB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := s.Raw.QueryRow(context.Background(), Numbered(q), args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// Strings returns the single column of a query's rows, never nil.
func (s *Store) Strings(t testing.TB, q string, args ...any) []string {
	t.Helper()
	rows, err := s.Raw.Query(context.Background(), Numbered(q), args...)
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

// Numbered returns q with each `?` outside quotes replaced by $1, $2, …
// (pgtestdb.Numbered).
func Numbered(q string) string { return pgtestdb.Numbered(q) }
