package postgres

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/batchdelete"
	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/queue"
)

// A task reads back as it was stored, in its account only, with empty
// lists kept as lists; the pending tasks are the unfinished ones of every
// account each have their job.
func TestBatchDeleteTasks(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	start := time.UnixMilli(1000).UTC()
	task := func(id, account string, status discovery.BatchDeleteStatus) *discovery.BatchDeleteTask {
		return &discovery.BatchDeleteTask{ID: id, AccountID: account, ConfigurationType: "SERVER", Status: status, Start: start, Requested: []string{srv1, id}}
	}
	for _, x := range []*discovery.BatchDeleteTask{
		task("t1", invA, discovery.BatchDeleteInitializing), task("t2", invB, discovery.BatchDeleteDeleting),
		task("t3", invA, discovery.BatchDeleteCompleted), task("t4", invB, discovery.BatchDeleteInitializing),
		task("t5", invA, discovery.BatchDeleteFailed), task("t6", invA, discovery.BatchDeleteValidating),
	} {
		if err := db.InsertBatchDeleteTask(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	// Nothing deleted yet reads as an empty list, as the SQLite store's.
	got, err := db.BatchDeleteTask(ctx, invA, "t1")
	want := task("t1", invA, discovery.BatchDeleteInitializing)
	want.Deleted = []string{}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("t1 = %+v %v, want %+v", got, err, want)
	}
	if _, err := db.BatchDeleteTask(ctx, invB, "t1"); !errors.Is(err, discovery.ErrNotFound) {
		t.Fatalf("A's task in B: %v", err)
	}
	// Each task was stored with its job, in one transaction.
	for _, x := range [][2]string{{invA, "t1"}, {invB, "t2"}, {invA, "t3"}, {invB, "t4"}, {invA, "t5"}, {invA, "t6"}} {
		if j, err := db.Job(ctx, discovery.JobBatchDelete, x[0], x[1]); err != nil || j.Ref != x[1] {
			t.Fatalf("job of %s: %+v %v", x[1], j, err)
		}
	}

	done := &discovery.BatchDeleteTask{ID: "t1", AccountID: invA, ConfigurationType: "SERVER", Status: discovery.BatchDeleteCompleted, Start: start,
		End: time.UnixMilli(2000).UTC(), Requested: []string{srv1, "t1"}, Deleted: []string{srv1},
		Failures: []discovery.BatchDeleteFailure{discovery.BatchDeleteNotFound("t1")},
		Warnings: []discovery.BatchDeleteWarning{discovery.BatchDeleteStillCollecting(srv1, "o-agent0000000001")}}
	err = db.BatchDeleteTx(ctx, testLease(t, db, "finish"), invA, func(tx discovery.BatchDeleteTx) error {
		if err := tx.FinishBatchDeleteTask(ctx, done); err != nil {
			return err
		}
		return tx.FinishBatchDeleteTask(ctx, &discovery.BatchDeleteTask{ID: "t6", Status: discovery.BatchDeleteCompleted, End: time.UnixMilli(3000)})
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := db.BatchDeleteTask(ctx, invA, "t1"); err != nil || !reflect.DeepEqual(got, done) {
		t.Fatalf("t1 = %+v %v\nwant %+v", got, err, done)
	}
	if got, err := column(ctx, db.pool, `SELECT deleted::text || failed::text || warnings::text || end_ms FROM batch_delete_tasks WHERE task_id = 't6'`); err != nil ||
		!slices.Equal(got, []string{"[][][]3000"}) {
		t.Fatalf("t6 = %v %v", got, err)
	}
}

// Delete removes what is listed in its account only: connections and
// their tags by either form of their IDs, and an agent's whole time series.
func TestBatchDeleteTxDelete(t *testing.T) {
	db := invFixture(t)
	ctx := t.Context()
	for _, account := range []string{invA, invB} {
		exec(t, db, `INSERT INTO perf_samples VALUES ($1, 'o-agent0000000001', 0, 0,0,0,0,0,0, 1,1,1,1,1, 0, 1,1, 1,1)`, account)
		exec(t, db, `INSERT INTO system_observations (account_id, agent_id, ts_ms) VALUES ($1, 'o-agent0000000001', 0)`, account)
		exec(t, db, `INSERT INTO process_observations (account_id, agent_id, ts_ms, seq, pid, name) VALUES ($1, 'o-agent0000000001', 0, 0, 1, 'p')`, account)
		exec(t, db, `INSERT INTO connection_observations (account_id, agent_id, ts_ms, seq, direction, source_ip, destination_ip, destination_port)
			VALUES ($1, 'o-agent0000000001', 0, 0, 'outbound', 'a', 'b', 1)`, account)
		exec(t, db, `INSERT INTO network_interfaces (account_id, server_id, name, ip_address) VALUES ($1, $2, 'eth0', '10.0.0.1')`, account, srv1)
	}
	exec(t, db, `INSERT INTO tags (account_id, configuration_id, key, value, created_ms) VALUES ($1, $2, 'k', 'v', 0), ($1, $3, 'k', 'v', 0)`,
		invA, discovery.ConnectionPrefix+conn1, conn2)
	series := `SELECT account_id || ' ' || (SELECT count(*) FROM perf_samples p WHERE p.account_id = a.account_id) ||
		(SELECT count(*) FROM system_observations o WHERE o.account_id = a.account_id) ||
		(SELECT count(*) FROM process_observations o WHERE o.account_id = a.account_id) ||
		(SELECT count(*) FROM connection_observations o WHERE o.account_id = a.account_id)
		FROM (VALUES ($1), ($2)) AS a(account_id) ORDER BY 1`
	err := db.BatchDeleteTx(ctx, testLease(t, db, "delete"), invA, func(tx discovery.BatchDeleteTx) error {
		return tx.Delete(ctx, &discovery.Deletion{
			Servers: []string{srv4}, Processes: []string{procSSHD}, Connections: []string{discovery.ConnectionPrefix + conn1, discovery.ConnectionPrefix + conn2},
			InterfacesOf: []string{srv1}, MembershipsOf: []string{srv2}, TagsOf: []string{srv1, discovery.ConnectionPrefix + conn1, discovery.ConnectionPrefix + conn2},
			SeriesOf: []string{"o-agent0000000001"}, Touch: []string{app3, app1}, TouchedMS: 42,
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	for q, want := range map[string][]string{
		`SELECT account_id || ' ' || server_id FROM servers ORDER BY 1`:                                      {invA + " " + srv1, invA + " " + srv2, invA + " " + srv3, invB + " " + srvB},
		`SELECT account_id || ' ' || process_id FROM processes ORDER BY 1`:                                   {invA + " " + procNginx, invB + " " + procB},
		`SELECT account_id || ' ' || connection_id FROM connections ORDER BY 1`:                              {invB + " " + conn1},
		`SELECT account_id || ' ' || server_id FROM network_interfaces ORDER BY 1`:                           {invB + " " + srv1},
		`SELECT account_id || ' ' || application_id || ' ' || server_id FROM application_servers ORDER BY 1`: {invA + " " + app1 + " " + srv1, invA + " " + app2 + " " + srv1, invB + " " + app1 + " " + srvB},
		`SELECT account_id || ' ' || configuration_id FROM tags ORDER BY 1`:                                  {invA + " " + srv2, invB + " " + srv3},
		`SELECT account_id || ' ' || application_id FROM applications WHERE updated_ms = 42 ORDER BY 1`:      {invA + " " + app1, invA + " " + app3},
	} {
		if got, err := column(ctx, db.pool, q); err != nil || !slices.Equal(got, want) {
			t.Errorf("%s = %v %v, want %v", q, got, err, want)
		}
	}
	if got, err := column(ctx, db.pool, series, invA, invB); err != nil || !slices.Equal(got, []string{invA + " 0000", invB + " 1111"}) {
		t.Errorf("series %v %v", got, err)
	}
}

// Replicas running their job queues at once run the task once: one claims
// its job and deletes the servers under the account's lock, the others
// find no job. The task ends with the servers deleted and no failure, at
// the time its applications changed.
func TestBatchDeleteAcrossReplicas(t *testing.T) {
	dbs := replicas(t, testSchema(t), 6)
	ctx := t.Context()
	for _, s := range [][]any{{srv1, "o-agent0000000001"}, {srv2, ""}, {srv3, ""}} {
		insertServer(t, dbs[0], invA, s[0].(string), s[1].(string), "h", 0)
	}
	exec(t, dbs[0], `INSERT INTO applications (account_id, application_id, name, created_ms, updated_ms) VALUES ($1, $2, 'a', 0, 0)`, invA, app1)
	exec(t, dbs[0], `INSERT INTO application_servers (account_id, application_id, server_id) VALUES ($1, $2, $3), ($1, $2, $4)`, invA, app1, srv1, srv3)
	exec(t, dbs[0], `INSERT INTO processes (account_id, process_id, server_id, name, created_ms, last_seen_ms) VALUES ($1, $2, $3, 'p', 0, 0)`, invA, procNginx, srv1)
	t0 := time.UnixMilli(1_000_000).UTC()
	id, err := batchdelete.New(dbs[0], func() time.Time { return t0 }, nil).Start(ctx, invA, "SERVER", []string{srv1, srv2, srv3})
	if err != nil {
		t.Fatal(err)
	}
	errs := make([]error, len(dbs))
	ran := make([]bool, len(dbs))
	atOnce(len(dbs), func(i int) {
		now := func() time.Time { return t0.Add(time.Duration(i+1) * time.Second) }
		r := &queue.Runner{Store: dbs[i], Owner: fmt.Sprintf("replica-%d", i), Now: now, Kinds: map[discovery.JobKind]queue.Kind{
			discovery.JobBatchDelete: {Handler: &batchdelete.Runner{Store: dbs[i], Now: now}},
		}}
		ran[i], errs[i] = r.Step(context.Background())
	})
	runs := 0
	for i, err := range errs {
		if err != nil {
			t.Fatalf("replica %d: %v", i, err)
		}
		if ran[i] {
			runs++
		}
	}
	if runs != 1 {
		t.Fatalf("the task's job ran %d times", runs)
	}
	task, err := dbs[0].BatchDeleteTask(ctx, invA, id)
	if err != nil {
		t.Fatal(err)
	}
	if task.Status != discovery.BatchDeleteCompleted || !slices.Equal(task.Deleted, []string{srv1, srv2, srv3}) || len(task.Failures) != 0 {
		t.Fatalf("task %+v", task)
	}
	if n := count(t, dbs[0], `SELECT count(*) FROM applications WHERE updated_ms = $1`, task.End.UnixMilli()); n != 1 {
		t.Fatalf("the application changed at another time than the task ended (%v)", task.End)
	}
	if n := count(t, dbs[0], `SELECT (SELECT count(*) FROM servers) + (SELECT count(*) FROM processes) + (SELECT count(*) FROM application_servers)`); n != 0 {
		t.Fatalf("%d rows left", n)
	}
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
