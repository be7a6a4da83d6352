package sqlite

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/imports"
)

// TestImportStore: a client token names one task.
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
}

// TestFindImportTasks: each list keeps the tasks whose attribute it holds
// (nil: no condition; empty: none), lists of any length, in task ID order
// after the cursor.
func TestFindImportTasks(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	var ids []string
	for i, name := range []string{"n1", "n2", "n3"} {
		task := &discovery.ImportTask{AccountID: "1", ID: fmt.Sprintf("import-task-%d", i), ClientToken: name, Name: name, URL: "s3://b/k", Status: discovery.ImportInProgress, RequestMS: int64(i)}
		if _, _, err := db.CreateImportTask(ctx, task); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, task.ID)
	}
	other := &discovery.ImportTask{AccountID: "2", ID: "import-task-9", ClientToken: "n1", Name: "n1", URL: "s3://b/k", Status: discovery.ImportInProgress}
	if _, _, err := db.CreateImportTask(ctx, other); err != nil {
		t.Fatal(err)
	}
	long := []string{"n3"}
	for i := range 40000 {
		long = append(long, fmt.Sprintf("made-up-%d", i))
	}
	for _, c := range []struct {
		q    discovery.ImportTaskQuery
		want []string
	}{
		{discovery.ImportTaskQuery{}, []string{"n1", "n2", "n3"}},
		{discovery.ImportTaskQuery{Names: []string{"n3", "n1"}}, []string{"n1", "n3"}},
		{discovery.ImportTaskQuery{Names: []string{}}, nil},
		{discovery.ImportTaskQuery{Names: long}, []string{"n3"}},
		{discovery.ImportTaskQuery{IDs: ids[1:], Names: []string{"n1", "n2"}}, []string{"n2"}},
		{discovery.ImportTaskQuery{Statuses: []string{discovery.ImportInProgress}}, []string{"n1", "n2", "n3"}},
		{discovery.ImportTaskQuery{Statuses: []string{discovery.ImportComplete}}, nil},
		{discovery.ImportTaskQuery{After: ids[0]}, []string{"n2", "n3"}},
		{discovery.ImportTaskQuery{After: ids[0], Limit: 1}, []string{"n2"}},
	} {
		q := c.q
		q.Account = "1"
		if q.Limit == 0 {
			q.Limit = 100
		}
		got, err := db.FindImportTasks(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, task := range got {
			names = append(names, task.Name)
		}
		if !slices.Equal(names, c.want) {
			t.Errorf("%+v: %v, want %v", c.q, names, c.want)
		}
	}
}
