package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	ads "github.com/aws/aws-sdk-go/service/applicationdiscoveryservice"
	"github.com/jackc/pgx/v5"

	"github.com/poseidon-ads/poseidon/internal/postgres/pgtestdb"
)

// sqliteOnly are the serve flags of a server on the SQLite store of its data
// directory, whatever store the test run uses (snapshots copy SQLite).
const sqliteOnly = "--database-url="

// TestSnapshotSaveLoad seeds a fleet and an export on a running server,
// saves a snapshot while it runs, loads it into a new data directory and
// sees the same agents, export and archive through aws-sdk-go from a server
// on it; a second load over it is refused without --force, and with
// --force while that server runs.
func TestSnapshotSaveLoad(t *testing.T) {
	setAWSEnv(t, acctA, "secret")
	src := startServer(t, "", sqliteOnly)
	if _, stderr, err := runSeed(t, "--endpoint", src.URL, "--servers", "3", "--hours", "2", "-q"); err != nil {
		t.Fatalf("seed: %v\n%s", err, stderr)
	}
	c := client(t, src.URL, acctA, "secret")
	agents := allAgents(t, c)
	if len(agents) != 3 {
		t.Fatalf("seeded %d agents, want 3", len(agents))
	}
	exportID, archive := summaryExport(t, c)

	file := filepath.Join(t.TempDir(), "fleet.snapshot")
	out, stderr, err := runCLI(t, "snapshot", "save", file, "--data", src.Data)
	if err != nil {
		t.Fatalf("snapshot save while the server runs: %v\n%s", err, stderr)
	}
	if !strings.Contains(out, "saved "+file) || !strings.Contains(out, "1 files beside it") {
		t.Errorf("snapshot save said %q", out)
	}
	// The source goes on, and changes after the snapshot are not in it.
	if _, err := c.StartExportTask(&ads.StartExportTaskInput{}); err != nil {
		t.Fatal(err)
	}

	data := filepath.Join(t.TempDir(), "restored")
	if out, stderr, err := runCLI(t, "snapshot", "load", file, "--data", data); err != nil || !strings.Contains(out, "loaded "+file) {
		t.Fatalf("snapshot load: %v %q\n%s", err, out, stderr)
	}
	dst := startServer(t, data, sqliteOnly)
	c2 := client(t, dst.URL, acctA, "secret")
	got := allAgents(t, c2)
	if len(got) != len(agents) {
		t.Errorf("restored %d agents, want %d", len(got), len(agents))
	}
	for id := range agents {
		if got[id] == nil {
			t.Errorf("agent %s missing after load", id)
		}
	}
	tasks, err := c2.DescribeExportTasks(&ads.DescribeExportTasksInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks.ExportsInfo) != 1 || aws.StringValue(tasks.ExportsInfo[0].ExportId) != exportID ||
		aws.StringValue(tasks.ExportsInfo[0].ExportStatus) != ads.ExportStatusSucceeded {
		t.Fatalf("restored exports: %v", tasks.ExportsInfo)
	}
	code, again := download(t, aws.StringValue(tasks.ExportsInfo[0].ConfigurationsDownloadUrl))
	if code != 200 || string(again) != string(archive) {
		t.Errorf("restored archive: HTTP %d, %d bytes, want the %d bytes of the source", code, len(again), len(archive))
	}

	// Over a data directory that is not empty: --force, and no server.
	_, _, err = runCLI(t, "snapshot", "load", file, "--data", data)
	if err == nil || !strings.Contains(err.Error(), "not empty") || !strings.Contains(err.Error(), "--force") {
		t.Errorf("load over a non-empty directory: %v, want a refusal naming --force", err)
	}
	_, _, err = runCLI(t, "snapshot", "load", file, "--data", data, "--force")
	if err == nil || !strings.Contains(err.Error(), "server is running") {
		t.Errorf("load --force under a running server: %v, want a refusal", err)
	}
	// A second export on the restored server, then --force puts the
	// snapshot's state back.
	if _, err := c2.StartExportTask(&ads.StartExportTaskInput{}); err != nil {
		t.Fatal(err)
	}
	dst.Stop(t)
	if _, stderr, err := runCLI(t, "snapshot", "load", file, "--data", data, "--force"); err != nil {
		t.Fatalf("load --force: %v\n%s", err, stderr)
	}
	dst = startServer(t, data, sqliteOnly)
	tasks, err = client(t, dst.URL, acctA, "secret").DescribeExportTasks(&ads.DescribeExportTasksInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks.ExportsInfo) != 1 {
		t.Errorf("after load --force: %d exports, want the snapshot's 1", len(tasks.ExportsInfo))
	}
}

// TestSnapshotNewerSchema: a snapshot of a store with a migration this
// build does not know is refused, and the target is left as it was.
func TestSnapshotNewerSchema(t *testing.T) {
	src := startServer(t, "", sqliteOnly)
	src.Stop(t)
	db, err := sql.Open("sqlite", filepath.Join(src.Data, "poseidon.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO schema_migrations (version) VALUES ('999_from_the_future')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	file := filepath.Join(t.TempDir(), "future.snapshot")
	if _, stderr, err := runCLI(t, "snapshot", "save", file, "--data", src.Data); err != nil {
		t.Fatalf("snapshot save: %v\n%s", err, stderr)
	}
	data := filepath.Join(t.TempDir(), "target")
	_, _, err = runCLI(t, "snapshot", "load", file, "--data", data)
	if err == nil || !strings.Contains(err.Error(), "newer schema") || !strings.Contains(err.Error(), "999_from_the_future") {
		t.Fatalf("load of a newer schema: %v, want a refusal naming the migration", err)
	}
	if entries, _ := filepath.Glob(filepath.Join(data, "*")); len(entries) != 0 {
		t.Errorf("refused load left %v", entries)
	}
}

// newDatabase creates an empty database on the test server, dropped when
// the test ends, and returns its URL with search_path=schema.
func newDatabase(t *testing.T, schema string) string {
	t.Helper()
	admin := pgtestdb.Admin(t)
	defer admin.Close(context.Background())
	name := fmt.Sprintf("snap_%d_%d", os.Getpid(), time.Now().UnixNano())
	if _, err := admin.Exec(context.Background(), "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin := pgtestdb.Admin(t)
		defer admin.Close(context.Background())
		if _, err := admin.Exec(context.Background(), "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(pgtestdb.ServerURL())
	if err != nil {
		t.Fatalf("POSEIDON_TEST_DATABASE_URL must be a URL for this test: %v", err)
	}
	u.Path = "/" + name
	return pgtestdb.WithSearchPath(t, u.String(), schema)
}

// TestSnapshotPostgres saves the schema of a running PostgreSQL store with
// pg_dump, loads it into the schema of another database with pg_restore,
// and sees the same fleet and export archive from a server on it; it
// refuses a non-empty schema without --force, the source's schema name
// taken in the target database, a store without a schema of its own, and
// a newer schema.
func TestSnapshotPostgres(t *testing.T) {
	for _, tool := range []string{"pg_dump", "pg_restore"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is required under CI=true (postgresql-client)", tool)
			}
			t.Skipf("skipping: %s is not installed (postgresql-client)", tool)
		}
	}
	srcURL := pgtestdb.Schema(t)
	setAWSEnv(t, acctA, "secret")
	src := startServer(t, "", "--database-url", srcURL)
	if _, stderr, err := runSeed(t, "--endpoint", src.URL, "--servers", "2", "--hours", "1", "-q"); err != nil {
		t.Fatalf("seed: %v\n%s", err, stderr)
	}
	c := client(t, src.URL, acctA, "secret")
	agents := allAgents(t, c)
	exportID, archive := summaryExport(t, c)

	file := filepath.Join(t.TempDir(), "pg.snapshot")
	if out, stderr, err := runCLI(t, "snapshot", "save", file, "--database-url", srcURL); err != nil || !strings.Contains(out, "PostgreSQL schema") {
		t.Fatalf("snapshot save on PostgreSQL while a server runs: %v %q\n%s", err, out, stderr)
	}
	dstURL := newDatabase(t, "ci")
	if out, stderr, err := runCLI(t, "snapshot", "load", file, "--database-url", dstURL); err != nil {
		t.Fatalf("snapshot load on PostgreSQL: %v %q\n%s", err, out, stderr)
	}
	dst := startServer(t, "", "--database-url", dstURL)
	c2 := client(t, dst.URL, acctA, "secret")
	if got := allAgents(t, c2); len(got) != len(agents) {
		t.Errorf("restored %d agents, want %d", len(got), len(agents))
	}
	tasks, err := c2.DescribeExportTasks(&ads.DescribeExportTasksInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks.ExportsInfo) != 1 || aws.StringValue(tasks.ExportsInfo[0].ExportId) != exportID {
		t.Fatalf("restored exports: %v", tasks.ExportsInfo)
	}
	if code, again := download(t, aws.StringValue(tasks.ExportsInfo[0].ConfigurationsDownloadUrl)); code != 200 || string(again) != string(archive) {
		t.Errorf("restored archive: HTTP %d, %d bytes, want the source's %d", code, len(again), len(archive))
	}
	dst.Stop(t)

	if _, _, err := runCLI(t, "snapshot", "load", file, "--database-url", dstURL); err == nil || !strings.Contains(err.Error(), "not empty") || !strings.Contains(err.Error(), "--force") {
		t.Errorf("load over a non-empty schema: %v", err)
	}
	if _, stderr, err := runCLI(t, "snapshot", "load", file, "--database-url", dstURL, "--force"); err != nil {
		t.Errorf("load --force: %v\n%s", err, stderr)
	}
	other := pgtestdb.WithSearchPath(t, pgtestdb.ServerURL(), "t_snapshot_other")
	if _, _, err := runCLI(t, "snapshot", "load", file, "--database-url", other); err == nil || !strings.Contains(err.Error(), "exists in database") {
		t.Errorf("load into the source's database: %v", err)
	}
	if _, _, err := runCLI(t, "snapshot", "save", file, "--database-url", pgtestdb.ServerURL()); err == nil || !strings.Contains(err.Error(), "search_path") {
		t.Errorf("save without a schema: %v", err)
	}

	// A store a newer poseidon migrated: refused before anything changes.
	conn, err := pgx.Connect(context.Background(), dstURL)
	if err != nil {
		t.Fatal(err)
	}
	_, err = conn.Exec(context.Background(), `INSERT INTO schema_migrations (version, name) VALUES (999, '999_from_the_future')`)
	conn.Close(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	future := filepath.Join(t.TempDir(), "future.snapshot")
	if _, stderr, err := runCLI(t, "snapshot", "save", future, "--database-url", dstURL); err != nil {
		t.Fatalf("save: %v\n%s", err, stderr)
	}
	target := newDatabase(t, "ci")
	if _, _, err := runCLI(t, "snapshot", "load", future, "--database-url", target); err == nil || !strings.Contains(err.Error(), "newer schema") {
		t.Errorf("load of a newer schema: %v", err)
	}
	if _, _, err := runCLI(t, "snapshot", "load", file, "--data", t.TempDir()); err == nil || !strings.Contains(err.Error(), "with --database-url") {
		t.Errorf("load of a PostgreSQL snapshot into --data: %v", err)
	}
}

// TestSnapshotUnderWrites saves snapshots while a seed writes to the
// server, until it ends (and once after): each loads into a database that passes SQLite's integrity check,
// holds a prefix of the fleet's agents, and the source ends with the whole
// fleet, intact.
func TestSnapshotUnderWrites(t *testing.T) {
	setAWSEnv(t, acctA, "secret")
	src := startServer(t, "", sqliteOnly)
	done := make(chan error, 1)
	go func() {
		_, stderr, err := runSeed(t, "--endpoint", src.URL, "--servers", "40", "--hours", "6", "--batch", "20", "-q")
		if err != nil {
			err = fmt.Errorf("%w: %s", err, stderr)
		}
		done <- err
	}()
	integrity := func(path string) (agents int) {
		t.Helper()
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var res string
		if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&res); err != nil || res != "ok" {
			t.Fatalf("integrity_check of %s: %q %v", path, res, err)
		}
		var samples int
		if err := db.QueryRow(`SELECT (SELECT count(*) FROM agents), (SELECT count(*) FROM perf_samples)`).Scan(&agents, &samples); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d agents, %d performance samples", path, agents, samples)
		return agents
	}
	var seedErr error
	seeding := true
	for i := 0; seeding && i < 50; i++ {
		select {
		case seedErr = <-done:
			seeding = false
		default:
		}
		file := filepath.Join(t.TempDir(), "busy.snapshot")
		if _, stderr, err := runCLI(t, "snapshot", "save", file, "--data", src.Data); err != nil {
			t.Fatalf("save %d under writes: %v\n%s", i, err, stderr)
		}
		data := t.TempDir()
		if _, stderr, err := runCLI(t, "snapshot", "load", file, "--data", data, "--force"); err != nil {
			t.Fatalf("load %d: %v\n%s", i, err, stderr)
		}
		if n := integrity(filepath.Join(data, "poseidon.db")); n > 40 {
			t.Errorf("snapshot %d has %d agents", i, n)
		}
	}
	if seeding {
		seedErr = <-done
	}
	if seedErr != nil {
		t.Fatalf("seed: %v", seedErr)
	}
	if got := len(allAgents(t, client(t, src.URL, acctA, "secret"))); got != 40 {
		t.Errorf("source has %d agents after the snapshots, want 40", got)
	}
	src.Stop(t)
	if n := integrity(filepath.Join(src.Data, "poseidon.db")); n != 40 {
		t.Errorf("source store has %d agents, want 40", n)
	}
}
