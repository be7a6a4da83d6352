package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// stmts keeps the prepared statements of the reads that every request
// makes (see readQuery), by SQL text: preparing a statement (parsing and
// planning it) cost as much as running it. database/sql prepares a kept
// statement once on each pooled connection it runs on. The texts are the
// store's own, built from fixed fragments, so the cache is bounded.
type stmts struct{ m sync.Map } // SQL text → *sql.Stmt

// prepared returns the kept statement of query, preparing it the first
// time.
func (s *DB) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	if v, ok := s.stmts.m.Load(query); ok {
		return v.(*sql.Stmt), nil
	}
	st, err := s.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if v, loaded := s.stmts.m.LoadOrStore(query, st); loaded {
		st.Close()
		return v.(*sql.Stmt), nil
	}
	return st, nil
}

// readQuery runs a read outside any transaction with a kept statement.
func (s *DB) readQuery(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := s.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// readRow is readQuery for one row.
func (s *DB) readRow(ctx context.Context, query string, args ...any) scanner {
	st, err := s.prepared(ctx, query)
	if err != nil {
		return errRow{err}
	}
	return st.QueryRowContext(ctx, args...)
}

// errRow is a row that failed before it was read.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// close closes every kept statement.
func (s *stmts) close() error {
	var errs []error
	s.m.Range(func(k, v any) bool {
		errs = append(errs, v.(*sql.Stmt).Close())
		s.m.Delete(k)
		return true
	})
	return errors.Join(errs...)
}
