package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go/aws"
	ads "github.com/aws/aws-sdk-go/service/applicationdiscoveryservice"
)

// TestFaultExportStorage: a storage error while an export is written ends
// that export FAILED with a clear statusMessage and no download URL, leaves
// nothing behind, and the server goes on serving; once the fault is gone,
// exports succeed again. The fault is a real one: from the OS with SQLite
// (the account's export directory cannot be created because a file stands
// in its way), from PostgreSQL with the archives in it (a trigger refuses
// the account's archives). (Disk full, I/O errors and failing
// sync/close/rename are injected at the worker level:
// internal/worker/fault_test.go.)
func TestFaultExportStorage(t *testing.T) {
	s := startServer(t, "", "--no-limits")
	c := client(t, s.URL, acctA, "x")
	cb := client(t, s.URL, acctB, "x")

	f := exportStorageFault(t, s.Data)
	f.set()

	var failedIDs []string
	for _, start := range []func() (*string, error){
		func() (*string, error) {
			o, err := c.StartExportTask(&ads.StartExportTaskInput{})
			return o.ExportId, err
		},
		func() (*string, error) {
			o, err := c.ExportConfigurations(&ads.ExportConfigurationsInput{})
			return o.ExportId, err
		},
	} {
		id, err := start()
		if err != nil {
			t.Fatal(err)
		}
		info := waitExport(t, c, aws.StringValue(id))
		if aws.StringValue(info.ExportStatus) != ads.ExportStatusFailed || aws.StringValue(info.StatusMessage) != f.want {
			t.Fatalf("export under a storage fault: %s %q, want FAILED %q", aws.StringValue(info.ExportStatus), aws.StringValue(info.StatusMessage), f.want)
		}
		if info.ConfigurationsDownloadUrl != nil {
			t.Fatalf("a failed export has a download URL: %s", aws.StringValue(info.ConfigurationsDownloadUrl))
		}
		if strings.Contains(aws.StringValue(info.StatusMessage), s.Data) {
			t.Fatalf("the message shows a server path: %q", aws.StringValue(info.StatusMessage))
		}
		failedIDs = append(failedIDs, aws.StringValue(id))
	}

	// The server goes on: other calls, and another account's export.
	if _, err := c.GetDiscoverySummary(&ads.GetDiscoverySummaryInput{}); err != nil {
		t.Fatalf("server stopped serving: %v", err)
	}
	ob, err := cb.StartExportTask(&ads.StartExportTaskInput{})
	if err != nil {
		t.Fatal(err)
	}
	if info := waitExport(t, cb, aws.StringValue(ob.ExportId)); aws.StringValue(info.ExportStatus) != ads.ExportStatusSucceeded {
		t.Fatalf("B's export during A's fault: %v", info)
	}

	// Nothing of the failed exports is kept.
	f.leftBehind(failedIDs)

	// The fault is gone: A's exports succeed and download.
	f.clear()
	o, err := c.StartExportTask(&ads.StartExportTaskInput{})
	if err != nil {
		t.Fatal(err)
	}
	info := waitExport(t, c, aws.StringValue(o.ExportId))
	if aws.StringValue(info.ExportStatus) != ads.ExportStatusSucceeded {
		t.Fatalf("after the fault: %v", info)
	}
	if code, body := download(t, aws.StringValue(info.ConfigurationsDownloadUrl)); code != 200 || len(unzip(t, body)) == 0 {
		t.Fatalf("download after the fault: %d", code)
	}
	// The failed ones stay failed.
	out, err := c.DescribeExportTasks(&ads.DescribeExportTasksInput{ExportIds: aws.StringSlice(failedIDs)})
	if err != nil || len(out.ExportsInfo) != 2 {
		t.Fatalf("describe failed exports: %v %v", out, err)
	}
	for _, e := range out.ExportsInfo {
		if aws.StringValue(e.ExportStatus) != ads.ExportStatusFailed || e.ConfigurationsDownloadUrl != nil {
			t.Fatalf("failed export now %v", e)
		}
	}
}

// storageFault is a fault of the export archive store of the server on a
// data directory, for account A: set makes A's archive writes fail, clear
// ends that, want is the statusMessage of an export that failed, and
// leftBehind fails the test if anything of the failed exports is kept.
type storageFault struct {
	set, clear func()
	want       string
	leftBehind func(failedIDs []string)
}

func exportStorageFault(t *testing.T, data string) storageFault {
	t.Helper()
	if onPostgres {
		db, q := storeDB(t, data)
		exec := func(stmt string, args ...any) {
			t.Helper()
			if _, err := db.Exec(q(stmt), args...); err != nil {
				t.Fatalf("%s: %v", stmt, err)
			}
		}
		return storageFault{
			set: func() {
				exec(`CREATE FUNCTION refuse_archive() RETURNS trigger LANGUAGE plpgsql AS
					$$ BEGIN RAISE EXCEPTION 'archives of account % refused', NEW.account_id; END $$`)
				exec(`CREATE TRIGGER refuse_archive BEFORE INSERT ON export_archives FOR EACH ROW
					WHEN (NEW.account_id = '` + acctA + `') EXECUTE FUNCTION refuse_archive()`)
			},
			clear: func() { exec(`DROP TRIGGER refuse_archive ON export_archives`) },
			want:  "Export failed: a database error occurred while creating the export archive. Check the database server (its disk space and connections), then start a new export.",
			leftBehind: func(failedIDs []string) {
				t.Helper()
				var n int
				if err := db.QueryRow(q(`SELECT count(*) FROM export_archives WHERE export_id IN (?, ?)`), failedIDs[0], failedIDs[1]).Scan(&n); err != nil || n != 0 {
					t.Errorf("archives of the failed exports left behind: %d (%v)", n, err)
				}
			},
		}
	}
	blocker := filepath.Join(data, "exports", acctA)
	return storageFault{
		set: func() {
			if err := os.MkdirAll(filepath.Dir(blocker), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(blocker, []byte("not a directory"), 0o644); err != nil {
				t.Fatal(err)
			}
		},
		clear: func() {
			if err := os.Remove(blocker); err != nil {
				t.Fatal(err)
			}
		},
		want: "Export failed: not a directory while creating the export directory. Check the server's data volume, then start a new export.",
		leftBehind: func(failedIDs []string) {
			t.Helper()
			filepath.WalkDir(filepath.Join(data, "exports"), func(p string, e os.DirEntry, err error) error {
				if err == nil && (strings.HasPrefix(e.Name(), ".export-") || strings.Contains(p, failedIDs[0]) || strings.Contains(p, failedIDs[1])) {
					t.Errorf("left behind: %s", p)
				}
				return nil
			})
		},
	}
}
