package batchdelete_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/batchdelete"
	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/postgres/pgtest"
	"github.com/poseidon-ads/poseidon/internal/queue"
	"github.com/poseidon-ads/poseidon/internal/sqlite/sqlitetest"
)

// testStore is a real store with a plain connection to its database for
// fixtures and for reading what a test wrote. Its SQL is the subset both
// stores read alike, with ? placeholders.
type testStore interface {
	batchdelete.Store
	queue.Store
	Exec(t testing.TB, q string, args ...any)
	Count(t testing.TB, q string, args ...any) int
	Strings(t testing.TB, q string, args ...any) []string
}

// eachStore runs test on the fixture in a subtest per store: SQLite, and
// PostgreSQL (skipped when its test server is unreachable, unless CI=true).
func eachStore(t *testing.T, test func(t *testing.T, s testStore)) {
	t.Run("sqlite", func(t *testing.T) { test(t, fixture(t, sqlitetest.Open(t))) })
	t.Run("postgres", func(t *testing.T) { test(t, fixture(t, pgtest.Open(t))) })
}

const (
	acctA = "111111111111"
	acctB = "222222222222"

	srv1 = "d-server-00000000000000001"
	srv2 = "d-server-00000000000000002"
	srv3 = "d-server-00000000000000003"
	srv4 = "d-server-00000000000000004"
	srvB = "d-server-0000000000000000b"

	procNginx = "d-process-0000000000000001"
	procSSHD  = "d-process-0000000000000002"
	procPG    = "d-process-0000000000000003"
	procB     = "d-process-000000000000000b"

	app1 = "d-application-0000000000001"
	app2 = "d-application-0000000000002"
	app3 = "d-application-0000000000003"

	conn1 = "0000000000000c001" // as intake stores them: no prefix
	conn2 = "0000000000000c002"
	conn3 = "0000000000000c003"
	conn4 = "0000000000000c004"
	conn5 = "0000000000000c005"
	conn6 = "0000000000000c006"
	conn7 = "0000000000000c007"
	conn8 = "0000000000000c008"
)

var t0 = time.Date(2016, 10, 28, 23, 44, 0, 0, time.UTC)

func at(d time.Duration) int64 { return t0.Add(d).UnixMilli() }

// fixture fills s with account A's four servers (srv3 imported, the
// others agents'), their interfaces, processes, connections, applications,
// tags and seven agents, and account B's look-alikes that A's deletions
// must not touch.
func fixture(t *testing.T, s testStore) testStore {
	t.Helper()
	for _, r := range [][]any{
		{acctA, srv1, "o-agent0000000001", "Agent", "web-1.example.com"},
		{acctA, srv2, "o-agent0000000002", "Agent", "db-1.example.com"},
		{acctA, srv3, "", "Import", "cache-1.example.com"},
		{acctA, srv4, "o-agent0000000003", "Agent", "web-2.example.com"},
		{acctB, srvB, "o-agentB00000001", "Agent", "web-1.example.com"},
	} {
		s.Exec(t, `INSERT INTO servers (account_id, server_id, agent_id, source, host_name, created_ms, updated_ms) VALUES (?, ?, ?, ?, ?, 0, 0)`, r...)
	}
	for _, n := range [][]any{
		{acctA, srv1, "eth0", "10.0.0.1"}, {acctA, srv1, "eth0", "fe80::4a7:7dff:fe3f:5457"}, {acctA, srv1, "lo", "127.0.0.1"},
		{acctA, srv2, "Ethernet0", "10.0.0.2"}, {acctA, srv4, "eth0", "10.0.0.4"}, {acctB, srvB, "eth0", "10.0.0.1"},
	} {
		s.Exec(t, `INSERT INTO network_interfaces (account_id, server_id, name, ip_address) VALUES (?, ?, ?, ?)`, n...)
	}
	for _, p := range [][]any{
		{acctA, procNginx, srv1, "nginx"}, {acctA, procSSHD, srv1, "sshd"}, {acctA, procPG, srv2, "postgres"}, {acctB, procB, srvB, "nginx"},
	} {
		s.Exec(t, `INSERT INTO processes (account_id, process_id, server_id, name, created_ms, last_seen_ms) VALUES (?, ?, ?, ?, 0, 0)`, p...)
	}
	for _, c := range [][]any{
		// id, source server, destination server, source process, destination process
		{acctA, conn1, srv1, srv2, procNginx, procPG},
		{acctA, conn2, srv1, srv2, procSSHD, procPG},
		{acctA, conn3, srv1, srv2, "", ""},
		{acctA, conn4, srv4, srv1, "", procNginx},
		{acctA, conn5, srv1, "", "", ""},
		{acctA, conn6, srv1, srv1, "", ""},
		{acctA, conn7, srv3, srv1, "", ""},
		{acctA, conn8, "", srv4, procSSHD, ""}, // srv1's only by its process
		{acctB, conn1, srvB, srv2, "", ""},
	} {
		s.Exec(t, `INSERT INTO connections (account_id, connection_id, source_server_id, destination_server_id, source_process_id, destination_process_id,
			source_ip, destination_ip, destination_port, first_ms, latest_ms) VALUES (?, ?, ?, ?, ?, ?, '10.0.0.1', '10.0.0.2', 80, 0, 0)`, c...)
	}
	for _, a := range [][]any{
		{acctA, app1, "Payments", at(25 * time.Hour)}, {acctA, app2, "Web Store", at(26 * time.Hour)}, {acctA, app3, "Empty", at(28 * time.Hour)},
		{acctB, app1, "Payments B", at(24 * time.Hour)},
	} {
		s.Exec(t, `INSERT INTO applications (account_id, application_id, name, created_ms, updated_ms) VALUES (?, ?, ?, 0, ?)`, a...)
	}
	for _, m := range [][]any{{acctA, app1, srv1}, {acctA, app1, srv2}, {acctA, app2, srv1}, {acctB, app1, srvB}, {acctB, app1, srv3}} {
		s.Exec(t, `INSERT INTO application_servers (account_id, application_id, server_id) VALUES (?, ?, ?)`, m...)
	}
	for _, g := range [][]any{{acctA, srv1, "env"}, {acctA, srv1, "tier"}, {acctA, srv2, "env"}, {acctB, srv3, "env"}} {
		s.Exec(t, `INSERT INTO tags (account_id, configuration_id, key, value, created_ms) VALUES (?, ?, ?, 'v', 0)`, g...)
	}
	for _, a := range [][]any{
		{acctA, "o-agent0000000001", "STARTED"}, {acctA, "o-agent0000000002", "STOPPED"}, {acctA, "o-agent0000000003", "STOPPED"},
		{acctA, "c-connector1", "STARTED"}, {acctA, "o-agent0000000004", "STARTED"}, {acctA, "o-agent0000000005", "STOPPED"},
		{acctA, "o-agent0000000006", "STARTED"}, {acctB, "o-agentB00000001", "STARTED"},
	} {
		s.Exec(t, `INSERT INTO agents (account_id, agent_id, collection_status, registered_ms, last_health_ping_ms) VALUES (?, ?, ?, 0, 0)`, a...)
	}
	return s
}

// runTask starts a task through the service, runs the pending tasks and
// returns the task as Describe shows it.
func runTask(t *testing.T, s testStore, now time.Time, ids ...string) *discovery.BatchDeleteTask {
	t.Helper()
	ctx := context.Background()
	svc := batchdelete.New(s, func() time.Time { return now }, nil)
	id, err := svc.Start(ctx, acctA, string(discovery.TypeServer), ids)
	if err != nil {
		t.Fatal(err)
	}
	if task, err := svc.Describe(ctx, acctA, id); err != nil || task.Status != discovery.BatchDeleteInitializing || !task.End.IsZero() {
		t.Fatalf("before run: %+v, %v", task, err)
	}
	later := func() time.Time { return now.Add(time.Second) }
	r := &queue.Runner{Store: s, Now: later, Kinds: map[discovery.JobKind]queue.Kind{
		discovery.JobBatchDelete: {Handler: &batchdelete.Runner{Store: s, Now: later}},
	}}
	if ran, err := r.Step(ctx); err != nil || !ran {
		t.Fatalf("Step = %v, %v", ran, err)
	}
	if ran, err := r.Step(ctx); err != nil || ran {
		t.Fatalf("second Step = %v, %v", ran, err)
	}
	task, err := svc.Describe(ctx, acctA, id)
	if err != nil {
		t.Fatal(err)
	}
	if task.Status != discovery.BatchDeleteCompleted || !task.Start.Equal(now) || !task.End.Equal(now.Add(time.Second)) {
		t.Fatalf("after run: %+v", task)
	}
	return task
}

func TestBatchDeleteServers(t *testing.T) {
	eachStore(t, func(t *testing.T, s testStore) {
		now := t0.Add(100 * time.Hour)
		for _, agent := range []string{"o-agent0000000001", "o-agent0000000002"} {
			s.Exec(t, `INSERT INTO perf_samples VALUES (?,?,?, 0,0,0,0,0,0, 1,1,1,1,1, 0, 1,1, 1,1)`, acctA, agent, at(0))
			s.Exec(t, `INSERT INTO system_observations (account_id, agent_id, ts_ms) VALUES (?,?,?)`, acctA, agent, at(0))
		}
		s.Exec(t, `INSERT INTO tags (account_id, configuration_id, key, value, created_ms) VALUES (?, ?, 'k', 'v', 0), (?, ?, 'k', 'v', 0)`,
			acctA, procNginx, acctA, discovery.ConnectionPrefix+conn1)

		// An imported server: only its connection goes.
		task := runTask(t, s, now, srv3)
		if !reflect.DeepEqual(task.Deleted, []string{srv3}) || len(task.Failures) != 0 || len(task.Warnings) != 0 {
			t.Fatalf("srv3 task: %+v", task)
		}
		if got := s.Strings(t, `SELECT connection_id FROM connections WHERE account_id = ? ORDER BY 1`, acctA); !reflect.DeepEqual(got, []string{conn1, conn2, conn3, conn4, conn5, conn6, conn8}) {
			t.Fatalf("connections after srv3: %v", got)
		}
		// Account B's srv3 membership and tag are B's.
		if s.Count(t, `SELECT count(*) FROM application_servers WHERE account_id = ? AND server_id = ?`, acctB, srv3) != 1 ||
			s.Count(t, `SELECT count(*) FROM tags WHERE account_id = ? AND configuration_id = ?`, acctB, srv3) != 1 {
			t.Fatal("deleting A's srv3 touched account B")
		}

		// srv1's agent still collects: deleted with a warning. A process ID, an
		// unknown server, B's server and a duplicate fail or collapse.
		task = runTask(t, s, now, srv1, procNginx, "d-server-0000000000000dead", srvB, srv1)
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
			if got := s.Strings(t, q, acctA); !reflect.DeepEqual(got, want) {
				t.Errorf("%s = %v, want %v", q, got, want)
			}
		}
		// The applications that lost a server changed then; the others did not.
		end := now.Add(time.Second).UnixMilli()
		if s.Count(t, `SELECT count(*) FROM applications WHERE account_id = ? AND updated_ms = ?`, acctA, end) != 2 ||
			s.Count(t, `SELECT updated_ms FROM applications WHERE account_id = ? AND application_id = ?`, acctA, app3) != int(at(28*time.Hour)) {
			t.Fatal("application updated times")
		}
		// Agents stay; account B is untouched.
		if n := s.Count(t, `SELECT count(*) FROM agents WHERE account_id = ?`, acctA); n != 7 {
			t.Fatalf("agents = %d", n)
		}
		if s.Count(t, `SELECT count(*) FROM servers WHERE account_id = ?`, acctB) != 1 || s.Count(t, `SELECT count(*) FROM connections WHERE account_id = ?`, acctB) != 1 {
			t.Fatal("account B changed")
		}
	})
}

// wantCode fails the test unless err is a *discovery.Error of code.
func wantCode(t *testing.T, err error, code discovery.ErrorCode) {
	t.Helper()
	var de *discovery.Error
	if !errors.As(err, &de) || de.Code != code {
		t.Fatalf("err = %v, want %s", err, code)
	}
}

func TestBatchDeleteStartErrors(t *testing.T) {
	eachStore(t, func(t *testing.T, s testStore) {
		ctx := context.Background()
		svc := batchdelete.New(s, func() time.Time { return t0 }, nil)
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
			_, err := svc.Start(ctx, acctA, c.typ, c.ids)
			wantCode(t, err, c.code)
		}
		if _, err := svc.Start(ctx, acctA, "SERVER", many[:batchdelete.MaxIDs]); err != nil {
			t.Fatalf("200 IDs: %v", err)
		}
		if n := s.Count(t, `SELECT count(*) FROM batch_delete_tasks`); n != 1 {
			t.Fatalf("tasks stored = %d", n)
		}
		_, err := svc.Describe(ctx, acctA, "00000000-0000-0000-0000-000000000000")
		wantCode(t, err, discovery.InvalidParameterValue)
		id, _ := svc.Start(ctx, acctA, "SERVER", []string{srv1})
		_, err = svc.Describe(ctx, acctB, id)
		wantCode(t, err, discovery.InvalidParameterValue)
	})
}
