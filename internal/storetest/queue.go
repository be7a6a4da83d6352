package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/worker"
)

// The export queue (worker.Queue: claim with a lease, progress, completion,
// recovery at start) and retention (worker.Retention).
// queueStore is the export queue's store.
type queueStore interface {
	exportStore
	worker.Retention
}

var queueTests = []test{
	tc("ClaimOldestReadyTaskOfAnyAccount", testClaimOrder),
	tc("LeaseIsExclusiveUntilItExpires", testLeaseTakeOver),
	tc("CompleteRecordsTheResultOnce", testComplete),
	tc("ProgressOnlyByTheOwnerWhileInProgress", testProgress),
	tc("ConcurrentClaimsClaimEachTaskOnce", testConcurrentClaims),
	tc("RecoverRequeuesOrFailsLeasedTasks", testRecover),
	tc("ExpiringTasksAndMarkExpired", testRetention),
}

// claim claims a task for owner at now with a ten-minute lease; nil if none.
func claim(t *testing.T, s ExportQueue, owner string, now time.Time) *discovery.ExportTask {
	t.Helper()
	return ok(s.ClaimExportTask(ctx(t), owner, now, now.Add(10*time.Minute)))(t)
}

func claimID(e *discovery.ExportTask) string {
	if e == nil {
		return "<none>"
	}
	return e.ID
}

func wantClaim(t *testing.T, got *discovery.ExportTask, want string) {
	t.Helper()
	if claimID(got) != want {
		t.Fatalf("claimed %s, want %s", claimID(got), want)
	}
}

func wantNotFound(t *testing.T, err error, what string) {
	t.Helper()
	if !errors.Is(err, discovery.ErrNotFound) {
		t.Fatalf("%s = %v, want ErrNotFound", what, err)
	}
}

func testClaimOrder(t *testing.T, s queueStore) {
	tasks := []*discovery.ExportTask{
		exportTask(acctA, "e1", t0),                  // oldest, ready ten minutes later
		exportTask(acctB, "e2", t0.Add(time.Minute)), // ready at once
		exportTask(acctA, "e3", t0.Add(time.Minute)), // ties e2, ID after it
		exportTask(acctA, "e4", t0.Add(-time.Hour)),  // never ready
		exportTask(acctA, "e5", t0.Add(-2*time.Hour)),
	}
	tasks[0].ReadyAt = t0.Add(10 * time.Minute)
	tasks[1].ReadyAt, tasks[2].ReadyAt = t0, t0
	tasks[3].ReadyAt = never
	tasks[4].ReadyAt = t0.Add(-2 * time.Hour)
	for _, e := range tasks {
		create(t, s, e)
	}
	finish(t, s, tasks[4], discovery.ExportSucceeded) // finished tasks are never claimed
	got := claim(t, s, "w", t0)
	wantClaim(t, got, "e2")
	want := *tasks[1]
	want.Attempts = 1
	if d := exportDiff(got, &want); d != "" {
		t.Fatalf("claimed task: %s", d)
	}
	wantClaim(t, claim(t, s, "w", t0), "e3")
	wantClaim(t, claim(t, s, "w", t0.Add(10*time.Minute-time.Millisecond)), "<none>")
	wantClaim(t, claim(t, s, "w", t0.Add(10*time.Minute)), "e1")
	for _, id := range []string{"e1", "e2", "e3"} {
		must(t, s.CompleteExportTask(ctx(t), "w", id, discovery.ExportResult{Status: discovery.ExportSucceeded}, t0.Add(10*time.Minute)))
	}
	wantClaim(t, claim(t, s, "w", t0.Add(500*time.Hour)), "<none>")
}

func testLeaseTakeOver(t *testing.T, s queueStore) {
	c := ctx(t)
	create(t, s, exportTask(acctA, "e1", t0))
	until := t0.Add(10 * time.Minute)
	first := ok(s.ClaimExportTask(c, "w1", t0, until))(t)
	wantClaim(t, first, "e1")
	wantClaim(t, claim(t, s, "w2", t0.Add(5*time.Minute)), "<none>")
	wantClaim(t, claim(t, s, "w2", until.Add(-time.Millisecond)), "<none>")
	second := claim(t, s, "w2", until.Add(time.Millisecond))
	wantClaim(t, second, "e1")
	if second.Attempts != 2 {
		t.Fatalf("attempts after a take-over = %d, want 2", second.Attempts)
	}
	// The first owner lost the task.
	wantNotFound(t, s.ReportExportProgress(c, "w1", "e1", "w1 at work"), "progress of the old owner")
	wantNotFound(t, s.CompleteExportTask(c, "w1", "e1", discovery.ExportResult{Status: discovery.ExportFailed}, until), "completion by the old owner")
	if e := ok(s.GetExportTask(c, acctA, "e1"))(t); e.Status != discovery.ExportInProgress || e.Message != discovery.InProgressMessage {
		t.Fatalf("task after the old owner's calls: %s %q", e.Status, e.Message)
	}
	must(t, s.CompleteExportTask(c, "w2", "e1", discovery.ExportResult{Status: discovery.ExportSucceeded, Message: "done"}, until))
	// Completed once: not again, by anyone, and never claimed again.
	wantNotFound(t, s.CompleteExportTask(c, "w2", "e1", discovery.ExportResult{Status: discovery.ExportFailed, Message: "again"}, until), "second completion")
	if e := ok(s.GetExportTask(c, acctA, "e1"))(t); e.Status != discovery.ExportSucceeded || e.Message != "done" {
		t.Fatalf("task after a second completion: %s %q", e.Status, e.Message)
	}
	wantClaim(t, claim(t, s, "w3", t0.Add(500*time.Hour)), "<none>")
}

func testComplete(t *testing.T, s queueStore) {
	c := ctx(t)
	ok1, bad := exportTask(acctA, "ok", t0), exportTask(acctA, "bad", t0.Add(time.Second))
	create(t, s, ok1)
	create(t, s, bad)
	wantClaim(t, claim(t, s, "w", t0.Add(time.Minute)), "ok")
	wantClaim(t, claim(t, s, "w", t0.Add(time.Minute)), "bad")
	done := t0.Add(3*time.Minute + 250*time.Millisecond)
	must(t, s.CompleteExportTask(c, "w", "ok", discovery.ExportResult{Status: discovery.ExportSucceeded, Message: discovery.SucceededMessage,
		IsTruncated: true, FileSize: 123456789}, done))
	must(t, s.CompleteExportTask(c, "w", "bad", discovery.ExportResult{Status: discovery.ExportFailed, Message: "Export failed: no data."}, done))
	wantOK := *ok1
	wantOK.Status, wantOK.Message, wantOK.IsTruncated, wantOK.FileSize, wantOK.FinishedAt, wantOK.Attempts =
		discovery.ExportSucceeded, discovery.SucceededMessage, true, 123456789, done, 1
	wantBad := *bad
	wantBad.Status, wantBad.Message, wantBad.FinishedAt, wantBad.Attempts = discovery.ExportFailed, "Export failed: no data.", done, 1
	for _, want := range []*discovery.ExportTask{&wantOK, &wantBad} {
		if d := exportDiff(ok(s.GetExportTask(c, acctA, want.ID))(t), want); d != "" {
			t.Errorf("%s: %s", want.ID, d)
		}
	}
	wantNotFound(t, s.CompleteExportTask(c, "w", "unknown", discovery.ExportResult{Status: discovery.ExportFailed}, done), "completion of an unknown task")
	wantNotFound(t, s.CompleteExportTask(c, "w", "ok", discovery.ExportResult{Status: discovery.ExportFailed}, done), "completion of a finished task")
}

func testProgress(t *testing.T, s queueStore) {
	c := ctx(t)
	create(t, s, exportTask(acctA, "e1", t0))
	create(t, s, exportTask(acctA, "e2", t0.Add(time.Second)))
	wantClaim(t, claim(t, s, "w", t0), "e1")
	message := func(id string) string { return ok(s.GetExportTask(c, acctA, id))(t).Message }
	wantNotFound(t, s.ReportExportProgress(c, "w", "e2", "not leased"), "progress of an unleased task")
	if m := message("e2"); m != discovery.InProgressMessage {
		t.Fatalf("message of an unleased task = %q", m)
	}
	for i := 1; i <= 3; i++ {
		msg := discovery.ProgressMessage(i, 3)
		must(t, s.ReportExportProgress(c, "w", "e1", msg))
		if m := message("e1"); m != msg {
			t.Fatalf("message = %q, want %q", m, msg)
		}
	}
	wantNotFound(t, s.ReportExportProgress(c, "other", "e1", "intruder"), "progress of another owner")
	must(t, s.CompleteExportTask(c, "w", "e1", discovery.ExportResult{Status: discovery.ExportSucceeded, Message: discovery.SucceededMessage}, t0))
	wantNotFound(t, s.ReportExportProgress(c, "w", "e1", "late"), "progress after completion")
	if m := message("e1"); m != discovery.SucceededMessage {
		t.Fatalf("message after completion = %q", m)
	}
}

func testConcurrentClaims(t *testing.T, s queueStore) {
	const n = 6
	account := map[string]string{}
	for i := range n {
		e := exportTask([]string{acctA, acctB}[i%2], fmt.Sprintf("e%d", i), t0.Add(time.Duration(i)*time.Second))
		account[e.ID] = e.AccountID
		create(t, s, e)
	}
	byOwner := together(t, 8, func(w int) ([]string, error) {
		var ids []string
		for range 2 * n { // a store that hands out claimed tasks again must not loop forever
			e, err := s.ClaimExportTask(ctx(t), fmt.Sprintf("w%d", w), t0.Add(time.Minute), t0.Add(time.Hour))
			if err != nil || e == nil {
				return ids, err
			}
			ids = append(ids, e.ID)
		}
		return ids, nil
	})
	claims := map[string][]string{}
	for w, ids := range byOwner {
		for _, id := range ids {
			claims[id] = append(claims[id], fmt.Sprintf("w%d", w))
		}
	}
	if len(claims) != n {
		t.Fatalf("claimed %d tasks, want %d: %v", len(claims), n, claims)
	}
	for id, owners := range claims {
		if len(owners) != 1 {
			t.Fatalf("%s claimed by %v", id, owners)
		}
		if e := ok(s.GetExportTask(ctx(t), account[id], id))(t); e.Attempts != 1 {
			t.Fatalf("%s attempts = %d, want 1", id, e.Attempts)
		}
	}
}

func testRecover(t *testing.T, s queueStore) {
	c := ctx(t)
	once, thrice, idle := exportTask(acctA, "once", t0), exportTask(acctB, "thrice", t0.Add(time.Second)), exportTask(acctA, "idle", t0.Add(2*time.Second))
	done := exportTask(acctA, "done", t0.Add(-time.Hour))
	done.ReadyAt = t0.Add(-time.Hour)
	idle.ReadyAt = never
	for _, e := range []*discovery.ExportTask{once, thrice, idle, done} {
		create(t, s, e)
	}
	finish(t, s, done, discovery.ExportSucceeded)
	now := t0.Add(time.Minute)
	wantClaim(t, ok(s.ClaimExportTask(c, "dead-1", now, never))(t), "once")
	// thrice: claimed, then taken over after its lease ran out, twice.
	for i := range 3 {
		wantClaim(t, claim(t, s, fmt.Sprintf("dead-%d", i+2), now), "thrice")
		now = now.Add(11 * time.Minute)
	}
	msg := "Export failed: the server stopped while building this export 3 times. Start a new export."
	requeued, failed, err := s.RecoverExportTasks(c, 3, msg, now)
	if err != nil || requeued != 1 || failed != 1 {
		t.Fatalf("recover = %d requeued, %d failed, %v; want 1, 1", requeued, failed, err)
	}
	got := ok(s.GetExportTask(c, acctB, "thrice"))(t)
	if got.Status != discovery.ExportFailed || got.Message != msg || !got.FinishedAt.Equal(now) || got.Attempts != 3 {
		t.Fatalf("failed task = %s %q finished %v attempts %d", got.Status, got.Message, got.FinishedAt, got.Attempts)
	}
	for _, id := range []string{"idle", "done"} {
		before := map[string]discovery.ExportStatus{"idle": discovery.ExportInProgress, "done": discovery.ExportSucceeded}[id]
		if e := ok(s.GetExportTask(c, acctA, id))(t); e.Status != before || e.Attempts != map[string]int{"idle": 0, "done": 1}[id] {
			t.Fatalf("%s after recovery: %s, %d attempts", id, e.Status, e.Attempts)
		}
	}
	if r, f, err := s.RecoverExportTasks(c, 3, msg, now); err != nil || r != 0 || f != 0 {
		t.Fatalf("second recovery = %d, %d, %v; want nothing to do", r, f, err)
	}
	// The requeued task is free at once, though its old lease has not run out.
	wantNotFound(t, s.CompleteExportTask(c, "dead-1", "once", discovery.ExportResult{Status: discovery.ExportSucceeded}, now), "completion by the dead owner")
	again := claim(t, s, "alive", t0.Add(time.Minute))
	wantClaim(t, again, "once")
	if again.Attempts != 2 {
		t.Fatalf("attempts of the requeued task = %d, want 2", again.Attempts)
	}
	must(t, s.CompleteExportTask(c, "alive", "once", discovery.ExportResult{Status: discovery.ExportSucceeded, Message: "ok"}, now))
	wantClaim(t, claim(t, s, "alive", never.Add(time.Hour)), "idle")
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
