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

const exportCols = `export_id, account_id, kind, operation, agent_id, status, status_message,
	request_time_ms, requested_start_ms, requested_end_ms, ec2_preferences, is_truncated,
	ready_at_ms, finished_at_ms, file_size, expired`

func ms(t time.Time) int64 { return t.UnixMilli() }

func nullMs(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
}

func fromMs(v int64) time.Time { return time.UnixMilli(v).UTC() }

func fromNullMs(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMs(v.Int64)
	return &t
}

type scanner interface{ Scan(...any) error }

// ec2PrefsColumn is the stored form of discovery.EC2Preferences: the JSON
// in export_tasks.ec2_preferences, empty for exports of other kinds.
type ec2PrefsColumn struct {
	CPU              basisColumn `json:"cpu"`
	RAM              basisColumn `json:"ram"`
	Tenancy          string      `json:"tenancy"`
	Excluded         []string    `json:"excluded"`
	PreferredRegion  string      `json:"preferredRegion"`
	PurchasingOption string      `json:"purchasingOption"`
	OfferingClass    string      `json:"offeringClass"`
	TermLength       string      `json:"termLength"`
}

type basisColumn struct {
	Name   string  `json:"name"`
	Adjust float64 `json:"adjust"`
}

func encodeEC2Prefs(p *discovery.EC2Preferences) (string, error) {
	if p == nil {
		return "", nil
	}
	b, err := json.Marshal(ec2PrefsColumn{
		CPU: basisColumn(p.CPU), RAM: basisColumn(p.RAM), Tenancy: p.Tenancy, Excluded: p.Excluded, PreferredRegion: p.PreferredRegion,
		PurchasingOption: p.PurchasingOption, OfferingClass: p.OfferingClass, TermLength: p.TermLength,
	})
	if err != nil {
		return "", fmt.Errorf("ec2 preferences: %w", err)
	}
	return string(b), nil
}

// decodeEC2Prefs reads the column; a value it cannot read gives nil, so
// that listing the account's exports still works and the worker fails that
// one export.
func decodeEC2Prefs(v string) *discovery.EC2Preferences {
	if v == "" {
		return nil
	}
	var c ec2PrefsColumn
	if json.Unmarshal([]byte(v), &c) != nil {
		return nil
	}
	return &discovery.EC2Preferences{
		CPU: discovery.MetricBasis(c.CPU), RAM: discovery.MetricBasis(c.RAM), Tenancy: c.Tenancy, Excluded: c.Excluded,
		PreferredRegion: c.PreferredRegion, PurchasingOption: c.PurchasingOption, OfferingClass: c.OfferingClass, TermLength: c.TermLength,
	}
}

func scanExport(r scanner) (*discovery.ExportTask, error) {
	var (
		t                    discovery.ExportTask
		reqMs, readyMs       int64
		start, end, finished sql.NullInt64
		kind, status         string
		truncated, expired   int64
		ec2                  string
	)
	err := r.Scan(&t.ID, &t.AccountID, &kind, &t.Operation, &t.AgentID, &status, &t.Message,
		&reqMs, &start, &end, &ec2, &truncated, &readyMs, &finished, &t.FileSize, &expired)
	if err != nil {
		return nil, err
	}
	t.EC2 = decodeEC2Prefs(ec2)
	t.Kind = discovery.ExportKind(kind)
	t.Status = discovery.ExportStatus(status)
	t.RequestTime = fromMs(reqMs)
	t.RequestedStart, t.RequestedEnd = fromNullMs(start), fromNullMs(end)
	t.IsTruncated = truncated != 0
	t.ReadyAt = fromMs(readyMs)
	if finished.Valid {
		t.FinishedAt = fromMs(finished.Int64)
	}
	t.Expired = expired != 0
	return &t, nil
}

// CreateExportTask stores t, and its job due at t.ReadyAt, unless the
// admission refuses it, in one write transaction: SQLite has a single writer
// and this store admits one write at a time, so the counts the admission is
// checked against cannot change before the insert. It returns nil when it
// stored t, and the refusal otherwise.
func (s *DB) CreateExportTask(ctx context.Context, t *discovery.ExportTask, a discovery.ExportAdmission) (*discovery.ExportRefusal, error) {
	ec2, err := encodeEC2Prefs(t.EC2)
	if err != nil {
		return nil, err
	}
	var refusal *discovery.ExportRefusal
	err = s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		refusal, err = a.Admit(t, func() (string, error) {
			return succeededAgentExport(ctx, tx, t.AccountID, t.AgentID, t.RequestedStart, t.RequestedEnd)
		}, func(l discovery.ExportLimit) (int, error) {
			return countExportTasks(ctx, tx, t.AccountID, l)
		})
		if err != nil || refusal != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO export_tasks (`+exportCols+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, 0, 0)`,
			t.ID, t.AccountID, string(t.Kind), t.Operation, t.AgentID, string(t.Status), t.Message,
			ms(t.RequestTime), nullMs(t.RequestedStart), nullMs(t.RequestedEnd), ec2, b2i(t.IsTruncated),
			ms(t.ReadyAt))
		if err != nil || t.Status != discovery.ExportInProgress {
			return err
		}
		return enqueue(ctx, tx, discovery.JobExport, t.AccountID, t.ID, t.ReadyAt, t.RequestTime)
	})
	if err != nil {
		return nil, err
	}
	return refusal, nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// countExportTasks counts the account's tasks that l counts.
func countExportTasks(ctx context.Context, tx *sql.Tx, account string, l discovery.ExportLimit) (int, error) {
	q := `SELECT count(*) FROM export_tasks WHERE account_id = ? AND request_time_ms >= ?`
	args := []any{account, ms(l.Since)}
	if l.Operation != "" {
		q += ` AND operation = ?`
		args = append(args, l.Operation)
	}
	if l.Kind != "" {
		q += ` AND kind = ?`
		args = append(args, string(l.Kind))
	}
	if l.Running {
		q += ` AND status = 'IN_PROGRESS'`
	}
	var n int
	err := tx.QueryRowContext(ctx, q, args...).Scan(&n)
	return n, err
}

// succeededAgentExport returns the ID of a SUCCEEDED agent export of the
// same agent and requested window, or "" if there is none.
func succeededAgentExport(ctx context.Context, tx *sql.Tx, account, agentID string, start, end *time.Time) (string, error) {
	var id string
	err := tx.QueryRowContext(ctx, `SELECT export_id FROM export_tasks
		WHERE account_id = ? AND agent_id = ? AND kind = 'agent' AND status = 'SUCCEEDED'
		AND requested_start_ms IS ? AND requested_end_ms IS ?
		ORDER BY request_time_ms DESC LIMIT 1`,
		account, agentID, nullMs(start), nullMs(end)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return id, err
}

// GetExportTask returns one task of the account, or discovery.ErrNotFound.
func (s *DB) GetExportTask(ctx context.Context, account, id string) (*discovery.ExportTask, error) {
	t, err := scanExport(s.db.QueryRowContext(ctx, `SELECT `+exportCols+` FROM export_tasks WHERE account_id = ? AND export_id = ?`, account, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("export %s: %w", id, discovery.ErrNotFound)
	}
	return t, err
}

// FindExportTasks returns up to q.Limit tasks (all if 0) in newest-first
// keyset order (ties by export ID, descending).
func (s *DB) FindExportTasks(ctx context.Context, q discovery.ExportQuery) ([]*discovery.ExportTask, error) {
	ended, key := s.w.ended.Load(), s.pages.key(q)
	if key != "" {
		if page, ok := s.pages.get(ended, key); ok {
			return page, nil
		}
	}
	var (
		where = []string{"account_id = ?"}
		args  = []any{q.AccountID}
	)
	// Lists are one JSON array parameter each.
	in := func(col string, vals []string) {
		where = append(where, col+" IN (SELECT value FROM json_each(?))")
		args = append(args, jsonArray(vals))
	}
	if q.IDs != nil {
		if len(q.IDs) == 0 {
			return nil, nil
		}
		in("export_id", q.IDs)
	}
	if q.AgentIDs != nil {
		if len(q.AgentIDs) == 0 {
			return nil, nil
		}
		in("agent_id", q.AgentIDs)
	}
	if q.After != nil {
		where = append(where, "(request_time_ms, export_id) < (?, ?)")
		args = append(args, q.After.RequestTimeMs, q.After.ExportID)
	}
	// With an agent filter, the agent index bounds the scan to that agent's
	// tasks; the planner would otherwise walk the account index for order.
	index := ""
	if q.AgentIDs != nil && q.IDs == nil {
		index = " INDEXED BY export_tasks_by_agent"
	}
	query := `SELECT ` + exportCols + ` FROM export_tasks` + index + ` WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY request_time_ms DESC, export_id DESC`
	if q.Limit > 0 {
		query += ` LIMIT ?`
		args = append(args, q.Limit)
	}
	rows, err := s.readQuery(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*discovery.ExportTask
	for rows.Next() {
		t, err := scanExport(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if key != "" {
		s.pages.put(ended, key, out)
	}
	return out, nil
}

// FinishExportTask records the outcome of an IN_PROGRESS task under the
// lease of its job. It reports discovery.ErrNotFound if the task is gone (a
// reset deleted it), and a lost lease (discovery.ErrLeaseLost) if the job
// is no longer held under l, or the task no longer IN_PROGRESS.
func (s *DB) FinishExportTask(ctx context.Context, l discovery.Lease, account, id string, r discovery.ExportResult, now time.Time) error {
	return s.finishExport(ctx, l, account, id, r, now, false)
}

// FinishExportJob is FinishExportTask that also completes the job (removes
// it, as Complete does) in the same transaction: one synced commit instead
// of two.
func (s *DB) FinishExportJob(ctx context.Context, l discovery.Lease, account, id string, r discovery.ExportResult, now time.Time) error {
	return s.finishExport(ctx, l, account, id, r, now, true)
}

func (s *DB) finishExport(ctx context.Context, l discovery.Lease, account, id string, r discovery.ExportResult, now time.Time, complete bool) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if err := exportExists(ctx, tx, account, id); err != nil {
			return err
		}
		if err := checkLease(ctx, tx, l); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE export_tasks
			SET status = ?, status_message = ?, is_truncated = ?, file_size = ?, finished_at_ms = ?
			WHERE export_id = ? AND account_id = ? AND status = 'IN_PROGRESS'`,
			string(r.Status), r.Message, b2i(r.IsTruncated), r.FileSize, ms(now), id, account)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return &discovery.LeaseLostError{Lease: l}
		}
		if complete {
			_, err = tx.ExecContext(ctx, `DELETE FROM jobs WHERE job_id = ?`, l.Job)
		}
		return err
	})
}

func exportExists(ctx context.Context, tx *sql.Tx, account, id string) error {
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM export_tasks WHERE export_id = ? AND account_id = ?`, id, account).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("export %s: %w", id, discovery.ErrNotFound)
	}
	return err
}

// ReportExportProgress sets the statusMessage of an IN_PROGRESS task under
// the lease of its job. It reports discovery.ErrNotFound if the task is
// gone or no longer IN_PROGRESS, and a lost lease (discovery.ErrLeaseLost)
// if the job is no longer held under l.
func (s *DB) ReportExportProgress(ctx context.Context, l discovery.Lease, account, id, message string) error {
	return s.leased(ctx, l, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE export_tasks SET status_message = ?
			WHERE export_id = ? AND account_id = ? AND status = 'IN_PROGRESS'`, message, id, account)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("export %s progress: %w", id, discovery.ErrNotFound)
		}
		return nil
	})
}

// ExpiringExportTasks lists SUCCEEDED tasks whose data is still marked
// present but finished at or before cutoff.
func (s *DB) ExpiringExportTasks(ctx context.Context, cutoff time.Time, limit int) ([]*discovery.ExportTask, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+exportCols+` FROM export_tasks
		WHERE status = 'SUCCEEDED' AND expired = 0 AND finished_at_ms <= ? ORDER BY finished_at_ms LIMIT ?`, ms(cutoff), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*discovery.ExportTask
	for rows.Next() {
		t, err := scanExport(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// MarkExportExpired records that a task's data was deleted.
func (s *DB) MarkExportExpired(ctx context.Context, id, message string) error {
	_, err := s.exec(ctx, `UPDATE export_tasks SET expired = 1, status_message = ? WHERE export_id = ?`, message, id)
	return err
}
