package worker_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/faults"
)

// setFaults changes the faults in the fixture's store.
func (f *fixture) setFaults(t *testing.T, fn func(*discovery.Faults)) {
	t.Helper()
	if _, err := f.db.UpdateControl(t.Context(), func(c *discovery.Control) { fn(&c.Faults) }); err != nil {
		t.Fatal(err)
	}
}

// An injected failure ends the export FAILED with the message, as a real
// one: no archive, no temporary file, counted by OnFinish; the next export
// builds.
func TestInjectedExportFailure(t *testing.T) {
	f := newFixture(t)
	f.w.Faults = &faults.Injector{Store: f.db, Now: f.clock.Now}
	var finished []string
	f.w.OnFinish = func(status string, _ time.Duration) { finished = append(finished, status) }
	f.setFaults(t, func(fs *discovery.Faults) { fs.FailExports = &discovery.TaskFailure{Remaining: 1, Message: "injected"} })
	bad, good := f.add(t, discovery.ExportTask{}), f.add(t, discovery.ExportTask{})
	f.drain(t)
	if got := f.get(t, bad.ID); got.Status != discovery.ExportFailed || got.Message != "injected" || got.FileSize != 0 {
		t.Fatalf("injected failure: %+v", got)
	}
	if got := f.get(t, good.ID); got.Status != discovery.ExportSucceeded {
		t.Fatalf("the next export: %+v", got)
	}
	filepath.Walk(f.dir, func(p string, _ os.FileInfo, _ error) error {
		if strings.Contains(p, bad.ID) {
			t.Errorf("the failed export left %s", p)
		}
		return nil
	})
	if strings.Join(finished, " ") != "FAILED SUCCEEDED" {
		t.Fatalf("finished = %v", finished)
	}
}

// A held export waits in Handle, its job leased, until released; a
// shutdown meanwhile gives the job back, and the export is held again when
// it is claimed anew.
func TestHeldExport(t *testing.T) {
	f := newFixture(t)
	f.w.Faults = &faults.Injector{Store: f.db, Now: f.clock.Now, HoldPoll: time.Millisecond}
	f.setFaults(t, func(fs *discovery.Faults) { fs.HoldExports = &discovery.ExportHold{MaxHold: time.Hour} })
	task := f.add(t, discovery.ExportTask{})

	ctx, cancel := context.WithCancel(t.Context())
	stepped := make(chan error, 1)
	go func() { _, err := f.runner.Step(ctx); stepped <- err }()
	waitHeld := func() {
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
			c, err := f.db.Control(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if c.Faults.HeldIndex(acct, task.ID) >= 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatal("the export was not held")
			}
		}
	}
	waitHeld()
	j, err := f.db.Job(t.Context(), discovery.JobExport, acct, task.ID)
	if err != nil || j.Owner != "test-runner" {
		t.Fatalf("the held export's job: %+v %v", j, err)
	}
	// Shutdown: the job is given back, the export stays IN_PROGRESS.
	cancel()
	if err := <-stepped; err != nil {
		t.Fatal(err)
	}
	if j, err := f.db.Job(t.Context(), discovery.JobExport, acct, task.ID); err != nil || j.Owner != "" {
		t.Fatalf("the job after shutdown: %+v %v", j, err)
	}
	if got := f.get(t, task.ID); got.Status != discovery.ExportInProgress {
		t.Fatalf("after shutdown: %+v", got)
	}
	// Claimed again: held again, then released, it builds.
	go func() { _, err := f.runner.Step(t.Context()); stepped <- err }()
	waitHeld()
	f.setFaults(t, func(fs *discovery.Faults) { fs.Release(task.ID) })
	if err := <-stepped; err != nil {
		t.Fatal(err)
	}
	if got := f.get(t, task.ID); got.Status != discovery.ExportSucceeded {
		t.Fatalf("released export: %+v", got)
	}
}
