package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// PutContinuousObject implements continuous.ObjectStore.
func (s *DB) PutContinuousObject(ctx context.Context, bucket, key string, data []byte, modified time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO continuous_objects (bucket, key, data, modified_ms) VALUES (?, ?, ?, ?)
			ON CONFLICT (bucket, key) DO UPDATE SET data = excluded.data, modified_ms = excluded.modified_ms`,
			bucket, key, data, ms(modified))
		return err
	})
}

// ContinuousObject implements continuous.ObjectStore.
func (s *DB) ContinuousObject(ctx context.Context, bucket, key string) ([]byte, error) {
	var data []byte
	err := s.db.QueryRowContext(ctx, `SELECT data FROM continuous_objects WHERE bucket = ? AND key = ?`, bucket, key).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, discovery.ErrNotFound
	}
	return data, err
}

// ListContinuousObjects implements continuous.ObjectStore.
func (s *DB) ListContinuousObjects(ctx context.Context, bucket, prefix string) ([]discovery.StoredObject, error) {
	var out []discovery.StoredObject
	err := eachRow(ctx, s.db, `SELECT key, length(data), modified_ms FROM continuous_objects
		WHERE bucket = ? AND substr(key, 1, length(?)) = ? ORDER BY key`, []any{bucket, prefix, prefix}, func(r *sql.Rows) error {
		var o discovery.StoredObject
		var m int64
		if err := r.Scan(&o.Key, &o.Size, &m); err != nil {
			return err
		}
		o.Modified = time.UnixMilli(m).UTC()
		out = append(out, o)
		return nil
	})
	return out, err
}

// DeleteContinuousObjects implements continuous.ObjectStore.
func (s *DB) DeleteContinuousObjects(ctx context.Context, prefix string, exact bool) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		if exact {
			_, err = tx.ExecContext(ctx, `DELETE FROM continuous_objects WHERE bucket = ?`, prefix)
		} else {
			_, err = tx.ExecContext(ctx, `DELETE FROM continuous_objects WHERE substr(bucket, 1, length(?)) = ?`, prefix, prefix)
		}
		return err
	})
}
