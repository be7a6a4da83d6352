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

// A database made before migration 008 kept an EC2 export's preferences as
// the request's JSON; opening it converts them to the typed value, with the
// defaults the worker used to apply, and drops the JSON column.
func TestMigrateEC2Preferences(t *testing.T) {
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
		version := strings.TrimSuffix(strings.TrimPrefix(name, "migrations/"), ".sql")
		if version >= "008" {
			break
		}
		body, _ := migrations.ReadFile(name)
		if _, err := old.Exec(string(body)); err != nil {
			t.Fatal(version, err)
		}
		if _, err := old.Exec(`INSERT INTO schema_migrations VALUES (?)`, version); err != nil {
			t.Fatal(err)
		}
	}
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
