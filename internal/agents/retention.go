package agents

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/queue"
)

// DataRetention is how long agent data is kept: ADS keeps 90 days of data
// (ads_service_limits). Time-series rows whose time is more than this before
// the (virtual) clock's now are removed.
const DataRetention = 90 * 24 * time.Hour

// RetentionEvery is how often the retention job runs (and at once when
// the clock moves).
const RetentionEvery = 10 * time.Minute

// DefaultRetentionBatch is how many rows of each series one store call of
// a sweep deletes at most, when Retention.Batch is zero.
const DefaultRetentionBatch = 1000

// RetentionStore deletes agent data whose retention has ended.
type RetentionStore interface {
	// DeleteAgentDataBefore deletes, in one short write, at most limit
	// rows of each agent time series (the performance samples and the
	// system, process and connection observations of every account) whose
	// time is before cutoff, and at most limit entries of the intake
	// ledger (the report IDs taken in, which make intake idempotent)
	// taken in before cutoff. It returns how many rows it deleted in all;
	// 0 when none was left (or each was locked by another writer, in a
	// store with row locks: those are for the next round). Configuration
	// items, agents and export tasks are not touched.
	DeleteAgentDataBefore(ctx context.Context, cutoff time.Time, limit int) (int, error)
	// MoveFirstData sets the first data time of every agent whose first
	// data is before cutoff to the time of its oldest report still stored
	// (none if none is left), so that an agent export without a start
	// time starts at data that exists. It returns how many agents it
	// changed.
	MoveFirstData(ctx context.Context, cutoff time.Time) (int, error)
}

// Retention removes agent data older than DataRetention by the virtual
// clock, for every account. It is the queue.Handler of
// discovery.JobRetention, a periodic job (every RetentionEvery). A sweep
// deletes in batches of Batch rows per series, each its own short write, so
// that intake and the other writers get their turn in between: it never
// holds a long write lock.
type Retention struct {
	Store RetentionStore
	Now   func() time.Time
	Log   *slog.Logger
	// Batch is the rows per series of one delete; DefaultRetentionBatch if
	// zero.
	Batch int
}

var _ queue.Handler = (*Retention)(nil)

// Sweep deletes every row whose retention has ended, batch after batch
// until none is left, then moves the agents' first data times. It returns
// how many rows it deleted. It stops between batches when ctx ends.
func (r *Retention) Sweep(ctx context.Context) (int, error) {
	cutoff := r.Now().Add(-DataRetention)
	limit := r.Batch
	if limit <= 0 {
		limit = DefaultRetentionBatch
	}
	total := 0
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		n, err := r.Store.DeleteAgentDataBefore(ctx, cutoff, limit)
		total += n
		if err != nil {
			return total, err
		}
		if n == 0 {
			break
		}
	}
	if _, err := r.Store.MoveFirstData(ctx, cutoff); err != nil {
		return total, err
	}
	return total, nil
}

// Handle sweeps once.
func (r *Retention) Handle(ctx context.Context, _ *discovery.Job) error {
	n, err := r.Sweep(ctx)
	if n > 0 && r.Log != nil {
		r.Log.InfoContext(ctx, "agent data past its retention deleted", "rows", n, "retention", DataRetention.String())
	}
	if err != nil {
		return fmt.Errorf("agent data retention sweep: %w", err)
	}
	return nil
}

// GiveUp is never called for a periodic job; it returns a reason anyway.
func (r *Retention) GiveUp(context.Context, *discovery.Job, error) string {
	return "the agent data retention sweep failed"
}
