package postgres

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// maxTxAttempts bounds how many times inTx runs a transaction that
// PostgreSQL aborted for a concurrent one.
const maxTxAttempts = 5

// retryable reports whether err is PostgreSQL aborting a transaction for
// another's sake, after which running it again may succeed: a
// serialization failure (40001) or the victim of a deadlock (40P01).
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// inTx runs fn in a READ COMMITTED transaction of pool, committed if fn
// returns nil. Every write transaction of the store runs here (DB.tx,
// DB.accountTx and the archives' commit). The writes are ordered so that
// none should wait in a cycle (the reset lock, then an account's lock, then
// a job's row, then its task's rows; the statements of an account's
// writers one transaction at a time), and none runs at REPEATABLE READ or
// SERIALIZABLE; should PostgreSQL still abort one (40001, 40P01), it is run
// again whole, from a new transaction, up to maxTxAttempts times in all,
// after a short random pause, rather than failing its request with a 5xx.
// fn must therefore set, not accumulate, what it returns through its
// closure.
func inTx(ctx context.Context, pool *pgxpool.Pool, fn func(pgx.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := pgx.BeginFunc(ctx, pool, fn)
		if err == nil || !retryable(err) || attempt == maxTxAttempts {
			return err
		}
		pause := time.Duration(attempt) * time.Duration(5+rand.IntN(20)) * time.Millisecond
		select {
		case <-ctx.Done():
			return err
		case <-time.After(pause):
		}
	}
}
