package imports

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/pagetoken"
	"github.com/poseidon-ads/poseidon/internal/sqlite"
)

// openDB opens a new SQLite store, closed when the test ends.
func openDB(t *testing.T) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestDescribeLongFilters: filters on one name must all hold, however many
// there are (328 filters of 100 values once ran past SQLite's 32,766 bound
// parameters), against a real store.
func TestDescribeLongFilters(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	svc := &Service{Store: db, Now: time.Now, Tokens: pagetoken.New([]byte("k"))}
	var ids []string
	for i, name := range []string{"n1", "n2", "n3"} {
		task := &discovery.ImportTask{AccountID: "1", ID: NewID(), ClientToken: name, Name: name, URL: "s3://b/k", Status: discovery.ImportInProgress, RequestMS: int64(i)}
		if _, _, err := db.CreateImportTask(ctx, task); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, task.ID)
	}
	names := func(fs []discovery.ImportTaskFilter) []string {
		t.Helper()
		page, err := svc.Describe(ctx, "1", fs, 100, "")
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, task := range page.Tasks {
			out = append(out, task.Name)
		}
		slices.Sort(out)
		return out
	}
	var fs []discovery.ImportTaskFilter
	for i := range 400 {
		vals := []string{"n2", "n3"}
		for j := range 98 {
			vals = append(vals, fmt.Sprintf("made-up-%d-%d", i, j))
		}
		fs = append(fs, discovery.ImportTaskFilter{Name: "NAME", Values: vals})
	}
	if got := names(fs); !slices.Equal(got, []string{"n2", "n3"}) {
		t.Errorf("400 NAME filters: %v", got)
	}
	more := append(slices.Clone(fs), discovery.ImportTaskFilter{Name: "NAME", Values: []string{"n3", "n1"}}, discovery.ImportTaskFilter{Name: "IMPORT_TASK_ID", Values: ids})
	if got := names(more); !slices.Equal(got, []string{"n3"}) {
		t.Errorf("with NAME {n1, n3}: %v", got)
	}
	more = append(more, discovery.ImportTaskFilter{Name: "STATUS", Values: []string{discovery.ImportInProgress}}, discovery.ImportTaskFilter{Name: "STATUS", Values: []string{"IMPORT_COMPLETE"}})
	if got := names(more); len(got) != 0 {
		t.Errorf("two STATUS sets with nothing in common: %v", got)
	}
	if got := names([]discovery.ImportTaskFilter{{Name: "FILE_CLASSIFICATION", Values: []string{"X"}}}); len(got) != 0 {
		t.Errorf("FILE_CLASSIFICATION without IMPORT_TEMPLATE: %v", got)
	}
	if got := names([]discovery.ImportTaskFilter{{Name: "FILE_CLASSIFICATION", Values: []string{"X", "IMPORT_TEMPLATE"}}}); len(got) != 3 {
		t.Errorf("FILE_CLASSIFICATION IMPORT_TEMPLATE: %v", got)
	}
}
