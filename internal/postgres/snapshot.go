package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Migrations are the names of the migrations this build knows
// ("003_archives", ...), in version order.
func Migrations() []string {
	known, _ := knownMigrations()
	out := make([]string, 0, len(known))
	for _, m := range known {
		out = append(out, m.name)
	}
	return out
}

// SchemaOf connects to url and returns the schema poseidon's tables are in
// (the first existing schema of its search_path; "" if none exists) and
// the migrations recorded there (none for an empty schema).
func SchemaOf(ctx context.Context, url string) (schema string, versions []string, err error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return "", nil, fmt.Errorf("postgres: %w", err)
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return "", nil, fmt.Errorf("postgres: connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var s *string
	if err := conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&s); err != nil || s == nil {
		return "", nil, err
	}
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); err != nil || !exists {
		return *s, nil, err
	}
	rows, err := conn.Query(ctx, `SELECT name FROM schema_migrations ORDER BY version`)
	if err != nil {
		return *s, nil, err
	}
	versions, err = pgx.CollectRows(rows, pgx.RowTo[string])
	return *s, versions, err
}
