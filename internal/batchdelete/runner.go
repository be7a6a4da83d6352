package batchdelete

import (
	"context"
	"log/slog"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// Runner executes pending tasks of every account, off the request path.
type Runner struct {
	Store   Store
	Now     func() time.Time
	Log     *slog.Logger
	Every   time.Duration   // poll interval; 100ms if zero
	Changed <-chan struct{} // virtual clock moves; may be nil
	Wake    <-chan struct{} // a task was started; may be nil
}

// RunPending executes every pending task once and returns how many it ran.
func (r *Runner) RunPending(ctx context.Context) (int, error) {
	n := 0
	for {
		tasks, err := r.Store.PendingBatchDeleteTasks(ctx, 50)
		if err != nil {
			return n, err
		}
		for _, t := range tasks {
			end := r.Now()
			if err := r.Store.BatchDeleteTx(ctx, t.AccountID, func(tx discovery.BatchDeleteTx) error {
				return Execute(ctx, tx, t.ID, end)
			}); err != nil {
				return n, err
			}
			n++
		}
		if len(tasks) < 50 {
			return n, nil
		}
	}
}

// Run executes pending tasks until ctx ends. A task runs in one
// transaction, so a stop or a crash leaves it pending for the next start.
func (r *Runner) Run(ctx context.Context) {
	every := r.Every
	if every <= 0 {
		every = 100 * time.Millisecond
	}
	log := r.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if n, err := r.RunPending(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			log.ErrorContext(ctx, "batch delete", "err", err)
		} else if n > 0 {
			log.DebugContext(ctx, "batch delete tasks completed", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-r.Changed:
		case <-r.Wake:
		}
	}
}
