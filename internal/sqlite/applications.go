package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// CreateApplication stores a after check approves the account's application
// count, in one transaction.
func (s *DB) CreateApplication(ctx context.Context, account string, a *discovery.Application, check func(count int) error) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM applications WHERE account_id = ?`, account).Scan(&n); err != nil {
			return err
		}
		if err := check(n); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO applications (account_id, application_id, name, description, wave, created_ms, updated_ms)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, account, a.ID, a.Name, a.Description, a.Wave, ms(a.Created), ms(a.Updated))
		return err
	})
}

// GetApplication returns one application, or discovery.ErrNotFound.
func (s *DB) GetApplication(ctx context.Context, account, id string) (*discovery.Application, error) {
	var a discovery.Application
	var c, u int64
	err := s.db.QueryRowContext(ctx, `SELECT application_id, name, description, wave, created_ms, updated_ms
		FROM applications WHERE account_id = ? AND application_id = ?`, account, id).Scan(&a.ID, &a.Name, &a.Description, &a.Wave, &c, &u)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, discovery.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	a.Created, a.Updated = fromMs(c), fromMs(u)
	return &a, nil
}

// UpdateApplication applies u and sets the modification time to now.
func (s *DB) UpdateApplication(ctx context.Context, account, id string, u discovery.ApplicationUpdate, now time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE applications SET
				name = coalesce(?, name), description = coalesce(?, description), wave = coalesce(?, wave), updated_ms = ?
			WHERE account_id = ? AND application_id = ?`, u.Name, u.Description, u.Wave, ms(now), account, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return discovery.ErrNotFound
		}
		return nil
	})
}

// DeleteApplications deletes the applications, their server associations and
// their tags after check approves the IDs that do not exist.
func (s *DB) DeleteApplications(ctx context.Context, account string, ids []string, check func(missing []string) error) error {
	list := jsonList(ids)
	return s.tx(ctx, func(tx *sql.Tx) error {
		missing, err := appColumn(ctx, tx, `SELECT j.value FROM json_each(?) j
			WHERE NOT EXISTS (SELECT 1 FROM applications a WHERE a.account_id = ? AND a.application_id = j.value) ORDER BY j.key`, list, account)
		if err != nil {
			return err
		}
		if err := check(missing); err != nil {
			return err
		}
		for _, q := range []string{
			`DELETE FROM application_servers WHERE account_id = ? AND application_id IN (SELECT value FROM json_each(?))`,
			`DELETE FROM tags WHERE account_id = ? AND configuration_id IN (SELECT value FROM json_each(?))`,
			`DELETE FROM applications WHERE account_id = ? AND application_id IN (SELECT value FROM json_each(?))`,
		} {
			if _, err := tx.ExecContext(ctx, q, account, list); err != nil {
				return err
			}
		}
		return nil
	})
}

// AssociateServers adds the servers to the application after check approves.
func (s *DB) AssociateServers(ctx context.Context, account, appID string, serverIDs []string, now time.Time, check func(discovery.ApplicationMembership) error) error {
	list := jsonList(serverIDs)
	return s.tx(ctx, func(tx *sql.Tx) error {
		var m discovery.ApplicationMembership
		var err error
		if m.AppExists, err = appExists(ctx, tx, account, appID); err != nil {
			return err
		}
		if m.AppExists {
			m.Unknown, err = appColumn(ctx, tx, `SELECT j.value FROM json_each(?) j
				WHERE NOT EXISTS (SELECT 1 FROM servers s WHERE s.account_id = ? AND s.server_id = j.value) ORDER BY j.key`, list, account)
			if err != nil {
				return err
			}
			err = tx.QueryRowContext(ctx, `SELECT count(*) FROM (
					SELECT server_id FROM application_servers WHERE account_id = ? AND application_id = ?
					UNION SELECT value FROM json_each(?))`, account, appID, list).Scan(&m.Count)
			if err != nil {
				return err
			}
		}
		if err := check(m); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO application_servers (account_id, application_id, server_id)
			SELECT ?, ?, value FROM json_each(?) WHERE true ON CONFLICT DO NOTHING`, account, appID, list)
		if err != nil {
			return err
		}
		return touchApp(ctx, tx, res, account, appID, now)
	})
}

// DisassociateServers removes the servers from the application after check
// approves. IDs that are neither servers of the account nor associated with
// the application are reported as Unknown.
func (s *DB) DisassociateServers(ctx context.Context, account, appID string, serverIDs []string, now time.Time, check func(discovery.ApplicationMembership) error) error {
	list := jsonList(serverIDs)
	return s.tx(ctx, func(tx *sql.Tx) error {
		var m discovery.ApplicationMembership
		var err error
		if m.AppExists, err = appExists(ctx, tx, account, appID); err != nil {
			return err
		}
		if m.AppExists {
			m.Unknown, err = appColumn(ctx, tx, `SELECT j.value FROM json_each(?) j
				WHERE NOT EXISTS (SELECT 1 FROM servers s WHERE s.account_id = ? AND s.server_id = j.value)
				AND NOT EXISTS (SELECT 1 FROM application_servers x WHERE x.account_id = ? AND x.application_id = ? AND x.server_id = j.value)
				ORDER BY j.key`, list, account, account, appID)
			if err != nil {
				return err
			}
			err = tx.QueryRowContext(ctx, `SELECT count(*) FROM application_servers WHERE account_id = ? AND application_id = ?
				AND server_id NOT IN (SELECT value FROM json_each(?))`, account, appID, list).Scan(&m.Count)
			if err != nil {
				return err
			}
		}
		if err := check(m); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM application_servers WHERE account_id = ? AND application_id = ?
			AND server_id IN (SELECT value FROM json_each(?))`, account, appID, list)
		if err != nil {
			return err
		}
		return touchApp(ctx, tx, res, account, appID, now)
	})
}

func appExists(ctx context.Context, tx *sql.Tx, account, appID string) (bool, error) {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT count(*) FROM applications WHERE account_id = ? AND application_id = ?`, account, appID).Scan(&n)
	return n > 0, err
}

// touchApp sets the application's modification time if res changed rows.
func touchApp(ctx context.Context, tx *sql.Tx, res sql.Result, account, appID string, now time.Time) error {
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE applications SET updated_ms = ? WHERE account_id = ? AND application_id = ?`, ms(now), account, appID)
	return err
}

// appColumn returns the first column of every row of q.
func appColumn(ctx context.Context, tx *sql.Tx, q string, args ...any) ([]string, error) {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
