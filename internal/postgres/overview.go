package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// Overview counts every account's agents, servers and export tasks by
// status, in one snapshot of the database.
func (s *DB) Overview(ctx context.Context) (*discovery.Overview, error) {
	out := &discovery.Overview{}
	err := s.snapshot(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT a.account_id,
	(SELECT count(*) FROM agents g WHERE g.account_id = a.account_id),
	(SELECT count(*) FROM servers v WHERE v.account_id = a.account_id),
	count(e.export_id) FILTER (WHERE e.status = 'IN_PROGRESS'),
	count(e.export_id) FILTER (WHERE e.status = 'SUCCEEDED'),
	count(e.export_id) FILTER (WHERE e.status = 'FAILED')
FROM accounts a LEFT JOIN export_tasks e ON e.account_id = a.account_id
GROUP BY a.account_id ORDER BY a.account_id`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var a discovery.AccountOverview
			var running, succeeded, failed int
			if err := rows.Scan(&a.AccountID, &a.Agents, &a.Servers, &running, &succeeded, &failed); err != nil {
				rows.Close()
				return err
			}
			a.Exports = discovery.ExportCounts(running, succeeded, failed)
			out.Accounts = append(out.Accounts, a)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("overview: %w", err)
	}
	return out, nil
}
