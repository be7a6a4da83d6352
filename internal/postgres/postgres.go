// Package postgres is poseidon's shared store: a PostgreSQL database that
// several poseidon replicas use at once. It implements the same methods,
// with the same semantics, as the embedded store (internal/sqlite), and like
// it reads and writes the domain's records (package discovery) and imports
// no use case.
//
// Where SQLite relies on having one writer, this store relies on what
// PostgreSQL gives every client: a check that must not race with another
// writer (an export limit, a tag count, one running continuous export, an
// import task's client token) runs in a transaction that first takes the
// account's advisory lock (lockAccount), and so do the typed transactions
// a use case decides in (discovery.ImportTx, discovery.BatchDeleteTx,
// discovery.IntakeTx) and DeleteAgents; Reset takes a lock that waits for,
// and holds off, all of them; migrations run under a session advisory lock, so replicas starting at
// once migrate a schema once. Background work is the job queue of package
// queue in table jobs (jobs.go): replicas claim jobs with FOR UPDATE SKIP
// LOCKED, and every write of a task's outcome locks and checks its job's
// lease in the same transaction.
package postgres

import (
	"context"
	"crypto/rand"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DB is the PostgreSQL store.
type DB struct {
	// pool serves the writes, the transactions and background work; rd
	// the requests' reads outside transactions (pools.go).
	pool *pgxpool.Pool
	rd   *pgxpool.Pool
	// gates keeps an account's writers in this process waiting for each
	// other before they take a connection (pools.go).
	gates gates
	// connConfig opens the connection that listens to the control
	// channel (ControlChanges); channel is the schema's.
	connConfig *pgx.ConnConfig
	channel    string
}

// Open connects to the database at url (a postgres:// URL or a key=value
// connection string, as pgx reads them) and migrates its schema. The pool
// takes pgx's parameters (pool_max_conns, ...): pool_max_conns (default
// max(4, CPUs)) sizes the pool of the writes, and the pool of the reads
// has half as many, at least one (readConns); parameters pgx does not know
// are session settings, so `?search_path=tenant_a` keeps poseidon's tables
// in schema tenant_a (which must exist).
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if err := migrate(ctx, cfg.ConnConfig); err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	rd, err := newReadPool(ctx, cfg)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	var schema string
	if err := pool.QueryRow(ctx, `SELECT coalesce(current_schema(), '')`).Scan(&schema); err != nil {
		pool.Close()
		rd.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	db := &DB{pool: pool, rd: rd, connConfig: cfg.ConnConfig, channel: controlChannel(schema)}
	return db, nil
}

// Close closes the pool's connections.
func (s *DB) Close() error {
	s.pool.Close()
	s.rd.Close()
	return nil
}

// accountLockClass is the first key of the advisory locks of accounts (see
// lockAccount); migrateLockClass that of the migration lock; resetLockClass
// that of the reset lock (see Reset). Each is "pose", "migr" and "rset" in
// ASCII, so that poseidon's locks are recognisable in pg_locks.
const (
	accountLockClass = 0x706f7365
	migrateLockClass = 0x6d696772
	resetLockClass   = 0x72736574
)

// lockAccount takes the account's transaction-level advisory lock: until tx
// ends, no other transaction that takes it (in this process or another
// replica) runs. Every write that checks the account's state and then
// changes it takes it first, so the check still holds when the change
// commits: it plays the part of SQLite's single writer, per account. Under
// READ COMMITTED each statement after the lock sees every transaction that
// committed before the lock was granted. Two accounts whose names hash alike
// only wait for each other.
//
// It first takes the schema's reset lock, shared (the materialized CTE runs
// before the outer select): a Reset, which takes it exclusively, waits for
// every transaction holding an account's lock and is waited for by them.
func lockAccount(ctx context.Context, tx pgx.Tx, account string) error {
	_, err := tx.Exec(ctx, `WITH reset AS MATERIALIZED (SELECT pg_advisory_xact_lock_shared($1, hashtext(current_schema())))
		SELECT pg_advisory_xact_lock($2, hashtext($3)) FROM reset`, resetLockClass, accountLockClass, account)
	return err
}

// tx runs fn in a READ COMMITTED transaction, committed if fn returns nil,
// and run again if PostgreSQL aborts it for another's sake (inTx).
func (s *DB) tx(ctx context.Context, fn func(pgx.Tx) error) error {
	return inTx(ctx, s.pool, fn)
}

// accountTx runs fn in a transaction that holds the account's lock. It
// first waits for the account's gate in this process (pools.go), so that
// its connection waits for the lock only behind other replicas.
func (s *DB) accountTx(ctx context.Context, account string, fn func(pgx.Tx) error) error {
	leave, err := s.gates.enter(ctx, account)
	if err != nil {
		return err
	}
	defer leave()
	return s.tx(ctx, func(tx pgx.Tx) error {
		if err := lockAccount(ctx, tx, account); err != nil {
			return err
		}
		return fn(tx)
	})
}

// Secret returns the named server secret, creating 32 random bytes the first
// time. It survives restarts and resets, and every replica gets the same
// one: the first insert wins, and a concurrent one waits for it and then
// inserts nothing.
func (s *DB) Secret(ctx context.Context, name string) ([]byte, error) {
	v := make([]byte, 32)
	rand.Read(v)
	key := "secret:" + name
	if _, err := s.pool.Exec(ctx, `INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, key, v); err != nil {
		return nil, fmt.Errorf("server secret: %w", err)
	}
	if err := s.pool.QueryRow(ctx, `SELECT value FROM settings WHERE key = $1`, key).Scan(&v); err != nil {
		return nil, fmt.Errorf("server secret: %w", err)
	}
	return v, nil
}

// resetTables lists every table of account state; ResetAccount deletes the
// account's rows of each, Reset empties them (but jobs, see Reset). The
// jobs go first: a write under a lease locks the job's row before its
// task's, and a reset takes them in the same order.
var resetTables = []string{
	"jobs",
	"accounts", "home_region_controls", "export_tasks",
	"agents", "agent_reports", "servers", "network_interfaces", "processes", "connections",
	"perf_samples", "system_observations", "process_observations", "connection_observations",
	"applications", "application_servers", "tags",
	"continuous_exports",
	"batch_delete_tasks",
	"import_tasks", "import_records",
}

// Reset deletes all state but the server secrets and the control state, with
// the jobs of the tasks it deletes (the periodic jobs of no account, the
// janitor's and retention's, stay). It deletes rather than truncates: TRUNCATE would wait for, and
// block, every reader of the tables, such as an export being written.
//
// It holds the schema's reset lock exclusively (every account's lock
// takes it shared, see lockAccount), so that it is one step for the
// writers that check an account's state: without it, each of its
// statements would delete only what had committed when that statement
// started, and a write that checked the account before the reset (an
// import row that found its task in progress, an intake batch) would
// commit after a table's delete and survive the reset, in part.
func (s *DB) Reset(ctx context.Context) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))`, resetLockClass); err != nil {
			return err
		}
		for _, t := range resetTables {
			q := `DELETE FROM ` + t
			if t == "jobs" {
				q += ` WHERE account_id <> ''`
			}
			if _, err := tx.Exec(ctx, q); err != nil {
				return err
			}
		}
		return nil
	})
}

// ResetAccount deletes all state of one account (every table of
// resetTables has an account_id column), holding the account's lock.
func (s *DB) ResetAccount(ctx context.Context, account string) error {
	return s.accountTx(ctx, account, func(tx pgx.Tx) error {
		for _, t := range resetTables {
			if _, err := tx.Exec(ctx, `DELETE FROM `+t+` WHERE account_id = $1`, account); err != nil {
				return err
			}
		}
		return nil
	})
}

// querier is the pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// eachRow runs query on q and calls fn for each row; an error from fn stops
// the scan and is returned as is.
func eachRow(ctx context.Context, q querier, query string, args []any, fn func(pgx.Rows) error) error {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// affected reports whether a command changed rows.
func affected(tag pgconn.CommandTag) bool { return tag.RowsAffected() > 0 }
