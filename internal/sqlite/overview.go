package sqlite

import (
	"context"
	"fmt"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// Overview counts every account's agents, servers and export tasks by
// status.
func (s *DB) Overview(ctx context.Context) (*discovery.Overview, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("overview: %w", err)
	}
	defer tx.Rollback()
	out := &discovery.Overview{}
	rows, err := tx.QueryContext(ctx, overviewAccounts)
	if err != nil {
		return nil, fmt.Errorf("overview: %w", err)
	}
	for rows.Next() {
		var a discovery.AccountOverview
		var running, succeeded, failed int
		if err := rows.Scan(&a.AccountID, &a.Agents, &a.Servers, &running, &succeeded, &failed); err != nil {
			rows.Close()
			return nil, fmt.Errorf("overview: %w", err)
		}
		a.Exports = discovery.ExportCounts(running, succeeded, failed)
		out.Accounts = append(out.Accounts, a)
	}
	if err := rows.Close(); err != nil {
		return nil, fmt.Errorf("overview: %w", err)
	}
	return out, nil
}

// The overview's query.
const (
	overviewAccounts = `SELECT a.account_id,
	(SELECT count(*) FROM agents g WHERE g.account_id = a.account_id),
	(SELECT count(*) FROM servers v WHERE v.account_id = a.account_id),
	(SELECT count(*) FROM export_tasks e WHERE e.account_id = a.account_id AND e.status = 'IN_PROGRESS'),
	(SELECT count(*) FROM export_tasks e WHERE e.account_id = a.account_id AND e.status = 'SUCCEEDED'),
	(SELECT count(*) FROM export_tasks e WHERE e.account_id = a.account_id AND e.status = 'FAILED')
FROM accounts a ORDER BY a.account_id`
)
