package storetest

import (
	"bytes"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// What a restart keeps: the suite reopens the store, as the next process
// would after the last one ended (or was killed) with work in flight.
var restartTests = []restartTest{
	rtc("AcknowledgedWritesSurvive", testRestartKeepsWrites),
	rtc("InFlightExportsAreRecoverable", testRestartRecoversExports),
	rtc("IntakeStaysIdempotent", testRestartIntake),
}

func testRestartKeepsWrites(t *testing.T, s Store, reopen func(Store) Store) {
	c := ctx(t)
	pa, pb := populate(t, s, acctA), populate(t, s, acctB)
	done := exportTask(acctA, "export-done", t0.Add(-time.Hour))
	done.ReadyAt = done.RequestTime
	create(t, s, done)
	finish(t, s, done, discovery.ExportSucceeded)
	ok(s.StopContinuousExport(c, acctB, pb.continuous, t0.Add(time.Hour)))(t)
	must(t, s.SetClockOffset(c, 36*time.Hour+250*time.Millisecond))
	secret := ok(s.Secret(c, "pagetoken"))(t)
	viewA, viewB := view(t, s, acctA, pa), view(t, s, acctB, pb)
	pendingBD := pendingIDs(t, s, 10)
	pendingImports := keys(ok(s.PendingImportTasks(c, 10))(t), func(it *discovery.ImportTask) string { return it.AccountID + "/" + it.ID })
	doneBefore := ok(s.GetExportTask(c, acctA, "export-done"))(t)

	s = reopen(s)
	sameLines(t, "A's view after a restart", view(t, s, acctA, pa), viewA)
	sameLines(t, "B's view after a restart", view(t, s, acctB, pb), viewB)
	sameLines(t, "pending batch deletes", pendingIDs(t, s, 10), pendingBD)
	sameLines(t, "pending imports", keys(ok(s.PendingImportTasks(c, 10))(t), func(it *discovery.ImportTask) string { return it.AccountID + "/" + it.ID }), pendingImports)
	if d := exportDiff(ok(s.GetExportTask(c, acctA, "export-done"))(t), doneBefore); d != "" {
		t.Fatalf("finished export after a restart: %s", d)
	}
	if d := ok(s.ClockOffset(c))(t); d != 36*time.Hour+250*time.Millisecond {
		t.Fatalf("clock offset after a restart = %v", d)
	}
	if got := ok(s.Secret(c, "pagetoken"))(t); !bytes.Equal(got, secret) {
		t.Fatal("a secret changed across a restart")
	}
	// The running continuous export still runs, and still blocks another.
	if running := ok(s.StartContinuousExport(c, cx(acctA, "cx-new", t0.Add(2*time.Hour))))(t); running == nil || running.ID != pa.continuous {
		t.Fatalf("start after a restart: running %+v, want %s", running, pa.continuous)
	}
	// The import in progress takes rows.
	ok(importRow(t, s, acctA, pa.importRunning, &discovery.ImportRow{ExternalID: "after-restart"}, t0))(t)
	if n := ok(s.CountImportRecords(c, acctA))(t); n != 2 {
		t.Fatalf("%d import records, want 2", n)
	}
}

func testRestartRecoversExports(t *testing.T, s Store, reopen func(Store) Store) {
	c := ctx(t)
	building := exportTask(acctA, "building", t0)
	waiting := exportTask(acctB, "waiting", t0.Add(time.Second))
	doomed := exportTask(acctA, "doomed", t0.Add(-3*time.Hour))
	for _, e := range []*discovery.ExportTask{building, waiting, doomed} {
		create(t, s, e)
	}
	// doomed was interrupted twice before (its leases ran out); this process
	// claims it a third time, then building, and dies with both leased.
	for i := range 3 {
		now, until := t0.Add(-3*time.Hour+time.Duration(i)*40*time.Minute), 30*time.Minute
		if i == 2 {
			until = 3 * time.Hour
		}
		wantClaim(t, ok(s.ClaimExportTask(c, "dead", now, now.Add(until)))(t), "doomed")
	}
	wantClaim(t, ok(s.ClaimExportTask(c, "dead", t0, t0.Add(time.Hour)))(t), "building")
	must(t, s.ReportExportProgress(c, "dead", "building", discovery.ProgressMessage(1, 3)))

	s = reopen(s)
	// Until recovery the leases hold.
	wantClaim(t, claim(t, s, "next", t0.Add(time.Second)), "waiting")
	// Recovery frees every lease, waiting's too (in production it runs
	// before the process claims anything), and fails doomed.
	msg := "Export failed: the server stopped while building this export 3 times. Start a new export."
	requeued, failed, err := s.RecoverExportTasks(c, 3, msg, t0.Add(2*time.Second))
	if err != nil || requeued != 2 || failed != 1 {
		t.Fatalf("recover = %d requeued, %d failed, %v; want 2, 1", requeued, failed, err)
	}
	if e := ok(s.GetExportTask(c, acctA, "doomed"))(t); e.Status != discovery.ExportFailed || e.Message != msg || e.Attempts != 3 {
		t.Fatalf("doomed after recovery = %s %q, %d attempts", e.Status, e.Message, e.Attempts)
	}
	got := claim(t, s, "next", t0.Add(3*time.Second))
	wantClaim(t, got, "building")
	if got.Attempts != 2 {
		t.Fatalf("building's attempts = %d, want 2", got.Attempts)
	}
	wantClaim(t, claim(t, s, "next", t0.Add(3*time.Second)), "waiting")
	wantNotFound(t, s.CompleteExportTask(c, "dead", "building", discovery.ExportResult{Status: discovery.ExportSucceeded}, t0), "completion by the dead owner")
	must(t, s.CompleteExportTask(c, "next", "building", discovery.ExportResult{Status: discovery.ExportSucceeded, Message: discovery.SucceededMessage, FileSize: 10}, t0.Add(time.Minute)))
	if e := ok(s.GetExportTask(c, acctA, "building"))(t); e.Status != discovery.ExportSucceeded || e.FileSize != 10 {
		t.Fatalf("building = %+v", e)
	}
}

func testRestartIntake(t *testing.T, s Store, reopen func(Store) Store) {
	wantIntake(t, intake(t, s, acctA, report(1, 0), report(2, 0)), []string{"r-1-0", "r-2-0"}, 0, nil)
	ok(s.SetCollectionStatus(ctx(t), acctA, []string{agentID(2)}, discovery.CollectionStopped))(t)
	s = reopen(s)
	wantIntake(t, intake(t, s, acctA, report(1, 0), report(1, 1), report(2, 1)), []string{"r-1-1"}, 1, []string{"r-2-1"})
	if n := perfCount(t, s, acctA, 1); n != 2 {
		t.Fatalf("agent 1 has %d samples, want 2", n)
	}
}
