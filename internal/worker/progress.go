package worker

import (
	"context"
	"errors"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// DefaultProgressEvery is the least time between two stored progress
// messages of one export that poseidon uses (Worker.ProgressEvery).
const DefaultProgressEvery = 500 * time.Millisecond

// progress reports how many files of an export are written, in the task's
// statusMessage: one small UPDATE per file at most, never per row, under
// the lease of the export's job, and no more often than
// Worker.ProgressEvery. Each UPDATE is a synced write: an agent export of
// a few thousand rows is built in milliseconds, and storing "D of 7 files"
// eight times would cost it more than building it. A build gets it as a
// parameter and calls fileDone after each file.
type progress struct {
	w       *Worker
	lease   discovery.Lease
	account string
	id      string
	total   int
	done    int
	shown   int       // the highest done stored so far
	last    time.Time // when the build started or progress was last stored
	stopped bool
}

func (w *Worker) newProgress(l discovery.Lease, t *discovery.ExportTask) *progress {
	return &progress{w: w, lease: l, account: t.AccountID, id: t.ID, total: exportFiles(t.Kind), shown: -1}
}

// start starts the build: it stores "0 of N files" at once when every
// file's progress is stored (Worker.ProgressEvery is zero).
func (p *progress) start(ctx context.Context) {
	p.last = time.Now()
	if p.w.ProgressEvery <= 0 {
		p.store(ctx)
	}
}

// fileDone records that the export wrote one more file.
func (p *progress) fileDone(ctx context.Context) {
	p.done++
	if p.done > p.total {
		p.total = p.done
	}
	if p.done > p.shown && time.Since(p.last) >= p.w.ProgressEvery {
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
	p.shown, p.last = p.done, time.Now()
	if p.w.OnProgress != nil {
		p.w.OnProgress(p.id, msg)
	}
}
