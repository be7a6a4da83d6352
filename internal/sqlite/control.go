package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// The settings rows of the control state: the virtual clock's offset (in
// milliseconds) and the rest of discovery.Control (JSON).
const (
	clockOffsetKey = "clock:offset-ms"
	controlKey     = "control"
)

// Control returns the control state: the virtual clock's offset and the
// numbered changes (the zero Control if never changed).
func (s *DB) Control(ctx context.Context) (discovery.Control, error) {
	c, err := readControl(ctx, s.db)
	if err != nil {
		return c, fmt.Errorf("control state: %w", err)
	}
	return c, nil
}

// UpdateControl changes the control state in one transaction: it adds one
// to the Version, lets fn change the state and stores it. The clock's
// offset survives restarts and resets.
func (s *DB) UpdateControl(ctx context.Context, fn func(*discovery.Control)) (discovery.Control, error) {
	var c discovery.Control
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		if c, err = readControl(ctx, tx); err != nil {
			return err
		}
		c.Change(fn)
		rest, err := json.Marshal(c)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?), (?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`, clockOffsetKey, c.ClockOffset.Milliseconds(), controlKey, rest)
		return err
	})
	if err != nil {
		return discovery.Control{}, fmt.Errorf("control state: %w", err)
	}
	return c, nil
}

// readControl reads the control state with q (the database or a
// transaction).
func readControl(ctx context.Context, q interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}) (discovery.Control, error) {
	var c discovery.Control
	var ms sql.NullInt64
	var rest []byte
	err := q.QueryRowContext(ctx, `SELECT (SELECT value FROM settings WHERE key = ?), (SELECT value FROM settings WHERE key = ?)`,
		clockOffsetKey, controlKey).Scan(&ms, &rest)
	if err != nil {
		return c, err
	}
	if rest != nil {
		if err := json.Unmarshal(rest, &c); err != nil {
			return c, err
		}
	}
	c.ClockOffset = time.Duration(ms.Int64) * time.Millisecond
	return c, nil
}

// ControlChanges returns nil: no other process shares the store, so none
// changes its control state.
func (s *DB) ControlChanges(ctx context.Context) <-chan struct{} { return nil }
