package postgres

import (
	"context"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// acctTx is a transaction bound to one account that holds the account's
// lock (accountTx): the typed handles a use case gets (discovery.ImportTx,
// discovery.BatchDeleteTx) are built on it. A use case reads, decides and
// writes through such a handle, so every read of it still holds when its
// writes commit, whichever replica runs another of the account's.
type acctTx struct {
	tx      pgx.Tx
	account string
}

// one returns the single column of the query's first row, or
// discovery.ErrNotFound when there is none.
func (t acctTx) one(ctx context.Context, q string, args ...any) (string, error) {
	var v string
	err := t.tx.QueryRow(ctx, q, args...).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", discovery.ErrNotFound
	}
	return v, err
}

// firstID is one with "" for no row.
func (t acctTx) firstID(ctx context.Context, q string, args ...any) (string, error) {
	id, err := t.one(ctx, q, args...)
	if errors.Is(err, discovery.ErrNotFound) {
		return "", nil
	}
	return id, err
}

// exec runs one statement.
func (t acctTx) exec(ctx context.Context, q string, args ...any) error {
	_, err := t.tx.Exec(ctx, q, args...)
	return err
}

// Delete implements discovery.ImportTx and discovery.BatchDeleteTx.
// Connection IDs name their stored keys (storedConnectionIDs), also for
// the tags of connections.
func (t acctTx) Delete(ctx context.Context, d *discovery.Deletion) error {
	for _, st := range []struct {
		q   string
		ids []string
	}{
		{`DELETE FROM connections WHERE account_id = $1 AND connection_id = ANY($2)`, storedConnectionIDs(d.Connections)},
		{`DELETE FROM processes WHERE account_id = $1 AND process_id = ANY($2)`, d.Processes},
		{`DELETE FROM network_interfaces WHERE account_id = $1 AND server_id = ANY($2)`, d.InterfacesOf},
		{`DELETE FROM application_servers WHERE account_id = $1 AND server_id = ANY($2)`, d.MembershipsOf},
		{`DELETE FROM servers WHERE account_id = $1 AND server_id = ANY($2)`, d.Servers},
		{`DELETE FROM tags WHERE account_id = $1 AND configuration_id = ANY($2)`, storedConnectionIDs(d.TagsOf)},
	} {
		if len(st.ids) == 0 {
			continue
		}
		if err := t.exec(ctx, st.q, t.account, st.ids); err != nil {
			return err
		}
	}
	if len(d.SeriesOf) > 0 {
		for _, table := range []string{"perf_samples", "system_observations", "process_observations", "connection_observations"} {
			if err := t.exec(ctx, `DELETE FROM `+table+` WHERE account_id = $1 AND agent_id = ANY($2)`, t.account, d.SeriesOf); err != nil {
				return err
			}
		}
	}
	if len(d.Touch) > 0 {
		return t.exec(ctx, `UPDATE applications SET updated_ms = $1 WHERE account_id = $2 AND application_id = ANY($3)`,
			d.TouchedMS, t.account, d.Touch)
	}
	return nil
}

// connectionID is the configuration ID of a stored connection key: intake
// stores connections without their prefix.
func connectionID(stored string) string {
	if strings.HasPrefix(stored, discovery.ConnectionPrefix) {
		return stored
	}
	return discovery.ConnectionPrefix + stored
}

// storedConnectionIDs are the stored keys configuration IDs may name: each
// ID and, for a connection's, also the key without its prefix.
func storedConnectionIDs(ids []string) []string {
	out := make([]string, 0, 2*len(ids))
	for _, id := range ids {
		out = append(out, id)
		if k, ok := strings.CutPrefix(id, discovery.ConnectionPrefix); ok {
			out = append(out, k)
		}
	}
	return out
}
