package sqlite

import (
	"context"
	"database/sql"
	"time"
)

// Retention of agent data (agents.RetentionStore). Each table's old rows
// are found through its index on time (migration 011) and deleted by
// primary key, at most limit of them per statement; all the statements of
// one call are one transaction, in the write turn, so a call holds the
// write lock for a few thousand row deletes at most.

// retentionDeletes delete at most ?2 rows older than ?1 of each table: the
// agent time series by report time, the intake ledger by intake time.
var retentionDeletes = []string{
	`DELETE FROM perf_samples WHERE (account_id, agent_id, ts_ms) IN
		(SELECT account_id, agent_id, ts_ms FROM perf_samples WHERE ts_ms < ?1 ORDER BY ts_ms LIMIT ?2)`,
	`DELETE FROM system_observations WHERE (account_id, agent_id, ts_ms) IN
		(SELECT account_id, agent_id, ts_ms FROM system_observations WHERE ts_ms < ?1 ORDER BY ts_ms LIMIT ?2)`,
	`DELETE FROM process_observations WHERE (account_id, agent_id, ts_ms, seq) IN
		(SELECT account_id, agent_id, ts_ms, seq FROM process_observations WHERE ts_ms < ?1 ORDER BY ts_ms LIMIT ?2)`,
	`DELETE FROM connection_observations WHERE (account_id, agent_id, ts_ms, seq) IN
		(SELECT account_id, agent_id, ts_ms, seq FROM connection_observations WHERE ts_ms < ?1 ORDER BY ts_ms LIMIT ?2)`,
	`DELETE FROM agent_reports WHERE (account_id, report_id) IN
		(SELECT account_id, report_id FROM agent_reports WHERE received_ms < ?1 ORDER BY received_ms LIMIT ?2)`,
}

// DeleteAgentDataBefore deletes at most limit rows of each agent time
// series whose time is before cutoff, and at most limit intake ledger
// entries taken in before cutoff, in one transaction. It returns how many
// rows it deleted.
func (s *DB) DeleteAgentDataBefore(ctx context.Context, cutoff time.Time, limit int) (int, error) {
	var n int64
	err := s.txAlone(ctx, func(tx *sql.Tx) error {
		n = 0
		for _, q := range retentionDeletes {
			res, err := tx.ExecContext(ctx, q, ceilMs(cutoff), limit)
			if err != nil {
				return err
			}
			k, err := res.RowsAffected()
			if err != nil {
				return err
			}
			n += k
		}
		return nil
	})
	return int(n), err
}

// MoveFirstData sets the first data time of the agents whose first data is
// before cutoff to their oldest system observation's time (every accepted
// report has one), NULL if none is left. Intake writes agents in the same
// write turn, so it never overwrites the move with what it read before.
func (s *DB) MoveFirstData(ctx context.Context, cutoff time.Time) (int, error) {
	var n int64
	err := s.txAlone(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE agents SET first_data_ms =
				(SELECT min(o.ts_ms) FROM system_observations o WHERE o.account_id = agents.account_id AND o.agent_id = agents.agent_id)
			WHERE first_data_ms < ?`, ceilMs(cutoff))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}
