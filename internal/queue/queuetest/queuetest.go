// Package queuetest is the conformance suite of queue.Store: what every
// store of the job queue must do, run against a real database (Run), in
// the tests of each store. It claims, leases, takes over and completes
// jobs through the stores alone and through queue.Runner, with stores that
// share one database as replicas (or processes) do.
package queuetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/clock"
	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/queue"
)

// Store is what the suite needs of a store: the job queue, a look-up of one
// job, and export tasks (whose jobs are created with them) to run as jobs.
type Store interface {
	queue.Store
	// Job returns the queued job of a kind, account and ref, or
	// discovery.ErrNotFound.
	Job(ctx context.Context, kind discovery.JobKind, account, ref string) (*discovery.Job, error)
	CreateExportTask(ctx context.Context, t *discovery.ExportTask, a discovery.ExportAdmission) (*discovery.ExportRefusal, error)
	GetExportTask(ctx context.Context, account, id string) (*discovery.ExportTask, error)
	FinishExportTask(ctx context.Context, l discovery.Lease, account, id string, r discovery.ExportResult, now time.Time) error
	ReportExportProgress(ctx context.Context, l discovery.Lease, account, id, message string) error
}

// Open returns n stores on one new, empty database, each with connections
// of its own, as n processes (replicas) sharing it would have; the test's
// cleanup closes them.
type Open func(t *testing.T, n int) []Store

// Run runs the suite, each test in a subtest on stores of its own.
func Run(t *testing.T, open Open) {
	for _, c := range []struct {
		name string
		fn   func(*testing.T, Open)
	}{
		{"EachJobOnce", testEachJobOnce},
		{"LeaseExpiryTakeOver", testLeaseExpiryTakeOver},
		{"StaleOutcomeRefused", testStaleOutcomeRefused},
		{"HeartbeatKeepsLease", testHeartbeatKeepsLease},
		{"LostLeaseStopsHandler", testLostLeaseStopsHandler},
		{"MaxAttempts", testMaxAttempts},
		{"InterruptedTooOften", testInterruptedTooOften},
		{"ShutdownGivesJobBack", testShutdownGivesJobBack},
		{"PeriodicJob", testPeriodicJob},
		{"PeriodicJobStoppedByShutdown", testPeriodicJobStoppedByShutdown},
		{"SuccessorTakesOverAtOnce", testSuccessorTakesOverAtOnce},
		{"EnqueueOnce", testEnqueueOnce},
	} {
		t.Run(c.name, func(t *testing.T) { c.fn(t, open) })
	}
}

const (
	acct     = "111111111111"
	testKind = discovery.JobKind("test")
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// handlerFunc is a Handler made of functions; GiveUp returns "gave up: "
// and the cause.
type handlerFunc func(ctx context.Context, j *discovery.Job) error

func (f handlerFunc) Handle(ctx context.Context, j *discovery.Job) error { return f(ctx, j) }
func (f handlerFunc) GiveUp(_ context.Context, _ *discovery.Job, cause error) string {
	return "gave up: " + cause.Error()
}

func enqueue(t *testing.T, db Store, kind discovery.JobKind, ref string, at time.Time) {
	t.Helper()
	if err := db.Enqueue(t.Context(), &discovery.Job{Kind: kind, Account: acct, Ref: ref, RunAt: at}); err != nil {
		t.Fatal(err)
	}
}

func jobOf(t *testing.T, db Store, kind discovery.JobKind, ref string) *discovery.Job {
	t.Helper()
	j, err := db.Job(t.Context(), kind, acct, ref)
	if err != nil {
		t.Fatalf("job %s: %v", ref, err)
	}
	return j
}

func jobGone(t *testing.T, db Store, kind discovery.JobKind, ref string) {
	t.Helper()
	if j, err := db.Job(t.Context(), kind, acct, ref); !errors.Is(err, discovery.ErrNotFound) {
		t.Fatalf("job %s still queued: %+v %v", ref, j, err)
	}
}

// exportTask is a summary export of the suite's account, ready at at.
func exportTask(i int, at time.Time) *discovery.ExportTask {
	return &discovery.ExportTask{AccountID: acct, ID: fmt.Sprintf("export-00000000-0000-0000-0000-%012d", i), Kind: discovery.KindSummary,
		Operation: "StartExportTask", Status: discovery.ExportInProgress, Message: discovery.InProgressMessage, RequestTime: at, ReadyAt: at}
}

func createExport(t *testing.T, db Store, task *discovery.ExportTask) {
	t.Helper()
	if r, err := db.CreateExportTask(t.Context(), task, discovery.ExportAdmission{}); err != nil || r != nil {
		t.Fatalf("create %s: %v %v", task.ID, r, err)
	}
}

// Tasks are jobs of a real kind for EachJobOnce, created through the
// stores (each with its job).
type Tasks struct {
	Kind    discovery.JobKind
	Count   int
	Workers int
	// Start creates task i and returns its ID (its job's ref).
	Start func(t *testing.T, i int) string
	// Handler is the kind's handler of the runner on store i.
	Handler func(i int) queue.Handler
	// Check checks a task once its job ran.
	Check func(t *testing.T, ref string)
}

// EachJobOnce runs one runner on each of dbs (stores sharing one database,
// as processes do) until every job ran: 300 test jobs and tasks' tasks. Each
// job runs exactly once, and is gone after.
func EachJobOnce(t *testing.T, dbs []Store, clk *clock.Clock, tasks ...Tasks) {
	t.Helper()
	const tests = 300
	total := tests
	for i := range tests {
		enqueue(t, dbs[0], testKind, fmt.Sprint("job-", i), t0)
	}
	refs := make([][]string, len(tasks))
	for k, ts := range tasks {
		for i := range ts.Count {
			refs[k] = append(refs[k], ts.Start(t, i))
		}
		total += ts.Count
	}

	var mu sync.Mutex
	runs := map[string][]string{} // kind/ref -> owners that ran it
	done := make(chan struct{}, total)
	note := func(j *discovery.Job) {
		mu.Lock()
		runs[string(j.Kind)+"/"+j.Ref] = append(runs[string(j.Kind)+"/"+j.Ref], j.Owner)
		mu.Unlock()
		select {
		case done <- struct{}{}:
		default: // a job run twice: the count below tells
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	for i, db := range dbs {
		rng := rand.New(rand.NewPCG(uint64(i), 9))
		var rngMu sync.Mutex
		pause := func() {
			rngMu.Lock()
			d := time.Duration(rng.IntN(300)) * time.Microsecond
			rngMu.Unlock()
			time.Sleep(d)
		}
		kinds := map[discovery.JobKind]queue.Kind{
			testKind: {Workers: 4, Handler: handlerFunc(func(ctx context.Context, j *discovery.Job) error {
				pause()
				note(j)
				return nil
			})},
		}
		for _, ts := range tasks {
			h := ts.Handler(i)
			kinds[ts.Kind] = queue.Kind{Workers: ts.Workers, Handler: handlerFunc(func(ctx context.Context, j *discovery.Job) error {
				err := h.Handle(ctx, j)
				if err != nil && !errors.Is(err, queue.ErrCompleted) {
					return err
				}
				note(j)
				return err
			})}
		}
		r := &queue.Runner{Store: db, Now: clk.Now, Owner: fmt.Sprint("runner-", i), Poll: time.Millisecond, Kinds: kinds}
		wg.Go(func() { r.Run(ctx) })
	}
	for range total {
		select {
		case <-done:
		case <-time.After(time.Minute):
			t.Fatal("jobs still unhandled after a minute")
		}
	}
	cancel()
	wg.Wait()

	owners := map[string]int{}
	for ref, who := range runs {
		if len(who) != 1 {
			t.Errorf("%s ran %d times: %v", ref, len(who), who)
		}
		owners[who[0]]++
	}
	if len(runs) != total {
		t.Errorf("%d jobs ran, want %d", len(runs), total)
	}
	t.Logf("jobs run by each runner: %v", owners)
	for i := range tests {
		jobGone(t, dbs[0], testKind, fmt.Sprint("job-", i))
	}
	for k, ts := range tasks {
		for _, ref := range refs[k] {
			jobGone(t, dbs[0], ts.Kind, ref)
			ts.Check(t, ref)
		}
	}
}

// Two runners, each on a store of its own (two processes sharing a
// database), run every job exactly once: test jobs, and export tasks
// created with their jobs, whose outcome is written under the lease.
func testEachJobOnce(t *testing.T, open Open) {
	dbs := open(t, 2)
	clk := clock.New(func() time.Time { return t0 })
	EachJobOnce(t, dbs, clk, Tasks{
		Kind: discovery.JobExport, Count: 40, Workers: 2,
		Start: func(t *testing.T, i int) string {
			task := exportTask(i, t0)
			createExport(t, dbs[1], task)
			return task.ID
		},
		Handler: func(i int) queue.Handler {
			return handlerFunc(func(ctx context.Context, j *discovery.Job) error {
				return dbs[i].FinishExportTask(ctx, j.Lease(), j.Account, j.Ref,
					discovery.ExportResult{Status: discovery.ExportSucceeded, Message: discovery.SucceededMessage}, clk.Now())
			})
		},
		Check: func(t *testing.T, ref string) {
			if task, err := dbs[0].GetExportTask(t.Context(), acct, ref); err != nil || task.Status != discovery.ExportSucceeded {
				t.Errorf("export %s: %+v %v", ref, task, err)
			}
		},
	})
}

// Export jobs are claimed in request order once ready; the outcome of a
// task (its progress, its result, its failure) is written only under the
// lease of its job's owner now: a stale owner's writes are refused and
// change nothing, and a result is written once.
func testStaleOutcomeRefused(t *testing.T, open Open) {
	dbs := open(t, 2)
	ctx := t.Context()
	for i := range 3 {
		task := exportTask(i, t0.Add(time.Duration(i)*time.Second))
		task.ReadyAt = t0.Add(time.Minute)
		createExport(t, dbs[0], task)
	}
	kinds := []discovery.JobKind{discovery.JobExport}
	if j, err := dbs[0].Claim(ctx, "w1", kinds, t0, t0.Add(time.Hour)); err != nil || j != nil {
		t.Fatalf("claimed before ready: %+v %v", j, err)
	}
	now := t0.Add(time.Minute)
	a, err := dbs[0].Claim(ctx, "w1", kinds, now, now.Add(time.Hour))
	if err != nil || a == nil || a.Ref != exportTask(0, t0).ID || a.Attempts != 1 || a.Owner != "w1" || a.Account != acct {
		t.Fatalf("first claim: %+v %v", a, err)
	}
	b, err := dbs[1].Claim(ctx, "w2", kinds, now, now.Add(time.Minute))
	if err != nil || b == nil || b.Ref != exportTask(1, t0).ID {
		t.Fatalf("second claim: %+v %v", b, err)
	}
	if err := dbs[0].ReportExportProgress(ctx, a.Lease(), acct, a.Ref, "half way"); err != nil {
		t.Fatal(err)
	}
	var lost *discovery.LeaseLostError
	err = dbs[1].ReportExportProgress(ctx, discovery.Lease{Job: a.ID, Owner: "w2"}, acct, a.Ref, "not mine")
	if !errors.As(err, &lost) || lost.Holder != "w1" {
		t.Fatalf("progress under a lease of another owner: %v", err)
	}
	if got, _ := dbs[1].GetExportTask(ctx, acct, a.Ref); got.Message != "half way" {
		t.Fatalf("message = %q", got.Message)
	}

	// w2's lease passes: w3 takes its job over; w2's outcome and failure
	// are refused and change nothing.
	later := now.Add(2 * time.Minute)
	c, err := dbs[0].Claim(ctx, "w3", kinds, later, later.Add(time.Hour))
	if err != nil || c == nil || c.ID != b.ID || c.Attempts != 2 || c.Owner != "w3" {
		t.Fatalf("take-over: %+v %v", c, err)
	}
	stale := discovery.ExportResult{Status: discovery.ExportSucceeded, Message: discovery.SucceededMessage}
	if err := dbs[1].FinishExportTask(ctx, b.Lease(), acct, b.Ref, stale, later); !errors.As(err, &lost) || lost.Holder != "w3" {
		t.Fatalf("outcome of the stale owner: %v", err)
	}
	if err := dbs[1].ReportExportProgress(ctx, b.Lease(), acct, b.Ref, "stale"); !errors.Is(err, discovery.ErrLeaseLost) {
		t.Fatalf("progress of the stale owner: %v", err)
	}
	if err := dbs[1].Fail(ctx, b.Lease(), "stale", later); !errors.Is(err, discovery.ErrLeaseLost) {
		t.Fatalf("failure by the stale owner: %v", err)
	}
	if got, _ := dbs[0].GetExportTask(ctx, acct, b.Ref); got.Status != discovery.ExportInProgress || got.Message != discovery.InProgressMessage {
		t.Fatalf("task after the stale owner's writes: %+v", got)
	}

	// w1's outcome is written once.
	res := discovery.ExportResult{Status: discovery.ExportSucceeded, Message: discovery.SucceededMessage, IsTruncated: true, FileSize: 1234}
	if err := dbs[0].FinishExportTask(ctx, a.Lease(), acct, a.Ref, res, later); err != nil {
		t.Fatal(err)
	}
	if err := dbs[0].FinishExportTask(ctx, a.Lease(), acct, a.Ref, res, later.Add(time.Second)); !errors.Is(err, discovery.ErrLeaseLost) {
		t.Fatalf("second outcome: %v", err)
	}
	got, _ := dbs[1].GetExportTask(ctx, acct, a.Ref)
	if got.Status != discovery.ExportSucceeded || got.Message != discovery.SucceededMessage || !got.IsTruncated || got.FileSize != 1234 || !got.FinishedAt.Equal(later) {
		t.Fatalf("finished task: %+v", got)
	}
	if err := dbs[0].ReportExportProgress(ctx, a.Lease(), acct, a.Ref, "late"); !errors.Is(err, discovery.ErrNotFound) {
		t.Fatalf("progress after the outcome: %v", err)
	}
	if err := dbs[0].Complete(ctx, a.Lease()); err != nil {
		t.Fatal(err)
	}
	if err := dbs[0].Complete(ctx, a.Lease()); !errors.Is(err, discovery.ErrLeaseLost) {
		t.Fatalf("second completion: %v", err)
	}

	// w3 fails its task for good: FAILED with the reason, the job gone.
	if err := dbs[0].Fail(ctx, c.Lease(), "gave up", later); err != nil {
		t.Fatal(err)
	}
	if got, _ := dbs[1].GetExportTask(ctx, acct, c.Ref); got.Status != discovery.ExportFailed || got.Message != "gave up" || !got.FinishedAt.Equal(later) {
		t.Fatalf("failed task: %+v", got)
	}
	jobGone(t, dbs[0], discovery.JobExport, c.Ref)
}

// Enqueuing is idempotent: a job of the same kind, account and ref that is
// still queued is kept (with its claim), and runs no later than asked.
func testEnqueueOnce(t *testing.T, open Open) {
	db := open(t, 1)[0]
	ctx := t.Context()
	enqueue(t, db, testKind, "a", t0.Add(time.Hour))
	first := jobOf(t, db, testKind, "a")
	enqueue(t, db, testKind, "a", t0.Add(2*time.Hour))
	if j := jobOf(t, db, testKind, "a"); j.ID != first.ID || !j.RunAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("enqueued later: %+v", j)
	}
	enqueue(t, db, testKind, "a", t0.Add(time.Minute))
	if j := jobOf(t, db, testKind, "a"); j.ID != first.ID || !j.RunAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("enqueued sooner: %+v", j)
	}
	now := t0.Add(time.Minute)
	held, err := db.Claim(ctx, "o", []discovery.JobKind{testKind}, now, now.Add(time.Hour))
	if err != nil || held == nil || held.ID != first.ID {
		t.Fatalf("claim: %+v %v", held, err)
	}
	enqueue(t, db, testKind, "a", t0)
	if j := jobOf(t, db, testKind, "a"); j.Owner != "o" || j.Attempts != 1 || !j.RunAt.Equal(t0) {
		t.Fatalf("enqueued while held: %+v", j)
	}
	if j, err := db.Claim(ctx, "p", []discovery.JobKind{testKind}, now, now.Add(time.Hour)); err != nil || j != nil {
		t.Fatalf("claimed a job held: %+v %v", j, err)
	}
	// Another ref, kind or account is another job.
	for _, j := range []*discovery.Job{{Kind: testKind, Account: acct, Ref: "b"}, {Kind: "other", Account: acct, Ref: "a"}, {Kind: testKind, Account: "222222222222", Ref: "a"}} {
		j.RunAt = t0
		if err := db.Enqueue(ctx, j); err != nil {
			t.Fatal(err)
		}
	}
	var claimed []string
	for range 4 {
		j, err := db.Claim(ctx, "p", []discovery.JobKind{testKind, "other"}, now, now.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if j == nil {
			break
		}
		claimed = append(claimed, fmt.Sprintf("%s/%s/%s", j.Kind, j.Account, j.Ref))
	}
	want := []string{"test/111111111111/b", "other/111111111111/a", "test/222222222222/a"}
	if !slices.Equal(claimed, want) {
		t.Fatalf("claimed %v, want %v (in job order)", claimed, want)
	}
}

// A job whose owner died is taken over once its lease has passed (on the
// virtual clock), not before; the dead owner's lease is then refused for
// everything: heartbeat, completion, retry, failure.
func testLeaseExpiryTakeOver(t *testing.T, open Open) {
	dbs := open(t, 2)
	clk := clock.New(func() time.Time { return t0 })
	lease := 30 * time.Second
	enqueue(t, dbs[0], testKind, "a", t0)
	now := clk.Now()
	dead, err := dbs[0].Claim(t.Context(), "dead", []discovery.JobKind{testKind}, now, now.Add(lease))
	if err != nil || dead == nil || dead.Attempts != 1 || dead.Owner != "dead" || !dead.LeaseUntil.Equal(now.Add(lease)) {
		t.Fatalf("claim: %+v %v", dead, err)
	}
	var during *discovery.Job
	var staleComplete error
	r := &queue.Runner{Store: dbs[1], Now: clk.Now, Owner: "heir", Lease: lease,
		Kinds: map[discovery.JobKind]queue.Kind{testKind: {Handler: handlerFunc(func(ctx context.Context, j *discovery.Job) error {
			during = jobOf(t, dbs[1], testKind, j.Ref)
			staleComplete = dbs[0].Complete(ctx, dead.Lease())
			return nil
		})}}}
	if ran, err := r.Step(t.Context()); err != nil || ran {
		t.Fatalf("step while the lease runs: %v %v", ran, err)
	}
	clk.Advance(lease) // the lease ends now: still held
	if ran, err := r.Step(t.Context()); err != nil || ran {
		t.Fatalf("step at the lease's end: %v %v", ran, err)
	}
	clk.Advance(time.Millisecond)
	if ran, err := r.Step(t.Context()); err != nil || !ran {
		t.Fatalf("step after the lease: %v %v", ran, err)
	}
	if during == nil || during.Owner != "heir" || during.Attempts != 2 || !during.LeaseUntil.Equal(clk.Now().Add(lease)) {
		t.Fatalf("job while taken over: %+v", during)
	}
	var lost *discovery.LeaseLostError
	if !errors.As(staleComplete, &lost) || lost.Holder != "heir" || !errors.Is(staleComplete, discovery.ErrLeaseLost) {
		t.Fatalf("completion by the dead owner while the heir held the job: %v", staleComplete)
	}
	jobGone(t, dbs[0], testKind, "a")
	ctx := t.Context()
	for name, err := range map[string]error{
		"heartbeat": dbs[0].Heartbeat(ctx, dead.Lease(), clk.Now().Add(lease)),
		"complete":  dbs[0].Complete(ctx, dead.Lease()),
		"retry":     dbs[0].Retry(ctx, dead.Lease(), clk.Now(), "x"),
		"release":   dbs[0].Release(ctx, dead.Lease(), clk.Now()),
		"fail":      dbs[0].Fail(ctx, dead.Lease(), "x", clk.Now()),
	} {
		if !errors.Is(err, discovery.ErrLeaseLost) {
			t.Errorf("%s under the dead owner's lease after the job ended: %v", name, err)
		}
	}
}

// A runner renews the leases of its running jobs when the clock moves, so
// that a jump of the virtual clock does not hand its jobs to another owner.
func testHeartbeatKeepsLease(t *testing.T, open Open) {
	dbs := open(t, 2)
	clk := clock.New(func() time.Time { return t0 })
	lease := 30 * time.Second
	enqueue(t, dbs[0], testKind, "a", t0)
	started, release := make(chan struct{}), make(chan struct{})
	a := &queue.Runner{Store: dbs[0], Now: clk.Now, Owner: "a", Lease: lease, Changed: clk.Changed(),
		Kinds: map[discovery.JobKind]queue.Kind{testKind: {Handler: handlerFunc(func(ctx context.Context, j *discovery.Job) error {
			close(started)
			<-release
			return nil
		})}}}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	ran := make(chan struct{})
	go func() { a.Run(ctx); close(ran) }()
	<-started
	now := clk.Advance(10 * lease)
	for jobOf(t, dbs[0], testKind, "a").LeaseUntil.Before(now) { // wait for the heartbeat
		time.Sleep(time.Millisecond)
	}
	b := &queue.Runner{Store: dbs[1], Now: clk.Now, Owner: "b", Lease: lease,
		Kinds: map[discovery.JobKind]queue.Kind{testKind: {Handler: handlerFunc(func(context.Context, *discovery.Job) error {
			t.Error("b ran a job a holds")
			return nil
		})}}}
	if got, err := b.Step(t.Context()); err != nil || got {
		t.Fatalf("b took a's job: %v %v", got, err)
	}
	close(release)
	cancel()
	<-ran
	jobGone(t, dbs[0], testKind, "a")
}

// A runner that finds its lease lost tells the job's handler (its context
// ends) and records nothing: the owner that took the job over does.
func testLostLeaseStopsHandler(t *testing.T, open Open) {
	dbs := open(t, 2)
	clk := clock.New(func() time.Time { return t0 })
	lease := 30 * time.Second
	enqueue(t, dbs[0], testKind, "a", t0)
	started, stopped := make(chan struct{}), make(chan error, 1)
	a := &queue.Runner{Store: dbs[0], Now: clk.Now, Owner: "a", Lease: lease, Poll: time.Hour,
		Kinds: map[discovery.JobKind]queue.Kind{testKind: {Handler: handlerFunc(func(ctx context.Context, j *discovery.Job) error {
			close(started)
			<-ctx.Done()
			stopped <- ctx.Err()
			return ctx.Err()
		})}}}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	ran := make(chan struct{})
	go func() { a.Run(ctx); close(ran) }()
	<-started
	clk.Advance(lease + time.Second) // a's heartbeat is not due (real time) and a hears no clock
	now := clk.Now()
	heir, err := dbs[1].Claim(t.Context(), "b", []discovery.JobKind{testKind}, now, now.Add(lease))
	if err != nil || heir == nil || heir.Attempts != 2 {
		t.Fatalf("b's take-over: %+v %v", heir, err)
	}
	a.Heartbeat(t.Context())
	if err := <-stopped; !errors.Is(err, context.Canceled) {
		t.Fatalf("handler's context: %v", err)
	}
	cancel()
	<-ran
	if j := jobOf(t, dbs[0], testKind, "a"); j.Owner != "b" || j.Attempts != 2 {
		t.Fatalf("job after a stopped: %+v", j)
	}
	if err := dbs[1].Complete(t.Context(), heir.Lease()); err != nil {
		t.Fatal(err)
	}
}

// A job that keeps failing runs MaxAttempts times, each retry after a pause
// (on the virtual clock), then is failed for good: its task (here an export)
// is marked FAILED with the handler's reason, in the same transaction that
// removes the job.
func testMaxAttempts(t *testing.T, open Open) {
	db := open(t, 1)[0]
	clk := clock.New(func() time.Time { return t0 })
	task := &discovery.ExportTask{AccountID: acct, ID: "export-00000000-0000-0000-0000-000000000001", Kind: discovery.KindSummary,
		Operation: "StartExportTask", Status: discovery.ExportInProgress, Message: discovery.InProgressMessage, RequestTime: t0, ReadyAt: t0}
	if _, err := db.CreateExportTask(t.Context(), task, discovery.ExportAdmission{}); err != nil {
		t.Fatal(err)
	}
	runs := 0
	r := &queue.Runner{Store: db, Now: clk.Now, Backoff: 5 * time.Second,
		Kinds: map[discovery.JobKind]queue.Kind{discovery.JobExport: {Handler: handlerFunc(func(ctx context.Context, j *discovery.Job) error {
			runs++
			return fmt.Errorf("failure %d", runs)
		})}}}
	step := func(want bool) {
		t.Helper()
		if ran, err := r.Step(t.Context()); err != nil || ran != want {
			t.Fatalf("step = %v %v, want %v", ran, err, want)
		}
	}
	for attempt := 1; attempt < queue.DefaultMaxAttempts; attempt++ {
		step(true)
		j := jobOf(t, db, discovery.JobExport, task.ID)
		if j.Owner != "" || j.Attempts != attempt || j.LastError != fmt.Sprint("failure ", attempt) ||
			!j.RunAt.Equal(clk.Now().Add(time.Duration(attempt)*5*time.Second)) {
			t.Fatalf("job after attempt %d: %+v", attempt, j)
		}
		step(false) // not before its pause
		clk.Advance(time.Duration(attempt) * 5 * time.Second)
	}
	step(true)
	if runs != queue.DefaultMaxAttempts {
		t.Fatalf("%d runs, want %d", runs, queue.DefaultMaxAttempts)
	}
	jobGone(t, db, discovery.JobExport, task.ID)
	got, err := db.GetExportTask(t.Context(), acct, task.ID)
	if err != nil || got.Status != discovery.ExportFailed || got.Message != "gave up: failure 3" || !got.FinishedAt.Equal(clk.Now()) {
		t.Fatalf("task = %+v %v", got, err)
	}
	step(false)
}

// A job whose owners all died while running it (claimed, never ended) is
// failed for good when it is claimed more than MaxAttempts times: its task
// is marked FAILED with the reason the handler gives for ErrInterrupted,
// without running it again.
func testInterruptedTooOften(t *testing.T, open Open) {
	dbs := open(t, 2)
	clk := clock.New(func() time.Time { return t0 })
	task := exportTask(1, t0)
	createExport(t, dbs[0], task)
	lease := time.Minute
	for i := range queue.DefaultMaxAttempts {
		now := clk.Now()
		j, err := dbs[i%2].Claim(t.Context(), fmt.Sprint("dead-", i), []discovery.JobKind{discovery.JobExport}, now, now.Add(lease))
		if err != nil || j == nil || j.Ref != task.ID || j.Attempts != i+1 {
			t.Fatalf("claim %d: %+v %v", i, j, err)
		}
		clk.Advance(lease + time.Millisecond)
	}
	ran := false
	r := &queue.Runner{Store: dbs[1], Now: clk.Now, Owner: "heir", Lease: lease,
		Kinds: map[discovery.JobKind]queue.Kind{discovery.JobExport: {Handler: handlerFunc(func(context.Context, *discovery.Job) error {
			ran = true
			return nil
		})}}}
	if ok, err := r.Step(t.Context()); err != nil || !ok {
		t.Fatalf("step: %v %v", ok, err)
	}
	if ran {
		t.Fatal("a job interrupted too often ran again")
	}
	jobGone(t, dbs[0], discovery.JobExport, task.ID)
	got, err := dbs[0].GetExportTask(t.Context(), acct, task.ID)
	if err != nil || got.Status != discovery.ExportFailed || got.Message != "gave up: "+queue.ErrInterrupted.Error() || !got.FinishedAt.Equal(clk.Now()) {
		t.Fatalf("task = %+v %v", got, err)
	}
}

// A runner that stops gives the job it was running back at once, without
// counting the attempt: the next start runs it right away.
func testShutdownGivesJobBack(t *testing.T, open Open) {
	db := open(t, 1)[0]
	clk := clock.New(func() time.Time { return t0 })
	enqueue(t, db, testKind, "a", t0)
	started := make(chan struct{})
	r := &queue.Runner{Store: db, Now: clk.Now, Kinds: map[discovery.JobKind]queue.Kind{testKind: {Handler: handlerFunc(func(ctx context.Context, j *discovery.Job) error {
		close(started)
		<-ctx.Done()
		return ctx.Err()
	})}}}
	ctx, cancel := context.WithCancel(t.Context())
	ran := make(chan struct{})
	go func() { r.Run(ctx); close(ran) }()
	<-started
	cancel()
	<-ran
	if j := jobOf(t, db, testKind, "a"); j.Owner != "" || j.Attempts != 0 || j.RunAt.After(clk.Now()) {
		t.Fatalf("job after shutdown: %+v", j)
	}
}

// A periodic kind has one job, enqueued when the runner starts, run again
// Every after each round (also after a failed one), and at once when the
// clock moves, forward or back.
func testPeriodicJob(t *testing.T, open Open) {
	db := open(t, 1)[0]
	clk := clock.New(func() time.Time { return t0 })
	rounds := make(chan time.Time, 10)
	r := &queue.Runner{Store: db, Now: clk.Now, Changed: clk.Changed(), Poll: time.Hour,
		Kinds: map[discovery.JobKind]queue.Kind{discovery.JobJanitor: {Every: time.Minute, Handler: handlerFunc(func(ctx context.Context, j *discovery.Job) error {
			rounds <- clk.Now()
			return errors.New("a failed round")
		})}}}
	ctx, cancel := context.WithCancel(t.Context())
	ran := make(chan struct{})
	go func() { r.Run(ctx); close(ran) }()
	// settled waits for the round to be recorded and returns the job.
	settled := func() *discovery.Job {
		for {
			j, err := db.Job(t.Context(), discovery.JobJanitor, "", "")
			if err != nil {
				t.Fatal(err)
			}
			if j.Owner == "" {
				return j
			}
			time.Sleep(time.Millisecond)
		}
	}
	if at := <-rounds; !at.Equal(t0) {
		t.Fatalf("first round at %v", at)
	}
	if j := settled(); !j.RunAt.Equal(t0.Add(time.Minute)) || j.Attempts != 0 {
		t.Fatalf("job after a round: %+v", j)
	}
	clk.Advance(time.Minute)
	if at := <-rounds; !at.Equal(t0.Add(time.Minute)) {
		t.Fatalf("second round at %v", at)
	}
	settled()
	// Moved back past its next round, the clock still runs it at once.
	back := clk.Advance(-time.Hour)
	if at := <-rounds; !at.Equal(back) {
		t.Fatalf("round after the clock moved back at %v, want %v", at, back)
	}
	cancel()
	<-ran
	if _, err := db.Job(t.Context(), discovery.JobJanitor, "", ""); err != nil {
		t.Fatalf("the periodic job is gone: %v", err)
	}
}

// A periodic round cut short by shutdown is not a failed round: its job is
// due again at once (the next start runs it), not a whole period later.
func testPeriodicJobStoppedByShutdown(t *testing.T, open Open) {
	db := open(t, 1)[0]
	clk := clock.New(func() time.Time { return t0 })
	started := make(chan struct{})
	r := &queue.Runner{Store: db, Now: clk.Now, Poll: time.Hour,
		Kinds: map[discovery.JobKind]queue.Kind{discovery.JobJanitor: {Every: time.Hour, Handler: handlerFunc(func(ctx context.Context, j *discovery.Job) error {
			close(started)
			<-ctx.Done()
			return ctx.Err()
		})}}}
	ctx, cancel := context.WithCancel(t.Context())
	ran := make(chan struct{})
	go func() { r.Run(ctx); close(ran) }()
	<-started
	cancel()
	<-ran
	j, err := db.Job(t.Context(), discovery.JobJanitor, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if j.Owner != "" || j.RunAt.After(clk.Now()) {
		t.Fatalf("periodic job after a shutdown mid-round: %+v (want due now, %v)", j, clk.Now())
	}
}

// A runner that succeeds dead owners (Succeeds) takes their jobs over as
// soon as it starts, without waiting for their leases to pass; jobs of other
// owners keep their leases.
func testSuccessorTakesOverAtOnce(t *testing.T, open Open) {
	db := open(t, 1)[0]
	clk := clock.New(func() time.Time { return t0 })
	enqueue(t, db, testKind, "mine", t0)
	enqueue(t, db, testKind, "other", t0)
	now := clk.Now()
	for _, c := range [][2]string{{"mine", "slot-0/dead"}, {"other", "slot-1/alive"}} { // claims go in job order
		if j, err := db.Claim(t.Context(), c[1], []discovery.JobKind{testKind}, now, now.Add(time.Hour)); err != nil || j == nil || j.Ref != c[0] {
			t.Fatalf("claim %s: %v %v", c[0], j, err)
		}
	}
	handled := make(chan *discovery.Job, 2)
	r := &queue.Runner{Store: db, Now: clk.Now, Owner: "slot-0/heir", Succeeds: "slot-0/",
		Kinds: map[discovery.JobKind]queue.Kind{testKind: {Handler: handlerFunc(func(ctx context.Context, j *discovery.Job) error {
			handled <- j
			return nil
		})}}}
	ctx, cancel := context.WithCancel(t.Context())
	ran := make(chan struct{})
	go func() { r.Run(ctx); close(ran) }()
	if j := <-handled; j.Ref != "mine" || j.Attempts != 2 {
		t.Fatalf("handled %+v", j)
	}
	cancel()
	<-ran
	if len(handled) != 0 {
		t.Fatalf("the job of a live owner ran: %+v", <-handled)
	}
	jobGone(t, db, testKind, "mine")
	if j := jobOf(t, db, testKind, "other"); j.Owner != "slot-1/alive" || !j.LeaseUntil.Equal(t0.Add(time.Hour)) {
		t.Fatalf("other owner's job: %+v", j)
	}
}
