package agents_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/poseidon-ads/poseidon/internal/agents"
	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/postgres/pgtest"
	"github.com/poseidon-ads/poseidon/internal/queue"
	"github.com/poseidon-ads/poseidon/internal/sqlite/sqlitetest"
)

// The use case's tests run on each real store: SQLite, and PostgreSQL
// (skipped when its test server is unreachable, unless CI=true), each
// with a second handle on its database for reading what a test wrote.

// store is what the tests use of a store: the agents.Store and
// agents.RetentionStore, the export worker's view of an agent, and the job
// queue that runs retention.
type store interface {
	agents.Store
	agents.RetentionStore
	GetAgent(ctx context.Context, account, id string) (*discovery.Agent, error)
	queue.Store
	Job(ctx context.Context, kind discovery.JobKind, account, ref string) (*discovery.Job, error)
}

// testStore is a store and the plain handle on its database, also as the
// test helpers' Exec and Strings (sqlitetest.Store, pgtest.Store).
type testStore struct {
	store
	raw rawDB
	helper
}

type helper interface {
	Exec(t testing.TB, q string, args ...any)
	Strings(t testing.TB, q string, args ...any) []string
}

// rawDB reads a store's tables with SQL that both stores read alike, with
// SQLite's ? placeholders.
type rawDB interface {
	QueryRow(q string, args ...any) scanner
	Query(q string, args ...any) (rowIter, error)
}

type scanner interface{ Scan(dest ...any) error }

type rowIter interface {
	scanner
	Next() bool
	Err() error
	Close()
}

// eachStore runs test in a subtest per store.
func eachStore(t *testing.T, test func(t *testing.T, s *testStore)) {
	t.Run("sqlite", func(t *testing.T) {
		s := sqlitetest.Open(t)
		test(t, &testStore{s, sqliteRaw{s.Raw}, s})
	})
	t.Run("postgres", func(t *testing.T) {
		s := pgtest.Open(t)
		test(t, &testStore{s, pgRaw{s.Raw}, s})
	})
}

type sqliteRaw struct{ db *sql.DB }

func (r sqliteRaw) QueryRow(q string, args ...any) scanner { return r.db.QueryRow(q, args...) }

func (r sqliteRaw) Query(q string, args ...any) (rowIter, error) {
	rows, err := r.db.Query(q, args...)
	return sqlRows{rows}, err
}

type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { r.Rows.Close() }

type pgRaw struct{ pool *pgxpool.Pool }

func (r pgRaw) QueryRow(q string, args ...any) scanner {
	return r.pool.QueryRow(context.Background(), pgtest.Numbered(q), args...)
}

func (r pgRaw) Query(q string, args ...any) (rowIter, error) {
	return r.pool.Query(context.Background(), pgtest.Numbered(q), args...)
}
