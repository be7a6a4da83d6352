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
