package batchdelete

import (
	"context"
	"errors"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/queue"
)

// Runner executes batch delete tasks off the request path: it is the
// queue.Handler of discovery.JobBatchDelete. A task runs in one store
// transaction, under the lease of its job, so a stop or a crash leaves it
// pending for the job's next owner.
type Runner struct {
	Store Store
	Now   func() time.Time
}

var _ queue.Handler = (*Runner)(nil)

// Handle executes the job's task (Execute) in one transaction under the
// job's lease; a task gone or already finished is left as it is.
func (r *Runner) Handle(ctx context.Context, j *discovery.Job) error {
	end := r.Now()
	return r.Store.BatchDeleteTx(ctx, j.Lease(), j.Account, func(tx discovery.BatchDeleteTx) error {
		return Execute(ctx, tx, j.Ref, end)
	})
}

// GiveUp returns the reason of a task that could not run; it ends FAILED.
func (r *Runner) GiveUp(_ context.Context, _ *discovery.Job, cause error) string {
	if errors.Is(cause, queue.ErrInterrupted) {
		return "the server stopped while running the batch delete too many times"
	}
	return "the batch delete could not run: " + cause.Error()
}
