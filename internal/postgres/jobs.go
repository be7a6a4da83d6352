package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// The job queue (queue.Store), shared by every replica. A claim is one
// statement, UPDATE jobs ... WHERE job_id = (SELECT ... FOR UPDATE SKIP
// LOCKED) RETURNING: of the replicas claiming at once each locks another
// due job, skipping those another claim holds, and a job another claim has
// just leased no longer matches when its row is re-read, so no job is
// leased twice. Every write under a lease first locks the job's row and
// checks its owner (lockJob), in the transaction of the write: an owner
// whose job was taken over writes nothing, and no take-over commits
// between the check and the write (a claim skips the locked row).

const jobCols = `job_id, kind, account_id, ref, run_at_ms, owner, lease_until_ms, attempts, last_error, created_ms`

func scanJob(r pgx.Row) (*discovery.Job, error) {
	var (
		j              discovery.Job
		kind           string
		runAt, created int64
		owner          *string
		leaseUntil     *int64
	)
	if err := r.Scan(&j.ID, &kind, &j.Account, &j.Ref, &runAt, &owner, &leaseUntil, &j.Attempts, &j.LastError, &created); err != nil {
		return nil, err
	}
	j.Kind = discovery.JobKind(kind)
	j.RunAt, j.Created = fromMs(runAt), fromMs(created)
	if owner != nil {
		j.Owner = *owner
	}
	if leaseUntil != nil {
		j.LeaseUntil = fromMs(*leaseUntil)
	}
	return &j, nil
}

// execer is the pool or a transaction.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// enqueue inserts a job to run at runAt (at any time if zero); a job of the
// same kind, account and ref already queued is kept, and runs no later than
// runAt. Stores that create a task call it in the task's transaction.
func enqueue(ctx context.Context, q execer, kind discovery.JobKind, account, ref string, runAt, now time.Time) error {
	at := int64(0)
	if !runAt.IsZero() {
		at = ms(runAt)
	}
	_, err := q.Exec(ctx, `INSERT INTO jobs (kind, account_id, ref, run_at_ms, created_ms) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (kind, account_id, ref) DO UPDATE SET run_at_ms = least(jobs.run_at_ms, excluded.run_at_ms)`,
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
	return enqueue(ctx, s.pool, j.Kind, j.Account, j.Ref, j.RunAt, created)
}

// Claim implements queue.Store in one statement. A job is claimable when it
// is of one of kinds, due at now, and free or held by another owner whose
// lease passed before now; the oldest due goes first.
func (s *DB) Claim(ctx context.Context, owner string, kinds []discovery.JobKind, now, leaseUntil time.Time) (*discovery.Job, error) {
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = string(k)
	}
	j, err := scanJob(s.pool.QueryRow(ctx, `UPDATE jobs SET owner = $3, lease_until_ms = $4, attempts = attempts + 1
		WHERE job_id = (
			SELECT job_id FROM jobs
			WHERE kind = ANY($1) AND run_at_ms <= $2 AND (owner IS NULL OR (lease_until_ms < $2 AND owner <> $3))
			ORDER BY run_at_ms, job_id LIMIT 1
			FOR UPDATE SKIP LOCKED)
		RETURNING `+jobCols, names, ms(now), owner, ms(leaseUntil)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	return j, err
}

// leaseLost returns the *discovery.LeaseLostError of l, naming the job's
// owner now.
func leaseLost(ctx context.Context, q execer, l discovery.Lease) error {
	var owner *string
	err := q.QueryRow(ctx, `SELECT owner FROM jobs WHERE job_id = $1`, l.Job).Scan(&owner)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return err
	}
	lost := &discovery.LeaseLostError{Lease: l}
	if owner != nil {
		lost.Holder = *owner
	}
	return lost
}

// lockJob locks the row of l's job until tx ends and returns the job, or a
// *discovery.LeaseLostError unless the job is held by l.Owner.
func lockJob(ctx context.Context, tx pgx.Tx, l discovery.Lease) (*discovery.Job, error) {
	j, err := scanJob(tx.QueryRow(ctx, `SELECT `+jobCols+` FROM jobs WHERE job_id = $1 FOR UPDATE`, l.Job))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, &discovery.LeaseLostError{Lease: l}
	}
	if err != nil {
		return nil, err
	}
	if j.Owner != l.Owner {
		return nil, &discovery.LeaseLostError{Lease: l, Holder: j.Owner}
	}
	return j, nil
}

// leased runs fn in a transaction once the lease is checked; the job's row
// stays locked until the transaction ends.
func (s *DB) leased(ctx context.Context, l discovery.Lease, fn func(pgx.Tx) error) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := lockJob(ctx, tx, l); err != nil {
			return err
		}
		return fn(tx)
	})
}

// underLease runs one statement on the job of l, whose first two
// parameters are its ID and owner; no row changed means the lease is lost.
func (s *DB) underLease(ctx context.Context, l discovery.Lease, query string, args ...any) error {
	tag, err := s.pool.Exec(ctx, query, append([]any{l.Job, l.Owner}, args...)...)
	if err != nil {
		return err
	}
	if !affected(tag) {
		return leaseLost(ctx, s.pool, l)
	}
	return nil
}

// Heartbeat implements queue.Store.
func (s *DB) Heartbeat(ctx context.Context, l discovery.Lease, leaseUntil time.Time) error {
	return s.underLease(ctx, l, `UPDATE jobs SET lease_until_ms = $3 WHERE job_id = $1 AND owner = $2`, ms(leaseUntil))
}

// Complete implements queue.Store.
func (s *DB) Complete(ctx context.Context, l discovery.Lease) error {
	return s.underLease(ctx, l, `DELETE FROM jobs WHERE job_id = $1 AND owner = $2`)
}

// Retry implements queue.Store.
func (s *DB) Retry(ctx context.Context, l discovery.Lease, runAt time.Time, lastErr string) error {
	return s.underLease(ctx, l, `UPDATE jobs SET owner = NULL, lease_until_ms = NULL, run_at_ms = $3, last_error = $4
		WHERE job_id = $1 AND owner = $2`, ms(runAt), lastErr)
}

// Release implements queue.Store.
func (s *DB) Release(ctx context.Context, l discovery.Lease, runAt time.Time) error {
	return s.underLease(ctx, l, `UPDATE jobs SET owner = NULL, lease_until_ms = NULL, run_at_ms = $3, attempts = greatest(attempts - 1, 0)
		WHERE job_id = $1 AND owner = $2`, ms(runAt))
}

// ExpireLeases implements queue.Store.
func (s *DB) ExpireLeases(ctx context.Context, prefix, except string, now time.Time) (int, error) {
	if prefix == "" {
		return 0, nil
	}
	tag, err := s.pool.Exec(ctx, `UPDATE jobs SET lease_until_ms = $1::bigint - 1
		WHERE owner IS NOT NULL AND left(owner, length($2::text)) = $2::text AND owner <> $3 AND lease_until_ms >= $1::bigint`,
		ms(now), prefix, except)
	if err != nil {
		return 0, err
	}
	return int(tag.RowsAffected()), nil
}

// Fail implements queue.Store: the job's task is marked failed, if it is
// still running, and the job removed, in one transaction under the lease.
func (s *DB) Fail(ctx context.Context, l discovery.Lease, reason string, now time.Time) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		j, err := lockJob(ctx, tx, l)
		if err != nil {
			return err
		}
		var q string
		var args []any
		switch j.Kind {
		case discovery.JobExport:
			q = `UPDATE export_tasks SET status = 'FAILED', status_message = $1, finished_at_ms = $2
				WHERE export_id = $3 AND account_id = $4 AND status = 'IN_PROGRESS'`
			args = []any{reason, ms(now), j.Ref, j.Account}
		case discovery.JobImport:
			q = `UPDATE import_tasks SET status = $1, completion_ms = $2 WHERE account_id = $3 AND task_id = $4 AND status = $5`
			args = []any{discovery.ImportFailed, ms(now), j.Account, j.Ref, discovery.ImportInProgress}
		case discovery.JobBatchDelete:
			q = `UPDATE batch_delete_tasks SET status = 'FAILED', end_ms = $1
				WHERE account_id = $2 AND task_id = $3 AND status IN ('INITIALIZING', 'VALIDATING', 'DELETING')`
			args = []any{ms(now), j.Account, j.Ref}
		case discovery.JobContinuousStart:
			// A start that failed is no longer running: the account may
			// start another.
			q = `UPDATE continuous_exports SET state = $1, status_detail = $2, stop_ms = coalesce(stop_ms, $3)
				WHERE account_id = $4 AND export_id = $5 AND state = $6`
			args = []any{discovery.ContinuousStartFailed, reason, ms(now), j.Account, j.Ref, discovery.ContinuousStartInProgress}
		case discovery.JobContinuousStop:
			q = `UPDATE continuous_exports SET state = $1, status_detail = $2
				WHERE account_id = $3 AND export_id = $4 AND state = ANY($5)`
			args = []any{discovery.ContinuousStopFailed, reason, j.Account, j.Ref,
				[]string{discovery.ContinuousStartInProgress, discovery.ContinuousActive, discovery.ContinuousStopInProgress}}
		}
		if q != "" {
			if _, err := tx.Exec(ctx, q, args...); err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, `DELETE FROM jobs WHERE job_id = $1`, l.Job)
		return err
	})
}

// Job returns the queued job of a kind, account and ref, or
// discovery.ErrNotFound.
func (s *DB) Job(ctx context.Context, kind discovery.JobKind, account, ref string) (*discovery.Job, error) {
	j, err := scanJob(s.pool.QueryRow(ctx, `SELECT `+jobCols+` FROM jobs WHERE kind = $1 AND account_id = $2 AND ref = $3`,
		string(kind), account, ref))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("%s job %s: %w", kind, ref, discovery.ErrNotFound)
	}
	return j, err
}

// JobDepths counts the jobs of each kind that has any, running, queued and
// scheduled at now, in one scan of the (small) jobs table.
func (s *DB) JobDepths(ctx context.Context, now time.Time) ([]discovery.JobDepth, error) {
	rows, err := s.rd.Query(ctx, `SELECT kind,
			count(*) FILTER (WHERE running), count(*) FILTER (WHERE NOT running AND run_at_ms <= $1),
			count(*) FILTER (WHERE NOT running AND run_at_ms > $1)
		FROM (SELECT kind, run_at_ms, owner IS NOT NULL AND lease_until_ms >= $1 AS running FROM jobs) j
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
