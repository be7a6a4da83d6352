package postgres

import (
	"context"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/postgres/pgtestdb"
	"github.com/poseidon-ads/poseidon/internal/sqlite/fixture"
)

// The translation of item queries to SQL. What the filters of
// ListConfigurations mean is tested with the inventory use case
// (internal/inventory), against this store and SQLite; the typed cases here
// are the ones SQLite's own tests run (package fixture).

// fixtureDB writes fixture rows, with SQLite's placeholders, through the
// store's pool.
type fixtureDB struct{ db *DB }

func (f fixtureDB) Exec(t testing.TB, q string, args ...any) {
	t.Helper()
	exec(t, f.db, pgtestdb.Numbered(q), args...)
}

// fullInventory opens a store filled with fixture.Inventory.
func fullInventory(t testing.TB) *DB {
	t.Helper()
	db := openTest(t)
	fixture.Inventory(t, fixtureDB{db})
	return db
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
	items, err := db.ListItems(context.Background(), discovery.ItemQuery{Account: fixture.A, Type: typ, Where: where})
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

// Each match, quantifier, value kind and count, over scalar fields, related
// lists and fields without value; predicates AND-ed, and repeated ones
// packed into one term that means the same (fixture.PredicateCases).
func TestListItemsPredicates(t *testing.T) {
	db := fullInventory(t)
	for _, tc := range fixture.PredicateCases(multi) {
		t.Run(tc.Name, func(t *testing.T) {
			if got := listIDs(t, db, tc.Type, tc.Where...); !reflect.DeepEqual(got, tc.Want) {
				t.Fatalf("got  %q\nwant %q", got, tc.Want)
			}
		})
	}
}

// However many predicates and values a query holds, it has a few
// parameters per group of predicates that differ only in their values
// (PostgreSQL takes at most 65,535), and it selects what it should.
func TestListItemsLongQueries(t *testing.T) {
	db := fullInventory(t)
	where := fixture.LongQuery(multi)
	if got := listIDs(t, db, discovery.TypeServer, where...); !slices.Equal(got, []string{fixture.Srv1}) {
		t.Fatalf("got %q", got)
	}
	groups := len(discovery.GroupPredicates(where))
	_, _, args, err := itemsQuery(discovery.ItemQuery{Account: fixture.A, Type: discovery.TypeServer, Where: where})
	if err != nil {
		t.Fatal(err)
	}
	if len(args) > 1+3*groups {
		t.Fatalf("%d parameters for %d predicates in %d groups", len(args), len(where), groups)
	}
}

// A predicate that disagrees with the store's mapping is an error, never a
// silent reinterpretation.
func TestListItemsRefusesMismatches(t *testing.T) {
	db := fullInventory(t)
	for name, p := range map[string]discovery.Predicate{
		"list read as scalar":  {Field: discovery.FieldServerTagKey, Match: discovery.MatchEqual, Quant: discovery.AnyMatch, Text: []string{"env"}},
		"scalar read as list":  {Field: discovery.FieldServerHostName, Multi: true, Match: discovery.MatchEqual, Quant: discovery.AnyMatch, Text: []string{"x"}},
		"field of other type":  {Field: discovery.FieldProcessName, Match: discovery.MatchEqual, Quant: discovery.AnyMatch, Text: []string{"x"}},
		"no quantifier":        {Field: discovery.FieldServerHostName, Match: discovery.MatchEqual, Text: []string{"x"}},
		"no match":             {Field: discovery.FieldServerHostName, Quant: discovery.AnyMatch, Text: []string{"x"}},
		"no match, packed too": {Field: discovery.FieldServerHostName, Quant: discovery.NoMatch, Text: []string{"x", "y"}},
	} {
		if _, err := db.ListItems(context.Background(), discovery.ItemQuery{Account: fixture.A, Type: discovery.TypeServer, Where: []discovery.Predicate{p, p}}); err == nil {
			t.Errorf("%s: no error", name)
		}
		if _, err := db.ListItems(context.Background(), discovery.ItemQuery{Account: fixture.A, Type: discovery.TypeServer, Where: []discovery.Predicate{p}}); err == nil {
			t.Errorf("%s alone: no error", name)
		}
	}
	_, err := db.ListItems(context.Background(), discovery.ItemQuery{Account: fixture.A, Type: discovery.TypeServer,
		Order: []discovery.OrderKey{{Field: discovery.FieldServerTagKey}}})
	if err == nil || !strings.Contains(err.Error(), "not sortable") {
		t.Fatalf("sort on a list: %v", err)
	}
}

// Values are bound as parameters, never spliced into the SQL: SQL and LIKE
// syntax match literally. Folding lowers ASCII letters only, as SQLite's
// lower() does, whatever the database's locale.
func TestFilterValuesAreParameters(t *testing.T) {
	db := fullInventory(t)
	for _, v := range []string{"' OR 1=1 --", `"); DROP TABLE servers; --`, "%", "_", `\`, "web%", "$1"} {
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
	exec(t, db, `UPDATE servers SET host_name = 'ÉCOLE-1' WHERE account_id = $1 AND server_id = $2`, fixture.A, fixture.Srv3)
	for _, tc := range []struct {
		v    string
		want []string
	}{{"école-1", []string{}}, {"École-1", []string{fixture.Srv3}}, {"Écolé-1", []string{}}} {
		for _, vals := range [][]string{{tc.v}, {tc.v, "none"}} {
			if got := listIDs(t, db, discovery.TypeServer, pred(discovery.FieldServerHostName, discovery.MatchEqual, discovery.AnyMatch, true, vals...)); !slices.Equal(got, tc.want) {
				t.Errorf("folded %q: %v, want %v", vals, got, tc.want)
			}
		}
	}
}

// keysetAfter builds row-value comparisons, one per run of equal directions,
// numbering the parameters after those already taken.
func TestKeysetAfter(t *testing.T) {
	for _, tc := range []struct {
		desc []bool
		sql  string
		args []any
	}{
		{[]bool{false}, "(a) > ($2)", []any{1}},
		{[]bool{true, true}, "(a, b) < ($2, $3)", []any{1, 2}},
		{[]bool{false, true}, "((a) > ($2) OR ((a) = ($2) AND (b) < ($3)))", []any{1, 2}},
		{[]bool{false, false, true}, "((a, b) > ($2, $3) OR ((a, b) = ($2, $3) AND (c) < ($4)))", []any{1, 2, 3}},
		{[]bool{true, false, true}, "((a) < ($2) OR ((a) = ($2) AND ((b) > ($3) OR ((b) = ($3) AND (c) < ($4)))))", []any{1, 2, 3}},
	} {
		exprs := []string{"a", "b", "c"}[:len(tc.desc)]
		vals := []any{1, 2, 3}[:len(tc.desc)]
		w := where{args: []any{"account"}}
		sqlText := keysetAfter(&w, exprs, tc.desc, vals)
		if sqlText != tc.sql || !reflect.DeepEqual(w.args[1:], tc.args) {
			t.Errorf("%v: %s %v, want %s %v", tc.desc, sqlText, w.args[1:], tc.sql, tc.args)
		}
	}
}

// fillServers gives each account n servers whose host names sort in
// another order than their IDs, and refreshes the planner's statistics.
func fillServers(t testing.TB, db *DB, n int, accounts ...string) {
	t.Helper()
	exec(t, db, `INSERT INTO servers (account_id, server_id, agent_id, host_name, os_name, os_version, server_type, created_ms, updated_ms)
		SELECT a, 'd-server-' || lpad(to_hex(i::bigint * 2654435761 % 1099511627776), 17, '0'), 'o-' || lpad(to_hex(i), 17, '0'),
			(ARRAY['web', 'app', 'cache', 'db'])[1 + (i * 7919 % $1) % 4] || '-' || lpad((i * 7919 % $1)::text, 6, '0') || '.example.com',
			(ARRAY['Ubuntu', 'Windows Server 2019', 'Amazon Linux 2'])[1 + i % 3], '1.0', 'EC2', i, i
		FROM generate_series(1, $1::int) i, unnest($2::text[]) a`, n, accounts)
	exec(t, db, `ANALYZE servers`)
}

// A ListConfigurations page of servers by ID, or by a sortable field that
// has an index, is one range scan of that index starting at the keyset
// cursor: no sort but of the page, no scan of the pages before it,
// whatever its depth. A sortable field has two indexes (migration 006):
// one of its values of at most 256 characters, one of the longer values by
// their first 256 characters; a page reads both from the cursor.
func TestListItemsPagePlan(t *testing.T) {
	db := openTest(t)
	fillServers(t, db, 20000, fixture.A, fixture.B)
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		order   []discovery.OrderKey
		indexes []string
		conds   []string
	}{
		{"by ID", nil, []string{"servers_pkey"}, []string{"server_id >"}},
		{"by host name", []discovery.OrderKey{{Field: discovery.FieldServerHostName}},
			[]string{"servers_by_host ", "servers_by_host_long "}, []string{"ROW(host_name, server_id) >", `"left"(host_name, 256) >=`}},
		{"by OS name, descending", []discovery.OrderKey{{Field: discovery.FieldServerOSName, Desc: true}},
			[]string{"servers_by_os_name ", "servers_by_os_name_long "}, []string{"ROW(os_name, server_id) <", `"left"(os_name, 256) <=`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := discovery.ItemQuery{Account: fixture.A, Type: discovery.TypeServer, Order: tc.order, Limit: 101}
			all, err := db.ListItems(ctx, discovery.ItemQuery{Account: fixture.A, Type: discovery.TypeServer, Order: tc.order})
			if err != nil || len(all) != 20000 {
				t.Fatalf("%d items, %v", len(all), err)
			}
			deep := all[15000].Cursor
			for _, after := range []*discovery.ItemCursor{nil, &deep} {
				q.After = after
				_, query, args, err := itemsQuery(q)
				if err != nil {
					t.Fatal(err)
				}
				lines, err := column(ctx, db.pool, `EXPLAIN `+query, args...)
				if err != nil {
					t.Fatal(err)
				}
				plan := strings.Join(lines, "\n")
				if strings.Contains(plan, "Seq Scan") || !sortsAtMost(plan, 2*101) {
					t.Errorf("after %v: plan\n%s", after, plan)
				}
				// The index of whole values is read in order; that of long
				// values, which holds none here, may be read as a bitmap.
				for i, index := range tc.indexes {
					if !strings.Contains(plan, "Index Scan using "+index) && !strings.Contains(plan, "Index Scan Backward using "+index) &&
						(i == 0 || !strings.Contains(plan, "Bitmap Index Scan on "+index)) {
						t.Errorf("after %v: no scan of %s:\n%s", after, index, plan)
					}
					if after != nil && !indexCond(plan, tc.conds[i]) {
						t.Errorf("the cursor is not a condition of %s:\n%s", index, plan)
					}
				}
				// The page itself: the 101 items after the cursor.
				items, err := db.ListItems(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				from := 0
				if after != nil {
					from = 15001
				}
				if len(items) != 101 || !reflect.DeepEqual(items[0], all[from]) || !reflect.DeepEqual(items[100], all[from+100]) {
					t.Fatalf("page after %v: %d items from %v", after, len(items), items[0].Cursor)
				}
			}
		})
	}
}

// A server found by host name (a filter EQUALS of one value or a few, as
// an import's match by host name) is read from the field's indexes, that
// of whole values and that of long values by their first 256 characters.
func TestListItemsEqualPlan(t *testing.T) {
	db := openTest(t)
	fillServers(t, db, 20000, fixture.A, fixture.B)
	ctx := context.Background()
	long := strings.Repeat("x", 300)
	for _, vals := range [][]string{{"web-000004.example.com"}, {"web-000004.example.com", long}} {
		q := discovery.ItemQuery{Account: fixture.A, Type: discovery.TypeServer, Limit: 101,
			Where: []discovery.Predicate{{Field: discovery.FieldServerHostName, Match: discovery.MatchEqual, Quant: discovery.AnyMatch, Text: vals}}}
		_, query, args, err := itemsQuery(q)
		if err != nil {
			t.Fatal(err)
		}
		lines, err := column(ctx, db.pool, `EXPLAIN `+query, args...)
		if err != nil {
			t.Fatal(err)
		}
		plan := strings.Join(lines, "\n")
		if strings.Contains(plan, "Seq Scan") || !strings.Contains(plan, "servers_by_host ") || !strings.Contains(plan, "servers_by_host_long ") {
			t.Errorf("%d values: plan\n%s", len(vals), plan)
		}
		items, err := db.ListItems(ctx, q)
		if err != nil || len(items) != 1 || items[0].Server.HostName != vals[0] {
			t.Fatalf("%d values: %d items, %v", len(vals), len(items), err)
		}
	}
}

// sortRows matches a plan's Sort node (not an Incremental Sort) and its
// estimate of rows.
var sortRows = regexp.MustCompile(`(?m)(?:^|->  )Sort  \(cost=\S+ rows=(\d+)`)

// sortsAtMost reports whether every Sort node of plan sorts at most n rows.
func sortsAtMost(plan string, n int) bool {
	for _, m := range sortRows.FindAllStringSubmatch(plan, -1) {
		if rows, _ := strconv.Atoi(m[1]); rows > n {
			return false
		}
	}
	return true
}

// indexCond reports whether an Index Cond line of plan holds cond.
func indexCond(plan, cond string) bool {
	for line := range strings.Lines(plan) {
		if strings.Contains(line, "Index Cond:") && strings.Contains(line, cond) {
			return true
		}
	}
	return false
}

// BenchmarkListItems shows that a page costs the same at any depth: compare
// the first page with one 45,000 servers deep, in an account of 50,000
// beside another of 50,000.
func BenchmarkListItems(b *testing.B) {
	ctx := context.Background()
	db := openTest(b)
	const n = 50000
	fillServers(b, db, n, fixture.A, fixture.B)
	for _, order := range [][]discovery.OrderKey{nil, {{Field: discovery.FieldServerHostName, Desc: true}}} {
		q := discovery.ItemQuery{Account: fixture.A, Type: discovery.TypeServer, Order: order}
		all, err := db.ListItems(ctx, q)
		if err != nil {
			b.Fatal(err)
		}
		deep := all[n-5000].Cursor
		for _, pc := range []struct {
			name  string
			after *discovery.ItemCursor
		}{{"first-page", nil}, {"page-45000-deep", &deep}} {
			b.Run(fmt.Sprintf("order-%d/%s", len(order), pc.name), func(b *testing.B) {
				q := q
				q.After, q.Limit = pc.after, 101
				for b.Loop() {
					if items, err := db.ListItems(ctx, q); err != nil || len(items) != 101 {
						b.Fatal(err, len(items))
					}
				}
			})
		}
	}
	fmt.Fprintln(b.Output(), "servers per account:", n)
}
