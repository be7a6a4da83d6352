package worker_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/exportfile"
	"github.com/poseidon-ads/poseidon/internal/exportfile/archivetest"
	"github.com/poseidon-ads/poseidon/internal/postgres/pgtest"
	"github.com/poseidon-ads/poseidon/internal/worker"
)

// archiveStores open each archive store the worker writes to, beside the
// fixture's SQLite task store: the files of a directory, and the PostgreSQL
// store's archives (which skip when the test server is unreachable, unless
// CI=true).
var archiveStores = []struct {
	name string
	open func(t *testing.T, f *fixture) archivetest.Store
}{
	{"dir", func(t *testing.T, f *fixture) archivetest.Store { return f.files }},
	{"postgres", func(t *testing.T, f *fixture) archivetest.Store { return pgtest.Open(t).Archives() }},
}

// readArchive returns the members of an export's archive, and its size.
func readArchive(t *testing.T, s archivetest.Store, id string) (map[string]bool, int64) {
	t.Helper()
	r, err := s.Open(t.Context(), acct, id)
	if err != nil {
		t.Fatalf("Open(%s): %v", id, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("archive of %s: %v", id, err)
	}
	names := map[string]bool{}
	for _, m := range zr.File {
		names[m.Name] = true
	}
	return names, int64(len(b))
}

// On each archive store, the worker builds an export into an archive of
// the recorded size; a build that takes over an export whose owner died
// while writing removes that write's unfinished archive (which then fails
// to complete) and writes its own; the janitor deletes the archive once
// its retention ends.
func TestArchiveStores(t *testing.T) {
	for _, store := range archiveStores {
		t.Run(store.name, func(t *testing.T) {
			f := newFixture(t)
			s := store.open(t, f)
			f.w.Files = s
			ctx := t.Context()

			task := f.add(t, discovery.ExportTask{})
			f.drain(t)
			got := f.get(t, task.ID)
			if got.Status != discovery.ExportSucceeded {
				t.Fatalf("export: %s %q", got.Status, got.Message)
			}
			if names, size := readArchive(t, s, task.ID); len(names) != len(exportfile.SummaryLayouts) || size != got.FileSize {
				t.Fatalf("archive: %d members, %d bytes; want %d members, the %d bytes recorded", len(names), size, len(exportfile.SummaryLayouts), got.FileSize)
			}

			// An owner claims an export, starts writing, and stops
			// answering; its lease passes.
			taken := f.add(t, discovery.ExportTask{})
			now := f.clock.Now()
			if j, err := f.db.Claim(ctx, "dead", []discovery.JobKind{discovery.JobExport}, now, now.Add(time.Minute)); err != nil || j == nil || j.Ref != taken.ID {
				t.Fatalf("claim: %v %v", j, err)
			}
			paused, resume, done := make(chan struct{}), make(chan struct{}), make(chan error)
			go func() {
				_, err := s.Write(ctx, acct, taken.ID, func(w io.Writer) error {
					w.Write(bytes.Repeat([]byte("partial!"), 3<<17)) // 3 MiB
					close(paused)
					<-resume
					_, err := w.Write(bytes.Repeat([]byte("late"), 1<<18))
					return err
				})
				done <- err
			}()
			<-paused
			f.clock.Advance(time.Minute + time.Second)
			f.drain(t)
			close(resume)
			var fe *exportfile.FileError
			var ae *discovery.ArchiveError
			if err := <-done; !errors.As(err, &fe) && !errors.As(err, &ae) {
				t.Fatalf("the dead owner's write, its archive removed, returned %v; want a store error", err)
			}
			got = f.get(t, taken.ID)
			if got.Status != discovery.ExportSucceeded {
				t.Fatalf("taken-over export: %s %q", got.Status, got.Message)
			}
			if names, size := readArchive(t, s, taken.ID); len(names) != len(exportfile.SummaryLayouts) || size != got.FileSize {
				t.Fatalf("taken-over archive: %d members, %d bytes; want the %d bytes recorded", len(names), size, got.FileSize)
			}
			if n, err := s.RemoveTemp(ctx, acct, taken.ID); err != nil || n != 0 {
				t.Fatalf("RemoveTemp after the take-over = %d, %v; want nothing left", n, err)
			}

			j := &worker.Janitor{Store: f.db, Files: s, Now: f.clock.Now}
			f.clock.Advance(discovery.Retention)
			if n, err := j.Sweep(ctx); err != nil || n != 2 {
				t.Fatalf("sweep after retention: %d, %v", n, err)
			}
			for _, id := range []string{task.ID, taken.ID} {
				if _, err := s.Open(ctx, acct, id); !errors.Is(err, discovery.ErrNotFound) {
					t.Fatalf("Open of an expired export's archive = %v, want discovery.ErrNotFound", err)
				}
			}
		})
	}
}

// A database that refuses an archive's write ends the export FAILED with
// the step and where to look, and leaves no archive; once the fault is
// gone, the same export kind succeeds.
func TestFaultDatabaseArchiveStore(t *testing.T) {
	db := pgtest.Open(t)
	f := newFixture(t)
	s := db.Archives()
	f.w.Files = s
	db.Exec(t, `ALTER TABLE export_archive_chunks ADD CONSTRAINT fault CHECK (seq < 0)`)
	task := f.add(t, discovery.ExportTask{})
	f.drain(t)
	got := f.get(t, task.ID)
	const want = "Export failed: a database error occurred while writing the export archive. Check the database server (its disk space and connections), then start a new export."
	if got.Status != discovery.ExportFailed || got.Message != want || got.FileSize != 0 {
		t.Fatalf("export: %s %q (%d bytes); want FAILED %q", got.Status, got.Message, got.FileSize, want)
	}
	if n := db.Count(t, `SELECT count(*) FROM export_archives`); n != 0 {
		t.Fatalf("the failed export left %d archives", n)
	}
	db.Exec(t, `ALTER TABLE export_archive_chunks DROP CONSTRAINT fault`)
	again := f.add(t, discovery.ExportTask{})
	f.drain(t)
	if got := f.get(t, again.ID); got.Status != discovery.ExportSucceeded {
		t.Fatalf("after the fault: %s %q", got.Status, got.Message)
	}
	readArchive(t, s, again.ID)
}
