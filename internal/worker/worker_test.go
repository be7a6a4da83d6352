package worker_test

import (
	"archive/zip"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/poseidon-ads/poseidon/internal/clock"
	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/exportfile"
	"github.com/poseidon-ads/poseidon/internal/queue"
	"github.com/poseidon-ads/poseidon/internal/storetest/teststore"
	"github.com/poseidon-ads/poseidon/internal/worker"
)

const acct = "123456789012"

type fixture struct {
	dir    string
	db     teststore.Store
	clock  *clock.Clock
	files  exportfile.Dir
	w      *worker.Worker
	runner *queue.Runner
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	db := teststore.Open(t)
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clk := clock.New(func() time.Time { return base })
	files := exportfile.Dir{Root: filepath.Join(dir, "exports")}
	w := &worker.Worker{Store: db, Files: files, Now: clk.Now}
	r := &queue.Runner{Store: db, Now: clk.Now, Owner: "test-runner", Lease: time.Minute,
		Kinds: map[discovery.JobKind]queue.Kind{discovery.JobExport: {Handler: w}}}
	return &fixture{dir: dir, db: db, clock: clk, files: files, w: w, runner: r}
}

func (f *fixture) add(t *testing.T, task discovery.ExportTask) *discovery.ExportTask {
	t.Helper()
	task.AccountID = acct
	task.ID = "export-" + uuid.NewString()
	task.Operation = "StartExportTask"
	task.Status = discovery.ExportInProgress
	task.Message = discovery.InProgressMessage
	task.RequestTime = f.clock.Now()
	if task.ReadyAt.IsZero() {
		task.ReadyAt = task.RequestTime
	}
	if task.Kind == "" {
		task.Kind = discovery.KindSummary
	}
	if _, err := f.db.CreateExportTask(t.Context(), &task, discovery.ExportAdmission{}); err != nil {
		t.Fatal(err)
	}
	return &task
}

// drain runs the worker until no claimable export job is left.
func (f *fixture) drain(t *testing.T) {
	t.Helper()
	for {
		ran, err := f.runner.Step(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if !ran {
			return
		}
	}
}

func (f *fixture) get(t *testing.T, id string) *discovery.ExportTask {
	t.Helper()
	task, err := f.db.GetExportTask(t.Context(), acct, id)
	if err != nil {
		t.Fatal(err)
	}
	return task
}

func readZip(t *testing.T, path string) map[string][]byte {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	out := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := rc.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		rc.Close()
		out[f.Name] = []byte(b.String())
	}
	return out
}

func TestSummaryExport(t *testing.T) {
	f := newFixture(t)
	task := f.add(t, discovery.ExportTask{})
	f.drain(t)
	got := f.get(t, task.ID)
	if got.Status != discovery.ExportSucceeded || got.Message != discovery.SucceededMessage || got.FileSize == 0 {
		t.Fatalf("task = %+v", got)
	}
	path, _ := f.files.Path(acct, task.ID)
	st, err := os.Stat(path)
	if err != nil || st.Size() != got.FileSize {
		t.Fatalf("file: %v, size %d, recorded %d", err, st.Size(), got.FileSize)
	}
	members := readZip(t, path)
	if len(members) != len(exportfile.SummaryLayouts) {
		t.Fatalf("zip has %d members, want %d", len(members), len(exportfile.SummaryLayouts))
	}
	for _, l := range exportfile.SummaryLayouts {
		body, ok := members[acct+"_"+l.Name+".csv"]
		if !ok {
			t.Fatalf("missing %s_%s.csv", acct, l.Name)
		}
		rows, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
		if err != nil || len(rows) != 1 || strings.Join(rows[0], ",") != strings.Join(l.Header, ",") {
			t.Fatalf("%s: rows %v, err %v", l.Name, rows, err)
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".export-") {
			t.Fatalf("temporary file left behind: %s", e.Name())
		}
	}
}

func TestAgentExportUnknownAgent(t *testing.T) {
	f := newFixture(t)
	task := f.add(t, discovery.ExportTask{Kind: discovery.KindAgent, AgentID: "o-0123456789abcdef0"})
	f.drain(t)
	got := f.get(t, task.ID)
	if got.Status != discovery.ExportFailed || !strings.Contains(got.Message, "o-0123456789abcdef0") {
		t.Fatalf("task = %+v", got)
	}
	if path, _ := f.files.Path(acct, task.ID); fileExists(path) {
		t.Fatal("a failed export left a file")
	}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// agentWindowCase is an agent export's requested window and the rows the
// export must hold.
type agentWindowCase struct {
	name               string
	agent              string
	start, end         *time.Time
	wantTrunc          bool
	wantStart, wantEnd time.Time // zero: no rows
}

func TestAgentExportWindow(t *testing.T) {
	f := newFixture(t)
	now := f.clock.Now()
	first := now.Add(-100 * time.Hour)
	// A report every 15 minutes from first to now, both included.
	f.seedAgent(t, acct, "o-1", first, now, 15*time.Minute)
	tp := func(t time.Time) *time.Time { return &t }
	tests := []agentWindowCase{
		{"whole data, over 72h", "o-1", nil, nil, true, first, first.Add(72 * time.Hour)},
		{"explicit 24h", "o-1", tp(now.Add(-48 * time.Hour)), tp(now.Add(-24 * time.Hour)), false, now.Add(-48 * time.Hour), now.Add(-24 * time.Hour)},
		{"start only", "o-1", tp(now.Add(-10 * time.Hour)), nil, false, now.Add(-10 * time.Hour), now},
		{"end only, over 72h", "o-1", nil, tp(now.Add(-time.Hour)), true, first, first.Add(72 * time.Hour)},
		{"explicit 73h", "o-1", tp(now.Add(-80 * time.Hour)), tp(now.Add(-7 * time.Hour)), true, now.Add(-80 * time.Hour), now.Add(-8 * time.Hour)},
		{"between samples", "o-1", tp(now.Add(-10*time.Hour + time.Second)), tp(now.Add(-9*time.Hour - time.Second)), false,
			now.Add(-10*time.Hour + 15*time.Minute), now.Add(-9*time.Hour - 15*time.Minute)},
		{"no sample in window", "o-1", tp(now.Add(-10*time.Hour + time.Second)), tp(now.Add(-10*time.Hour + time.Minute)), false, time.Time{}, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkAgentWindow(t, f, tt) })
	}
}

// An agent registered without data (no store method makes one: its row is
// inserted with SQL) exports no rows.
func TestAgentExportWithoutData(t *testing.T) {
	f := newFixture(t)
	first := f.clock.Now().Add(-100 * time.Hour)
	if _, err := f.raw(t).Exec(`INSERT INTO agents (account_id, agent_id, registered_ms, last_health_ping_ms) VALUES (?, 'o-empty', ?, ?)`,
		acct, first.UnixMilli(), first.UnixMilli()); err != nil {
		t.Fatal(err)
	}
	checkAgentWindow(t, f, agentWindowCase{name: "agent without data", agent: "o-empty"})
}

func checkAgentWindow(t *testing.T, f *fixture, tt agentWindowCase) {
	t.Helper()
	task := f.add(t, discovery.ExportTask{Kind: discovery.KindAgent, AgentID: tt.agent, RequestedStart: tt.start, RequestedEnd: tt.end})
	f.drain(t)
	got := f.get(t, task.ID)
	if got.Status != discovery.ExportSucceeded || got.IsTruncated != tt.wantTrunc {
		t.Fatalf("status %s truncated %v, want SUCCEEDED %v (%s)", got.Status, got.IsTruncated, tt.wantTrunc, got.Message)
	}
	path, _ := f.files.Path(acct, task.ID)
	members := readZip(t, path)
	if len(members) != len(exportfile.AgentLayouts)+1 {
		t.Fatalf("zip has %d members", len(members))
	}
	res := parseResults(t, members[acct+"_results.json"])
	if res.CustomerAccount != acct || res.ExportSummary.IsTruncated != tt.wantTrunc ||
		res.ExportSummary.ActualStartTime != fmtResults(tt.wantStart) || res.ExportSummary.ActualEndTime != fmtResults(tt.wantEnd) {
		t.Fatalf("results.json = %+v", res)
	}
	if (res.RequestedStartTime != nil) != (tt.start != nil) || (res.RequestedEndTime != nil) != (tt.end != nil) {
		t.Fatalf("requested times echoed wrongly: %+v", res)
	}
	if tt.start != nil && *res.RequestedStartTime != fmtResults(*tt.start) {
		t.Fatalf("RequestedStartTime = %q", *res.RequestedStartTime)
	}
	perf := csvRows(t, members[acct+"_systemPerformance.csv"])
	if tt.wantStart.IsZero() {
		if len(perf) != 0 || res.ResultFilesGenerated != 0 {
			t.Fatalf("%d rows, %d files, want none", len(perf), res.ResultFilesGenerated)
		}
		return
	}
	wantRows := int(tt.wantEnd.Sub(tt.wantStart)/(15*time.Minute)) + 1
	if len(perf) != wantRows || perf[0][18] != fmtResults(tt.wantStart) || perf[len(perf)-1][18] != fmtResults(tt.wantEnd) {
		t.Fatalf("systemPerformance: %d rows from %s to %s, want %d", len(perf), perf[0][18], perf[len(perf)-1][18], wantRows)
	}
}

func TestExportDelay(t *testing.T) {
	f := newFixture(t)
	task := f.add(t, discovery.ExportTask{ReadyAt: f.clock.Now().Add(30 * time.Second)})
	f.drain(t)
	if got := f.get(t, task.ID); got.Status != discovery.ExportInProgress {
		t.Fatalf("status before the delay = %s", got.Status)
	}
	f.clock.Advance(30 * time.Second)
	f.drain(t)
	if got := f.get(t, task.ID); got.Status != discovery.ExportSucceeded {
		t.Fatalf("status after the delay = %s", got.Status)
	}
}

// An export whose process died while building it is taken over once the
// lease of its job has passed: the temporary file of the dead build goes,
// and the export is built again. One whose job was claimed MaxAttempts times
// by owners that all died is failed with a reason.
func TestRecover(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	kinds := []discovery.JobKind{discovery.JobExport}
	dir := filepath.Join(f.files.Root, acct)
	os.MkdirAll(dir, 0o755)
	partial := func(id string) string {
		p := filepath.Join(dir, "."+id+"-123.tmp")
		os.WriteFile(p, []byte("partial"), 0o644)
		return p
	}
	// A task interrupted MaxAttempts times already: each owner died, and
	// its lease passed.
	doomed := f.add(t, discovery.ExportTask{})
	for i := range queue.DefaultMaxAttempts {
		if i > 0 {
			f.clock.Advance(time.Minute + time.Second)
		}
		now := f.clock.Now()
		if j, err := f.db.Claim(ctx, fmt.Sprint("dead-", i), kinds, now, now.Add(time.Minute)); err != nil || j == nil || j.Ref != doomed.ID {
			t.Fatalf("claim: %v %v", j, err)
		}
	}
	doomedTemp := partial(doomed.ID)
	// A task claimed once by a process that then died, with a longer
	// lease, and its half-written file.
	task := f.add(t, discovery.ExportTask{})
	now := f.clock.Now()
	if j, err := f.db.Claim(ctx, "dead", kinds, now, now.Add(2*time.Minute)); err != nil || j == nil || j.Ref != task.ID {
		t.Fatalf("claim: %v %v", j, err)
	}
	taskTemp := partial(task.ID)

	gaveUp := 0
	f.w.OnGiveUp = func() { gaveUp++ }
	f.clock.Advance(time.Minute + time.Second) // the last lease of doomed passes
	f.drain(t)
	if got := f.get(t, doomed.ID); got.Status != discovery.ExportFailed || got.Message != worker.RecoveryFailedMessage {
		t.Fatalf("doomed task = %s %q", got.Status, got.Message)
	}
	if gaveUp != 1 {
		t.Fatalf("exports given up = %d, want 1 (the metrics count them)", gaveUp)
	}
	if fileExists(doomedTemp) {
		t.Fatal("the temporary file of a failed export survived")
	}
	if _, err := f.db.Job(ctx, discovery.JobExport, acct, doomed.ID); !errors.Is(err, discovery.ErrNotFound) {
		t.Fatalf("job of the failed export: %v", err)
	}
	if got := f.get(t, task.ID); got.Status != discovery.ExportInProgress {
		t.Fatalf("a task whose lease runs was taken over: %s", got.Status)
	}
	if !fileExists(taskTemp) {
		t.Fatal("the temporary file of a build whose lease runs was removed")
	}

	f.clock.Advance(time.Minute + time.Second)
	var during *discovery.Job
	f.w.OnProgress = func(id, _ string) {
		if id == task.ID && during == nil {
			during, _ = f.db.Job(ctx, discovery.JobExport, acct, id)
		}
	}
	defer func() { f.w.OnProgress = nil }()
	f.drain(t)
	if got := f.get(t, task.ID); got.Status != discovery.ExportSucceeded {
		t.Fatalf("recovered task = %s %q", got.Status, got.Message)
	}
	if during == nil || during.Owner != f.runner.Owner || during.Attempts != 2 {
		t.Fatalf("job while rebuilt = %+v, want attempt 2 of %s", during, f.runner.Owner)
	}
	if fileExists(taskTemp) {
		t.Fatal("temporary file survived recovery")
	}
	if _, err := f.db.Job(ctx, discovery.JobExport, acct, task.ID); !errors.Is(err, discovery.ErrNotFound) {
		t.Fatalf("job of the recovered export: %v", err)
	}
}

// An owner whose export job was taken over cannot record the export's
// outcome: the store refuses its lease, and the outcome of the owner that
// took over stays.
func TestStaleOwnerCannotFinishExport(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	task := f.add(t, discovery.ExportTask{})
	now := f.clock.Now()
	stale, err := f.db.Claim(ctx, "stale", []discovery.JobKind{discovery.JobExport}, now, now.Add(time.Minute))
	if err != nil || stale == nil {
		t.Fatalf("claim: %v %v", stale, err)
	}
	f.clock.Advance(time.Minute + time.Second)
	f.drain(t)
	done := f.get(t, task.ID)
	if done.Status != discovery.ExportSucceeded {
		t.Fatalf("task = %s %q", done.Status, done.Message)
	}
	err = f.db.FinishExportTask(ctx, stale.Lease(), acct, task.ID, discovery.ExportResult{Status: discovery.ExportFailed, Message: "stale"}, f.clock.Now())
	var lost *discovery.LeaseLostError
	if !errors.As(err, &lost) || !errors.Is(err, discovery.ErrLeaseLost) {
		t.Fatalf("stale finish: %v", err)
	}
	if err := f.db.ReportExportProgress(ctx, stale.Lease(), acct, task.ID, "stale"); !errors.Is(err, discovery.ErrLeaseLost) {
		t.Fatalf("stale progress: %v", err)
	}
	if got := f.get(t, task.ID); got.Status != done.Status || got.Message != done.Message || got.FileSize != done.FileSize {
		t.Fatalf("after the stale owner: %+v", got)
	}
}

func TestJanitor(t *testing.T) {
	f := newFixture(t)
	task := f.add(t, discovery.ExportTask{})
	f.drain(t)
	path, _ := f.files.Path(acct, task.ID)
	j := &worker.Janitor{Store: f.db, Files: f.files, Now: f.clock.Now}
	f.clock.Advance(discovery.Retention - time.Second)
	if n, err := j.Sweep(t.Context()); err != nil || n != 0 || !fileExists(path) {
		t.Fatalf("before retention: swept %d, err %v, file %v", n, err, fileExists(path))
	}
	if f.get(t, task.ID).DataExpired(f.clock.Now()) {
		t.Fatal("data reported expired before retention ended")
	}
	f.clock.Advance(time.Second)
	if !f.get(t, task.ID).DataExpired(f.clock.Now()) {
		t.Fatal("data not reported expired once retention ended, before the sweep")
	}
	if n, err := j.Sweep(t.Context()); err != nil || n != 1 || fileExists(path) {
		t.Fatalf("after retention: swept %d, err %v, file %v", n, err, fileExists(path))
	}
	got := f.get(t, task.ID)
	if got.Status != discovery.ExportSucceeded || !got.Expired || got.Message != discovery.ExpiredMessage {
		t.Fatalf("expired task = %+v", got)
	}
}
