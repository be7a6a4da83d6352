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

// ExecuteBatchDeleteTask implements batchdelete.Store. Each requested server
// goes with its network interfaces, processes, the connections either of
// whose ends is the server or one of its processes, the tags of all of them,
// its application memberships (the applications' updated time moves to
// endMs) and its agent's time series. The agent itself stays. It runs under
// the lease of the task's job, checked in the same transaction; a task gone
// or already finished is left as it is.
func (s *DB) ExecuteBatchDeleteTask(ctx context.Context, l discovery.Lease, account, id string, endMs int64) error {
	return s.leased(ctx, l, func(tx *sql.Tx) error {
		t, err := scanBatchDelete(tx.QueryRowContext(ctx, `SELECT `+batchDeleteCols+` FROM batch_delete_tasks
			WHERE account_id = ? AND task_id = ?`, account, id))
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if t.Status == discovery.BatchDeleteCompleted || t.Status == discovery.BatchDeleteFailed {
			return nil
		}
		deleted := []string{}
		failed := []failureJSON{}
		warnings := []warningJSON{}
		for _, cid := range t.Requested {
			var agentID string
			found := false
			if typ, _ := discovery.TypeOf(cid); typ == discovery.TypeServer {
				err := tx.QueryRowContext(ctx, `SELECT agent_id FROM servers WHERE account_id = ? AND server_id = ?`, account, cid).Scan(&agentID)
				switch {
				case err == nil:
					found = true
				case !errors.Is(err, sql.ErrNoRows):
					return err
				}
			}
			if !found {
				f := discovery.BatchDeleteNotFound(cid)
				failed = append(failed, failureJSON{ID: f.ConfigurationID, Code: f.StatusCode, Message: f.Message})
				continue
			}
			if agentID != "" {
				var status string
				err := tx.QueryRowContext(ctx, `SELECT collection_status FROM agents WHERE account_id = ? AND agent_id = ?`, account, agentID).Scan(&status)
				if err != nil && !errors.Is(err, sql.ErrNoRows) {
					return err
				}
				if status == "STARTED" {
					w := discovery.BatchDeleteStillCollecting(cid, agentID)
					warnings = append(warnings, warningJSON{ID: w.ConfigurationID, Code: w.Code, Text: w.Text})
				}
			}
			if err := deleteServer(ctx, tx, account, cid, agentID, endMs); err != nil {
				return err
			}
			deleted = append(deleted, cid)
		}
		_, err = tx.ExecContext(ctx, `UPDATE batch_delete_tasks SET status = ?, end_ms = ?, deleted = ?, failed = ?, warnings = ?
			WHERE account_id = ? AND task_id = ?`,
			string(discovery.BatchDeleteCompleted), endMs, jsonText(deleted), jsonText(failed), jsonText(warnings), account, id)
		return err
	})
}

// deleteServer deletes one server and the data that hangs off it.
func deleteServer(ctx context.Context, tx *sql.Tx, account, serverID, agentID string, nowMs int64) error {
	var items []string // configuration IDs whose tags go too
	items = append(items, serverID)
	collect := func(q string, args []any, prefix string) error {
		return eachRow(ctx, tx, q, args, func(rows *sql.Rows) error {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			items = append(items, id)
			if prefix != "" {
				items = append(items, prefix+id)
			}
			return nil
		})
	}
	procs := `SELECT process_id FROM processes WHERE account_id = ?1 AND server_id = ?2`
	if err := collect(procs, []any{account, serverID}, ""); err != nil {
		return err
	}
	conns := `SELECT connection_id FROM connections WHERE account_id = ?1 AND (source_server_id = ?2 OR destination_server_id = ?2
		OR source_process_id IN (` + procs + `) OR destination_process_id IN (` + procs + `))`
	if err := collect(conns, []any{account, serverID}, discovery.ConnectionPrefix); err != nil {
		return err
	}
	stmts := []struct {
		q    string
		args []any
	}{
		{`DELETE FROM connections WHERE connection_id IN (` + conns + `) AND account_id = ?1`, []any{account, serverID}},
		{`DELETE FROM processes WHERE account_id = ?1 AND server_id = ?2`, []any{account, serverID}},
		{`DELETE FROM network_interfaces WHERE account_id = ?1 AND server_id = ?2`, []any{account, serverID}},
		{`UPDATE applications SET updated_ms = ?3 WHERE account_id = ?1 AND application_id IN
			(SELECT application_id FROM application_servers WHERE account_id = ?1 AND server_id = ?2)`, []any{account, serverID, nowMs}},
		{`DELETE FROM application_servers WHERE account_id = ?1 AND server_id = ?2`, []any{account, serverID}},
		{`DELETE FROM servers WHERE account_id = ?1 AND server_id = ?2`, []any{account, serverID}},
	}
	if agentID != "" {
		for _, table := range []string{"perf_samples", "system_observations", "process_observations", "connection_observations"} {
			stmts = append(stmts, struct {
				q    string
				args []any
			}{`DELETE FROM ` + table + ` WHERE account_id = ?1 AND agent_id = ?2`, []any{account, agentID}})
		}
	}
	for _, st := range stmts {
		if _, err := tx.ExecContext(ctx, st.q, st.args...); err != nil {
			return err
		}
	}
	del, err := tx.PrepareContext(ctx, `DELETE FROM tags WHERE account_id = ? AND configuration_id = ?`)
	if err != nil {
		return err
	}
	defer del.Close()
	for _, id := range items {
		if _, err := del.ExecContext(ctx, account, id); err != nil {
			return err
		}
	}
	return nil
}
