// Package archivetest is the conformance suite of the export archive
// stores: what the worker (worker.Archives) and the server (server.Archives)
// need of the store of export archives, run against each implementation
// (exportfile.Dir on disk, the PostgreSQL store's archives) in its tests,
// with stores that share one place as processes or replicas do (Run), and a
// benchmark of the memory a large archive costs (Bench).
package archivetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/exportfile"
	"github.com/poseidon-ads/poseidon/internal/server"
	"github.com/poseidon-ads/poseidon/internal/worker"
)

// Store is an archive store: what the worker writes and removes with, and
// what the server serves downloads from and resets.
type Store interface {
	worker.Archives
	server.Archives
}

// Open returns n archive stores on one new, empty place (a directory, a
// database), each with resources of its own (connections), as n processes
// or replicas sharing it have; the test's cleanup closes them.
type Open func(t *testing.T, n int) []Store

// Run runs the suite, each test in a subtest on stores of its own.
func Run(t *testing.T, open Open) {
	for _, c := range []struct {
		name string
		fn   func(*testing.T, Open)
	}{
		{"ReadBackOnEveryStore", testReadBack},
		{"EmptyArchive", testEmpty},
		{"FailedWriteLeavesNothing", testFailedWrite},
		{"InvisibleUntilWritten", testInvisibleUntilWritten},
		{"RewriteReplaces", testRewrite},
		{"SeekAndRead", testSeek},
		{"RangeRequests", testRanges},
		{"Remove", testRemove},
		{"RemoveTempDuringWrite", testRemoveTempDuringWrite},
		{"ResetAccountAndAll", testReset},
		{"AccountIsolation", testAccountIsolation},
		{"ConcurrentWriters", testConcurrentWriters},
		{"BoundedMemory", testBoundedMemory},
	} {
		t.Run(c.name, func(t *testing.T) { c.fn(t, open) })
	}
}

const (
	acctA = "111111111111"
	acctB = "222222222222"
	mib   = 1 << 20
)

func newID() string { return "export-" + uuid.NewString() }

// payload returns n pseudo-random (incompressible) bytes of seed.
func payload(seed uint64, n int) []byte {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), byte(seed >> 16)}).Read(b)
	return b
}

// write stores data as an export's archive, in writes of odd sizes that
// straddle any chunk boundary.
func write(t *testing.T, s Store, account, id string, data []byte) {
	t.Helper()
	n, err := s.Write(t.Context(), account, id, func(w io.Writer) error {
		return writePieces(w, data)
	})
	if err != nil {
		t.Fatalf("Write(%s): %v", id, err)
	}
	if n != int64(len(data)) {
		t.Fatalf("Write(%s) = %d bytes, wrote %d", id, n, len(data))
	}
}

func writePieces(w io.Writer, data []byte) error {
	for piece := 1; len(data) > 0; piece = piece*7%(300<<10) + 1 {
		k := min(piece, len(data))
		if _, err := w.Write(data[:k]); err != nil {
			return err
		}
		data = data[k:]
	}
	return nil
}

// read returns an export's archive.
func read(t *testing.T, s Store, account, id string) []byte {
	t.Helper()
	r, err := s.Open(t.Context(), account, id)
	if err != nil {
		t.Fatalf("Open(%s, %s): %v", account, id, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read %s: %v", id, err)
	}
	return b
}

// equal fails unless an export's archive is want.
func equal(t *testing.T, s Store, account, id string, want []byte) {
	t.Helper()
	if got := read(t, s, account, id); !bytes.Equal(got, want) {
		t.Fatalf("archive %s/%s: %d bytes differ from the %d written (first difference at %d)", account, id, len(got), len(want), firstDiff(got, want))
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// gone fails unless the export has no archive.
func gone(t *testing.T, s Store, account, id string) {
	t.Helper()
	r, err := s.Open(t.Context(), account, id)
	if err == nil {
		b, _ := io.ReadAll(r)
		r.Close()
		t.Fatalf("Open(%s, %s) found %d bytes, want discovery.ErrNotFound", account, id, len(b))
	}
	if !errors.Is(err, discovery.ErrNotFound) {
		t.Fatalf("Open(%s, %s) = %v, want discovery.ErrNotFound", account, id, err)
	}
}

// storeError reports whether err is a failure of the store itself.
func storeError(err error) bool {
	var fe *exportfile.FileError
	var ae *discovery.ArchiveError
	return errors.As(err, &fe) || errors.As(err, &ae)
}

// A multi-chunk archive written through one store reads back whole, and
// the same, through every store: a replica serves what another wrote.
func testReadBack(t *testing.T, open Open) {
	stores := open(t, 2)
	id := newID()
	data := payload(1, 5*mib+4321)
	write(t, stores[0], acctA, id, data)
	for _, s := range stores {
		equal(t, s, acctA, id, data)
		r, err := s.Open(t.Context(), acctA, id)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := r.Seek(0, io.SeekEnd); err != nil || n != int64(len(data)) {
			t.Fatalf("Seek(0, end) = %d, %v; want the size %d", n, err, len(data))
		}
		r.Close()
	}
	for _, bad := range [][2]string{{acctA, newID()}, {"../" + acctA, id}, {acctA, id + "/.."}, {acctA, strings.ToUpper(id)}} {
		gone(t, stores[1], bad[0], bad[1])
	}
}

// An empty archive is stored, and reads as empty.
func testEmpty(t *testing.T, open Open) {
	s := open(t, 1)[0]
	id := newID()
	n, err := s.Write(t.Context(), acctA, id, func(io.Writer) error { return nil })
	if err != nil || n != 0 {
		t.Fatalf("Write(empty) = %d, %v", n, err)
	}
	if b := read(t, s, acctA, id); len(b) != 0 {
		t.Fatalf("empty archive reads %d bytes", len(b))
	}
}

// A render function that fails after writing several chunks gets its own
// error back (not a store error), and nothing of its archive is visible or
// left behind.
func testFailedWrite(t *testing.T, open Open) {
	stores := open(t, 2)
	id := newID()
	boom := errors.New("render failed")
	_, err := stores[0].Write(t.Context(), acctA, id, func(w io.Writer) error {
		if err := writePieces(w, payload(2, 5*mib/2)); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) || storeError(err) {
		t.Fatalf("Write() = %v, want the render error itself", err)
	}
	for _, s := range stores {
		gone(t, s, acctA, id)
	}
	if n, err := stores[1].RemoveTemp(t.Context(), acctA, id); err != nil || n != 0 {
		t.Fatalf("RemoveTemp after a failed write = %d, %v; want nothing left", n, err)
	}
	// A failed rewrite leaves the archive it would have replaced.
	data := payload(3, mib+1)
	write(t, stores[0], acctA, id, data)
	_, err = stores[1].Write(t.Context(), acctA, id, func(w io.Writer) error {
		writePieces(w, payload(4, 3*mib))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Write() = %v", err)
	}
	for _, s := range stores {
		equal(t, s, acctA, id, data)
	}
}

// While an archive is being written, other stores see the export's
// previous archive (or none), never the part written so far; once Write
// returns, they see all of the new one.
func testInvisibleUntilWritten(t *testing.T, open Open) {
	stores := open(t, 2)
	id := newID()
	first, second := payload(5, 3*mib/2), payload(6, 4*mib+17)
	_, err := stores[0].Write(t.Context(), acctA, id, func(w io.Writer) error {
		if err := writePieces(w, first[:mib+mib/4]); err != nil {
			return err
		}
		gone(t, stores[1], acctA, id)
		return writePieces(w, first[mib+mib/4:])
	})
	if err != nil {
		t.Fatal(err)
	}
	equal(t, stores[1], acctA, id, first)
	_, err = stores[0].Write(t.Context(), acctA, id, func(w io.Writer) error {
		if err := writePieces(w, second[:3*mib]); err != nil {
			return err
		}
		equal(t, stores[1], acctA, id, first)
		return writePieces(w, second[3*mib:])
	})
	if err != nil {
		t.Fatal(err)
	}
	equal(t, stores[1], acctA, id, second)
}

// Writing an export again (a build that took the job over) replaces its
// archive, shorter or longer, from any store.
func testRewrite(t *testing.T, open Open) {
	stores := open(t, 2)
	id := newID()
	for i, n := range []int{3*mib + 5, mib / 3, 2 * mib} {
		data := payload(uint64(10+i), n)
		write(t, stores[i%2], acctA, id, data)
		for _, s := range stores {
			equal(t, s, acctA, id, data)
		}
	}
}

// Seek moves anywhere (from the start, the current offset or the end), and
// a read there returns the archive's bytes across chunk boundaries; past
// the end a read returns io.EOF, before the start Seek fails.
func testSeek(t *testing.T, open Open) {
	stores := open(t, 2)
	id := newID()
	data := payload(7, 3*mib+99)
	write(t, stores[0], acctA, id, data)
	r, err := stores[1].Open(t.Context(), acctA, id)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	size := int64(len(data))
	for _, c := range []struct {
		offset int64
		whence int
		at     int64
	}{
		{0, io.SeekStart, 0},
		{mib - 3, io.SeekStart, mib - 3},
		{2*mib - 1, io.SeekStart, 2*mib - 1},
		{-10, io.SeekEnd, size - 10},
		{5, io.SeekStart, 5},
		{mib, io.SeekCurrent, mib + 5 + 64},
		{-(mib + 1), io.SeekCurrent, 5 + 64 + 64 - 1},
		{3 * mib, io.SeekStart, 3 * mib},
		{0, io.SeekEnd, size},
	} {
		pos, err := r.Seek(c.offset, c.whence)
		if err != nil || pos != c.at {
			t.Fatalf("Seek(%d, %d) = %d, %v; want %d", c.offset, c.whence, pos, err, c.at)
		}
		buf := make([]byte, 64)
		n, err := io.ReadFull(r, buf)
		want := data[c.at:min(c.at+64, size)]
		if !bytes.Equal(buf[:n], want) {
			t.Fatalf("read at %d: %d bytes differ from the archive's %d", c.at, n, len(want))
		}
		if n < 64 && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
			t.Fatalf("short read at %d: %v", c.at, err)
		}
	}
	if _, err := r.Seek(size+mib, io.SeekStart); err != nil {
		t.Fatalf("Seek past the end: %v", err)
	}
	if n, err := r.Read(make([]byte, 10)); n != 0 || err != io.EOF {
		t.Fatalf("Read past the end = %d, %v; want 0, io.EOF", n, err)
	}
	if _, err := r.Seek(-1, io.SeekStart); err == nil {
		t.Fatal("Seek before the start succeeded")
	}
}

// The archive serves byte ranges through http.ServeContent, as the
// download does: single ranges across chunk boundaries, suffix and open
// ranges, and several ranges at once (multipart/byteranges).
func testRanges(t *testing.T, open Open) {
	stores := open(t, 2)
	id := newID()
	data := payload(8, 4*mib+1234)
	write(t, stores[0], acctA, id, data)
	size := len(data)
	serve := func(rangeHeader string) *http.Response {
		r, err := stores[1].Open(t.Context(), acctA, id)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		req := httptest.NewRequest(http.MethodGet, "/x.zip", nil)
		if rangeHeader != "" {
			req.Header.Set("Range", rangeHeader)
		}
		rec := httptest.NewRecorder()
		rec.Header().Set("Content-Type", "application/zip")
		http.ServeContent(rec, req, "x.zip", time.Unix(0, 0), r)
		return rec.Result()
	}
	body := func(resp *http.Response) []byte {
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if resp := serve(""); resp.StatusCode != http.StatusOK || !bytes.Equal(body(resp), data) {
		t.Fatalf("whole archive: %s", resp.Status)
	}
	for _, c := range []struct {
		header     string
		start, end int // inclusive
	}{
		{"bytes=1048570-1048590", 1048570, 1048590},
		{"bytes=0-0", 0, 0},
		{"bytes=-100", size - 100, size - 1},
		{fmt.Sprintf("bytes=%d-", 3*mib-1), 3*mib - 1, size - 1},
		{fmt.Sprintf("bytes=%d-%d", mib, 3*mib), mib, 3 * mib},
	} {
		resp := serve(c.header)
		got := body(resp)
		if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(got, data[c.start:c.end+1]) {
			t.Fatalf("Range %s: %s, %d bytes, want 206 and bytes %d-%d", c.header, resp.Status, len(got), c.start, c.end)
		}
		if want := fmt.Sprintf("bytes %d-%d/%d", c.start, c.end, size); resp.Header.Get("Content-Range") != want {
			t.Fatalf("Range %s: Content-Range %q, want %q", c.header, resp.Header.Get("Content-Range"), want)
		}
	}
	resp := serve(fmt.Sprintf("bytes=0-9,%d-%d,%d-%d", 2*mib-5, 2*mib+5, size-3, size-1))
	_, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if resp.StatusCode != http.StatusPartialContent || err != nil {
		t.Fatalf("several ranges: %s, %q", resp.Status, resp.Header.Get("Content-Type"))
	}
	mr := multipart.NewReader(resp.Body, params["boundary"])
	for _, want := range [][2]int{{0, 9}, {2*mib - 5, 2*mib + 5}, {size - 3, size - 1}} {
		part, err := mr.NextPart()
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(part)
		if !bytes.Equal(got, data[want[0]:want[1]+1]) {
			t.Fatalf("part %v differs", want)
		}
	}
	if resp := serve(fmt.Sprintf("bytes=%d-", size+10)); resp.StatusCode != http.StatusRequestedRangeNotSatisfiable {
		t.Fatalf("range past the end: %s", resp.Status)
	}
}

// Remove deletes one export's archive, on every store, and nothing else;
// removing what is not there is no error.
func testRemove(t *testing.T, open Open) {
	stores := open(t, 2)
	a, b := newID(), newID()
	da, db := payload(20, mib+mib/2), payload(21, 100)
	write(t, stores[0], acctA, a, da)
	write(t, stores[0], acctA, b, db)
	if err := stores[1].Remove(t.Context(), acctA, a); err != nil {
		t.Fatal(err)
	}
	for _, s := range stores {
		gone(t, s, acctA, a)
		equal(t, s, acctA, b, db)
	}
	if err := stores[0].Remove(t.Context(), acctA, a); err != nil {
		t.Fatalf("second Remove = %v", err)
	}
	if err := stores[0].Remove(t.Context(), acctB, newID()); err != nil {
		t.Fatalf("Remove of an account with no archive = %v", err)
	}
}

// A build that takes an export over removes what the interrupted one left
// (RemoveTemp); if that build still runs, its write then fails as a store
// failure, and neither leaves anything visible.
func testRemoveTempDuringWrite(t *testing.T, open Open) {
	stores := open(t, 2)
	id := newID()
	data := payload(30, 3*mib)
	paused, resume := make(chan struct{}), make(chan struct{})
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, err = stores[0].Write(context.Background(), acctA, id, func(w io.Writer) error {
			if err := writePieces(w, data[:mib+mib/2]); err != nil {
				return err
			}
			close(paused)
			<-resume
			return writePieces(w, data[mib+mib/2:])
		})
	}()
	<-paused
	n, rmErr := stores[1].RemoveTemp(t.Context(), acctA, id)
	close(resume)
	<-done
	if rmErr != nil || n != 1 {
		t.Fatalf("RemoveTemp during a write = %d, %v; want 1", n, rmErr)
	}
	if !storeError(err) {
		t.Fatalf("the write whose archive was removed returned %v, want a store error", err)
	}
	for _, s := range stores {
		gone(t, s, acctA, id)
	}
	if n, err := stores[1].RemoveTemp(t.Context(), acctA, id); err != nil || n != 0 {
		t.Fatalf("RemoveTemp afterwards = %d, %v; want nothing left", n, err)
	}
	// The take-over's own write succeeds.
	write(t, stores[1], acctA, id, data)
	equal(t, stores[0], acctA, id, data)
}

// RemoveAccount deletes every archive of one account only; RemoveAll
// deletes every archive; writes work after both.
func testReset(t *testing.T, open Open) {
	stores := open(t, 2)
	a1, a2, b1 := newID(), newID(), newID()
	d := payload(40, mib+7)
	write(t, stores[0], acctA, a1, d)
	write(t, stores[1], acctA, a2, d[:10])
	write(t, stores[0], acctB, b1, d)
	if err := stores[1].RemoveAccount(t.Context(), acctA); err != nil {
		t.Fatal(err)
	}
	for _, s := range stores {
		gone(t, s, acctA, a1)
		gone(t, s, acctA, a2)
		equal(t, s, acctB, b1, d)
	}
	write(t, stores[0], acctA, a1, d)
	if err := stores[0].RemoveAll(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, s := range stores {
		gone(t, s, acctA, a1)
		gone(t, s, acctB, b1)
	}
	if err := stores[1].RemoveAll(t.Context()); err != nil {
		t.Fatalf("RemoveAll of nothing = %v", err)
	}
	if err := stores[1].RemoveAccount(t.Context(), acctA); err != nil {
		t.Fatalf("RemoveAccount of nothing = %v", err)
	}
	write(t, stores[1], acctB, b1, d)
	equal(t, stores[0], acctB, b1, d)
}

// Accounts do not see each other's archives, even under one export ID.
func testAccountIsolation(t *testing.T, open Open) {
	stores := open(t, 2)
	id := newID()
	da, db := payload(50, mib+3), payload(51, 2*mib+5)
	write(t, stores[0], acctA, id, da)
	gone(t, stores[1], acctB, id)
	write(t, stores[1], acctB, id, db)
	equal(t, stores[0], acctA, id, da)
	equal(t, stores[0], acctB, id, db)
	if n, err := stores[0].RemoveTemp(t.Context(), acctB, id); err != nil || n != 0 {
		t.Fatalf("RemoveTemp = %d, %v", n, err)
	}
	if err := stores[0].Remove(t.Context(), acctB, id); err != nil {
		t.Fatal(err)
	}
	gone(t, stores[1], acctB, id)
	equal(t, stores[1], acctA, id, da)
}

// Writers of different exports on several stores at once each store their
// own archive whole.
func testConcurrentWriters(t *testing.T, open Open) {
	stores := open(t, 2)
	const n = 8
	ids := make([]string, n)
	datas := make([][]byte, n)
	for i := range n {
		ids[i], datas[i] = newID(), payload(uint64(60+i), mib+mib/2+i*1000)
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			_, errs[i] = stores[i%2].Write(context.Background(), acctA, ids[i], func(w io.Writer) error {
				return writePieces(w, datas[i])
			})
		})
	}
	close(start)
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("writer %d: %v", i, errs[i])
		}
		equal(t, stores[(i+1)%2], acctA, ids[i], datas[i])
	}
}

// Writing and reading an archive allocates far less than its size: both
// stream (see Bench for the figures). Under the race detector, which drops
// pooled buffers at random (a database driver's message buffers among
// them), the figure is only logged.
func testBoundedMemory(t *testing.T, open Open) {
	s := open(t, 1)[0]
	WriteRead(t, s, 2*mib) // connections and pooled buffers are made once
	const size = 64 * mib
	allocated := WriteRead(t, s, size)
	t.Logf("writing and reading a %d MiB archive allocated %d KiB", size/mib, allocated>>10)
	if raceEnabled {
		return
	}
	if allocated > size/4 {
		t.Fatalf("writing and reading a %d MiB archive allocated %d MiB: it does not stream", size/mib, allocated/mib)
	}
}

// WriteRead writes an archive of size pseudo-random bytes (generated a
// block at a time, not held) through s, reads it back whole, and returns
// the bytes the process allocated meanwhile.
func WriteRead(tb testing.TB, s Store, size int) uint64 {
	tb.Helper()
	ctx := context.Background()
	id := newID()
	block := payload(70, 64<<10)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	n, err := s.Write(ctx, acctA, id, func(w io.Writer) error {
		for left := size; left > 0; left -= len(block) {
			block[0]++ // each block differs
			if _, err := w.Write(block[:min(len(block), left)]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil || n != int64(size) {
		tb.Fatalf("Write() = %d, %v", n, err)
	}
	r, err := s.Open(ctx, acctA, id)
	if err != nil {
		tb.Fatal(err)
	}
	got, err := io.Copy(io.Discard, r)
	r.Close()
	if err != nil || got != int64(size) {
		tb.Fatalf("read %d bytes, %v; want %d", got, err, size)
	}
	runtime.ReadMemStats(&after)
	if err := s.Remove(ctx, acctA, id); err != nil {
		tb.Fatal(err)
	}
	return after.TotalAlloc - before.TotalAlloc
}

// Bench writes and reads back a 64 MiB archive per iteration through s:
// B/op is what the store allocates for it (far below 64 MiB if it
// streams), MB/s its throughput.
func Bench(b *testing.B, s Store) {
	const size = 64 * mib
	b.ReportAllocs()
	b.SetBytes(size)
	for b.Loop() {
		WriteRead(b, s, size)
	}
}
