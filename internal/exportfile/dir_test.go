package exportfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPathRejectsForeignNames(t *testing.T) {
	d := Dir{Root: t.TempDir()}
	const good = "export-0c4f2dd1-fee2-4c6c-8a1b-0123456789ab"
	if p, err := d.Path("123456789012", good); err != nil || !strings.HasPrefix(p, d.Root) {
		t.Fatalf("Path(good) = %q, %v", p, err)
	}
	for _, tc := range [][2]string{
		{"../../etc", good},
		{"123456789012", "../poseidon"},
		{"123456789012", good + "/../x"},
		{"12345678901", good},
		{"123456789012", "export-0C4F2DD1-FEE2-4C6C-8A1B-0123456789AB"},
		{"123456789012", ""},
		{"123456789012", good + "\x00"},
	} {
		if _, err := d.Path(tc[0], tc[1]); !errors.Is(err, ErrBadName) {
			t.Errorf("Path(%q, %q) = %v, want ErrBadName", tc[0], tc[1], err)
		}
	}
}

func TestWriteIsAtomic(t *testing.T) {
	d := Dir{Root: t.TempDir()}
	const id = "export-0c4f2dd1-fee2-4c6c-8a1b-0123456789ab"
	boom := errors.New("disk full")
	if _, err := d.Write(t.Context(), "123456789012", id, func(w io.Writer) error {
		w.Write([]byte("partial"))
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("Write() = %v", err)
	}
	entries, _ := os.ReadDir(filepath.Join(d.Root, "123456789012"))
	if len(entries) != 0 {
		t.Fatalf("a failed write left %v", entries)
	}
	n, err := d.Write(t.Context(), "123456789012", id, func(w io.Writer) error { _, err := w.Write([]byte("whole")); return err })
	if err != nil || n != 5 {
		t.Fatalf("Write() = %d, %v", n, err)
	}
	p, _ := d.Path("123456789012", id)
	if b, _ := os.ReadFile(p); string(b) != "whole" {
		t.Fatalf("file = %q", b)
	}
	if err := d.Remove(t.Context(), "123456789012", id); err != nil {
		t.Fatal(err)
	}
	if err := d.Remove(t.Context(), "123456789012", id); err != nil {
		t.Fatalf("second Remove = %v", err)
	}
}
