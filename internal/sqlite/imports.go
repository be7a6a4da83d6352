package sqlite

import (
	"context"
	"database/sql"
	"errors"

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

// CreateImportTask stores t unless its client token names an existing task,
// which it returns instead.
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
		out, created = t, true
		return err
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
	text += ` ORDER BY task_id LIMIT ?`
	return s.importTasks(ctx, text, append(args, q.Limit)...)
}

// PendingImportTasks returns in-progress tasks of every account.
func (s *DB) PendingImportTasks(ctx context.Context, limit int) ([]*discovery.ImportTask, error) {
	return s.importTasks(ctx, `SELECT `+importTaskCols+` FROM import_tasks WHERE status = ? ORDER BY request_ms LIMIT ?`, discovery.ImportInProgress, limit)
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

// FinishImportTask stores the outcome of a task, or returns
// discovery.ErrImportTaskGone if it is no longer in progress (a reset or
// BatchDeleteImportData took it).
func (s *DB) FinishImportTask(ctx context.Context, t *discovery.ImportTask) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
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
