package imports

import (
	"archive/zip"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/faults"
	"github.com/poseidon-ads/poseidon/internal/queue"
)

// An injected import failure ends the task IMPORT_FAILED without reading
// its file (there is none here), the reason in its errors zip; the next
// task is not failed.
func TestInjectedImportFailure(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	svc := &Service{Store: db, Now: time.Now, Data: t.TempDir(), Faults: &faults.Injector{Store: db, Now: time.Now}}
	r := &queue.Runner{Store: db, Now: time.Now, Owner: "t", Kinds: map[discovery.JobKind]queue.Kind{discovery.JobImport: {Handler: svc}}}
	if _, err := db.UpdateControl(ctx, func(c *discovery.Control) {
		c.Faults.FailImports = &discovery.TaskFailure{Remaining: 1, Message: "injected import failure", Account: "111111111111"}
	}); err != nil {
		t.Fatal(err)
	}
	run := func(id string) *discovery.ImportTask {
		task := &discovery.ImportTask{AccountID: "111111111111", ID: id, ClientToken: id, Name: id, URL: "s3://missing/k.csv",
			Status: discovery.ImportInProgress, RequestMS: time.Now().UnixMilli()}
		if _, _, err := db.CreateImportTask(ctx, task); err != nil {
			t.Fatal(err)
		}
		if ran, err := r.Step(ctx); !ran || err != nil {
			t.Fatalf("step: %v %v", ran, err)
		}
		got, err := db.ImportTask(ctx, task.AccountID, id)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	zipText := func(id string) string {
		zr, err := zip.OpenReader(svc.ErrorsZipPath("111111111111", id))
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		var b strings.Builder
		for _, f := range zr.File {
			rc, _ := f.Open()
			io.Copy(&b, rc)
			rc.Close()
		}
		return b.String()
	}
	first := run(NewID())
	if first.Status != discovery.ImportFailed || !first.HasErrorsZip || first.ServerSuccess != 0 {
		t.Fatalf("injected failure: %+v", first)
	}
	if txt := zipText(first.ID); !strings.Contains(txt, "injected import failure") {
		t.Fatalf("errors zip: %q", txt)
	}
	// The next one fails for its own reason: its file is missing.
	second := run(NewID())
	if txt := zipText(second.ID); strings.Contains(txt, "injected") || !strings.Contains(txt, "could not be read") {
		t.Fatalf("the next task's errors zip: %q", txt)
	}
}
