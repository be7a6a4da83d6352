package postgres

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
)

// taskNames returns the names of the tasks a query returns, failing the
// test on its error.
func taskNames(t *testing.T) func([]*discovery.ImportTask, error) []string {
	return func(tasks []*discovery.ImportTask, err error) []string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, task := range tasks {
			out = append(out, task.Name)
		}
		return out
	}
}

func newImportTask(account, token, name string, requestMS int64) *discovery.ImportTask {
	return &discovery.ImportTask{AccountID: account, ID: imports.NewID(), ClientToken: token, Name: name, URL: "s3://b/k",
		Status: discovery.ImportInProgress, RequestMS: requestMS}
}

// A client token names one task of its account: of six replicas starting
// a task with one token at once, one creates it and the others get it
// (without the account lock, a second insert would fail on the unique
// token index). Another account's token is its own; tasks without a token
// are all created.
func TestImportTaskTokenAcrossReplicas(t *testing.T) {
	dbs := replicas(t, testSchema(t), 6)
	ctx := t.Context()
	var (
		got     [6]*discovery.ImportTask
		created [6]bool
		errs    [6]error
	)
	atOnce(len(dbs), func(i int) {
		got[i], created[i], errs[i] = dbs[i].CreateImportTask(ctx, newImportTask("1", "tok", "n", 1))
	})
	n := 0
	for i := range dbs {
		if errs[i] != nil {
			t.Fatalf("replica %d: %v", i, errs[i])
		}
		if created[i] {
			n++
		}
		if got[i].ID != got[0].ID || got[i].ClientToken != "tok" || got[i].Status != discovery.ImportInProgress {
			t.Fatalf("replica %d got %+v, replica 0 %+v", i, got[i], got[0])
		}
	}
	if n != 1 {
		t.Fatalf("%d replicas created the task", n)
	}
	if byToken, err := dbs[1].ImportTaskByToken(ctx, "1", "tok"); err != nil || !reflect.DeepEqual(byToken, got[0]) {
		t.Fatalf("by token %+v %v, want %+v", byToken, err, got[0])
	}
	if _, err := dbs[1].ImportTaskByToken(ctx, "2", "tok"); !errors.Is(err, discovery.ErrNotFound) {
		t.Fatalf("account 2's token: %v", err)
	}
	for _, task := range []*discovery.ImportTask{newImportTask("2", "tok", "n", 1), newImportTask("1", "", "a", 1), newImportTask("1", "", "b", 1)} {
		if out, created, err := dbs[2].CreateImportTask(ctx, task); err != nil || !created || out.ID != task.ID {
			t.Fatalf("create %+v: %+v %v %v", task, out, created, err)
		}
	}
	if n := count(t, dbs[0], `SELECT count(*) FROM import_tasks`); n != 4 {
		t.Fatalf("%d tasks", n)
	}
}

// FindImportTasks: each list keeps the tasks whose attribute it holds
// (nil: no condition; empty: none), one array parameter however long;
// visible tasks of the account only, by task ID after the cursor.
func TestFindImportTasks(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	var ids []string
	for i, name := range []string{"n1", "n2", "n3", "hidden"} {
		task := newImportTask("1", name, name, int64(i))
		task.ID = fmt.Sprintf("import-task-%d", i)
		if _, _, err := db.CreateImportTask(ctx, task); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, task.ID)
	}
	if _, _, err := db.CreateImportTask(ctx, newImportTask("2", "", "n1", 0)); err != nil {
		t.Fatal(err)
	}
	exec(t, db, `UPDATE import_tasks SET hidden = true WHERE name = 'hidden'`)
	long := make([]string, 70000) // more than PostgreSQL's 65,535 parameters
	for i := range long {
		long[i] = fmt.Sprintf("made-up-%d", i)
	}
	long[len(long)/2] = "n2"
	for q, want := range map[*discovery.ImportTaskQuery][]string{
		{}:                                      {"n1", "n2", "n3"},
		{Names: []string{}}:                     nil,
		{Names: long}:                           {"n2"},
		{IDs: ids}:                              {"n1", "n2", "n3"},
		{IDs: ids[1:], Names: []string{"n3"}}:   {"n3"},
		{Statuses: []string{"IMPORT_COMPLETE"}}: nil,
		{Statuses: []string{discovery.ImportInProgress}, After: ids[0]}: {"n2", "n3"},
		{After: ids[0], Limit: 1}: {"n2"},
	} {
		q.Account = "1"
		if q.Limit == 0 {
			q.Limit = 100
		}
		if got := taskNames(t)(db.FindImportTasks(ctx, *q)); !slices.Equal(got, want) {
			t.Errorf("%+v: %v, want %v", *q, got, want)
		}
	}
}

// Each in-progress task has its job; finishing under a lease stores the
// outcome once, then the task is gone for the runner.
func TestImportTaskLifecycle(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	a, b, c := newImportTask("1", "", "a", 30), newImportTask("2", "", "b", 10), newImportTask("1", "", "c", 20)
	for _, task := range []*discovery.ImportTask{a, b, c} {
		if _, _, err := db.CreateImportTask(ctx, task); err != nil {
			t.Fatal(err)
		}
	}
	// Each in-progress task was stored with its job.
	for _, x := range []*discovery.ImportTask{a, b, c} {
		if j, err := db.Job(ctx, discovery.JobImport, x.AccountID, x.ID); err != nil || j.Ref != x.ID {
			t.Fatalf("job of %s: %+v %v", x.Name, j, err)
		}
	}
	l := testLease(t, db, "import")
	done := *c
	done.Status, done.CompletionMS, done.ServerSuccess, done.ServerFailure, done.AppSuccess, done.AppFailure, done.HasErrorsZip =
		discovery.ImportComplete, 40, 5, 1, 2, 3, true
	if err := db.FinishImportTask(ctx, l, &done); err != nil {
		t.Fatal(err)
	}
	got, err := db.FindImportTasks(ctx, discovery.ImportTaskQuery{Account: "1", Names: []string{"c"}, Limit: 10})
	if err != nil || len(got) != 1 || !reflect.DeepEqual(*got[0], done) {
		t.Fatalf("finished task %+v %v, want %+v", got, err, done)
	}
	if err := db.FinishImportTask(ctx, l, &done); !errors.Is(err, discovery.ErrImportTaskGone) {
		t.Fatalf("finishing twice: %v", err)
	}
	other := *b
	other.AccountID = "1"
	if err := db.FinishImportTask(ctx, l, &other); !errors.Is(err, discovery.ErrImportTaskGone) {
		t.Fatalf("finishing another account's task: %v", err)
	}
	exec(t, db, `INSERT INTO import_records (account_id, task_id, server_id, created) VALUES ('1', $1, 'd-server-a', true), ('1', $1, 'd-server-b', false), ('2', $2, 'd-server-a', true)`,
		a.ID, b.ID)
	if n, err := db.CountImportRecords(ctx, "1"); n != 2 || err != nil {
		t.Fatalf("records %d %v", n, err)
	}
}

// An error from the function undoes the transaction's writes.
func TestImportTxRollsBack(t *testing.T) {
	db := openTest(t)
	boom := errors.New("boom")
	err := db.ImportTx(context.Background(), "1", func(tx discovery.ImportTx) error {
		if err := tx.InsertImportedServer(context.Background(), &discovery.ImportedServer{ID: "d-server-a", NICs: []discovery.NIC{{Name: "eth0", IPAddress: "10.0.0.1"}}}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err %v", err)
	}
	if n := count(t, db, `SELECT (SELECT count(*) FROM servers) + (SELECT count(*) FROM network_interfaces)`); n != 0 {
		t.Fatalf("%d rows after a rollback", n)
	}
}

// Rows importing at once on six replicas never take the account past
// MaxImportServers imported servers: with two places left, two rows create
// a server and four reach the limit. Without the account lock, each would
// count the servers before the others' inserts commit, and all six would
// create one.
func TestImportLimitAcrossReplicas(t *testing.T) {
	dbs := replicas(t, testSchema(t), 6)
	ctx := t.Context()
	task := newImportTask("1", "", "n", 1)
	if _, _, err := dbs[0].CreateImportTask(ctx, task); err != nil {
		t.Fatal(err)
	}
	exec(t, dbs[0], `INSERT INTO servers (account_id, server_id, source, host_name, created_ms, updated_ms)
		SELECT '1', format('d-server-%s', lpad(i::text, 17, '0')), 'Import', 'h' || i, 0, 0 FROM generate_series(1, $1::int) AS i`, discovery.MaxImportServers-2)
	var (
		res  [6]*imports.RowResult
		errs [6]error
	)
	atOnce(len(dbs), func(i int) {
		errs[i] = dbs[i].ImportTx(ctx, "1", func(tx discovery.ImportTx) (err error) {
			res[i], err = imports.ImportRow(ctx, tx, task.ID, &discovery.ImportRow{HostName: fmt.Sprintf("new-%d", i)}, time.UnixMilli(2))
			return err
		})
	})
	made := 0
	for i := range dbs {
		if errs[i] != nil {
			t.Fatalf("replica %d: %v", i, errs[i])
		}
		if !res[i].LimitReached {
			made++
		}
	}
	if made != 2 {
		t.Errorf("%d rows created a server, want 2", made)
	}
	if n := count(t, dbs[0], `SELECT count(*) FROM servers WHERE account_id = '1' AND source = 'Import'`); n != discovery.MaxImportServers {
		t.Errorf("%d imported servers, want %d", n, discovery.MaxImportServers)
	}
}
