// Package queue runs poseidon's background work from one durable job queue:
// export builds, imports, batch deletes, continuous-export transitions and
// the export janitor are all jobs (discovery.Job) of a Store, run by one
// Runner per process.
//
// A job is claimed with a lease and an owner, heartbeated while it runs,
// taken over by another owner when its lease passes (its owner died), and
// completed exactly once: a store refuses to complete, retry or fail a job,
// or to write its task's outcome, under a lease that was taken over
// (discovery.ErrLeaseLost). Several processes sharing one store therefore
// never run one task twice at the same time, and a task whose process died
// runs again elsewhere (or after the restart).
//
// The task a job runs is created together with its job, in one store
// transaction (StartExportTask's export row and its job, say), so that no
// task is ever left without a job.
package queue

import (
	"context"
	"errors"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// Store is the durable job table. sqlite.DB implements it.
type Store interface {
	// Enqueue adds j to run at j.RunAt (at any time if zero). A job of
	// the same kind, account and ref that is still queued is kept, and
	// runs no later than j.RunAt, so that enqueuing is idempotent.
	Enqueue(ctx context.Context, j *discovery.Job) error
	// Claim leases to owner, until leaseUntil, the first job of one of
	// kinds whose RunAt has come at now and that no one holds: never
	// claimed, given back, or held by another owner whose lease passed
	// before now (taken over). It adds one to the job's Attempts and
	// returns it; (nil, nil) when no job is due. Two owners never get the
	// same job while its lease runs.
	Claim(ctx context.Context, owner string, kinds []discovery.JobKind, now, leaseUntil time.Time) (*discovery.Job, error)
	// Heartbeat extends a lease to leaseUntil.
	Heartbeat(ctx context.Context, l discovery.Lease, leaseUntil time.Time) error
	// Complete removes a job that ended.
	Complete(ctx context.Context, l discovery.Lease) error
	// Retry gives a job that failed back, to run again at runAt; the
	// attempt counts.
	Retry(ctx context.Context, l discovery.Lease, runAt time.Time, lastErr string) error
	// Release gives a job back, to run again at runAt, without counting
	// the attempt (the runner stopped, or a periodic job's round ended).
	Release(ctx context.Context, l discovery.Lease, runAt time.Time) error
	// ExpireLeases ends now the leases of the jobs held by owners whose
	// name starts with prefix, but except: their owner is known to be
	// dead, so that they are taken over at once. It returns how many.
	ExpireLeases(ctx context.Context, prefix, except string, now time.Time) (int, error)
	// Fail ends a job for good: its task is marked failed with reason
	// (an export FAILED with reason as its statusMessage, an import
	// IMPORT_FAILED, a batch delete FAILED, a continuous export
	// START_FAILED or STOP_FAILED with reason as its statusDetail), and
	// the job is removed, in one transaction.
	Fail(ctx context.Context, l discovery.Lease, reason string, now time.Time) error
}

// Every method that needs a lease returns an error matching
// discovery.ErrLeaseLost (a *discovery.LeaseLostError) when its owner no
// longer holds the job.

// Handler runs the jobs of one kind.
type Handler interface {
	// Handle does the job. Writes of the task's outcome carry j.Lease(),
	// so that the store refuses them if the job was taken over. nil means
	// done: the job is completed; ErrCompleted means done and already
	// completed by the handler. An error means the attempt failed: the
	// job is retried (after a pause) until MaxAttempts, then failed. ctx
	// ends when the runner stops or the lease is lost; a handler may
	// finish its work regardless (exports do) or stop.
	//
	// A job may run again after its owner died, or if completing it
	// failed after the outcome was written: Handle must find its task
	// already done (or gone) and return nil then.
	Handle(ctx context.Context, j *discovery.Job) error
	// GiveUp is called before a job is failed for good: after MaxAttempts
	// failed attempts (cause is the last error) or when it was claimed
	// more than MaxAttempts times without ending (cause is
	// ErrInterrupted). It cleans up what the attempts left and returns the
	// reason recorded on the task.
	GiveUp(ctx context.Context, j *discovery.Job, cause error) string
}

// Kind configures the jobs of one kind in a Runner.
type Kind struct {
	Handler Handler
	// Workers is how many jobs of the kind may run at once in this
	// runner; 1 if zero.
	Workers int
	// Every, if not zero, makes the kind periodic: one job of no account
	// and no ref, enqueued when the runner starts, run again Every after
	// each round ends (whatever its outcome), never failed for good.
	Every time.Duration
}

// ErrInterrupted is the cause GiveUp gets for a job claimed more than
// MaxAttempts times without ending: every owner that held it died (or lost
// its lease) while running it.
var ErrInterrupted = errors.New("the job was interrupted every time it ran")

// ErrCompleted, returned by Handle, says that the job is done and that the
// handler already removed it, under its lease and in the same transaction
// as its task's outcome (an export's FinishExportJob): the runner records
// nothing more, which saves a synced commit per job.
var ErrCompleted = errors.New("the handler completed the job with its outcome")

// Defaults of a Runner's settings.
const (
	DefaultPoll        = 100 * time.Millisecond
	DefaultLease       = 10 * time.Second
	DefaultMaxAttempts = 3
	DefaultBackoff     = time.Second
)
