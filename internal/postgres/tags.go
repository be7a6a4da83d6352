package postgres

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// missingItems returns the IDs among ids that name no configuration item of
// the account, in the order of ids.
func missingItems(ctx context.Context, tx pgx.Tx, account string, ids []string) (missing []string, err error) {
	for _, id := range ids {
		typ, _ := discovery.TypeOf(id)
		var q string
		args := []any{account, id}
		switch typ {
		case discovery.TypeServer:
			q = `SELECT EXISTS (SELECT 1 FROM servers WHERE account_id = $1 AND server_id = $2)`
		case discovery.TypeProcess:
			q = `SELECT EXISTS (SELECT 1 FROM processes WHERE account_id = $1 AND process_id = $2)`
		case discovery.TypeApplication:
			q = `SELECT EXISTS (SELECT 1 FROM applications WHERE account_id = $1 AND application_id = $2)`
		case discovery.TypeConnection:
			// Connections are stored without their prefix.
			q = `SELECT EXISTS (SELECT 1 FROM connections WHERE account_id = $1 AND connection_id IN ($2, $3))`
			args = append(args, strings.TrimPrefix(id, discovery.ConnectionPrefix))
		default:
			missing = append(missing, id)
			continue
		}
		var found bool
		if err := tx.QueryRow(ctx, q, args...).Scan(&found); err != nil {
			return nil, err
		}
		if !found {
			missing = append(missing, id)
		}
	}
	return missing, nil
}

// CreateTags implements tags.Store. It holds the account's lock, so the
// counts check sees reflect every other write of the account's tags, and no
// item is deleted between the existence check and the insert.
func (s *DB) CreateTags(ctx context.Context, account string, ids []string, ts []discovery.Tag, createdMs int64,
	check func(missing []string, counts map[string]int) error) error {
	keys, values := make([]string, len(ts)), make([]string, len(ts))
	for i, t := range ts {
		keys[i], values[i] = t.Key, t.Value
	}
	return s.accountTx(ctx, account, func(tx pgx.Tx) error {
		missing, err := missingItems(ctx, tx, account, ids)
		if err != nil {
			return err
		}
		if len(missing) > 0 {
			return check(missing, nil)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO tags (account_id, configuration_id, key, value, created_ms)
			SELECT DISTINCT $1, i.id, t.key, t.value, $5::bigint
			FROM unnest($2::text[]) AS i(id), unnest($3::text[], $4::text[]) AS t(key, value)
			ON CONFLICT DO NOTHING`, account, ids, keys, values, createdMs); err != nil {
			return err
		}
		counts := make(map[string]int, len(ids))
		for _, id := range ids {
			counts[id] = 0
		}
		err = eachRow(ctx, tx, `SELECT configuration_id, count(*) FROM tags
			WHERE account_id = $1 AND configuration_id = ANY($2) GROUP BY configuration_id`, []any{account, ids},
			func(rows pgx.Rows) error {
				var id string
				var n int
				if err := rows.Scan(&id, &n); err != nil {
					return err
				}
				counts[id] = n
				return nil
			})
		if err != nil {
			return err
		}
		return check(nil, counts)
	})
}

// DeleteTags implements tags.Store: all tags of the items ids when ts is
// nil, else the pairs of ts (none when it is empty).
func (s *DB) DeleteTags(ctx context.Context, account string, ids []string, ts []discovery.Tag, check func(missing []string) error) error {
	return s.accountTx(ctx, account, func(tx pgx.Tx) error {
		missing, err := missingItems(ctx, tx, account, ids)
		if err != nil {
			return err
		}
		if err := check(missing); err != nil {
			return err
		}
		if ts == nil {
			_, err := tx.Exec(ctx, `DELETE FROM tags WHERE account_id = $1 AND configuration_id = ANY($2)`, account, ids)
			return err
		}
		keys, values := make([]string, len(ts)), make([]string, len(ts))
		for i, t := range ts {
			keys[i], values[i] = t.Key, t.Value
		}
		_, err = tx.Exec(ctx, `DELETE FROM tags WHERE account_id = $1 AND configuration_id = ANY($2)
			AND (key, value) IN (SELECT * FROM unnest($3::text[], $4::text[]))`, account, ids, keys, values)
		return err
	})
}

// FindTags implements tags.Store: the tags of the account (of its items,
// or with its keys, by index) in (configuration_id, key, value) order from
// the keyset cursor.
func (s *DB) FindTags(ctx context.Context, q discovery.TagQuery) ([]discovery.ConfigurationTag, error) {
	query, args := findTagsQuery(q)
	var out []discovery.ConfigurationTag
	err := eachRow(ctx, s.rd, query, args, func(r pgx.Rows) error {
		var t discovery.ConfigurationTag
		var created int64
		if err := r.Scan(&t.ConfigurationID, &t.Key, &t.Value, &created); err != nil {
			return err
		}
		t.Type, _ = discovery.TypeOf(t.ConfigurationID)
		t.Created = fromMs(created)
		out = append(out, t)
		return nil
	})
	return out, err
}

// findTagsQuery is the SQL of FindTags and its arguments.
func findTagsQuery(q discovery.TagQuery) (string, []any) {
	var w where
	w.add("account_id = $%d", q.Account)
	// The use case intersected repeated filters into one set per column
	// (nil: no condition; empty: nothing matches).
	for _, f := range []struct {
		col  string
		vals []string
	}{{"key", q.Keys}, {"value", q.Values}, {"configuration_id", q.IDs}} {
		if f.vals != nil {
			w.add(f.col+" = ANY($%d)", nonNil(f.vals))
		}
	}
	// Keys are indexed by their MD5 (tags_by_key), as a key may be too
	// long for a B-tree entry.
	if q.Keys != nil {
		w.add("md5(key) = ANY(ARRAY(SELECT md5(k) FROM unnest($%d::text[]) k))", nonNil(q.Keys))
	}
	if c := q.After; c != nil {
		w.add("(configuration_id, key, value) > ($%d, $%d, $%d)", c.ID, c.Key, c.Value)
	}
	query := `SELECT configuration_id, key, value, created_ms FROM tags WHERE ` + w.String() +
		` ORDER BY configuration_id, key, value`
	if q.Limit > 0 {
		query += ` LIMIT ` + w.param(q.Limit)
	}
	return query, w.args
}
