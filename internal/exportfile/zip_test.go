package exportfile

import (
	"archive/zip"
	"bytes"
	"io"
	"strings"
	"testing"
	"time"
)

func TestArchive(t *testing.T) {
	var buf bytes.Buffer
	mod := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	a := NewArchive(&buf, "123456789012", mod)
	l1 := Layout{Name: "one", Header: []string{"a", "b"}}
	l2 := Layout{Name: "two", Header: []string{"c"}}
	n1, rows1, err := a.CSV(l1, func(w *CSVWriter) error {
		if err := w.Write([]string{"1", "x,y"}); err != nil {
			return err
		}
		if n := w.Encode([]string{"2", "z"}); n != 4 {
			t.Errorf("Encode = %d, want 4", n)
		}
		if w.Rows() != 1 || w.Bytes() != int64(len("a,b\n1,\"x,y\"\n")) {
			t.Errorf("before WriteEncoded: rows %d bytes %d", w.Rows(), w.Bytes())
		}
		return w.WriteEncoded()
	})
	if err != nil || rows1 != 2 || n1 != int64(len("a,b\n1,\"x,y\"\n2,z\n")) {
		t.Fatalf("CSV one: %d bytes, %d rows, %v", n1, rows1, err)
	}
	n2, rows2, err := a.CSV(l2, nil)
	if err != nil || rows2 != 0 || n2 != 2 {
		t.Fatalf("CSV two: %d bytes, %d rows, %v", n2, rows2, err)
	}
	if a.CSVBytes() != n1+n2 {
		t.Fatalf("CSVBytes = %d, want %d", a.CSVBytes(), n1+n2)
	}
	if err := a.Member("results.json", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	bodies := map[string]string{}
	for _, f := range zr.File {
		names = append(names, f.Name)
		if !f.Modified.Equal(mod) || f.Method != zip.Deflate {
			t.Errorf("%s: modified %v method %d", f.Name, f.Modified, f.Method)
		}
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		bodies[f.Name] = string(b)
	}
	if got := strings.Join(names, " "); got != "123456789012_one.csv 123456789012_two.csv 123456789012_results.json" {
		t.Fatalf("members = %s", got)
	}
	if bodies["123456789012_one.csv"] != "a,b\n1,\"x,y\"\n2,z\n" || bodies["123456789012_two.csv"] != "c\n" {
		t.Fatalf("bodies = %q", bodies)
	}

	// Equal inputs give equal bytes.
	var again bytes.Buffer
	b := NewArchive(&again, "123456789012", mod)
	b.CSV(l1, func(w *CSVWriter) error { w.Write([]string{"1", "x,y"}); return w.Write([]string{"2", "z"}) })
	b.CSV(l2, nil)
	b.Member("results.json", []byte(`{}`))
	b.Close()
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Fatal("the same archive written twice differs")
	}
}

// A row source's error stops the member and comes back unchanged.
func TestArchiveRowError(t *testing.T) {
	a := NewArchive(io.Discard, "123456789012", time.Time{})
	boom := io.ErrUnexpectedEOF
	if _, _, err := a.CSV(Layout{Name: "x", Header: []string{"h"}}, func(*CSVWriter) error { return boom }); err != boom {
		t.Fatalf("err = %v", err)
	}
}
