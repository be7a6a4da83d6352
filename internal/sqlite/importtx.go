package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// importTx implements discovery.ImportTx.
type importTx struct{ acctTx }

var _ discovery.ImportTx = importTx{}

// ImportTx runs fn in one write transaction of account: it commits when fn
// returns nil and rolls back otherwise.
func (s *DB) ImportTx(ctx context.Context, account string, fn func(discovery.ImportTx) error) error {
	return s.tx(ctx, func(tx *sql.Tx) error { return fn(importTx{acctTx{tx, account}}) })
}

// ImportTaskState implements discovery.ImportTx.
func (t importTx) ImportTaskState(ctx context.Context, taskID string) (discovery.ImportTaskState, error) {
	var st discovery.ImportTaskState
	err := t.tx.QueryRowContext(ctx, `SELECT status, hidden FROM import_tasks WHERE account_id = ? AND task_id = ?`, t.account, taskID).Scan(&st.Status, &st.Hidden)
	if errors.Is(err, sql.ErrNoRows) {
		return st, discovery.ErrNotFound
	}
	return st, err
}

// ServerWithKey implements discovery.ImportTx.
func (t importTx) ServerWithKey(ctx context.Context, k discovery.ServerKey) (string, error) {
	switch k.Kind {
	case discovery.ByServerID:
		return t.firstID(ctx, `SELECT server_id FROM servers WHERE account_id = ? AND server_id = ?`, t.account, k.ID)
	case discovery.ByExternalID:
		return t.firstID(ctx, `SELECT server_id FROM servers WHERE account_id = ? AND external_id = ? ORDER BY server_id LIMIT 1`, t.account, k.ExternalID)
	case discovery.ByIPAndMAC:
		return t.firstID(ctx, `SELECT server_id FROM network_interfaces WHERE account_id = ? AND ip_address = ? AND lower(replace(mac_address, '-', ':')) = ?
			ORDER BY server_id LIMIT 1`, t.account, k.IP, k.MAC)
	case discovery.ByHostName:
		return t.firstID(ctx, `SELECT server_id FROM servers WHERE account_id = ? AND host_name = ? ORDER BY server_id LIMIT 1`, t.account, k.HostName)
	case discovery.ByVMware:
		return t.firstID(ctx, `SELECT server_id FROM servers WHERE account_id = ? AND vm_moref_id = ? AND vcenter_id = ? ORDER BY server_id LIMIT 1`,
			t.account, k.MoRefID, k.VCenterID)
	}
	return "", fmt.Errorf("sqlite: unknown server key kind %d", k.Kind)
}

// CountImportedServers implements discovery.ImportTx.
func (t importTx) CountImportedServers(ctx context.Context) (int, error) {
	var n int
	err := t.tx.QueryRowContext(ctx, `SELECT count(*) FROM servers WHERE account_id = ? AND source = 'Import'`, t.account).Scan(&n)
	return n, err
}

// InsertImportedServer implements discovery.ImportTx.
func (t importTx) InsertImportedServer(ctx context.Context, s *discovery.ImportedServer) error {
	if err := t.exec(ctx, `INSERT INTO servers (account_id, server_id, source, external_id, host_name, os_name, os_version,
			num_cpus, num_cores, num_logical, total_ram_mb, vm_moref_id, vm_name, vcenter_id, created_ms, updated_ms)
		VALUES (?,?,'Import',?,?,?,?,?,?,?,?,?,?,?,?,?)`, t.account, s.ID, s.ExternalID, s.HostName, s.OSName, s.OSVersion,
		s.CPUs, s.Cores, s.Logical, s.RAMMB, s.MoRefID, s.VMName, s.VCenterID, s.CreatedMS, s.CreatedMS); err != nil {
		return err
	}
	for _, n := range s.NICs {
		if err := t.exec(ctx, `INSERT OR IGNORE INTO network_interfaces (account_id, server_id, name, ip_address, mac_address) VALUES (?,?,?,?,?)`,
			t.account, s.ID, n.Name, n.IPAddress, n.MACAddress); err != nil {
			return err
		}
	}
	return nil
}

// PatchServer implements discovery.ImportTx.
func (t importTx) PatchServer(ctx context.Context, id string, p *discovery.ServerPatch) error {
	return t.exec(ctx, `UPDATE servers SET external_id = coalesce(?, external_id), host_name = coalesce(?, host_name),
			os_name = coalesce(?, os_name), os_version = coalesce(?, os_version), updated_ms = ?
		WHERE account_id = ? AND server_id = ?`, p.ExternalID, p.HostName, p.OSName, p.OSVersion, p.UpdatedMS, t.account, id)
}

// RecordImport implements discovery.ImportTx.
func (t importTx) RecordImport(ctx context.Context, r discovery.ImportRecord) error {
	return t.exec(ctx, `INSERT OR IGNORE INTO import_records (account_id, task_id, server_id, created) VALUES (?,?,?,?)`,
		t.account, r.TaskID, r.ServerID, r.Created)
}

// ApplicationNamed implements discovery.ImportTx.
func (t importTx) ApplicationNamed(ctx context.Context, name string) (string, error) {
	return t.firstID(ctx, `SELECT application_id FROM applications WHERE account_id = ? AND name = ? ORDER BY application_id LIMIT 1`, t.account, name)
}

// InsertApplication implements discovery.ImportTx.
func (t importTx) InsertApplication(ctx context.Context, a *discovery.Application) error {
	return t.exec(ctx, `INSERT INTO applications (account_id, application_id, name, description, wave, created_ms, updated_ms) VALUES (?,?,?,?,?,?,?)`,
		t.account, a.ID, a.Name, a.Description, a.Wave, ms(a.Created), ms(a.Updated))
}

// SetApplicationWave implements discovery.ImportTx.
func (t importTx) SetApplicationWave(ctx context.Context, id, wave string, updatedMS int64) error {
	return t.exec(ctx, `UPDATE applications SET wave = ?, updated_ms = ? WHERE account_id = ? AND application_id = ?`, wave, updatedMS, t.account, id)
}

// AddApplicationServer implements discovery.ImportTx.
func (t importTx) AddApplicationServer(ctx context.Context, appID, serverID string) error {
	return t.exec(ctx, `INSERT OR IGNORE INTO application_servers (account_id, application_id, server_id) VALUES (?,?,?)`, t.account, appID, serverID)
}

// AddTag implements discovery.ImportTx.
func (t importTx) AddTag(ctx context.Context, configurationID string, tag discovery.Tag, createdMS int64) error {
	return t.exec(ctx, `INSERT OR IGNORE INTO tags (account_id, configuration_id, key, value, created_ms) VALUES (?,?,?,?,?)`,
		t.account, configurationID, tag.Key, tag.Value, createdMS)
}

// ImportRecords implements discovery.ImportTx.
func (t importTx) ImportRecords(ctx context.Context, taskID string) ([]discovery.ImportRecordState, error) {
	var out []discovery.ImportRecordState
	err := eachRow(ctx, t.tx, `SELECT r.server_id, r.created, s.server_id IS NOT NULL, coalesce(s.agent_id, ''),
			EXISTS (SELECT 1 FROM import_records o WHERE o.account_id = r.account_id AND o.server_id = r.server_id AND o.task_id <> r.task_id)
		FROM import_records r LEFT JOIN servers s ON s.account_id = r.account_id AND s.server_id = r.server_id
		WHERE r.account_id = ? AND r.task_id = ? ORDER BY r.server_id`, []any{t.account, taskID}, func(rows *sql.Rows) error {
		r := discovery.ImportRecordState{ImportRecord: discovery.ImportRecord{TaskID: taskID}}
		err := rows.Scan(&r.ServerID, &r.Created, &r.ServerExists, &r.AgentID, &r.OtherTasks)
		out = append(out, r)
		return err
	})
	return out, err
}

// DeleteImportRecords implements discovery.ImportTx.
func (t importTx) DeleteImportRecords(ctx context.Context, taskID string) error {
	return t.exec(ctx, `DELETE FROM import_records WHERE account_id = ? AND task_id = ?`, t.account, taskID)
}

// EndImportTask implements discovery.ImportTx.
func (t importTx) EndImportTask(ctx context.Context, taskID, status string, deletedMS int64, hidden bool) error {
	return t.exec(ctx, `UPDATE import_tasks SET status = ?, deleted_ms = ?, hidden = ? WHERE account_id = ? AND task_id = ?`,
		status, deletedMS, hidden, t.account, taskID)
}
