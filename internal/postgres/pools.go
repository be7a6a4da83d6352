package postgres

import (
	"context"
	"sync"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Two pools, and a gate per account in front of the account's lock.
//
// Under a mixed load (bench/perf.sh, scenario 3) one pool of pgx's default
// size (max(4, CPUs)) was always full: every acquire found no idle
// connection and waited 30-45 ms, and a read asked for a connection twice
// (the home region, then its page), so reads answered as slowly as writes.
// The connections were held by writes: about a third of the time waiting
// for the WAL flush of their COMMIT, a sixth in pg_advisory_xact_lock
// behind another write of the same account (pg_stat_activity), while the
// reads themselves take well under a millisecond of the database.
//
// So the requests' reads outside transactions (the pages, the home region,
// the control state) have a pool of their own (DB.rd), which no write
// holds; and a write of an account first waits in this process for the
// account's gate and only then takes a connection, so that no pooled
// connection sits in pg_advisory_xact_lock behind another transaction of
// this process (another replica's still can hold the lock: the advisory
// lock stays what makes the check-then-write safe; the gate only keeps
// waiting off the pool).

// readConns is the size of the read pool for a write pool of maxConns
// connections (pool_max_conns, or pgx's default max(4, CPUs)): half as
// many, at least one.
func readConns(maxConns int32) int32 { return max(1, maxConns/2) }

// newReadPool opens the read pool: cfg's connections (the same database,
// session settings and search_path), readConns of them.
func newReadPool(ctx context.Context, cfg *pgxpool.Config) (*pgxpool.Pool, error) {
	rc := cfg.Copy()
	rc.MaxConns = readConns(cfg.MaxConns)
	rc.MinConns = min(rc.MinConns, rc.MaxConns)
	return pgxpool.NewWithConfig(ctx, rc)
}

// gates are the accounts' in-process gates: one writer of an account at a
// time holds its gate, from before it takes a connection until its
// transaction has ended. A gate is forgotten when no one holds or waits
// for it.
type gates struct {
	mu sync.Mutex
	m  map[string]*gate
}

type gate struct {
	ch   chan struct{} // holds a token while the gate is held
	refs int           // holders and waiters
}

// enter waits for the account's gate; the returned func leaves it. It
// fails only if ctx ends first.
func (g *gates) enter(ctx context.Context, account string) (func(), error) {
	g.mu.Lock()
	if g.m == nil {
		g.m = map[string]*gate{}
	}
	e := g.m[account]
	if e == nil {
		e = &gate{ch: make(chan struct{}, 1)}
		g.m[account] = e
	}
	e.refs++
	g.mu.Unlock()
	release := func() {
		g.mu.Lock()
		if e.refs--; e.refs == 0 {
			delete(g.m, account)
		}
		g.mu.Unlock()
	}
	select {
	case e.ch <- struct{}{}:
		return func() { <-e.ch; release() }, nil
	case <-ctx.Done():
		release()
		return nil, ctx.Err()
	}
}
