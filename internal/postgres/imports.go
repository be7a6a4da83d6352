package postgres

import (
	"fmt"
	"time"

	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

const importTaskCols = `account_id, task_id, client_token, name, url, status, request_ms, completion_ms, deleted_ms,
	server_success, server_failure, app_success, app_failure, has_errors_zip`

func scanImportTask(row pgx.Row) (*discovery.ImportTask, error) {
	t := &discovery.ImportTask{}
	err := row.Scan(&t.AccountID, &t.ID, &t.ClientToken, &t.Name, &t.URL, &t.Status, &t.RequestMS, &t.CompletionMS, &t.DeletedMS,
		&t.ServerSuccess, &t.ServerFailure, &t.AppSuccess, &t.AppFailure, &t.HasErrorsZip)
	return t, err
}

const importTaskByToken = `SELECT ` + importTaskCols + ` FROM import_tasks WHERE account_id = $1 AND client_token = $2`

// ImportTaskByToken returns the account's task of a client request token
// (also one deleted with its history), or discovery.ErrNotFound.
func (s *DB) ImportTaskByToken(ctx context.Context, account, token string) (*discovery.ImportTask, error) {
	t, err := scanImportTask(s.rd.QueryRow(ctx, importTaskByToken, account, token))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, discovery.ErrNotFound
	}
	return t, err
}

// CreateImportTask stores t unless its client token names an existing task,
// which it returns instead. It holds the account's lock, so of requests
// with one token on any replicas, one creates the task and the others
// return it.
func (s *DB) CreateImportTask(ctx context.Context, t *discovery.ImportTask) (*discovery.ImportTask, bool, error) {
	var out *discovery.ImportTask
	created := false
	err := s.accountTx(ctx, t.AccountID, func(tx pgx.Tx) error {
		if t.ClientToken != "" {
			got, err := scanImportTask(tx.QueryRow(ctx, importTaskByToken, t.AccountID, t.ClientToken))
			if err == nil {
				out = got
				return nil
			}
			if !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
		}
		_, err := tx.Exec(ctx, `INSERT INTO import_tasks (account_id, task_id, client_token, name, url, status, request_ms)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, t.AccountID, t.ID, t.ClientToken, t.Name, t.URL, t.Status, t.RequestMS)
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
	if err != nil {
		return nil, false, err
	}
	return out, created, nil
}

// FindImportTasks lists the account's visible tasks by task ID after the
// cursor: a range scan of the primary key. Each list of q, when not nil,
// is one array parameter.
func (s *DB) FindImportTasks(ctx context.Context, q discovery.ImportTaskQuery) ([]*discovery.ImportTask, error) {
	var w where
	w.add("account_id = $%d", q.Account)
	w.add("NOT hidden")
	w.add("task_id > $%d", q.After)
	for _, f := range []struct {
		col  string
		vals []string
	}{{"task_id", q.IDs}, {"status", q.Statuses}, {"name", q.Names}} {
		if f.vals != nil {
			w.add(f.col+" = ANY($%d)", f.vals)
		}
	}
	text := `SELECT ` + importTaskCols + ` FROM import_tasks WHERE ` + w.String() + ` ORDER BY task_id`
	if q.Limit > 0 {
		text += ` LIMIT ` + w.param(q.Limit)
	}
	return s.importTasks(ctx, text, w.args...)
}

// ImportTask returns the account's task, or discovery.ErrNotFound.
func (s *DB) ImportTask(ctx context.Context, account, id string) (*discovery.ImportTask, error) {
	t, err := scanImportTask(s.rd.QueryRow(ctx, `SELECT `+importTaskCols+` FROM import_tasks WHERE account_id = $1 AND task_id = $2`, account, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("import task %s: %w", id, discovery.ErrNotFound)
	}
	return t, err
}

// importTasks runs a query of importTaskCols and scans its tasks.
func (s *DB) importTasks(ctx context.Context, q string, args ...any) ([]*discovery.ImportTask, error) {
	var out []*discovery.ImportTask
	err := eachRow(ctx, s.rd, q, args, func(rows pgx.Rows) error {
		t, err := scanImportTask(rows)
		if err == nil {
			out = append(out, t)
		}
		return err
	})
	return out, err
}

// CountImportRecords counts the account's imported records.
func (s *DB) CountImportRecords(ctx context.Context, account string) (int, error) {
	var n int
	err := s.rd.QueryRow(ctx, `SELECT count(*) FROM import_records WHERE account_id = $1`, account).Scan(&n)
	return n, err
}

// FinishImportTask stores the outcome of a task under the lease of its job,
// whose row stays locked until the outcome commits, or returns
// discovery.ErrImportTaskGone if it is no longer in progress (a reset or
// BatchDeleteImportData took it), or a lost lease (discovery.ErrLeaseLost)
// if the job is no longer held under l.
func (s *DB) FinishImportTask(ctx context.Context, l discovery.Lease, t *discovery.ImportTask) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		// A task deleted by a reset is gone whoever holds its job; one
		// finished meanwhile is the business of the job's holder.
		var status string
		err := tx.QueryRow(ctx, `SELECT status FROM import_tasks WHERE account_id = $1 AND task_id = $2`, t.AccountID, t.ID).Scan(&status)
		if errors.Is(err, pgx.ErrNoRows) {
			return discovery.ErrImportTaskGone
		}
		if err != nil {
			return err
		}
		if _, err := lockJob(ctx, tx, l); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE import_tasks SET status = $1, completion_ms = $2, server_success = $3, server_failure = $4,
				app_success = $5, app_failure = $6, has_errors_zip = $7
			WHERE account_id = $8 AND task_id = $9 AND status = $10`,
			t.Status, t.CompletionMS, t.ServerSuccess, t.ServerFailure, t.AppSuccess, t.AppFailure, t.HasErrorsZip, t.AccountID, t.ID, discovery.ImportInProgress)
		if err != nil {
			return err
		}
		if !affected(tag) {
			return discovery.ErrImportTaskGone
		}
		return nil
	})
}
