package postgres

import (
	"reflect"
	"testing"
)

func TestWhere(t *testing.T) {
	var w where
	w.add("a = $%d", 1)
	w.add("(b, c) < ($%d, $%d)", "x", "y")
	limit := w.param(limitArg(-1))
	if got := w.String() + " LIMIT " + limit; got != "a = $1 AND (b, c) < ($2, $3) LIMIT $4" {
		t.Fatalf("query %q", got)
	}
	if want := []any{1, "x", "y", (*int)(nil)}; !reflect.DeepEqual(w.args, want) {
		t.Fatalf("args %#v", w.args)
	}
}
