package pgtest

import "testing"

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

// Raw reads what it wrote, SQLite's placeholders and all; Strings gives an
// empty list, not nil, for no rows.
func TestRaw(t *testing.T) {
	raw := Connect(t, Schema(t))
	raw.Exec(t, `CREATE TABLE x (id text, n bigint)`)
	raw.Exec(t, `INSERT INTO x VALUES (?, ?), (?, ?)`, "a", 1, "b", 2)
	if n := raw.Count(t, `SELECT sum(n) FROM x WHERE id <> ?`, "c"); n != 3 {
		t.Fatalf("sum %d", n)
	}
	if got := raw.Strings(t, `SELECT id || n FROM x ORDER BY 1`); len(got) != 2 || got[0] != "a1" || got[1] != "b2" {
		t.Fatalf("rows %q", got)
	}
	if got := raw.Strings(t, `SELECT id FROM x WHERE n > ?`, 5); got == nil || len(got) != 0 {
		t.Fatalf("no rows %#v", got)
	}
}
