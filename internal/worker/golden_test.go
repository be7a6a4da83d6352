package worker_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/agentdata"
	"github.com/poseidon-ads/poseidon/internal/agents"
	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/fleet"
)

// goldenFleet is the small deterministic fleet of the golden tests: three
// servers × 2 hours ending an hour before the fixture's clock.
func goldenFleet(f *fixture) fleet.Config {
	return fleet.Config{Servers: 3, Hours: 2, Seed: 2, End: f.clock.Now().Add(-time.Hour)}
}

// seedGolden posts the golden fleet through the agents service into the
// fixture's store, adds two applications and a few tags, and returns the
// fleet's agents.
func seedGolden(t *testing.T, f *fixture) []fleet.AgentSummary {
	t.Helper()
	cfg := goldenFleet(f)
	var b agentdata.Batch
	if err := fleet.Generate(cfg, func(r agentdata.Report) error { b.Reports = append(b.Reports, r); return nil }); err != nil {
		t.Fatal(err)
	}
	svc := agents.New(agents.Config{Store: f.db, Now: f.clock.Now})
	if _, err := svc.Intake(t.Context(), acct, &b); err != nil {
		t.Fatal(err)
	}
	list, err := fleet.Agents(cfg)
	if err != nil {
		t.Fatal(err)
	}
	created := time.Date(2026, 2, 1, 8, 30, 0, 0, time.UTC)
	s0, s1, s2 := discovery.ServerID(acct, list[0].AgentID), discovery.ServerID(acct, list[1].AgentID), discovery.ServerID(acct, list[2].AgentID)
	allow := func(discovery.ApplicationMembership) error { return nil }
	for _, a := range []struct {
		app     discovery.Application
		servers []string
	}{
		{discovery.Application{ID: "d-application-0000000000000001", Name: "storefront", Description: `web shop, "v2"`, Wave: "wave-1",
			Created: created, Updated: created}, []string{s0, s1}},
		{discovery.Application{ID: "d-application-0000000000000002", Name: "backoffice", Created: created, Updated: created}, []string{s2}},
	} {
		if err := f.db.CreateApplication(t.Context(), acct, &a.app, func(int) error { return nil }); err != nil {
			t.Fatal(err)
		}
		// storefront's servers join it 1.5 s after it was made.
		now := created
		if len(a.servers) == 2 {
			now = created.Add(1500 * time.Millisecond)
		}
		if err := f.db.AssociateServers(t.Context(), acct, a.app.ID, a.servers, now, allow); err != nil {
			t.Fatal(err)
		}
	}
	tag := func(id string, tags ...discovery.Tag) {
		t.Helper()
		if err := f.db.CreateTags(t.Context(), acct, []string{id}, tags, created.UnixMilli(), func([]string, map[string]int) error { return nil }); err != nil {
			t.Fatal(err)
		}
	}
	tag(s0, discovery.Tag{Key: "env", Value: "prod"}, discovery.Tag{Key: "owner", Value: "team a"})
	tag(s2, discovery.Tag{Key: "env", Value: "dev"})
	return list
}

// exportFixed queues a task with a fixed ID, runs the worker and returns the
// zip's members in archive order.
func exportFixed(t *testing.T, f *fixture, id string, task discovery.ExportTask) (*discovery.ExportTask, []*zip.File, map[string][]byte) {
	t.Helper()
	task.AccountID = acct
	task.ID = id
	task.Operation = "StartExportTask"
	task.Status = discovery.ExportInProgress
	task.Message = discovery.InProgressMessage
	task.RequestTime = f.clock.Now()
	task.ReadyAt = task.RequestTime
	if task.Kind == "" {
		task.Kind = discovery.KindSummary
	}
	if _, err := f.db.CreateExportTask(t.Context(), &task, discovery.ExportAdmission{}); err != nil {
		t.Fatal(err)
	}
	f.drain(t)
	got := f.get(t, id)
	if got.Status != discovery.ExportSucceeded {
		t.Fatalf("export %s: %s", got.Status, got.Message)
	}
	path, err := f.files.Path(acct, id)
	if err != nil {
		t.Fatal(err)
	}
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	members := map[string][]byte{}
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", zf.Name, err)
		}
		if !zf.Modified.Equal(task.RequestTime) {
			t.Errorf("%s: modified %v, want the request time %v", zf.Name, zf.Modified, task.RequestTime)
		}
		members[zf.Name] = b
	}
	return got, zr.File, members
}

// checkGolden compares the archive with testdata/golden/<dir>: members.txt
// lists the members in archive order, and each member is kept byte for byte
// under its own name. With -update it rewrites the directory instead.
func checkGolden(t *testing.T, dir string, files []*zip.File, members map[string][]byte) {
	t.Helper()
	dir = filepath.Join("testdata", "golden", dir)
	var names strings.Builder
	for _, zf := range files {
		names.WriteString(zf.Name + "\n")
	}
	got := map[string][]byte{"members.txt": []byte(names.String())}
	for name, body := range members {
		got[name] = body
	}
	if *update {
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, body := range got {
			if err := os.WriteFile(filepath.Join(dir, name), body, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("%v (run with -update to write the golden files)", err)
	}
	for _, e := range entries {
		if _, ok := got[e.Name()]; !ok {
			t.Errorf("%s: golden file %s is not in the archive", dir, e.Name())
		}
	}
	for name, body := range got {
		want, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("%s: %v (run with -update to write the golden files)", dir, err)
			continue
		}
		if !bytes.Equal(body, want) {
			t.Errorf("%s/%s differs from the golden file (run with -update after checking the change):\n%s", dir, name, firstDiff(body, want))
		}
	}
}

// firstDiff describes the first line where got and want differ.
func firstDiff(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d:\n got  %s\n want %s", i+1, gl, wl)
		}
	}
	return "(same lines)"
}

func TestGoldenSummaryExport(t *testing.T) {
	f := newFixture(t)
	seedGolden(t, f)
	_, files, members := exportFixed(t, f, "export-00000000-0000-4000-8000-000000000001", discovery.ExportTask{})
	checkGolden(t, "summary", files, members)
}

func TestGoldenAgentExport(t *testing.T) {
	f := newFixture(t)
	list := seedGolden(t, f)
	first, last := goldenFleet(f).Window()
	agent := list[1].AgentID
	tp := func(t time.Time) *time.Time { return &t }
	for _, tc := range []struct {
		name, id   string
		start, end time.Time
		truncated  bool
	}{
		// 100 hours asked: the export keeps the first 72, which hold all the data.
		{"truncated72h", "export-00000000-0000-4000-8000-000000000002", first, first.Add(100 * time.Hour), true},
		// An explicit hour in the middle of the data.
		{"window", "export-00000000-0000-4000-8000-000000000003", first.Add(30 * time.Minute), first.Add(90 * time.Minute), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !tc.end.Before(last) && !tc.truncated {
				t.Fatal("window test must end inside the data")
			}
			task, files, members := exportFixed(t, f, tc.id, discovery.ExportTask{Kind: discovery.KindAgent, AgentID: agent, RequestedStart: tp(tc.start), RequestedEnd: tp(tc.end)})
			if task.IsTruncated != tc.truncated {
				t.Errorf("IsTruncated = %v, want %v", task.IsTruncated, tc.truncated)
			}
			checkGolden(t, filepath.Join("agent", tc.name), files, members)
		})
	}
}
