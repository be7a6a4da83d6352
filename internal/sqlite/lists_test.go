package sqlite

import (
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
