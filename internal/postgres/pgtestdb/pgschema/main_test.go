package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/poseidon-ads/poseidon/internal/postgres/pgtestdb"
)

// create makes schemas whose URLs work in them; drop removes those of its
// prefix only.
func TestCreateDrop(t *testing.T) {
	ctx := context.Background()
	admin := pgtestdb.Admin(t)
	defer admin.Close(ctx)
	schemas := func(prefix string) int {
		var n int
		if err := admin.QueryRow(ctx, `SELECT count(*) FROM pg_namespace WHERE nspname LIKE $1`, prefix+`\_%`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	t.Cleanup(func() { run(ctx, []string{"drop", "pgschema_test"}, &bytes.Buffer{}) })
	if err := run(ctx, []string{"check"}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	for _, prefix := range []string{"pgschema_test", "pgschema_test", "pgschema_testx"} {
		var out bytes.Buffer
		if err := run(ctx, []string{"create", prefix}, &out); err != nil {
			t.Fatal(err)
		}
		conn, err := pgx.Connect(ctx, strings.TrimSpace(out.String()))
		if err != nil {
			t.Fatal(err)
		}
		var schema string
		err = conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema)
		conn.Close(ctx)
		if err != nil || !strings.HasPrefix(schema, prefix+"_") {
			t.Fatalf("the URL of a %s schema works in %q (%v)", prefix, schema, err)
		}
	}
	// exec runs a statement in a schema, with text arguments of any type.
	var out bytes.Buffer
	if err := run(ctx, []string{"create", "pgschema_test"}, &out); err != nil {
		t.Fatal(err)
	}
	u := strings.TrimSpace(out.String())
	for _, args := range [][]string{
		{"exec", u, `CREATE TABLE t (name text, n bigint, ok boolean)`},
		{"exec", u, `INSERT INTO t VALUES (?, ?, ?), ('?', 2, false)`, "it's", "41", "true"},
	} {
		if err := run(ctx, args, &bytes.Buffer{}); err != nil {
			t.Fatalf("%q: %v", args, err)
		}
	}
	if err := run(ctx, []string{"exec", u, `INSERT INTO t VALUES (?, ?, ?)`, "x", "not a number", "true"}, &bytes.Buffer{}); err == nil {
		t.Error("a text argument that is not of its parameter's type was taken")
	}
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	var name string
	var n int
	err = conn.QueryRow(ctx, `SELECT name, n FROM t WHERE ok`).Scan(&name, &n)
	conn.Close(ctx)
	if err != nil || name != "it's" || n != 41 {
		t.Fatalf("the row exec inserted: %q %d %v", name, n, err)
	}
	if n := schemas("pgschema_test"); n != 3 {
		t.Fatalf("%d schemas pgschema_test_*, want 3", n)
	}
	if err := run(ctx, []string{"drop", "pgschema_test"}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if n, m := schemas("pgschema_test"), schemas("pgschema_testx"); n != 0 || m != 1 {
		t.Fatalf("after drop pgschema_test: %d of its schemas and %d of pgschema_testx left, want 0 and 1", n, m)
	}
	if err := run(ctx, []string{"drop", "pgschema_testx"}, &bytes.Buffer{}); err != nil || schemas("pgschema_testx") != 0 {
		t.Fatalf("drop pgschema_testx: %v", err)
	}
	for _, args := range [][]string{{}, {"create"}, {"check", "x"}, {"create", "Bad;prefix"}, {"drop", ""}, {"rename", "x"}, {"exec", "x"}} {
		if err := run(ctx, args, &bytes.Buffer{}); err == nil {
			t.Errorf("pgschema %q succeeded", args)
		}
	}
}
