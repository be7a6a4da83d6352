package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Retention of agent data (agents.RetentionStore). One call is one
// transaction, in the write turn, that deletes at most limit rows of each
// table, so a call holds the write lock for a few thousand row deletes at
// most.
//
// A series table is its primary key (WITHOUT ROWID): an agent's rows lie
// together, in time order. Deleting the oldest rows of the whole table one
// by one would touch a page of every agent per batch; instead a call takes
// the agent of the table's oldest row (from the index on time, migration
// 011) and deletes that agent's rows before the cutoff, a range of the
// primary key at its start, then the next agent, until limit rows. When
// many rows are past the cutoff (after an upgrade, or a jump of the clock)
// a batch is a few agents' contiguous rows; in the steady state each round
// deletes about one row of each agent.

// retentionSeries are the agent time series: the primary key of each, and
// the agent of its oldest row.
var retentionSeries = []struct{ table, key string }{
	{"perf_samples", "account_id, agent_id, ts_ms"},
	{"system_observations", "account_id, agent_id, ts_ms"},
	{"process_observations", "account_id, agent_id, ts_ms, seq"},
	{"connection_observations", "account_id, agent_id, ts_ms, seq"},
}

// oldestAgentQuery returns the account and agent of table's oldest row
// before ?1.
func oldestAgentQuery(table string) string {
	return `SELECT account_id, agent_id FROM ` + table + ` WHERE ts_ms < ?1 ORDER BY ts_ms LIMIT 1`
}

// agentDeleteQuery deletes at most ?4 rows of agent ?3 of account ?2 older
// than ?1 from table, oldest first.
func agentDeleteQuery(table, key string) string {
	return `DELETE FROM ` + table + ` WHERE (` + key + `) IN (SELECT ` + key + ` FROM ` + table + `
		WHERE account_id = ?2 AND agent_id = ?3 AND ts_ms < ?1 ORDER BY ts_ms LIMIT ?4)`
}

// ledgerDelete deletes at most ?2 intake ledger entries taken in before ?1,
// oldest first.
const ledgerDelete = `DELETE FROM agent_reports WHERE (account_id, report_id) IN
	(SELECT account_id, report_id FROM agent_reports WHERE received_ms < ?1 ORDER BY received_ms LIMIT ?2)`

// DeleteAgentDataBefore deletes at most limit rows of each agent time
// series whose time is before cutoff, and at most limit intake ledger
// entries taken in before cutoff, in one transaction. It returns how many
// rows it deleted.
func (s *DB) DeleteAgentDataBefore(ctx context.Context, cutoff time.Time, limit int) (int, error) {
	var n int64
	cut := ceilMs(cutoff)
	err := s.tx(ctx, func(tx *sql.Tx) error {
		n = 0
		for _, t := range retentionSeries {
			for left := int64(limit); left > 0; {
				var account, agent string
				err := tx.QueryRowContext(ctx, oldestAgentQuery(t.table), cut).Scan(&account, &agent)
				if errors.Is(err, sql.ErrNoRows) {
					break
				}
				if err != nil {
					return err
				}
				k, err := affected(tx.ExecContext(ctx, agentDeleteQuery(t.table, t.key), cut, account, agent, left))
				if err != nil {
					return err
				}
				if k == 0 {
					break // cannot be: the agent has a row before the cutoff
				}
				n, left = n+k, left-k
			}
		}
		k, err := affected(tx.ExecContext(ctx, ledgerDelete, cut, limit))
		n += k
		return err
	})
	return int(n), err
}

// affected returns the rows a statement changed.
func affected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// MoveFirstData sets the first data time of the agents whose first data is
// before cutoff to their oldest system observation's time (every accepted
// report has one), NULL if none is left. Intake writes agents in the same
// write turn, so it never overwrites the move with what it read before.
func (s *DB) MoveFirstData(ctx context.Context, cutoff time.Time) (int, error) {
	n, err := affected(s.exec(ctx, `UPDATE agents SET first_data_ms =
			(SELECT min(o.ts_ms) FROM system_observations o WHERE o.account_id = agents.account_id AND o.agent_id = agents.agent_id)
		WHERE first_data_ms < ?`, ceilMs(cutoff)))
	return int(n), err
}
