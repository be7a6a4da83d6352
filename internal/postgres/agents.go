package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

const agentCols = `agent_id, agent_type, connector_id, host_name, version, health, collection_status, network_info,
	registered_ms, last_health_ping_ms, first_data_ms, last_data_ms, server_id`

func scanAgent(r pgx.Row, account string) (*discovery.Agent, error) {
	var (
		a           = discovery.Agent{AccountID: account}
		network     []byte
		reg, ping   int64
		first, last *int64
	)
	if err := r.Scan(&a.ID, &a.Type, &a.ConnectorID, &a.HostName, &a.Version, &a.Health, &a.CollectionStatus, &network,
		&reg, &ping, &first, &last, &a.ServerID); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(network, &a.Network); err != nil {
		return nil, fmt.Errorf("agent %s network info: %w", a.ID, err)
	}
	if a.Network == nil {
		a.Network = []discovery.AgentNetworkInfo{}
	}
	a.Registered, a.LastHealthPing = fromMs(reg), fromMs(ping)
	if first != nil {
		a.FirstData = fromMs(*first)
	}
	if last != nil {
		a.LastData = fromMs(*last)
	}
	return &a, nil
}

// optMs is the column value of a time that is zero when unknown.
func optMs(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	v := ms(t)
	return &v
}

// FindAgents returns agents of one account in agent ID order, after the
// keyset cursor q.After, at most q.Limit of them (all if 0), as SQLite: a
// range of the primary key.
func (s *DB) FindAgents(ctx context.Context, q discovery.AgentQuery) ([]*discovery.Agent, error) {
	var w where
	w.add(`account_id = $%d`, q.AccountID)
	if q.IDs != nil {
		w.add(`agent_id = ANY($%d)`, q.IDs)
	}
	if q.After != "" {
		w.add(`agent_id > $%d`, q.After)
	}
	query := `SELECT ` + agentCols + ` FROM agents WHERE ` + w.String() + ` ORDER BY agent_id`
	if q.Limit > 0 {
		query += ` LIMIT ` + w.param(q.Limit)
	}
	var out []*discovery.Agent
	err := eachRow(ctx, s.rd, query, w.args, func(rows pgx.Rows) error {
		a, err := scanAgent(rows, q.AccountID)
		if err == nil {
			out = append(out, a)
		}
		return err
	})
	return out, err
}

// SetCollectionStatus sets the collection status of the account's agents
// among ids and returns the IDs it found, in one statement of a
// transaction that holds the account's lock: an intake upserts several
// agents of the account, locking their rows in the order of its batch, and
// this statement locks them in the order of its scan; without the lock the
// two could wait for each other's rows (a deadlock, which PostgreSQL ends
// by failing one of them).
func (s *DB) SetCollectionStatus(ctx context.Context, account string, ids []string, status string) (map[string]bool, error) {
	found := make(map[string]bool, len(ids))
	err := s.accountTx(ctx, account, func(tx pgx.Tx) error {
		clear(found)
		return eachRow(ctx, tx, `UPDATE agents SET collection_status = $1 WHERE account_id = $2 AND agent_id = ANY($3) RETURNING agent_id`,
			[]any{status, account, nonNil(ids)}, func(rows pgx.Rows) error {
				var id string
				err := rows.Scan(&id)
				found[id] = true
				return err
			})
	})
	if err != nil {
		return nil, err
	}
	return found, nil
}

// DeleteAgents deletes the agent records (never their servers, samples or
// observations) in one transaction that holds the account's lock, so that
// no intake of the account (which reads its agents and writes them back)
// comes between the statuses it checks and the delete. An agent whose
// collection is STARTED is refused (discovery.AgentInUse) unless its request
// forces the delete; requests are decided in order, so a second request for
// an agent deleted by an earlier one finds it gone.
func (s *DB) DeleteAgents(ctx context.Context, account string, reqs []discovery.DeleteAgentRequest) (map[string]discovery.DeleteAgentOutcome, error) {
	out := make(map[string]discovery.DeleteAgentOutcome, len(reqs))
	ids := make([]string, len(reqs))
	for i, r := range reqs {
		ids[i] = r.AgentID
	}
	err := s.accountTx(ctx, account, func(tx pgx.Tx) error {
		clear(out)
		status := map[string]string{}
		err := eachRow(ctx, tx, `SELECT agent_id, collection_status FROM agents WHERE account_id = $1 AND agent_id = ANY($2)`,
			[]any{account, ids}, func(rows pgx.Rows) error {
				var id, st string
				err := rows.Scan(&id, &st)
				status[id] = st
				return err
			})
		if err != nil {
			return err
		}
		var gone []string
		for _, r := range reqs {
			st, ok := status[r.AgentID]
			switch {
			case !ok:
				out[r.AgentID] = discovery.AgentNotFound
			case st == discovery.CollectionStarted && !r.Force:
				out[r.AgentID] = discovery.AgentInUse
			default:
				out[r.AgentID] = discovery.AgentDeleted
				gone = append(gone, r.AgentID)
				delete(status, r.AgentID)
			}
		}
		if len(gone) == 0 {
			return nil
		}
		_, err = tx.Exec(ctx, `DELETE FROM agents WHERE account_id = $1 AND agent_id = ANY($2)`, account, gone)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// UpsertAgent stores an agent record only (tests use it to stand up agents
// without data).
func (s *DB) UpsertAgent(ctx context.Context, a *discovery.Agent) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO agents (account_id, agent_id, host_name, registered_ms, last_health_ping_ms, first_data_ms, last_data_ms)
		VALUES ($1, $2, $3, $4, $4, $5, $6)
		ON CONFLICT (account_id, agent_id) DO UPDATE SET host_name = excluded.host_name,
			first_data_ms = excluded.first_data_ms, last_data_ms = excluded.last_data_ms`,
		a.AccountID, a.ID, a.HostName, ms(a.Registered), optMs(a.FirstData), optMs(a.LastData))
	return err
}

// GetAgent returns one agent of the account, or discovery.ErrNotFound.
func (s *DB) GetAgent(ctx context.Context, account, id string) (*discovery.Agent, error) {
	a, err := scanAgent(s.rd.QueryRow(ctx, `SELECT `+agentCols+` FROM agents WHERE account_id = $1 AND agent_id = $2`, account, id), account)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("agent %s: %w", id, discovery.ErrNotFound)
	}
	return a, err
}
