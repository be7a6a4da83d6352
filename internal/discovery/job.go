package discovery

import (
	"errors"
	"fmt"
	"time"
)

// JobKind names what a job does; each kind has one handler (package queue).
type JobKind string

// The kinds of jobs. Every background task of poseidon is one of them.
const (
	// JobExport builds the export task Ref (StartExportTask,
	// ExportConfigurations).
	JobExport JobKind = "export"
	// JobImport runs the import task Ref of Account.
	JobImport JobKind = "import"
	// JobBatchDelete runs the batch delete task Ref of Account.
	JobBatchDelete JobKind = "batch-delete"
	// JobContinuousStart moves the continuous export Ref from
	// START_IN_PROGRESS to ACTIVE.
	JobContinuousStart JobKind = "continuous-start"
	// JobContinuousStop moves the continuous export Ref from
	// STOP_IN_PROGRESS to INACTIVE.
	JobContinuousStop JobKind = "continuous-stop"
	// JobJanitor deletes export data whose retention has ended. It is a
	// periodic job of no account: there is one, run again and again.
	JobJanitor JobKind = "janitor"
	// JobRetention deletes agent data older than the 90 days ADS keeps
	// (package agents, Retention). It is a periodic job of no account,
	// like the janitor.
	JobRetention JobKind = "retention"
)

// JobKinds are every kind of job, in the order the health check and the
// metrics list them.
var JobKinds = []JobKind{JobExport, JobImport, JobBatchDelete, JobContinuousStart, JobContinuousStop, JobJanitor, JobRetention}

// Job is one unit of background work in the durable job queue: the task it
// runs (Kind, Account, Ref), when it may run, and who holds it.
//
// A job is claimed by one owner at a time, with a lease until LeaseUntil;
// the owner renews the lease while it works (heartbeat). A job whose lease
// has passed belongs to an owner presumed dead, and another owner may take
// it over. Completing, retrying or failing a job needs its lease: an owner
// whose job was taken over is refused (ErrLeaseLost). Stores that write a
// task's outcome check the same lease, in the same transaction.
type Job struct {
	ID      int64
	Kind    JobKind
	Account string // "" for jobs of no account (the janitor, retention)
	// Ref is the ID of the task the job runs (an export, import, batch
	// delete task or continuous export); "" for the periodic jobs.
	Ref string
	// RunAt is the earliest time the job may be claimed (an export's
	// --export-delay, a continuous export's transition time, a retry).
	RunAt time.Time
	// Owner and LeaseUntil are set while the job is claimed.
	Owner      string
	LeaseUntil time.Time
	// Attempts counts the claims of the job that did not end it: a claim
	// adds one, a release (shutdown, a periodic job's next round) takes it
	// back. A job claimed more than its queue's MaxAttempts times was
	// interrupted every time (its owners died) and is failed.
	Attempts int
	// LastError is the error of the last failed attempt, if any.
	LastError string
	Created   time.Time
}

// Lease is the proof that an owner holds a job: store writes made under a
// lease are refused once another owner took the job over.
type Lease struct {
	Job   int64
	Owner string
}

// Lease returns the lease of a claimed job.
func (j *Job) Lease() Lease { return Lease{Job: j.ID, Owner: j.Owner} }

// ErrLeaseLost is what a store returns (wrapped in a *LeaseLostError) when
// a write needs a lease that its owner no longer holds: the job was taken
// over by another owner, or it is gone (completed by its new owner, or
// deleted by a reset).
var ErrLeaseLost = errors.New("job lease lost")

// LeaseLostError is the typed form of ErrLeaseLost.
type LeaseLostError struct {
	Lease Lease
	// Holder is the job's owner now; "" if the job is gone or unclaimed.
	Holder string
}

func (e *LeaseLostError) Error() string {
	if e.Holder == "" {
		return fmt.Sprintf("job %d: lease of %s lost: the job is gone or free", e.Lease.Job, e.Lease.Owner)
	}
	return fmt.Sprintf("job %d: lease of %s lost: %s holds it", e.Lease.Job, e.Lease.Owner, e.Holder)
}

// Is makes errors.Is(err, ErrLeaseLost) true.
func (e *LeaseLostError) Is(target error) bool { return target == ErrLeaseLost }

// JobDepth counts the jobs of one kind at a moment: Running are leased (the
// lease not passed), Queued are due and waiting for a worker (free, or their
// owner's lease passed), Scheduled are waiting for their time (RunAt).
type JobDepth struct {
	Kind      JobKind
	Running   int
	Queued    int
	Scheduled int
}
