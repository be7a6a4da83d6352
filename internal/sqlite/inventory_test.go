package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/sqlite/fixture"
)

// The translation of item queries to SQL. What the filters of
// ListConfigurations mean is tested with the inventory use case
// (internal/inventory), against this store.

// The fixture's accounts and IDs, by the names this package's tests use.
const (
	invA = fixture.A
	invB = fixture.B

	srv1 = fixture.Srv1
	srv2 = fixture.Srv2
	srv3 = fixture.Srv3
	srv4 = fixture.Srv4
	srvB = fixture.SrvB

	procNginx = fixture.ProcNginx
	procSSHD  = fixture.ProcSSHD
	procPG    = fixture.ProcPG
	procB     = fixture.ProcB

	app1 = fixture.App1
	app2 = fixture.App2
	app3 = fixture.App3

	conn1 = fixture.Conn1
	conn2 = fixture.Conn2
	conn3 = fixture.Conn3
	conn4 = fixture.Conn4
	conn5 = fixture.Conn5
	conn6 = fixture.Conn6
	conn7 = fixture.Conn7
)

var invT0 = fixture.T0

func invAt(d time.Duration) int64 { return fixture.At(d) }

// invExec runs a statement with args; a test helper for fixtures.
func invExec(t testing.TB, db *DB, query string, args ...any) {
	t.Helper()
	fixture.Exec(t, fixture.SQL(db.db), query, args...)
}

// invFixture opens a store filled with fixture.Inventory.
func invFixture(t testing.TB) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "inv.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	fixture.Inventory(t, fixture.SQL(db.db))
	return db
}

func invPtr32(v int32) *int32 { return &v }

// Every field of every item type has SQL in its type, and only there: an
// expression (filters and sorts), or a related list (filters).
func TestEveryFieldHasSQL(t *testing.T) {
	n := 0
	for _, typ := range discovery.ItemTypes() {
		for _, f := range discovery.FieldsOf(typ) {
			n++
			s, ok := itemTypes[typ].fields[f]
			if !ok {
				t.Errorf("%s field %d: no SQL", typ, f)
				continue
			}
			if (s.expr == "") == (s.from == "" || s.inner == "") {
				t.Errorf("%s field %d: SQL %+v is neither scalar nor a list", typ, f, s)
			}
		}
		for f := range itemTypes[typ].fields {
			if f.Type() != typ {
				t.Errorf("%s has SQL for field %d of %s", typ, f, f.Type())
			}
		}
	}
	if n != 60 {
		t.Errorf("%d fields, want 60", n)
	}
}

// multi tells whether the store maps f to a related list.
func multi(f discovery.Field) bool { return itemTypes[f.Type()].fields[f].from != "" }

// pred is a predicate on f, multi-valued as the store maps it.
func pred(f discovery.Field, m discovery.Match, q discovery.Quantifier, fold bool, text ...string) discovery.Predicate {
	return discovery.Predicate{Field: f, Multi: multi(f), Match: m, Quant: q, Fold: fold, Text: text}
}

// listIDs lists the IDs of the items of typ in account A that satisfy where.
func listIDs(t *testing.T, db *DB, typ discovery.ItemType, where ...discovery.Predicate) []string {
	t.Helper()
	items, err := db.ListItems(context.Background(), discovery.ItemQuery{Account: invA, Type: typ, Where: where})
	if err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, it := range items {
		switch {
		case it.Server != nil:
			out = append(out, it.Server.ID)
		case it.Connection != nil:
			out = append(out, it.Connection.ID)
		case it.Application != nil:
			out = append(out, it.Application.ID)
		case it.Process != nil:
			out = append(out, it.Process.ID)
		}
	}
	return out
}

// Each match, quantifier, value kind and count, over scalar fields, related
// lists and fields without value; predicates AND-ed, and repeated ones
// packed into one term that means the same (fixture.PredicateCases).
func TestListItemsPredicates(t *testing.T) {
	db := invFixture(t)
	for _, tc := range fixture.PredicateCases(multi) {
		t.Run(tc.Name, func(t *testing.T) {
			if got := listIDs(t, db, tc.Type, tc.Where...); !reflect.DeepEqual(got, tc.Want) {
				t.Fatalf("got  %q\nwant %q", got, tc.Want)
			}
		})
	}
}

// However many predicates and values a query holds, its SQL stays within
// SQLite's limits (32,766 parameters, expression depth 1,000).
func TestListItemsLongQueries(t *testing.T) {
	db := invFixture(t)
	if got := listIDs(t, db, discovery.TypeServer, fixture.LongQuery(multi)...); !slices.Equal(got, []string{srv1}) {
		t.Fatalf("got %q", got)
	}
}

// A predicate that disagrees with the store's mapping is an error, never a
// silent reinterpretation.
func TestListItemsRefusesMismatches(t *testing.T) {
	db := invFixture(t)
	for name, p := range map[string]discovery.Predicate{
		"list read as scalar":  {Field: discovery.FieldServerTagKey, Match: discovery.MatchEqual, Quant: discovery.AnyMatch, Text: []string{"env"}},
		"scalar read as list":  {Field: discovery.FieldServerHostName, Multi: true, Match: discovery.MatchEqual, Quant: discovery.AnyMatch, Text: []string{"x"}},
		"field of other type":  {Field: discovery.FieldProcessName, Match: discovery.MatchEqual, Quant: discovery.AnyMatch, Text: []string{"x"}},
		"no quantifier":        {Field: discovery.FieldServerHostName, Match: discovery.MatchEqual, Text: []string{"x"}},
		"no match":             {Field: discovery.FieldServerHostName, Quant: discovery.AnyMatch, Text: []string{"x"}},
		"no match, packed too": {Field: discovery.FieldServerHostName, Quant: discovery.NoMatch, Text: []string{"x", "y"}},
	} {
		if _, err := db.ListItems(context.Background(), discovery.ItemQuery{Account: invA, Type: discovery.TypeServer, Where: []discovery.Predicate{p, p}}); err == nil {
			t.Errorf("%s: no error", name)
		}
		if _, err := db.ListItems(context.Background(), discovery.ItemQuery{Account: invA, Type: discovery.TypeServer, Where: []discovery.Predicate{p}}); err == nil {
			t.Errorf("%s alone: no error", name)
		}
	}
	_, err := db.ListItems(context.Background(), discovery.ItemQuery{Account: invA, Type: discovery.TypeServer,
		Order: []discovery.OrderKey{{Field: discovery.FieldServerTagKey}}})
	if err == nil || !strings.Contains(err.Error(), "not sortable") {
		t.Fatalf("sort on a list: %v", err)
	}
}

// Values are bound as parameters, never spliced into the SQL: SQL and LIKE
// syntax match literally.
func TestFilterValuesAreParameters(t *testing.T) {
	db := invFixture(t)
	for _, v := range []string{"' OR 1=1 --", `"); DROP TABLE servers; --`, "%", "_", `\`, "web%"} {
		for _, m := range []discovery.Match{discovery.MatchContains, discovery.MatchEqual} {
			if got := listIDs(t, db, discovery.TypeServer, pred(discovery.FieldServerHostName, m, discovery.AnyMatch, true, v)); len(got) != 0 {
				t.Fatalf("%q matched %v", v, got)
			}
			if got := listIDs(t, db, discovery.TypeServer, pred(discovery.FieldServerHostName, m, discovery.AnyMatch, true, v, v+"x")); len(got) != 0 {
				t.Fatalf("%q (in a list) matched %v", v, got)
			}
		}
	}
	if got := listIDs(t, db, discovery.TypeServer); len(got) != 4 {
		t.Fatal(got)
	}
}

// keysetAfter builds row-value comparisons, one per run of equal directions.
func TestKeysetAfter(t *testing.T) {
	for _, tc := range []struct {
		desc []bool
		sql  string
		args []any
	}{
		{[]bool{false}, "(a) > (?)", []any{1}},
		{[]bool{true, true}, "(a, b) < (?, ?)", []any{1, 2}},
		{[]bool{false, true}, "((a) > (?) OR ((a) = (?) AND (b) < (?)))", []any{1, 1, 2}},
		{[]bool{false, false, true}, "((a, b) > (?, ?) OR ((a, b) = (?, ?) AND (c) < (?)))", []any{1, 2, 1, 2, 3}},
		{[]bool{true, false, true}, "((a) < (?) OR ((a) = (?) AND ((b) > (?) OR ((b) = (?) AND (c) < (?)))))", []any{1, 1, 2, 2, 3}},
	} {
		exprs := []string{"a", "b", "c"}[:len(tc.desc)]
		vals := []any{1, 2, 3}[:len(tc.desc)]
		sqlText, args := keysetAfter(exprs, tc.desc, vals)
		if sqlText != tc.sql || !reflect.DeepEqual(args, tc.args) {
			t.Errorf("%v: %s %v, want %s %v", tc.desc, sqlText, args, tc.sql, tc.args)
		}
	}
}

// BenchmarkListConfigurations shows that a ListConfigurations page costs the
// same at any depth (keyset pagination), also sorted and filtered: compare
// the first page with a page 9,000 servers deep, in an account of 10,000
// servers beside another of 10,000.
func BenchmarkListConfigurations(b *testing.B) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	const n = 10000
	tx, err := db.db.Begin()
	if err != nil {
		b.Fatal(err)
	}
	for _, acct := range []string{invA, invB} {
		for i := range n {
			// Host names in another order than IDs; a tenth contain "db".
			h := (i * 7919) % n
			role := []string{"web", "app", "cache", "queue", "batch", "api", "auth", "search", "mail", "db"}[h%10]
			_, err := tx.Exec(`INSERT INTO servers (account_id, server_id, agent_id, host_name, os_name, os_version, server_type, created_ms, updated_ms)
				VALUES (?, ?, ?, ?, ?, ?, 'EC2', ?, ?)`, acct, fmt.Sprintf("d-server-%017x", i*2654435761%(1<<40)), fmt.Sprintf("o-%017x", i),
				fmt.Sprintf("%s-%05d.example.com", role, h), []string{"Ubuntu", "Windows Server 2019", "Amazon Linux 2"}[i%3], "1.0", i, i)
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	if _, err := db.db.Exec(`ANALYZE`); err != nil {
		b.Fatal(err)
	}
	// server.hostName CONTAINS x, as the inventory use case asks it.
	hostContains := func(x string) []discovery.Predicate {
		return []discovery.Predicate{{Field: discovery.FieldServerHostName, Match: discovery.MatchContains, Quant: discovery.AnyMatch, Fold: true, Text: []string{x}}}
	}
	for _, bc := range []struct {
		name  string
		where []discovery.Predicate
		order []discovery.OrderKey
	}{
		{"by-id", nil, nil},
		{"hostName-desc", nil, []discovery.OrderKey{{Field: discovery.FieldServerHostName, Desc: true}}},
		{"contains", hostContains("example"), nil},
		{"contains-selective", hostContains("db-"), nil},
		{"contains-osName-asc", hostContains("example"), []discovery.OrderKey{{Field: discovery.FieldServerOSName}}},
	} {
		q := discovery.ItemQuery{Account: invA, Type: discovery.TypeServer, Where: bc.where, Order: bc.order}
		all, err := db.ListItems(ctx, q)
		if err != nil {
			b.Fatal(err)
		}
		deepAt := len(all) * 9 / 10
		deep := all[deepAt].Cursor
		// The cursor survives a token round trip as JSON.
		raw, _ := json.Marshal(deep)
		var back discovery.ItemCursor
		json.Unmarshal(raw, &back)
		for i, k := range back.Keys {
			if f, ok := k.(float64); ok {
				back.Keys[i] = int64(f)
			}
		}
		for _, pc := range []struct {
			name  string
			after *discovery.ItemCursor
		}{{"first-page", nil}, {fmt.Sprintf("page-%d-deep", deepAt), &back}} {
			b.Run(bc.name+"/"+pc.name, func(b *testing.B) {
				q := q
				q.After, q.Limit = pc.after, 101
				want := min(101, len(all))
				if pc.after != nil {
					want = min(101, len(all)-deepAt-1)
				}
				for b.Loop() {
					items, err := db.ListItems(ctx, q)
					if err != nil || len(items) != want {
						b.Fatal(err, len(items), want)
					}
				}
			})
		}
	}
	fmt.Fprintln(b.Output(), "servers per account:", n)
}
