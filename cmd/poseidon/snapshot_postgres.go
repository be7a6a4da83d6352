package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/poseidon-ads/poseidon/internal/postgres"
)

// pgDumpFile is the member of a PostgreSQL snapshot holding pg_dump's
// archive (custom format) of the store's schema.
const pgDumpFile = "poseidon.pgdump"

// pgStore is a --database-url as PostgreSQL's tools take it: libpq's
// environment variables, and the schema of its search_path.
type pgStore struct {
	cfg    *pgx.ConnConfig
	schema string
}

// parsePG reads url as pgx does. The schema is the first of its
// search_path: a snapshot copies one schema, so the store must have its
// own (not public, which every database has).
func parsePG(url string) (*pgStore, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("--database-url: %w", err)
	}
	first, _, _ := strings.Cut(cfg.RuntimeParams["search_path"], ",")
	schema := strings.Trim(strings.TrimSpace(first), `"`)
	if schema == "" || schema == "public" || strings.HasPrefix(schema, "$") {
		return nil, errors.New("snapshots of PostgreSQL copy one schema: give the store its own with search_path=SCHEMA in --database-url (not public)")
	}
	return &pgStore{cfg: cfg, schema: schema}, nil
}

// env is the environment of pg_dump and pg_restore for the store's
// database (passwords never on the command line).
func (p *pgStore) env() []string {
	c := p.cfg
	env := append(os.Environ(), "PGHOST="+c.Host, "PGPORT="+strconv.Itoa(int(c.Port)), "PGUSER="+c.User, "PGDATABASE="+c.Database,
		"PGAPPNAME=poseidon-snapshot")
	if c.Password != "" {
		env = append(env, "PGPASSWORD="+c.Password)
	}
	if c.TLSConfig == nil {
		env = append(env, "PGSSLMODE=disable")
	}
	return env
}

// runTool runs a PostgreSQL client tool, its output kept for the error.
func (p *pgStore) runTool(ctx context.Context, name string, args ...string) error {
	path, err := exec.LookPath(name)
	if err != nil {
		return fmt.Errorf("%s is not installed (Debian: apt-get install postgresql-client): snapshots of PostgreSQL use it", name)
	}
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = p.env()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w: %s", name, err, strings.TrimSpace(out.String()))
	}
	return nil
}

// saveDump writes pg_dump's archive of the store's schema to path: one
// transaction of the database (pg_dump's own snapshot), so consistent
// while servers write. It returns the migrations the schema has.
func (p *pgStore) saveDump(ctx context.Context, url, path string) ([]string, error) {
	schema, versions, err := postgres.SchemaOf(ctx, url)
	if err != nil {
		return nil, err
	}
	if schema != p.schema || len(versions) == 0 {
		return nil, fmt.Errorf("schema %s holds no poseidon store: start poseidon serve on it first", p.schema)
	}
	if err := p.runTool(ctx, "pg_dump", "--format=custom", "--no-owner", "--no-privileges",
		"--schema="+pgx.Identifier{p.schema}.Sanitize(), "--file="+path); err != nil {
		return nil, err
	}
	return versions, nil
}

// loadDump restores the archive at path, made from schema from, into the
// store's schema: pg_restore recreates from (which must not exist in this
// database but as the target), then it is renamed. A target schema that
// exists is dropped first, with force; without, it is refused.
func (p *pgStore) loadDump(ctx context.Context, path, from string, force bool) error {
	conn, err := pgx.ConnectConfig(ctx, p.cfg)
	if err != nil {
		return fmt.Errorf("postgres: connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	schemaExists := func(name string) (bool, error) {
		var ok bool
		err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, name).Scan(&ok)
		return ok, err
	}
	var tables int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = $1`, p.schema).Scan(&tables); err != nil {
		return err
	}
	if tables > 0 && !force {
		return fmt.Errorf("schema %s is not empty (%d tables): give an empty or new schema, or --force to replace it (stop the servers on it first)", p.schema, tables)
	}
	if from != p.schema {
		if taken, err := schemaExists(from); err != nil || taken {
			return errors.Join(err, fmt.Errorf("the snapshot's schema %s exists in database %s: load into another database, where pg_restore can make it before it is renamed to %s", from, p.cfg.Database, p.schema))
		}
	}
	if exists, err := schemaExists(p.schema); err != nil {
		return err
	} else if exists {
		if _, err := conn.Exec(ctx, `DROP SCHEMA `+pgx.Identifier{p.schema}.Sanitize()+` CASCADE`); err != nil {
			return err
		}
	}
	if err := p.runTool(ctx, "pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
		"--dbname="+p.cfg.Database, path); err != nil {
		return err
	}
	if from != p.schema {
		if _, err := conn.Exec(ctx, `ALTER SCHEMA `+pgx.Identifier{from}.Sanitize()+` RENAME TO `+pgx.Identifier{p.schema}.Sanitize()); err != nil {
			return err
		}
	}
	return nil
}

// pgDumpPath is where a PostgreSQL snapshot's dump is staged in dir.
func pgDumpPath(dir string) string { return filepath.Join(dir, pgDumpFile) }
