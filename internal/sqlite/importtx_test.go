package sqlite

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// importTxRun runs fn in an import transaction of account and fails the
// test on an error.
func importTxRun(t *testing.T, db *DB, account string, fn func(ctx context.Context, tx discovery.ImportTx) error) {
	t.Helper()
	ctx := context.Background()
	if err := db.ImportTx(ctx, account, func(tx discovery.ImportTx) error { return fn(ctx, tx) }); err != nil {
		t.Fatal(err)
	}
}

// TestImportTxReadsAndWrites checks each typed step of the import
// transaction against the tables, and that every step stays in its account.
func TestImportTxReadsAndWrites(t *testing.T) {
	db, _ := openTest(t)
	const task = "import-task-0123456789abcdef0123456789abcdef"
	invExec(t, db, `INSERT INTO import_tasks (account_id, task_id, name, url, status, request_ms) VALUES ('1', ?, 'n', 'u', ?, 1), ('2', ?, 'n', 'u', ?, 1)`,
		task, discovery.ImportInProgress, task, discovery.ImportComplete)
	srvA, srvZ := discovery.ServerPrefix+"a", discovery.ServerPrefix+"z"
	importTxRun(t, db, "1", func(ctx context.Context, tx discovery.ImportTx) error {
		st, err := tx.ImportTaskState(ctx, task)
		if err != nil || st != (discovery.ImportTaskState{Status: discovery.ImportInProgress}) {
			t.Errorf("task state %+v %v", st, err)
		}
		if _, err := tx.ImportTaskState(ctx, "import-task-x"); !errors.Is(err, discovery.ErrNotFound) {
			t.Errorf("unknown task: %v", err)
		}
		// Two servers hold every key; the lower ID is found.
		for _, id := range []string{srvZ, srvA} {
			if err := tx.InsertImportedServer(ctx, &discovery.ImportedServer{ID: id, ExternalID: "x", HostName: "h", OSName: "os", MoRefID: "vm-1", VCenterID: "vc-1",
				CPUs: 1, Cores: 2, Logical: 3, RAMMB: 4.5, VMName: "vm", CreatedMS: 7,
				NICs: []discovery.NIC{{Name: "eth0", IPAddress: "10.0.0.1", MACAddress: "06-A7-7D-3F-54-57"}, {Name: "eth1", IPAddress: "10.0.0.2"}}}); err != nil {
				return err
			}
		}
		for _, k := range []discovery.ServerKey{
			{Kind: discovery.ByServerID, ID: srvZ},
			{Kind: discovery.ByExternalID, ExternalID: "x"},
			{Kind: discovery.ByIPAndMAC, IP: "10.0.0.1", MAC: "06:a7:7d:3f:54:57"},
			{Kind: discovery.ByHostName, HostName: "h"},
			{Kind: discovery.ByVMware, MoRefID: "vm-1", VCenterID: "vc-1"},
		} {
			want := srvA
			if k.Kind == discovery.ByServerID {
				want = srvZ
			}
			if got, err := tx.ServerWithKey(ctx, k); got != want || err != nil {
				t.Errorf("%+v: %q %v", k, got, err)
			}
			k.ID, k.ExternalID, k.IP, k.HostName, k.VCenterID = "d-server-b", "y", "10.0.0.2", "g", "vc-2"
			if got, err := tx.ServerWithKey(ctx, k); got != "" || err != nil {
				t.Errorf("%+v: %q %v", k, got, err)
			}
		}
		if _, err := tx.ServerWithKey(ctx, discovery.ServerKey{}); err == nil {
			t.Error("a key of no kind")
		}
		if n, err := tx.CountImportedServers(ctx); n != 2 || err != nil {
			t.Errorf("imported servers %d %v", n, err)
		}
		v := "os2"
		if err := tx.PatchServer(ctx, srvA, &discovery.ServerPatch{OSVersion: &v, UpdatedMS: 8}); err != nil {
			return err
		}
		for _, r := range []discovery.ImportRecord{{TaskID: task, ServerID: srvA, Created: true}, {TaskID: task, ServerID: srvA}, {TaskID: "other", ServerID: srvZ}, {TaskID: task, ServerID: srvZ}} {
			if err := tx.RecordImport(ctx, r); err != nil {
				return err
			}
		}
		if err := tx.InsertApplication(ctx, &discovery.Application{ID: "d-application-b", Name: "app", Wave: "w", Created: time.UnixMilli(5), Updated: time.UnixMilli(6)}); err != nil {
			return err
		}
		if err := tx.InsertApplication(ctx, &discovery.Application{ID: "d-application-a", Name: "app", Created: time.UnixMilli(5), Updated: time.UnixMilli(6)}); err != nil {
			return err
		}
		if id, err := tx.ApplicationNamed(ctx, "app"); id != "d-application-a" || err != nil {
			t.Errorf("application %q %v", id, err)
		}
		if id, err := tx.ApplicationNamed(ctx, "none"); id != "" || err != nil {
			t.Errorf("no application %q %v", id, err)
		}
		if err := tx.SetApplicationWave(ctx, "d-application-a", "w2", 9); err != nil {
			return err
		}
		for range 2 {
			if err := tx.AddApplicationServer(ctx, "d-application-a", srvA); err != nil {
				return err
			}
		}
		for i := range 2 {
			if err := tx.AddTag(ctx, srvA, discovery.Tag{Key: "k", Value: "v"}, int64(10+i)); err != nil {
				return err
			}
		}
		return nil
	})
	for q, want := range map[string][]string{
		`SELECT server_id || ' ' || source || ' ' || external_id || ' ' || host_name || ' ' || os_name || ' ' || os_version || ' ' || num_cpus || num_cores || num_logical || ' ' ||
			total_ram_mb || ' ' || vm_moref_id || ' ' || vm_name || ' ' || vcenter_id || ' ' || created_ms || ' ' || updated_ms FROM servers ORDER BY 1`: {
			srvA + " Import x h os os2 123 4.5 vm-1 vm vc-1 7 8", srvZ + " Import x h os  123 4.5 vm-1 vm vc-1 7 7"},
		`SELECT name || ' ' || ip_address || ' ' || mac_address || ' ' || family FROM network_interfaces WHERE server_id = '` + srvA + `' ORDER BY 1`: {
			"eth0 10.0.0.1 06-A7-7D-3F-54-57 IPv4", "eth1 10.0.0.2  IPv4"},
		`SELECT task_id || ' ' || server_id || ' ' || created FROM import_records ORDER BY 1`: {
			task + " " + srvA + " 1", task + " " + srvZ + " 0", "other " + srvZ + " 0"},
		`SELECT application_id || ' ' || name || ' ' || wave || ' ' || created_ms || ' ' || updated_ms FROM applications ORDER BY 1`: {
			"d-application-a app w2 5 9", "d-application-b app w 5 6"},
		`SELECT application_id || ' ' || server_id FROM application_servers`:                   {"d-application-a " + srvA},
		`SELECT configuration_id || ' ' || key || ':' || value || ' ' || created_ms FROM tags`: {srvA + " k:v 10"},
	} {
		if got := bdStrings(t, db, q); !reflect.DeepEqual(got, want) {
			t.Errorf("%s\n = %q\nwant %q", q, got, want)
		}
	}

	// Account 2 sees none of it; its task is not in progress.
	importTxRun(t, db, "2", func(ctx context.Context, tx discovery.ImportTx) error {
		if st, err := tx.ImportTaskState(ctx, task); st.Status != discovery.ImportComplete || err != nil {
			t.Errorf("account 2's task %+v %v", st, err)
		}
		for _, k := range []discovery.ServerKey{{Kind: discovery.ByServerID, ID: srvA}, {Kind: discovery.ByHostName, HostName: "h"}} {
			if got, err := tx.ServerWithKey(ctx, k); got != "" || err != nil {
				t.Errorf("account 2 %+v: %q %v", k, got, err)
			}
		}
		if n, err := tx.CountImportedServers(ctx); n != 0 || err != nil {
			t.Errorf("account 2's imported servers %d %v", n, err)
		}
		if recs, err := tx.ImportRecords(ctx, task); len(recs) != 0 || err != nil {
			t.Errorf("account 2's records %+v %v", recs, err)
		}
		return tx.Delete(ctx, &discovery.Deletion{Servers: []string{srvA}, TagsOf: []string{srvA}})
	})
	if n := bdCount(t, db, `SELECT count(*) FROM servers`); n != 2 {
		t.Fatalf("account 2 deleted account 1's server: %d left", n)
	}

	// Records as they stand: srvZ is gone, srvA is an agent's now.
	invExec(t, db, `DELETE FROM servers WHERE server_id = ?`, srvZ)
	invExec(t, db, `UPDATE servers SET agent_id = 'o-agent1' WHERE server_id = ?`, srvA)
	importTxRun(t, db, "1", func(ctx context.Context, tx discovery.ImportTx) error {
		recs, err := tx.ImportRecords(ctx, task)
		want := []discovery.ImportRecordState{
			{ImportRecord: discovery.ImportRecord{TaskID: task, ServerID: srvA, Created: true}, ServerExists: true, AgentID: "o-agent1"},
			{ImportRecord: discovery.ImportRecord{TaskID: task, ServerID: srvZ}, OtherTasks: true},
		}
		if err != nil || !reflect.DeepEqual(recs, want) {
			t.Errorf("records %+v %v", recs, err)
		}
		if err := tx.DeleteImportRecords(ctx, task); err != nil {
			return err
		}
		return tx.EndImportTask(ctx, task, discovery.ImportDeleteComplete, 12, true)
	})
	if got := bdStrings(t, db, `SELECT account_id || ' ' || task_id || ' ' || status || ' ' || deleted_ms || ' ' || hidden FROM import_tasks ORDER BY 1`); !reflect.DeepEqual(got, []string{
		"1 " + task + " DELETE_COMPLETE 12 1", "2 " + task + " IMPORT_COMPLETE 0 0"}) {
		t.Errorf("tasks %q", got)
	}
	if got := bdStrings(t, db, `SELECT task_id FROM import_records`); !reflect.DeepEqual(got, []string{"other"}) {
		t.Errorf("records left %q", got)
	}
}

// TestImportTxRollsBack: an error from the function undoes its writes.
func TestImportTxRollsBack(t *testing.T) {
	db, _ := openTest(t)
	boom := errors.New("boom")
	err := db.ImportTx(context.Background(), "1", func(tx discovery.ImportTx) error {
		if err := tx.InsertImportedServer(context.Background(), &discovery.ImportedServer{ID: "d-server-a"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err %v", err)
	}
	if n := bdCount(t, db, `SELECT count(*) FROM servers`); n != 0 {
		t.Fatalf("%d servers after a rollback", n)
	}
}
