package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/poseidon-ads/poseidon/internal/continuous"
	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/exports"
	"github.com/poseidon-ads/poseidon/internal/queue"
	"github.com/poseidon-ads/poseidon/internal/queue/queuetest"
	"github.com/poseidon-ads/poseidon/internal/worker"
)

// The store implements the job queue and the stores of the use cases whose
// tasks are jobs here (imports and batch deletes are not ported yet).
var (
	_ queue.Store      = (*DB)(nil)
	_ queuetest.Store  = (*DB)(nil)
	_ continuous.Store = (*DB)(nil)
	_ exports.Store    = (*DB)(nil)
	_ worker.Retention = (*DB)(nil)
	_ interface {
		FinishExportTask(ctx context.Context, l discovery.Lease, account, id string, r discovery.ExportResult, now time.Time) error
		ReportExportProgress(ctx context.Context, l discovery.Lease, account, id, message string) error
	} = (*DB)(nil)
)

// The queue's conformance suite on PostgreSQL: each test in a schema of its
// own, its stores (each with a pool of its own) the replicas sharing it.
func TestQueue(t *testing.T) {
	queuetest.Run(t, func(t *testing.T, n int) []queuetest.Store {
		var out []queuetest.Store
		for _, db := range replicas(t, testSchema(t), n) {
			out = append(out, db)
		}
		return out
	})
}

// Workers of two replicas claiming at once each get other jobs: every
// export is claimed exactly once.
func TestConcurrentClaimsAcrossReplicas(t *testing.T) {
	url := testSchema(t)
	a, b := openURL(t, url), openURL(t, url)
	const n = 40
	for i := range n {
		if _, err := a.CreateExportTask(t.Context(), agentTask(fmt.Sprintf("export-%02d", i), "o-1", t0), discovery.ExportAdmission{}); err != nil {
			t.Fatal(err)
		}
	}
	var (
		mu      sync.Mutex
		claimed = map[string]int{}
	)
	atOnce(8, func(w int) {
		db := []*DB{a, b}[w%2]
		for {
			j, err := db.Claim(t.Context(), fmt.Sprint("w", w), []discovery.JobKind{discovery.JobExport}, t0, t0.Add(time.Hour))
			if err != nil {
				t.Error(err)
				return
			}
			if j == nil {
				return
			}
			mu.Lock()
			claimed[j.Ref]++
			mu.Unlock()
		}
	})
	if len(claimed) != n {
		t.Fatalf("%d exports claimed, want %d", len(claimed), n)
	}
	for id, k := range claimed {
		if k != 1 {
			t.Errorf("%s claimed %d times", id, k)
		}
	}
}

// A claim skips a job whose row another transaction has locked (a write
// under its lease, or another claim) instead of waiting for it, and a write
// under a lease holds the job until it commits: no take-over commits
// between the lease check and the write.
func TestClaimSkipsLockedJobs(t *testing.T) {
	url := testSchema(t)
	a, b := openURL(t, url), openURL(t, url)
	ctx := t.Context()
	for _, ref := range []string{"first", "second"} {
		if err := a.Enqueue(ctx, &discovery.Job{Kind: "test", Account: acct, Ref: ref, RunAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	first, err := a.Claim(ctx, "dead", []discovery.JobKind{"test"}, t0, t0.Add(time.Minute))
	if err != nil || first == nil || first.Ref != "first" {
		t.Fatalf("claim: %+v %v", first, err)
	}
	later := t0.Add(time.Hour) // the lease of "dead" has passed
	err = a.leased(ctx, first.Lease(), func(tx pgx.Tx) error {
		// While the stale owner's write holds the row, the other replica
		// takes the next job, not this one. (A claim that waited for the
		// lock would wait for this function: the bound turns that hang
		// into a failure.)
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		j, err := b.Claim(ctx, "heir", []discovery.JobKind{"test"}, later, later.Add(time.Minute))
		if err != nil || j == nil || j.Ref != "second" {
			return fmt.Errorf("claim while the first job is locked: %+v %v", j, err)
		}
		j, err = b.Claim(ctx, "heir", []discovery.JobKind{"test"}, later, later.Add(time.Minute))
		if err != nil || j != nil {
			return fmt.Errorf("claim of the locked job: %+v %v", j, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Once the write committed, the job is taken over, and the stale
	// owner's next write is refused.
	heir, err := b.Claim(ctx, "heir", []discovery.JobKind{"test"}, later, later.Add(time.Minute))
	if err != nil || heir == nil || heir.ID != first.ID || heir.Attempts != 2 {
		t.Fatalf("take-over after the write: %+v %v", heir, err)
	}
	var lost *discovery.LeaseLostError
	if err := a.leased(ctx, first.Lease(), func(pgx.Tx) error { return nil }); !errors.As(err, &lost) || lost.Holder != "heir" {
		t.Fatalf("write of the stale owner: %v", err)
	}
}

// A continuous export and the job of its transition are created together;
// the transition is written under the job's lease; a start that fails for
// good frees the account.
func TestContinuousJobs(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	e := &discovery.ContinuousExport{ID: "ce-1", AccountID: acct, S3Bucket: "b", Start: t0}
	if running, err := db.StartContinuousExport(ctx, e); err != nil || running != nil {
		t.Fatalf("start: %+v %v", running, err)
	}
	j, err := db.Job(ctx, discovery.JobContinuousStart, acct, "ce-1")
	if err != nil || !j.RunAt.Equal(t0.Add(discovery.ContinuousTransitionTime)) || !j.Created.Equal(t0) {
		t.Fatalf("start job: %+v %v", j, err)
	}
	state := func(id string) (string, string) {
		t.Helper()
		got, err := db.ContinuousExports(ctx, discovery.ContinuousExportQuery{AccountID: acct, IDs: []string{id}})
		if err != nil || len(got) != 1 {
			t.Fatalf("%s: %v %v", id, got, err)
		}
		return got[0].State, got[0].StatusDetail
	}
	if s, _ := state("ce-1"); s != discovery.ContinuousStartInProgress {
		t.Fatalf("state after the start: %q", s)
	}
	kinds := []discovery.JobKind{discovery.JobContinuousStart, discovery.JobContinuousStop}
	if j, err := db.Claim(ctx, "o", kinds, t0.Add(time.Second), t0.Add(time.Minute)); err != nil || j != nil {
		t.Fatalf("transition claimed before its time: %+v %v", j, err)
	}
	at := t0.Add(discovery.ContinuousTransitionTime)
	j, err = db.Claim(ctx, "o", kinds, at, at.Add(time.Minute))
	if err != nil || j == nil || j.Ref != "ce-1" {
		t.Fatalf("claim the transition: %+v %v", j, err)
	}
	stale := discovery.Lease{Job: j.ID, Owner: "someone else"}
	if err := db.TransitionContinuousExport(ctx, stale, acct, "ce-1", []string{discovery.ContinuousStartInProgress}, discovery.ContinuousActive); !errors.Is(err, discovery.ErrLeaseLost) {
		t.Fatalf("transition under another lease: %v", err)
	}
	if s, _ := state("ce-1"); s != discovery.ContinuousStartInProgress {
		t.Fatalf("state after a refused transition: %q", s)
	}
	if err := db.TransitionContinuousExport(ctx, j.Lease(), acct, "ce-1", []string{discovery.ContinuousStartInProgress}, discovery.ContinuousActive); err != nil {
		t.Fatal(err)
	}
	// A transition from a state the export is not in leaves it.
	if err := db.TransitionContinuousExport(ctx, j.Lease(), acct, "ce-1", []string{discovery.ContinuousStopInProgress}, discovery.ContinuousInactive); err != nil {
		t.Fatal(err)
	}
	if s, _ := state("ce-1"); s != discovery.ContinuousActive {
		t.Fatalf("state after the transition: %q", s)
	}
	if err := db.Complete(ctx, j.Lease()); err != nil {
		t.Fatal(err)
	}

	stop := t0.Add(time.Hour)
	if got, err := db.StopContinuousExport(ctx, acct, "ce-1", stop); err != nil || got.State != discovery.ContinuousStopInProgress || !got.Stop.Equal(stop) {
		t.Fatalf("stop: %+v %v", got, err)
	}
	if s, _ := state("ce-1"); s != discovery.ContinuousStopInProgress {
		t.Fatalf("state after the stop: %q", s)
	}
	if j, err := db.Job(ctx, discovery.JobContinuousStop, acct, "ce-1"); err != nil || !j.RunAt.Equal(stop.Add(discovery.ContinuousTransitionTime)) {
		t.Fatalf("stop job: %+v %v", j, err)
	}

	// A start that fails for good is START_FAILED with the reason and no
	// longer running: the account may start another.
	e2 := &discovery.ContinuousExport{ID: "ce-2", AccountID: acct, S3Bucket: "b", Start: stop}
	if running, err := db.StartContinuousExport(ctx, e2); err != nil || running != nil {
		t.Fatalf("second start: %+v %v", running, err)
	}
	at = stop.Add(discovery.ContinuousTransitionTime)
	j, err = db.Claim(ctx, "o", []discovery.JobKind{discovery.JobContinuousStart}, at, at.Add(time.Minute))
	if err != nil || j == nil || j.Ref != "ce-2" {
		t.Fatalf("claim the second start: %+v %v", j, err)
	}
	if err := db.Fail(ctx, j.Lease(), "no bucket", at); err != nil {
		t.Fatal(err)
	}
	if s, detail := state("ce-2"); s != discovery.ContinuousStartFailed || detail != "no bucket" {
		t.Fatalf("failed start: %q %q", s, detail)
	}
	if running, err := db.RunningContinuousExport(ctx, acct); err != nil || running != nil {
		t.Fatalf("running after a failed start: %+v %v", running, err)
	}
	e3 := &discovery.ContinuousExport{ID: "ce-3", AccountID: acct, S3Bucket: "b", Start: at}
	if running, err := db.StartContinuousExport(ctx, e3); err != nil || running != nil {
		t.Fatalf("start after a failed start: %+v %v", running, err)
	}
}

// A reset deletes the jobs with the tasks (the janitor's, of no account,
// stays); an account's reset deletes only that account's.
func TestResetJobs(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	for _, j := range []*discovery.Job{
		{Kind: discovery.JobJanitor, RunAt: t0},
		{Kind: "test", Account: acct, Ref: "a", RunAt: t0},
		{Kind: "test", Account: "222222222222", Ref: "a", RunAt: t0},
	} {
		if err := db.Enqueue(ctx, j); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.CreateExportTask(ctx, agentTask("export-1", "o-1", t0), discovery.ExportAdmission{}); err != nil {
		t.Fatal(err)
	}
	if err := db.ResetAccount(ctx, acct); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, `SELECT count(*) FROM jobs WHERE account_id = $1`, acct); n != 0 {
		t.Fatalf("%d jobs of the reset account", n)
	}
	if n := count(t, db, `SELECT count(*) FROM jobs`); n != 2 {
		t.Fatalf("%d jobs after the account's reset, want 2", n)
	}
	if err := db.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Job(ctx, discovery.JobJanitor, "", ""); err != nil {
		t.Fatalf("the janitor's job after a reset: %v", err)
	}
	if n := count(t, db, `SELECT count(*) FROM jobs`); n != 1 {
		t.Fatalf("%d jobs after a reset, want 1", n)
	}
}

// Retention lists a SUCCEEDED task once its time is up, until it is marked.
func TestExportRetention(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	task := agentTask("export-1", "o-1", t0)
	if _, err := db.CreateExportTask(ctx, task, discovery.ExportAdmission{}); err != nil {
		t.Fatal(err)
	}
	later := t0.Add(time.Minute)
	j, err := db.Claim(ctx, "w", []discovery.JobKind{discovery.JobExport}, later, later.Add(time.Hour))
	if err != nil || j == nil {
		t.Fatalf("claim: %+v %v", j, err)
	}
	if tasks, err := db.ExpiringExportTasks(ctx, later, 10); err != nil || len(tasks) != 0 {
		t.Fatalf("expiring while in progress: %v, %v", tasks, err)
	}
	res := discovery.ExportResult{Status: discovery.ExportSucceeded, Message: discovery.SucceededMessage}
	if err := db.FinishExportTask(ctx, j.Lease(), acct, task.ID, res, later); err != nil {
		t.Fatal(err)
	}
	if tasks, err := db.ExpiringExportTasks(ctx, later.Add(-time.Millisecond), 10); err != nil || len(tasks) != 0 {
		t.Fatalf("expiring before cutoff: %v, %v", tasks, err)
	}
	tasks, err := db.ExpiringExportTasks(ctx, later, 10)
	if err != nil || len(tasks) != 1 || tasks[0].ID != task.ID {
		t.Fatalf("expiring = %v, %v", tasks, err)
	}
	if err := db.MarkExportExpired(ctx, task.ID, discovery.ExpiredMessage); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.GetExportTask(ctx, acct, task.ID); !got.Expired || got.Message != discovery.ExpiredMessage || got.Status != discovery.ExportSucceeded {
		t.Fatalf("expired = %+v", got)
	}
	if tasks, _ := db.ExpiringExportTasks(ctx, later.Add(time.Hour), 10); len(tasks) != 0 {
		t.Fatalf("expiring after mark: %v", tasks)
	}
	// A task a reset deleted is gone, whoever holds its job.
	if err := db.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.FinishExportTask(ctx, j.Lease(), acct, task.ID, res, later); !errors.Is(err, discovery.ErrNotFound) {
		t.Fatalf("outcome of a task deleted by a reset: %v", err)
	}
}
