package worker

import (
	"context"
	"errors"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// progress reports how many files of an export are written, in the task's
// statusMessage: one small UPDATE per file, never per row, under the lease
// of the export's job. A build gets it as a parameter and calls fileDone
// after each file.
type progress struct {
	w       *Worker
	lease   discovery.Lease
	account string
	id      string
	total   int
	done    int
	shown   int // the highest done stored so far
	stopped bool
}

func (w *Worker) newProgress(l discovery.Lease, t *discovery.ExportTask) *progress {
	return &progress{w: w, lease: l, account: t.AccountID, id: t.ID, total: exportFiles(t.Kind), shown: -1}
}

// start stores "0 of N files".
func (p *progress) start(ctx context.Context) { p.store(ctx) }

// fileDone records that the export wrote one more file.
func (p *progress) fileDone(ctx context.Context) {
	p.done++
	if p.done > p.total {
		p.total = p.done
	}
	if p.done > p.shown {
		p.store(ctx)
	}
}

// restart starts counting files again, for a build that writes its archive
// once more. The stored message never goes back: it moves on only once the
// new pass gets further than the stored count.
func (p *progress) restart() { p.done = 0 }

func (p *progress) store(ctx context.Context) {
	if p.stopped {
		return
	}
	msg := discovery.ProgressMessage(p.done, p.total)
	if err := p.w.Store.ReportExportProgress(ctx, p.lease, p.account, p.id, msg); err != nil {
		// Lost lease or reset: the build goes on, and recording its
		// outcome decides.
		p.stopped = true
		if !errors.Is(err, discovery.ErrNotFound) && !errors.Is(err, discovery.ErrLeaseLost) {
			p.w.log().WarnContext(ctx, "store export progress", "exportId", p.id, "err", err)
		}
		return
	}
	p.shown = p.done
	if p.w.OnProgress != nil {
		p.w.OnProgress(p.id, msg)
	}
}
