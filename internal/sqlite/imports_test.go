package sqlite

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/imports"
)

func TestImportStore(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	a := &discovery.ImportTask{AccountID: "1", ID: imports.NewID(), ClientToken: "tok", Name: "n", URL: "s3://b/k", Status: discovery.ImportInProgress, RequestMS: 1}
	if _, created, err := db.CreateImportTask(ctx, a); err != nil || !created {
		t.Fatalf("create: %v %v", created, err)
	}
	b := *a
	b.ID = imports.NewID()
	got, created, err := db.CreateImportTask(ctx, &b)
	if err != nil || created || got.ID != a.ID {
		t.Fatalf("same token: %v %v %v", got, created, err)
	}
	row := &discovery.ImportRow{ExternalID: "x", HostName: "h", IPs: []string{"10.0.0.1"}, MACs: []string{"02:00:00:00:00:01"}, Applications: []string{"app"}, Tags: [][2]string{{"k", "v"}}}
	r1, err := db.ImportRow(ctx, "1", a.ID, row, 2)
	if err != nil || r1.AppsCreated != 1 {
		t.Fatalf("row: %v %v", r1, err)
	}
	// Matched by IP+MAC, HostName and VMware IDs when no ExternalId.
	for _, m := range []*discovery.ImportRow{{IPs: []string{"10.0.0.1"}, MACs: []string{"02:00:00:00:00:01"}}, {HostName: "h"}} {
		r, err := db.ImportRow(ctx, "1", a.ID, m, 3)
		if err != nil || r.ServerID != r1.ServerID {
			t.Fatalf("match %+v: %v %v", m, r, err)
		}
	}
	// Other accounts never match.
	if r, _ := db.ImportRow(ctx, "2", a.ID, row, 3); r.ServerID == r1.ServerID {
		t.Fatal("matched across accounts")
	}
	if err := db.DeleteImportData(ctx, "1", a.ID, true, 4); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.db.QueryRow(`SELECT count(*) FROM servers WHERE account_id='1'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("servers left %d %v", n, err)
	}
	if err := db.DeleteImportData(ctx, "1", a.ID, true, 4); !errors.Is(err, discovery.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
}

// TestFindImportTasksLongFilters: filters on one column must all hold,
// however many there are (328 filters of 100 values once ran past SQLite's
// 32,766 bound parameters).
func TestFindImportTasksLongFilters(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	var ids []string
	for i, name := range []string{"n1", "n2", "n3"} {
		task := &discovery.ImportTask{AccountID: "1", ID: imports.NewID(), ClientToken: name, Name: name, URL: "s3://b/k", Status: discovery.ImportInProgress, RequestMS: int64(i)}
		if _, _, err := db.CreateImportTask(ctx, task); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, task.ID)
	}
	names := func(fs []discovery.ImportTaskFilter) []string {
		t.Helper()
		got, err := db.FindImportTasks(ctx, "1", fs, "", 100)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, task := range got {
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
