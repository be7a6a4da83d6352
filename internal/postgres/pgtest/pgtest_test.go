package pgtest

import "testing"

// A store's Raw pool reads what it wrote, SQLite's placeholders and all, in
// the store's schema; Strings gives an empty list, not nil, for no rows.
func TestStoreRaw(t *testing.T) {
	s := Open(t)
	s.Exec(t, `INSERT INTO tags (account_id, configuration_id, key, value, created_ms) VALUES (?, ?, ?, 'v', ?), (?, ?, ?, 'v', ?)`,
		"1", "d-server-a", "k", 1, "1", "d-server-b", "k", 2)
	if n := s.Count(t, `SELECT sum(created_ms) FROM tags WHERE account_id = ?`, "1"); n != 3 {
		t.Fatalf("sum %d", n)
	}
	if got := s.Strings(t, `SELECT configuration_id || created_ms FROM tags ORDER BY 1`); len(got) != 2 || got[0] != "d-server-a1" || got[1] != "d-server-b2" {
		t.Fatalf("rows %q", got)
	}
	if got := s.Strings(t, `SELECT key FROM tags WHERE created_ms > ?`, 5); got == nil || len(got) != 0 {
		t.Fatalf("no rows %#v", got)
	}
}
