package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

const continuousCols = `export_id, account_id, s3_bucket, start_ms, stop_ms, state, status_detail`

func scanContinuous(rows interface{ Scan(...any) error }) (*discovery.ContinuousExport, error) {
	var e discovery.ContinuousExport
	var start int64
	var stop sql.NullInt64
	if err := rows.Scan(&e.ID, &e.AccountID, &e.S3Bucket, &start, &stop, &e.State, &e.StatusDetail); err != nil {
		return nil, err
	}
	e.Start = fromMs(start)
	if stop.Valid {
		e.Stop = fromMs(stop.Int64)
	}
	return &e, nil
}

func runningContinuous(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, account string) (*discovery.ContinuousExport, error) {
	e, err := scanContinuous(q.QueryRowContext(ctx, `SELECT `+continuousCols+` FROM continuous_exports
		WHERE account_id = ? AND stop_ms IS NULL`, account))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return e, err
}

// StartContinuousExport implements continuous.Store: the export, in
// START_IN_PROGRESS, and the job that makes it ACTIVE, in one transaction.
func (s *DB) StartContinuousExport(ctx context.Context, e *discovery.ContinuousExport) (*discovery.ContinuousExport, error) {
	var running *discovery.ContinuousExport
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		running, err = runningContinuous(ctx, tx, e.AccountID)
		if err != nil || running != nil {
			return err
		}
		e.State = discovery.ContinuousStartInProgress
		_, err = tx.ExecContext(ctx, `INSERT INTO continuous_exports (`+continuousCols+`) VALUES (?, ?, ?, ?, NULL, ?, '')`,
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
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		e, err = scanContinuous(tx.QueryRowContext(ctx, `SELECT `+continuousCols+` FROM continuous_exports
			WHERE account_id = ? AND export_id = ?`, account, id))
		if errors.Is(err, sql.ErrNoRows) {
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
		_, err = tx.ExecContext(ctx, `UPDATE continuous_exports SET stop_ms = ?, state = ?, status_detail = '' WHERE account_id = ? AND export_id = ?`,
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
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var n int
		err := tx.QueryRowContext(ctx, `SELECT count(*) FROM continuous_exports WHERE account_id = ? AND export_id = ?`, account, id).Scan(&n)
		if err != nil {
			return err
		}
		if n == 0 {
			return discovery.ErrNotFound
		}
		var stop any
		if !f.Stop.IsZero() {
			stop = ms(f.Stop)
		}
		res, err := tx.ExecContext(ctx, `UPDATE continuous_exports SET state = ?, status_detail = ?, stop_ms = coalesce(?, stop_ms)
			WHERE account_id = ? AND export_id = ? AND state IN (SELECT value FROM json_each(?)) AND (stop_ms IS NULL) = ?`,
			f.State, f.Detail, stop, account, id, jsonArray(f.From), f.Running)
		if err != nil {
			return err
		}
		k, err := res.RowsAffected()
		done = k == 1
		return err
	})
	return done, err
}

// ContinuousExports implements continuous.Store.
func (s *DB) ContinuousExports(ctx context.Context, q discovery.ContinuousExportQuery) ([]*discovery.ContinuousExport, error) {
	where := []string{"account_id = ?"}
	args := []any{q.AccountID}
	if q.IDs != nil {
		if len(q.IDs) == 0 {
			return nil, nil
		}
		where = append(where, "export_id IN (SELECT value FROM json_each(?))")
		args = append(args, jsonArray(q.IDs))
	}
	if q.After != nil {
		where = append(where, "(start_ms < ? OR (start_ms = ? AND export_id < ?))")
		args = append(args, q.After.StartMs, q.After.StartMs, q.After.ID)
	}
	query := `SELECT ` + continuousCols + ` FROM continuous_exports WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY start_ms DESC, export_id DESC`
	if q.Limit > 0 {
		query += ` LIMIT ?`
		args = append(args, q.Limit)
	}
	var out []*discovery.ContinuousExport
	err := eachRow(ctx, s.db, query, args, func(rows *sql.Rows) error {
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
	return runningContinuous(ctx, s.db, account)
}

// TransitionContinuousExport implements continuous.Store: under the lease of
// the transition's job, the export's state becomes to if it is one of from
// (it is left as it is otherwise, or if the export is gone).
func (s *DB) TransitionContinuousExport(ctx context.Context, l discovery.Lease, account, id string, from []string, to string) error {
	return s.leased(ctx, l, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE continuous_exports SET state = ?
			WHERE account_id = ? AND export_id = ? AND state IN (SELECT value FROM json_each(?))`, to, account, id, jsonArray(from))
		return err
	})
}
