package sqlite

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/batchdelete"
	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/queue"
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

// runTask starts a task through the service, runs the pending tasks and
// returns the task as Describe shows it.
func runTask(t *testing.T, db *DB, now time.Time, ids ...string) *discovery.BatchDeleteTask {
	t.Helper()
	ctx := context.Background()
	svc := batchdelete.New(db, func() time.Time { return now }, nil)
	id, err := svc.Start(ctx, invA, string(discovery.TypeServer), ids)
	if err != nil {
		t.Fatal(err)
	}
	if task, err := svc.Describe(ctx, invA, id); err != nil || task.Status != discovery.BatchDeleteInitializing || !task.End.IsZero() {
		t.Fatalf("before run: %+v, %v", task, err)
	}
	later := func() time.Time { return now.Add(time.Second) }
	r := &queue.Runner{Store: db, Now: later, Kinds: map[discovery.JobKind]queue.Kind{
		discovery.JobBatchDelete: {Handler: &batchdelete.Runner{Store: db, Now: later}},
	}}
	if ran, err := r.Step(ctx); err != nil || !ran {
		t.Fatalf("Step = %v, %v", ran, err)
	}
	if ran, err := r.Step(ctx); err != nil || ran {
		t.Fatalf("second Step = %v, %v", ran, err)
	}
	task, err := svc.Describe(ctx, invA, id)
	if err != nil {
		t.Fatal(err)
	}
	if task.Status != discovery.BatchDeleteCompleted || !task.Start.Equal(now) || !task.End.Equal(now.Add(time.Second)) {
		t.Fatalf("after run: %+v", task)
	}
	return task
}

func TestBatchDeleteServers(t *testing.T) {
	db := invFixture(t)
	now := invT0.Add(100 * time.Hour)
	for _, agent := range []string{"o-agent0000000001", "o-agent0000000002"} {
		invExec(t, db, `INSERT INTO perf_samples VALUES (?,?,?, 0,0,0,0,0,0, 1,1,1,1,1, 0, 1,1, 1,1)`, invA, agent, invAt(0))
		invExec(t, db, `INSERT INTO system_observations (account_id, agent_id, ts_ms) VALUES (?,?,?)`, invA, agent, invAt(0))
	}
	invExec(t, db, `INSERT INTO tags (account_id, configuration_id, key, value, created_ms) VALUES (?, ?, 'k', 'v', 0), (?, ?, 'k', 'v', 0)`,
		invA, procNginx, invA, discovery.ConnectionPrefix+conn1)

	// An imported server: only its connection goes.
	task := runTask(t, db, now, srv3)
	if !reflect.DeepEqual(task.Deleted, []string{srv3}) || len(task.Failures) != 0 || len(task.Warnings) != 0 {
		t.Fatalf("srv3 task: %+v", task)
	}
	if got := bdStrings(t, db, `SELECT connection_id FROM connections WHERE account_id = ? ORDER BY 1`, invA); !reflect.DeepEqual(got, []string{conn1, conn2, conn3, conn4, conn5, conn6}) {
		t.Fatalf("connections after srv3: %v", got)
	}
	// Account B's srv3 membership and tag are B's.
	if bdCount(t, db, `SELECT count(*) FROM application_servers WHERE account_id = ? AND server_id = ?`, invB, srv3) != 1 ||
		bdCount(t, db, `SELECT count(*) FROM tags WHERE account_id = ? AND configuration_id = ?`, invB, srv3) != 1 {
		t.Fatal("deleting A's srv3 touched account B")
	}

	// srv1's agent still collects: deleted with a warning. A process ID, an
	// unknown server, B's server and a duplicate fail or collapse.
	task = runTask(t, db, now, srv1, procNginx, "d-server-0000000000000dead", srvB, srv1)
	if !reflect.DeepEqual(task.Requested, []string{srv1, procNginx, "d-server-0000000000000dead", srvB}) {
		t.Fatalf("requested = %v", task.Requested)
	}
	if !reflect.DeepEqual(task.Deleted, []string{srv1}) {
		t.Fatalf("deleted = %v", task.Deleted)
	}
	want := []discovery.BatchDeleteFailure{discovery.BatchDeleteNotFound(procNginx), discovery.BatchDeleteNotFound("d-server-0000000000000dead"), discovery.BatchDeleteNotFound(srvB)}
	if !reflect.DeepEqual(task.Failures, want) || task.Failures[0].StatusCode != 404 {
		t.Fatalf("failures = %+v", task.Failures)
	}
	if !reflect.DeepEqual(task.Warnings, []discovery.BatchDeleteWarning{discovery.BatchDeleteStillCollecting(srv1, "o-agent0000000001")}) {
		t.Fatalf("warnings = %+v", task.Warnings)
	}

	for q, want := range map[string][]string{
		`SELECT server_id FROM servers WHERE account_id = ? ORDER BY 1`:                           {srv2, srv4},
		`SELECT process_id FROM processes WHERE account_id = ? ORDER BY 1`:                        {procPG},
		`SELECT connection_id FROM connections WHERE account_id = ? ORDER BY 1`:                   {},
		`SELECT DISTINCT server_id FROM network_interfaces WHERE account_id = ? ORDER BY 1`:       {srv2, srv4},
		`SELECT application_id || ' ' || server_id FROM application_servers WHERE account_id = ?`: {app1 + " " + srv2},
		`SELECT configuration_id || ' ' || key FROM tags WHERE account_id = ? ORDER BY 1`:         {srv2 + " env"},
		`SELECT DISTINCT agent_id FROM perf_samples WHERE account_id = ?`:                         {"o-agent0000000002"},
		`SELECT DISTINCT agent_id FROM system_observations WHERE account_id = ?`:                  {"o-agent0000000002"},
	} {
		if got := bdStrings(t, db, q, invA); !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %v, want %v", q, got, want)
		}
	}
	// The applications that lost a server changed then; the others did not.
	end := now.Add(time.Second).UnixMilli()
	if bdCount(t, db, `SELECT count(*) FROM applications WHERE account_id = ? AND updated_ms = ?`, invA, end) != 2 ||
		bdCount(t, db, `SELECT updated_ms FROM applications WHERE account_id = ? AND application_id = ?`, invA, app3) != int(invAt(28*time.Hour)) {
		t.Fatal("application updated times")
	}
	// Agents stay; account B is untouched.
	if n := bdCount(t, db, `SELECT count(*) FROM agents WHERE account_id = ?`, invA); n != 7 {
		t.Fatalf("agents = %d", n)
	}
	if bdCount(t, db, `SELECT count(*) FROM servers WHERE account_id = ?`, invB) != 1 || bdCount(t, db, `SELECT count(*) FROM connections WHERE account_id = ?`, invB) != 1 {
		t.Fatal("account B changed")
	}
}

func TestBatchDeleteStartErrors(t *testing.T) {
	db := invFixture(t)
	ctx := context.Background()
	svc := batchdelete.New(db, func() time.Time { return invT0 }, nil)
	many := make([]string, batchdelete.MaxIDs+1)
	for i := range many {
		many[i] = srv1
	}
	for _, c := range []struct {
		typ  string
		ids  []string
		code discovery.ErrorCode
	}{
		{"SERVER", many, discovery.LimitExceeded},
		{"SERVER", nil, discovery.InvalidParameterValue},
		{"PROCESS", []string{procNginx}, discovery.InvalidParameterValue},
	} {
		_, err := svc.Start(ctx, invA, c.typ, c.ids)
		wantDiscoveryCode(t, err, c.code)
	}
	if _, err := svc.Start(ctx, invA, "SERVER", many[:batchdelete.MaxIDs]); err != nil {
		t.Fatalf("200 IDs: %v", err)
	}
	if n := bdCount(t, db, `SELECT count(*) FROM batch_delete_tasks`); n != 1 {
		t.Fatalf("tasks stored = %d", n)
	}
	_, err := svc.Describe(ctx, invA, "00000000-0000-0000-0000-000000000000")
	wantDiscoveryCode(t, err, discovery.InvalidParameterValue)
	id, _ := svc.Start(ctx, invA, "SERVER", []string{srv1})
	_, err = svc.Describe(ctx, invB, id)
	wantDiscoveryCode(t, err, discovery.InvalidParameterValue)
}
