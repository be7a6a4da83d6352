package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go/aws"
	ads "github.com/aws/aws-sdk-go/service/applicationdiscoveryservice"
)

// TestFaultExportStorage: a storage error while an export is written (here a
// real one from the OS: the account's export directory cannot be created
// because a file stands in its way) ends that export FAILED with a clear
// statusMessage and no download URL, leaves no file behind, and the server
// goes on serving; once the fault is gone, exports succeed again.
// (Disk full, I/O errors and failing sync/close/rename are injected at the
// worker level: internal/worker/fault_test.go.)
func TestFaultExportStorage(t *testing.T) {
	s := startServer(t, "", "--no-limits")
	c := client(t, s.URL, acctA, "x")
	cb := client(t, s.URL, acctB, "x")

	blocker := filepath.Join(s.Data, "exports", acctA)
	if err := os.MkdirAll(filepath.Dir(blocker), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(blocker, []byte("not a directory"), 0o644); err != nil {
		t.Fatal(err)
	}

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
		const want = "Export failed: not a directory while creating the export directory. Check the server's data volume, then start a new export."
		if aws.StringValue(info.ExportStatus) != ads.ExportStatusFailed || aws.StringValue(info.StatusMessage) != want {
			t.Fatalf("export under a storage fault: %s %q, want FAILED %q", aws.StringValue(info.ExportStatus), aws.StringValue(info.StatusMessage), want)
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

	// Nothing of the failed exports is on disk.
	filepath.WalkDir(filepath.Join(s.Data, "exports"), func(p string, e os.DirEntry, err error) error {
		if err == nil && (strings.HasPrefix(e.Name(), ".export-") || strings.Contains(p, failedIDs[0]) || strings.Contains(p, failedIDs[1])) {
			t.Errorf("left behind: %s", p)
		}
		return nil
	})

	// The fault is gone: A's exports succeed and download.
	if err := os.Remove(blocker); err != nil {
		t.Fatal(err)
	}
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
