package postgres

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// A write transaction that PostgreSQL picks as a deadlock's victim (40P01)
// is run again whole and commits, rather than failing its request: two
// replicas' transactions lock two agents' rows in opposite orders, the
// store's (through accountTx, as every write of the store) and another
// replica's, and wait for each other.
func TestWriteTxRetriesDeadlockVictim(t *testing.T) {
	ctx := t.Context()
	dbs := replicas(t, testSchema(t), 2)
	for _, id := range []string{"o-agent0000000001", "o-agent0000000002"} {
		if err := dbs[0].UpsertAgent(ctx, &discovery.Agent{AccountID: invA, ID: id, HostName: id, Registered: invT0}); err != nil {
			t.Fatal(err)
		}
	}
	const setVersion = `UPDATE agents SET version = $1 WHERE account_id = $2 AND agent_id = $3`

	// The other transaction takes agent 2 first. Its deadlock check comes
	// long after the store's (1 s), so the store's is the victim.
	other, err := dbs[1].pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Rollback(ctx)
	if _, err := other.Exec(ctx, `SET LOCAL deadlock_timeout = '60s'`); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Exec(ctx, setVersion, "other", invA, "o-agent0000000002"); err != nil {
		t.Fatal(err)
	}

	// The store's takes agent 1, then waits for agent 2.
	attempts, first := 0, make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- dbs[0].accountTx(ctx, invA, func(tx pgx.Tx) error {
			attempts++
			if _, err := tx.Exec(ctx, setVersion, "store", invA, "o-agent0000000001"); err != nil {
				return err
			}
			if attempts == 1 {
				close(first)
			}
			_, err := tx.Exec(ctx, setVersion, "store", invA, "o-agent0000000002")
			return err
		})
	}()
	<-first
	// (Any transaction waiting will do: whichever it is, the store's
	// deadlock check comes first.)
	for count(t, dbs[1], `SELECT count(*) FROM pg_locks WHERE NOT granted AND locktype = 'transactionid'`) == 0 {
		time.Sleep(10 * time.Millisecond)
	}
	// Now the other waits for agent 1: a cycle, which PostgreSQL breaks by
	// aborting the store's transaction.
	if _, err := other.Exec(ctx, setVersion, "other", invA, "o-agent0000000001"); err != nil {
		t.Fatalf("the other transaction: %v", err)
	}
	if err := other.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("the store's transaction, after %d attempts: %v", attempts, err)
	}
	if attempts != 2 {
		t.Fatalf("%d attempts, want 2 (a deadlock, then a commit)", attempts)
	}
	if n := count(t, dbs[0], `SELECT count(*) FROM agents WHERE account_id = $1 AND version = 'store'`, invA); n != 2 {
		t.Fatalf("%d agents written by the store's transaction, want 2", n)
	}
}
