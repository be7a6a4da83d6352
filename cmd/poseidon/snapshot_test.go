package main

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go/aws"
	ads "github.com/aws/aws-sdk-go/service/applicationdiscoveryservice"
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

// TestSnapshotPostgresRefused: on a PostgreSQL store, snapshot names the
// tools to use instead.
func TestSnapshotPostgresRefused(t *testing.T) {
	for _, verb := range []string{"save", "load"} {
		file := filepath.Join(t.TempDir(), "x.snapshot")
		if verb == "load" {
			file = "snapshot_test.go" // an existing file, for the argument's check
		}
		_, _, err := runCLI(t, "snapshot", verb, file, "--database-url", "postgres://127.0.0.1:1/none")
		if err == nil || !strings.Contains(err.Error(), "pg_dump") || !strings.Contains(err.Error(), "pg_restore") {
			t.Errorf("snapshot %s on PostgreSQL: %v, want pg_dump and pg_restore named", verb, err)
		}
	}
}
