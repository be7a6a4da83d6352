package worker

import (
	"context"
	"log/slog"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/exportfile"
)

// Retention lists and marks exports whose data retention has ended.
type Retention interface {
	ExpiringExportTasks(ctx context.Context, cutoff time.Time, limit int) ([]*discovery.ExportTask, error)
	MarkExportExpired(ctx context.Context, id, message string) error
}

// Janitor deletes export data 10 days (discovery.Retention) after the export
// finished, by the virtual clock. The task stays SUCCEEDED; its message says
// the data expired.
type Janitor struct {
	Store   Retention
	Files   exportfile.Dir
	Now     func() time.Time
	Log     *slog.Logger
	Every   time.Duration   // 1 minute if zero
	Changed <-chan struct{} // virtual clock moves; may be nil
}

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
			if err := j.Files.Remove(t.AccountID, t.ID); err != nil {
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

// Run sweeps every j.Every and whenever the clock moves, until ctx ends.
func (j *Janitor) Run(ctx context.Context) error {
	every := j.Every
	if every <= 0 {
		every = time.Minute
	}
	log := j.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if n, err := j.Sweep(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			log.ErrorContext(ctx, "export retention sweep", "err", err)
		} else if n > 0 {
			log.InfoContext(ctx, "export data expired", "count", n)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-j.Changed:
		}
	}
}
