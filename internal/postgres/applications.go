package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// The application writes hold the account's lock: the count a check
// approves (applications per account, servers per application) is still the
// count when the write commits.

// CreateApplication stores a after check approves the account's application
// count, in one transaction.
func (s *DB) CreateApplication(ctx context.Context, account string, a *discovery.Application, check func(count int) error) error {
	return s.accountTx(ctx, account, func(tx pgx.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM applications WHERE account_id = $1`, account).Scan(&n); err != nil {
			return err
		}
		if err := check(n); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO applications (account_id, application_id, name, description, wave, created_ms, updated_ms)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, account, a.ID, a.Name, a.Description, a.Wave, ms(a.Created), ms(a.Updated))
		return err
	})
}

// GetApplication returns one application, or discovery.ErrNotFound.
func (s *DB) GetApplication(ctx context.Context, account, id string) (*discovery.Application, error) {
	var a discovery.Application
	var c, u int64
	err := s.rd.QueryRow(ctx, `SELECT application_id, name, description, wave, created_ms, updated_ms
		FROM applications WHERE account_id = $1 AND application_id = $2`, account, id).Scan(&a.ID, &a.Name, &a.Description, &a.Wave, &c, &u)
	if errors.Is(err, pgx.ErrNoRows) {
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
	tag, err := s.pool.Exec(ctx, `UPDATE applications SET
			name = coalesce($1, name), description = coalesce($2, description), wave = coalesce($3, wave), updated_ms = $4
		WHERE account_id = $5 AND application_id = $6`, u.Name, u.Description, u.Wave, ms(now), account, id)
	if err != nil {
		return err
	}
	if !affected(tag) {
		return discovery.ErrNotFound
	}
	return nil
}

// DeleteApplications deletes the applications, their server associations and
// their tags after check approves the IDs that do not exist.
func (s *DB) DeleteApplications(ctx context.Context, account string, ids []string, check func(missing []string) error) error {
	return s.accountTx(ctx, account, func(tx pgx.Tx) error {
		missing, err := column(ctx, tx, `SELECT u.id FROM unnest($1::text[]) WITH ORDINALITY AS u(id, n)
			WHERE NOT EXISTS (SELECT 1 FROM applications a WHERE a.account_id = $2 AND a.application_id = u.id) ORDER BY u.n`, ids, account)
		if err != nil {
			return err
		}
		if err := check(missing); err != nil {
			return err
		}
		for _, q := range []string{
			`DELETE FROM application_servers WHERE account_id = $1 AND application_id = ANY($2)`,
			`DELETE FROM tags WHERE account_id = $1 AND configuration_id = ANY($2)`,
			`DELETE FROM applications WHERE account_id = $1 AND application_id = ANY($2)`,
		} {
			if _, err := tx.Exec(ctx, q, account, ids); err != nil {
				return err
			}
		}
		return nil
	})
}

// AssociateServers adds the servers to the application after check approves.
func (s *DB) AssociateServers(ctx context.Context, account, appID string, serverIDs []string, now time.Time, check func(discovery.ApplicationMembership) error) error {
	return s.accountTx(ctx, account, func(tx pgx.Tx) error {
		var m discovery.ApplicationMembership
		var err error
		if m.AppExists, err = appExists(ctx, tx, account, appID); err != nil {
			return err
		}
		if m.AppExists {
			m.Unknown, err = column(ctx, tx, `SELECT u.id FROM unnest($1::text[]) WITH ORDINALITY AS u(id, n)
				WHERE NOT EXISTS (SELECT 1 FROM servers s WHERE s.account_id = $2 AND s.server_id = u.id) ORDER BY u.n`, serverIDs, account)
			if err != nil {
				return err
			}
			err = tx.QueryRow(ctx, `SELECT count(*) FROM (
					SELECT server_id FROM application_servers WHERE account_id = $1 AND application_id = $2
					UNION SELECT unnest($3::text[])) AS after`, account, appID, serverIDs).Scan(&m.Count)
			if err != nil {
				return err
			}
		}
		if err := check(m); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO application_servers (account_id, application_id, server_id)
			SELECT DISTINCT $1, $2, unnest($3::text[]) ON CONFLICT DO NOTHING`, account, appID, serverIDs)
		if err != nil {
			return err
		}
		return touchApp(ctx, tx, tag, account, appID, now)
	})
}

// DisassociateServers removes the servers from the application after check
// approves. IDs that are neither servers of the account nor associated with
// the application are reported as Unknown.
func (s *DB) DisassociateServers(ctx context.Context, account, appID string, serverIDs []string, now time.Time, check func(discovery.ApplicationMembership) error) error {
	return s.accountTx(ctx, account, func(tx pgx.Tx) error {
		var m discovery.ApplicationMembership
		var err error
		if m.AppExists, err = appExists(ctx, tx, account, appID); err != nil {
			return err
		}
		if m.AppExists {
			m.Unknown, err = column(ctx, tx, `SELECT u.id FROM unnest($1::text[]) WITH ORDINALITY AS u(id, n)
				WHERE NOT EXISTS (SELECT 1 FROM servers s WHERE s.account_id = $2 AND s.server_id = u.id)
				AND NOT EXISTS (SELECT 1 FROM application_servers x WHERE x.account_id = $2 AND x.application_id = $3 AND x.server_id = u.id)
				ORDER BY u.n`, serverIDs, account, appID)
			if err != nil {
				return err
			}
			err = tx.QueryRow(ctx, `SELECT count(*) FROM application_servers WHERE account_id = $1 AND application_id = $2
				AND server_id <> ALL($3)`, account, appID, nonNil(serverIDs)).Scan(&m.Count)
			if err != nil {
				return err
			}
		}
		if err := check(m); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM application_servers WHERE account_id = $1 AND application_id = $2
			AND server_id = ANY($3)`, account, appID, serverIDs)
		if err != nil {
			return err
		}
		return touchApp(ctx, tx, tag, account, appID, now)
	})
}

func appExists(ctx context.Context, tx pgx.Tx, account, appID string) (bool, error) {
	var ok bool
	err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM applications WHERE account_id = $1 AND application_id = $2)`, account, appID).Scan(&ok)
	return ok, err
}

// touchApp sets the application's modification time if tag changed rows.
func touchApp(ctx context.Context, tx pgx.Tx, tag pgconn.CommandTag, account, appID string, now time.Time) error {
	if !affected(tag) {
		return nil
	}
	_, err := tx.Exec(ctx, `UPDATE applications SET updated_ms = $1 WHERE account_id = $2 AND application_id = $3`, ms(now), account, appID)
	return err
}

// column returns the first column of every row of query.
func column(ctx context.Context, q querier, query string, args ...any) ([]string, error) {
	var out []string
	err := eachRow(ctx, q, query, args, func(rows pgx.Rows) error {
		var v string
		if err := rows.Scan(&v); err != nil {
			return err
		}
		out = append(out, v)
		return nil
	})
	return out, err
}
