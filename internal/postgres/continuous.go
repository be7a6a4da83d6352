package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

const continuousCols = `export_id, account_id, s3_bucket, start_ms, stop_ms, state, status_detail`

func scanContinuous(r pgx.Row) (*discovery.ContinuousExport, error) {
	var e discovery.ContinuousExport
	var start int64
	var stop *int64
	if err := r.Scan(&e.ID, &e.AccountID, &e.S3Bucket, &start, &stop, &e.State, &e.StatusDetail); err != nil {
		return nil, err
	}
	e.Start = fromMs(start)
	if stop != nil {
		e.Stop = fromMs(*stop)
	}
	return &e, nil
}

func runningContinuous(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, account string) (*discovery.ContinuousExport, error) {
	e, err := scanContinuous(q.QueryRow(ctx, `SELECT `+continuousCols+` FROM continuous_exports
		WHERE account_id = $1 AND stop_ms IS NULL`, account))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	return e, err
}

// StartContinuousExport implements continuous.Store: the export, in
// START_IN_PROGRESS, and the job that makes it ACTIVE, in one transaction.
// It holds the account's lock, so of two starts on any replicas the second
// finds the first running (the unique index continuous_exports_running
// guards it as well).
func (s *DB) StartContinuousExport(ctx context.Context, e *discovery.ContinuousExport) (*discovery.ContinuousExport, error) {
	var running *discovery.ContinuousExport
	err := s.accountTx(ctx, e.AccountID, func(tx pgx.Tx) error {
		var err error
		running, err = runningContinuous(ctx, tx, e.AccountID)
		if err != nil || running != nil {
			return err
		}
		e.State = discovery.ContinuousStartInProgress
		_, err = tx.Exec(ctx, `INSERT INTO continuous_exports (`+continuousCols+`) VALUES ($1, $2, $3, $4, NULL, $5, '')`,
			e.ID, e.AccountID, e.S3Bucket, ms(e.Start), e.State)
		if err != nil {
			return err
		}
		return enqueue(ctx, tx, discovery.JobContinuousStart, e.AccountID, e.ID, e.Start.Add(discovery.ContinuousTransitionTime), e.Start)
	})
	if err != nil {
		return nil, err
	}
	return running, nil
}

// StopContinuousExport implements continuous.Store: the stop time, the
// state STOP_IN_PROGRESS and the job that makes it INACTIVE, in one
// transaction.
func (s *DB) StopContinuousExport(ctx context.Context, account, id string, stop time.Time) (*discovery.ContinuousExport, error) {
	var e *discovery.ContinuousExport
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var err error
		e, err = scanContinuous(tx.QueryRow(ctx, `SELECT `+continuousCols+` FROM continuous_exports
			WHERE account_id = $1 AND export_id = $2 FOR UPDATE`, account, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return discovery.ErrNotFound
		}
		if err != nil {
			return err
		}
		// STOP_FAILED is stopped again ("call stop-continuous-export
		// again"); any other stopped export is stopped for good.
		if !e.Stop.IsZero() && e.State != discovery.ContinuousStopFailed {
			return discovery.ErrContinuousExportStopped
		}
		e.Stop, e.State, e.StatusDetail = stop, discovery.ContinuousStopInProgress, ""
		_, err = tx.Exec(ctx, `UPDATE continuous_exports SET stop_ms = $1, state = $2, status_detail = '' WHERE account_id = $3 AND export_id = $4`,
			ms(stop), e.State, account, id)
		if err != nil {
			return err
		}
		return enqueue(ctx, tx, discovery.JobContinuousStop, account, id, stop.Add(discovery.ContinuousTransitionTime), stop)
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// FailContinuousExport implements continuous.Store.
func (s *DB) FailContinuousExport(ctx context.Context, account, id string, f discovery.ContinuousFailure) (bool, error) {
	var done bool
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var n int
		err := tx.QueryRow(ctx, `SELECT count(*) FROM continuous_exports WHERE account_id = $1 AND export_id = $2`, account, id).Scan(&n)
		if err != nil {
			return err
		}
		if n == 0 {
			return discovery.ErrNotFound
		}
		var stop *int64
		if !f.Stop.IsZero() {
			v := ms(f.Stop)
			stop = &v
		}
		tag, err := tx.Exec(ctx, `UPDATE continuous_exports SET state = $1, status_detail = $2, stop_ms = coalesce($3, stop_ms)
			WHERE account_id = $4 AND export_id = $5 AND state = ANY($6) AND (stop_ms IS NULL) = $7`,
			f.State, f.Detail, stop, account, id, f.From, f.Running)
		done = tag.RowsAffected() == 1
		return err
	})
	return done, err
}

// ContinuousExports implements continuous.Store: newest first, by
// continuous_exports_by_account.
func (s *DB) ContinuousExports(ctx context.Context, q discovery.ContinuousExportQuery) ([]*discovery.ContinuousExport, error) {
	var w where
	w.add("account_id = $%d", q.AccountID)
	if q.IDs != nil {
		if len(q.IDs) == 0 {
			return nil, nil
		}
		w.add("export_id = ANY($%d)", q.IDs)
	}
	if q.After != nil {
		w.add("(start_ms, export_id) < ($%d, $%d)", q.After.StartMs, q.After.ID)
	}
	query := `SELECT ` + continuousCols + ` FROM continuous_exports WHERE ` + w.String() + ` ORDER BY start_ms DESC, export_id DESC`
	if q.Limit > 0 {
		query += ` LIMIT ` + w.param(q.Limit)
	}
	var out []*discovery.ContinuousExport
	err := eachRow(ctx, s.rd, query, w.args, func(rows pgx.Rows) error {
		e, err := scanContinuous(rows)
		if err == nil {
			out = append(out, e)
		}
		return err
	})
	return out, err
}

// RunningContinuousExport implements continuous.Store.
func (s *DB) RunningContinuousExport(ctx context.Context, account string) (*discovery.ContinuousExport, error) {
	return runningContinuous(ctx, s.rd, account)
}

// TransitionContinuousExport implements continuous.Store: under the lease of
// the transition's job, the export's state becomes to if it is one of from
// (it is left as it is otherwise, or if the export is gone).
func (s *DB) TransitionContinuousExport(ctx context.Context, l discovery.Lease, account, id string, from []string, to string) error {
	return s.leased(ctx, l, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE continuous_exports SET state = $1
			WHERE account_id = $2 AND export_id = $3 AND state = ANY($4)`, to, account, id, from)
		return err
	})
}
