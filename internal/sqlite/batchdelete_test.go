package sqlite

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

func bdCount(t *testing.T, db *DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func bdStrings(t *testing.T, db *DB, q string, args ...any) []string {
	t.Helper()
	out := []string{}
	rows, err := db.db.Query(q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// testLease enqueues a job of a kind no runner handles and claims it: the
// lease a test writes under.
func testLease(t *testing.T, db *DB, owner string) discovery.Lease {
	t.Helper()
	ctx := context.Background()
	ref := fmt.Sprintf("%s-%d", owner, time.Now().UnixNano())
	kind := discovery.JobKind("test-lease")
	if err := db.Enqueue(ctx, &discovery.Job{Kind: kind, Ref: ref, RunAt: time.UnixMilli(1)}); err != nil {
		t.Fatal(err)
	}
	j, err := db.Claim(ctx, owner, []discovery.JobKind{kind}, time.UnixMilli(1), time.UnixMilli(2))
	if err != nil || j == nil || j.Ref != ref {
		t.Fatalf("claim the test job: %+v %v", j, err)
	}
	return j.Lease()
}

// bdRun runs fn in a batch-delete transaction of account, under a lease,
// and fails the test on an error.
func bdRun(t *testing.T, db *DB, account string, fn func(ctx context.Context, tx discovery.BatchDeleteTx) error) {
	t.Helper()
	ctx := context.Background()
	l := testLease(t, db, "bdRun")
	if err := db.BatchDeleteTx(ctx, l, account, func(tx discovery.BatchDeleteTx) error { return fn(ctx, tx) }); err != nil {
		t.Fatal(err)
	}
}

// TestBatchDeleteTxLease: the transaction runs only under the lease of a
// job its owner still holds; once another owner took the job over, fn does
// not run and nothing is written (the outcome write is fenced).
func TestBatchDeleteTxLease(t *testing.T) {
	db := invFixture(t)
	ctx := context.Background()
	stale := testLease(t, db, "dead")
	// The lease passed (it ran until 2 ms): another owner takes the job.
	heir, err := db.Claim(ctx, "heir", []discovery.JobKind{"test-lease"}, time.UnixMilli(3), time.UnixMilli(1000))
	if err != nil || heir == nil || heir.ID != stale.Job {
		t.Fatalf("take over: %+v %v", heir, err)
	}
	ran := false
	err = db.BatchDeleteTx(ctx, stale, invA, func(tx discovery.BatchDeleteTx) error {
		ran = true
		return tx.Delete(ctx, &discovery.Deletion{Servers: []string{srv4}})
	})
	var lost *discovery.LeaseLostError
	if !errors.As(err, &lost) || lost.Holder != "heir" || !errors.Is(err, discovery.ErrLeaseLost) || ran {
		t.Fatalf("under a lease taken over: ran %v, %v", ran, err)
	}
	if bdCount(t, db, `SELECT count(*) FROM servers WHERE account_id = ? AND server_id = ?`, invA, srv4) != 1 {
		t.Fatal("a stale lease deleted a server")
	}
	// The heir's lease holds; an error of fn rolls its writes back.
	boom := errors.New("boom")
	err = db.BatchDeleteTx(ctx, heir.Lease(), invA, func(tx discovery.BatchDeleteTx) error {
		if err := tx.Delete(ctx, &discovery.Deletion{Servers: []string{srv4}}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) || bdCount(t, db, `SELECT count(*) FROM servers WHERE account_id = ? AND server_id = ?`, invA, srv4) != 1 {
		t.Fatalf("rolled back: %v", err)
	}
	if err := db.BatchDeleteTx(ctx, heir.Lease(), invA, func(tx discovery.BatchDeleteTx) error {
		return tx.Delete(ctx, &discovery.Deletion{Servers: []string{srv4}})
	}); err != nil || bdCount(t, db, `SELECT count(*) FROM servers WHERE account_id = ? AND server_id = ?`, invA, srv4) != 0 {
		t.Fatalf("under the heir's lease: %v", err)
	}
	// A job gone (completed) refuses its lease too.
	if err := db.Complete(ctx, heir.Lease()); err != nil {
		t.Fatal(err)
	}
	if err := db.BatchDeleteTx(ctx, heir.Lease(), invA, func(discovery.BatchDeleteTx) error { return nil }); !errors.Is(err, discovery.ErrLeaseLost) {
		t.Fatalf("under the lease of a completed job: %v", err)
	}
}

// TestBatchDeleteTxReads checks the typed reads of the batch-delete
// transaction against the inventory fixture: each stays in its account, and
// connections come as configuration IDs.
func TestBatchDeleteTxReads(t *testing.T) {
	db := invFixture(t)
	bdRun(t, db, invA, func(ctx context.Context, tx discovery.BatchDeleteTx) error {
		for id, want := range map[string]string{srv1: "o-agent0000000001", srv3: ""} {
			if got, err := tx.ServerAgent(ctx, id); got != want || err != nil {
				t.Errorf("agent of %s: %q %v", id, got, err)
			}
		}
		for _, id := range []string{srvB, "d-server-0000000000000dead"} {
			if _, err := tx.ServerAgent(ctx, id); !errors.Is(err, discovery.ErrNotFound) {
				t.Errorf("agent of %s: %v", id, err)
			}
		}
		if st, err := tx.AgentCollectionStatus(ctx, "o-agent0000000002"); st != discovery.CollectionStopped || err != nil {
			t.Errorf("collection status %q %v", st, err)
		}
		if _, err := tx.AgentCollectionStatus(ctx, "o-agentB00000001"); !errors.Is(err, discovery.ErrNotFound) {
			t.Errorf("B's agent: %v", err)
		}
		procs, err := tx.ServerProcesses(ctx, srv1)
		slices.Sort(procs)
		if !reflect.DeepEqual(procs, []string{procNginx, procSSHD}) || err != nil {
			t.Errorf("processes %v %v", procs, err)
		}
		apps, err := tx.ServerApplications(ctx, srv1)
		slices.Sort(apps)
		if !reflect.DeepEqual(apps, []string{app1, app2}) || err != nil {
			t.Errorf("applications %v %v", apps, err)
		}
		for _, c := range []struct {
			servers, processes []string
			want               []string
		}{
			{[]string{srv3}, nil, []string{conn7}},
			{nil, []string{procPG}, []string{conn1, conn2}},    // destination process
			{nil, []string{procNginx}, []string{conn1, conn4}}, // either end
			{[]string{srv4, srvB}, nil, []string{conn4}},       // B's server is not A's
			{[]string{srv2}, []string{procSSHD}, []string{conn1, conn2, conn3}},
			{nil, nil, nil},
		} {
			got, err := tx.ConnectionsTouching(ctx, c.servers, c.processes)
			slices.Sort(got)
			var want []string
			for _, id := range c.want {
				want = append(want, discovery.ConnectionPrefix+id)
			}
			if !reflect.DeepEqual(got, want) || err != nil {
				t.Errorf("connections of %v %v: %v %v", c.servers, c.processes, got, err)
			}
		}
		return nil
	})
}

// TestBatchDeleteTxDelete: Delete removes what is listed, translating
// connection IDs to stored keys (also for their tags), in its account only.
func TestBatchDeleteTxDelete(t *testing.T) {
	db := invFixture(t)
	invExec(t, db, `INSERT INTO perf_samples VALUES (?,?,?, 0,0,0,0,0,0, 1,1,1,1,1, 0, 1,1, 1,1), (?,?,?, 0,0,0,0,0,0, 1,1,1,1,1, 0, 1,1, 1,1)`,
		invA, "o-agent0000000001", invAt(0), invB, "o-agent0000000001", invAt(0))
	for _, table := range []string{"system_observations", "process_observations", "connection_observations"} {
		cols, vals := "account_id, agent_id, ts_ms", "?, ?, 0"
		switch table {
		case "process_observations":
			cols, vals = cols+", seq, pid, name", vals+", 0, 1, 'p'"
		case "connection_observations":
			cols, vals = cols+", seq, direction, source_ip, destination_ip, destination_port", vals+", 0, 'outbound', 'a', 'b', 1"
		}
		invExec(t, db, `INSERT INTO `+table+` (`+cols+`) VALUES (`+vals+`)`, invA, "o-agent0000000001")
	}
	invExec(t, db, `INSERT INTO tags (account_id, configuration_id, key, value, created_ms) VALUES (?, ?, 'k', 'v', 0), (?, ?, 'k', 'v', 0)`,
		invA, discovery.ConnectionPrefix+conn5, invA, procPG)
	for _, account := range []string{invB, invA} {
		bdRun(t, db, account, func(ctx context.Context, tx discovery.BatchDeleteTx) error {
			return tx.Delete(ctx, &discovery.Deletion{
				Servers: []string{srv4}, Processes: []string{procPG}, Connections: []string{discovery.ConnectionPrefix + conn5, discovery.ConnectionPrefix + conn1},
				InterfacesOf: []string{srv1}, MembershipsOf: []string{srv2}, TagsOf: []string{srv1, procPG, discovery.ConnectionPrefix + conn5},
				SeriesOf: []string{"o-agent0000000001"}, Touch: []string{app3}, TouchedMS: 42,
			})
		})
		if account == invB {
			// Of what is listed B has its conn1 and the samples of an
			// agent of the same ID: they go, nothing of A's does.
			if got := bdStrings(t, db, `SELECT connection_id FROM connections WHERE account_id = ?`, invB); len(got) != 0 {
				t.Fatalf("B's connections %v", got)
			}
			if bdCount(t, db, `SELECT count(*) FROM perf_samples WHERE account_id = ?`, invB) != 0 {
				t.Fatal("B's samples stayed")
			}
			if bdCount(t, db, `SELECT count(*) FROM perf_samples`) != 1 || bdCount(t, db, `SELECT count(*) FROM servers WHERE account_id = ?`, invA) != 4 ||
				bdCount(t, db, `SELECT count(*) FROM connections WHERE account_id = ?`, invA) != 7 || bdCount(t, db, `SELECT count(*) FROM tags WHERE account_id = ?`, invA) != 5 {
				t.Fatal("B's deletion reached A")
			}
		}
	}
	for q, want := range map[string][]string{
		`SELECT server_id FROM servers WHERE account_id = ? ORDER BY 1`:                                         {srv1, srv2, srv3},
		`SELECT process_id FROM processes WHERE account_id = ? ORDER BY 1`:                                      {procNginx, procSSHD},
		`SELECT connection_id FROM connections WHERE account_id = ? ORDER BY 1`:                                 {conn2, conn3, conn4, conn6, conn7},
		`SELECT DISTINCT server_id FROM network_interfaces WHERE account_id = ? ORDER BY 1`:                     {srv2, srv4},
		`SELECT application_id || ' ' || server_id FROM application_servers WHERE account_id = ? ORDER BY 1`:    {app1 + " " + srv1, app2 + " " + srv1},
		`SELECT configuration_id FROM tags WHERE account_id = ? ORDER BY 1`:                                     {srv2},
		`SELECT application_id || ' ' || updated_ms FROM applications WHERE account_id = ? AND updated_ms = 42`: {app3 + " 42"},
		`SELECT count(*) FROM perf_samples WHERE account_id = ?`:                                                {"0"},
		`SELECT count(*) FROM system_observations WHERE account_id = ?`:                                         {"0"},
		`SELECT count(*) FROM process_observations WHERE account_id = ?`:                                        {"0"},
		`SELECT count(*) FROM connection_observations WHERE account_id = ?`:                                     {"0"},
		`SELECT count(*) FROM agents WHERE account_id = ?`:                                                      {"7"},
	} {
		if got := bdStrings(t, db, q, invA); !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %v, want %v", q, got, want)
		}
	}
}

// TestBatchDeleteTxFinish: a finished task reads back as it was stored;
// empty lists stay lists.
func TestBatchDeleteTxFinish(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	start := time.UnixMilli(1000).UTC()
	for _, task := range []*discovery.BatchDeleteTask{
		{ID: "t1", AccountID: invA, ConfigurationType: "SERVER", Status: discovery.BatchDeleteInitializing, Start: start, Requested: []string{srv1, srv2}},
		{ID: "t2", AccountID: invA, ConfigurationType: "SERVER", Status: discovery.BatchDeleteInitializing, Start: start, Requested: []string{srv3}},
	} {
		if err := db.InsertBatchDeleteTask(ctx, task); err != nil {
			t.Fatal(err)
		}
	}
	bdRun(t, db, invB, func(ctx context.Context, tx discovery.BatchDeleteTx) error {
		if _, err := tx.BatchDeleteTask(ctx, "t1"); !errors.Is(err, discovery.ErrNotFound) {
			t.Errorf("A's task in B: %v", err)
		}
		return nil
	})
	done := &discovery.BatchDeleteTask{ID: "t1", AccountID: invA, ConfigurationType: "SERVER", Status: discovery.BatchDeleteCompleted, Start: start,
		End: time.UnixMilli(2000).UTC(), Requested: []string{srv1, srv2}, Deleted: []string{srv1},
		Failures: []discovery.BatchDeleteFailure{discovery.BatchDeleteNotFound(srv2)},
		Warnings: []discovery.BatchDeleteWarning{discovery.BatchDeleteStillCollecting(srv1, "o-agent0000000001")}}
	bdRun(t, db, invA, func(ctx context.Context, tx discovery.BatchDeleteTx) error {
		got, err := tx.BatchDeleteTask(ctx, "t1")
		if err != nil || got.Status != discovery.BatchDeleteInitializing || !reflect.DeepEqual(got.Requested, done.Requested) {
			t.Errorf("task before: %+v %v", got, err)
		}
		if err := tx.FinishBatchDeleteTask(ctx, done); err != nil {
			return err
		}
		return tx.FinishBatchDeleteTask(ctx, &discovery.BatchDeleteTask{ID: "t2", Status: discovery.BatchDeleteCompleted, End: time.UnixMilli(3000)})
	})
	if got, err := db.BatchDeleteTask(ctx, invA, "t1"); err != nil || !reflect.DeepEqual(got, done) {
		t.Errorf("t1 = %+v %v\nwant %+v", got, err, done)
	}
	if got := bdStrings(t, db, `SELECT deleted || failed || warnings || end_ms FROM batch_delete_tasks WHERE task_id = 't2'`); !reflect.DeepEqual(got, []string{"[][][]3000"}) {
		t.Errorf("t2 = %v", got)
	}
}
