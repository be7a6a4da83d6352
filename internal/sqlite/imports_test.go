package sqlite

import (
	"context"
	"errors"
	"testing"

	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/imports"
)

func TestImportStore(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	a := &imports.Task{AccountID: "1", ID: imports.NewID(), ClientToken: "tok", Name: "n", URL: "s3://b/k", Status: imports.InProgress, RequestMS: 1}
	if _, created, err := db.CreateImportTask(ctx, a); err != nil || !created {
		t.Fatalf("create: %v %v", created, err)
	}
	b := *a
	b.ID = imports.NewID()
	got, created, err := db.CreateImportTask(ctx, &b)
	if err != nil || created || got.ID != a.ID {
		t.Fatalf("same token: %v %v %v", got, created, err)
	}
	row := &imports.Row{ExternalID: "x", HostName: "h", IPs: []string{"10.0.0.1"}, MACs: []string{"02:00:00:00:00:01"}, Applications: []string{"app"}, Tags: [][2]string{{"k", "v"}}}
	r1, err := db.ImportRow(ctx, "1", a.ID, row, 2)
	if err != nil || r1.AppsCreated != 1 {
		t.Fatalf("row: %v %v", r1, err)
	}
	// Matched by IP+MAC, HostName and VMware IDs when no ExternalId.
	for _, m := range []*imports.Row{{IPs: []string{"10.0.0.1"}, MACs: []string{"02:00:00:00:00:01"}}, {HostName: "h"}} {
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
