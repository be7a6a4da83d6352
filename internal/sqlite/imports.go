package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

const importTaskCols = `account_id, task_id, client_token, name, url, status, request_ms, completion_ms, deleted_ms,
	server_success, server_failure, app_success, app_failure, has_errors_zip`

func scanImportTask(sc interface{ Scan(...any) error }) (*discovery.ImportTask, error) {
	t := &discovery.ImportTask{}
	err := sc.Scan(&t.AccountID, &t.ID, &t.ClientToken, &t.Name, &t.URL, &t.Status, &t.RequestMS, &t.CompletionMS, &t.DeletedMS,
		&t.ServerSuccess, &t.ServerFailure, &t.AppSuccess, &t.AppFailure, &t.HasErrorsZip)
	return t, err
}

const importTaskByToken = `SELECT ` + importTaskCols + ` FROM import_tasks WHERE account_id = ? AND client_token = ?`

// ImportTaskByToken returns the account's task of a client request token
// (also one deleted with its history), or discovery.ErrNotFound.
func (s *DB) ImportTaskByToken(ctx context.Context, account, token string) (*discovery.ImportTask, error) {
	t, err := scanImportTask(s.db.QueryRowContext(ctx, importTaskByToken, account, token))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, discovery.ErrNotFound
	}
	return t, err
}

// CreateImportTask stores t, and its job, unless its client token names an
// existing task, which it returns instead.
func (s *DB) CreateImportTask(ctx context.Context, t *discovery.ImportTask) (*discovery.ImportTask, bool, error) {
	var out *discovery.ImportTask
	created := false
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if t.ClientToken != "" {
			got, err := scanImportTask(tx.QueryRowContext(ctx, importTaskByToken, t.AccountID, t.ClientToken))
			if err == nil {
				out = got
				return nil
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO import_tasks (account_id, task_id, client_token, name, url, status, request_ms) VALUES (?,?,?,?,?,?,?)`,
			t.AccountID, t.ID, t.ClientToken, t.Name, t.URL, t.Status, t.RequestMS)
		if err != nil {
			return err
		}
		out, created = t, true
		if t.Status != discovery.ImportInProgress {
			return nil
		}
		// The job may run at any time: also after the virtual clock was
		// moved back past the request.
		return enqueue(ctx, tx, discovery.JobImport, t.AccountID, t.ID, time.Time{}, time.UnixMilli(t.RequestMS))
	})
	return out, created, err
}

// FindImportTasks implements imports.Store.
func (s *DB) FindImportTasks(ctx context.Context, q discovery.ImportTaskQuery) ([]*discovery.ImportTask, error) {
	text := `SELECT ` + importTaskCols + ` FROM import_tasks WHERE account_id = ? AND hidden = 0 AND task_id > ?`
	args := []any{q.Account, q.After}
	for _, f := range []struct {
		col  string
		vals []string
	}{{"task_id", q.IDs}, {"status", q.Statuses}, {"name", q.Names}} {
		if f.vals != nil {
			text += ` AND ` + f.col + ` IN (SELECT value FROM json_each(?))`
			args = append(args, jsonArray(f.vals))
		}
	}
	text += ` ORDER BY task_id`
	if q.Limit > 0 {
		text += ` LIMIT ?`
		args = append(args, q.Limit)
	}
	return s.importTasks(ctx, text, args...)
}

// ImportTask returns a task of the account, also one deleted with its
// history, or discovery.ErrNotFound.
func (s *DB) ImportTask(ctx context.Context, account, id string) (*discovery.ImportTask, error) {
	t, err := scanImportTask(s.db.QueryRowContext(ctx, `SELECT `+importTaskCols+` FROM import_tasks WHERE account_id = ? AND task_id = ?`, account, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("import task %s: %w", id, discovery.ErrNotFound)
	}
	return t, err
}

// importTasks runs a query of importTaskCols and scans its tasks.
func (s *DB) importTasks(ctx context.Context, q string, args ...any) ([]*discovery.ImportTask, error) {
	var out []*discovery.ImportTask
	err := eachRow(ctx, s.db, q, args, func(rows *sql.Rows) error {
		t, err := scanImportTask(rows)
		if err != nil {
			return err
		}
		out = append(out, t)
		return nil
	})
	return out, err
}

// CountImportRecords counts the account's imported records.
func (s *DB) CountImportRecords(ctx context.Context, account string) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM import_records WHERE account_id = ?`, account).Scan(&n)
	return n, err
}

// FinishImportTask stores the outcome of a task under the lease of its job,
// or returns discovery.ErrImportTaskGone if it is no longer in progress (a
// reset or BatchDeleteImportData took it), or a lost lease
// (discovery.ErrLeaseLost) if the job is no longer held under l.
func (s *DB) FinishImportTask(ctx context.Context, l discovery.Lease, t *discovery.ImportTask) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		// A task deleted by a reset is gone whoever holds its job; one
		// finished meanwhile is the business of the job's holder.
		var status string
		err := tx.QueryRowContext(ctx, `SELECT status FROM import_tasks WHERE account_id = ? AND task_id = ?`, t.AccountID, t.ID).Scan(&status)
		if errors.Is(err, sql.ErrNoRows) {
			return discovery.ErrImportTaskGone
		}
		if err != nil {
			return err
		}
		if err := checkLease(ctx, tx, l); err != nil {
			return err
		}
		if status != discovery.ImportInProgress {
			return discovery.ErrImportTaskGone
		}
		res, err := tx.ExecContext(ctx, `UPDATE import_tasks SET status=?, completion_ms=?, server_success=?, server_failure=?, app_success=?, app_failure=?, has_errors_zip=?
			WHERE account_id=? AND task_id=? AND status=?`, t.Status, t.CompletionMS, t.ServerSuccess, t.ServerFailure, t.AppSuccess, t.AppFailure, t.HasErrorsZip, t.AccountID, t.ID, discovery.ImportInProgress)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err == nil && n == 0 {
			err = discovery.ErrImportTaskGone
		}
		return err
	})
}
