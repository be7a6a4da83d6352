package postgres

import (
	"reflect"
	"slices"
	"testing"
)

func TestIntersect(t *testing.T) {
	for _, c := range []struct {
		sets [][]string
		want []string
		ok   bool
	}{
		{nil, nil, false},
		{[][]string{{}}, []string{}, true},
		{[][]string{{"a", "b", "a"}}, []string{"a", "b"}, true},
		{[][]string{{"a", "b", "c"}, {"c", "a", "a"}}, []string{"a", "c"}, true},
		{[][]string{{"a", "b"}, {"b"}, {"a"}}, []string{}, true},
		{[][]string{{"a", "b"}, {"b", "b"}, {"b", "a"}}, []string{"b"}, true},
	} {
		got, ok := intersect(c.sets)
		if ok != c.ok || !slices.Equal(got, c.want) || (got == nil) != (c.want == nil) {
			t.Errorf("intersect(%q) = %q, %v; want %q, %v", c.sets, got, ok, c.want, c.ok)
		}
	}
}

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
