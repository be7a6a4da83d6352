package worker_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// While an export is built, its statusMessage counts the files written, one
// stored update per file, and only ever moves forward.
func TestExportProgress(t *testing.T) {
	f := newFixture(t)
	t0 := f.clock.Now().Add(-24 * time.Hour)
	step := 15 * time.Minute
	f.seedAgent(t, acct, "o-1", t0, t0.Add(7*step), step)
	tp := func(t time.Time) *time.Time { return &t }

	want := func(total int) []string {
		var out []string
		for i := 0; i <= total; i++ {
			out = append(out, fmt.Sprintf("Export in progress: %d%% (%d of %d files)", i*100/total, i, total))
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		task  discovery.ExportTask
		limit int64
		want  []string
	}{
		{"summary", discovery.ExportTask{}, 0, want(8)},
		{"ec2", discovery.ExportTask{Kind: discovery.KindEC2, EC2: ptr(discovery.DefaultEC2Preferences())}, 0, want(1)},
		{"agent", discovery.ExportTask{Kind: discovery.KindAgent, AgentID: "o-1", RequestedStart: tp(t0), RequestedEnd: tp(t0.Add(7 * step))}, 0, want(7)},
		// Over the size limit the archive is written twice; the message does not go back.
		{"agent cut by the size limit", discovery.ExportTask{Kind: discovery.KindAgent, AgentID: "o-1", RequestedStart: tp(t0), RequestedEnd: tp(t0.Add(7 * step))}, 4000, want(7)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			f.w.MaxExportBytes = tc.limit
			f.w.OnProgress = func(id, msg string) {
				stored := f.get(t, id)
				if stored.Status != discovery.ExportInProgress || stored.Message != msg {
					t.Errorf("stored %s %q, reported %q", stored.Status, stored.Message, msg)
				}
				got = append(got, msg)
			}
			defer func() { f.w.OnProgress, f.w.MaxExportBytes = nil, 0 }()
			task := f.add(t, tc.task)
			if m := f.get(t, task.ID).Message; m != discovery.InProgressMessage {
				t.Fatalf("queued message %q", m)
			}
			f.drain(t)
			done := f.get(t, task.ID)
			if done.Status != discovery.ExportSucceeded || done.Message != discovery.SucceededMessage {
				t.Fatalf("finished %s %q", done.Status, done.Message)
			}
			if tc.limit > 0 && !done.IsTruncated {
				t.Fatal("the size limit did not cut the export; the test does not test a second pass")
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("progress\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}

// With ProgressEvery set, an export built sooner than that stores no
// progress: its statusMessage goes from the queued text to the outcome.
// Once that much time has passed, the next file done is shown.
func TestExportProgressEvery(t *testing.T) {
	f := newFixture(t)
	t0 := f.clock.Now().Add(-24 * time.Hour)
	step := 15 * time.Minute
	f.seedAgent(t, acct, "o-1", t0, t0.Add(7*step), step)
	var got []string
	f.w.OnProgress = func(_, msg string) { got = append(got, msg) }
	defer func() { f.w.OnProgress, f.w.ProgressEvery = nil, 0 }()

	f.w.ProgressEvery = time.Hour
	task := f.add(t, discovery.ExportTask{Kind: discovery.KindAgent, AgentID: "o-1"})
	f.drain(t)
	if done := f.get(t, task.ID); done.Status != discovery.ExportSucceeded || len(got) != 0 {
		t.Fatalf("finished %s %q; progress stored %q, want none", done.Status, done.Message, got)
	}

	// A nanosecond passes between any two files: each is shown, but the
	// start is not.
	f.w.ProgressEvery = time.Nanosecond
	f.add(t, discovery.ExportTask{})
	f.drain(t)
	if want := "Export in progress: 12% (1 of 8 files)"; len(got) != 8 || got[0] != want || got[7] != "Export in progress: 100% (8 of 8 files)" {
		t.Fatalf("progress %q, want 1 to 8 of 8 files", got)
	}
}

// Only the worker holding the lease of a task's job may set its progress,
// and only while it is IN_PROGRESS.
func TestReportExportProgressNeedsLease(t *testing.T) {
	f := newFixture(t)
	task := f.add(t, discovery.ExportTask{})
	ctx := t.Context()
	queued, err := f.db.Job(ctx, discovery.JobExport, acct, task.ID)
	if err != nil || queued.Owner != "" {
		t.Fatalf("queued job: %+v %v", queued, err)
	}
	if err := f.db.ReportExportProgress(ctx, discovery.Lease{Job: queued.ID, Owner: "nobody"}, acct, task.ID, "x"); !errors.Is(err, discovery.ErrLeaseLost) {
		t.Fatalf("unleased: %v", err)
	}
	now := f.clock.Now()
	claimed, err := f.db.Claim(ctx, "w1", []discovery.JobKind{discovery.JobExport}, now, now.Add(time.Minute))
	if err != nil || claimed == nil || claimed.Ref != task.ID || claimed.ID != queued.ID {
		t.Fatalf("claim: %v %v", claimed, err)
	}
	if err := f.db.ReportExportProgress(ctx, discovery.Lease{Job: claimed.ID, Owner: "w2"}, acct, task.ID, "x"); !errors.Is(err, discovery.ErrLeaseLost) {
		t.Fatalf("other owner: %v", err)
	}
	if err := f.db.ReportExportProgress(ctx, claimed.Lease(), acct, task.ID, "mine"); err != nil {
		t.Fatal(err)
	}
	if m := f.get(t, task.ID).Message; m != "mine" {
		t.Fatalf("message %q", m)
	}
	if err := f.db.FinishExportTask(ctx, claimed.Lease(), acct, task.ID, discovery.ExportResult{Status: discovery.ExportSucceeded, Message: discovery.SucceededMessage}, now); err != nil {
		t.Fatal(err)
	}
	if err := f.db.ReportExportProgress(ctx, claimed.Lease(), acct, task.ID, "late"); !errors.Is(err, discovery.ErrNotFound) {
		t.Fatalf("finished: %v", err)
	}
	if m := f.get(t, task.ID).Message; m != discovery.SucceededMessage {
		t.Fatalf("message %q", m)
	}
}

func ptr[T any](v T) *T { return &v }
