package worker

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/queue"
)

// Retention lists and marks exports whose data retention has ended.
type Retention interface {
	ExpiringExportTasks(ctx context.Context, cutoff time.Time, limit int) ([]*discovery.ExportTask, error)
	MarkExportExpired(ctx context.Context, id, message string) error
}

// Janitor deletes export data 10 days (discovery.Retention) after the export
// finished, by the virtual clock. The task stays SUCCEEDED; its message says
// the data expired. It is the queue.Handler of discovery.JobJanitor, a
// periodic job (every minute, and as soon as the clock moves past its next
// round).
type Janitor struct {
	Store Retention
	// Files is the archive store the expired archives are deleted from.
	Files Archives
	Now   func() time.Time
	Log   *slog.Logger
}

var _ queue.Handler = (*Janitor)(nil)

// JanitorEvery is how often the janitor's job runs.
const JanitorEvery = time.Minute

// Sweep deletes the data of every expired export once. It returns how many
// exports it expired.
func (j *Janitor) Sweep(ctx context.Context) (int, error) {
	n := 0
	for {
		tasks, err := j.Store.ExpiringExportTasks(ctx, j.Now().Add(-discovery.Retention), 100)
		if err != nil {
			return n, err
		}
		for _, t := range tasks {
			if err := j.Files.Remove(ctx, t.AccountID, t.ID); err != nil {
				return n, err
			}
			if err := j.Store.MarkExportExpired(ctx, t.ID, discovery.ExpiredMessage); err != nil {
				return n, err
			}
			n++
		}
		if len(tasks) < 100 {
			return n, nil
		}
	}
}

// Handle sweeps once.
func (j *Janitor) Handle(ctx context.Context, _ *discovery.Job) error {
	n, err := j.Sweep(ctx)
	if n > 0 && j.Log != nil {
		j.Log.InfoContext(ctx, "export data expired", "count", n)
	}
	if err != nil {
		return fmt.Errorf("export retention sweep: %w", err)
	}
	return nil
}

// GiveUp is never called for a periodic job; it returns a reason anyway.
func (j *Janitor) GiveUp(context.Context, *discovery.Job, error) string {
	return "the export retention sweep failed"
}
