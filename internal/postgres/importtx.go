package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// importTx implements discovery.ImportTx.
type importTx struct{ acctTx }

var _ discovery.ImportTx = importTx{}

// ImportTx runs fn in one transaction of account that holds the account's
// lock: it commits when fn returns nil and rolls back otherwise. Under the
// lock, the server a row matched, the count of imported servers the limit
// was checked on and the application found by name are still so when the
// row's writes commit, and a task BatchDeleteImportData ended takes no
// more rows.
func (s *DB) ImportTx(ctx context.Context, account string, fn func(discovery.ImportTx) error) error {
	return s.accountTx(ctx, account, func(tx pgx.Tx) error { return fn(importTx{acctTx{tx, account}}) })
}

// ImportTaskState implements discovery.ImportTx.
func (t importTx) ImportTaskState(ctx context.Context, taskID string) (discovery.ImportTaskState, error) {
	var st discovery.ImportTaskState
	err := t.tx.QueryRow(ctx, `SELECT status, hidden FROM import_tasks WHERE account_id = $1 AND task_id = $2`, t.account, taskID).Scan(&st.Status, &st.Hidden)
	if errors.Is(err, pgx.ErrNoRows) {
		return st, discovery.ErrNotFound
	}
	return st, err
}

// ServerWithKey implements discovery.ImportTx.
func (t importTx) ServerWithKey(ctx context.Context, k discovery.ServerKey) (string, error) {
	switch k.Kind {
	case discovery.ByServerID:
		return t.firstID(ctx, `SELECT server_id FROM servers WHERE account_id = $1 AND server_id = $2`, t.account, k.ID)
	case discovery.ByExternalID:
		return t.firstID(ctx, `SELECT server_id FROM servers WHERE account_id = $1 AND `+equalKeyed("external_id", "$2")+` ORDER BY server_id LIMIT 1`, t.account, k.ExternalID)
	case discovery.ByIPAndMAC:
		return t.firstID(ctx, `SELECT server_id FROM network_interfaces
			WHERE account_id = $1 AND `+equalKeyed("ip_address", "$2")+` AND lower(replace(mac_address, '-', ':')) = $3
			ORDER BY server_id LIMIT 1`, t.account, k.IP, k.MAC)
	case discovery.ByHostName:
		return t.firstID(ctx, `SELECT server_id FROM servers WHERE account_id = $1 AND `+equalSplit("host_name", "$2")+` ORDER BY server_id LIMIT 1`, t.account, k.HostName)
	case discovery.ByVMware:
		return t.firstID(ctx, `SELECT server_id FROM servers WHERE account_id = $1 AND vm_moref_id = $2 AND vcenter_id = $3 ORDER BY server_id LIMIT 1`,
			t.account, k.MoRefID, k.VCenterID)
	}
	return "", fmt.Errorf("postgres: unknown server key kind %d", k.Kind)
}

// CountImportedServers implements discovery.ImportTx.
func (t importTx) CountImportedServers(ctx context.Context) (int, error) {
	var n int
	err := t.tx.QueryRow(ctx, `SELECT count(*) FROM servers WHERE account_id = $1 AND source = 'Import'`, t.account).Scan(&n)
	return n, err
}

// InsertImportedServer implements discovery.ImportTx: the server, then its
// interfaces in one statement.
func (t importTx) InsertImportedServer(ctx context.Context, s *discovery.ImportedServer) error {
	if err := t.exec(ctx, `INSERT INTO servers (account_id, server_id, source, external_id, host_name, os_name, os_version,
			num_cpus, num_cores, num_logical, total_ram_mb, vm_moref_id, vm_name, vcenter_id, created_ms, updated_ms)
		VALUES ($1, $2, 'Import', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14)`, t.account, s.ID, s.ExternalID, s.HostName, s.OSName, s.OSVersion,
		s.CPUs, s.Cores, s.Logical, s.RAMMB, s.MoRefID, s.VMName, s.VCenterID, s.CreatedMS); err != nil {
		return err
	}
	if len(s.NICs) == 0 {
		return nil
	}
	names, ips, macs := make([]string, len(s.NICs)), make([]string, len(s.NICs)), make([]string, len(s.NICs))
	for i, n := range s.NICs {
		names[i], ips[i], macs[i] = n.Name, n.IPAddress, n.MACAddress
	}
	return t.exec(ctx, `INSERT INTO network_interfaces (account_id, server_id, name, ip_address, mac_address)
		SELECT $1, $2, n.name, n.ip, n.mac FROM unnest($3::text[], $4::text[], $5::text[]) AS n(name, ip, mac)
		ON CONFLICT DO NOTHING`, t.account, s.ID, names, ips, macs)
}

// PatchServer implements discovery.ImportTx.
func (t importTx) PatchServer(ctx context.Context, id string, p *discovery.ServerPatch) error {
	return t.exec(ctx, `UPDATE servers SET external_id = coalesce($1, external_id), host_name = coalesce($2, host_name),
			os_name = coalesce($3, os_name), os_version = coalesce($4, os_version), updated_ms = $5
		WHERE account_id = $6 AND server_id = $7`, p.ExternalID, p.HostName, p.OSName, p.OSVersion, p.UpdatedMS, t.account, id)
}

// RecordImport implements discovery.ImportTx.
func (t importTx) RecordImport(ctx context.Context, r discovery.ImportRecord) error {
	return t.exec(ctx, `INSERT INTO import_records (account_id, task_id, server_id, created) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
		t.account, r.TaskID, r.ServerID, r.Created)
}

// ApplicationNamed implements discovery.ImportTx.
func (t importTx) ApplicationNamed(ctx context.Context, name string) (string, error) {
	return t.firstID(ctx, `SELECT application_id FROM applications WHERE account_id = $1 AND name = $2 ORDER BY application_id LIMIT 1`, t.account, name)
}

// InsertApplication implements discovery.ImportTx.
func (t importTx) InsertApplication(ctx context.Context, a *discovery.Application) error {
	return t.exec(ctx, `INSERT INTO applications (account_id, application_id, name, description, wave, created_ms, updated_ms)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, t.account, a.ID, a.Name, a.Description, a.Wave, ms(a.Created), ms(a.Updated))
}

// SetApplicationWave implements discovery.ImportTx.
func (t importTx) SetApplicationWave(ctx context.Context, id, wave string, updatedMS int64) error {
	return t.exec(ctx, `UPDATE applications SET wave = $1, updated_ms = $2 WHERE account_id = $3 AND application_id = $4`, wave, updatedMS, t.account, id)
}

// AddApplicationServer implements discovery.ImportTx.
func (t importTx) AddApplicationServer(ctx context.Context, appID, serverID string) error {
	return t.exec(ctx, `INSERT INTO application_servers (account_id, application_id, server_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
		t.account, appID, serverID)
}

// AddTag implements discovery.ImportTx.
func (t importTx) AddTag(ctx context.Context, configurationID string, tag discovery.Tag, createdMS int64) error {
	return t.exec(ctx, `INSERT INTO tags (account_id, configuration_id, key, value, created_ms) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
		t.account, configurationID, tag.Key, tag.Value, createdMS)
}

// ImportRecords implements discovery.ImportTx.
func (t importTx) ImportRecords(ctx context.Context, taskID string) ([]discovery.ImportRecordState, error) {
	var out []discovery.ImportRecordState
	err := eachRow(ctx, t.tx, `SELECT r.server_id, r.created, s.server_id IS NOT NULL, coalesce(s.agent_id, ''),
			EXISTS (SELECT 1 FROM import_records o WHERE o.account_id = r.account_id AND o.server_id = r.server_id AND o.task_id <> r.task_id)
		FROM import_records r LEFT JOIN servers s ON s.account_id = r.account_id AND s.server_id = r.server_id
		WHERE r.account_id = $1 AND r.task_id = $2 ORDER BY r.server_id`, []any{t.account, taskID}, func(rows pgx.Rows) error {
		r := discovery.ImportRecordState{ImportRecord: discovery.ImportRecord{TaskID: taskID}}
		if err := rows.Scan(&r.ServerID, &r.Created, &r.ServerExists, &r.AgentID, &r.OtherTasks); err != nil {
			return err
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

// DeleteImportRecords implements discovery.ImportTx.
func (t importTx) DeleteImportRecords(ctx context.Context, taskID string) error {
	return t.exec(ctx, `DELETE FROM import_records WHERE account_id = $1 AND task_id = $2`, t.account, taskID)
}

// EndImportTask implements discovery.ImportTx.
func (t importTx) EndImportTask(ctx context.Context, taskID, status string, deletedMS int64, hidden bool) error {
	return t.exec(ctx, `UPDATE import_tasks SET status = $1, deleted_ms = $2, hidden = $3 WHERE account_id = $4 AND task_id = $5`,
		status, deletedMS, hidden, t.account, taskID)
}
