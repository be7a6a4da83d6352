package exportfile

import (
	"archive/zip"
	"bufio"
	"io"
	"time"
)

// Archive writes an export zip member by member. CSV members are streamed
// row by row through a small buffer into the deflater, so an archive never
// holds a whole file in memory.
type Archive struct {
	zw       *zip.Writer
	account  string
	modTime  time.Time
	csvBytes int64
	bw       *bufio.Writer
}

// NewArchive starts an archive of the account's export on w. modTime stamps
// every member, so equal inputs give equal bytes.
func NewArchive(w io.Writer, account string, modTime time.Time) *Archive {
	return &Archive{zw: zip.NewWriter(w), account: account, modTime: modTime, bw: bufio.NewWriterSize(nil, 64<<10)}
}

func (a *Archive) create(name string) (io.Writer, error) {
	return a.zw.CreateHeader(&zip.FileHeader{Name: a.account + "_" + name, Method: zip.Deflate, Modified: a.modTime})
}

// CSV writes the member {account}_<Name>.csv: the layout's header row, then
// the rows fn writes. It returns the member's uncompressed size and its
// number of data rows.
func (a *Archive) CSV(l Layout, fn func(*CSVWriter) error) (bytes, rows int64, err error) {
	fw, err := a.create(l.Name + ".csv")
	if err != nil {
		return 0, 0, err
	}
	a.bw.Reset(fw)
	cw := &CSVWriter{w: a.bw, buf: make([]byte, 0, 1024)}
	if err := cw.write(l.Header); err != nil {
		return 0, 0, err
	}
	if fn != nil {
		if err := fn(cw); err != nil {
			return cw.bytes, cw.rows, err
		}
	}
	if err := a.bw.Flush(); err != nil {
		return cw.bytes, cw.rows, err
	}
	a.csvBytes += cw.bytes
	return cw.bytes, cw.rows, nil
}

// Member writes a non-CSV member {account}_<name>, such as results.json.
func (a *Archive) Member(name string, body []byte) error {
	fw, err := a.create(name)
	if err != nil {
		return err
	}
	_, err = fw.Write(body)
	return err
}

// CSVBytes is the uncompressed size of the CSV members written so far.
func (a *Archive) CSVBytes() int64 { return a.csvBytes }

// Close finishes the archive (it does not close the underlying writer).
func (a *Archive) Close() error { return a.zw.Close() }

// CSVWriter writes the data rows of one CSV member.
type CSVWriter struct {
	w     io.Writer
	buf   []byte
	bytes int64
	rows  int64
}

// Encode encodes one row into the writer's scratch buffer and returns its
// size in bytes, without writing it; WriteEncoded writes it. Callers that
// enforce a size limit use the pair to stop at a clean row boundary.
func (c *CSVWriter) Encode(fields []string) int {
	c.buf = AppendRow(c.buf[:0], fields)
	return len(c.buf)
}

// WriteEncoded writes the row last encoded by Encode.
func (c *CSVWriter) WriteEncoded() error {
	n, err := c.w.Write(c.buf)
	c.bytes += int64(n)
	if err == nil {
		c.rows++
	}
	return err
}

// Write writes one data row.
func (c *CSVWriter) Write(fields []string) error {
	c.Encode(fields)
	return c.WriteEncoded()
}

func (c *CSVWriter) write(fields []string) error {
	c.buf = AppendRow(c.buf[:0], fields)
	n, err := c.w.Write(c.buf)
	c.bytes += int64(n)
	return err
}

// Bytes is the member's size so far, header included.
func (c *CSVWriter) Bytes() int64 { return c.bytes }

// Rows is the number of data rows written so far.
func (c *CSVWriter) Rows() int64 { return c.rows }
