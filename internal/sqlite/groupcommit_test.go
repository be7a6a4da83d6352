package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// gcOpen opens a store with the table the group commit tests write to.
func gcOpen(t *testing.T, path string) *DB {
	t.Helper()
	db, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	// A batch is bounded by its count only: the held first write of these
	// tests takes as long as the queueing behind it does.
	db.w.maxTime = time.Hour
	if _, err := db.db.ExecContext(t.Context(), `CREATE TABLE IF NOT EXISTS gc (k TEXT PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	return db
}

// gcInsert is a write that inserts k.
func gcInsert(db *DB, k string) error {
	ctx := context.Background()
	return db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO gc (k) VALUES (?)`, k)
		return err
	})
}

func gcHas(t *testing.T, db *DB, k string) bool {
	t.Helper()
	var n int
	if err := db.db.QueryRowContext(t.Context(), `SELECT count(*) FROM gc WHERE k = ?`, k).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

// held queues writes behind a first write that waits until they are all in
// the queue, so that they run in one batch (or in the batches the queue's
// order makes): submit sends each write in turn, once the one before it is
// queued; it returns the writes' errors once all are answered.
func held(t *testing.T, db *DB, writes ...func() error) []error {
	t.Helper()
	release, started := make(chan struct{}), make(chan struct{})
	errs := make([]error, len(writes)+1)
	var wg sync.WaitGroup
	ctx := context.Background()
	wg.Go(func() {
		errs[0] = db.tx(ctx, func(tx *sql.Tx) error {
			close(started)
			<-release
			_, err := tx.ExecContext(ctx, `INSERT INTO gc (k) VALUES ('first')`)
			return err
		})
	})
	waitFor := func(what string, ok func() bool) {
		for deadline := time.Now().Add(10 * time.Second); !ok(); time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}
	<-started
	for i, w := range writes {
		wg.Go(func() { errs[i+1] = w() })
		waitFor(fmt.Sprintf("write %d to be queued", i+1), func() bool { return len(db.w.queue) == i+1 })
	}
	close(release)
	wg.Wait()
	return errs[1:]
}

// Many concurrent writers all land, in fewer commits than writes, and are
// all there after a reopen.
func TestGroupCommitConcurrentWriters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gc.db")
	db := gcOpen(t, path)
	const writers, each = 64, 20
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				if err := gcInsert(db, fmt.Sprintf("w%d-%d", w, i)); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	commits := db.w.commits.Load()
	t.Logf("%d writes in %d commits", writers*each, commits)
	if commits >= writers*each {
		t.Errorf("%d writes took %d commits: no write shared a commit", writers*each, commits)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = gcOpen(t, path)
	var n int
	if err := db.db.QueryRowContext(t.Context(), `SELECT count(*) FROM gc`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != writers*each {
		t.Errorf("%d rows after reopen, want %d", n, writers*each)
	}
}

// A write that fails (by returning an error after writing, or on a
// constraint) rolls back its own rows only; the others of its batch commit,
// and a later write in the batch sees the writes before it.
func TestGroupCommitFailingMember(t *testing.T) {
	db := gcOpen(t, filepath.Join(t.TempDir(), "gc.db"))
	ctx := context.Background()
	errRefused := errors.New("refused")
	var sawA bool
	before := db.w.commits.Load()
	errs := held(t, db,
		func() error { return gcInsert(db, "a") },
		func() error {
			return db.tx(ctx, func(tx *sql.Tx) error {
				if _, err := tx.ExecContext(ctx, `INSERT INTO gc (k) VALUES ('refused')`); err != nil {
					return err
				}
				return errRefused
			})
		},
		func() error { return gcInsert(db, "a") }, // UNIQUE constraint
		func() error {
			return db.tx(ctx, func(tx *sql.Tx) error {
				if err := tx.QueryRowContext(ctx, `SELECT count(*) = 1 FROM gc WHERE k = 'a'`).Scan(&sawA); err != nil {
					return err
				}
				_, err := tx.ExecContext(ctx, `INSERT INTO gc (k) VALUES ('b')`)
				return err
			})
		},
	)
	if got := db.w.commits.Load() - before; got != 1 {
		t.Errorf("the batch took %d commits, want 1", got)
	}
	if errs[0] != nil || errs[3] != nil {
		t.Errorf("the good writes failed: %v, %v", errs[0], errs[3])
	}
	if !errors.Is(errs[1], errRefused) {
		t.Errorf("the refused write returned %v", errs[1])
	}
	if errs[2] == nil || !strings.Contains(errs[2].Error(), "UNIQUE") {
		t.Errorf("the duplicate write returned %v, want a UNIQUE constraint error", errs[2])
	}
	if !sawA {
		t.Error("a write did not see the write before it in its batch")
	}
	for k, want := range map[string]bool{"first": true, "a": true, "b": true, "refused": false} {
		if gcHas(t, db, k) != want {
			t.Errorf("row %q stored = %v, want %v", k, !want, want)
		}
	}
}

// A COMMIT that fails (a deferred foreign key violated by one write, which
// SQLite checks at COMMIT) fails every write of the batch and stores none;
// the writer goes on with the next batch.
func TestGroupCommitCommitFailure(t *testing.T) {
	db := gcOpen(t, filepath.Join(t.TempDir(), "gc.db"))
	ctx := context.Background()
	if _, err := db.db.ExecContext(ctx, `CREATE TABLE parent (id INTEGER PRIMARY KEY);
		CREATE TABLE child (pid INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)`); err != nil {
		t.Fatal(err)
	}
	errs := held(t, db,
		func() error { return gcInsert(db, "a") },
		func() error {
			return db.tx(ctx, func(tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx, `INSERT INTO child (pid) VALUES (999)`)
				return err
			})
		},
		func() error { return gcInsert(db, "b") },
	)
	for i, err := range errs {
		if err == nil || !strings.Contains(err.Error(), "FOREIGN KEY") {
			t.Errorf("write %d returned %v, want the COMMIT's foreign key error", i+1, err)
		}
	}
	for _, k := range []string{"first", "a", "b"} {
		if gcHas(t, db, k) {
			t.Errorf("row %q of the failed batch is stored", k)
		}
	}
	if err := gcInsert(db, "after"); err != nil {
		t.Fatalf("a write after the failed commit: %v", err)
	}
	if !gcHas(t, db, "after") {
		t.Error("the write after the failed commit is not stored")
	}
}

// A write that must run alone gets a transaction of its own: the writes
// before it commit first, those after it in the next batch.
func TestGroupCommitAlone(t *testing.T) {
	db := gcOpen(t, filepath.Join(t.TempDir(), "gc.db"))
	ctx := context.Background()
	before := db.w.commits.Load()
	errs := held(t, db,
		func() error { return gcInsert(db, "a") },
		func() error {
			return db.txAlone(ctx, func(tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx, `INSERT INTO gc (k) VALUES ('alone')`)
				return err
			})
		},
		func() error { return gcInsert(db, "b") },
	)
	for i, err := range errs {
		if err != nil {
			t.Errorf("write %d: %v", i+1, err)
		}
	}
	if got := db.w.commits.Load() - before; got != 3 {
		t.Errorf("%d commits, want 3 (first and a; alone; b)", got)
	}
}

// A write whose context ends while it waits is not run; a panic in a write
// reaches its caller and leaves the others of its batch committed.
func TestGroupCommitCancelAndPanic(t *testing.T) {
	db := gcOpen(t, filepath.Join(t.TempDir(), "gc.db"))
	ctx := context.Background()
	cctx, cancel := context.WithCancel(ctx)
	ran := false
	var panicked any
	errs := held(t, db,
		func() error {
			return db.tx(cctx, func(tx *sql.Tx) error { ran = true; return nil })
		},
		func() (err error) {
			defer func() { panicked = recover() }()
			cancel() // the write before is queued: it must not run
			return db.tx(ctx, func(tx *sql.Tx) error {
				if _, err := tx.ExecContext(ctx, `INSERT INTO gc (k) VALUES ('panicked')`); err != nil {
					return err
				}
				panic("boom")
			})
		},
		func() error { return gcInsert(db, "a") },
	)
	if !errors.Is(errs[0], context.Canceled) || ran {
		t.Errorf("the cancelled write returned %v (ran: %v), want context.Canceled without running", errs[0], ran)
	}
	if panicked != "boom" {
		t.Errorf("the panicking write's caller recovered %v, want boom", panicked)
	}
	if errs[2] != nil || !gcHas(t, db, "a") || !gcHas(t, db, "first") {
		t.Errorf("the other writes of the batch: %v, stored a: %v", errs[2], gcHas(t, db, "a"))
	}
	if gcHas(t, db, "panicked") {
		t.Error("the panicking write's row is stored")
	}
}

// A write interrupted mid-statement (its context ends while it runs) may
// make SQLite roll back the whole transaction: whatever happens, a write
// that was acknowledged is stored and one that was not is not.
func TestGroupCommitInterrupted(t *testing.T) {
	db := gcOpen(t, filepath.Join(t.TempDir(), "gc.db"))
	ctx := context.Background()
	for round := range 5 {
		a, b := fmt.Sprintf("a%d", round), fmt.Sprintf("b%d", round)
		errs := held(t, db,
			func() error { return gcInsert(db, a) },
			func() error {
				return db.tx(ctx, func(tx *sql.Tx) error {
					sctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
					defer cancel()
					_, err := tx.ExecContext(sctx, `INSERT INTO gc (k) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50000000)
						SELECT 'long' || i FROM n`)
					return err
				})
			},
			func() error { return gcInsert(db, b) },
		)
		if errs[1] == nil {
			t.Fatal("the long write was not interrupted")
		}
		for i, k := range []string{a, "long1", b} {
			if stored := gcHas(t, db, k); stored != (errs[i] == nil) {
				t.Errorf("round %d: write %q returned %v, stored %v", round, k, errs[i], stored)
			}
		}
		if round == 0 {
			t.Logf("the write before the interrupted one returned %v", errs[0])
		}
	}
}
