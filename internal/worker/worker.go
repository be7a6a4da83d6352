// Package worker turns queued export tasks into files. A pool of goroutines
// claims tasks from the store (the durable queue), renders each archive to a
// temporary file that is synced and renamed into place, and records the
// outcome. A janitor deletes export data when its retention ends.
package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/exportfile"
)

// Queue hands out export tasks and records their outcome. sqlite.DB implements it.
type Queue interface {
	ClaimExportTask(ctx context.Context, owner string, now, leaseUntil time.Time) (*discovery.ExportTask, error)
	CompleteExportTask(ctx context.Context, owner, id string, r discovery.ExportResult, now time.Time) error
	// ReportExportProgress sets the statusMessage of a task leased by owner
	// that is still IN_PROGRESS (discovery.ErrNotFound otherwise).
	ReportExportProgress(ctx context.Context, owner, id, message string) error
	RecoverExportTasks(ctx context.Context, maxAttempts int, failMessage string, now time.Time) (requeued, failed int, err error)
	GetAgent(ctx context.Context, account, id string) (*discovery.Agent, error)
	RowSource
}

// MaxAttempts is how many times a task may be interrupted by a crash before
// recovery fails it instead of running it again.
const MaxAttempts = 3

// RecoveryFailedMessage is the statusMessage of a task failed by recovery.
const RecoveryFailedMessage = "Export failed: the server stopped while building this export 3 times. Start a new export."

// Worker processes export tasks.
type Worker struct {
	Queue   Queue
	Files   exportfile.Dir
	Now     func() time.Time
	Log     *slog.Logger
	Workers int           // pool size; 2 if zero
	Poll    time.Duration // how often idle workers look for ready tasks; 250ms if zero
	Lease   time.Duration // how long a claim lasts; 10 minutes if zero
	// Changed, if not nil, signals that the virtual clock moved.
	Changed <-chan struct{}
	// MaxExportBytes caps the uncompressed CSV bytes of one agent export;
	// DefaultMaxExportBytes if zero. An export that would pass it ends at a
	// report boundary and is truncated.
	MaxExportBytes int64
	// OnProgress, if not nil, is called after each progress message is
	// stored in an export's statusMessage (tests use it to observe progress).
	OnProgress func(exportID, message string)

	owner string
	wake  chan struct{}
	once  sync.Once
}

func (w *Worker) init() {
	w.once.Do(func() {
		w.owner = "worker-" + uuid.NewString()
		w.wake = make(chan struct{}, 1)
		if w.Workers <= 0 {
			w.Workers = 2
		}
		if w.Poll <= 0 {
			w.Poll = 250 * time.Millisecond
		}
		if w.Lease <= 0 {
			w.Lease = 10 * time.Minute
		}
		if w.Log == nil {
			w.Log = slog.New(slog.DiscardHandler)
		}
	})
}

// Wake asks the workers to look for work now. It never blocks.
func (w *Worker) Wake() {
	w.init()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Recover runs once at start, before Run: it removes half-written files and
// requeues (or, after MaxAttempts, fails) tasks a dead process was building.
func (w *Worker) Recover(ctx context.Context) error {
	w.init()
	n, err := w.Files.CleanTemp()
	if err != nil {
		return fmt.Errorf("clean temporary export files: %w", err)
	}
	requeued, failed, err := w.Queue.RecoverExportTasks(ctx, MaxAttempts, RecoveryFailedMessage, w.Now())
	if err != nil {
		return fmt.Errorf("recover export tasks: %w", err)
	}
	if n+requeued+failed > 0 {
		w.Log.InfoContext(ctx, "recovered interrupted exports", "tempFilesRemoved", n, "requeued", requeued, "failed", failed)
	}
	return nil
}

// Run processes tasks until ctx is canceled; a task being built when ctx ends
// is finished first. It returns nil on cancellation.
func (w *Worker) Run(ctx context.Context) error {
	w.init()
	var wg sync.WaitGroup
	for range w.Workers {
		wg.Go(func() { w.loop(ctx) })
	}
	if w.Changed != nil {
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case <-w.Changed:
					w.Wake()
				}
			}
		})
	}
	wg.Wait()
	return nil
}

func (w *Worker) loop(ctx context.Context) {
	t := time.NewTicker(w.Poll)
	defer t.Stop()
	for {
		for ctx.Err() == nil && w.processOne(ctx) {
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-w.wake:
		}
	}
}

// processOne claims and builds one task. It reports whether it found one.
func (w *Worker) processOne(ctx context.Context) bool {
	now := w.Now()
	task, err := w.Queue.ClaimExportTask(ctx, w.owner, now, now.Add(w.Lease))
	if err != nil {
		if ctx.Err() == nil {
			w.Log.ErrorContext(ctx, "claim export task", "err", err)
		}
		return false
	}
	if task == nil {
		return false
	}
	// Finish the task even if shutdown starts meanwhile.
	ctx = context.WithoutCancel(ctx)
	log := w.Log.With("exportId", task.ID, "accountId", task.AccountID, "kind", task.Kind)
	start := time.Now()
	res := w.build(ctx, task)
	if err := w.Queue.CompleteExportTask(ctx, w.owner, task.ID, res, w.Now()); err != nil {
		if errors.Is(err, discovery.ErrNotFound) {
			// A reset removed the task while it was built.
			w.Files.Remove(task.AccountID, task.ID)
			return true
		}
		log.ErrorContext(ctx, "complete export task", "err", err)
		return true
	}
	log.InfoContext(ctx, "export finished", "status", res.Status, "bytes", res.FileSize, "took", time.Since(start))
	// Wake a sibling: there may be more work queued.
	w.Wake()
	return true
}

// ProcessOne claims and builds at most one task, synchronously. It reports
// whether it found one. Tests use it to step the worker.
func (w *Worker) ProcessOne(ctx context.Context) bool {
	w.init()
	return w.processOne(ctx)
}
