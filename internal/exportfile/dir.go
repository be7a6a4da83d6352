// Package exportfile writes export archives: zips of CSV files named
// {accountId}_<Name>.csv, with the cells of the domain's export rows
// (discovery.PerfSample, discovery.Server, ...) in AWS's formats, and keeps
// them on disk under one directory with atomic, fsynced writes (Dir, one
// of the archive stores the worker and the server use).
package exportfile

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"syscall"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// Dir is the export store on disk: Root/{accountId}/{exportId}.zip. It is
// the archive store of one process on its data directory; its methods take
// a context only to match the other archive stores (they do not stop when
// it ends).
type Dir struct {
	Root string
	// FS creates the temporary file and renames it into place; nil means
	// the operating system's (OS). Tests inject storage faults here.
	FS FS
}

// File is the temporary file an export is written to (*os.File is one).
type File interface {
	io.Writer
	Sync() error
	Close() error
	Name() string
}

// FS is what Write needs of a file system: create a temporary file beside
// the final path, and rename it into place.
type FS interface {
	CreateTemp(dir, pattern string) (File, error)
	Rename(oldpath, newpath string) error
}

// OS is the operating system's file system.
type OS struct{}

// CreateTemp is os.CreateTemp.
func (OS) CreateTemp(dir, pattern string) (File, error) { return os.CreateTemp(dir, pattern) }

// Rename is os.Rename.
func (OS) Rename(oldpath, newpath string) error { return os.Rename(oldpath, newpath) }

func (d Dir) fs() FS {
	if d.FS == nil {
		return OS{}
	}
	return d.FS
}

// FileError is a failure of the export store itself while writing an export
// (no space left, I/O error, ...), as opposed to an error of the content
// being rendered. Op is what was being done: "create directory", "create",
// "write", "sync", "close" or "rename". Write returns one for every such
// failure, also when it reaches Write through the render function's writer.
type FileError struct {
	Op  string
	Err error
}

func (e *FileError) Error() string { return e.Op + " export file: " + e.Err.Error() }

func (e *FileError) Unwrap() error { return e.Err }

var (
	accountPattern = regexp.MustCompile(`^[0-9]{12}$`)
	exportPattern  = regexp.MustCompile(`^export-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
)

// ErrBadName is returned for an account or export ID that cannot name a file.
var ErrBadName = errors.New("invalid account or export ID")

// ValidName reports whether account and exportID match the strict patterns
// of IDs (12 digits; export-<lowercase uuid>), which no path can.
func ValidName(account, exportID string) bool {
	return accountPattern.MatchString(account) && exportPattern.MatchString(exportID)
}

// Path returns the file of an export. IDs are checked against strict
// patterns, so no caller-controlled text can leave Root.
func (d Dir) Path(account, exportID string) (string, error) {
	if !ValidName(account, exportID) {
		return "", ErrBadName
	}
	return filepath.Join(d.Root, account, exportID+".zip"), nil
}

// Write renders an export with fn into a temporary file beside its final
// path, syncs it, and renames it into place, so a reader sees either no file
// or the whole file. It returns the size written. On any failure the
// temporary file is removed and nothing is left at the final path; failures
// of the store are *FileError values (errors of the bytes written to fn's
// writer included), fn's own errors are returned as they are.
func (d Dir) Write(_ context.Context, account, exportID string, fn func(io.Writer) error) (int64, error) {
	path, err := d.Path(account, exportID)
	if err != nil {
		return 0, err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, &FileError{Op: "create directory", Err: err}
	}
	fsys := d.fs()
	f, err := fsys.CreateTemp(dir, tempPattern(exportID))
	if err != nil {
		return 0, &FileError{Op: "create", Err: err}
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	cw := &countWriter{w: f}
	bw := bufio.NewWriterSize(cw, 256<<10)
	if err := fn(bw); err != nil {
		return 0, err
	}
	if err := bw.Flush(); err != nil {
		return 0, err // a *FileError from countWriter
	}
	if err := f.Sync(); err != nil {
		return 0, &FileError{Op: "sync", Err: err}
	}
	if err := f.Close(); err != nil {
		return 0, &FileError{Op: "close", Err: err}
	}
	if err := fsys.Rename(tmp, path); err != nil {
		return 0, &FileError{Op: "rename", Err: err}
	}
	ok = true
	syncDir(dir)
	return cw.n, nil
}

// Open opens the archive of an export for reading: discovery.ErrNotFound
// if there is none (or the IDs cannot name one).
func (d Dir) Open(_ context.Context, account, exportID string) (io.ReadSeekCloser, error) {
	path, err := d.Path(account, exportID)
	if err != nil {
		return nil, discovery.ErrNotFound
	}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, discovery.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return f, nil
}

// Remove deletes an export's file; a missing file is not an error.
func (d Dir) Remove(_ context.Context, account, exportID string) error {
	path, err := d.Path(account, exportID)
	if err != nil {
		return err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// tempPattern names the temporary files of an export: ".<exportID>-*.tmp"
// (".export-<uuid>-*.tmp"), so that those of one export can be found.
func tempPattern(exportID string) string { return "." + exportID + "-*.tmp" }

// RemoveTemp removes the temporary files of an export, left by a build that
// was interrupted (its process died). It returns how many it removed.
func (d Dir) RemoveTemp(_ context.Context, account, exportID string) (int, error) {
	path, err := d.Path(account, exportID)
	if err != nil {
		return 0, err
	}
	names, err := filepath.Glob(filepath.Join(filepath.Dir(path), tempPattern(exportID)))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, p := range names {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return n, fmt.Errorf("remove %s: %w", filepath.Base(p), err)
		}
		n++
	}
	return n, nil
}

// RemoveAll deletes every export file (used by the control API's reset).
func (d Dir) RemoveAll(context.Context) error {
	entries, err := os.ReadDir(d.Root)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := removeAll(filepath.Join(d.Root, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// removeAll is os.RemoveAll that tries again when a directory was not empty
// after its entries were removed: an export being written while a reset
// runs (its task is gone, so its file will be too) can create its temporary
// file in between.
func removeAll(path string) error {
	var err error
	for range 5 {
		if err = os.RemoveAll(path); !errors.Is(err, syscall.ENOTEMPTY) {
			return err
		}
	}
	return err
}

func syncDir(dir string) {
	if f, err := os.Open(dir); err == nil {
		f.Sync()
		f.Close()
	}
}

// countWriter counts the bytes written to the temporary file and marks its
// errors as *FileError, so that they stay recognizable after passing through
// the zip and deflate writers.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	if err != nil {
		err = &FileError{Op: "write", Err: err}
	}
	return n, err
}
