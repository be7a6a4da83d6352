package imports_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/imports"
	"github.com/poseidon-ads/poseidon/internal/postgres/pgtest"
	"github.com/poseidon-ads/poseidon/internal/sqlite/sqlitetest"
)

// testStore is a real store with a plain connection to its database for
// fixtures and for reading what a test wrote. Its SQL is the subset both
// stores read alike, with ? placeholders.
type testStore interface {
	imports.Store
	Exec(t testing.TB, q string, args ...any)
	Strings(t testing.TB, q string, args ...any) []string
}

// matchStore is a real store with the steps of the runner and of
// BatchDeleteImportData.
type matchStore struct{ testStore }

// eachStore runs test in a subtest per store: SQLite, and PostgreSQL
// (skipped when its test server is unreachable, unless CI=true).
func eachStore(t *testing.T, test func(t *testing.T, s *matchStore)) {
	t.Run("sqlite", func(t *testing.T) { test(t, &matchStore{sqlitetest.Open(t)}) })
	t.Run("postgres", func(t *testing.T) { test(t, &matchStore{pgtest.Open(t)}) })
}

// task starts an in-progress import task of account.
func (s *matchStore) task(t *testing.T, account, id string) {
	t.Helper()
	task := &discovery.ImportTask{AccountID: account, ID: id, Name: "n-" + id, URL: "s3://b/k", Status: discovery.ImportInProgress, RequestMS: 1}
	if _, created, err := s.CreateImportTask(context.Background(), task); err != nil || !created {
		t.Fatalf("create task: %v %v", created, err)
	}
}

// row imports one row in a transaction of its own, as the runner does.
func (s *matchStore) row(account, taskID string, r *discovery.ImportRow, nowMS int64) (*imports.RowResult, error) {
	var res *imports.RowResult
	err := s.ImportTx(context.Background(), account, func(tx discovery.ImportTx) (err error) {
		res, err = imports.ImportRow(context.Background(), tx, taskID, r, time.UnixMilli(nowMS))
		return err
	})
	return res, err
}

func (s *matchStore) mustRow(t *testing.T, account, taskID string, r *discovery.ImportRow, nowMS int64) *imports.RowResult {
	t.Helper()
	res, err := s.row(account, taskID, r, nowMS)
	if err != nil {
		t.Fatalf("row %+v: %v", r, err)
	}
	return res
}

func (s *matchStore) deleteData(account, taskID string, history bool, nowMS int64) error {
	return s.ImportTx(context.Background(), account, func(tx discovery.ImportTx) error {
		return imports.DeleteData(context.Background(), tx, taskID, history, time.UnixMilli(nowMS))
	})
}

// TestImportRowMatchAndDelete: a row is matched by IP+MAC and by host
// name when it has no ExternalId, never across accounts, and deleting the
// task removes the servers it created.
func TestImportRowMatchAndDelete(t *testing.T) {
	eachStore(t, func(t *testing.T, s *matchStore) {
		taskA := imports.NewID()
		s.task(t, "1", taskA)
		s.task(t, "2", taskA)
		row := &discovery.ImportRow{ExternalID: "x", HostName: "h", IPs: []string{"10.0.0.1"}, MACs: []string{"02:00:00:00:00:01"}, Applications: []string{"app"}, Tags: [][2]string{{"k", "v"}}}
		r1 := s.mustRow(t, "1", taskA, row, 2)
		if r1.AppsCreated != 1 || r1.AppsAssoc != 1 || r1.LimitReached {
			t.Fatalf("row: %+v", r1)
		}
		// Matched by IP+MAC, HostName and VMware IDs when no ExternalId.
		for _, m := range []*discovery.ImportRow{{IPs: []string{"10.0.0.1"}, MACs: []string{"02:00:00:00:00:01"}}, {HostName: "h"}} {
			if r := s.mustRow(t, "1", taskA, m, 3); r.ServerID != r1.ServerID {
				t.Fatalf("match %+v: %+v", m, r)
			}
		}
		// Other accounts never match.
		if r := s.mustRow(t, "2", taskA, row, 3); r.ServerID == r1.ServerID || r.AppsCreated != 1 {
			t.Fatalf("account 2: %+v, account 1's server %s", r, r1.ServerID)
		}
		if err := s.deleteData("1", taskA, true, 4); err != nil {
			t.Fatal(err)
		}
		if got := s.Strings(t, `SELECT server_id FROM servers WHERE account_id = '1'`); len(got) != 0 {
			t.Fatalf("servers left %v", got)
		}
		if err := s.deleteData("1", taskA, true, 4); !errors.Is(err, discovery.ErrNotFound) {
			t.Fatalf("second delete: %v", err)
		}
		if got := s.Strings(t, `SELECT server_id FROM servers WHERE account_id = '2'`); len(got) != 1 {
			t.Fatalf("account 2's servers %v", got)
		}
	})
}

// TestImportRowKeys: the matching keys in their order. ServerId comes first
// and falls through when unknown; an ExternalId decides alone; the host
// name comes before the VMware identity, which needs both its IDs.
func TestImportRowKeys(t *testing.T) {
	eachStore(t, func(t *testing.T, s *matchStore) {
		task := imports.NewID()
		s.task(t, "1", task)
		web := s.mustRow(t, "1", task, &discovery.ImportRow{ExternalID: "web", HostName: "web-1", IPs: []string{"10.0.0.1", "10.0.0.2"}, MACs: []string{"06:a7:7d:3f:54:57"}}, 1).ServerID
		vm := s.mustRow(t, "1", task, &discovery.ImportRow{ExternalID: "vm", MoRefID: "vm-1", VCenterID: "vc-1"}, 1).ServerID
		if web == vm {
			t.Fatal("two ExternalIds, one server")
		}
		// An agent's server whose MAC is stored upper-case with dashes.
		agent := discovery.ServerPrefix + "0000000000000000a"
		s.Exec(t, `INSERT INTO servers (account_id, server_id, agent_id, host_name, created_ms, updated_ms) VALUES ('1', ?, 'o-agent1', 'db-1', 0, 0)`, agent)
		s.Exec(t, `INSERT INTO network_interfaces (account_id, server_id, name, ip_address, mac_address) VALUES ('1', ?, 'eth0', '10.0.0.9', '00-50-56-AA-BB-CC')`, agent)

		for _, c := range []struct {
			name string
			row  discovery.ImportRow
			want string // "" for a new server
		}{
			{"ServerId", discovery.ImportRow{ServerID: vm, IPs: []string{"10.0.0.1"}, MACs: []string{"06:a7:7d:3f:54:57"}}, vm},
			{"unknown ServerId falls through", discovery.ImportRow{ServerID: discovery.ServerPrefix + "00000000000000dead", HostName: "web-1"}, web},
			{"IP with MAC", discovery.ImportRow{IPs: []string{"10.0.0.9"}, MACs: []string{"00:50:56:aa:bb:cc"}}, agent},
			{"second IP, MAC of the first", discovery.ImportRow{IPs: []string{"192.0.2.1", "10.0.0.1"}, MACs: []string{"06:a7:7d:3f:54:57"}}, web},
			{"IP without MAC", discovery.ImportRow{IPs: []string{"10.0.0.9"}}, ""},
			{"host name before VMware", discovery.ImportRow{HostName: "db-1", MoRefID: "vm-1", VCenterID: "vc-1"}, agent},
			{"VMware", discovery.ImportRow{HostName: "nobody", MoRefID: "vm-1", VCenterID: "vc-1"}, vm},
			{"VMware needs the vCenter too", discovery.ImportRow{MoRefID: "vm-1", VCenterID: "vc-2"}, ""},
			// The last two change what later rows would match on.
			{"ExternalId decides", discovery.ImportRow{ExternalID: "web", HostName: "db-1"}, web},
			{"unknown ExternalId decides", discovery.ImportRow{ExternalID: "new-1", HostName: "db-1", IPs: []string{"10.0.0.9"}, MACs: []string{"00:50:56:aa:bb:cc"},
				MoRefID: "vm-1", VCenterID: "vc-1"}, ""},
		} {
			r := s.mustRow(t, "1", task, &c.row, 2)
			if c.want == "" && (r.ServerID == web || r.ServerID == vm || r.ServerID == agent) || c.want != "" && r.ServerID != c.want {
				t.Errorf("%s: matched %s, want %q", c.name, r.ServerID, c.want)
			}
		}
	})
}

// TestImportRowMerge: a matched server takes the row's non-empty identity
// and OS attributes and its modification time; an empty one leaves the
// server's. A new server gets the row's interfaces, eth0, eth1, … with the
// MAC address in the same position. Applications are found by name, a
// wave given replaces theirs, and tags are added once.
func TestImportRowMerge(t *testing.T) {
	eachStore(t, func(t *testing.T, s *matchStore) {
		task := imports.NewID()
		s.task(t, "1", task)
		id := s.mustRow(t, "1", task, &discovery.ImportRow{ExternalID: "x", HostName: "h", OSName: "Linux", OSVersion: "6.1", CPUs: 2, Cores: 4, Logical: 8, RAMMB: 1024.5,
			VMName: "web", IPs: []string{"10.0.0.1", "10.0.0.2"}, MACs: []string{"02:00:00:00:00:01"}, Applications: []string{"app"}, Wave: "w1", Tags: [][2]string{{"k", "v"}}}, 10).ServerID
		if got := s.Strings(t, `SELECT name || ' ' || ip_address || ' ' || mac_address FROM network_interfaces WHERE account_id = '1' ORDER BY name`); !reflect.DeepEqual(got,
			[]string{"eth0 10.0.0.1 02:00:00:00:00:01", "eth1 10.0.0.2 "}) {
			t.Fatalf("interfaces %q", got)
		}
		r := s.mustRow(t, "1", task, &discovery.ImportRow{HostName: "h", OSVersion: "6.2", CPUs: 99, Applications: []string{"app", "other"}, Tags: [][2]string{{"k", "v"}, {"k", "w"}}}, 20)
		if r.ServerID != id || r.AppsCreated != 1 || r.AppsAssoc != 2 {
			t.Fatalf("merge: %+v", r)
		}
		want := []string{fmt.Sprintf("%s Import x h Linux 6.2 2 4 8 1024.5 web 10 20", id)}
		if got := s.Strings(t, `SELECT server_id || ' ' || source || ' ' || external_id || ' ' || host_name || ' ' || os_name || ' ' || os_version || ' ' ||
			num_cpus || ' ' || num_cores || ' ' || num_logical || ' ' || total_ram_mb || ' ' || vm_name || ' ' || created_ms || ' ' || updated_ms FROM servers`); !reflect.DeepEqual(got, want) {
			t.Fatalf("server %q, want %q", got, want)
		}
		// The wave stays when the row gives none.
		if got := s.Strings(t, `SELECT a.name || ' ' || a.wave || ' ' || a.updated_ms FROM applications a JOIN application_servers m USING (account_id, application_id)
			WHERE m.server_id = ? ORDER BY a.name`, id); !reflect.DeepEqual(got, []string{"app w1 10", "other  20"}) {
			t.Fatalf("applications %q", got)
		}
		s.mustRow(t, "1", task, &discovery.ImportRow{HostName: "h", Applications: []string{"app"}, Wave: "w2"}, 30)
		if got := s.Strings(t, `SELECT wave || ' ' || updated_ms FROM applications WHERE name = 'app'`); !reflect.DeepEqual(got, []string{"w2 30"}) {
			t.Fatalf("wave %q", got)
		}
		if got := s.Strings(t, `SELECT key || ':' || value || ' ' || created_ms FROM tags WHERE configuration_id = ? ORDER BY 1`, id); !reflect.DeepEqual(got, []string{"k:v 10", "k:w 20"}) {
			t.Fatalf("tags %q", got)
		}
		// One record per server and task: the first says the task created it.
		if got := s.Strings(t, `SELECT server_id || ' ' || CASE WHEN created THEN 1 ELSE 0 END FROM import_records WHERE task_id = ?`, task); !reflect.DeepEqual(got, []string{id + " 1"}) {
			t.Fatalf("records %q", got)
		}
	})
}

// TestImportRowLimitAndGoneTask: a row that would create a server past
// MaxImportServers imported servers is refused (one that matches is not),
// and a task no longer in progress takes no row.
func TestImportRowLimitAndGoneTask(t *testing.T) {
	eachStore(t, func(t *testing.T, s *matchStore) {
		task := imports.NewID()
		s.task(t, "1", task)
		// IDs d-server-%017d of i, in SQL both stores read.
		s.Exec(t, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
			INSERT INTO servers (account_id, server_id, source, host_name, created_ms, updated_ms)
			SELECT '1', 'd-server-' || substr(CAST(100000000000000000 + i AS TEXT), 2), 'Import', 'h' || i, 0, 0 FROM n`,
			discovery.MaxImportServers)
		if r := s.mustRow(t, "1", task, &discovery.ImportRow{HostName: "new"}, 1); !r.LimitReached || r.ServerID != "" {
			t.Fatalf("past the limit: %+v", r)
		}
		if r := s.mustRow(t, "1", task, &discovery.ImportRow{HostName: "h7"}, 1); r.LimitReached || r.ServerID != fmt.Sprintf("d-server-%017d", 7) {
			t.Fatalf("matching at the limit: %+v", r)
		}
		// Agent servers do not count.
		s.Exec(t, `UPDATE servers SET source = 'Agent' WHERE server_id = ?`, fmt.Sprintf("d-server-%017d", 1))
		if r := s.mustRow(t, "1", task, &discovery.ImportRow{HostName: "new"}, 1); r.LimitReached || r.ServerID == "" {
			t.Fatalf("below the limit: %+v", r)
		}

		s.Exec(t, `UPDATE import_tasks SET status = ? WHERE task_id = ?`, discovery.ImportComplete, task)
		if _, err := s.row("1", task, &discovery.ImportRow{HostName: "other"}, 2); !errors.Is(err, discovery.ErrImportTaskGone) {
			t.Fatalf("finished task: %v", err)
		}
		if _, err := s.row("1", imports.NewID(), &discovery.ImportRow{HostName: "other"}, 2); !errors.Is(err, discovery.ErrImportTaskGone) {
			t.Fatalf("unknown task: %v", err)
		}
		if got := s.Strings(t, `SELECT server_id FROM servers WHERE host_name = 'other'`); len(got) != 0 {
			t.Fatalf("a gone task wrote %v", got)
		}
	})
}

// TestDeleteImportData: deleting a task's data removes the servers it
// created with their interfaces, memberships and tags, but not a server it
// only matched, one an agent reports now, or one another task recorded
// too; the task ends DELETE_COMPLETE, hidden only with its history.
func TestDeleteImportData(t *testing.T) {
	eachStore(t, func(t *testing.T, s *matchStore) {
		a, b := imports.NewID(), imports.NewID()
		s.task(t, "1", a)
		s.task(t, "1", b)
		row := func(task, host string) string {
			return s.mustRow(t, "1", task, &discovery.ImportRow{HostName: host, IPs: []string{"10.0.0.1"}, Applications: []string{"app"}, Tags: [][2]string{{"k", "v"}}}, 5).ServerID
		}
		matched := row(b, "matched")
		if row(a, "matched") != matched {
			t.Fatal("no match")
		}
		gone, agent, shared := row(a, "gone"), row(a, "agent"), row(a, "shared")
		row(b, "shared")
		s.Exec(t, `UPDATE servers SET agent_id = 'o-agent1' WHERE server_id = ?`, agent)

		if err := s.deleteData("1", a, false, 9); err != nil {
			t.Fatal(err)
		}
		for q, want := range map[string][]string{
			`SELECT server_id FROM servers ORDER BY 1`:                                                                                      sorted(matched, agent, shared),
			`SELECT DISTINCT server_id FROM network_interfaces ORDER BY 1`:                                                                  sorted(matched, agent, shared),
			`SELECT server_id FROM application_servers ORDER BY 1`:                                                                          sorted(matched, agent, shared),
			`SELECT configuration_id FROM tags ORDER BY 1`:                                                                                  sorted(matched, agent, shared),
			`SELECT task_id FROM import_records GROUP BY task_id`:                                                                           {b},
			`SELECT status || ' ' || deleted_ms || ' ' || CASE WHEN hidden THEN 1 ELSE 0 END FROM import_tasks WHERE task_id = '` + a + `'`: {"DELETE_COMPLETE 9 0"},
		} {
			if got := s.Strings(t, q); !reflect.DeepEqual(got, want) {
				t.Errorf("%s = %v, want %v (gone %s)", q, got, want, gone)
			}
		}
		// Without its history the task stays listed and can be deleted again.
		if err := s.deleteData("1", a, true, 10); err != nil {
			t.Fatal(err)
		}
		if err := s.deleteData("1", a, true, 11); !errors.Is(err, discovery.ErrNotFound) {
			t.Fatalf("hidden task: %v", err)
		}
		if err := s.deleteData("2", b, true, 11); !errors.Is(err, discovery.ErrNotFound) {
			t.Fatalf("another account's task: %v", err)
		}
	})
}

func sorted(ids ...string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}
