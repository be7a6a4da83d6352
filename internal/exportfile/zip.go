package exportfile

import (
	"archive/zip"
	"encoding/csv"
	"io"
	"time"
)

// File is one member of an export archive. Rows, if not nil, calls yield once
// per data row; it streams, so an archive never holds a whole file in memory.
type File struct {
	Layout Layout
	Rows   func(yield func(row []string) error) error
}

// Extra is a non-CSV member, such as an agent export's results.json.
type Extra struct {
	Name string
	Body []byte
}

// WriteZip writes the archive: one {account}_<Name>.csv per file, with its
// header row first, then the extras named {account}_<Name>. modTime stamps
// every member, so equal inputs give equal bytes.
func WriteZip(w io.Writer, account string, modTime time.Time, files []File, extras []Extra) error {
	zw := zip.NewWriter(w)
	for _, f := range files {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: account + "_" + f.Layout.Name + ".csv", Method: zip.Deflate, Modified: modTime})
		if err != nil {
			return err
		}
		cw := csv.NewWriter(fw)
		if err := cw.Write(f.Layout.Header); err != nil {
			return err
		}
		if f.Rows != nil {
			if err := f.Rows(cw.Write); err != nil {
				return err
			}
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
	}
	for _, e := range extras {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: account + "_" + e.Name, Method: zip.Deflate, Modified: modTime})
		if err != nil {
			return err
		}
		if _, err := fw.Write(e.Body); err != nil {
			return err
		}
	}
	return zw.Close()
}
