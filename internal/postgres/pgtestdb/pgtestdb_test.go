package pgtestdb

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// Schema's URL works in a schema of its own, which the cleanup drops.
func TestSchema(t *testing.T) {
	var name string
	t.Run("in", func(t *testing.T) {
		conn, err := pgx.Connect(context.Background(), Schema(t))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		if err := conn.QueryRow(context.Background(), `SELECT current_schema()`).Scan(&name); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(name, "t_") {
			t.Fatalf("current schema %q", name)
		}
	})
	if name == "" {
		t.Skip("the subtest skipped")
	}
	conn := Admin(t)
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM pg_namespace WHERE nspname = $1`, name).Scan(&n); err != nil || n != 0 {
		t.Fatalf("schema %s left: %d %v", name, n, err)
	}
}

func TestWithSearchPath(t *testing.T) {
	for base, want := range map[string]string{
		"postgres://u@h:5432/db?sslmode=disable": "postgres://u@h:5432/db?search_path=s&sslmode=disable",
		"host=h dbname=db":                       "host=h dbname=db search_path=s",
	} {
		if got := WithSearchPath(t, base, "s"); got != want {
			t.Errorf("WithSearchPath(%q) = %q, want %q", base, got, want)
		}
	}
}

func TestNumbered(t *testing.T) {
	for q, want := range map[string]string{
		`SELECT 1`: `SELECT 1`,
		`INSERT INTO t VALUES (?, ?, 'a?b', "c?", ?)`: `INSERT INTO t VALUES ($1, $2, 'a?b', "c?", $3)`,
		`SELECT 'it''s?' || ?`:                        `SELECT 'it''s?' || $1`,
		`SELECT $1, $2`:                               `SELECT $1, $2`,
	} {
		if got := Numbered(q); got != want {
			t.Errorf("Numbered(%q) = %q, want %q", q, got, want)
		}
	}
}
