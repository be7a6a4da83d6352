package storetest

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// What a restart keeps: the suite reopens the store, as the next process
// would after the last one ended (or was killed) with work in flight.
var restartTests = []restartTest{
	rtc("AcknowledgedWritesSurvive", testRestartKeepsWrites),
	rtc("LeasedJobsSurvive", testRestartLeasedJobs),
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
	ok(s.UpdateControl(c, func(ctl *discovery.Control) { ctl.ClockOffset = 36*time.Hour + 250*time.Millisecond }))(t)
	secret := ok(s.Secret(c, "pagetoken"))(t)
	// The views hold the tasks' jobs.
	viewA, viewB := view(t, s, acctA, pa), view(t, s, acctB, pb)
	doneBefore := ok(s.GetExportTask(c, acctA, "export-done"))(t)

	s = reopen(s)
	sameLines(t, "A's view after a restart", view(t, s, acctA, pa), viewA)
	sameLines(t, "B's view after a restart", view(t, s, acctB, pb), viewB)
	if d := exportDiff(ok(s.GetExportTask(c, acctA, "export-done"))(t), doneBefore); d != "" {
		t.Fatalf("finished export after a restart: %s", d)
	}
	if d := ok(s.Control(c))(t).ClockOffset; d != 36*time.Hour+250*time.Millisecond {
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

// Jobs and their leases survive a restart: a job leased by the process
// that died stays its owner's until the lease passes (or the next process
// ends the leases of its dead owners), with its attempts; then another
// owner takes it over, and the dead owner's writes are refused.
func testRestartLeasedJobs(t *testing.T, s Store, reopen func(Store) Store) {
	c := ctx(t)
	building := exportTask(acctA, "building", t0)
	waiting := exportTask(acctB, "waiting", t0.Add(time.Second))
	doomed := exportTask(acctA, "doomed", t0.Add(-3*time.Hour))
	for _, e := range []*discovery.ExportTask{building, waiting, doomed} {
		create(t, s, e)
	}
	// doomed was interrupted twice before (its leases ran out); a third
	// owner holds it, and the process holds building, when it dies.
	for i := range 3 {
		now, until := t0.Add(-3*time.Hour+time.Duration(i)*40*time.Minute), 30*time.Minute
		if i == 2 {
			until = 3 * time.Hour
		}
		j := ok(s.Claim(c, fmt.Sprintf("dead-%d", i+1), []discovery.JobKind{discovery.JobExport}, now, now.Add(until)))(t)
		if j == nil || j.Ref != "doomed" || j.Attempts != i+1 {
			t.Fatalf("claim %d = %+v", i+1, j)
		}
	}
	held := ok(s.Claim(c, "dead-4", []discovery.JobKind{discovery.JobExport}, t0, t0.Add(time.Hour)))(t)
	if held == nil || held.Ref != "building" {
		t.Fatalf("claimed %+v, want building", held)
	}
	must(t, s.ReportExportProgress(c, held.Lease(), acctA, "building", discovery.ProgressMessage(1, 3)))

	s = reopen(s)
	// The leases hold: only waiting is free.
	if got, _ := claimNext(t, s, "next", t0.Add(time.Second), discovery.JobExport); got != "2/waiting" {
		t.Fatalf("claimed %s after a restart, want 2/waiting", got)
	}
	if got, _ := claimNext(t, s, "next", t0.Add(2*time.Second), discovery.JobExport); got != "<none>" {
		t.Fatalf("claimed %s, a job still leased", got)
	}
	for ref, want := range map[string]struct {
		owner    string
		attempts int
		until    time.Time
	}{"doomed": {"dead-3", 3, t0.Add(-3*time.Hour + 80*time.Minute + 3*time.Hour)}, "building": {"dead-4", 1, t0.Add(time.Hour)}} {
		j := ok(s.Job(c, discovery.JobExport, acctA, ref))(t)
		if j.Owner != want.owner || j.Attempts != want.attempts || !j.LeaseUntil.Equal(want.until) {
			t.Fatalf("%s's job after a restart = %+v, want %+v", ref, j, want)
		}
	}
	if e := ok(s.GetExportTask(c, acctA, "building"))(t); e.Status != discovery.ExportInProgress || e.Message != discovery.ProgressMessage(1, 3) {
		t.Fatalf("building after a restart = %s %q", e.Status, e.Message)
	}
	// The next process ends the leases of the dead owners, and takes the
	// jobs over.
	if n := ok(s.ExpireLeases(c, "dead-", "dead-5", t0.Add(3*time.Second)))(t); n != 2 {
		t.Fatalf("ended %d leases, want 2", n)
	}
	again := claimJob(t, s, "next", discovery.JobExport, acctA, "building", t0.Add(3*time.Second))
	if again.Attempts != 2 || again.ID != held.ID {
		t.Fatalf("building taken over: %+v", again)
	}
	d := claimJob(t, s, "next", discovery.JobExport, acctA, "doomed", t0.Add(3*time.Second))
	if d.Attempts != 4 {
		t.Fatalf("doomed taken over: %+v", d)
	}
	wantLeaseLost(t, s.FinishExportTask(c, held.Lease(), acctA, "building", discovery.ExportResult{Status: discovery.ExportSucceeded}, t0),
		"an outcome of the dead owner")
	must(t, s.FinishExportTask(c, again.Lease(), acctA, "building", discovery.ExportResult{Status: discovery.ExportSucceeded,
		Message: discovery.SucceededMessage, FileSize: 10}, t0.Add(time.Minute)))
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
