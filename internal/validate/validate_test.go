package validate

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestErrorRendering(t *testing.T) {
	one := &Error{Violations: []Violation{{Path: "maxResults", Value: "0", Constraint: MinValue("1")}}}
	if got, want := one.Error(), "1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1"; got != want {
		t.Errorf("one:\n got %s\nwant %s", got, want)
	}
	if one.Missing() {
		t.Error("one.Missing() = true")
	}
	two := &Error{Violations: []Violation{
		{Path: "exportId", Constraint: NotNull, Missing: true},
		{Path: "name", Value: "x", Constraint: MaxLen(0)},
	}}
	want := "2 validation errors detected: Value null at 'exportId' failed to satisfy constraint: Member must not be null; " +
		"Value 'x' at 'name' failed to satisfy constraint: Member must have length less than or equal to 0"
	if got := two.Error(); got != want {
		t.Errorf("two:\n got %s\nwant %s", got, want)
	}
	if !two.Missing() {
		t.Error("two.Missing() = false")
	}
}

func TestCollectorErr(t *testing.T) {
	var c Collector
	if err := c.Err(); err != nil {
		t.Fatalf("empty collector: %v", err)
	}
	c.Null("a")
	err := c.Err()
	var ve *Error
	if !errors.As(err, &ve) || len(ve.Violations) != 1 || !ve.Missing() {
		t.Fatalf("Err() = %#v", err)
	}
	// The returned error must not alias the collector.
	c.Null("b")
	if len(ve.Violations) != 1 {
		t.Fatalf("error changed after more violations: %v", ve)
	}
}

func TestStringRule(t *testing.T) {
	r := &StringRule{MinLen: 2, HasMinLen: true, MaxLen: 3, HasMaxLen: true,
		Pattern: regexp.MustCompile(`^(?:[a-z]+)$`), PatternText: `[a-z]+`, Enum: []string{"ab", "abc", "ABCD"}}
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"ab", nil},
		{"éé", []string{Pattern(`[a-z]+`), Enum(r.Enum)}}, // 2 code points: length ok
		{"a", []string{MinLen(2), Enum(r.Enum)}},
		{"ABCD", []string{MaxLen(3), Pattern(`[a-z]+`)}},
	} {
		var c Collector
		c.String("p", tc.in, r)
		var got []string
		for _, v := range c.violations {
			if v.Path != "p" || v.Value != tc.in {
				t.Errorf("%q: violation %+v", tc.in, v)
			}
			got = append(got, v.Constraint)
		}
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("%q: got %q, want %q", tc.in, got, tc.want)
		}
	}
	if got, want := Enum([]string{"A", "B"}), "Member must satisfy enum value set: [A, B]"; got != want {
		t.Errorf("Enum = %q", got)
	}
}

func TestListsAndMaps(t *testing.T) {
	r := &StringRule{MinLen: 1, HasMinLen: true, MaxLen: 3, HasMaxLen: true, Pattern: regexp.MustCompile(`^(?:\S+)$`), PatternText: `\S+`}
	var c Collector
	Strings(&c, "ids", []string{"ok", "toolong"}, r)
	Strings(&c, "fine", []string{"a", "b"}, r)
	MapKeys(&c, "m", map[string]int{"b": 1, "": 2}, r)
	StringValues(&c, "v", map[string]string{"k": "long!"}, r)
	Ints(&c, "n", []int32{1, 20}, &IntRule{Max: 10, HasMax: true})
	IntValues(&c, "nv", map[string]int64{"k": -1}, &IntRule{Min: 0, HasMin: true})
	Floats(&c, "f", []float64{0.25}, &FloatRule{Min: 0.5, HasMin: true, MinText: "0.5"})
	FloatValues(&c, "fv", map[string]float64{"k": 2}, &FloatRule{Max: 1, HasMax: true, MaxText: "1.0"})
	want := []string{
		"Value '[ok, toolong]' at 'ids' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 3, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: \\S+]",
		"Value '{=2, b=1}' at 'm' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to 3, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: \\S+]",
		"Value '{k=long!}' at 'v' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 3, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: \\S+]",
		"Value '[1, 20]' at 'n' failed to satisfy constraint: Member must satisfy constraint: [Member must have value less than or equal to 10]",
		"Value '{k=-1}' at 'nv' failed to satisfy constraint: Map value must satisfy constraint: [Member must have value greater than or equal to 0]",
		"Value '[0.25]' at 'f' failed to satisfy constraint: Member must satisfy constraint: [Member must have value greater than or equal to 0.5]",
		"Value '{k=2.0}' at 'fv' failed to satisfy constraint: Map value must satisfy constraint: [Member must have value less than or equal to 1.0]",
	}
	if len(c.violations) != len(want) {
		t.Fatalf("got %d violations: %v", len(c.violations), c.violations)
	}
	for i, v := range c.violations {
		if v.String() != want[i] {
			t.Errorf("violation %d:\n got %s\nwant %s", i, v, want[i])
		}
	}
}

func TestSizeAndUnion(t *testing.T) {
	var c Collector
	r := &SizeRule{Min: 1, HasMin: true, Max: 2, HasMax: true}
	c.Size("l", 0, []string{}, r)
	c.Size("l", 3, []string{"a", "b", "c"}, r)
	c.Size("l", 2, []string{"a", "b"}, r)
	c.Union("u", struct {
		A *string `json:"a"`
	}{}, 0)
	c.Union("u", map[string]int{"a": 1, "b": 2}, 2)
	want := []string{
		"Value '[]' at 'l' failed to satisfy constraint: Member must have length greater than or equal to 1",
		"Value '[a, b, c]' at 'l' failed to satisfy constraint: Member must have length less than or equal to 2",
		"Value '{a=1, b=2}' at 'u' failed to satisfy constraint: Member must have exactly one member set",
	}
	if len(c.violations) != len(want) {
		t.Fatalf("got %v", c.violations)
	}
	for i, v := range c.violations {
		if v.String() != want[i] {
			t.Errorf("violation %d:\n got %s\nwant %s", i, v, want[i])
		}
	}
}

func TestPaths(t *testing.T) {
	p := Join("", "filters")
	p = Index(p, 0)
	p = Join(p, "name")
	if p != "filters.1.member.name" {
		t.Errorf("path = %q", p)
	}
	if got := Join(MapValue("schemaStorageConfig", "db"), "x"); got != "schemaStorageConfig.db.value.x" {
		t.Errorf("map path = %q", got)
	}
}

type stamp struct{ time.Time }

func (s stamp) String() string { return "stamp" }

func TestRender(t *testing.T) {
	name := "n"
	type inner struct {
		Name  *string  `json:"name,omitzero"`
		Skip  *string  `json:"skip,omitzero"`
		Vals  []string `json:"values,omitzero"`
		plain int
	}
	for _, tc := range []struct {
		in   any
		want string
	}{
		{nil, "null"},
		{(*string)(nil), "null"},
		{&name, "n"},
		{[]string{"a", "b"}, "[a, b]"},
		{[]string{}, "[]"},
		{[]*inner{{Name: &name, Vals: []string{"x"}}, nil}, "[{name=n, values=[x]}, null]"},
		{map[string]string{"b": "2", "a": "1"}, "{a=1, b=2}"},
		{[]byte("hi"), "aGk="},
		{true, "true"},
		{int32(-7), "-7"},
		{50.0, "50.0"},
		{stamp{}, "stamp"},
		{&stamp{}, "stamp"},
	} {
		if got := Render(tc.in); got != tc.want {
			t.Errorf("Render(%#v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
