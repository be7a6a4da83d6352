package postgres

import (
	"errors"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// Reset waits for the transactions that hold an account's lock, and
// deletes what they wrote: a write that checked the account's state before
// the reset (an import row that found its task in progress) does not
// survive it. (Without the reset lock, Reset deletes what has committed and
// returns, and the row commits after it.)
func TestResetWaitsForAccountTransactions(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	inside, release := make(chan struct{}), make(chan struct{})
	txDone := make(chan error, 1)
	go func() {
		txDone <- db.ImportTx(ctx, acct, func(tx discovery.ImportTx) error {
			if err := tx.InsertImportedServer(ctx, &discovery.ImportedServer{ID: "d-server-0123456789abcdef0", HostName: "written-before-the-reset", CreatedMS: 1}); err != nil {
				return err
			}
			close(inside)
			<-release
			return nil
		})
	}()
	<-inside
	resetDone := make(chan error, 1)
	go func() { resetDone <- db.Reset(ctx) }()
	// Until the reset waits for the reset lock, or has returned.
	for waiting := 0; waiting == 0; {
		select {
		case err := <-resetDone:
			resetDone <- err
			waiting = -1
		default:
			waiting = resetLockWaiters(t, db)
			time.Sleep(5 * time.Millisecond)
		}
	}
	close(release)
	if err := <-txDone; err != nil {
		t.Fatal(err)
	}
	if err := <-resetDone; err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, `SELECT count(*) FROM servers`); n != 0 {
		t.Fatalf("%d servers written under the account's lock before the reset survive it", n)
	}

	// An account's transaction waits for a running reset: one that starts
	// while the reset lock is held sees the reset's outcome.
	exec(t, db, `INSERT INTO import_tasks (account_id, task_id, client_token, name, url, status, request_ms)
		VALUES ($1, 'task-1', '', 'n', 's3://b/k', $2, 0)`, acct, discovery.ImportInProgress)
	lock, err := db.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Rollback(ctx)
	if _, err := lock.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))`, resetLockClass); err != nil {
		t.Fatal(err)
	}
	if _, err := lock.Exec(ctx, `DELETE FROM import_tasks`); err != nil {
		t.Fatal(err)
	}
	go func() {
		txDone <- db.ImportTx(ctx, acct, func(tx discovery.ImportTx) error {
			_, err := tx.ImportTaskState(ctx, "task-1")
			return err
		})
	}()
	for resetLockWaiters(t, db) == 0 {
		select {
		case err := <-txDone:
			t.Fatalf("an account's transaction ran during a reset (task state: %v)", err)
		default:
			time.Sleep(5 * time.Millisecond)
		}
	}
	if err := lock.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-txDone; !errors.Is(err, discovery.ErrNotFound) {
		t.Fatalf("the task after the reset: %v, want not found", err)
	}
}

// resetLockWaiters counts the transactions waiting for the schema's reset
// lock.
func resetLockWaiters(t *testing.T, db *DB) int {
	return count(t, db, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
		AND classid = $1::bigint::oid AND objid = hashtext(current_schema())::oid`, resetLockClass)
}
