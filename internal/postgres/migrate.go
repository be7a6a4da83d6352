package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one file of migrations/: NNN_name.sql is version NNN.
type migration struct {
	version int
	name    string // file name without .sql
	body    string
}

// knownMigrations returns the embedded migrations in version order.
func knownMigrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, path := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(path, "migrations/"), ".sql")
		num, _, _ := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: the name must start with a positive version number", path)
		}
		body, err := migrationFiles.ReadFile(path)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: name, body: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i := 1; i < len(out); i++ {
		if out[i].version == out[i-1].version {
			return nil, fmt.Errorf("migrations %s and %s have the same version", out[i-1].name, out[i].name)
		}
	}
	return out, nil
}

// migrate brings the schema to the newest embedded migration. It works on
// a connection of its own and holds a session advisory lock on it
// throughout, so that replicas starting at once take turns: the first
// applies the migrations, the others then find nothing to do. The lock's
// key is the schema the tables go to (the first existing schema of
// search_path), so that replicas of different schemas do not wait for each
// other. Closing the connection releases the lock, even when migrating
// fails or the context ends.
//
// The missing migrations run in one transaction with the rows that record
// them in schema_migrations. A schema newer than every embedded migration belongs
// to a newer poseidon: migrate refuses it rather than run against tables it
// does not know.
func migrate(ctx context.Context, cfg *pgx.ConnConfig) error {
	known, err := knownMigrations()
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("postgres: connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var schema *string
	if err := conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	if schema == nil {
		return fmt.Errorf("postgres: no schema of the search_path exists; create it first")
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1, hashtext($2))`, migrateLockClass, *schema); err != nil {
		return fmt.Errorf("postgres: migration lock: %w", err)
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    integer PRIMARY KEY,
			name       text NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	var current int
	if err := conn.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	newest := 0
	if len(known) > 0 {
		newest = known[len(known)-1].version
	}
	if current > newest {
		return fmt.Errorf("postgres: schema %q is at version %d, newer than the newest this poseidon knows (%d): "+
			"a newer poseidon migrated it; run that version (or newer), or use another database or schema", *schema, current, newest)
	}
	// The missing migrations run in one transaction: one commit, so that a
	// new schema is made in one go (start-up on an empty database).
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		for _, m := range known {
			if m.version <= current {
				continue
			}
			if _, err := tx.Exec(ctx, m.body); err != nil {
				return fmt.Errorf("postgres: migration %s: %w", m.name, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.version, m.name); err != nil {
				return fmt.Errorf("postgres: migration %s: %w", m.name, err)
			}
		}
		return nil
	})
}
