package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

const agentCols = `agent_id, agent_type, connector_id, host_name, version, health, collection_status, network_info,
	registered_ms, last_health_ping_ms, first_data_ms, last_data_ms, server_id`

func scanAgent(r scanner, account string) (*discovery.Agent, error) {
	var (
		a           = discovery.Agent{AccountID: account}
		network     string
		reg, ping   int64
		first, last sql.NullInt64
	)
	if err := r.Scan(&a.ID, &a.Type, &a.ConnectorID, &a.HostName, &a.Version, &a.Health, &a.CollectionStatus, &network,
		&reg, &ping, &first, &last, &a.ServerID); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(network), &a.Network); err != nil {
		return nil, fmt.Errorf("agent %s network info: %w", a.ID, err)
	}
	if a.Network == nil {
		a.Network = []discovery.AgentNetworkInfo{}
	}
	a.Registered, a.LastHealthPing = fromMs(reg), fromMs(ping)
	if first.Valid {
		a.FirstData = fromMs(first.Int64)
	}
	if last.Valid {
		a.LastData = fromMs(last.Int64)
	}
	return &a, nil
}

// jsonList encodes ids as a JSON array for json_each.
func jsonList(ids []string) string {
	b, _ := json.Marshal(ids)
	return string(b)
}

// FindAgents returns agents of one account in agent ID order, after the
// keyset cursor q.After, at most q.Limit of them (all if 0).
func (s *DB) FindAgents(ctx context.Context, q discovery.AgentQuery) ([]*discovery.Agent, error) {
	var (
		where = []string{"account_id = ?"}
		args  = []any{q.AccountID}
	)
	if q.IDs != nil {
		where = append(where, "agent_id IN (SELECT value FROM json_each(?))")
		args = append(args, jsonList(q.IDs))
	}
	if q.After != "" {
		where = append(where, "agent_id > ?")
		args = append(args, q.After)
	}
	query := `SELECT ` + agentCols + ` FROM agents WHERE ` + strings.Join(where, " AND ") + ` ORDER BY agent_id`
	if q.Limit > 0 {
		query += ` LIMIT ?`
		args = append(args, q.Limit)
	}
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*discovery.Agent
	for rows.Next() {
		a, err := scanAgent(rows, q.AccountID)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// SetCollectionStatus sets the collection status of the account's agents
// among ids and returns the IDs it found.
func (s *DB) SetCollectionStatus(ctx context.Context, account string, ids []string, status string) (map[string]bool, error) {
	found := make(map[string]bool, len(ids))
	err := s.tx(ctx, func(tx *sql.Tx) error {
		clear(found)
		rows, err := tx.QueryContext(ctx, `UPDATE agents SET collection_status = ?
			WHERE account_id = ? AND agent_id IN (SELECT value FROM json_each(?)) RETURNING agent_id`, status, account, jsonList(ids))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			found[id] = true
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return found, nil
}

// DeleteAgents deletes the agent records (never their servers, samples or
// observations) in one transaction. An agent whose collection is STARTED is
// refused (discovery.AgentInUse) unless its request forces the delete.
func (s *DB) DeleteAgents(ctx context.Context, account string, reqs []discovery.DeleteAgentRequest) (map[string]discovery.DeleteAgentOutcome, error) {
	out := make(map[string]discovery.DeleteAgentOutcome, len(reqs))
	err := s.tx(ctx, func(tx *sql.Tx) error {
		clear(out)
		for _, r := range reqs {
			var status string
			err := tx.QueryRowContext(ctx, `SELECT collection_status FROM agents WHERE account_id = ? AND agent_id = ?`, account, r.AgentID).Scan(&status)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				out[r.AgentID] = discovery.AgentNotFound
				continue
			case err != nil:
				return err
			case status == discovery.CollectionStarted && !r.Force:
				out[r.AgentID] = discovery.AgentInUse
				continue
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM agents WHERE account_id = ? AND agent_id = ?`, account, r.AgentID); err != nil {
				return err
			}
			out[r.AgentID] = discovery.AgentDeleted
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// UpsertAgent stores an agent record only (tests use it to stand up agents
// without data).
func (s *DB) UpsertAgent(ctx context.Context, a *discovery.Agent) error {
	opt := func(t time.Time) sql.NullInt64 {
		if t.IsZero() {
			return sql.NullInt64{}
		}
		return sql.NullInt64{Int64: ms(t), Valid: true}
	}
	_, err := s.exec(ctx, `INSERT INTO agents (account_id, agent_id, host_name, registered_ms, last_health_ping_ms, first_data_ms, last_data_ms)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (account_id, agent_id) DO UPDATE SET host_name = excluded.host_name,
			first_data_ms = excluded.first_data_ms, last_data_ms = excluded.last_data_ms`,
		a.AccountID, a.ID, a.HostName, ms(a.Registered), ms(a.Registered), opt(a.FirstData), opt(a.LastData))
	return err
}

// GetAgent returns one agent of the account, or discovery.ErrNotFound.
func (s *DB) GetAgent(ctx context.Context, account, id string) (*discovery.Agent, error) {
	a, err := scanAgent(s.db.QueryRowContext(ctx, `SELECT `+agentCols+` FROM agents WHERE account_id = ? AND agent_id = ?`, account, id), account)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("agent %s: %w", id, discovery.ErrNotFound)
	}
	return a, err
}
