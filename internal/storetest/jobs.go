package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/queue"
	"github.com/poseidon-ads/poseidon/internal/worker"
)

// Jobs: each task is created with its job (queue.Store), in its
// transaction; what the export worker writes under a job's lease
// (FinishExportTask, ReportExportProgress); what failing a job for good
// does to each kind's task (queue.Store.Fail); resets and jobs; retention
// (worker.Retention). The job queue's own rules (leases, take-over,
// heartbeats, attempts) are its suite's, queue/queuetest, which every store
// runs too.
var jobTests = []test{
	tc("ExportsAreCreatedWithTheirJobs", testExportJobs),
	tc("EachTaskIsCreatedWithItsJob", testTaskJobs),
	tc("ExportOutcomeUnderTheLease", testExportOutcome),
	tc("ProgressUnderTheLeaseWhileInProgress", testProgress),
	tc("FailEndsEachKindsTask", testFailTasks),
	tc("ExpiringTasksAndMarkExpired", testRetention),
}

// jobKinds are the kinds of the tasks' jobs.
var jobKinds = []discovery.JobKind{discovery.JobExport, discovery.JobImport, discovery.JobBatchDelete,
	discovery.JobContinuousStart, discovery.JobContinuousStop}

// jobStore is the job queue with the tasks whose jobs it holds.
type jobStore interface {
	Store
}

// queueStore is the export tasks' store with retention.
type queueStore interface {
	exportStore
	JobLookup
	worker.Retention
}

// claimJob claims, for owner at now with a lease of an hour, the job of
// kind of account's task ref; the jobs of other tasks that it claims on the
// way it gives back as they were.
func claimJob(t *testing.T, s queue.Store, owner string, kind discovery.JobKind, account, ref string, now time.Time) *discovery.Job {
	t.Helper()
	var others []*discovery.Job
	defer func() {
		for _, j := range others {
			must(t, s.Release(ctx(t), j.Lease(), j.RunAt))
		}
	}()
	for range 1000 {
		j := ok(s.Claim(ctx(t), owner, []discovery.JobKind{kind}, now, now.Add(time.Hour)))(t)
		if j == nil {
			t.Fatalf("no %s job of %s/%s due at %v", kind, account, ref, now)
		}
		if j.Account == account && j.Ref == ref {
			return j
		}
		others = append(others, j)
	}
	t.Fatalf("the %s jobs do not end", kind)
	return nil
}

// claimNext claims for owner at now the next job of kinds; "<none>" if
// none is due, else "account/ref".
func claimNext(t *testing.T, s queue.Store, owner string, now time.Time, kinds ...discovery.JobKind) (string, *discovery.Job) {
	t.Helper()
	j := ok(s.Claim(ctx(t), owner, kinds, now, now.Add(10*time.Minute)))(t)
	if j == nil {
		return "<none>", nil
	}
	return j.Account[:1] + "/" + j.Ref, j
}

// wantJob fails the test unless the job of kind of account's task ref is
// queued, due at runAt (at any time if zero: it reads back due at the Unix
// epoch or before), and returns it.
func wantJob(t *testing.T, s JobLookup, kind discovery.JobKind, account, ref string, runAt time.Time) *discovery.Job {
	t.Helper()
	j, err := s.Job(ctx(t), kind, account, ref)
	if err != nil {
		t.Fatalf("%s job of %s/%s: %v", kind, account, ref, err)
	}
	due := j.RunAt.Equal(runAt)
	if runAt.IsZero() {
		due = !j.RunAt.After(time.Unix(0, 0))
	}
	if j.Kind != kind || j.Account != account || j.Ref != ref || !due || j.Owner != "" {
		t.Fatalf("%s job of %s/%s = %+v, want one due at %v, unclaimed", kind, account, ref, j, runAt)
	}
	return j
}

// wantNoJob fails the test if a job of kind of account's task ref is
// queued.
func wantNoJob(t *testing.T, s JobLookup, kind discovery.JobKind, account, ref string) {
	t.Helper()
	if j, err := s.Job(ctx(t), kind, account, ref); !errors.Is(err, discovery.ErrNotFound) {
		t.Fatalf("%s job of %s/%s = %+v, %v; want none", kind, account, ref, j, err)
	}
}

func wantNotFound(t *testing.T, err error, what string) {
	t.Helper()
	if !errors.Is(err, discovery.ErrNotFound) {
		t.Fatalf("%s = %v, want ErrNotFound", what, err)
	}
}

func wantLeaseLost(t *testing.T, err error, what string) {
	t.Helper()
	if !errors.Is(err, discovery.ErrLeaseLost) {
		t.Fatalf("%s = %v, want ErrLeaseLost", what, err)
	}
}

// An export in progress is created with its job, due at its ready time, in
// its account; a refused one has none. Due jobs are claimed in the order
// of their time, then of their creation, whatever their account; only the
// kinds asked for.
func testExportJobs(t *testing.T, s queueStore) {
	c := ctx(t)
	tasks := []*discovery.ExportTask{
		exportTask(acctA, "e1", t0),                  // oldest, ready ten minutes later
		exportTask(acctB, "e2", t0.Add(time.Minute)), // ready at once
		exportTask(acctA, "e3", t0.Add(time.Minute)), // ties e2, created after it
		exportTask(acctA, "e4", t0.Add(-time.Hour)),  // never ready
		exportTask(acctA, "e5", t0.Add(-2*time.Hour)),
	}
	tasks[0].ReadyAt = t0.Add(10 * time.Minute)
	tasks[1].ReadyAt, tasks[2].ReadyAt = t0, t0
	tasks[3].ReadyAt = never
	tasks[4].ReadyAt = t0.Add(-2 * time.Hour)
	for _, e := range tasks {
		create(t, s, e)
		wantJob(t, s, discovery.JobExport, e.AccountID, e.ID, e.ReadyAt)
	}
	wantNoJob(t, s, discovery.JobExport, acctB, "e1")
	// A refused export has no job.
	refused := exportTask(acctA, "refused", t0)
	if r := admit(t, s, refused, discovery.ExportAdmission{Limits: []discovery.ExportLimit{{Max: 1}}}); r == nil {
		t.Fatal("an export past its limit was admitted")
	}
	wantNoJob(t, s, discovery.JobExport, acctA, "refused")
	// Finished tasks have no job.
	finish(t, s, tasks[4], discovery.ExportSucceeded)
	wantNoJob(t, s, discovery.JobExport, acctA, "e5")

	if got, _ := claimNext(t, s, "w", t0, discovery.JobImport, discovery.JobBatchDelete); got != "<none>" {
		t.Fatalf("claimed %s of other kinds", got)
	}
	got, j := claimNext(t, s, "w", t0, discovery.JobExport)
	if got != "2/e2" || j.Kind != discovery.JobExport || j.Owner != "w" || !j.RunAt.Equal(t0) || !j.LeaseUntil.Equal(t0.Add(10*time.Minute)) || j.Attempts != 1 {
		t.Fatalf("claimed %s: %+v", got, j)
	}
	if got, _ := claimNext(t, s, "w", t0, discovery.JobExport); got != "1/e3" {
		t.Fatalf("claimed %s, want 1/e3", got)
	}
	if got, _ := claimNext(t, s, "w", t0.Add(10*time.Minute-time.Millisecond), discovery.JobExport); got != "<none>" {
		t.Fatalf("claimed %s before its time", got)
	}
	if got, _ := claimNext(t, s, "w2", t0.Add(10*time.Minute), discovery.JobExport); got != "1/e1" {
		t.Fatalf("claimed %s, want 1/e1", got)
	}
	if e := ok(s.GetExportTask(c, acctA, "e1"))(t); e.Status != discovery.ExportInProgress || e.Message != discovery.InProgressMessage {
		t.Fatalf("claimed task = %+v", e)
	}

	// The depths: e1 leased until 20 minutes, e2 and e3 until 10, e4
	// never due.
	for _, d := range []struct {
		at   time.Time
		want discovery.JobDepth
	}{
		{t0.Add(10 * time.Minute), discovery.JobDepth{Kind: discovery.JobExport, Running: 3, Scheduled: 1}},
		{t0.Add(15 * time.Minute), discovery.JobDepth{Kind: discovery.JobExport, Running: 1, Queued: 2, Scheduled: 1}},
	} {
		if got := ok(s.JobDepths(c, d.at))(t); !slices.Equal(got, []discovery.JobDepth{d.want}) {
			t.Fatalf("depths at %v = %+v, want %+v", d.at.Sub(t0), got, d.want)
		}
	}
}

// Imports, batch deletes and continuous-export transitions are created
// with their jobs, each in its account: an import and a batch delete due
// at once (whenever the clock says), a continuous export's start and stop
// ContinuousTransitionTime later. A second create with a client token
// makes no second job.
func testTaskJobs(t *testing.T, s jobStore) {
	c := ctx(t)
	newImport(t, s, importTask(acctA, "imp-1", "tok", t0))
	if _, created, err := s.CreateImportTask(c, importTask(acctA, "imp-2", "tok", t0)); err != nil || created {
		t.Fatalf("second create with the token: created %v, %v", created, err)
	}
	must(t, s.InsertBatchDeleteTask(c, batchDelete(acctB, "bd-1", t0, serverOf(acctB, 1))))
	if running := ok(s.StartContinuousExport(c, cx(acctA, "cx-1", t0)))(t); running != nil {
		t.Fatalf("running %+v", running)
	}
	wantJob(t, s, discovery.JobImport, acctA, "imp-1", time.Time{})
	wantNoJob(t, s, discovery.JobImport, acctA, "imp-2")
	wantJob(t, s, discovery.JobBatchDelete, acctB, "bd-1", time.Time{})
	wantNoJob(t, s, discovery.JobBatchDelete, acctA, "bd-1")
	start := wantJob(t, s, discovery.JobContinuousStart, acctA, "cx-1", t0.Add(discovery.ContinuousTransitionTime))
	if !start.Created.Equal(t0) {
		t.Fatalf("start job created %v, want %v", start.Created, t0)
	}
	wantNoJob(t, s, discovery.JobContinuousStop, acctA, "cx-1")
	// Due at once, even at a time before the task was made.
	early := t0.Add(-24 * time.Hour)
	var due []string
	for range 3 {
		got, _ := claimNext(t, s, "w", early, discovery.JobImport, discovery.JobBatchDelete, discovery.JobContinuousStart, discovery.JobContinuousStop)
		due = append(due, got)
	}
	slices.Sort(due)
	sameLines(t, "due at once", due, []string{"1/imp-1", "2/bd-1", "<none>"})
	stop := t0.Add(time.Hour)
	if got := ok(s.StopContinuousExport(c, acctA, "cx-1", stop))(t); got.State != discovery.ContinuousStopInProgress || !got.Stop.Equal(stop) {
		t.Fatalf("stopped = %+v", got)
	}
	wantJob(t, s, discovery.JobContinuousStop, acctA, "cx-1", stop.Add(discovery.ContinuousTransitionTime))
}

// FinishExportTask records an outcome under the lease of the task's job,
// once, in the task's account: a lease taken over, a task finished, gone or
// another account's refuse it and leave the task as it was.
func testExportOutcome(t *testing.T, s queueStore) {
	c := ctx(t)
	ok1, bad := exportTask(acctA, "ok", t0), exportTask(acctA, "bad", t0.Add(time.Second))
	create(t, s, ok1)
	create(t, s, bad)
	first := claimJob(t, s, "w1", discovery.JobExport, acctA, "ok", t0)
	// w1's lease passes and w2 takes the job over.
	second := claimJob(t, s, "w2", discovery.JobExport, acctA, "ok", t0.Add(2*time.Hour))
	if second.ID != first.ID || second.Attempts != 2 {
		t.Fatalf("taken over: %+v, first %+v", second, first)
	}
	done := t0.Add(3*time.Minute + 250*time.Millisecond)
	wantLeaseLost(t, s.FinishExportTask(c, first.Lease(), acctA, "ok", discovery.ExportResult{Status: discovery.ExportFailed, Message: "stale"}, done),
		"an outcome under a lease taken over")
	if e := ok(s.GetExportTask(c, acctA, "ok"))(t); e.Status != discovery.ExportInProgress || e.Message != discovery.InProgressMessage {
		t.Fatalf("task after a stale outcome: %s %q", e.Status, e.Message)
	}
	wantNotFound(t, s.FinishExportTask(c, second.Lease(), acctB, "ok", discovery.ExportResult{Status: discovery.ExportFailed}, done),
		"another account's outcome")
	wantNotFound(t, s.FinishExportTask(c, second.Lease(), acctA, "unknown", discovery.ExportResult{Status: discovery.ExportFailed}, done),
		"the outcome of an unknown task")
	must(t, s.FinishExportTask(c, second.Lease(), acctA, "ok", discovery.ExportResult{Status: discovery.ExportSucceeded, Message: discovery.SucceededMessage,
		IsTruncated: true, FileSize: 123456789}, done))
	// FinishExportJob: the outcome and the job's completion in one
	// transaction; under a lease taken over, neither.
	badStale := claimJob(t, s, "w1", discovery.JobExport, acctA, "bad", t0.Add(30*time.Minute))
	badJob := claimJob(t, s, "w2", discovery.JobExport, acctA, "bad", t0.Add(2*time.Hour))
	wantLeaseLost(t, s.FinishExportJob(c, badStale.Lease(), acctA, "bad", discovery.ExportResult{Status: discovery.ExportFailed, Message: "stale"}, done),
		"an outcome and completion under a lease taken over")
	if e := ok(s.GetExportTask(c, acctA, "bad"))(t); e.Status != discovery.ExportInProgress {
		t.Fatalf("task after a stale outcome and completion: %s %q", e.Status, e.Message)
	}
	must(t, s.FinishExportJob(c, badJob.Lease(), acctA, "bad", discovery.ExportResult{Status: discovery.ExportFailed, Message: "Export failed: no data."}, done))
	wantNoJob(t, s, discovery.JobExport, acctA, "bad")
	wantLeaseLost(t, s.Complete(c, badJob.Lease()), "completing a job its outcome completed")
	wantOK := *ok1
	wantOK.Status, wantOK.Message, wantOK.IsTruncated, wantOK.FileSize, wantOK.FinishedAt = discovery.ExportSucceeded, discovery.SucceededMessage, true, 123456789, done
	wantBad := *bad
	wantBad.Status, wantBad.Message, wantBad.FinishedAt = discovery.ExportFailed, "Export failed: no data.", done
	for _, want := range []*discovery.ExportTask{&wantOK, &wantBad} {
		if d := exportDiff(ok(s.GetExportTask(c, acctA, want.ID))(t), want); d != "" {
			t.Errorf("%s: %s", want.ID, d)
		}
	}
	// Recorded once: not again, even under the lease.
	if err := s.FinishExportTask(c, second.Lease(), acctA, "ok", discovery.ExportResult{Status: discovery.ExportFailed, Message: "again"}, done); err == nil {
		t.Fatal("a second outcome was recorded")
	}
	if e := ok(s.GetExportTask(c, acctA, "ok"))(t); e.Status != discovery.ExportSucceeded || e.Message != discovery.SucceededMessage {
		t.Fatalf("task after a second outcome: %s %q", e.Status, e.Message)
	}
	must(t, s.Complete(c, second.Lease()))
	wantNoJob(t, s, discovery.JobExport, acctA, "ok")
	wantLeaseLost(t, s.Complete(c, second.Lease()), "a second completion of the job")
}

// ReportExportProgress sets the message of a task in progress under the
// lease of its job only.
func testProgress(t *testing.T, s queueStore) {
	c := ctx(t)
	create(t, s, exportTask(acctA, "e1", t0))
	create(t, s, exportTask(acctA, "e2", t0.Add(time.Second)))
	j := claimJob(t, s, "w", discovery.JobExport, acctA, "e1", t0)
	message := func(id string) string { return ok(s.GetExportTask(c, acctA, id))(t).Message }
	for i := 1; i <= 3; i++ {
		msg := discovery.ProgressMessage(i, 3)
		must(t, s.ReportExportProgress(c, j.Lease(), acctA, "e1", msg))
		if m := message("e1"); m != msg {
			t.Fatalf("message = %q, want %q", m, msg)
		}
	}
	wantLeaseLost(t, s.ReportExportProgress(c, discovery.Lease{Job: j.ID, Owner: "other"}, acctA, "e1", "intruder"), "progress of another owner")
	if err := s.ReportExportProgress(c, j.Lease(), acctB, "e1", "B's"); err == nil {
		t.Fatal("progress of another account's task")
	}
	if m := message("e1"); m != discovery.ProgressMessage(3, 3) {
		t.Fatalf("message after refused progress = %q", m)
	}
	must(t, s.FinishExportTask(c, j.Lease(), acctA, "e1", discovery.ExportResult{Status: discovery.ExportSucceeded, Message: discovery.SucceededMessage}, t0))
	if err := s.ReportExportProgress(c, j.Lease(), acctA, "e1", "late"); err == nil {
		t.Fatal("progress after the outcome")
	}
	if m := message("e1"); m != discovery.SucceededMessage {
		t.Fatalf("message after completion = %q", m)
	}
	if m := message("e2"); m != discovery.InProgressMessage {
		t.Fatalf("message of the other task = %q", m)
	}
}

// Failing a job for good marks its task failed with the reason, as each
// kind says, and removes the job; a task that ended already stays as it
// is. A continuous export whose start failed no longer runs.
func testFailTasks(t *testing.T, s jobStore) {
	c := ctx(t)
	create(t, s, exportTask(acctA, "e1", t0))
	newImport(t, s, importTask(acctA, "imp-1", "", t0))
	must(t, s.InsertBatchDeleteTask(c, batchDelete(acctA, "bd-1", t0, serverOf(acctA, 1))))
	ok(s.StartContinuousExport(c, cx(acctA, "cx-1", t0)))(t)
	ok(s.StartContinuousExport(c, cx(acctB, "cx-2", t0)))(t)
	ok(s.StopContinuousExport(c, acctB, "cx-2", t0.Add(time.Minute)))(t)
	at := t0.Add(time.Hour)
	for _, j := range []struct {
		kind             discovery.JobKind
		account, ref, at string
	}{
		{discovery.JobExport, acctA, "e1", ""}, {discovery.JobImport, acctA, "imp-1", ""}, {discovery.JobBatchDelete, acctA, "bd-1", ""},
		{discovery.JobContinuousStart, acctA, "cx-1", ""}, {discovery.JobContinuousStop, acctB, "cx-2", ""},
	} {
		job := claimJob(t, s, "w", j.kind, j.account, j.ref, at)
		must(t, s.Fail(c, job.Lease(), "why "+j.ref, at))
		wantNoJob(t, s, j.kind, j.account, j.ref)
		wantLeaseLost(t, s.Fail(c, job.Lease(), "again", at), "a second failure of "+j.ref)
	}
	if e := ok(s.GetExportTask(c, acctA, "e1"))(t); e.Status != discovery.ExportFailed || e.Message != "why e1" || !e.FinishedAt.Equal(at) {
		t.Errorf("failed export = %+v", e)
	}
	if it := ok(s.ImportTask(c, acctA, "imp-1"))(t); it.Status != discovery.ImportFailed || it.CompletionMS != at.UnixMilli() {
		t.Errorf("failed import = %+v", it)
	}
	if b := ok(s.BatchDeleteTask(c, acctA, "bd-1"))(t); b.Status != discovery.BatchDeleteFailed || !b.End.Equal(at) {
		t.Errorf("failed batch delete = %+v", b)
	}
	cxState := func(account, id string) *discovery.ContinuousExport {
		es := ok(s.ContinuousExports(c, discovery.ContinuousExportQuery{AccountID: account, IDs: []string{id}}))(t)
		if len(es) != 1 {
			t.Fatalf("%d continuous exports %s", len(es), id)
		}
		return es[0]
	}
	if e := cxState(acctA, "cx-1"); e.State != discovery.ContinuousStartFailed || e.StatusDetail != "why cx-1" || e.Stop.IsZero() {
		t.Errorf("failed start = %+v", e)
	}
	if e := cxState(acctB, "cx-2"); e.State != discovery.ContinuousStopFailed || e.StatusDetail != "why cx-2" {
		t.Errorf("failed stop = %+v", e)
	}
	if r := ok(s.RunningContinuousExport(c, acctA))(t); r != nil {
		t.Errorf("running after a failed start: %+v", r)
	}
	if r := ok(s.StartContinuousExport(c, cx(acctA, "cx-3", at)))(t); r != nil {
		t.Errorf("start after a failed start: running %+v", r)
	}
	// A task that ended stays as it ended.
	e2 := exportTask(acctA, "e2", t0)
	create(t, s, e2)
	j := claimJob(t, s, "w", discovery.JobExport, acctA, "e2", at)
	must(t, s.FinishExportTask(c, j.Lease(), acctA, "e2", discovery.ExportResult{Status: discovery.ExportSucceeded, Message: "done"}, at))
	must(t, s.Fail(c, j.Lease(), "late", at.Add(time.Minute)))
	if e := ok(s.GetExportTask(c, acctA, "e2"))(t); e.Status != discovery.ExportSucceeded || e.Message != "done" || !e.FinishedAt.Equal(at) {
		t.Errorf("failed after it succeeded = %+v", e)
	}
	wantNoJob(t, s, discovery.JobExport, acctA, "e2")
}

func testRetention(t *testing.T, s queueStore) {
	c := ctx(t)
	// Finished in this order: failed at t0, s1 at t0+1m, s3 (of B) at t0+2m, s2 at t0+3m.
	failed := exportTask(acctA, "failed", t0.Add(-4*time.Minute))
	s1 := exportTask(acctA, "s1", t0.Add(-3*time.Minute))
	s3 := exportTask(acctB, "s3", t0.Add(-2*time.Minute))
	s2 := exportTask(acctA, "s2", t0.Add(-time.Minute))
	running := exportTask(acctA, "running", t0.Add(-5*time.Minute))
	running.ReadyAt = never
	for i, e := range []*discovery.ExportTask{failed, s1, s3, s2} {
		e.ReadyAt = t0.Add(time.Duration(i-1) * time.Minute)
		create(t, s, e)
	}
	create(t, s, running)
	finish(t, s, failed, discovery.ExportFailed)
	for _, e := range []*discovery.ExportTask{s1, s3, s2} {
		finish(t, s, e, discovery.ExportSucceeded)
	}
	expiring := func(cutoff time.Time, limit int) []string {
		return exportIDs(ok(s.ExpiringExportTasks(c, cutoff, limit))(t))
	}
	sameLines(t, "expiring at t0", expiring(t0, 10), nil)
	sameLines(t, "expiring at t0+1m", expiring(t0.Add(time.Minute), 10), []string{"s1"})
	sameLines(t, "expiring at t0+2m", expiring(t0.Add(2*time.Minute), 10), []string{"s1", "s3"})
	sameLines(t, "expiring at t0+1h", expiring(t0.Add(time.Hour), 10), []string{"s1", "s3", "s2"})
	sameLines(t, "expiring at t0+1h, two", expiring(t0.Add(time.Hour), 2), []string{"s1", "s3"})
	must(t, s.MarkExportExpired(c, "s1", discovery.ExpiredMessage))
	e := ok(s.GetExportTask(c, acctA, "s1"))(t)
	if !e.Expired || e.Message != discovery.ExpiredMessage || e.Status != discovery.ExportSucceeded {
		t.Fatalf("expired task: expired %v, %s %q", e.Expired, e.Status, e.Message)
	}
	sameLines(t, "expiring after s1 expired", expiring(t0.Add(time.Hour), 10), []string{"s3", "s2"})
	must(t, s.MarkExportExpired(c, "s3", discovery.ExpiredMessage))
	if e := ok(s.GetExportTask(c, acctB, "s3"))(t); !e.Expired {
		t.Fatal("s3 is not expired")
	}
	if e := ok(s.GetExportTask(c, acctA, "s2"))(t); e.Expired || e.Message != string(discovery.ExportSucceeded) {
		t.Fatalf("s2 changed: expired %v, %q", e.Expired, e.Message)
	}
}

var _ = fmt.Sprint
