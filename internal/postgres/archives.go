package postgres

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// ArchiveChunkSize is the size of the chunks an archive is stored in (the
// last one is shorter): what a write buffers, and a read fetches at a time.
const ArchiveChunkSize = 1 << 20

// Archives is the store of export archives in the database (tables
// export_archives and export_archive_chunks, migration 003), so that every
// replica serves the archives every other one wrote. It implements the
// archive stores the worker and the server declare, as exportfile.Dir does
// on disk.
//
// Memory stays bounded whatever an archive's size: a write buffers one
// chunk and sends each with COPY through the driver's pooled 64 KiB
// buffers; a read holds one chunk. Neither holds a connection between
// chunks, so a build that renders slowly, or a client that downloads
// slowly, takes no connection from the others.
type Archives struct {
	pool      *pgxpool.Pool
	chunkSize int
}

// Archives returns the store's archive store, on its connections.
func (s *DB) Archives() *Archives { return &Archives{pool: s.pool, chunkSize: ArchiveChunkSize} }

// archiveLockClass is the first key of the advisory lock that commits of
// an export's archive take ("arch" in ASCII), so that two commits of one
// export (a build and the one that took its job over) take turns.
const archiveLockClass = 0x61726368

// Write renders an export's archive with fn and commits it: until Write
// returns nil, readers see the export's previous archive or none; once it
// has, they see the whole of this one, on every replica. It inserts the
// archive's header uncommitted, then each chunk as it fills, then commits
// the archive and deletes the export's previous one in one transaction. On
// failure the uncommitted archive is deleted (if the database is
// unreachable by then, RemoveTemp, Remove or a reset deletes it later).
// Failures of the database are *discovery.ArchiveError values, those of
// the writer fn writes to included; fn's own errors are returned as they
// are.
func (a *Archives) Write(ctx context.Context, account, exportID string, fn func(io.Writer) error) (int64, error) {
	var id int64
	err := a.pool.QueryRow(ctx, `INSERT INTO export_archives (account_id, export_id, chunk_size)
		VALUES ($1, $2, $3) RETURNING archive_id`, account, exportID, a.chunkSize).Scan(&id)
	if err != nil {
		return 0, &discovery.ArchiveError{Op: "create", Err: err}
	}
	ok := false
	defer func() {
		if !ok {
			a.pool.Exec(context.WithoutCancel(ctx), `DELETE FROM export_archives WHERE archive_id = $1`, id)
		}
	}()
	w := &chunkWriter{ctx: ctx, pool: a.pool, id: id, buf: make([]byte, 0, a.chunkSize)}
	if err := fn(w); err != nil {
		return 0, err
	}
	if err := w.flush(); err != nil {
		return 0, err
	}
	if err := a.commit(ctx, account, exportID, id, w.size); err != nil {
		return 0, &discovery.ArchiveError{Op: "commit", Err: err}
	}
	ok = true
	return w.size, nil
}

// errArchiveRemoved is why a write could not commit: its uncommitted
// archive was deleted meanwhile (by a reset, or a build that took its
// export over).
var errArchiveRemoved = errors.New("the archive was removed while it was written")

// commit makes archive id the export's archive, deleting the one it
// replaces, under the export's archive lock.
func (a *Archives) commit(ctx context.Context, account, exportID string, id, size int64) error {
	return inTx(ctx, a.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2 || '/' || $3))`, archiveLockClass, account, exportID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM export_archives WHERE account_id = $1 AND export_id = $2 AND committed`, account, exportID); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE export_archives SET committed = true, size = $2 WHERE archive_id = $1`, id, size)
		if err != nil {
			return err
		}
		if !affected(tag) {
			return errArchiveRemoved
		}
		return nil
	})
}

// chunkWriter is the writer a render function writes an archive to: it
// fills a chunk and stores it when full (flush stores the last one). Its
// first failure is kept and returned by every later call.
type chunkWriter struct {
	ctx  context.Context
	pool *pgxpool.Pool
	id   int64
	seq  int32
	buf  []byte
	size int64
	err  error
	// head and tail frame a chunk as one row of COPY's binary format.
	head [copyHeadLen]byte
	tail [2]byte
}

func (w *chunkWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		if w.err != nil {
			return n, w.err
		}
		k := copy(w.buf[len(w.buf):cap(w.buf)], p)
		w.buf = w.buf[:len(w.buf)+k]
		p = p[k:]
		n += k
		if len(w.buf) == cap(w.buf) {
			w.store()
		}
	}
	return n, w.err
}

// flush stores the chunk being filled, if it holds anything.
func (w *chunkWriter) flush() error {
	if w.err == nil && len(w.buf) > 0 {
		w.store()
	}
	return w.err
}

// store inserts the buffered chunk as row (archive_id, seq, data) with
// COPY in binary format: its bytes go from buf to the connection through
// the driver's pooled buffers, where an INSERT would first copy them into
// a message buffer grown for each chunk.
func (w *chunkWriter) store() {
	err := w.copyChunk()
	if err != nil {
		w.err = &discovery.ArchiveError{Op: "write", Err: err}
		return
	}
	w.size += int64(len(w.buf))
	w.seq++
	w.buf = w.buf[:0]
}

// copyHeadLen is the length of COPY's binary header (signature, flags,
// header extension length) and of a row's start up to its data: its field
// count, and each field's length and value but the data's value.
const copyHeadLen = 11 + 4 + 4 + 2 + (4 + 8) + (4 + 4) + 4

func (w *chunkWriter) copyChunk() error {
	h := w.head[:0]
	h = append(h, "PGCOPY\n\xff\r\n\x00"...)
	h = binary.BigEndian.AppendUint32(h, 0) // flags
	h = binary.BigEndian.AppendUint32(h, 0) // header extension length
	h = binary.BigEndian.AppendUint16(h, 3) // fields
	h = binary.BigEndian.AppendUint32(h, 8)
	h = binary.BigEndian.AppendUint64(h, uint64(w.id))
	h = binary.BigEndian.AppendUint32(h, 4)
	h = binary.BigEndian.AppendUint32(h, uint32(w.seq))
	h = binary.BigEndian.AppendUint32(h, uint32(len(w.buf)))
	binary.BigEndian.PutUint16(w.tail[:], 0xffff) // end of data
	conn, err := w.pool.Acquire(w.ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	r := &segments{parts: [3][]byte{h, w.buf, w.tail[:]}}
	tag, err := conn.Conn().PgConn().CopyFrom(w.ctx, r,
		`COPY export_archive_chunks (archive_id, seq, data) FROM STDIN (FORMAT binary)`)
	if err != nil {
		return err
	}
	if tag.RowsAffected() != 1 {
		return fmt.Errorf("chunk %d: COPY stored %d rows", w.seq, tag.RowsAffected())
	}
	return nil
}

// segments reads its parts one after the other.
type segments struct {
	parts [3][]byte
	i     int
}

func (s *segments) Read(p []byte) (int, error) {
	for s.i < len(s.parts) && len(s.parts[s.i]) == 0 {
		s.i++
	}
	if s.i == len(s.parts) {
		return 0, io.EOF
	}
	n := copy(p, s.parts[s.i])
	s.parts[s.i] = s.parts[s.i][n:]
	return n, nil
}

// Open opens the committed archive of an export for reading, or returns
// discovery.ErrNotFound. The reader fetches the chunk that holds its
// offset, one query per chunk, with ctx: reads fail once ctx ends, or if
// the archive is deleted (or replaced) while it is read.
func (a *Archives) Open(ctx context.Context, account, exportID string) (io.ReadSeekCloser, error) {
	r := &archiveReader{ctx: ctx, pool: a.pool, seq: -1}
	err := a.pool.QueryRow(ctx, `SELECT archive_id, size, chunk_size FROM export_archives
		WHERE account_id = $1 AND export_id = $2 AND committed`, account, exportID).Scan(&r.id, &r.size, &r.chunk)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, discovery.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("open export archive: %w", err)
	}
	return r, nil
}

// archiveReader reads a committed archive chunk by chunk; Seek moves its
// offset only, and the next Read fetches the chunk the offset is in.
type archiveReader struct {
	ctx   context.Context
	pool  *pgxpool.Pool
	id    int64
	size  int64
	chunk int64
	off   int64
	seq   int64  // the chunk in buf, -1 for none
	buf   []byte // reused for every chunk
}

func (r *archiveReader) Read(p []byte) (int, error) {
	if r.off >= r.size {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	seq := r.off / r.chunk
	if seq != r.seq {
		if err := r.load(seq); err != nil {
			return 0, err
		}
	}
	n := copy(p, r.buf[r.off-seq*r.chunk:])
	r.off += int64(n)
	return n, nil
}

// load fetches chunk seq into buf.
func (r *archiveReader) load(seq int64) error {
	r.seq = -1
	if r.buf == nil {
		r.buf = make([]byte, r.chunk)
	}
	b := pgtype.PreallocBytes(r.buf[:cap(r.buf)])
	err := r.pool.QueryRow(r.ctx, `SELECT data FROM export_archive_chunks WHERE archive_id = $1 AND seq = $2`, r.id, seq).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("read export archive: chunk %d is gone: the archive was deleted or replaced while it was read", seq)
	}
	if err != nil {
		return fmt.Errorf("read export archive: %w", err)
	}
	if want := min(r.chunk, r.size-seq*r.chunk); int64(len(b)) != want {
		return fmt.Errorf("read export archive: chunk %d holds %d bytes, want %d", seq, len(b), want)
	}
	r.buf, r.seq = []byte(b), seq
	return nil
}

func (r *archiveReader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += r.off
	case io.SeekEnd:
		offset += r.size
	default:
		return 0, errors.New("seek export archive: invalid whence")
	}
	if offset < 0 {
		return 0, errors.New("seek export archive: negative position")
	}
	r.off = offset
	return offset, nil
}

// Close lets go of the chunk buffer.
func (r *archiveReader) Close() error {
	r.buf, r.seq = nil, -1
	return nil
}

// Remove deletes an export's archives, committed or not; none is not an
// error.
func (a *Archives) Remove(ctx context.Context, account, exportID string) error {
	_, err := a.pool.Exec(ctx, `DELETE FROM export_archives WHERE account_id = $1 AND export_id = $2`, account, exportID)
	return err
}

// RemoveTemp deletes the uncommitted archives of an export, left by builds
// that did not finish (their process died, or it is still writing but
// lost the export's job), and returns how many it deleted. A write whose
// archive it deleted fails.
func (a *Archives) RemoveTemp(ctx context.Context, account, exportID string) (int, error) {
	tag, err := a.pool.Exec(ctx, `DELETE FROM export_archives WHERE account_id = $1 AND export_id = $2 AND NOT committed`, account, exportID)
	if err != nil {
		return 0, err
	}
	return int(tag.RowsAffected()), nil
}

// RemoveAccount deletes every archive of an account.
func (a *Archives) RemoveAccount(ctx context.Context, account string) error {
	_, err := a.pool.Exec(ctx, `DELETE FROM export_archives WHERE account_id = $1`, account)
	return err
}

// RemoveAll deletes every archive. It deletes rather than truncates, so as
// not to wait for, or block, downloads being read.
func (a *Archives) RemoveAll(ctx context.Context) error {
	_, err := a.pool.Exec(ctx, `DELETE FROM export_archives`)
	return err
}
