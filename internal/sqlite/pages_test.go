package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// Pages of export tasks are answered from memory only while no write has
// ended since they were read: every write of the store moves the count, so
// each read below follows the write before it. Removing the count's move
// after a commit makes the reads after CreateExportTask and
// MarkExportExpired answer the page remembered before them.
func TestExportPagesFollowWrites(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "pages.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const acct = "111111111111"
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	create := func(id string, at time.Time) {
		t.Helper()
		e := &discovery.ExportTask{AccountID: acct, ID: id, Kind: discovery.KindSummary, Operation: "StartExportTask",
			Status: discovery.ExportInProgress, Message: discovery.InProgressMessage, RequestTime: at, ReadyAt: at}
		if r, err := db.CreateExportTask(ctx, e, discovery.ExportAdmission{}); err != nil || r != nil {
			t.Fatalf("create %s: %+v, %v", id, r, err)
		}
	}
	page := func(q discovery.ExportQuery) []*discovery.ExportTask {
		t.Helper()
		ts, err := db.FindExportTasks(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return ts
	}
	ids := func(ts []*discovery.ExportTask) (out []string) {
		for _, e := range ts {
			out = append(out, e.ID)
		}
		return out
	}
	all := discovery.ExportQuery{AccountID: acct, Limit: 10}
	if got := page(all); got != nil {
		t.Fatalf("empty account: %v", ids(got))
	}
	create("export-1", t0)
	for range 3 { // the second and third answers come from memory
		if got := ids(page(all)); len(got) != 1 || got[0] != "export-1" {
			t.Fatalf("after one create: %v", got)
		}
	}
	create("export-2", t0.Add(time.Second))
	if got := ids(page(all)); len(got) != 2 || got[0] != "export-2" {
		t.Fatalf("after a second create: %v", got)
	}
	// A caller changing what it got does not change the next answer.
	first := page(all)
	first[0].Status, first[0].ID = discovery.ExportFailed, "changed"
	if again := page(all); again[0].ID != "export-2" || again[0].Status != discovery.ExportInProgress {
		t.Fatalf("a caller's change leaked into the memory: %+v", again[0])
	}
	// A write that changes a remembered task, not the set of tasks.
	if err := db.MarkExportExpired(ctx, "export-1", "gone"); err != nil {
		t.Fatal(err)
	}
	got := page(all)
	if got[1].ID != "export-1" || !got[1].Expired || got[1].Message != "gone" {
		t.Fatalf("after MarkExportExpired: %+v", got[1])
	}
	// Other queries are other pages.
	if got := ids(page(discovery.ExportQuery{AccountID: acct, IDs: []string{"export-1"}, Limit: 10})); len(got) != 1 || got[0] != "export-1" {
		t.Fatalf("by ID: %v", got)
	}
	after := &discovery.ExportCursor{RequestTimeMs: t0.Add(time.Second).UnixMilli(), ExportID: "export-2"}
	if got := ids(page(discovery.ExportQuery{AccountID: acct, After: after, Limit: 10})); len(got) != 1 || got[0] != "export-1" {
		t.Fatalf("after the cursor: %v", got)
	}
	if got := page(discovery.ExportQuery{AccountID: "222222222222", Limit: 10}); got != nil {
		t.Fatalf("another account: %v", ids(got))
	}

	// A write behind the store's back (a second connection) is what
	// ReadEveryPage is for: with it, every page is read.
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	page(all)
	if _, err := raw.Exec(`UPDATE export_tasks SET status_message = 'behind' WHERE export_id = 'export-2'`); err != nil {
		t.Fatal(err)
	}
	if got := page(all); got[0].Message == "behind" {
		t.Fatal("a page was read again though no write of the store ended: the memory is not used")
	}
	db.ReadEveryPage()
	if got := page(all); got[0].Message != "behind" {
		t.Fatalf("with ReadEveryPage: %q", got[0].Message)
	}
}
