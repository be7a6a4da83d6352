package postgres

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

func newestKnown(t *testing.T) int {
	t.Helper()
	known, err := knownMigrations()
	if err != nil {
		t.Fatal(err)
	}
	return known[len(known)-1].version
}

// Open migrates the schema of its search_path, and only that schema; opening
// again applies nothing.
func TestMigrateAppliesInItsSchema(t *testing.T) {
	url := testSchema(t)
	db := openURL(t, url)
	known, err := knownMigrations()
	if err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, `SELECT count(*) FROM schema_migrations`); n != len(known) {
		t.Fatalf("%d migrations recorded, want %d", n, len(known))
	}
	var schema string
	if err := db.pool.QueryRow(t.Context(), `SELECT current_schema()`).Scan(&schema); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(schema, "t_") {
		t.Fatalf("current schema %q, want the test's", schema)
	}
	for _, table := range append([]string{"schema_migrations", "settings", "virtual_clock"}, resetTables...) {
		if n := count(t, db, `SELECT count(*) FROM pg_tables WHERE schemaname = $1 AND tablename = $2`, schema, table); n != 1 {
			t.Errorf("table %s.%s: %d", schema, table, n)
		}
	}
	if n := count(t, db, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename = 'export_tasks'`); n != 0 {
		t.Errorf("export_tasks made in public too")
	}
	db.Close()
	again := openURL(t, url)
	if n := count(t, again, `SELECT count(*) FROM schema_migrations`); n != len(known) {
		t.Fatalf("after reopening, %d migrations recorded, want %d", n, len(known))
	}
}

// Replicas opening a new schema at once take turns on the migration lock:
// every Open succeeds and each migration is applied once. Without the
// lock, the later ones would fail on tables that already exist.
func TestConcurrentOpensMigrateOnce(t *testing.T) {
	url := testSchema(t)
	const replicas = 6
	var (
		dbs  = make([]*DB, replicas)
		errs = make([]error, replicas)
	)
	atOnce(replicas, func(i int) { dbs[i], errs[i] = Open(t.Context(), url) })
	for i, err := range errs {
		if err != nil {
			t.Fatalf("replica %d: %v", i, err)
		}
		defer dbs[i].Close()
	}
	if n := count(t, dbs[0], `SELECT count(*) FROM schema_migrations`); n != len(mustKnown(t)) {
		t.Fatalf("%d migrations recorded, want %d", n, len(mustKnown(t)))
	}
}

func mustKnown(t *testing.T) []migration {
	known, err := knownMigrations()
	if err != nil {
		t.Fatal(err)
	}
	return known
}

// A replica refuses a schema that a newer poseidon migrated, naming both
// versions, and changes nothing.
func TestRefusesNewerSchema(t *testing.T) {
	url := testSchema(t)
	db := openURL(t, url)
	newer := newestKnown(t) + 7
	exec(t, db, `INSERT INTO schema_migrations (version, name) VALUES ($1, 'from_the_future')`, newer)
	_, err := Open(t.Context(), url)
	if err == nil {
		t.Fatal("opened a schema newer than this poseidon knows")
	}
	for _, want := range []string{"version " + strconv.Itoa(newer), "(" + strconv.Itoa(newestKnown(t)) + ")", "newer"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if n := count(t, db, `SELECT count(*) FROM schema_migrations`); n != len(mustKnown(t))+1 {
		t.Errorf("schema_migrations has %d rows", n)
	}
}

// A search_path naming no existing schema is refused with a message that
// says so, not with an error about a missing table.
func TestMissingSchema(t *testing.T) {
	conn := connectAdmin(t)
	conn.Close(t.Context())
	_, err := Open(t.Context(), withSearchPath(t, testURL(), "t_does_not_exist"))
	if err == nil || !strings.Contains(err.Error(), "no schema of the search_path exists") {
		t.Fatalf("Open = %v", err)
	}
}

// A schema an older poseidon left at migration 001 (the export queue in
// export_tasks) is migrated to the job queue: pending work gets its job,
// exports keep their claims so far but not the old worker's lease,
// continuous exports record their state, and the old queue's columns go.
func TestMigrateJobs(t *testing.T) {
	url := testSchema(t)
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	first := mustKnown(t)[0]
	if first.version != 1 {
		t.Fatalf("first migration %s", first.name)
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := conn.Exec(t.Context(), q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(first.body)
	exec(`CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`)
	exec(`INSERT INTO schema_migrations (version, name) VALUES (1, $1)`, first.name)
	const a = "111111111111"
	export := `INSERT INTO export_tasks (export_id, account_id, kind, operation, status, status_message, request_time_ms, ready_at_ms, attempts, lease_owner, lease_until_ms)
		VALUES ($1, $2, 'summary', 'StartExportTask', $3, 'm', $4, $5, $6, $7, $8)`
	exec(export, "export-running", a, "IN_PROGRESS", 1000, 1500, 2, "worker-dead", 9000)
	exec(export, "export-queued", a, "IN_PROGRESS", 2000, 2500, 0, nil, nil)
	exec(export, "export-done", a, "SUCCEEDED", 500, 500, 1, nil, nil)
	imp := `INSERT INTO import_tasks (account_id, task_id, name, url, status, request_ms) VALUES ($1, $2, 'n', 's3://b/k', $3, $4)`
	exec(imp, a, "import-task-running", "IMPORT_IN_PROGRESS", 3000)
	exec(imp, a, "import-task-done", "IMPORT_COMPLETE", 100)
	del := `INSERT INTO batch_delete_tasks (account_id, task_id, configuration_type, status, start_ms) VALUES ($1, $2, 'SERVER', $3, $4)`
	exec(del, a, "bd-pending", "INITIALIZING", 4000)
	exec(del, a, "bd-done", "COMPLETED", 50)
	cont := `INSERT INTO continuous_exports (export_id, account_id, s3_bucket, start_ms, stop_ms) VALUES ($1, $2, 'b', $3, $4)`
	exec(cont, "ce-running", a, 5000, nil)
	exec(cont, "ce-stopped", "222222222222", 100, 7000)

	db := openURL(t, url)
	want := []struct {
		kind     discovery.JobKind
		account  string
		ref      string
		runAt    int64
		attempts int
	}{
		{discovery.JobExport, a, "export-running", 1500, 2},
		{discovery.JobExport, a, "export-queued", 2500, 0},
		{discovery.JobImport, a, "import-task-running", 0, 0},
		{discovery.JobBatchDelete, a, "bd-pending", 0, 0},
		{discovery.JobContinuousStart, a, "ce-running", 15000, 0},
		{discovery.JobContinuousStop, "222222222222", "ce-stopped", 17000, 0},
	}
	for _, w := range want {
		j, err := db.Job(t.Context(), w.kind, w.account, w.ref)
		if err != nil {
			t.Errorf("%s %s: %v", w.kind, w.ref, err)
			continue
		}
		if j.RunAt.UnixMilli() != w.runAt || j.Attempts != w.attempts || j.Owner != "" || !j.LeaseUntil.IsZero() {
			t.Errorf("%s %s: %+v", w.kind, w.ref, j)
		}
	}
	if n := count(t, db, `SELECT count(*) FROM jobs`); n != len(want) {
		t.Errorf("%d jobs, want %d", n, len(want))
	}
	for id, state := range map[string]string{"ce-running": discovery.ContinuousStartInProgress, "ce-stopped": discovery.ContinuousStopInProgress} {
		var got string
		if err := db.pool.QueryRow(t.Context(), `SELECT state FROM continuous_exports WHERE export_id = $1`, id).Scan(&got); err != nil || got != state {
			t.Errorf("%s state %q, want %q (%v)", id, got, state, err)
		}
	}
	if n := count(t, db, `SELECT count(*) FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'export_tasks'
		AND column_name IN ('attempts', 'lease_owner', 'lease_until_ms')`); n != 0 {
		t.Errorf("old queue columns: %d", n)
	}
	if n := count(t, db, `SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema()
		AND indexname IN ('export_tasks_queue', 'import_tasks_pending', 'batch_delete_tasks_pending')`); n != 0 {
		t.Errorf("old queue indexes: %d", n)
	}
	// New jobs follow the migrated ones.
	if err := db.Enqueue(t.Context(), &discovery.Job{Kind: "test", Account: a, Ref: "new", RunAt: time.UnixMilli(1)}); err != nil {
		t.Fatal(err)
	}
}
