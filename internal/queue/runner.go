package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// Runner runs the jobs of a Store: one loop claims due jobs of its kinds
// (woken by Wake, by the clock moving, by a job ending, and every Poll),
// heartbeats the leases of the jobs running, and hands each job to its
// kind's Handler on a goroutine of its own, at most Kind.Workers of a kind
// at once. Leases are read on the injected clock (Now), the virtual clock
// of poseidon.
type Runner struct {
	Store Store
	Kinds map[discovery.JobKind]Kind
	Now   func() time.Time
	// Changed, if not nil, signals that the clock moved: leases are
	// renewed at once and due jobs claimed.
	Changed <-chan struct{}
	Log     *slog.Logger
	// Owner names this runner in the store's leases; a new one per runner
	// ("host/pid/random") if empty. Two runners must not share one.
	Owner string
	// Succeeds, if not empty, is the start of the owner names of the
	// runners this one takes the place of, all known to be dead (their
	// process ended; cmd/poseidon knows it from a lock they held while
	// alive). When Run starts, the leases of their jobs end, so that the
	// jobs are taken over at once rather than when the leases would have
	// passed. Owner starts with it.
	Succeeds string
	// Poll is how often the loop looks for due jobs without being woken
	// (jobs of other processes, RunAt reached, leases passed);
	// DefaultPoll if zero.
	Poll time.Duration
	// Lease is how long a claim lasts without a heartbeat; heartbeats come
	// every Lease/3. A job whose owner died runs again once its lease has
	// passed. DefaultLease if zero.
	Lease time.Duration
	// MaxAttempts is how many attempts a job gets; DefaultMaxAttempts if zero.
	MaxAttempts int
	// Backoff is the pause before a failed job runs again, times the
	// attempts so far; DefaultBackoff if zero.
	Backoff time.Duration

	once    sync.Once
	wake    chan struct{}
	ended   chan struct{}
	mu      sync.Mutex
	running map[int64]*running
	busy    map[discovery.JobKind]int
}

// running is a job being handled by this runner.
type running struct {
	job    *discovery.Job
	ctx    context.Context // the handler's: ends with the runner or the lease
	cancel context.CancelFunc
	beat   time.Time // real time of the claim or last heartbeat (loop only)
	lost   atomic.Bool
}

func (r *Runner) init() {
	r.once.Do(func() {
		if r.Owner == "" {
			r.Owner = NewOwner()
		}
		if r.Poll <= 0 {
			r.Poll = DefaultPoll
		}
		if r.Lease <= 0 {
			r.Lease = DefaultLease
		}
		if r.MaxAttempts <= 0 {
			r.MaxAttempts = DefaultMaxAttempts
		}
		if r.Backoff <= 0 {
			r.Backoff = DefaultBackoff
		}
		if r.Log == nil {
			r.Log = slog.New(slog.DiscardHandler)
		}
		r.wake = make(chan struct{}, 1)
		r.ended = make(chan struct{}, 1)
		r.running = map[int64]*running{}
		r.busy = map[discovery.JobKind]int{}
	})
}

// NewOwner returns a new owner name: "host/pid/random".
func NewOwner() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), uuid.NewString()[:8])
}

// Wake asks the runner to look for due jobs now (a job was enqueued). It
// never blocks.
func (r *Runner) Wake() {
	r.init()
	signal(r.wake)
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// Run runs jobs until ctx ends, then waits for the jobs running to end
// (their handlers see ctx end), heartbeating them meanwhile. It enqueues
// the periodic kinds' jobs first. It returns nil.
func (r *Runner) Run(ctx context.Context) error {
	r.init()
	bg := context.WithoutCancel(ctx)
	if r.Succeeds != "" {
		n, err := r.Store.ExpireLeases(ctx, r.Succeeds, r.Owner, r.Now())
		switch {
		case err != nil && ctx.Err() == nil:
			r.Log.ErrorContext(ctx, "end the leases of a dead predecessor", "owners", r.Succeeds+"*", "err", err)
		case n > 0:
			r.Log.InfoContext(ctx, "jobs of a dead predecessor taken over", "owners", r.Succeeds+"*", "jobs", n)
		}
	}
	r.schedulePeriodic(ctx)
	var wg sync.WaitGroup
	t := time.NewTicker(r.Poll)
	defer t.Stop()
	stop := ctx.Done()
	stopping := false
	for {
		r.heartbeat(bg, false)
		if stopping {
			if r.idle() {
				wg.Wait()
				return nil
			}
		} else {
			r.claim(ctx, &wg)
		}
		select {
		case <-stop:
			stop, stopping = nil, true
		case <-t.C:
		case <-r.wake:
		case <-r.ended:
		case <-r.Changed:
			r.heartbeat(bg, true)
			if !stopping {
				r.schedulePeriodic(ctx)
			}
		}
	}
}

// schedulePeriodic makes the periodic kinds' jobs due now: when the runner
// starts and whenever the clock moves (also back, past their next round).
func (r *Runner) schedulePeriodic(ctx context.Context) {
	for kind, k := range r.Kinds {
		if k.Every > 0 {
			if err := r.Store.Enqueue(ctx, &discovery.Job{Kind: kind, RunAt: r.Now()}); err != nil && ctx.Err() == nil {
				r.Log.ErrorContext(ctx, "enqueue periodic job", "kind", kind, "err", err)
			}
		}
	}
}

// Step claims one due job of the runner's kinds and handles it to its end
// on the calling goroutine. It reports whether it found one. Tests step a
// runner with it instead of Run.
func (r *Runner) Step(ctx context.Context) (bool, error) {
	r.init()
	now := r.Now()
	job, err := r.Store.Claim(ctx, r.Owner, slices.Sorted(maps.Keys(r.Kinds)), now, now.Add(r.Lease))
	if err != nil || job == nil {
		return false, err
	}
	rn := r.track(ctx, job)
	r.execute(ctx, rn)
	r.untrack(rn)
	return true, nil
}

// Heartbeat renews the leases of the jobs running now, at once. Run does it
// every Lease/3 and when the clock moves; tests call it.
func (r *Runner) Heartbeat(ctx context.Context) {
	r.init()
	r.heartbeat(ctx, true)
}

func (r *Runner) idle() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.running) == 0
}

// freeKinds lists the kinds with a free worker.
func (r *Runner) freeKinds() []discovery.JobKind {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []discovery.JobKind
	for kind, k := range r.Kinds {
		if r.busy[kind] < max(k.Workers, 1) {
			out = append(out, kind)
		}
	}
	slices.Sort(out)
	return out
}

// claim starts due jobs while a kind has a free worker.
func (r *Runner) claim(ctx context.Context, wg *sync.WaitGroup) {
	for ctx.Err() == nil {
		kinds := r.freeKinds()
		if len(kinds) == 0 {
			return
		}
		now := r.Now()
		job, err := r.Store.Claim(ctx, r.Owner, kinds, now, now.Add(r.Lease))
		if err != nil {
			if ctx.Err() == nil {
				r.Log.ErrorContext(ctx, "claim job", "err", err)
			}
			return
		}
		if job == nil {
			return
		}
		rn := r.track(ctx, job)
		wg.Go(func() {
			r.execute(ctx, rn)
			r.untrack(rn)
			signal(r.ended)
		})
	}
}

func (r *Runner) track(ctx context.Context, job *discovery.Job) *running {
	rn := &running{job: job, beat: time.Now()}
	rn.ctx, rn.cancel = context.WithCancel(ctx)
	r.mu.Lock()
	r.running[job.ID] = rn
	r.busy[job.Kind]++
	r.mu.Unlock()
	return rn
}

func (r *Runner) untrack(rn *running) {
	rn.cancel()
	r.mu.Lock()
	delete(r.running, rn.job.ID)
	r.busy[rn.job.Kind]--
	r.mu.Unlock()
}

// heartbeat renews the leases of the running jobs whose last renewal is
// Lease/3 old (all of them if all). A job whose lease was lost is told so:
// its handler's context ends, and nothing more is written under its lease.
func (r *Runner) heartbeat(ctx context.Context, all bool) {
	r.mu.Lock()
	var due []*running
	for _, rn := range r.running {
		if !rn.lost.Load() && (all || time.Since(rn.beat) >= r.Lease/3) {
			due = append(due, rn)
		}
	}
	r.mu.Unlock()
	for _, rn := range due {
		err := r.Store.Heartbeat(ctx, rn.job.Lease(), r.Now().Add(r.Lease))
		switch {
		case errors.Is(err, discovery.ErrLeaseLost):
			rn.lost.Store(true)
			rn.cancel()
			r.Log.WarnContext(ctx, "job lease lost while running: the job was taken over, or deleted (reset)", r.attrs(rn.job, "err", err)...)
		case err != nil:
			r.Log.ErrorContext(ctx, "job heartbeat", r.attrs(rn.job, "err", err)...)
		default:
			r.mu.Lock()
			rn.beat = time.Now()
			r.mu.Unlock()
		}
	}
}

func (r *Runner) attrs(j *discovery.Job, more ...any) []any {
	return append([]any{"job", j.ID, "kind", j.Kind, "accountId", j.Account, "ref", j.Ref, "attempt", j.Attempts}, more...)
}

// execute handles one claimed job and records how it ended. runCtx is the
// runner's: when it ends, the handler is told, and a job it stopped is
// given back without counting the attempt.
func (r *Runner) execute(runCtx context.Context, rn *running) {
	job := rn.job
	k := r.Kinds[job.Kind]
	bg := context.WithoutCancel(runCtx)
	l := job.Lease()
	if k.Handler == nil {
		r.Log.ErrorContext(bg, "job of a kind without handler", r.attrs(job)...)
		r.finish(runCtx, job, func() error { return r.Store.Release(bg, l, r.Now().Add(r.Lease)) })
		return
	}
	if job.Attempts > r.MaxAttempts && k.Every == 0 {
		reason := k.Handler.GiveUp(bg, job, ErrInterrupted)
		r.Log.ErrorContext(bg, "job failed: interrupted too often", r.attrs(job, "reason", reason)...)
		r.finish(runCtx, job, func() error { return r.Store.Fail(bg, l, reason, r.Now()) })
		return
	}
	start := time.Now()
	err := k.Handler.Handle(rn.ctx, job)
	took := time.Since(start)
	var op func() error
	switch {
	case rn.lost.Load() || errors.Is(err, discovery.ErrLeaseLost):
		r.Log.InfoContext(bg, "job lease lost: the job was taken over, or deleted (reset)", r.attrs(job, "err", err)...)
		return
	case errors.Is(err, ErrCompleted) && k.Every == 0:
		r.Log.DebugContext(bg, "job done", r.attrs(job, "took", took)...)
		return
	case k.Every > 0 && err != nil && runCtx.Err() != nil:
		// A sweep cut short by shutdown is not an error: it runs again at
		// the next start rather than a whole period later.
		r.Log.InfoContext(bg, "periodic job stopped by shutdown; it runs again", r.attrs(job, "err", err)...)
		op = func() error { return r.Store.Release(bg, l, r.Now()) }
	case k.Every > 0:
		if err != nil {
			r.Log.ErrorContext(bg, "periodic job", r.attrs(job, "err", err)...)
		}
		op = func() error { return r.Store.Release(bg, l, r.Now().Add(k.Every)) }
	case err == nil:
		r.Log.DebugContext(bg, "job done", r.attrs(job, "took", took)...)
		op = func() error { return r.Store.Complete(bg, l) }
	case runCtx.Err() != nil:
		r.Log.InfoContext(bg, "job stopped by shutdown; it runs again", r.attrs(job, "err", err)...)
		op = func() error { return r.Store.Release(bg, l, r.Now()) }
	case job.Attempts >= r.MaxAttempts:
		reason := k.Handler.GiveUp(bg, job, err)
		r.Log.ErrorContext(bg, "job failed", r.attrs(job, "err", err, "reason", reason)...)
		op = func() error { return r.Store.Fail(bg, l, reason, r.Now()) }
	default:
		at := r.Now().Add(time.Duration(job.Attempts) * r.Backoff)
		r.Log.WarnContext(bg, "job attempt failed; it runs again", r.attrs(job, "err", err, "retryAt", at)...)
		op = func() error { return r.Store.Retry(bg, l, at, err.Error()) }
	}
	r.finish(runCtx, job, op)
}

// finish records how a job ended, trying again every Poll while the store
// fails (the job stays leased, and heartbeated, meanwhile). A lost lease
// ends it: the job's new owner records the end. Once the runner stops it
// tries once more, then leaves the job to be taken over.
func (r *Runner) finish(runCtx context.Context, job *discovery.Job, op func() error) {
	for {
		err := op()
		switch {
		case err == nil:
			return
		case errors.Is(err, discovery.ErrLeaseLost):
			r.Log.InfoContext(runCtx, "job end not recorded: the job was taken over, or deleted (reset)", r.attrs(job, "err", err)...)
			return
		}
		r.Log.ErrorContext(runCtx, "record job end", r.attrs(job, "err", err)...)
		if runCtx.Err() != nil {
			return
		}
		select {
		case <-runCtx.Done():
		case <-time.After(r.Poll):
		}
	}
}
