package queue_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/batchdelete"
	"github.com/poseidon-ads/poseidon/internal/clock"
	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/queue"
	"github.com/poseidon-ads/poseidon/internal/sqlite"
)

const (
	acct     = "111111111111"
	testKind = discovery.JobKind("test")
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// open opens n connections (as n processes would) to one SQLite file.
func open(t *testing.T, n int) []*sqlite.DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "p.db")
	var dbs []*sqlite.DB
	for range n {
		db, err := sqlite.Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs = append(dbs, db)
	}
	return dbs
}

// handlerFunc is a Handler made of functions; GiveUp returns "gave up: "
// and the cause.
type handlerFunc func(ctx context.Context, j *discovery.Job) error

func (f handlerFunc) Handle(ctx context.Context, j *discovery.Job) error { return f(ctx, j) }
func (f handlerFunc) GiveUp(_ context.Context, _ *discovery.Job, cause error) string {
	return "gave up: " + cause.Error()
}

func enqueue(t *testing.T, db *sqlite.DB, kind discovery.JobKind, ref string, at time.Time) {
	t.Helper()
	if err := db.Enqueue(t.Context(), &discovery.Job{Kind: kind, Account: acct, Ref: ref, RunAt: at}); err != nil {
		t.Fatal(err)
	}
}

func job(t *testing.T, db *sqlite.DB, kind discovery.JobKind, ref string) *discovery.Job {
	t.Helper()
	j, err := db.Job(t.Context(), kind, acct, ref)
	if err != nil {
		t.Fatalf("job %s: %v", ref, err)
	}
	return j
}

func gone(t *testing.T, db *sqlite.DB, kind discovery.JobKind, ref string) {
	t.Helper()
	if j, err := db.Job(t.Context(), kind, acct, ref); !errors.Is(err, discovery.ErrNotFound) {
		t.Fatalf("job %s still queued: %+v %v", ref, j, err)
	}
}

// Two runners, each on its own connection to one SQLite file (two
// processes sharing a database), run every job exactly once: test jobs, and
// real batch delete tasks started through their service.
func TestTwoRunnersRunEachJobOnce(t *testing.T) {
	dbs := open(t, 2)
	clk := clock.New(func() time.Time { return t0 })
	const tests, deletes = 300, 40
	for i := range tests {
		enqueue(t, dbs[0], testKind, fmt.Sprint("job-", i), t0)
	}
	svc := batchdelete.New(dbs[1], clk.Now, nil)
	var taskIDs []string
	for i := range deletes {
		id, err := svc.Start(t.Context(), acct, string(discovery.TypeServer), []string{fmt.Sprintf("d-server-%017d", i)})
		if err != nil {
			t.Fatal(err)
		}
		taskIDs = append(taskIDs, id)
	}

	var mu sync.Mutex
	runs := map[string][]string{} // ref -> owners that ran it
	done := make(chan struct{}, tests+deletes)
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
		deleter := &batchdelete.Runner{Store: db, Now: clk.Now}
		r := &queue.Runner{Store: db, Now: clk.Now, Owner: fmt.Sprint("runner-", i), Poll: time.Millisecond,
			Kinds: map[discovery.JobKind]queue.Kind{
				testKind: {Workers: 4, Handler: handlerFunc(func(ctx context.Context, j *discovery.Job) error {
					pause()
					note(j)
					return nil
				})},
				discovery.JobBatchDelete: {Workers: 2, Handler: handlerFunc(func(ctx context.Context, j *discovery.Job) error {
					if err := deleter.Handle(ctx, j); err != nil {
						return err
					}
					note(j)
					return nil
				})},
			}}
		wg.Go(func() { r.Run(ctx) })
	}
	for range tests + deletes {
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
	if len(runs) != tests+deletes {
		t.Errorf("%d jobs ran, want %d", len(runs), tests+deletes)
	}
	t.Logf("jobs run by each runner: %v", owners)
	for i := range tests {
		gone(t, dbs[0], testKind, fmt.Sprint("job-", i))
	}
	for _, id := range taskIDs {
		gone(t, dbs[0], discovery.JobBatchDelete, id)
		task, err := svc.Describe(t.Context(), acct, id)
		if err != nil || task.Status != discovery.BatchDeleteCompleted || len(task.Failures) != 1 {
			t.Errorf("batch delete %s: %+v %v", id, task, err)
		}
	}
}

// A job whose owner died is taken over once its lease has passed (on the
// virtual clock), not before; the dead owner's lease is then refused for
// everything: heartbeat, completion, retry, failure.
func TestLeaseExpiryTakeOver(t *testing.T) {
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
			during = job(t, dbs[1], testKind, j.Ref)
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
	gone(t, dbs[0], testKind, "a")
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
func TestHeartbeatKeepsLease(t *testing.T) {
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
	for job(t, dbs[0], testKind, "a").LeaseUntil.Before(now) { // wait for the heartbeat
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
	gone(t, dbs[0], testKind, "a")
}

// A runner that finds its lease lost tells the job's handler (its context
// ends) and records nothing: the owner that took the job over does.
func TestLostLeaseStopsHandler(t *testing.T) {
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
	if j := job(t, dbs[0], testKind, "a"); j.Owner != "b" || j.Attempts != 2 {
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
func TestMaxAttempts(t *testing.T) {
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
		j := job(t, db, discovery.JobExport, task.ID)
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
	gone(t, db, discovery.JobExport, task.ID)
	got, err := db.GetExportTask(t.Context(), acct, task.ID)
	if err != nil || got.Status != discovery.ExportFailed || got.Message != "gave up: failure 3" || !got.FinishedAt.Equal(clk.Now()) {
		t.Fatalf("task = %+v %v", got, err)
	}
	step(false)
}

// A runner that stops gives the job it was running back at once, without
// counting the attempt: the next start runs it right away.
func TestShutdownGivesJobBack(t *testing.T) {
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
	if j := job(t, db, testKind, "a"); j.Owner != "" || j.Attempts != 0 || j.RunAt.After(clk.Now()) {
		t.Fatalf("job after shutdown: %+v", j)
	}
}

// A periodic kind has one job, enqueued when the runner starts, run again
// Every after each round (also after a failed one), and at once when the
// clock moves, forward or back.
func TestPeriodicJob(t *testing.T) {
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

// A runner that succeeds dead owners (Succeeds) takes their jobs over as
// soon as it starts, without waiting for their leases to pass; jobs of other
// owners keep their leases.
func TestSuccessorTakesOverAtOnce(t *testing.T) {
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
	gone(t, db, testKind, "mine")
	if j := job(t, db, testKind, "other"); j.Owner != "slot-1/alive" || !j.LeaseUntil.Equal(t0.Add(time.Hour)) {
		t.Fatalf("other owner's job: %+v", j)
	}
}
