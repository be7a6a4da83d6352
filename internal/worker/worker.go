// Package worker turns export tasks into archives. The Worker is the handler
// of the job queue's export jobs (package queue): it renders a task's
// archive into an archive store (Archives: a directory whose files are
// synced and renamed into place, or a database every replica reads), and
// records the outcome under the job's lease. The Janitor, a periodic job,
// deletes export data when its retention ends.
package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/queue"
)

// Archives is where the worker writes export archives and the janitor
// deletes them: exportfile.Dir (files in the data directory) or the
// PostgreSQL store's archives, which every replica reads.
type Archives interface {
	// Write renders an export's archive with fn and stores it atomically:
	// until Write returns nil, readers see the previous archive of the
	// export or none, never part of this one; on failure nothing of it
	// is left. It returns the size written. Failures of the store itself
	// (those of the writer fn writes to included) are
	// *exportfile.FileError or *discovery.ArchiveError values; fn's own
	// errors are returned as they are.
	Write(ctx context.Context, account, exportID string, fn func(io.Writer) error) (int64, error)
	// Remove deletes an export's archive; a missing one is not an error.
	Remove(ctx context.Context, account, exportID string) error
	// RemoveTemp deletes what unfinished writes of an export left (their
	// process died) and returns how many it removed.
	RemoveTemp(ctx context.Context, account, exportID string) (int, error)
}

// Store reads export tasks and their rows and records their outcome.
// sqlite.DB implements it.
type Store interface {
	// GetExportTask returns discovery.ErrNotFound for a task that is gone.
	GetExportTask(ctx context.Context, account, id string) (*discovery.ExportTask, error)
	// FinishExportTask records the outcome of an IN_PROGRESS task under
	// the lease of its job: discovery.ErrNotFound if the task is gone,
	// discovery.ErrLeaseLost if the job was taken over.
	FinishExportTask(ctx context.Context, l discovery.Lease, account, id string, r discovery.ExportResult, now time.Time) error
	// FinishExportJob is FinishExportTask that also completes the job in
	// the same transaction.
	FinishExportJob(ctx context.Context, l discovery.Lease, account, id string, r discovery.ExportResult, now time.Time) error
	// ReportExportProgress sets the statusMessage of an IN_PROGRESS task
	// under the lease of its job (an error otherwise).
	ReportExportProgress(ctx context.Context, l discovery.Lease, account, id, message string) error
	GetAgent(ctx context.Context, account, id string) (*discovery.Agent, error)
	RowSource
}

// RecoveryFailedMessage is the statusMessage of an export whose job was
// interrupted queue.DefaultMaxAttempts times (its server stopped while
// building it).
const RecoveryFailedMessage = "Export failed: the server stopped while building this export 3 times. Start a new export."

// internalFailureMessage is the statusMessage of an export that failed for
// a reason other than its file (the store failing, say), once its attempts
// are spent.
const internalFailureMessage = "Export failed: an internal error occurred while building the export file. Start a new export."

// Worker builds export tasks: it is the queue.Handler of discovery.JobExport.
type Worker struct {
	Store Store
	// Files is the archive store the exports are written to.
	Files Archives
	Now   func() time.Time
	Log   *slog.Logger
	// MaxExportBytes caps the uncompressed CSV bytes of one agent export;
	// DefaultMaxExportBytes if zero. An export that would pass it ends at a
	// report boundary and is truncated.
	MaxExportBytes int64
	// ProgressEvery is the least time (real, monotonic) between two
	// progress messages stored for one export: a file done sooner after
	// the build started or after the last stored message is not shown.
	// Zero stores "0 of N files" at the start and a message after every
	// file. poseidon uses DefaultProgressEvery.
	ProgressEvery time.Duration
	// OnProgress, if not nil, is called after each progress message is
	// stored in an export's statusMessage (tests use it to observe progress).
	OnProgress func(exportID, message string)
	// OnFinish, if not nil, is called with an export's final status
	// (SUCCEEDED, FAILED) and build time once this worker recorded its
	// outcome (the server's metrics count them).
	OnFinish func(status string, took time.Duration)
	// OnGiveUp, if not nil, is called when the job queue fails an export
	// whose attempts are spent (GiveUp); the server's metrics count it.
	OnGiveUp func()
	// Faults, if not nil, are the faults injected through the control API
	// (package faults): an export may be made to fail, or held
	// IN_PROGRESS until released.
	Faults Faults
}

// Faults are the injected faults an export consults as it starts building.
type Faults interface {
	// ExportStart tells whether the export must fail, with which
	// statusMessage, or be held (then Hold waits).
	ExportStart(ctx context.Context, account, id string) (message string, fail bool, err error)
	// Hold waits while the export is held; it returns ctx's error if ctx
	// ends first.
	Hold(ctx context.Context, account, id string) error
}

var _ queue.Handler = (*Worker)(nil)

func (w *Worker) log() *slog.Logger {
	if w.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return w.Log
}

// Handle builds the export of an export job and records its outcome under
// the job's lease. A task already finished (by an earlier owner of the job)
// or gone is left as it is. The build goes on to its end even if ctx ends
// (shutdown, lost lease): the store then decides whether its outcome counts.
func (w *Worker) Handle(ctx context.Context, j *discovery.Job) error {
	task, err := w.Store.GetExportTask(ctx, j.Account, j.Ref)
	if errors.Is(err, discovery.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read export task: %w", err)
	}
	if task.Status != discovery.ExportInProgress {
		return nil
	}
	var injected *discovery.ExportResult
	if w.Faults != nil {
		// An injected failure ends the export as a real one does; a
		// held export waits here, its job's lease heartbeated by the
		// runner. Shutdown ends the wait and gives the job back.
		msg, fail, err := w.Faults.ExportStart(ctx, task.AccountID, task.ID)
		if err != nil {
			return fmt.Errorf("read injected faults: %w", err)
		}
		if fail {
			r := failed(msg)
			injected = &r
		} else if err := w.Faults.Hold(ctx, task.AccountID, task.ID); err != nil {
			return err
		}
	}
	// Finish the task even if shutdown starts meanwhile.
	ctx = context.WithoutCancel(ctx)
	log := w.log().With("exportId", task.ID, "accountId", task.AccountID, "kind", task.Kind)
	if j.Attempts > 1 {
		// An owner died while building it: its unfinished archive goes.
		if n, err := w.Files.RemoveTemp(ctx, task.AccountID, task.ID); err != nil {
			log.WarnContext(ctx, "remove the temporary file of an interrupted build", "err", err)
		} else if n > 0 {
			log.InfoContext(ctx, "removed the temporary file of an interrupted build", "files", n)
		}
	}
	start := time.Now()
	var res discovery.ExportResult
	if injected != nil {
		res = *injected
	} else {
		res = w.build(ctx, task, w.newProgress(j.Lease(), task))
	}
	// The outcome and the job's completion commit together.
	err = w.Store.FinishExportJob(ctx, j.Lease(), task.AccountID, task.ID, res, w.Now())
	switch {
	case errors.Is(err, discovery.ErrNotFound):
		// A reset removed the task while it was built.
		w.Files.Remove(ctx, task.AccountID, task.ID)
		return nil
	case err != nil:
		// A lost lease: the owner that took the job over writes (or
		// wrote) the same file and records the outcome. Another error:
		// the job is tried again.
		return fmt.Errorf("record export outcome: %w", err)
	}
	took := time.Since(start)
	log.InfoContext(ctx, "export finished", "status", res.Status, "bytes", res.FileSize, "took", took)
	if w.OnFinish != nil {
		w.OnFinish(string(res.Status), took)
	}
	return queue.ErrCompleted
}

// GiveUp removes what the job's builds left and returns the statusMessage
// of the failed export.
func (w *Worker) GiveUp(ctx context.Context, j *discovery.Job, cause error) string {
	if _, err := w.Files.RemoveTemp(ctx, j.Account, j.Ref); err != nil {
		w.log().WarnContext(ctx, "remove the temporary file of an interrupted build", "exportId", j.Ref, "err", err)
	}
	if w.OnGiveUp != nil {
		w.OnGiveUp()
	}
	if errors.Is(cause, queue.ErrInterrupted) {
		return RecoveryFailedMessage
	}
	return internalFailureMessage
}
