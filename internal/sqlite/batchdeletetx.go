package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// batchDeleteTx implements discovery.BatchDeleteTx.
type batchDeleteTx struct{ acctTx }

var _ discovery.BatchDeleteTx = batchDeleteTx{}

// BatchDeleteTx runs fn in one write transaction of account under the
// lease l of the task's job, checked in the transaction before fn runs
// (SQLite's single writer keeps it held until the commit): it commits when
// fn returns nil and rolls back otherwise. A step deletes many rows: it
// runs alone, not in a batch of short writes.
func (s *DB) BatchDeleteTx(ctx context.Context, l discovery.Lease, account string, fn func(discovery.BatchDeleteTx) error) error {
	return s.txAlone(ctx, func(tx *sql.Tx) error {
		if err := checkLease(ctx, tx, l); err != nil {
			return err
		}
		return fn(batchDeleteTx{acctTx{tx, account}})
	})
}

// BatchDeleteTask implements discovery.BatchDeleteTx.
func (t batchDeleteTx) BatchDeleteTask(ctx context.Context, id string) (*discovery.BatchDeleteTask, error) {
	task, err := scanBatchDelete(t.tx.QueryRowContext(ctx, `SELECT `+batchDeleteCols+` FROM batch_delete_tasks
		WHERE account_id = ? AND task_id = ?`, t.account, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, discovery.ErrNotFound
	}
	return task, err
}

// ServerAgent implements discovery.BatchDeleteTx.
func (t batchDeleteTx) ServerAgent(ctx context.Context, id string) (string, error) {
	return t.one(ctx, `SELECT agent_id FROM servers WHERE account_id = ? AND server_id = ?`, t.account, id)
}

// AgentCollectionStatus implements discovery.BatchDeleteTx.
func (t batchDeleteTx) AgentCollectionStatus(ctx context.Context, agentID string) (string, error) {
	return t.one(ctx, `SELECT collection_status FROM agents WHERE account_id = ? AND agent_id = ?`, t.account, agentID)
}

// ServerProcesses implements discovery.BatchDeleteTx.
func (t batchDeleteTx) ServerProcesses(ctx context.Context, serverID string) ([]string, error) {
	return t.ids(ctx, `SELECT process_id FROM processes WHERE account_id = ? AND server_id = ?`, t.account, serverID)
}

// ConnectionsTouching implements discovery.BatchDeleteTx; the IDs are
// configuration IDs (connectionID), not stored keys.
func (t batchDeleteTx) ConnectionsTouching(ctx context.Context, servers, processes []string) ([]string, error) {
	ids, err := t.ids(ctx, `SELECT connection_id FROM connections WHERE account_id = ?1
		AND (source_server_id IN (SELECT value FROM json_each(?2)) OR destination_server_id IN (SELECT value FROM json_each(?2))
			OR source_process_id IN (SELECT value FROM json_each(?3)) OR destination_process_id IN (SELECT value FROM json_each(?3)))`,
		t.account, jsonList(nonNil(servers)), jsonList(nonNil(processes)))
	for i, id := range ids {
		ids[i] = connectionID(id)
	}
	return ids, err
}

// ServerApplications implements discovery.BatchDeleteTx.
func (t batchDeleteTx) ServerApplications(ctx context.Context, serverID string) ([]string, error) {
	return t.ids(ctx, `SELECT application_id FROM application_servers WHERE account_id = ? AND server_id = ?`, t.account, serverID)
}

// FinishBatchDeleteTask implements discovery.BatchDeleteTx.
func (t batchDeleteTx) FinishBatchDeleteTask(ctx context.Context, task *discovery.BatchDeleteTask) error {
	failed := []failureJSON{}
	for _, f := range task.Failures {
		failed = append(failed, failureJSON{ID: f.ConfigurationID, Code: f.StatusCode, Message: f.Message})
	}
	warnings := []warningJSON{}
	for _, w := range task.Warnings {
		warnings = append(warnings, warningJSON{ID: w.ConfigurationID, Code: w.Code, Text: w.Text})
	}
	return t.exec(ctx, `UPDATE batch_delete_tasks SET status = ?, end_ms = ?, deleted = ?, failed = ?, warnings = ?
		WHERE account_id = ? AND task_id = ?`,
		string(task.Status), ms(task.End), jsonText(nonNil(task.Deleted)), jsonText(failed), jsonText(warnings), t.account, task.ID)
}
