package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// Two replicas asking for the same new secret at once get the same 32
// bytes; a secret survives a reset and a restart.
func TestSecretsSharedBetweenReplicas(t *testing.T) {
	url := testSchema(t)
	dbs := replicas(t, url, 2)
	a, b := dbs[0], dbs[1]
	var (
		got  [8][]byte
		errs [8]error
	)
	atOnce(len(got), func(i int) { got[i], errs[i] = dbs[i%2].Secret(t.Context(), "presign") })
	for i := range got {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if len(got[i]) != 32 || !bytes.Equal(got[i], got[0]) {
			t.Fatalf("secret %d = %x, want the same 32 bytes as %x", i, got[i], got[0])
		}
	}
	other, err := b.Secret(t.Context(), "page-token")
	if err != nil || len(other) != 32 || bytes.Equal(other, got[0]) {
		t.Fatalf("another secret = %x, %v", other, err)
	}
	if err := a.Reset(t.Context()); err != nil {
		t.Fatal(err)
	}
	a.Close()
	again, err := openURL(t, url).Secret(t.Context(), "presign")
	if err != nil || !bytes.Equal(again, got[0]) {
		t.Fatalf("after reset and restart: %x, %v", again, err)
	}
}

func TestAccountsAndHomeRegion(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	def := &discovery.HomeRegionControl{ID: "hrc-1", AccountID: invA, HomeRegion: "us-west-2", RequestedTime: t0}
	if err := db.EnsureAccount(ctx, invA, t0, def); err != nil {
		t.Fatal(err)
	}
	got, err := db.HomeRegionControl(ctx, invA)
	if err != nil || *got != *def {
		t.Fatalf("default control = %+v, %v", got, err)
	}
	// A known account keeps its state: no second default after a delete.
	if err := db.DeleteHomeRegionControl(ctx, invA, "hrc-1"); err != nil {
		t.Fatal(err)
	}
	if err := db.EnsureAccount(ctx, invA, t0, &discovery.HomeRegionControl{ID: "hrc-2", AccountID: invA, HomeRegion: "eu-west-1", RequestedTime: t0}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.HomeRegionControl(ctx, invA); !errors.Is(err, discovery.ErrNotFound) {
		t.Fatalf("known account got a new default: %v", err)
	}
	if err := db.DeleteHomeRegionControl(ctx, invA, "hrc-1"); !errors.Is(err, discovery.ErrNotFound) {
		t.Fatalf("second delete = %v", err)
	}
	// An account without a default has none.
	if err := db.EnsureAccount(ctx, invB, t0, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := db.HomeRegionControl(ctx, invB); !errors.Is(err, discovery.ErrNotFound) {
		t.Fatalf("account B control: %v", err)
	}
	// Create keeps the first control.
	c := &discovery.HomeRegionControl{ID: "hrc-3", AccountID: invA, HomeRegion: "eu-central-1", RequestedTime: t0.Add(time.Hour)}
	if got, created, err := db.CreateHomeRegionControl(ctx, c); err != nil || !created || got != c {
		t.Fatalf("create = %+v, %v, %v", got, created, err)
	}
	second := &discovery.HomeRegionControl{ID: "hrc-4", AccountID: invA, HomeRegion: "ap-south-1", RequestedTime: t0}
	if got, created, err := db.CreateHomeRegionControl(ctx, second); err != nil || created || *got != *c {
		t.Fatalf("second create = %+v, %v, %v", got, created, err)
	}
	if err := db.DeleteHomeRegionControl(ctx, invB, "hrc-3"); !errors.Is(err, discovery.ErrNotFound) {
		t.Fatalf("delete by another account = %v", err)
	}
}

// Replicas creating an account's control at once: one creates it, the
// others get it back.
func TestCreateHomeRegionControlAcrossReplicas(t *testing.T) {
	dbs := replicas(t, testSchema(t), 6)
	var (
		mu      sync.Mutex
		created int
		ids     = map[string]bool{}
	)
	atOnce(len(dbs), func(i int) {
		got, ok, err := dbs[i].CreateHomeRegionControl(context.Background(), &discovery.HomeRegionControl{
			ID: fmt.Sprint("hrc-", i), AccountID: invA, HomeRegion: "us-west-2", RequestedTime: t0})
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			t.Error(err)
			return
		}
		if ok {
			created++
		}
		ids[got.ID] = true
	})
	if created != 1 || len(ids) != 1 {
		t.Fatalf("%d created, controls returned %v", created, ids)
	}
}

// ResetAccount deletes one account's state; Reset deletes every account's.
func TestResets(t *testing.T) {
	db := invFixture(t)
	ctx := t.Context()
	for _, a := range []string{invA, invB} {
		if err := db.EnsureAccount(ctx, a, t0, &discovery.HomeRegionControl{ID: "hrc-" + a, AccountID: a, HomeRegion: "us-west-2", RequestedTime: t0}); err != nil {
			t.Fatal(err)
		}
		task := agentTask("export-"+a, "o-1", t0)
		task.AccountID = a
		if _, err := db.CreateExportTask(ctx, task, discovery.ExportAdmission{}); err != nil {
			t.Fatal(err)
		}
	}
	rows := func(account string) int {
		n := 0
		for _, table := range resetTables {
			n += count(t, db, `SELECT count(*) FROM `+table+` WHERE account_id = $1`, account)
		}
		return n
	}
	before := rows(invB)
	if rows(invA) == 0 || before == 0 {
		t.Fatal("fixture is empty")
	}
	if err := db.ResetAccount(ctx, invA); err != nil {
		t.Fatal(err)
	}
	if n := rows(invA); n != 0 {
		t.Fatalf("%d rows of account A left", n)
	}
	if n := rows(invB); n != before {
		t.Fatalf("account B has %d rows, had %d", n, before)
	}
	if err := db.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if n := rows(invB); n != 0 {
		t.Fatalf("%d rows of account B left", n)
	}
}

func TestContinuousExportStore(t *testing.T) {
	db := openTest(t)
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
	if one, err := db.ContinuousExports(ctx, discovery.ContinuousExportQuery{AccountID: acct, Limit: 1}); err != nil || len(one) != 1 || one[0].ID != "e2" {
		t.Fatalf("limit 1 = %v, %v", one, err)
	}
	some, err := db.ContinuousExports(ctx, discovery.ContinuousExportQuery{AccountID: acct, IDs: []string{"e1", "o1"}})
	if err != nil || len(some) != 1 || some[0].ID != "e1" {
		t.Fatalf("by IDs = %v, %v", some, err)
	}
	if none, err := db.ContinuousExports(ctx, discovery.ContinuousExportQuery{AccountID: acct, IDs: []string{}}); err != nil || len(none) != 0 {
		t.Fatalf("no IDs = %v, %v", none, err)
	}
	if err := db.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if all, _ := db.ContinuousExports(ctx, discovery.ContinuousExportQuery{AccountID: acct}); len(all) != 0 {
		t.Fatalf("after reset = %v", all)
	}
}

// Replicas starting an account's continuous export at once: one starts it,
// the others are told it runs.
func TestStartContinuousExportAcrossReplicas(t *testing.T) {
	dbs := replicas(t, testSchema(t), 6)
	var (
		mu      sync.Mutex
		started []string
		running = map[string]bool{}
	)
	atOnce(len(dbs), func(i int) {
		id := fmt.Sprint("e", i)
		r, err := dbs[i].StartContinuousExport(context.Background(), &discovery.ContinuousExport{AccountID: acct, ID: id, S3Bucket: "b", Start: t0})
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err != nil:
			t.Error(err)
		case r == nil:
			started = append(started, id)
		default:
			running[r.ID] = true
		}
	})
	if len(started) != 1 || len(running) != 1 || !running[started[0]] {
		t.Fatalf("started %v; others saw %v running", started, running)
	}
}
