package discovery

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
		got, ok := Intersect(c.sets)
		if ok != c.ok || !slices.Equal(got, c.want) || (got == nil) != (c.want == nil) {
			t.Errorf("Intersect(%q) = %q, %v; want %q, %v", c.sets, got, ok, c.want, c.ok)
		}
	}
}

// Every field belongs to one item type, and the types' fields are all the
// fields.
func TestFieldsOf(t *testing.T) {
	n := 0
	for _, typ := range ItemTypes() {
		for _, f := range FieldsOf(typ) {
			if f.Type() != typ {
				t.Errorf("field %d of %s says %s", f, typ, f.Type())
			}
			n++
		}
	}
	if n != int(fieldEnd)-1 || Field(0).Type() != "" || fieldEnd.Type() != "" {
		t.Errorf("%d fields of types, %d fields", n, fieldEnd-1)
	}
}
