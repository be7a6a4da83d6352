// Package worker turns queued export tasks into files. A pool of goroutines
// claims tasks from the store (the durable queue), renders each archive to a
// temporary file that is synced and renamed into place, and records the
// outcome. A janitor deletes export data when its retention ends.
package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
	RecoverExportTasks(ctx context.Context, maxAttempts int, failMessage string, now time.Time) (requeued, failed int, err error)
	GetAgent(ctx context.Context, account, id string) (*discovery.Agent, error)
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

// build renders the task's archive and returns the outcome to record.
func (w *Worker) build(ctx context.Context, t *discovery.ExportTask) discovery.ExportResult {
	var (
		files  []exportfile.File
		extras []exportfile.Extra
		trunc  bool
	)
	switch t.Kind {
	case discovery.KindAgent:
		agent, err := w.Queue.GetAgent(ctx, t.AccountID, t.AgentID)
		if errors.Is(err, discovery.ErrNotFound) {
			return failed(fmt.Sprintf("Export failed: agent %s was not found in this account. Check the agent ID with DescribeAgents.", t.AgentID))
		}
		if err != nil {
			w.Log.ErrorContext(ctx, "get agent", "err", err, "exportId", t.ID)
			return failed("Export failed: an internal error occurred while reading the agent's data.")
		}
		win := resolveWindow(t, agent, w.Now())
		trunc = win.Truncated
		for _, l := range exportfile.AgentLayouts {
			files = append(files, exportfile.File{Layout: l})
		}
		extras = append(extras, exportfile.Extra{Name: "results.json", Body: resultsJSON(t, win, len(files))})
	default:
		for _, l := range exportfile.SummaryLayouts {
			files = append(files, exportfile.File{Layout: l})
		}
	}
	size, err := w.Files.Write(t.AccountID, t.ID, func(out io.Writer) error {
		return exportfile.WriteZip(out, t.AccountID, t.RequestTime, files, extras)
	})
	if err != nil {
		w.Log.ErrorContext(ctx, "write export file", "err", err, "exportId", t.ID)
		return failed("Export failed: the export file could not be written: " + err.Error())
	}
	return discovery.ExportResult{Status: discovery.ExportSucceeded, Message: discovery.SucceededMessage, IsTruncated: trunc, FileSize: size}
}

func failed(msg string) discovery.ExportResult {
	return discovery.ExportResult{Status: discovery.ExportFailed, Message: msg}
}

// Window is the span of agent data an export holds.
type Window struct {
	Start, End time.Time
	Truncated  bool
}

// resolveWindow applies DECISIONS.md: a missing startTime means the agent's
// first data, a missing endTime its latest data (or now, if it has none), and
// a window longer than 72 hours keeps its first 72 hours and is truncated.
func resolveWindow(t *discovery.ExportTask, a *discovery.Agent, now time.Time) Window {
	var w Window
	switch {
	case t.RequestedEnd != nil:
		w.End = *t.RequestedEnd
	case !a.LastData.IsZero():
		w.End = a.LastData
	default:
		w.End = now
	}
	switch {
	case t.RequestedStart != nil:
		w.Start = *t.RequestedStart
	case !a.FirstData.IsZero():
		w.Start = a.FirstData
	default:
		w.Start = w.End.Add(-discovery.MaxAgentWindow)
	}
	if w.End.Sub(w.Start) > discovery.MaxAgentWindow {
		w.End = w.Start.Add(discovery.MaxAgentWindow)
		w.Truncated = true
	}
	return w
}

const resultsTime = "2006-01-02 15:04:05"

// resultsJSON is the agent export's {account}_results.json, with the keys
// that readers of real exports use (ads-spec §5.2).
func resultsJSON(t *discovery.ExportTask, w Window, files int) []byte {
	type filter struct {
		Name      string   `json:"Name"`
		Values    []string `json:"Values"`
		Condition string   `json:"Condition"`
	}
	summary := map[string]any{
		"isTruncated":     w.Truncated,
		"ActualStartTime": w.Start.UTC().Format(resultsTime),
		"ActualEndTime":   w.End.UTC().Format(resultsTime),
	}
	fmtOpt := func(p *time.Time) any {
		if p == nil {
			return nil
		}
		return p.UTC().Format(resultsTime)
	}
	body, _ := json.MarshalIndent(map[string]any{
		"CustomerAccount":      t.AccountID,
		"ExportId":             t.ID,
		"RequestedFilters":     []filter{{Name: "agentIds", Values: []string{t.AgentID}, Condition: "EQUALS"}},
		"RequestedStartTime":   fmtOpt(t.RequestedStart),
		"RequestedEndTime":     fmtOpt(t.RequestedEnd),
		"ResultFilesGenerated": files,
		"ExportStartedAt":      t.RequestTime.UTC().Format(resultsTime),
		"ExportStatus":         string(discovery.ExportSucceeded),
		"StatusMessage":        discovery.SucceededMessage,
		"ExportSummary":        summary,
	}, "", "  ")
	return body
}

// ProcessOne claims and builds at most one task, synchronously. It reports
// whether it found one. Tests use it to step the worker.
func (w *Worker) ProcessOne(ctx context.Context) bool {
	w.init()
	return w.processOne(ctx)
}
