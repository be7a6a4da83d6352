package worker_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/exportfile"
)

// faultFS is the operating system's file system with one injected fault:
// the temporary file's writes fail with writeErr once limit bytes went
// through (limit < 0: never), or creating, syncing, closing or renaming it
// fails with the error set for that step.
type faultFS struct {
	mu        sync.Mutex
	limit     int64
	writeErr  error
	createErr error
	syncErr   error
	closeErr  error
	renameErr error
	written   int64
	created   []string
}

func (fs *faultFS) CreateTemp(dir, pattern string) (exportfile.File, error) {
	if fs.createErr != nil {
		return nil, &os.PathError{Op: "open", Path: filepath.Join(dir, pattern), Err: fs.createErr}
	}
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	fs.mu.Lock()
	fs.created = append(fs.created, f.Name())
	fs.mu.Unlock()
	return &faultFile{File: f, fs: fs}, nil
}

func (fs *faultFS) Rename(oldpath, newpath string) error {
	if fs.renameErr != nil {
		return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: fs.renameErr}
	}
	return os.Rename(oldpath, newpath)
}

type faultFile struct {
	*os.File
	fs *faultFS
}

// Write writes what fits under the limit, then fails like a full disk: a
// short write with *os.PathError.
func (f *faultFile) Write(p []byte) (int, error) {
	f.fs.mu.Lock()
	limit, room := f.fs.limit, int64(len(p))
	if limit >= 0 {
		room = max(0, min(room, limit-f.fs.written))
	}
	f.fs.written += room
	f.fs.mu.Unlock()
	n, err := f.File.Write(p[:room])
	if err == nil && int64(n) < int64(len(p)) {
		err = &os.PathError{Op: "write", Path: f.Name(), Err: f.fs.writeErr}
	}
	return n, err
}

func (f *faultFile) Sync() error {
	if f.fs.syncErr != nil {
		return &os.PathError{Op: "sync", Path: f.Name(), Err: f.fs.syncErr}
	}
	return f.File.Sync()
}

func (f *faultFile) Close() error {
	err := f.File.Close()
	if f.fs.closeErr != nil {
		return &os.PathError{Op: "close", Path: f.Name(), Err: f.fs.closeErr}
	}
	return err
}

// assertNoFiles fails if anything of the export is on disk: no archive at
// its final path, no temporary file in the account's directory.
func assertNoFiles(t *testing.T, f *fixture, fs *faultFS, id string) {
	t.Helper()
	if path, _ := f.files.Path(acct, id); fileExists(path) {
		t.Fatalf("a failed export left its archive at %s", path)
	}
	entries, _ := os.ReadDir(filepath.Join(f.files.Root, acct))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".export-") || strings.Contains(e.Name(), id) {
			t.Fatalf("a failed export left %s", e.Name())
		}
	}
	for _, p := range fs.created {
		if fileExists(p) {
			t.Fatalf("temporary file %s left behind", p)
		}
	}
}

func TestFaultExportFails(t *testing.T) {
	f := newFixture(t)
	now := f.clock.Now()
	// Enough agent data that an agent archive is far bigger than the
	// smallest byte limits below.
	f.seedAgent(t, acct, "o-fault", now.Add(-24*time.Hour), now, 15*time.Minute)

	const (
		enospc = "Export failed: no space left on device while writing the export file. Free space on the server's data volume, then start a new export."
	)
	cases := []struct {
		name string
		kind discovery.ExportKind
		fs   *faultFS
		want string
	}{
		{"summary ENOSPC at first byte", discovery.KindSummary, &faultFS{limit: 0, writeErr: syscall.ENOSPC}, enospc},
		{"summary ENOSPC after 100 bytes", discovery.KindSummary, &faultFS{limit: 100, writeErr: syscall.ENOSPC}, enospc},
		{"agent ENOSPC after 1000 bytes", discovery.KindAgent, &faultFS{limit: 1000, writeErr: syscall.ENOSPC}, enospc},
		{"ec2 ENOSPC after 10 bytes", discovery.KindEC2, &faultFS{limit: 10, writeErr: syscall.ENOSPC}, enospc},
		{"quota exceeded", discovery.KindSummary, &faultFS{limit: 500, writeErr: syscall.EDQUOT},
			"Export failed: disk quota exceeded while writing the export file. Free space on the server's data volume, then start a new export."},
		{"I/O error on write", discovery.KindAgent, &faultFS{limit: 0, writeErr: syscall.EIO},
			"Export failed: input/output error while writing the export file. Check the server's data volume, then start a new export."},
		{"create fails read-only", discovery.KindSummary, &faultFS{limit: -1, createErr: syscall.EROFS},
			"Export failed: read-only file system while creating the export file. Make the server's data directory writable, then start a new export."},
		{"sync fails", discovery.KindSummary, &faultFS{limit: -1, syncErr: syscall.EIO},
			"Export failed: input/output error while flushing the export file to disk. Check the server's data volume, then start a new export."},
		{"close fails ENOSPC", discovery.KindAgent, &faultFS{limit: -1, closeErr: syscall.ENOSPC},
			"Export failed: no space left on device while closing the export file. Free space on the server's data volume, then start a new export."},
		{"rename fails", discovery.KindSummary, &faultFS{limit: -1, renameErr: syscall.EXDEV},
			"Export failed: invalid cross-device link while moving the export file into place. Check the server's data volume, then start a new export."},
		{"rename fails, not an errno", discovery.KindSummary, &faultFS{limit: -1, renameErr: errors.New("device went away")},
			"Export failed: device went away while moving the export file into place. Check the server's data volume, then start a new export."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fs := tc.fs
			f.w.Files = exportfile.Dir{Root: f.files.Root, FS: fs}
			task := discovery.ExportTask{Kind: tc.kind}
			if tc.kind == discovery.KindAgent {
				task.AgentID = "o-fault"
			}
			if tc.kind == discovery.KindEC2 {
				prefs := discovery.DefaultEC2Preferences()
				task.EC2 = &prefs
			}
			added := f.add(t, task)
			f.drain(t)
			got := f.get(t, added.ID)
			if got.Status != discovery.ExportFailed || got.Message != tc.want {
				t.Fatalf("status %s, message %q; want FAILED %q", got.Status, got.Message, tc.want)
			}
			if got.FileSize != 0 {
				t.Fatalf("failed export records a file size of %d", got.FileSize)
			}
			if strings.Contains(got.Message, f.dir) || strings.Contains(got.Message, ".export-") {
				t.Fatalf("message leaks a server path: %q", got.Message)
			}
			if len(fs.created) == 0 && fs.createErr == nil {
				t.Fatal("the fault file system was not used")
			}
			assertNoFiles(t, f, fs, added.ID)

			// The fault is gone: the same kind of export succeeds.
			f.w.Files = f.files
			again := f.add(t, task)
			f.drain(t)
			ok := f.get(t, again.ID)
			if ok.Status != discovery.ExportSucceeded || ok.FileSize == 0 {
				t.Fatalf("after the fault: %s %q", ok.Status, ok.Message)
			}
			if path, _ := f.files.Path(acct, again.ID); !fileExists(path) {
				t.Fatal("no archive after the fault was gone")
			}
		})
	}
}
