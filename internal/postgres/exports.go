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

const exportCols = `export_id, account_id, kind, operation, agent_id, status, status_message,
	request_time_ms, requested_start_ms, requested_end_ms, ec2_preferences, is_truncated,
	ready_at_ms, finished_at_ms, file_size, expired`

// ec2PrefsColumn is the stored form of discovery.EC2Preferences: the jsonb
// in export_tasks.ec2_preferences, NULL for exports of other kinds. It is
// the JSON the SQLite store keeps, so that the two hold the same document.
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

// encodeEC2Prefs returns the column value of p: nil (NULL) for none.
func encodeEC2Prefs(p *discovery.EC2Preferences) ([]byte, error) {
	if p == nil {
		return nil, nil
	}
	b, err := json.Marshal(ec2PrefsColumn{
		CPU: basisColumn(p.CPU), RAM: basisColumn(p.RAM), Tenancy: p.Tenancy, Excluded: p.Excluded, PreferredRegion: p.PreferredRegion,
		PurchasingOption: p.PurchasingOption, OfferingClass: p.OfferingClass, TermLength: p.TermLength,
	})
	if err != nil {
		return nil, fmt.Errorf("ec2 preferences: %w", err)
	}
	return b, nil
}

// decodeEC2Prefs reads the column; a value it cannot read gives nil, so
// that listing the account's exports still works and the worker fails that
// one export.
func decodeEC2Prefs(v []byte) *discovery.EC2Preferences {
	var c ec2PrefsColumn
	if len(v) == 0 || json.Unmarshal(v, &c) != nil {
		return nil
	}
	return &discovery.EC2Preferences{
		CPU: discovery.MetricBasis(c.CPU), RAM: discovery.MetricBasis(c.RAM), Tenancy: c.Tenancy, Excluded: c.Excluded,
		PreferredRegion: c.PreferredRegion, PurchasingOption: c.PurchasingOption, OfferingClass: c.OfferingClass, TermLength: c.TermLength,
	}
}

func scanExport(r pgx.Row) (*discovery.ExportTask, error) {
	var (
		t                    discovery.ExportTask
		reqMs, readyMs       int64
		start, end, finished *int64
		kind, status         string
		ec2                  []byte
	)
	err := r.Scan(&t.ID, &t.AccountID, &kind, &t.Operation, &t.AgentID, &status, &t.Message,
		&reqMs, &start, &end, &ec2, &t.IsTruncated, &readyMs, &finished, &t.FileSize, &t.Expired)
	if err != nil {
		return nil, err
	}
	t.EC2 = decodeEC2Prefs(ec2)
	t.Kind = discovery.ExportKind(kind)
	t.Status = discovery.ExportStatus(status)
	t.RequestTime = fromMs(reqMs)
	t.RequestedStart, t.RequestedEnd = fromNullMs(start), fromNullMs(end)
	t.ReadyAt = fromMs(readyMs)
	if finished != nil {
		t.FinishedAt = fromMs(*finished)
	}
	return &t, nil
}

// CreateExportTask stores t, and its job due at t.ReadyAt, unless the
// admission refuses it. The checks and the inserts run in one transaction that first takes the account's advisory
// lock (lockAccount): every other CreateExportTask of the account, on any
// replica, waits for it to commit and then counts its task, so two tasks
// never both pass a limit only one of them fits. (READ COMMITTED alone
// would let two transactions count the same tasks and both insert.) Tasks
// leaving the counts meanwhile (a worker finishing one) can only make a
// refusal stale, as on SQLite. It returns nil when it stored t, and the
// refusal otherwise.
func (s *DB) CreateExportTask(ctx context.Context, t *discovery.ExportTask, a discovery.ExportAdmission) (*discovery.ExportRefusal, error) {
	ec2, err := encodeEC2Prefs(t.EC2)
	if err != nil {
		return nil, err
	}
	var refusal *discovery.ExportRefusal
	err = s.accountTx(ctx, t.AccountID, func(tx pgx.Tx) error {
		var err error
		refusal, err = a.Admit(t, func() (string, error) {
			return succeededAgentExport(ctx, tx, t.AccountID, t.AgentID, t.RequestedStart, t.RequestedEnd)
		}, func(l discovery.ExportLimit) (int, error) {
			return countExportTasks(ctx, tx, t.AccountID, l)
		})
		if err != nil || refusal != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO export_tasks (`+exportCols+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, NULL, 0, false)`,
			t.ID, t.AccountID, string(t.Kind), t.Operation, t.AgentID, string(t.Status), t.Message,
			ms(t.RequestTime), nullMs(t.RequestedStart), nullMs(t.RequestedEnd), ec2, t.IsTruncated,
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

// countExportTasks counts the account's tasks that l counts.
func countExportTasks(ctx context.Context, tx pgx.Tx, account string, l discovery.ExportLimit) (int, error) {
	q := `SELECT count(*) FROM export_tasks WHERE account_id = $1 AND request_time_ms >= $2`
	args := []any{account, ms(l.Since)}
	if l.Operation != "" {
		args = append(args, l.Operation)
		q += fmt.Sprintf(` AND operation = $%d`, len(args))
	}
	if l.Kind != "" {
		args = append(args, string(l.Kind))
		q += fmt.Sprintf(` AND kind = $%d`, len(args))
	}
	if l.Running {
		q += ` AND status = 'IN_PROGRESS'`
	}
	var n int
	err := tx.QueryRow(ctx, q, args...).Scan(&n)
	return n, err
}

// succeededAgentExport returns the ID of a SUCCEEDED agent export of the
// same agent and requested window, or "" if there is none.
func succeededAgentExport(ctx context.Context, tx pgx.Tx, account, agentID string, start, end *time.Time) (string, error) {
	var id string
	err := tx.QueryRow(ctx, `SELECT export_id FROM export_tasks
		WHERE account_id = $1 AND `+equalKeyed("agent_id", "$2")+` AND kind = 'agent' AND status = 'SUCCEEDED'
		AND requested_start_ms IS NOT DISTINCT FROM $3 AND requested_end_ms IS NOT DISTINCT FROM $4
		ORDER BY request_time_ms DESC LIMIT 1`,
		account, agentID, nullMs(start), nullMs(end)).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	return id, err
}

// GetExportTask returns one task of the account, or discovery.ErrNotFound.
func (s *DB) GetExportTask(ctx context.Context, account, id string) (*discovery.ExportTask, error) {
	t, err := scanExport(s.rd.QueryRow(ctx, `SELECT `+exportCols+` FROM export_tasks WHERE account_id = $1 AND export_id = $2`, account, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("export %s: %w", id, discovery.ErrNotFound)
	}
	return t, err
}

// FindExportTasks returns up to q.Limit tasks (all if 0) in newest-first
// keyset order (ties by export ID, descending): a range scan of export_tasks_by_account
// from the cursor on, or of export_tasks_by_agent with an agent filter.
func (s *DB) FindExportTasks(ctx context.Context, q discovery.ExportQuery) ([]*discovery.ExportTask, error) {
	query, args, ok := findExportTasksQuery(q)
	if !ok {
		return nil, nil
	}
	var out []*discovery.ExportTask
	err := eachRow(ctx, s.rd, query, args, func(rows pgx.Rows) error {
		t, err := scanExport(rows)
		if err == nil {
			out = append(out, t)
		}
		return err
	})
	return out, err
}

// findExportTasksQuery is FindExportTasks' query; ok is false when q
// selects nothing.
func findExportTasksQuery(q discovery.ExportQuery) (query string, args []any, ok bool) {
	var w where
	w.add("account_id = $%d", q.AccountID)
	if q.IDs != nil {
		if len(q.IDs) == 0 {
			return "", nil, false
		}
		w.add("export_id = ANY($%d)", q.IDs)
	}
	// The use case intersected repeated agent filters into one set.
	if q.AgentIDs != nil {
		if len(q.AgentIDs) == 0 {
			return "", nil, false
		}
		w.add(equalAnyKeyed("agent_id", "$%[1]d::text[]"), q.AgentIDs)
	}
	if q.After != nil {
		w.add("(request_time_ms, export_id) < ($%d, $%d)", q.After.RequestTimeMs, q.After.ExportID)
	}
	query = `SELECT ` + exportCols + ` FROM export_tasks WHERE ` + w.String() + ` ORDER BY request_time_ms DESC, export_id DESC`
	if q.Limit > 0 {
		query += ` LIMIT ` + w.param(q.Limit)
	}
	return query, w.args, true
}

// FinishExportTask records the outcome of an IN_PROGRESS task under the
// lease of its job, whose row stays locked until the outcome commits. It
// reports discovery.ErrNotFound if the task is gone (a reset deleted it),
// and a lost lease (discovery.ErrLeaseLost) if the job is no longer held
// under l, or the task no longer IN_PROGRESS.
func (s *DB) FinishExportTask(ctx context.Context, l discovery.Lease, account, id string, r discovery.ExportResult, now time.Time) error {
	return s.finishExport(ctx, l, account, id, r, now, false)
}

// FinishExportJob is FinishExportTask that also completes the job (removes
// it, as Complete does) in the same transaction: one commit instead of two.
func (s *DB) FinishExportJob(ctx context.Context, l discovery.Lease, account, id string, r discovery.ExportResult, now time.Time) error {
	return s.finishExport(ctx, l, account, id, r, now, true)
}

func (s *DB) finishExport(ctx context.Context, l discovery.Lease, account, id string, r discovery.ExportResult, now time.Time, complete bool) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		var one int
		err := tx.QueryRow(ctx, `SELECT 1 FROM export_tasks WHERE export_id = $1 AND account_id = $2`, id, account).Scan(&one)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("export %s: %w", id, discovery.ErrNotFound)
		}
		if err != nil {
			return err
		}
		if _, err := lockJob(ctx, tx, l); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE export_tasks
			SET status = $1, status_message = $2, is_truncated = $3, file_size = $4, finished_at_ms = $5
			WHERE export_id = $6 AND account_id = $7 AND status = 'IN_PROGRESS'`,
			string(r.Status), r.Message, r.IsTruncated, r.FileSize, ms(now), id, account)
		if err != nil {
			return err
		}
		if !affected(tag) {
			return &discovery.LeaseLostError{Lease: l}
		}
		if complete {
			_, err = tx.Exec(ctx, `DELETE FROM jobs WHERE job_id = $1`, l.Job)
		}
		return err
	})
}

// ReportExportProgress sets the statusMessage of an IN_PROGRESS task under
// the lease of its job. It reports discovery.ErrNotFound if the task is
// gone or no longer IN_PROGRESS, and a lost lease (discovery.ErrLeaseLost)
// if the job is no longer held under l.
func (s *DB) ReportExportProgress(ctx context.Context, l discovery.Lease, account, id, message string) error {
	return s.leased(ctx, l, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE export_tasks SET status_message = $1
			WHERE export_id = $2 AND account_id = $3 AND status = 'IN_PROGRESS'`, message, id, account)
		if err != nil {
			return err
		}
		if !affected(tag) {
			return fmt.Errorf("export %s progress: %w", id, discovery.ErrNotFound)
		}
		return nil
	})
}

// ExpiringExportTasks lists SUCCEEDED tasks whose data is still marked
// present but finished at or before cutoff.
func (s *DB) ExpiringExportTasks(ctx context.Context, cutoff time.Time, limit int) ([]*discovery.ExportTask, error) {
	var out []*discovery.ExportTask
	err := eachRow(ctx, s.pool, `SELECT `+exportCols+` FROM export_tasks
		WHERE status = 'SUCCEEDED' AND NOT expired AND finished_at_ms <= $1 ORDER BY finished_at_ms LIMIT $2`,
		[]any{ms(cutoff), limitArg(limit)}, func(rows pgx.Rows) error {
			t, err := scanExport(rows)
			if err == nil {
				out = append(out, t)
			}
			return err
		})
	return out, err
}

// MarkExportExpired records that a task's data was deleted.
func (s *DB) MarkExportExpired(ctx context.Context, id, message string) error {
	_, err := s.pool.Exec(ctx, `UPDATE export_tasks SET expired = true, status_message = $1 WHERE export_id = $2`, message, id)
	return err
}
