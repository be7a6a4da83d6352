// Command pgschema makes and drops the PostgreSQL schemas that scripts run
// poseidon servers in (tests/python/run.sh, tests/compat/run.sh and
// scripts/test.sh with POSEIDON_TEST_STORE=postgres), on the test server of
// package pgtestdb (POSEIDON_TEST_DATABASE_URL), so that they need no
// PostgreSQL client installed.
//
//	pgschema check          exit 0 if the test server answers, else 1 saying why
//	pgschema create PREFIX  make an empty schema PREFIX_<random>; print its URL
//	pgschema drop PREFIX    drop every schema PREFIX_*, with what it holds
//	pgschema exec URL SQL [ARG...]
//	                        run one statement at URL (a schema's), with
//	                        SQLite's ? placeholders and text arguments (as a
//	                        test's fixture does with SQLite's file)
//
// A prefix is lower-case letters, digits and underscores.
package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/jackc/pgx/v5"

	"github.com/poseidon-ads/poseidon/internal/postgres/pgtestdb"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "pgschema:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	usage := fmt.Errorf("usage: pgschema check | create PREFIX | drop PREFIX | exec URL SQL [ARG...]")
	if len(args) >= 3 && args[0] == "exec" {
		return execSQL(ctx, args[1], args[2], args[3:])
	}
	if len(args) == 0 || (args[0] == "check") != (len(args) == 1) || len(args) > 2 {
		return usage
	}
	conn, err := pgtestdb.Connect(ctx)
	if err != nil {
		return fmt.Errorf("PostgreSQL at %s is unreachable: %w (set POSEIDON_TEST_DATABASE_URL)", pgtestdb.ServerURL(), err)
	}
	defer conn.Close(ctx)
	switch args[0] {
	case "check":
		return nil
	case "create":
		schema, err := pgtestdb.CreateSchema(ctx, conn, args[1])
		if err != nil {
			return err
		}
		u, err := pgtestdb.URLWithSearchPath(pgtestdb.ServerURL(), schema)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(stdout, u)
		return err
	case "drop":
		_, err := pgtestdb.DropSchemas(ctx, conn, args[1])
		return err
	}
	return usage
}

// execSQL runs one statement at url, its ? placeholders numbered, each
// argument sent as text (PostgreSQL reads it as the parameter's type).
func execSQL(ctx context.Context, url, query string, args []string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	vals := make([]any, len(args))
	for i, a := range args {
		vals[i] = a
	}
	_, err = conn.Exec(ctx, pgtestdb.Numbered(query), vals...)
	return err
}
