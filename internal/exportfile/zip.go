package exportfile

import (
	"archive/zip"
	"io"
	"sync"
	"time"
)

// Archive writes an export zip member by member. CSV members are streamed
// row by row through a few small buffers into the deflater, so an archive
// never holds a whole file in memory. Rows are encoded on the caller's
// goroutine while another compresses the previous buffers (see pipe): reading
// the store and deflating overlap.
type Archive struct {
	zw       *zip.Writer
	account  string
	modTime  time.Time
	csvBytes int64
}

// NewArchive starts an archive of the account's export on w. modTime stamps
// every member, so equal inputs give equal bytes.
func NewArchive(w io.Writer, account string, modTime time.Time) *Archive {
	return &Archive{zw: zip.NewWriter(w), account: account, modTime: modTime}
}

func (a *Archive) create(name string) (io.Writer, error) {
	return a.createRoot(a.account + "_" + name)
}

// createRoot starts the member name, exactly as given.
func (a *Archive) createRoot(name string) (io.Writer, error) {
	return a.zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: a.modTime})
}

// CSV writes the member {account}_<Name>.csv: the layout's header row, then
// the rows fn writes. It returns the member's uncompressed size and its
// number of data rows.
func (a *Archive) CSV(l Layout, fn func(*CSVWriter) error) (bytes, rows int64, err error) {
	return a.csv(a.account+"_"+l.Name+".csv", l, fn)
}

// RootCSV writes the member <Name>.csv, without the account prefix, as CSV
// does.
func (a *Archive) RootCSV(l Layout, fn func(*CSVWriter) error) (bytes, rows int64, err error) {
	return a.csv(l.Name+".csv", l, fn)
}

func (a *Archive) csv(member string, l Layout, fn func(*CSVWriter) error) (bytes, rows int64, err error) {
	fw, err := a.createRoot(member)
	if err != nil {
		return 0, 0, err
	}
	p := newPipe(fw)
	cw := &CSVWriter{w: p, buf: make([]byte, 0, 1024)}
	err = cw.write(l.Header)
	if err == nil && fn != nil {
		err = fn(cw)
	}
	if err != nil {
		p.close(false)
		return cw.bytes, cw.rows, err
	}
	if err := p.close(true); err != nil {
		return cw.bytes, cw.rows, err
	}
	a.csvBytes += cw.bytes
	return cw.bytes, cw.rows, nil
}

// pipeChunk is the size of the buffers a pipe hands to its compressor, and
// pipeBuffers how many it uses: one filling, one queued, one compressing.
const (
	pipeChunk   = 64 << 10
	pipeBuffers = 3
)

var pipeBufs = sync.Pool{New: func() any { b := make([]byte, 0, pipeChunk+4096); return &b }}

// pipe buffers a member's bytes and compresses them on a goroutine of its
// own, so that encoding the next rows and deflating the previous ones run at
// the same time. Bytes reach the deflater in order and in full buffers, so
// the member is byte for byte what a direct write would give. At most
// pipeBuffers buffers exist at a time.
type pipe struct {
	cur  []byte
	work chan []byte // full buffers, in order, to the compressor
	free chan []byte // buffers back from the compressor
	done chan struct{}
	mu   sync.Mutex
	err  error // the compressor's first write error
}

func newPipe(w io.Writer) *pipe {
	p := &pipe{work: make(chan []byte, pipeBuffers), free: make(chan []byte, pipeBuffers), done: make(chan struct{})}
	p.cur = (*pipeBufs.Get().(*[]byte))[:0]
	for range pipeBuffers - 1 {
		p.free <- (*pipeBufs.Get().(*[]byte))[:0]
	}
	go func() {
		defer close(p.done)
		failed := false
		for b := range p.work {
			if !failed {
				if _, err := w.Write(b); err != nil {
					p.mu.Lock()
					p.err, failed = err, true
					p.mu.Unlock()
				}
			}
			p.free <- b[:0]
		}
	}()
	return p
}

func (p *pipe) failure() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// Write buffers b; a full buffer goes to the compressor. An error of the
// compressor is returned by the next Write that hands a buffer over, and by
// close.
func (p *pipe) Write(b []byte) (int, error) {
	p.cur = append(p.cur, b...)
	if len(p.cur) >= pipeChunk {
		p.work <- p.cur
		p.cur = <-p.free
		if err := p.failure(); err != nil {
			return len(b), err
		}
	}
	return len(b), nil
}

// close hands over the last bytes (if flush), waits for the compressor and
// returns its error. The buffers go back to the pool.
func (p *pipe) close(flush bool) error {
	if flush && len(p.cur) > 0 {
		p.work <- p.cur
		p.cur = <-p.free
	}
	close(p.work)
	<-p.done
	bufs := []*[]byte{&p.cur}
	for range len(p.free) {
		b := <-p.free
		bufs = append(bufs, &b)
	}
	for _, b := range bufs {
		pipeBufs.Put(b)
	}
	return p.failure()
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
func (c *CSVWriter) WriteEncoded() error { return c.WriteLine(c.buf) }

// WriteLine writes one data row encoded by a Line (or AppendRow).
func (c *CSVWriter) WriteLine(line []byte) error {
	n, err := c.w.Write(line)
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
