package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// batchDeleteTx implements discovery.BatchDeleteTx.
type batchDeleteTx struct{ acctTx }

var _ discovery.BatchDeleteTx = batchDeleteTx{}

// BatchDeleteTx runs fn in one transaction of account that holds the
// account's lock and, checked before fn runs, the lease l of the task's
// job (its row stays locked until the commit): it commits when fn returns
// nil and rolls back otherwise. What a deletion lists (a server's
// processes, the connections touching them) is still all of it when the
// deletion commits.
func (s *DB) BatchDeleteTx(ctx context.Context, l discovery.Lease, account string, fn func(discovery.BatchDeleteTx) error) error {
	return s.accountTx(ctx, account, func(tx pgx.Tx) error {
		if _, err := lockJob(ctx, tx, l); err != nil {
			return err
		}
		return fn(batchDeleteTx{acctTx{tx, account}})
	})
}

// BatchDeleteTask implements discovery.BatchDeleteTx.
func (t batchDeleteTx) BatchDeleteTask(ctx context.Context, id string) (*discovery.BatchDeleteTask, error) {
	return batchDeleteTask(ctx, t.tx, t.account, id)
}

// ServerAgent implements discovery.BatchDeleteTx.
func (t batchDeleteTx) ServerAgent(ctx context.Context, id string) (string, error) {
	return t.one(ctx, `SELECT agent_id FROM servers WHERE account_id = $1 AND server_id = $2`, t.account, id)
}

// AgentCollectionStatus implements discovery.BatchDeleteTx.
func (t batchDeleteTx) AgentCollectionStatus(ctx context.Context, agentID string) (string, error) {
	return t.one(ctx, `SELECT collection_status FROM agents WHERE account_id = $1 AND agent_id = $2`, t.account, agentID)
}

// ServerProcesses implements discovery.BatchDeleteTx.
func (t batchDeleteTx) ServerProcesses(ctx context.Context, serverID string) ([]string, error) {
	return column(ctx, t.tx, `SELECT process_id FROM processes WHERE account_id = $1 AND server_id = $2`, t.account, serverID)
}

// ConnectionsTouching implements discovery.BatchDeleteTx; the IDs are
// configuration IDs (connectionID), not stored keys.
func (t batchDeleteTx) ConnectionsTouching(ctx context.Context, servers, processes []string) ([]string, error) {
	ids, err := column(ctx, t.tx, `SELECT connection_id FROM connections WHERE account_id = $1
		AND (source_server_id = ANY($2) OR destination_server_id = ANY($2) OR source_process_id = ANY($3) OR destination_process_id = ANY($3))`,
		t.account, nonNil(servers), nonNil(processes))
	for i, id := range ids {
		ids[i] = connectionID(id)
	}
	return ids, err
}

// ServerApplications implements discovery.BatchDeleteTx.
func (t batchDeleteTx) ServerApplications(ctx context.Context, serverID string) ([]string, error) {
	return column(ctx, t.tx, `SELECT application_id FROM application_servers WHERE account_id = $1 AND server_id = $2`, t.account, serverID)
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
	return t.exec(ctx, `UPDATE batch_delete_tasks SET status = $1, end_ms = $2, deleted = $3, failed = $4, warnings = $5
		WHERE account_id = $6 AND task_id = $7`,
		string(task.Status), ms(task.End), nonNil(task.Deleted), failed, warnings, t.account, task.ID)
}
