package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// Retention of agent data (agents.RetentionStore). Each table's old rows
// are found through its index on time (migration 005), at most limit of
// them per statement, and deleted by their tuple IDs; each statement
// commits on its own. The rows are locked with SKIP LOCKED: the sweep never
// waits for a row another transaction holds (an agent delete, a reset), so
// it never takes part in a deadlock; the rows it skipped are for the next
// round.

// retentionDeletes delete at most $2 rows older than $1 of each table: the
// agent time series by report time, the intake ledger by intake time.
var retentionDeletes = []string{
	`DELETE FROM perf_samples WHERE ctid = ANY(ARRAY(
		SELECT ctid FROM perf_samples WHERE ts_ms < $1 ORDER BY ts_ms LIMIT $2 FOR UPDATE SKIP LOCKED))`,
	`DELETE FROM system_observations WHERE ctid = ANY(ARRAY(
		SELECT ctid FROM system_observations WHERE ts_ms < $1 ORDER BY ts_ms LIMIT $2 FOR UPDATE SKIP LOCKED))`,
	`DELETE FROM process_observations WHERE ctid = ANY(ARRAY(
		SELECT ctid FROM process_observations WHERE ts_ms < $1 ORDER BY ts_ms LIMIT $2 FOR UPDATE SKIP LOCKED))`,
	`DELETE FROM connection_observations WHERE ctid = ANY(ARRAY(
		SELECT ctid FROM connection_observations WHERE ts_ms < $1 ORDER BY ts_ms LIMIT $2 FOR UPDATE SKIP LOCKED))`,
	`DELETE FROM agent_reports WHERE ctid = ANY(ARRAY(
		SELECT ctid FROM agent_reports WHERE received_ms < $1 ORDER BY received_ms LIMIT $2 FOR UPDATE SKIP LOCKED))`,
}

// DeleteAgentDataBefore deletes at most limit rows of each agent time
// series whose time is before cutoff, and at most limit intake ledger
// entries taken in before cutoff, one statement per table. It returns how
// many rows it deleted.
func (s *DB) DeleteAgentDataBefore(ctx context.Context, cutoff time.Time, limit int) (int, error) {
	n := 0
	for _, q := range retentionDeletes {
		tag, err := s.pool.Exec(ctx, q, ceilMs(cutoff), limit)
		if err != nil {
			return n, err
		}
		n += int(tag.RowsAffected())
	}
	return n, nil
}

// MoveFirstData sets the first data time of the agents whose first data is
// before cutoff to their oldest system observation's time (every accepted
// report has one), NULL if none is left: one transaction per account,
// holding the account's lock, so that an intake, which writes the agent
// from what it read under that lock, never overwrites the move.
func (s *DB) MoveFirstData(ctx context.Context, cutoff time.Time) (int, error) {
	m := ceilMs(cutoff)
	accounts, err := column(ctx, s.pool, `SELECT DISTINCT account_id FROM agents WHERE first_data_ms < $1`, m)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, account := range accounts {
		moved := 0
		err := s.accountTx(ctx, account, func(tx pgx.Tx) error {
			tag, err := tx.Exec(ctx, `UPDATE agents SET first_data_ms =
					(SELECT min(o.ts_ms) FROM system_observations o WHERE o.account_id = agents.account_id AND o.agent_id = agents.agent_id)
				WHERE account_id = $1 AND first_data_ms < $2`, account, m)
			moved = int(tag.RowsAffected())
			return err
		})
		n += moved
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
