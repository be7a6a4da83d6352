package sqlite

import (
	"database/sql"
	"io/fs"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// oldDB makes a database with the migrations before version only, as an
// older poseidon left it; the caller adds rows, closes it and opens it.
func oldDB(t *testing.T, version string) (string, *sql.DB) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "old.db")
	old, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	names, _ := fs.Glob(migrations, "migrations/*.sql")
	sort.Strings(names)
	if _, err := old.Exec(`CREATE TABLE schema_migrations (version TEXT PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		v := strings.TrimSuffix(strings.TrimPrefix(name, "migrations/"), ".sql")
		if v >= version {
			break
		}
		body, _ := migrations.ReadFile(name)
		if _, err := old.Exec(string(body)); err != nil {
			t.Fatal(v, err)
		}
		if _, err := old.Exec(`INSERT INTO schema_migrations VALUES (?)`, v); err != nil {
			t.Fatal(err)
		}
	}
	return path, old
}

// A database made before migration 008 kept an EC2 export's preferences as
// the request's JSON; opening it converts them to the typed value, with the
// defaults the worker used to apply, and drops the JSON column.
func TestMigrateEC2Preferences(t *testing.T) {
	path, old := oldDB(t, "008")
	insert := `INSERT INTO export_tasks (export_id, account_id, kind, operation, status, status_message, request_time_ms, preferences, ready_at_ms)
		VALUES (?, '111111111111', ?, 'StartExportTask', 'IN_PROGRESS', 'm', 1, ?, 1)`
	for _, row := range [][3]string{
		{"export-full", "ec2", `{"ec2RecommendationsPreferences":{"enabled":true,"cpuPerformanceMetricBasis":{"name":"p95","percentageAdjust":20},
			"ramPerformanceMetricBasis":{"percentageAdjust":5},"tenancy":"DEDICATED","excludedInstanceTypes":["t3","m5.large"],"preferredRegion":"eu-west-1",
			"reservedInstanceOptions":{"purchasingOption":"NO_UPFRONT","offeringClass":"STANDARD","termLength":"ONE_YEAR"}}}`},
		{"export-defaults", "ec2", `{"ec2RecommendationsPreferences":{"enabled":true,"preferredRegion":"us-west-2"}}`},
		{"export-damaged", "ec2", `{`},
		{"export-summary", "summary", ``},
	} {
		if _, err := old.Exec(insert, row[0], row[1], row[2]); err != nil {
			t.Fatal(err)
		}
	}
	old.Close()

	db, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	def := discovery.DefaultEC2Preferences()
	def.PreferredRegion = "us-west-2"
	for id, want := range map[string]*discovery.EC2Preferences{
		"export-full": {CPU: discovery.MetricBasis{Name: "p95", Adjust: 20}, RAM: discovery.MetricBasis{Name: "AVG", Adjust: 5},
			Tenancy: "DEDICATED", Excluded: []string{"t3", "m5.large"}, PreferredRegion: "eu-west-1",
			PurchasingOption: "NO_UPFRONT", OfferingClass: "STANDARD", TermLength: "ONE_YEAR"},
		"export-defaults": {CPU: def.CPU, RAM: def.RAM, Tenancy: def.Tenancy, Excluded: []string{}, PreferredRegion: def.PreferredRegion, PurchasingOption: def.PurchasingOption},
		"export-damaged":  nil,
		"export-summary":  nil,
	} {
		got, err := db.GetExportTask(t.Context(), "111111111111", id)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.EC2, want) {
			t.Errorf("%s: %+v, want %+v", id, got.EC2, want)
		}
	}
	var n int
	if err := db.db.QueryRow(`SELECT count(*) FROM pragma_table_info('export_tasks') WHERE name = 'preferences'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("preferences column: %d, %v", n, err)
	}
}

// Opening a database made before the job queue (migration 010) gives every
// piece of pending work its job: IN_PROGRESS exports (keeping their claims
// so far, dropping the old worker's lease), imports in progress, unfinished
// batch deletes, and the last transition of every continuous export, which
// now records its state. Finished work gets none.
func TestMigrateJobs(t *testing.T) {
	path, old := oldDB(t, "010")
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := old.Exec(q, args...); err != nil {
			t.Fatal(err)
		}
	}
	const a = "111111111111"
	export := `INSERT INTO export_tasks (export_id, account_id, kind, operation, status, status_message, request_time_ms, ready_at_ms, attempts, lease_owner, lease_until_ms)
		VALUES (?, ?, 'summary', 'StartExportTask', ?, 'm', ?, ?, ?, ?, ?)`
	exec(export, "export-running", a, "IN_PROGRESS", 1000, 1500, 2, "worker-dead", 9000)
	exec(export, "export-queued", a, "IN_PROGRESS", 2000, 2500, 0, nil, nil)
	exec(export, "export-done", a, "SUCCEEDED", 500, 500, 1, nil, nil)
	imp := `INSERT INTO import_tasks (account_id, task_id, name, url, status, request_ms) VALUES (?, ?, 'n', 's3://b/k', ?, ?)`
	exec(imp, a, "import-task-running", "IMPORT_IN_PROGRESS", 3000)
	exec(imp, a, "import-task-done", "IMPORT_COMPLETE", 100)
	del := `INSERT INTO batch_delete_tasks (account_id, task_id, configuration_type, status, start_ms, seq) VALUES (?, ?, 'SERVER', ?, ?, ?)`
	exec(del, a, "bd-pending", "INITIALIZING", 4000, 1)
	exec(del, a, "bd-done", "COMPLETED", 50, 2)
	cont := `INSERT INTO continuous_exports (export_id, account_id, s3_bucket, start_ms, stop_ms) VALUES (?, ?, 'b', ?, ?)`
	exec(cont, "ce-running", a, 5000, nil)
	exec(cont, "ce-stopped", "222222222222", 100, 7000)
	old.Close()

	db, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
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
	var n int
	if err := db.db.QueryRow(`SELECT count(*) FROM jobs`).Scan(&n); err != nil || n != len(want) {
		t.Errorf("%d jobs, want %d (%v)", n, len(want), err)
	}
	for id, state := range map[string]string{"ce-running": discovery.ContinuousStartInProgress, "ce-stopped": discovery.ContinuousStopInProgress} {
		var got string
		if err := db.db.QueryRow(`SELECT state FROM continuous_exports WHERE export_id = ?`, id).Scan(&got); err != nil || got != state {
			t.Errorf("%s state %q, want %q (%v)", id, got, state, err)
		}
	}
	if err := db.db.QueryRow(`SELECT count(*) FROM pragma_table_info('export_tasks') WHERE name IN ('attempts', 'lease_owner', 'lease_until_ms')`).Scan(&n); err != nil || n != 0 {
		t.Errorf("old queue columns: %d, %v", n, err)
	}
}
