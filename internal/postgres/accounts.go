package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMs(v int64) time.Time { return time.UnixMilli(v).UTC() }

// nullMs is the column value of an optional time.
func nullMs(t *time.Time) *int64 {
	if t == nil {
		return nil
	}
	v := t.UnixMilli()
	return &v
}

func fromNullMs(v *int64) *time.Time {
	if v == nil {
		return nil
	}
	t := fromMs(*v)
	return &t
}

// EnsureAccount records an account the first time it is seen and, if
// defaultControl is not nil, gives it that home region control. It is a no-op
// for known accounts. Of replicas seeing a new account at once, one inserts
// it; the others wait for that insert and then find the account known. The
// one that inserts it takes the account's lock before it adds the control,
// as CreateHomeRegionControl does before it looks for one. An account that
// has a control but no row (a replica that had not yet seen a reset made on
// another let it create one) keeps its control.
func (s *DB) EnsureAccount(ctx context.Context, account string, now time.Time, defaultControl *discovery.HomeRegionControl) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO accounts (account_id, first_seen_ms) VALUES ($1, $2) ON CONFLICT DO NOTHING`, account, ms(now))
		if err != nil || !affected(tag) || defaultControl == nil {
			return err
		}
		if err := lockAccount(ctx, tx, account); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO home_region_controls (control_id, account_id, home_region, requested_time_ms)
			VALUES ($1, $2, $3, $4) ON CONFLICT (account_id) DO NOTHING`, defaultControl.ID, account, defaultControl.HomeRegion, ms(defaultControl.RequestedTime))
		return err
	})
}

const controlCols = `control_id, account_id, home_region, requested_time_ms`

func scanControl(r pgx.Row) (*discovery.HomeRegionControl, error) {
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
	c, err := scanControl(s.rd.QueryRow(ctx, `SELECT `+controlCols+` FROM home_region_controls WHERE account_id = $1`, account))
	if errors.Is(err, pgx.ErrNoRows) {
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
	err := s.accountTx(ctx, c.AccountID, func(tx pgx.Tx) error {
		got, created = nil, false
		old, err := scanControl(tx.QueryRow(ctx, `SELECT `+controlCols+` FROM home_region_controls WHERE account_id = $1`, c.AccountID))
		if err == nil {
			got = old
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO home_region_controls (`+controlCols+`) VALUES ($1, $2, $3, $4)`,
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
	tag, err := s.pool.Exec(ctx, `DELETE FROM home_region_controls WHERE account_id = $1 AND control_id = $2`, account, id)
	if err != nil {
		return err
	}
	if !affected(tag) {
		return fmt.Errorf("home region control %s: %w", id, discovery.ErrNotFound)
	}
	return nil
}
