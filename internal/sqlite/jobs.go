package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// The job queue (queue.Store). Claims are one UPDATE ... WHERE job_id =
// (SELECT ...) RETURNING statement: SQLite runs it under its write lock,
// so two connections (two processes) never lease one job twice. Every
// write under a lease checks, in its transaction, that the job still has
// that owner.

const jobCols = `job_id, kind, account_id, ref, run_at_ms, owner, lease_until_ms, attempts, last_error, created_ms`

func scanJob(r scanner) (*discovery.Job, error) {
	var (
		j              discovery.Job
		kind           string
		runAt, created int64
		owner          sql.NullString
		leaseUntil     sql.NullInt64
		attempts       int64
	)
	if err := r.Scan(&j.ID, &kind, &j.Account, &j.Ref, &runAt, &owner, &leaseUntil, &attempts, &j.LastError, &created); err != nil {
		return nil, err
	}
	j.Kind = discovery.JobKind(kind)
	j.RunAt, j.Created = fromMs(runAt), fromMs(created)
	j.Owner = owner.String
	if leaseUntil.Valid {
		j.LeaseUntil = fromMs(leaseUntil.Int64)
	}
	j.Attempts = int(attempts)
	return &j, nil
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// enqueue inserts a job to run at runAt (at any time if zero); a job of the
// same kind, account and ref already queued is kept, and runs no later than
// runAt. Stores that create a task call it in the task's transaction.
func enqueue(ctx context.Context, q execer, kind discovery.JobKind, account, ref string, runAt, now time.Time) error {
	at := int64(0)
	if !runAt.IsZero() {
		at = ms(runAt)
	}
	_, err := q.ExecContext(ctx, `INSERT INTO jobs (kind, account_id, ref, run_at_ms, created_ms) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (kind, account_id, ref) DO UPDATE SET run_at_ms = min(run_at_ms, excluded.run_at_ms)`,
		string(kind), account, ref, at, ms(now))
	if err != nil {
		return fmt.Errorf("enqueue %s job: %w", kind, err)
	}
	return nil
}

// Enqueue implements queue.Store.
func (s *DB) Enqueue(ctx context.Context, j *discovery.Job) error {
	created := j.Created
	if created.IsZero() {
		created = j.RunAt
	}
	if created.IsZero() {
		created = time.Now()
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		return enqueue(ctx, tx, j.Kind, j.Account, j.Ref, j.RunAt, created)
	})
}

// claimable selects the jobs of the kinds in ?1 (a JSON array) due at ?2
// that owner ?3 may take: free, or held by another owner whose lease passed.
const claimable = `kind IN (SELECT value FROM json_each(?1)) AND run_at_ms <= ?2
	AND (owner IS NULL OR (lease_until_ms < ?2 AND owner <> ?3))`

// Claim implements queue.Store. A read without the write turn first finds
// out whether any job is due, so that an idle poll takes no write lock.
func (s *DB) Claim(ctx context.Context, owner string, kinds []discovery.JobKind, now, leaseUntil time.Time) (*discovery.Job, error) {
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = string(k)
	}
	list := jsonArray(names)
	var one int
	err := s.db.QueryRowContext(ctx, `SELECT 1 FROM jobs WHERE `+claimable+` LIMIT 1`, list, ms(now), owner).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var j *discovery.Job
	err = s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		j, err = scanJob(tx.QueryRowContext(ctx, `UPDATE jobs SET owner = ?3, lease_until_ms = ?4, attempts = attempts + 1
			WHERE job_id = (SELECT job_id FROM jobs WHERE `+claimable+` ORDER BY run_at_ms, job_id LIMIT 1)
			RETURNING `+jobCols, list, ms(now), owner, ms(leaseUntil)))
		if errors.Is(err, sql.ErrNoRows) {
			j, err = nil, nil
		}
		return err
	})
	return j, err
}

// checkLease returns a *discovery.LeaseLostError unless the job of l is
// held by l.Owner.
func checkLease(ctx context.Context, q execer, l discovery.Lease) error {
	var owner sql.NullString
	err := q.QueryRowContext(ctx, `SELECT owner FROM jobs WHERE job_id = ?`, l.Job).Scan(&owner)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && owner.String != l.Owner) {
		return &discovery.LeaseLostError{Lease: l, Holder: owner.String}
	}
	return err
}

// leased runs fn in a write transaction once the lease is checked.
func (s *DB) leased(ctx context.Context, l discovery.Lease, fn func(*sql.Tx) error) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if err := checkLease(ctx, tx, l); err != nil {
			return err
		}
		return fn(tx)
	})
}

// Heartbeat implements queue.Store.
func (s *DB) Heartbeat(ctx context.Context, l discovery.Lease, leaseUntil time.Time) error {
	return s.leased(ctx, l, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE jobs SET lease_until_ms = ? WHERE job_id = ?`, ms(leaseUntil), l.Job)
		return err
	})
}

// Complete implements queue.Store.
func (s *DB) Complete(ctx context.Context, l discovery.Lease) error {
	return s.leased(ctx, l, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM jobs WHERE job_id = ?`, l.Job)
		return err
	})
}

// Retry implements queue.Store.
func (s *DB) Retry(ctx context.Context, l discovery.Lease, runAt time.Time, lastErr string) error {
	return s.leased(ctx, l, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE jobs SET owner = NULL, lease_until_ms = NULL, run_at_ms = ?, last_error = ? WHERE job_id = ?`,
			ms(runAt), lastErr, l.Job)
		return err
	})
}

// Release implements queue.Store.
func (s *DB) Release(ctx context.Context, l discovery.Lease, runAt time.Time) error {
	return s.leased(ctx, l, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE jobs SET owner = NULL, lease_until_ms = NULL, run_at_ms = ?, attempts = max(attempts - 1, 0)
			WHERE job_id = ?`, ms(runAt), l.Job)
		return err
	})
}

// ExpireLeases implements queue.Store.
func (s *DB) ExpireLeases(ctx context.Context, prefix, except string, now time.Time) (int, error) {
	if prefix == "" {
		return 0, nil
	}
	res, err := s.exec(ctx, `UPDATE jobs SET lease_until_ms = ?1 - 1
		WHERE owner IS NOT NULL AND substr(owner, 1, length(?2)) = ?2 AND owner <> ?3 AND lease_until_ms >= ?1`,
		ms(now), prefix, except)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// Fail implements queue.Store: the job's task is marked failed, if it is
// still running, and the job removed.
func (s *DB) Fail(ctx context.Context, l discovery.Lease, reason string, now time.Time) error {
	return s.leased(ctx, l, func(tx *sql.Tx) error {
		var kind, account, ref string
		if err := tx.QueryRowContext(ctx, `SELECT kind, account_id, ref FROM jobs WHERE job_id = ?`, l.Job).Scan(&kind, &account, &ref); err != nil {
			return err
		}
		var q string
		var args []any
		switch discovery.JobKind(kind) {
		case discovery.JobExport:
			q = `UPDATE export_tasks SET status = 'FAILED', status_message = ?, finished_at_ms = ?
				WHERE export_id = ? AND account_id = ? AND status = 'IN_PROGRESS'`
			args = []any{reason, ms(now), ref, account}
		case discovery.JobImport:
			q = `UPDATE import_tasks SET status = ?, completion_ms = ? WHERE account_id = ? AND task_id = ? AND status = ?`
			args = []any{discovery.ImportFailed, ms(now), account, ref, discovery.ImportInProgress}
		case discovery.JobBatchDelete:
			q = `UPDATE batch_delete_tasks SET status = 'FAILED', end_ms = ?
				WHERE account_id = ? AND task_id = ? AND status IN ('INITIALIZING', 'VALIDATING', 'DELETING')`
			args = []any{ms(now), account, ref}
		case discovery.JobContinuousStart:
			// A start that failed is no longer running: the account may
			// start another.
			q = `UPDATE continuous_exports SET state = ?, status_detail = ?, stop_ms = coalesce(stop_ms, ?)
				WHERE account_id = ? AND export_id = ? AND state = ?`
			args = []any{discovery.ContinuousStartFailed, reason, ms(now), account, ref, discovery.ContinuousStartInProgress}
		case discovery.JobContinuousStop:
			q = `UPDATE continuous_exports SET state = ?, status_detail = ?
				WHERE account_id = ? AND export_id = ? AND state IN (?, ?, ?)`
			args = []any{discovery.ContinuousStopFailed, reason, account, ref,
				discovery.ContinuousStartInProgress, discovery.ContinuousActive, discovery.ContinuousStopInProgress}
		}
		if q != "" {
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM jobs WHERE job_id = ?`, l.Job)
		return err
	})
}

// Job returns the queued job of a kind, account and ref, or
// discovery.ErrNotFound.
func (s *DB) Job(ctx context.Context, kind discovery.JobKind, account, ref string) (*discovery.Job, error) {
	j, err := scanJob(s.db.QueryRowContext(ctx, `SELECT `+jobCols+` FROM jobs WHERE kind = ? AND account_id = ? AND ref = ?`,
		string(kind), account, ref))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%s job %s: %w", kind, ref, discovery.ErrNotFound)
	}
	return j, err
}

// JobDepths counts the jobs of each kind that has any, running, queued and
// scheduled at now, in one scan of the (small) jobs table.
func (s *DB) JobDepths(ctx context.Context, now time.Time) ([]discovery.JobDepth, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT kind,
			sum(running), sum(NOT running AND run_at_ms <= ?1), sum(NOT running AND run_at_ms > ?1)
		FROM (SELECT kind, run_at_ms, owner IS NOT NULL AND lease_until_ms >= ?1 AS running FROM jobs)
		GROUP BY kind ORDER BY kind`, ms(now))
	if err != nil {
		return nil, fmt.Errorf("job depths: %w", err)
	}
	defer rows.Close()
	var out []discovery.JobDepth
	for rows.Next() {
		var d discovery.JobDepth
		var kind string
		if err := rows.Scan(&kind, &d.Running, &d.Queued, &d.Scheduled); err != nil {
			return nil, fmt.Errorf("job depths: %w", err)
		}
		d.Kind = discovery.JobKind(kind)
		out = append(out, d)
	}
	return out, rows.Err()
}
