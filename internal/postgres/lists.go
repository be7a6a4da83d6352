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
