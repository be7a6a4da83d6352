package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Group commit. SQLite has one writer, and with synchronous=FULL every
// COMMIT waits for an fsync of the WAL; writes that each commit alone are
// bounded by the disk's fsyncs per second. Instead, every write transaction
// of the store (DB.tx) is handed to one writer goroutine, which runs the
// writes waiting in its queue one after another in one SQLite transaction,
// each inside a SAVEPOINT of its own, commits them with one fsync, and only
// then answers each of them. So:
//
//   - a write is acknowledged only once the COMMIT holding it has returned:
//     an acknowledged write is as durable as before (kill -9 and power loss);
//   - a write whose fn fails rolls back to its savepoint only: the others of
//     the batch commit;
//   - a failed COMMIT (or BEGIN) fails every write of the batch;
//   - a write sees the writes ahead of it in the batch, as it would have had
//     they committed before it began, and the writes are serialized in the
//     order they run: a check and its insert in one fn still cannot
//     interleave with another writer;
//   - a write marked alone (long ones: retention, batch deletes, resets)
//     runs in a transaction of its own, so that no short write waits for it
//     to commit;
//   - a write whose context ends while it waits in the queue is not run and
//     returns the context's error; once it runs, its caller waits for the
//     COMMIT's outcome.
//
// One hazard is SQLite's: a write statement interrupted (its context ended
// while it ran, which interrupts the connection) or failing with SQLITE_FULL,
// IOERR or NOMEM may roll back the whole transaction, not just the
// statement. The writer notices (the savepoint is gone), and every write of
// the batch that ran before fails with errBatchLost: none was acknowledged,
// none is stored. The HTTP edge therefore never cancels a request's context
// when its client hangs up (internal/server runToEnd); the contexts that can
// still end mid-statement are a background job's (lease lost, shutdown).

// Batch bounds: a batch takes no more writes once it holds maxBatch of them
// or has run for maxBatchTime, so that the first write of a batch waits for
// a bounded amount of others' work.
const (
	maxBatch     = 256
	maxBatchTime = 50 * time.Millisecond
)

// errClosed answers writes sent after Close.
var errClosed = errors.New("sqlite: store closed")

// errBatchLost wraps the error that rolled back a whole batch.
var errBatchLost = errors.New("sqlite: write rolled back with its batch")

// Write states: queued, then taken by the writer or abandoned by its caller.
const (
	writeQueued int32 = iota
	writeTaken
	writeAbandoned
)

// write is one write transaction waiting for, or in, a batch.
type write struct {
	ctx   context.Context
	fn    func(*sql.Tx) error
	alone bool
	state atomic.Int32
	err   error // fn's error, then the batch's
	panic any   // what fn panicked with, re-panicked in the caller
	done  chan struct{}
}

// writer owns the connection all writes go through.
type writer struct {
	queue   chan *write
	stop    chan struct{}
	stopped chan struct{} // closed when run and checkpoints have ended
	// committed wakes checkpoints after a commit.
	committed chan struct{}
	once      sync.Once
	// maxBatch and maxTime bound a batch (the constants; tests change
	// them before the first write).
	maxBatch int
	maxTime  time.Duration
	commits  atomic.Int64 // transactions committed (or tried)
	// ended counts the transactions that have ended (committed, failed or
	// rolled back). Every change to the database is made by a transaction
	// of this writer, and ended moves only after it ends: a read that
	// loads ended as g and finds it still g later read a database that no
	// write changed in between (pages.go relies on it).
	ended atomic.Uint64
}

func newWriter() *writer {
	return &writer{queue: make(chan *write, maxBatch), stop: make(chan struct{}), stopped: make(chan struct{}),
		committed: make(chan struct{}, 1), maxBatch: maxBatch, maxTime: maxBatchTime}
}

// tx runs fn in a write transaction, in a batch with other writes.
func (s *DB) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	return s.submit(ctx, false, fn)
}

// txAlone runs fn in a write transaction of its own (for long writes).
func (s *DB) txAlone(ctx context.Context, fn func(*sql.Tx) error) error {
	return s.submit(ctx, true, fn)
}

// exec runs one write statement in a write transaction.
func (s *DB) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	var res sql.Result
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		res, err = tx.ExecContext(ctx, query, args...)
		return err
	})
	return res, err
}

func (s *DB) submit(ctx context.Context, alone bool, fn func(*sql.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	w := &write{ctx: ctx, fn: fn, alone: alone, done: make(chan struct{})}
	select {
	case s.w.queue <- w:
	case <-s.w.stop:
		return errClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-w.done:
	case <-ctx.Done():
		if w.state.CompareAndSwap(writeQueued, writeAbandoned) {
			return ctx.Err()
		}
		<-w.done // it runs: wait for its commit's outcome
	case <-s.w.stopped:
		// Sent as Close stopped the writer: it was left in the queue,
		// unless the writer took it (then it answered it before ending).
		if w.state.CompareAndSwap(writeQueued, writeAbandoned) {
			return errClosed
		}
		<-w.done
	}
	if w.panic != nil {
		panic(w.panic)
	}
	return w.err
}

// start starts the writer on conn, its own connection, and the
// checkpoints.
func (s *DB) start(ctx context.Context, conn *sql.Conn) error {
	// The writer does not copy the WAL back into the database itself
	// (SQLite's automatic checkpoint would run inside a COMMIT, with an
	// fsync of the database file, while writes wait): checkpoints do.
	if _, err := conn.ExecContext(ctx, `PRAGMA wal_autocheckpoint = 0`); err != nil {
		return err
	}
	var wg sync.WaitGroup
	wg.Go(func() { s.run(conn) })
	wg.Go(s.checkpoints)
	go func() {
		wg.Wait()
		close(s.w.stopped)
	}()
	return nil
}

// checkpointEvery is the least time between two checkpoints.
const checkpointEvery = 200 * time.Millisecond

// checkpoints copies the WAL into the database after commits, at most once
// per checkpointEvery, on a connection of the pool, beside the writer: a
// PASSIVE checkpoint neither waits for nor blocks the writer or readers.
// Durability does not depend on it (a commit is durable in the WAL).
func (s *DB) checkpoints() {
	for {
		select {
		case <-s.w.stop:
			return
		case <-s.w.committed:
		}
		if _, err := s.db.ExecContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`); err != nil {
			slog.Warn("sqlite: checkpoint", "err", err)
		}
		select {
		case <-s.w.stop:
			return
		case <-time.After(checkpointEvery):
		}
	}
}

// run is the writer goroutine: it takes batches off the queue until stop,
// then fails what is left.
func (s *DB) run(conn *sql.Conn) {
	defer conn.Close()
	var next *write // a write taken that must start the next batch
	for {
		if next == nil {
			select {
			case next = <-s.w.queue:
			case <-s.w.stop:
				for {
					select {
					case w := <-s.w.queue:
						w.finish(errClosed)
					default:
						return
					}
				}
			}
		}
		next = s.batch(conn, next)
	}
}

// batch runs first and the writes queued behind it in one transaction, and
// returns a write it took off the queue for the next batch (one alone).
func (s *DB) batch(conn *sql.Conn, first *write) (next *write) {
	if !first.take() {
		return nil
	}
	tx, err := conn.BeginTx(context.Background(), nil)
	if err != nil {
		first.finish(err)
		return nil
	}
	began := time.Now()
	var ran []*write // writes whose fn succeeded, answered after the commit
	for w, i := first, 0; w != nil; i++ {
		ok, lost := s.member(tx, w, i)
		if lost {
			tx.Rollback() // database/sql's bookkeeping (SQLite's is done)
			s.w.ended.Add(1)
			for _, r := range ran {
				r.finish(fmt.Errorf("%w: %w", errBatchLost, w.err))
			}
			return nil
		}
		if ok {
			ran = append(ran, w)
		}
		if w.alone || i+1 >= s.w.maxBatch || time.Since(began) >= s.w.maxTime {
			break
		}
		if w, next = s.more(); next != nil {
			break
		}
	}
	s.w.commits.Add(1)
	if err = tx.Commit(); err != nil {
		err = fmt.Errorf("commit: %w", err)
	}
	s.w.ended.Add(1)
	for _, r := range ran {
		r.finish(err)
	}
	select {
	case s.w.committed <- struct{}{}:
	default:
	}
	return next
}

// more returns the next queued write that may join the batch, or one that
// must run alone (next), or neither when the queue is empty.
func (s *DB) more() (w, next *write) {
	for {
		select {
		case w := <-s.w.queue:
			if w.alone {
				return nil, w
			}
			if w.take() {
				return w, nil
			}
		default:
			return nil, nil
		}
	}
}

// member runs w's fn inside savepoint i of tx, rolling back to it if fn
// fails. ok reports whether fn succeeded (w is answered if not); lost,
// whether the failure took the whole transaction with it (the savepoint is
// gone).
func (s *DB) member(tx *sql.Tx, w *write, i int) (ok, lost bool) {
	ctx := context.Background()
	sp := fmt.Sprintf("w%d", i)
	if _, err := tx.ExecContext(ctx, "SAVEPOINT "+sp); err != nil {
		w.finish(err)
		return false, true
	}
	err := w.runFn(tx)
	if err == nil {
		if _, err = tx.ExecContext(ctx, "RELEASE "+sp); err == nil {
			return true, false
		}
	}
	if _, rerr := tx.ExecContext(ctx, "ROLLBACK TO "+sp); rerr != nil {
		lost = true
	} else {
		_, rerr = tx.ExecContext(ctx, "RELEASE "+sp)
		lost = rerr != nil
	}
	w.finish(err)
	return false, lost
}

// runFn runs w.fn, turning a panic into an error for the batch and keeping
// its value for the caller.
func (w *write) runFn(tx *sql.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			w.panic = p
			err = fmt.Errorf("panic in write: %v", p)
		}
	}()
	return w.fn(tx)
}

// take claims w for a batch unless its caller gave up; a write given up is
// answered with its context's error.
func (w *write) take() bool {
	if w.state.CompareAndSwap(writeQueued, writeTaken) {
		if err := w.ctx.Err(); err != nil {
			w.finish(err)
			return false
		}
		return true
	}
	return false
}

func (w *write) finish(err error) {
	w.err = err
	close(w.done)
}
