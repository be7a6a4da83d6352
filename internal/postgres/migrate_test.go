package postgres

import (
	"strconv"
	"strings"
	"testing"
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
