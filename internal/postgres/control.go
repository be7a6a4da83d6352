package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// The control state (discovery.Control) is the virtual clock's offset in
// table virtual_clock and the rest of it, as JSON, in the settings row
// controlKey. Every change locks that row first, so that the changes of
// all replicas are numbered in the order they commit, and notifies the
// schema's control channel (see ControlChanges) as it commits.
const controlKey = "control"

// Control returns the control state (the zero Control if never changed),
// in one round trip.
func (s *DB) Control(ctx context.Context) (discovery.Control, error) {
	var c discovery.Control
	var ms *int64
	var rest []byte
	err := s.rd.QueryRow(ctx, `SELECT (SELECT offset_ms FROM virtual_clock), (SELECT value FROM settings WHERE key = $1)`,
		controlKey).Scan(&ms, &rest)
	if err == nil {
		err = decodeControl(&c, ms, rest)
	}
	if err != nil {
		return discovery.Control{}, fmt.Errorf("control state: %w", err)
	}
	return c, nil
}

// UpdateControl changes the control state for every replica: holding the
// control row's lock, it adds one to the Version, lets fn change the state,
// stores it and notifies the replicas listening (ControlChanges) when it
// commits. The clock's offset survives restarts and resets.
func (s *DB) UpdateControl(ctx context.Context, fn func(*discovery.Control)) (discovery.Control, error) {
	var c discovery.Control
	err := s.tx(ctx, func(tx pgx.Tx) error {
		c = discovery.Control{}
		if _, err := tx.Exec(ctx, `INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, controlKey, []byte("{}")); err != nil {
			return err
		}
		var rest []byte
		if err := tx.QueryRow(ctx, `SELECT value FROM settings WHERE key = $1 FOR UPDATE`, controlKey).Scan(&rest); err != nil {
			return err
		}
		var ms *int64
		if err := tx.QueryRow(ctx, `SELECT (SELECT offset_ms FROM virtual_clock)`).Scan(&ms); err != nil {
			return err
		}
		if err := decodeControl(&c, ms, rest); err != nil {
			return err
		}
		c.Change(fn)
		rest, err := json.Marshal(c)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE settings SET value = $2 WHERE key = $1`, controlKey, rest); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO virtual_clock (singleton, offset_ms) VALUES (true, $1)
			ON CONFLICT (singleton) DO UPDATE SET offset_ms = excluded.offset_ms`, c.ClockOffset.Milliseconds()); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `SELECT pg_notify($1, $2)`, s.channel, strconv.FormatInt(c.Version, 10))
		return err
	})
	if err != nil {
		return discovery.Control{}, fmt.Errorf("control state: %w", err)
	}
	return c, nil
}

func decodeControl(c *discovery.Control, offsetMs *int64, rest []byte) error {
	if rest != nil {
		if err := json.Unmarshal(rest, c); err != nil {
			return err
		}
	}
	if offsetMs != nil {
		c.ClockOffset = time.Duration(*offsetMs) * time.Millisecond
	}
	return nil
}

// controlChannel is the notification channel of the control changes of
// the store in schema: one per schema, as each schema is a store of its
// own (PostgreSQL's channels are per database).
func controlChannel(schema string) string {
	ch := "poseidon.control." + schema
	if len(ch) > 63 { // NAMEDATALEN - 1
		ch = ch[:63]
	}
	return ch
}

// listenRetry is how long ControlChanges waits before it connects again
// after its connection failed.
const listenRetry = time.Second

// ControlChanges returns a channel that receives a value soon after any
// replica (this one included) committed a change of the control state,
// as PostgreSQL notifies it (LISTEN on a connection of its own, outside the
// pool), until ctx ends. A pending value is enough: it never blocks. While
// its connection is down it tries again every listenRetry, and sends a
// value once listening again, since changes may have been missed; the
// caller reads the state itself (Control), and should also read it now and
// then, as notifications are only a hint.
func (s *DB) ControlChanges(ctx context.Context) <-chan struct{} {
	ch := make(chan struct{}, 1)
	go func() {
		for {
			s.listen(ctx, ch)
			select {
			case <-ctx.Done():
				return
			case <-time.After(listenRetry):
			}
		}
	}()
	return ch
}

// listen listens to the control channel until its connection fails or ctx
// ends, sending a value on ch for each notification.
func (s *DB) listen(ctx context.Context, ch chan struct{}) {
	conn, err := pgx.ConnectConfig(ctx, s.connConfig.Copy())
	if err != nil {
		return
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		conn.Close(cctx)
	}()
	if _, err := conn.Exec(ctx, `LISTEN `+pgx.Identifier{s.channel}.Sanitize()); err != nil {
		return
	}
	notify(ch)
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return
		}
		notify(ch)
	}
}

func notify(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
