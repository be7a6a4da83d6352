package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// missingItems returns the IDs among ids that name no configuration item of
// the account, in the order of ids.
func missingItems(ctx context.Context, tx *sql.Tx, account string, ids []string) (missing []string, err error) {
	for _, id := range ids {
		typ, _ := discovery.TypeOf(id)
		var q string
		args := []any{account, id}
		switch typ {
		case discovery.TypeServer:
			q = `SELECT count(*) FROM servers WHERE account_id = ? AND server_id = ?`
		case discovery.TypeProcess:
			q = `SELECT count(*) FROM processes WHERE account_id = ? AND process_id = ?`
		case discovery.TypeApplication:
			q = `SELECT count(*) FROM applications WHERE account_id = ? AND application_id = ?`
		case discovery.TypeConnection:
			q = `SELECT count(*) FROM connections WHERE account_id = ? AND connection_id IN (?, ?)`
			args = append(args, strings.TrimPrefix(id, discovery.ConnectionPrefix))
		default:
			missing = append(missing, id)
			continue
		}
		var n int
		if err := tx.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
			return nil, err
		}
		if n == 0 {
			missing = append(missing, id)
		}
	}
	return missing, nil
}

// CreateTags implements tags.Store.
func (s *DB) CreateTags(ctx context.Context, account string, ids []string, ts []discovery.Tag, createdMs int64,
	check func(missing []string, counts map[string]int) error) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		missing, err := missingItems(ctx, tx, account, ids)
		if err != nil {
			return err
		}
		if len(missing) > 0 {
			return check(missing, nil)
		}
		ins, err := tx.PrepareContext(ctx, `INSERT INTO tags (account_id, configuration_id, key, value, created_ms)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`)
		if err != nil {
			return err
		}
		defer ins.Close()
		counts := make(map[string]int, len(ids))
		for _, id := range ids {
			for _, t := range ts {
				if _, err := ins.ExecContext(ctx, account, id, t.Key, t.Value, createdMs); err != nil {
					return err
				}
			}
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM tags WHERE account_id = ? AND configuration_id = ?`, account, id).Scan(&n); err != nil {
				return err
			}
			counts[id] = n
		}
		return check(nil, counts)
	})
}

// DeleteTags implements tags.Store.
func (s *DB) DeleteTags(ctx context.Context, account string, ids []string, ts []discovery.Tag, check func(missing []string) error) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		missing, err := missingItems(ctx, tx, account, ids)
		if err != nil {
			return err
		}
		if err := check(missing); err != nil {
			return err
		}
		for _, id := range ids {
			if ts == nil {
				if _, err := tx.ExecContext(ctx, `DELETE FROM tags WHERE account_id = ? AND configuration_id = ?`, account, id); err != nil {
					return err
				}
				continue
			}
			for _, t := range ts {
				if _, err := tx.ExecContext(ctx, `DELETE FROM tags WHERE account_id = ? AND configuration_id = ? AND key = ? AND value = ?`,
					account, id, t.Key, t.Value); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// FindTags implements tags.Store: a keyset scan of the tags primary key.
func (s *DB) FindTags(ctx context.Context, q discovery.TagQuery) ([]discovery.ConfigurationTag, error) {
	var where strings.Builder
	where.WriteString(`account_id = ?`)
	args := []any{q.Account}
	for _, f := range []struct {
		col  string
		vals []string
	}{{"key", q.Keys}, {"value", q.Values}, {"configuration_id", q.IDs}} {
		if f.vals != nil {
			where.WriteString(` AND ` + f.col + ` IN (SELECT value FROM json_each(?))`)
			args = append(args, jsonArray(f.vals))
		}
	}
	if c := q.After; c != nil {
		where.WriteString(` AND (configuration_id, key, value) > (?, ?, ?)`)
		args = append(args, c.ID, c.Key, c.Value)
	}
	query := `SELECT configuration_id, key, value, created_ms FROM tags WHERE ` + where.String() +
		` ORDER BY configuration_id, key, value`
	if q.Limit > 0 {
		query += ` LIMIT ?`
		args = append(args, q.Limit)
	}
	var out []discovery.ConfigurationTag
	err := eachRow(ctx, s.db, query, args, func(r *sql.Rows) error {
		var t discovery.ConfigurationTag
		var ms int64
		if err := r.Scan(&t.ConfigurationID, &t.Key, &t.Value, &ms); err != nil {
			return err
		}
		t.Type, _ = discovery.TypeOf(t.ConfigurationID)
		t.Created = time.UnixMilli(ms).UTC()
		out = append(out, t)
		return nil
	})
	return out, err
}
