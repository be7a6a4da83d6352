package postgres

import (
	"fmt"
	"strconv"
	"strings"
)

// Building queries. A list travels as one array parameter, `col = ANY($n)`,
// whatever its length (PostgreSQL takes at most 65,535 parameters). The use
// cases have already intersected repeated filters into one set per column.

// nonNil returns vs, or an empty slice for nil: pgx sends a nil slice as
// NULL, and `x <> ALL(NULL)` holds for no row where an empty list holds for
// every row.
func nonNil(vs []string) []string {
	if vs == nil {
		return []string{}
	}
	return vs
}

// where builds a WHERE clause of terms joined by AND, numbering the
// parameters: each term has a $%d verb per argument.
type where struct {
	terms []string
	args  []any
}

func (w *where) add(term string, args ...any) {
	nums := make([]any, len(args))
	for i := range args {
		nums[i] = len(w.args) + i + 1
	}
	w.terms = append(w.terms, fmt.Sprintf(term, nums...))
	w.args = append(w.args, args...)
}

func (w *where) String() string { return strings.Join(w.terms, " AND ") }

// param appends an argument for a placeholder outside the terms (a LIMIT)
// and returns the placeholder.
func (w *where) param(v any) string {
	w.args = append(w.args, v)
	return "$" + strconv.Itoa(len(w.args))
}

// limitArg is the value of a LIMIT parameter: NULL (no limit) for a
// negative n, as SQLite reads LIMIT -1.
func limitArg(n int) *int {
	if n < 0 {
		return nil
	}
	return &n
}

// indexKey is the key an index holds for the user-supplied text e, an SQL
// expression: its first 256 characters (migration 006), so that a value of
// any length fits a B-tree entry. Under the "C" collation the key sorts as
// the value does.
func indexKey(e string) string { return "left(" + e + ", 256)" }

// equalKeyed is the condition "e equals the text v", both SQL expressions,
// for an e kept in an index by indexKey(e): the key's range, then the
// value.
func equalKeyed(e, v string) string {
	return indexKey(e) + " = " + indexKey(v) + " AND " + e + " = " + v
}

// equalAnyKeyed is the condition "e equals one of the texts of array", an
// SQL expression of a text array, for an e kept in an index by indexKey(e).
func equalAnyKeyed(e, array string) string {
	return indexKey(e) + " = ANY(ARRAY(SELECT " + indexKey("k") + " FROM unnest(" + array + ") AS k)) AND " + e + " = ANY(" + array + ")"
}

// shortValue is the condition "the text e is short": at most 256
// characters, kept whole in the index of a sortable field (migration 006:
// servers_by_host, ...). longValue is its converse, the values kept by
// their indexKey (servers_by_host_long, ...). Each is the predicate of its
// partial index, written the same way so that the planner matches them.
func shortValue(e string) string { return "length(" + e + ") <= 256" }
func longValue(e string) string  { return "length(" + e + ") > 256" }

// equalSplit is the condition "e equals the text v", both SQL expressions,
// for a sortable field e: a range of the index of short values or one of
// the index of long values.
func equalSplit(e, v string) string {
	return "((" + shortValue(e) + " AND " + e + " = " + v + ") OR (" + longValue(e) + " AND " + equalKeyed(e, v) + "))"
}

// equalAnySplit is the condition "e equals one of the texts of array" for
// a sortable field e (see equalSplit).
func equalAnySplit(e, array string) string {
	return "((" + shortValue(e) + " AND " + e + " = ANY(" + array + ")) OR (" + longValue(e) + " AND " + equalAnyKeyed(e, array) + "))"
}
