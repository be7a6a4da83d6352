package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

const importTaskCols = `account_id, task_id, client_token, name, url, status, request_ms, completion_ms, deleted_ms,
	server_success, server_failure, app_success, app_failure, has_errors_zip`

func scanImportTask(sc interface{ Scan(...any) error }) (*discovery.ImportTask, error) {
	t := &discovery.ImportTask{}
	err := sc.Scan(&t.AccountID, &t.ID, &t.ClientToken, &t.Name, &t.URL, &t.Status, &t.RequestMS, &t.CompletionMS, &t.DeletedMS,
		&t.ServerSuccess, &t.ServerFailure, &t.AppSuccess, &t.AppFailure, &t.HasErrorsZip)
	return t, err
}

const importTaskByToken = `SELECT ` + importTaskCols + ` FROM import_tasks WHERE account_id = ? AND client_token = ?`

// ImportTaskByToken returns the account's task of a client request token
// (also one deleted with its history), or discovery.ErrNotFound.
func (s *DB) ImportTaskByToken(ctx context.Context, account, token string) (*discovery.ImportTask, error) {
	t, err := scanImportTask(s.db.QueryRowContext(ctx, importTaskByToken, account, token))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, discovery.ErrNotFound
	}
	return t, err
}

// CreateImportTask stores t, and its job, unless its client token names an
// existing task, which it returns instead.
func (s *DB) CreateImportTask(ctx context.Context, t *discovery.ImportTask) (*discovery.ImportTask, bool, error) {
	var out *discovery.ImportTask
	created := false
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if t.ClientToken != "" {
			got, err := scanImportTask(tx.QueryRowContext(ctx, importTaskByToken, t.AccountID, t.ClientToken))
			if err == nil {
				out = got
				return nil
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO import_tasks (account_id, task_id, client_token, name, url, status, request_ms) VALUES (?,?,?,?,?,?,?)`,
			t.AccountID, t.ID, t.ClientToken, t.Name, t.URL, t.Status, t.RequestMS)
		if err != nil {
			return err
		}
		out, created = t, true
		if t.Status != discovery.ImportInProgress {
			return nil
		}
		// The job may run at any time: also after the virtual clock was
		// moved back past the request.
		return enqueue(ctx, tx, discovery.JobImport, t.AccountID, t.ID, time.Time{}, time.UnixMilli(t.RequestMS))
	})
	return out, created, err
}

// FindImportTasks lists visible tasks by task ID after `after`.
func (s *DB) FindImportTasks(ctx context.Context, account string, fs []discovery.ImportTaskFilter, after string, limit int) ([]*discovery.ImportTask, error) {
	q := `SELECT ` + importTaskCols + ` FROM import_tasks WHERE account_id = ? AND hidden = 0 AND task_id > ?`
	args := []any{account, after}
	// Filters on one column must all hold: their value sets are
	// intersected into one JSON array parameter (lists.go).
	cols := []string{"IMPORT_TASK_ID", "STATUS", "NAME"}
	col := map[string]string{"IMPORT_TASK_ID": "task_id", "STATUS": "status", "NAME": "name"}
	sets := map[string][][]string{}
	for _, f := range fs {
		if _, ok := col[f.Name]; ok {
			sets[f.Name] = append(sets[f.Name], f.Values)
			continue
		}
		if f.Name == "FILE_CLASSIFICATION" && !slices.Contains(f.Values, "IMPORT_TEMPLATE") {
			return nil, nil
		}
	}
	for _, name := range cols {
		if vals, ok := intersect(sets[name]); ok {
			q += ` AND ` + col[name] + ` IN (SELECT value FROM json_each(?))`
			args = append(args, jsonArray(vals))
		}
	}
	q += fmt.Sprintf(` ORDER BY task_id LIMIT %d`, limit)
	return s.importTasks(ctx, q, args...)
}

// ImportTask returns a task of the account, also one deleted with its
// history, or discovery.ErrNotFound.
func (s *DB) ImportTask(ctx context.Context, account, id string) (*discovery.ImportTask, error) {
	t, err := scanImportTask(s.db.QueryRowContext(ctx, `SELECT `+importTaskCols+` FROM import_tasks WHERE account_id = ? AND task_id = ?`, account, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("import task %s: %w", id, discovery.ErrNotFound)
	}
	return t, err
}

// importTasks runs a query of importTaskCols and scans its tasks.
func (s *DB) importTasks(ctx context.Context, q string, args ...any) ([]*discovery.ImportTask, error) {
	var out []*discovery.ImportTask
	err := eachRow(ctx, s.db, q, args, func(rows *sql.Rows) error {
		t, err := scanImportTask(rows)
		if err != nil {
			return err
		}
		out = append(out, t)
		return nil
	})
	return out, err
}

// CountImportRecords counts the account's imported records.
func (s *DB) CountImportRecords(ctx context.Context, account string) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM import_records WHERE account_id = ?`, account).Scan(&n)
	return n, err
}

// FinishImportTask stores the outcome of a task under the lease of its job,
// or returns discovery.ErrImportTaskGone if it is no longer in progress (a
// reset or BatchDeleteImportData took it), or a lost lease
// (discovery.ErrLeaseLost) if the job is no longer held under l.
func (s *DB) FinishImportTask(ctx context.Context, l discovery.Lease, t *discovery.ImportTask) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		// A task deleted by a reset is gone whoever holds its job; one
		// finished meanwhile is the business of the job's holder.
		var status string
		err := tx.QueryRowContext(ctx, `SELECT status FROM import_tasks WHERE account_id = ? AND task_id = ?`, t.AccountID, t.ID).Scan(&status)
		if errors.Is(err, sql.ErrNoRows) {
			return discovery.ErrImportTaskGone
		}
		if err != nil {
			return err
		}
		if err := checkLease(ctx, tx, l); err != nil {
			return err
		}
		if status != discovery.ImportInProgress {
			return discovery.ErrImportTaskGone
		}
		res, err := tx.ExecContext(ctx, `UPDATE import_tasks SET status=?, completion_ms=?, server_success=?, server_failure=?, app_success=?, app_failure=?, has_errors_zip=?
			WHERE account_id=? AND task_id=? AND status=?`, t.Status, t.CompletionMS, t.ServerSuccess, t.ServerFailure, t.AppSuccess, t.AppFailure, t.HasErrorsZip, t.AccountID, t.ID, discovery.ImportInProgress)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err == nil && n == 0 {
			err = discovery.ErrImportTaskGone
		}
		return err
	})
}

func randHex17() string {
	b := make([]byte, 9)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)[:17]
}

func matchServer(ctx context.Context, tx *sql.Tx, account string, r *discovery.ImportRow) (string, error) {
	one := func(q string, args ...any) (string, error) {
		var id string
		err := tx.QueryRowContext(ctx, q, args...).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return "", nil
		}
		return id, err
	}
	if r.ServerID != "" {
		if id, err := one(`SELECT server_id FROM servers WHERE account_id=? AND server_id=?`, account, r.ServerID); id != "" || err != nil {
			return id, err
		}
	}
	if r.ExternalID != "" {
		return one(`SELECT server_id FROM servers WHERE account_id=? AND external_id=? ORDER BY server_id LIMIT 1`, account, r.ExternalID)
	}
	for _, ip := range r.IPs {
		for _, mac := range r.MACs {
			if id, err := one(`SELECT server_id FROM network_interfaces WHERE account_id=? AND ip_address=? AND lower(replace(mac_address,'-',':'))=? ORDER BY server_id LIMIT 1`, account, ip, mac); id != "" || err != nil {
				return id, err
			}
		}
	}
	if r.HostName != "" {
		if id, err := one(`SELECT server_id FROM servers WHERE account_id=? AND host_name=? ORDER BY server_id LIMIT 1`, account, r.HostName); id != "" || err != nil {
			return id, err
		}
	}
	if r.MoRefID != "" {
		return one(`SELECT server_id FROM servers WHERE account_id=? AND vm_moref_id=? AND vcenter_id=? ORDER BY server_id LIMIT 1`, account, r.MoRefID, r.VCenterID)
	}
	return "", nil
}

// ImportRow matches or creates the row's server and links its applications and tags.
func (s *DB) ImportRow(ctx context.Context, account, taskID string, r *discovery.ImportRow, now int64) (*discovery.ImportRowResult, error) {
	res := &discovery.ImportRowResult{}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var status string
		err := tx.QueryRowContext(ctx, `SELECT status FROM import_tasks WHERE account_id=? AND task_id=?`, account, taskID).Scan(&status)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && status != discovery.ImportInProgress) {
			return discovery.ErrImportTaskGone
		}
		if err != nil {
			return err
		}
		id, err := matchServer(ctx, tx, account, r)
		if err != nil {
			return err
		}
		created := 0
		if id == "" {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM servers WHERE account_id=? AND source='Import'`, account).Scan(&n); err != nil {
				return err
			}
			if n >= discovery.MaxImportServers {
				res.LimitReached = true
				return nil
			}
			id, created = "d-server-"+randHex17(), 1
			if _, err := tx.ExecContext(ctx, `INSERT INTO servers (account_id, server_id, source, external_id, host_name, os_name, os_version, num_cpus, num_cores, num_logical, total_ram_mb, vm_moref_id, vm_name, vcenter_id, created_ms, updated_ms)
				VALUES (?,?,'Import',?,?,?,?,?,?,?,?,?,?,?,?,?)`, account, id, r.ExternalID, r.HostName, r.OSName, r.OSVersion, r.CPUs, r.Cores, r.Logical, r.RAMMB, r.MoRefID, r.VMName, r.VCenterID, now, now); err != nil {
				return err
			}
			for i, ip := range r.IPs {
				mac := ""
				if i < len(r.MACs) {
					mac = r.MACs[i]
				}
				if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO network_interfaces (account_id, server_id, name, ip_address, mac_address) VALUES (?,?,?,?,?)`,
					account, id, fmt.Sprintf("eth%d", i), ip, mac); err != nil {
					return err
				}
			}
		} else if _, err := tx.ExecContext(ctx, `UPDATE servers SET
				external_id = CASE WHEN ?1 <> '' THEN ?1 ELSE external_id END,
				host_name = CASE WHEN ?2 <> '' THEN ?2 ELSE host_name END,
				os_name = CASE WHEN ?3 <> '' THEN ?3 ELSE os_name END,
				os_version = CASE WHEN ?4 <> '' THEN ?4 ELSE os_version END,
				updated_ms = ?5 WHERE account_id = ?6 AND server_id = ?7`, r.ExternalID, r.HostName, r.OSName, r.OSVersion, now, account, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO import_records (account_id, task_id, server_id, created) VALUES (?,?,?,?)`, account, taskID, id, created); err != nil {
			return err
		}
		for _, name := range r.Applications {
			var app string
			err := tx.QueryRowContext(ctx, `SELECT application_id FROM applications WHERE account_id=? AND name=? ORDER BY application_id LIMIT 1`, account, name).Scan(&app)
			if errors.Is(err, sql.ErrNoRows) {
				app = "d-application-" + randHex17()
				if _, err := tx.ExecContext(ctx, `INSERT INTO applications (account_id, application_id, name, wave, created_ms, updated_ms) VALUES (?,?,?,?,?,?)`, account, app, name, r.Wave, now, now); err != nil {
					return err
				}
				res.AppsCreated++
			} else if err != nil {
				return err
			} else if r.Wave != "" {
				if _, err := tx.ExecContext(ctx, `UPDATE applications SET wave=?, updated_ms=? WHERE account_id=? AND application_id=?`, r.Wave, now, account, app); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO application_servers (account_id, application_id, server_id) VALUES (?,?,?)`, account, app, id); err != nil {
				return err
			}
			res.AppsAssoc++
		}
		for _, kv := range r.Tags {
			if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO tags (account_id, configuration_id, key, value, created_ms) VALUES (?,?,?,?,?)`, account, id, kv[0], kv[1], now); err != nil {
				return err
			}
		}
		res.ServerID = id
		return nil
	})
	return res, err
}

// DeleteImportData removes the servers a task created (unless an agent now
// reports them) and marks the task deleted; history hides it.
func (s *DB) DeleteImportData(ctx context.Context, account, taskID string, history bool, now int64) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM import_tasks WHERE account_id=? AND task_id=? AND hidden=0`, account, taskID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return discovery.ErrNotFound
		}
		sub := `SELECT r.server_id FROM import_records r JOIN servers s ON s.account_id=r.account_id AND s.server_id=r.server_id
			WHERE r.account_id=?1 AND r.task_id=?2 AND r.created=1 AND s.agent_id=''
			AND NOT EXISTS (SELECT 1 FROM import_records o WHERE o.account_id=r.account_id AND o.server_id=r.server_id AND o.task_id<>r.task_id)`
		for _, q := range []string{
			`DELETE FROM tags WHERE account_id=?1 AND configuration_id IN (` + sub + `)`,
			`DELETE FROM application_servers WHERE account_id=?1 AND server_id IN (` + sub + `)`,
			`DELETE FROM network_interfaces WHERE account_id=?1 AND server_id IN (` + sub + `)`,
			`DELETE FROM servers WHERE account_id=?1 AND server_id IN (` + sub + `)`,
			`DELETE FROM import_records WHERE account_id=?1 AND task_id=?2`,
		} {
			if _, err := tx.ExecContext(ctx, q, account, taskID); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `UPDATE import_tasks SET status=?, deleted_ms=?, hidden=? WHERE account_id=? AND task_id=?`, discovery.ImportDeleteComplete, now, history, account, taskID)
		return err
	})
}
