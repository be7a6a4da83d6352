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

// Predicates that differ only in their values are grouped, in order of
// first appearance; any other difference makes another group.
func TestGroupPredicates(t *testing.T) {
	p := func(f Field, m Match, q Quantifier, fold bool, v string) Predicate {
		return Predicate{Field: f, Match: m, Quant: q, Fold: fold, Text: []string{v}}
	}
	ps := []Predicate{
		p(FieldServerHostName, MatchContains, AnyMatch, true, "a"),
		p(FieldServerOSName, MatchContains, AnyMatch, true, "b"),
		p(FieldServerHostName, MatchContains, AnyMatch, true, "c"),
		p(FieldServerHostName, MatchContains, NoMatch, true, "d"),
		p(FieldServerHostName, MatchEqual, AnyMatch, true, "e"),
		p(FieldServerHostName, MatchContains, AnyMatch, false, "f"),
		p(FieldServerOSName, MatchContains, AnyMatch, true, "g"),
	}
	var got [][]string
	for _, g := range GroupPredicates(ps) {
		var vs []string
		for _, q := range g {
			vs = append(vs, q.Text[0])
		}
		got = append(got, vs)
	}
	want := [][]string{{"a", "c"}, {"b", "g"}, {"d"}, {"e"}, {"f"}}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("groups %v, want %v", got, want)
	}
	if g := GroupPredicates(nil); len(g) != 0 {
		t.Fatalf("no predicates: %v", g)
	}
}
