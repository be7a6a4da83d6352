package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

type failureJSON struct {
	ID      string `json:"id"`
	Code    int    `json:"code"`
	Message string `json:"message"`
}

type warningJSON struct {
	ID   string `json:"id"`
	Code int    `json:"code"`
	Text string `json:"text"`
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// InsertBatchDeleteTask implements batchdelete.Store: the task and its job,
// in one transaction.
func (s *DB) InsertBatchDeleteTask(ctx context.Context, t *discovery.BatchDeleteTask) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO batch_delete_tasks
			(account_id, task_id, configuration_type, status, start_ms, requested, seq)
			VALUES (?, ?, ?, ?, ?, ?, (SELECT coalesce(max(seq), 0) + 1 FROM batch_delete_tasks))`,
			t.AccountID, t.ID, t.ConfigurationType, string(t.Status), t.Start.UnixMilli(), jsonText(nonNil(t.Requested)))
		if err != nil {
			return err
		}
		// The job may run at any time: also after the virtual clock was
		// moved back past the start.
		return enqueue(ctx, tx, discovery.JobBatchDelete, t.AccountID, t.ID, time.Time{}, t.Start)
	})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

const batchDeleteCols = `account_id, task_id, configuration_type, status, start_ms, end_ms, requested, deleted, failed, warnings`

func scanBatchDelete(row interface{ Scan(...any) error }) (*discovery.BatchDeleteTask, error) {
	var (
		t                                    discovery.BatchDeleteTask
		status                               string
		startMs                              int64
		endMs                                sql.NullInt64
		requested, deleted, failed, warnings string
	)
	if err := row.Scan(&t.AccountID, &t.ID, &t.ConfigurationType, &status, &startMs, &endMs, &requested, &deleted, &failed, &warnings); err != nil {
		return nil, err
	}
	t.Status = discovery.BatchDeleteStatus(status)
	t.Start = time.UnixMilli(startMs).UTC()
	if endMs.Valid {
		t.End = time.UnixMilli(endMs.Int64).UTC()
	}
	var fs []failureJSON
	var ws []warningJSON
	for _, p := range []struct {
		s string
		v any
	}{{requested, &t.Requested}, {deleted, &t.Deleted}, {failed, &fs}, {warnings, &ws}} {
		if err := json.Unmarshal([]byte(p.s), p.v); err != nil {
			return nil, err
		}
	}
	for _, f := range fs {
		t.Failures = append(t.Failures, discovery.BatchDeleteFailure{ConfigurationID: f.ID, StatusCode: f.Code, Message: f.Message})
	}
	for _, w := range ws {
		t.Warnings = append(t.Warnings, discovery.BatchDeleteWarning{ConfigurationID: w.ID, Code: w.Code, Text: w.Text})
	}
	return &t, nil
}

// BatchDeleteTask implements batchdelete.Store.
func (s *DB) BatchDeleteTask(ctx context.Context, account, id string) (*discovery.BatchDeleteTask, error) {
	t, err := scanBatchDelete(s.db.QueryRowContext(ctx, `SELECT `+batchDeleteCols+` FROM batch_delete_tasks
		WHERE account_id = ? AND task_id = ?`, account, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, discovery.ErrNotFound
	}
	return t, err
}
