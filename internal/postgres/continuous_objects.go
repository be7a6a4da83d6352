package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// PutContinuousObject implements continuous.ObjectStore: one statement,
// so readers on any replica see the whole object or the one before.
func (s *DB) PutContinuousObject(ctx context.Context, bucket, key string, data []byte, modified time.Time) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO continuous_objects (bucket, key, data, modified_ms) VALUES ($1, $2, $3, $4)
		ON CONFLICT (bucket, key) DO UPDATE SET data = excluded.data, modified_ms = excluded.modified_ms`,
		bucket, key, data, ms(modified))
	return err
}

// ContinuousObject implements continuous.ObjectStore.
func (s *DB) ContinuousObject(ctx context.Context, bucket, key string) ([]byte, error) {
	var data []byte
	err := s.rd.QueryRow(ctx, `SELECT data FROM continuous_objects WHERE bucket = $1 AND key = $2`, bucket, key).Scan(&data)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, discovery.ErrNotFound
	}
	return data, err
}

// ListContinuousObjects implements continuous.ObjectStore.
func (s *DB) ListContinuousObjects(ctx context.Context, bucket, prefix string) ([]discovery.StoredObject, error) {
	var out []discovery.StoredObject
	err := eachRow(ctx, s.rd, `SELECT key, octet_length(data), modified_ms FROM continuous_objects
		WHERE bucket = $1 AND left(key, length($2)) = $2 ORDER BY key`, []any{bucket, prefix}, func(r pgx.Rows) error {
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
	q := `DELETE FROM continuous_objects WHERE left(bucket, length($1)) = $1`
	if exact {
		q = `DELETE FROM continuous_objects WHERE bucket = $1`
	}
	_, err := s.pool.Exec(ctx, q, prefix)
	return err
}
