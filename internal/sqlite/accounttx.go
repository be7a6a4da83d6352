package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// acctTx is a write transaction bound to one account: the typed handles a
// use case gets (discovery.ImportTx, discovery.BatchDeleteTx) are built on
// it.
type acctTx struct {
	tx      *sql.Tx
	account string
}

// one returns the single column of the query's first row, or
// discovery.ErrNotFound when there is none.
func (t acctTx) one(ctx context.Context, q string, args ...any) (string, error) {
	var v string
	err := t.tx.QueryRowContext(ctx, q, args...).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
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

// ids returns the single column of the query's rows.
func (t acctTx) ids(ctx context.Context, q string, args ...any) ([]string, error) {
	var out []string
	err := eachRow(ctx, t.tx, q, args, func(rows *sql.Rows) error {
		var id string
		err := rows.Scan(&id)
		out = append(out, id)
		return err
	})
	return out, err
}

// exec runs one statement.
func (t acctTx) exec(ctx context.Context, q string, args ...any) error {
	_, err := t.tx.ExecContext(ctx, q, args...)
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
		{`DELETE FROM connections WHERE account_id = ? AND connection_id IN (SELECT value FROM json_each(?))`, storedConnectionIDs(d.Connections)},
		{`DELETE FROM processes WHERE account_id = ? AND process_id IN (SELECT value FROM json_each(?))`, d.Processes},
		{`DELETE FROM network_interfaces WHERE account_id = ? AND server_id IN (SELECT value FROM json_each(?))`, d.InterfacesOf},
		{`DELETE FROM application_servers WHERE account_id = ? AND server_id IN (SELECT value FROM json_each(?))`, d.MembershipsOf},
		{`DELETE FROM servers WHERE account_id = ? AND server_id IN (SELECT value FROM json_each(?))`, d.Servers},
		{`DELETE FROM tags WHERE account_id = ? AND configuration_id IN (SELECT value FROM json_each(?))`, storedConnectionIDs(d.TagsOf)},
	} {
		if len(st.ids) == 0 {
			continue
		}
		if err := t.exec(ctx, st.q, t.account, jsonList(st.ids)); err != nil {
			return err
		}
	}
	if len(d.SeriesOf) > 0 {
		for _, table := range []string{"perf_samples", "system_observations", "process_observations", "connection_observations"} {
			if err := t.exec(ctx, `DELETE FROM `+table+` WHERE account_id = ? AND agent_id IN (SELECT value FROM json_each(?))`, t.account, jsonList(d.SeriesOf)); err != nil {
				return err
			}
		}
	}
	if len(d.Touch) > 0 {
		return t.exec(ctx, `UPDATE applications SET updated_ms = ? WHERE account_id = ? AND application_id IN (SELECT value FROM json_each(?))`,
			d.TouchedMS, t.account, jsonList(d.Touch))
	}
	return nil
}
