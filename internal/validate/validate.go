// Package validate is the runtime used by the code that shapegen generates
// from the AWS service models. It collects constraint violations and renders
// them the way AWS (Coral) services do:
//
//	1 validation error detected: Value 'x' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100
//
// Paths follow the AWS style: a top-level member is its name ("maxResults"),
// a member of a nested structure is joined with dots
// ("preferences.ec2RecommendationsPreferences.tenancy"), a structure inside a
// list adds the 1-based index and ".member" ("filters.1.member.name"), and a
// structure inside a map adds the key and ".value". A list (or map) of
// constrained scalars is reported once, at the list path, as
// "Member must satisfy constraint: [...]" ("Map keys must satisfy
// constraint: [...]", "Map value must satisfy constraint: [...]"), listing
// every constraint of the element shape, as AWS does.
package validate

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Violation is one failed constraint.
type Violation struct {
	// Path names the member, e.g. "filters.1.member.name".
	Path string
	// Value is the rendered offending value ("" when Missing).
	Value string
	// Constraint is the AWS wording of the rule, e.g.
	// "Member must have length less than or equal to 200".
	Constraint string
	// Missing is true when a required member is absent (Value null).
	Missing bool
}

// String renders the violation in AWS style.
func (v Violation) String() string {
	if v.Missing {
		return "Value null at '" + v.Path + "' failed to satisfy constraint: " + v.Constraint
	}
	return "Value '" + v.Value + "' at '" + v.Path + "' failed to satisfy constraint: " + v.Constraint
}

// Error lists every violation found in one input.
type Error struct {
	Violations []Violation
}

// Error renders "1 validation error detected: <v1>" or
// "N validation errors detected: <v1>; <v2>; ...".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(len(e.Violations)))
	if len(e.Violations) == 1 {
		b.WriteString(" validation error detected: ")
	} else {
		b.WriteString(" validation errors detected: ")
	}
	for i, v := range e.Violations {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(v.String())
	}
	return b.String()
}

// Missing reports whether any violation is a missing required member.
func (e *Error) Missing() bool {
	for _, v := range e.Violations {
		if v.Missing {
			return true
		}
	}
	return false
}

// Constraint texts.
const (
	NotNull  = "Member must not be null"
	OneUnion = "Member must have exactly one member set"
)

// MaxLen is the text of a maximum length (or item count) rule.
func MaxLen(n int64) string {
	return "Member must have length less than or equal to " + strconv.FormatInt(n, 10)
}

// MinLen is the text of a minimum length (or item count) rule.
func MinLen(n int64) string {
	return "Member must have length greater than or equal to " + strconv.FormatInt(n, 10)
}

// Pattern is the text of a regular expression rule; p is the model's text.
func Pattern(p string) string {
	return "Member must satisfy regular expression pattern: " + p
}

// Enum is the text of an enum rule.
func Enum(values []string) string {
	return "Member must satisfy enum value set: [" + strings.Join(values, ", ") + "]"
}

// MaxValue is the text of a numeric maximum; n is the bound as written.
func MaxValue(n string) string { return "Member must have value less than or equal to " + n }

// MinValue is the text of a numeric minimum; n is the bound as written.
func MinValue(n string) string { return "Member must have value greater than or equal to " + n }

func memberConstraint(prefix string, cs []string) string {
	return prefix + " must satisfy constraint: [" + strings.Join(cs, ", ") + "]"
}

// Join appends a member name to a path.
func Join(path, member string) string {
	if path == "" {
		return member
	}
	return path + "." + member
}

// Index is the path of the i-th (0-based) element of a list.
func Index(path string, i int) string {
	return path + "." + strconv.Itoa(i+1) + ".member"
}

// MapValue is the path of the value stored under key in a map.
func MapValue(path, key string) string {
	return path + "." + key + ".value"
}

// Collector accumulates violations. The zero value is ready to use.
type Collector struct {
	violations []Violation
}

// Add records v.
func (c *Collector) Add(v Violation) { c.violations = append(c.violations, v) }

// Fail records a violation of constraint by value at path. The value is
// rendered with Render.
func (c *Collector) Fail(path string, value any, constraint string) {
	c.Add(Violation{Path: path, Value: Render(value), Constraint: constraint})
}

// Null records a missing required member.
func (c *Collector) Null(path string) {
	c.Add(Violation{Path: path, Constraint: NotNull, Missing: true})
}

// Len is the number of violations so far.
func (c *Collector) Len() int { return len(c.violations) }

// Err returns nil when nothing was recorded, else a *Error.
func (c *Collector) Err() error {
	if len(c.violations) == 0 {
		return nil
	}
	return &Error{Violations: append([]Violation(nil), c.violations...)}
}

// StringRule holds the constraints of a string shape. Lengths count Unicode
// code points. Pattern must already be anchored for a full match;
// PatternText is the model's original pattern, used in messages.
type StringRule struct {
	MinLen, MaxLen       int64
	HasMinLen, HasMaxLen bool
	Pattern              *regexp.Regexp
	PatternText          string
	Enum                 []string
}

// failures returns the texts of the rules s breaks, in AWS order.
func (r *StringRule) failures(s string) []string {
	var out []string
	if r.HasMaxLen || r.HasMinLen {
		n := int64(utf8.RuneCountInString(s))
		if r.HasMaxLen && n > r.MaxLen {
			out = append(out, MaxLen(r.MaxLen))
		}
		if r.HasMinLen && n < r.MinLen {
			out = append(out, MinLen(r.MinLen))
		}
	}
	if r.Pattern != nil && !r.Pattern.MatchString(s) {
		out = append(out, Pattern(r.PatternText))
	}
	if r.Enum != nil && !contains(r.Enum, s) {
		out = append(out, Enum(r.Enum))
	}
	return out
}

// Constraints returns the texts of all rules, in AWS order.
func (r *StringRule) Constraints() []string {
	var out []string
	if r.HasMaxLen {
		out = append(out, MaxLen(r.MaxLen))
	}
	if r.HasMinLen {
		out = append(out, MinLen(r.MinLen))
	}
	if r.Pattern != nil {
		out = append(out, Pattern(r.PatternText))
	}
	if r.Enum != nil {
		out = append(out, Enum(r.Enum))
	}
	return out
}

// Valid reports whether s satisfies every rule.
func (r *StringRule) Valid(s string) bool { return len(r.failures(s)) == 0 }

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// String checks a string member.
func (c *Collector) String(path, s string, r *StringRule) {
	for _, f := range r.failures(s) {
		c.Add(Violation{Path: path, Value: s, Constraint: f})
	}
}

// IntRule holds the range of an integer or long shape.
type IntRule struct {
	Min, Max       int64
	HasMin, HasMax bool
}

func (r *IntRule) failures(v int64) []string {
	var out []string
	if r.HasMax && v > r.Max {
		out = append(out, MaxValue(strconv.FormatInt(r.Max, 10)))
	}
	if r.HasMin && v < r.Min {
		out = append(out, MinValue(strconv.FormatInt(r.Min, 10)))
	}
	return out
}

// Constraints returns the texts of all rules.
func (r *IntRule) Constraints() []string {
	var out []string
	if r.HasMax {
		out = append(out, MaxValue(strconv.FormatInt(r.Max, 10)))
	}
	if r.HasMin {
		out = append(out, MinValue(strconv.FormatInt(r.Min, 10)))
	}
	return out
}

// Valid reports whether v is in range.
func (r *IntRule) Valid(v int64) bool { return len(r.failures(v)) == 0 }

// Int checks an integer or long member.
func (c *Collector) Int(path string, v int64, r *IntRule) {
	for _, f := range r.failures(v) {
		c.Add(Violation{Path: path, Value: strconv.FormatInt(v, 10), Constraint: f})
	}
}

// FloatRule holds the range of a double or float shape. MinText and MaxText
// are the bounds as the model writes them.
type FloatRule struct {
	Min, Max         float64
	HasMin, HasMax   bool
	MinText, MaxText string
}

func (r *FloatRule) failures(v float64) []string {
	var out []string
	if r.HasMax && !(v <= r.Max) {
		out = append(out, MaxValue(r.MaxText))
	}
	if r.HasMin && !(v >= r.Min) {
		out = append(out, MinValue(r.MinText))
	}
	return out
}

// Constraints returns the texts of all rules.
func (r *FloatRule) Constraints() []string {
	var out []string
	if r.HasMax {
		out = append(out, MaxValue(r.MaxText))
	}
	if r.HasMin {
		out = append(out, MinValue(r.MinText))
	}
	return out
}

// Valid reports whether v is in range.
func (r *FloatRule) Valid(v float64) bool { return len(r.failures(v)) == 0 }

// Float checks a double or float member.
func (c *Collector) Float(path string, v float64, r *FloatRule) {
	for _, f := range r.failures(v) {
		c.Add(Violation{Path: path, Value: Render(v), Constraint: f})
	}
}

// SizeRule holds the item-count bounds of a list or map, or the byte length
// bounds of a blob.
type SizeRule struct {
	Min, Max       int64
	HasMin, HasMax bool
}

// Size checks the item count n of value (a list, map or blob) at path.
func (c *Collector) Size(path string, n int, value any, r *SizeRule) {
	if r.HasMax && int64(n) > r.Max {
		c.Fail(path, value, MaxLen(r.Max))
	}
	if r.HasMin && int64(n) < r.Min {
		c.Fail(path, value, MinLen(r.Min))
	}
}

// Union checks a union structure in which set members are present: more
// than one is a violation; none means the union is empty, which is allowed.
func (c *Collector) Union(path string, value any, set int) {
	if set > 1 {
		c.Fail(path, value, OneUnion)
	}
}

// Strings checks the elements of a list of strings.
func Strings(c *Collector, path string, vs []string, r *StringRule) {
	for _, v := range vs {
		if !r.Valid(v) {
			c.Fail(path, vs, memberConstraint("Member", r.Constraints()))
			return
		}
	}
}

// Ints checks the elements of a list of integers or longs.
func Ints[T ~int32 | ~int64](c *Collector, path string, vs []T, r *IntRule) {
	for _, v := range vs {
		if !r.Valid(int64(v)) {
			c.Fail(path, vs, memberConstraint("Member", r.Constraints()))
			return
		}
	}
}

// Floats checks the elements of a list of doubles.
func Floats(c *Collector, path string, vs []float64, r *FloatRule) {
	for _, v := range vs {
		if !r.Valid(v) {
			c.Fail(path, vs, memberConstraint("Member", r.Constraints()))
			return
		}
	}
}

// MapKeys checks the keys of a map.
func MapKeys[V any](c *Collector, path string, m map[string]V, r *StringRule) {
	for k := range m {
		if !r.Valid(k) {
			c.Fail(path, m, memberConstraint("Map keys", r.Constraints()))
			return
		}
	}
}

// StringValues checks the string values of a map.
func StringValues(c *Collector, path string, m map[string]string, r *StringRule) {
	for _, v := range m {
		if !r.Valid(v) {
			c.Fail(path, m, memberConstraint("Map value", r.Constraints()))
			return
		}
	}
}

// IntValues checks the integer or long values of a map.
func IntValues[T ~int32 | ~int64](c *Collector, path string, m map[string]T, r *IntRule) {
	for _, v := range m {
		if !r.Valid(int64(v)) {
			c.Fail(path, m, memberConstraint("Map value", r.Constraints()))
			return
		}
	}
}

// FloatValues checks the double values of a map.
func FloatValues(c *Collector, path string, m map[string]float64, r *FloatRule) {
	for _, v := range m {
		if !r.Valid(v) {
			c.Fail(path, m, memberConstraint("Map value", r.Constraints()))
			return
		}
	}
}
