package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// EnsureAccount records an account the first time it is seen and, if
// defaultControl is not nil, gives it that home region control. It is a no-op
// for known accounts. An account that has a control but no row keeps its
// control.
func (s *DB) EnsureAccount(ctx context.Context, account string, now time.Time, defaultControl *discovery.HomeRegionControl) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO accounts (account_id, first_seen_ms) VALUES (?, ?) ON CONFLICT DO NOTHING`, account, ms(now))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 || defaultControl == nil {
			return nil
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO home_region_controls (control_id, account_id, home_region, requested_time_ms) VALUES (?, ?, ?, ?)
			ON CONFLICT (account_id) DO NOTHING`,
			defaultControl.ID, account, defaultControl.HomeRegion, ms(defaultControl.RequestedTime))
		return err
	})
}

const controlCols = `control_id, account_id, home_region, requested_time_ms`

func scanControl(r scanner) (*discovery.HomeRegionControl, error) {
	var c discovery.HomeRegionControl
	var t int64
	if err := r.Scan(&c.ID, &c.AccountID, &c.HomeRegion, &t); err != nil {
		return nil, err
	}
	c.RequestedTime = fromMs(t)
	return &c, nil
}

// HomeRegionControl returns the account's control, or discovery.ErrNotFound.
func (s *DB) HomeRegionControl(ctx context.Context, account string) (*discovery.HomeRegionControl, error) {
	c, err := scanControl(s.readRow(ctx, `SELECT `+controlCols+` FROM home_region_controls WHERE account_id = ?`, account))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("home region of %s: %w", account, discovery.ErrNotFound)
	}
	return c, err
}

// CreateHomeRegionControl stores c unless the account has a control already,
// in which case it returns the existing one and false.
func (s *DB) CreateHomeRegionControl(ctx context.Context, c *discovery.HomeRegionControl) (*discovery.HomeRegionControl, bool, error) {
	var (
		got     *discovery.HomeRegionControl
		created bool
	)
	err := s.tx(ctx, func(tx *sql.Tx) error {
		old, err := scanControl(tx.QueryRowContext(ctx, `SELECT `+controlCols+` FROM home_region_controls WHERE account_id = ?`, c.AccountID))
		if err == nil {
			got = old
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO home_region_controls (`+controlCols+`) VALUES (?, ?, ?, ?)`,
			c.ID, c.AccountID, c.HomeRegion, ms(c.RequestedTime)); err != nil {
			return err
		}
		got, created = c, true
		return nil
	})
	return got, created, err
}

// DeleteHomeRegionControl deletes the account's control with that ID, or
// returns discovery.ErrNotFound.
func (s *DB) DeleteHomeRegionControl(ctx context.Context, account, id string) error {
	res, err := s.exec(ctx, `DELETE FROM home_region_controls WHERE account_id = ? AND control_id = ?`, account, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("home region control %s: %w", id, discovery.ErrNotFound)
	}
	return nil
}
