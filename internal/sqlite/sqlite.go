// Package sqlite is poseidon's embedded store: one SQLite database in the
// data directory, opened in WAL mode with full fsync so that an acknowledged
// write survives kill -9. Migrations are embedded and applied at open. It
// reads and writes the domain's records (package discovery) and imports no
// use case: each use case declares the Store it needs, and cmd/poseidon
// checks that DB implements them all.
package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"sort"
	"strings"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is the embedded store.
type DB struct {
	db *sql.DB
	// w is the one writer: every write transaction goes to its queue and
	// commits in a batch with the writes queued with it (groupcommit.go).
	// SQLite allows one writer anyway; waiting in Go, in arrival order and
	// cancellable, replaces waiting in SQLite's busy handler, which sleeps
	// in growing steps, favors no one, and gives up with "database is
	// locked" after busy_timeout.
	w *writer
	// stmts are the kept statements of the reads every request makes.
	stmts stmts
	// pages are the pages of export tasks answered from memory (pages.go).
	pages exportPages
}

// Open opens (creating if needed) the database at path and migrates it.
func Open(ctx context.Context, path string) (*DB, error) {
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(1)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	dsn := "file:" + path + "?" + q.Encode()
	if err := migrate(ctx, dsn); err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	// Eight connections for readers (and intake's statement preparation),
	// one held by the writer.
	db.SetMaxOpenConns(9)
	db.SetMaxIdleConns(9)
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	s := &DB{db: db, w: newWriter()}
	if err := s.start(ctx, conn); err != nil {
		conn.Close()
		db.Close()
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	return s, nil
}

// Close stops the writer (writes still queued fail), closes the kept
// statements and closes the database.
func (s *DB) Close() error {
	s.w.once.Do(func() { close(s.w.stop) })
	<-s.w.stopped
	return errors.Join(s.stmts.close(), s.db.Close())
}

// migrate applies the migrations the database lacks, all in one
// transaction (one synced commit: a new store is created in one write, and
// a current one costs a read of schema_migrations), on a connection of its
// own that it closes: a migration may open the connection's temporary
// database (ALTER TABLE does), after which SQLite refuses to change
// temp_store inside a transaction, as intake does.
func migrate(ctx context.Context, dsn string) error {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return fmt.Errorf("open sqlite: %w", err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, name := range names {
		version := strings.TrimSuffix(strings.TrimPrefix(name, "migrations/"), ".sql")
		if err := migrateOne(ctx, tx, name, version); err != nil {
			return fmt.Errorf("migration %s: %w", version, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

func migrateOne(ctx context.Context, tx *sql.Tx, name, version string) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, version).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	body, err := migrations.ReadFile(name)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, string(body)); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO schema_migrations (version) VALUES (?)`, version)
	return err
}

// Secret returns the named server secret, creating 32 random bytes the first
// time. It survives restarts and resets.
func (s *DB) Secret(ctx context.Context, name string) ([]byte, error) {
	var v []byte
	err := s.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, "secret:"+name).Scan(&v)
		if err == nil {
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		v = make([]byte, 32)
		rand.Read(v)
		_, err = tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)`, "secret:"+name, v)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("server secret: %w", err)
	}
	return v, nil
}

// resetTables lists every table of account state; ResetAccount deletes the
// account's rows of each, Reset empties them (but jobs, see Reset).
var resetTables = []string{
	"accounts", "home_region_controls", "export_tasks",
	"agents", "agent_reports", "servers", "network_interfaces", "processes", "connections",
	"perf_samples", "system_observations", "process_observations", "connection_observations",
	"applications", "application_servers", "tags",
	"continuous_exports",
	"batch_delete_tasks",
	"import_tasks", "import_records",
	"jobs",
}

// Reset deletes all state but the server secrets, with the jobs of the
// tasks it deletes (the periodic jobs of no account, the janitor's and
// retention's, stay).
func (s *DB) Reset(ctx context.Context) error {
	return s.txAlone(ctx, func(tx *sql.Tx) error {
		for _, t := range resetTables {
			if t == "jobs" {
				continue
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+t); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM jobs WHERE account_id <> ''`)
		return err
	})
}

// ResetAccount deletes all state of one account (every table of
// resetTables has an account_id column).
func (s *DB) ResetAccount(ctx context.Context, account string) error {
	return s.txAlone(ctx, func(tx *sql.Tx) error {
		for _, t := range resetTables {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+t+` WHERE account_id = ?`, account); err != nil {
				return err
			}
		}
		return nil
	})
}

// eachRow runs query on q (the pool or a transaction) and calls fn for each
// row; an error from fn stops the scan and is returned as is.
func eachRow(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, query string, args []any, fn func(*sql.Rows) error) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	return eachOf(rows, fn)
}

// eachOf calls fn for each of rows, and closes them.
func eachOf(rows *sql.Rows, fn func(*sql.Rows) error) error {
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
