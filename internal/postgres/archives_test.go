package postgres

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/exportfile/archivetest"
	"github.com/poseidon-ads/poseidon/internal/server"
	"github.com/poseidon-ads/poseidon/internal/worker"
)

// The archives are the archive store of the worker and of the server.
var (
	_ worker.Archives = (*Archives)(nil)
	_ server.Archives = (*Archives)(nil)
)

// The archive stores' conformance suite on PostgreSQL: each test in a
// schema of its own, its stores (each on a pool of its own) the replicas
// sharing it.
func TestArchives(t *testing.T) {
	archivetest.Run(t, func(t *testing.T, n int) []archivetest.Store {
		var out []archivetest.Store
		for _, db := range replicas(t, testSchema(t), n) {
			out = append(out, db.Archives())
		}
		return out
	})
}

const archiveAcct = "123456789012"

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{9}).Read(b)
	return b
}

func writeArchive(t *testing.T, a *Archives, id string, data []byte) (int64, error) {
	t.Helper()
	return a.Write(t.Context(), archiveAcct, id, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// readArchive returns an export's archive, read whole.
func readArchive(t *testing.T, a *Archives, id string) []byte {
	t.Helper()
	r, err := a.Open(t.Context(), archiveAcct, id)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// An archive written through one replica's pool is read through another's,
// stored as a committed header and ⌈size / 1 MiB⌉ chunks of 1 MiB (the last
// shorter), with nothing uncommitted left.
func TestArchiveAcrossReplicas(t *testing.T) {
	dbs := replicas(t, testSchema(t), 2)
	const id = "export-0c4f2dd1-fee2-4c6c-8a1b-0123456789ab"
	data := randomBytes(5*ArchiveChunkSize + 777)
	if n, err := writeArchive(t, dbs[0].Archives(), id, data); err != nil || n != int64(len(data)) {
		t.Fatalf("Write() = %d, %v", n, err)
	}
	if got := readArchive(t, dbs[1].Archives(), id); !bytes.Equal(got, data) {
		t.Fatalf("read on the other replica: %d bytes differ from the %d written", len(got), len(data))
	}
	db := dbs[1]
	if n := count(t, db, `SELECT count(*) FROM export_archives WHERE committed AND size = $1`, len(data)); n != 1 {
		t.Fatalf("%d committed archives of the size written", n)
	}
	if n := count(t, db, `SELECT count(*) FROM export_archives WHERE NOT committed`); n != 0 {
		t.Fatalf("%d uncommitted archives left", n)
	}
	if n := count(t, db, `SELECT count(*) FROM export_archive_chunks`); n != 6 {
		t.Fatalf("%d chunks, want 6", n)
	}
	if n := count(t, db, `SELECT count(*) FROM export_archive_chunks WHERE length(data) = $1`, ArchiveChunkSize); n != 5 {
		t.Fatalf("%d full chunks, want 5", n)
	}
}

// A failure of the database while an archive is written (a chunk refused,
// here by a constraint) is a *discovery.ArchiveError naming the step, and
// the write leaves nothing, visible or not; so is a header refused. Once
// the fault is gone, writes succeed.
func TestArchiveWriteFaults(t *testing.T) {
	db := openTest(t)
	a := db.Archives()
	const id = "export-0c4f2dd1-fee2-4c6c-8a1b-0123456789ab"
	data := randomBytes(3*ArchiveChunkSize + 5)
	exec(t, db, `ALTER TABLE export_archive_chunks ADD CONSTRAINT fault CHECK (seq < 2)`)
	_, err := writeArchive(t, a, id, data)
	var ae *discovery.ArchiveError
	if !errors.As(err, &ae) || ae.Op != "write" {
		t.Fatalf("Write() with chunk 2 refused = %v, want a write *discovery.ArchiveError", err)
	}
	if _, err := a.Open(t.Context(), archiveAcct, id); !errors.Is(err, discovery.ErrNotFound) {
		t.Fatalf("Open after the failed write = %v", err)
	}
	if n := count(t, db, `SELECT count(*) FROM export_archives`) + count(t, db, `SELECT count(*) FROM export_archive_chunks`); n != 0 {
		t.Fatalf("the failed write left %d rows", n)
	}
	exec(t, db, `ALTER TABLE export_archive_chunks DROP CONSTRAINT fault`)

	exec(t, db, `ALTER TABLE export_archives ADD CONSTRAINT fault CHECK (account_id <> '`+archiveAcct+`')`)
	if _, err := writeArchive(t, a, id, data); !errors.As(err, &ae) || ae.Op != "create" {
		t.Fatalf("Write() with its header refused = %v, want a create *discovery.ArchiveError", err)
	}
	exec(t, db, `ALTER TABLE export_archives DROP CONSTRAINT fault`)

	if n, err := writeArchive(t, a, id, data); err != nil || n != int64(len(data)) {
		t.Fatalf("Write() after the faults = %d, %v", n, err)
	}
}

// A reader never mixes two archives: once the archive it reads is replaced
// (a build that took the export over committed), reading a chunk it had
// not fetched fails, and a new Open reads the new archive.
func TestArchiveReaderOfReplacedArchive(t *testing.T) {
	dbs := replicas(t, testSchema(t), 2)
	const id = "export-0c4f2dd1-fee2-4c6c-8a1b-0123456789ab"
	old, fresh := randomBytes(2*ArchiveChunkSize), bytes.Repeat([]byte{7}, 2*ArchiveChunkSize)
	if _, err := writeArchive(t, dbs[0].Archives(), id, old); err != nil {
		t.Fatal(err)
	}
	r, err := dbs[1].Archives().Open(t.Context(), archiveAcct, id)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	head := make([]byte, 10)
	if _, err := io.ReadFull(r, head); err != nil || !bytes.Equal(head, old[:10]) {
		t.Fatalf("first read: %v", err)
	}
	if _, err := writeArchive(t, dbs[0].Archives(), id, fresh); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Seek(ArchiveChunkSize, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	if n, err := r.Read(head); err == nil {
		t.Fatalf("read of the replaced archive's second chunk gave %d bytes, want an error", n)
	}
	if got := readArchive(t, dbs[1].Archives(), id); !bytes.Equal(got, fresh) {
		t.Fatalf("the new archive: %d bytes differ from the %d written", len(got), len(fresh))
	}
}

// BenchmarkArchive64MiB prints what writing and reading a 64 MiB archive
// in the database allocates (B/op: one chunk's buffer each way, not the
// archive) and its throughput.
func BenchmarkArchive64MiB(b *testing.B) {
	archivetest.Bench(b, openTest(b).Archives())
}
