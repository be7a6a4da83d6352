package sqlite

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

func TestIntakeAcceptedIDs(t *testing.T) {
	_, svc := openTest(t)
	r0, r1 := report(1, 0), report(1, 1)
	if res := takeIn(t, svc, r1, r0); !slices.Equal(res.AcceptedIDs, []string{r1.ReportID, r0.ReportID}) {
		t.Fatalf("accepted IDs = %v", res.AcceptedIDs)
	}
	// A duplicate and a new report of a moment already reported (dropped).
	same := report(1, 1)
	same.ReportID = "other-id"
	r2 := report(1, 2)
	res := takeIn(t, svc, r0, same, r2)
	if res.Accepted != 1 || res.Duplicates != 1 || res.Dropped != 1 || !slices.Equal(res.AcceptedIDs, []string{r2.ReportID}) {
		t.Fatalf("result = %+v", res)
	}
	if res := takeIn(t, svc, r0); res.AcceptedIDs != nil {
		t.Fatalf("all duplicates: accepted IDs = %v", res.AcceptedIDs)
	}
}

func TestContinuousExportStore(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	e1 := &discovery.ContinuousExport{AccountID: acct, ID: "e1", S3Bucket: "b", Start: t0}
	if running, err := db.StartContinuousExport(ctx, e1); err != nil || running != nil {
		t.Fatalf("start = %v, %v", running, err)
	}
	e2 := &discovery.ContinuousExport{AccountID: acct, ID: "e2", S3Bucket: "b", Start: t0.Add(time.Hour)}
	if running, err := db.StartContinuousExport(ctx, e2); err != nil || running == nil || running.ID != "e1" {
		t.Fatalf("second start = %v, %v", running, err)
	}
	other := &discovery.ContinuousExport{AccountID: "999999999999", ID: "o1", S3Bucket: "c", Start: t0}
	if running, err := db.StartContinuousExport(ctx, other); err != nil || running != nil {
		t.Fatalf("other account start = %v, %v", running, err)
	}
	if _, err := db.StopContinuousExport(ctx, acct, "o1", t0); !errors.Is(err, discovery.ErrNotFound) {
		t.Fatalf("stop of another account's export = %v", err)
	}
	got, err := db.StopContinuousExport(ctx, acct, "e1", t0.Add(time.Minute))
	if err != nil || !got.Stop.Equal(t0.Add(time.Minute)) || !got.Start.Equal(t0) {
		t.Fatalf("stop = %v, %v", got, err)
	}
	if _, err := db.StopContinuousExport(ctx, acct, "e1", t0.Add(time.Minute)); !errors.Is(err, discovery.ErrContinuousExportStopped) {
		t.Fatalf("second stop = %v", err)
	}
	if r, err := db.RunningContinuousExport(ctx, acct); err != nil || r != nil {
		t.Fatalf("running after stop = %v, %v", r, err)
	}
	if running, err := db.StartContinuousExport(ctx, e2); err != nil || running != nil {
		t.Fatalf("start after stop = %v, %v", running, err)
	}
	if r, err := db.RunningContinuousExport(ctx, acct); err != nil || r == nil || r.ID != "e2" {
		t.Fatalf("running = %v, %v", r, err)
	}
	all, err := db.ContinuousExports(ctx, discovery.ContinuousExportQuery{AccountID: acct})
	if err != nil || len(all) != 2 || all[0].ID != "e2" || all[1].ID != "e1" {
		t.Fatalf("list = %v, %v", all, err)
	}
	page, err := db.ContinuousExports(ctx, discovery.ContinuousExportQuery{AccountID: acct, After: &discovery.ContinuousExportCursor{StartMs: e2.Start.UnixMilli(), ID: "e2"}, Limit: 5})
	if err != nil || len(page) != 1 || page[0].ID != "e1" {
		t.Fatalf("after e2 = %v, %v", page, err)
	}
	some, err := db.ContinuousExports(ctx, discovery.ContinuousExportQuery{AccountID: acct, IDs: []string{"e1", "o1"}})
	if err != nil || len(some) != 1 || some[0].ID != "e1" {
		t.Fatalf("by IDs = %v, %v", some, err)
	}
	if err := db.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if all, _ := db.ContinuousExports(ctx, discovery.ContinuousExportQuery{AccountID: acct}); len(all) != 0 {
		t.Fatalf("after reset = %v", all)
	}
}
