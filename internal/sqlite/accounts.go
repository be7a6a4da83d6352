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
// for known accounts.
func (s *DB) EnsureAccount(ctx context.Context, account string, now time.Time, defaultControl *discovery.HomeRegionControl) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO accounts (account_id, first_seen_ms) VALUES (?, ?) ON CONFLICT DO NOTHING`, account, ms(now))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 || defaultControl == nil {
			return nil
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO home_region_controls (control_id, account_id, home_region, requested_time_ms) VALUES (?, ?, ?, ?)`,
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
	c, err := scanControl(s.db.QueryRowContext(ctx, `SELECT `+controlCols+` FROM home_region_controls WHERE account_id = ?`, account))
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
	res, err := s.db.ExecContext(ctx, `DELETE FROM home_region_controls WHERE account_id = ? AND control_id = ?`, account, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("home region control %s: %w", id, discovery.ErrNotFound)
	}
	return nil
}

// UpsertAgent stores an agent (used by tests and, later, agent intake).
func (s *DB) UpsertAgent(ctx context.Context, a *discovery.Agent) error {
	opt := func(t time.Time) sql.NullInt64 {
		if t.IsZero() {
			return sql.NullInt64{}
		}
		return sql.NullInt64{Int64: ms(t), Valid: true}
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO agents (account_id, agent_id, host_name, registered_ms, last_health_ping_ms, first_data_ms, last_data_ms)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (account_id, agent_id) DO UPDATE SET host_name = excluded.host_name,
			first_data_ms = excluded.first_data_ms, last_data_ms = excluded.last_data_ms`,
		a.AccountID, a.ID, a.HostName, ms(a.Registered), ms(a.Registered), opt(a.FirstData), opt(a.LastData))
	return err
}

// GetAgent returns one agent of the account, or discovery.ErrNotFound.
func (s *DB) GetAgent(ctx context.Context, account, id string) (*discovery.Agent, error) {
	var (
		a           = discovery.Agent{AccountID: account, ID: id}
		reg         int64
		first, last sql.NullInt64
	)
	err := s.db.QueryRowContext(ctx, `SELECT host_name, registered_ms, first_data_ms, last_data_ms FROM agents WHERE account_id = ? AND agent_id = ?`,
		account, id).Scan(&a.HostName, &reg, &first, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("agent %s: %w", id, discovery.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	a.Registered = fromMs(reg)
	if first.Valid {
		a.FirstData = fromMs(first.Int64)
	}
	if last.Valid {
		a.LastData = fromMs(last.Int64)
	}
	return &a, nil
}
