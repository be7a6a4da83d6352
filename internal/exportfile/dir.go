// Package exportfile writes export archives: zips of CSV files named
// {accountId}_<Name>.csv, and keeps them on disk under one directory with
// atomic, fsynced writes.
package exportfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Dir is the export store on disk: Root/{accountId}/{exportId}.zip.
type Dir struct {
	Root string
}

var (
	accountPattern = regexp.MustCompile(`^[0-9]{12}$`)
	exportPattern  = regexp.MustCompile(`^export-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
)

// ErrBadName is returned for an account or export ID that cannot name a file.
var ErrBadName = errors.New("invalid account or export ID")

// Path returns the file of an export. IDs are checked against strict
// patterns, so no caller-controlled text can leave Root.
func (d Dir) Path(account, exportID string) (string, error) {
	if !accountPattern.MatchString(account) || !exportPattern.MatchString(exportID) {
		return "", ErrBadName
	}
	return filepath.Join(d.Root, account, exportID+".zip"), nil
}

// Write renders an export with fn into a temporary file beside its final
// path, syncs it, and renames it into place, so a reader sees either no file
// or the whole file. It returns the size written.
func (d Dir) Write(account, exportID string, fn func(io.Writer) error) (int64, error) {
	path, err := d.Path(account, exportID)
	if err != nil {
		return 0, err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	f, err := os.CreateTemp(dir, ".export-*.tmp")
	if err != nil {
		return 0, err
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
		return 0, err
	}
	if err := f.Sync(); err != nil {
		return 0, err
	}
	if err := f.Close(); err != nil {
		return 0, err
	}
	if err := os.Rename(tmp, path); err != nil {
		return 0, err
	}
	ok = true
	syncDir(dir)
	return cw.n, nil
}

// Remove deletes an export's file; a missing file is not an error.
func (d Dir) Remove(account, exportID string) error {
	path, err := d.Path(account, exportID)
	if err != nil {
		return err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// CleanTemp removes temporary files left by a crash mid-write.
func (d Dir) CleanTemp() (int, error) {
	n := 0
	err := filepath.WalkDir(d.Root, func(p string, e os.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil
			}
			return err
		}
		if !e.IsDir() && strings.HasPrefix(e.Name(), ".export-") {
			if err := os.Remove(p); err != nil {
				return fmt.Errorf("remove %s: %w", p, err)
			}
			n++
		}
		return nil
	})
	return n, err
}

// RemoveAll deletes every export file (used by the control API's reset).
func (d Dir) RemoveAll() error {
	entries, err := os.ReadDir(d.Root)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(d.Root, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

func syncDir(dir string) {
	if f, err := os.Open(dir); err == nil {
		f.Sync()
		f.Close()
	}
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
