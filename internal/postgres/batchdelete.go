package postgres

import (
	"time"

	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// The stored forms of a batch-delete task's failures and warnings (jsonb
// columns failed and warnings), as the SQLite store keeps them.
type (
	failureJSON struct {
		ID      string `json:"id"`
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	warningJSON struct {
		ID   string `json:"id"`
		Code int    `json:"code"`
		Text string `json:"text"`
	}
)

// InsertBatchDeleteTask implements batchdelete.Store: the task and its job,
// in one transaction.
func (s *DB) InsertBatchDeleteTask(ctx context.Context, t *discovery.BatchDeleteTask) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO batch_delete_tasks (account_id, task_id, configuration_type, status, start_ms, requested)
			VALUES ($1, $2, $3, $4, $5, $6)`, t.AccountID, t.ID, t.ConfigurationType, string(t.Status), ms(t.Start), nonNil(t.Requested))
		if err != nil {
			return err
		}
		// The job may run at any time: also after the virtual clock was
		// moved back past the start.
		return enqueue(ctx, tx, discovery.JobBatchDelete, t.AccountID, t.ID, time.Time{}, t.Start)
	})
}

const batchDeleteCols = `account_id, task_id, configuration_type, status, start_ms, end_ms, requested, deleted, failed, warnings`

func scanBatchDelete(row pgx.Row) (*discovery.BatchDeleteTask, error) {
	var (
		t       discovery.BatchDeleteTask
		status  string
		startMs int64
		endMs   *int64
		fs      []failureJSON
		ws      []warningJSON
	)
	if err := row.Scan(&t.AccountID, &t.ID, &t.ConfigurationType, &status, &startMs, &endMs, &t.Requested, &t.Deleted, &fs, &ws); err != nil {
		return nil, err
	}
	t.Status = discovery.BatchDeleteStatus(status)
	t.Start = fromMs(startMs)
	if endMs != nil {
		t.End = fromMs(*endMs)
	}
	for _, f := range fs {
		t.Failures = append(t.Failures, discovery.BatchDeleteFailure{ConfigurationID: f.ID, StatusCode: f.Code, Message: f.Message})
	}
	for _, w := range ws {
		t.Warnings = append(t.Warnings, discovery.BatchDeleteWarning{ConfigurationID: w.ID, Code: w.Code, Text: w.Text})
	}
	return &t, nil
}

// rowQuerier is the pool or a transaction.
type rowQuerier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// batchDeleteTask reads the account's task, or discovery.ErrNotFound.
func batchDeleteTask(ctx context.Context, q rowQuerier, account, id string) (*discovery.BatchDeleteTask, error) {
	t, err := scanBatchDelete(q.QueryRow(ctx, `SELECT `+batchDeleteCols+` FROM batch_delete_tasks WHERE account_id = $1 AND task_id = $2`, account, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, discovery.ErrNotFound
	}
	return t, err
}

// BatchDeleteTask implements batchdelete.Store.
func (s *DB) BatchDeleteTask(ctx context.Context, account, id string) (*discovery.BatchDeleteTask, error) {
	return batchDeleteTask(ctx, s.rd, account, id)
}
