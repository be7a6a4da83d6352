package exportfile

import (
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// fullFS is the OS file system on a disk that fills up after limit bytes.
type fullFS struct {
	limit   int64
	written int64
	temp    string
}

func (fs *fullFS) CreateTemp(dir, pattern string) (File, error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	fs.temp = f.Name()
	return &fullFile{File: f, fs: fs}, nil
}

func (fs *fullFS) Rename(oldpath, newpath string) error { return os.Rename(oldpath, newpath) }

type fullFile struct {
	*os.File
	fs *fullFS
}

func (f *fullFile) Write(p []byte) (int, error) {
	room := max(0, min(int64(len(p)), f.fs.limit-f.fs.written))
	f.fs.written += room
	n, err := f.File.Write(p[:room])
	if err == nil && n < len(p) {
		err = &os.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
	}
	return n, err
}

// A disk that fills up in the middle of a big archive: the error reaches
// Write through the CSV pipe, the deflater and the zip writer as a
// *FileError wrapping ENOSPC, and nothing is left on disk.
func TestFaultDiskFullMidArchive(t *testing.T) {
	const id = "export-0c4f2dd1-fee2-4c6c-8a1b-0123456789ab"
	fs := &fullFS{limit: 300 << 10}
	d := Dir{Root: t.TempDir(), FS: fs}
	rng := rand.New(rand.NewPCG(1, 2))
	raw := make([]byte, 48)
	layout := Layout{Name: "Noise", Header: []string{"a", "b"}}
	var renderErr error
	_, err := d.Write(t.Context(), "123456789012", id, func(w io.Writer) error {
		a := NewArchive(w, "123456789012", time.Unix(0, 0))
		// About 2 MB of incompressible rows, far past the buffers.
		_, _, renderErr = a.CSV(layout, func(cw *CSVWriter) error {
			for range 20000 {
				for i := range raw {
					raw[i] = byte(rng.Uint32())
				}
				if err := cw.Write([]string{hex.EncodeToString(raw[:24]), hex.EncodeToString(raw[24:])}); err != nil {
					return err
				}
			}
			return nil
		})
		if renderErr != nil {
			return renderErr
		}
		return a.Close()
	})
	var fe *FileError
	if !errors.As(err, &fe) || fe.Op != "write" || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Write() = %v, want a write *FileError wrapping ENOSPC", err)
	}
	if renderErr == nil {
		t.Fatal("the full disk was only noticed after rendering: the archive did not stream")
	}
	if fs.written != fs.limit {
		t.Fatalf("wrote %d bytes, the disk holds %d", fs.written, fs.limit)
	}
	if _, err := os.Stat(fs.temp); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("temporary file %s left behind (%v)", fs.temp, err)
	}
	entries, _ := os.ReadDir(filepath.Join(d.Root, "123456789012"))
	if len(entries) != 0 {
		t.Fatalf("a failed write left %v", entries)
	}
}

// Errors of the render function itself stay as they are (not *FileError).
func TestFaultRenderErrorIsNotFileError(t *testing.T) {
	d := Dir{Root: t.TempDir()}
	boom := errors.New("store read failed")
	_, err := d.Write(t.Context(), "123456789012", "export-0c4f2dd1-fee2-4c6c-8a1b-0123456789ab", func(io.Writer) error { return boom })
	var fe *FileError
	if err != boom || errors.As(err, &fe) {
		t.Fatalf("Write() = %#v, want the render error itself", err)
	}
}
