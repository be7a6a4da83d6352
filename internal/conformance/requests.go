package conformance

// Request-case generation: from the input shapes of the model, RequestCases
// builds valid requests (a minimal and a maximal one) and invalid requests,
// each breaking one constraint of one member, with the error the server must
// answer. The cases are sent by the end-to-end tests
// (cmd/poseidon/generated_e2e_test.go).

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Kind names what a request case exercises.
type Kind string

// Case kinds. The valid kinds expect HTTP 200; every other kind breaks one
// constraint of one member and expects HTTP 400.
const (
	ValidMinimal    Kind = "valid-minimal"     // only required members
	ValidMaximal    Kind = "valid-maximal"     // every member set
	ValidEmptyUnion Kind = "valid-empty-union" // a union with no member set (treated as absent)
	Missing         Kind = "missing"           // a required member left out
	TooLong         Kind = "too-long"          // string longer than its max length
	TooShort        Kind = "too-short"         // string shorter than its min length
	PatternMismatch Kind = "pattern"           // string not matching its pattern
	EnumMismatch    Kind = "enum"              // string outside its enum
	TooSmall        Kind = "too-small"         // number below its min
	TooLarge        Kind = "too-large"         // number above its max
	TooFew          Kind = "too-few"           // list with fewer items than its min
	TooMany         Kind = "too-many"          // list with more items than its max
	UnionTwo        Kind = "union-two-members" // union with two members set
)

// Valid reports whether k is a kind that is valid by the model (and so
// expects success unless the server documents a semantic rule).
func (k Kind) Valid() bool {
	return k == ValidMinimal || k == ValidMaximal || k == ValidEmptyUnion || k == LongList || k == LongDistinct || k == LongString
}

// Case is one generated request of an operation.
type Case struct {
	Op   string
	Name string // unique within the operation: kind, variant or member path
	Kind Kind
	// Body is the JSON request body; nil when Inapplicable is set.
	Body []byte
	// WantStatus is 200 for valid kinds, 400 otherwise.
	WantStatus int
	// WantCode is the modeled error code of an invalid case.
	WantCode string
	// WantPath is the AWS-style member path the error message must name
	// ("filters.1.member.name"; the list path for an element of a list of
	// strings, which AWS reports once at the list).
	WantPath string
	// WantConstraint is the AWS wording of the broken constraint, as the
	// message must give it after "failed to satisfy constraint: "
	// ("Member must have length less than or equal to 200"; for an element
	// of a list of strings "Member must satisfy constraint: [...]" listing
	// every constraint of the element shape).
	WantConstraint string
	// WantViolations is how many violations the message must report. It is
	// more than 1 only when one bad value cannot avoid breaking a second
	// constraint of the same member (a 201-character string cannot match
	// ^import-task-[a-fA-F0-9]{32}$); all of them are at WantPath.
	WantViolations int
	// Inapplicable, when not empty, says why this kind cannot be built for
	// this member (the model's only union has one member); Body is nil.
	Inapplicable string
}

// Filler supplies the value of the member at path (AWS style, list elements
// as "x.1.member") in a request of op being built for kind; ok false keeps
// the generated value. A filler lets valid requests name resources that
// exist. Invalid kinds are built from the maximal request filled with the
// kind Missing, so a filler may create fresh resources for valid kinds only.
type Filler func(op string, kind Kind, path string) (value any, ok bool)

// Variant is a maximal request with some members left out, for operations
// whose semantics refuse every member at once. Omit lists member paths
// through structures ("preferences", "a.b").
type Variant struct {
	Name string
	Omit []string
}

var (
	reqOnce sync.Once
	reqErr  error
)

// reqLoad returns the ADS model Check uses, with its patterns compiled.
func reqLoad() (*model, error) {
	m, err := load()
	if err != nil {
		return nil, err
	}
	reqOnce.Do(func() {
		for _, name := range slices.Sorted(maps.Keys(m.Shapes)) {
			s := m.Shapes[name]
			if s.Pattern == nil {
				continue
			}
			// The model's patterns are Java regexps matched against the
			// whole value. Those of this model mean the same in RE2 for
			// the ASCII strings generated here.
			re, err := regexp.Compile(`^(?:` + *s.Pattern + `)$`)
			if err != nil {
				reqErr = fmt.Errorf("conformance: shape %s: %w", name, err)
				return
			}
			s.re = re
		}
	})
	return m, reqErr
}

// Operations returns the model's operation names, sorted.
func Operations() ([]string, error) {
	m, err := reqLoad()
	if err != nil {
		return nil, err
	}
	ops := make([]string, 0, len(m.Operations))
	for op := range m.Operations {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	return ops, nil
}

// reqMaxFullLength is the longest max length a maximal request fills to.
const reqMaxFullLength = 1000

type reqMode int

const (
	reqModeMin reqMode = iota
	reqModeMax
	// reqModeLong sets every member, like reqModeMax, with the shortest
	// strings, so that a grown list holds as many items as fit.
	reqModeLong
)

// reqTarget is a constrained or required member found in the invalid base.
type reqTarget struct {
	loc      []any // steps from the root: member names and list indexes
	path     string
	shape    *shape
	name     string // shape name
	required bool
	// elemOf is the path of the list when the target is an element of a
	// list of scalars; AWS reports such violations at the list.
	elemOf string
}

type reqBuilder struct {
	m       *model
	op      string
	kind    Kind
	fill    Filler
	mode    reqMode
	omit    map[string]bool
	targets []reqTarget
	unions  []reqTarget
}

func (b *reqBuilder) value(name, path string, loc []any, required bool, elemOf string) (any, error) {
	s, ok := b.m.Shapes[name]
	if !ok {
		return nil, fmt.Errorf("conformance: no shape %q", name)
	}
	t := reqTarget{loc: append([]any(nil), loc...), path: path, shape: s, name: name, required: required, elemOf: elemOf}
	b.targets = append(b.targets, t)
	if path != "" && b.fill != nil {
		if v, ok := b.fill(b.op, b.kind, path); ok {
			return v, nil
		}
	}
	switch s.Type {
	case "structure":
		if s.Union {
			b.unions = append(b.unions, t)
		}
		obj := map[string]any{}
		for _, mn := range reqSortedMembers(s) {
			mp := reqJoinPath(path, mn)
			req := reqContains(s.Required, mn)
			if b.omit[mp] || (b.mode == reqModeMin && !req) {
				continue
			}
			if s.Union && len(obj) == 1 {
				break // a union takes one member
			}
			v, err := b.value(s.Members[mn].Shape, mp, append(loc, mn), req, "")
			if err != nil {
				return nil, err
			}
			obj[mn] = v
		}
		return obj, nil
	case "list":
		n := 1
		if s.Min != nil && int(*s.Min) > n {
			n = int(*s.Min)
		}
		elem := b.m.Shapes[s.Member.Shape]
		scalar := elem != nil && elem.Type != "structure" && elem.Type != "list" && elem.Type != "map"
		arr := make([]any, 0, n)
		for i := 0; i < n; i++ {
			ep := path + "." + strconv.Itoa(i+1) + ".member"
			of := ""
			if scalar {
				of = path
			}
			v, err := b.value(s.Member.Shape, ep, append(loc, i), false, of)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
		return arr, nil
	case "map":
		return nil, fmt.Errorf("conformance: %s %s: maps in inputs are not supported", b.op, path)
	case "string":
		v, ok := reqValidString(s, b.mode)
		if !ok {
			return nil, fmt.Errorf("conformance: %s %s: no valid value for shape %s", b.op, path, name)
		}
		return v, nil
	case "integer", "long":
		return reqValidInt(s), nil
	case "double", "float":
		return reqValidFloat(s), nil
	case "boolean":
		return true, nil
	case "timestamp":
		return 1700000000, nil
	case "blob":
		return "Z2Vu", nil
	}
	return nil, fmt.Errorf("conformance: %s %s: unsupported type %q", b.op, path, s.Type)
}

func reqSortedMembers(s *shape) []string {
	names := make([]string, 0, len(s.Members))
	for n := range s.Members {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func reqJoinPath(path, member string) string {
	if path == "" {
		return member
	}
	return path + "." + member
}

func reqContains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func reqValidInt(s *shape) int64 {
	if s.Min != nil {
		return int64(*s.Min)
	}
	if s.Max != nil && *s.Max < 1 {
		return int64(*s.Max)
	}
	return 1
}

func reqValidFloat(s *shape) float64 {
	lo, hi := math.Inf(-1), math.Inf(1)
	if s.Min != nil {
		lo = *s.Min
	}
	if s.Max != nil {
		hi = *s.Max
	}
	switch {
	case lo <= 50 && 50 <= hi:
		return 50
	case s.Min != nil:
		return lo
	}
	return hi
}

// reqStringForms build candidate strings of (about) length n; the first that
// satisfies the shape wins.
var reqStringForms = []func(n int) string{
	func(n int) string { return strings.Repeat("a", n) },
	func(n int) string { return "s3://bucket/" + strings.Repeat("k", max(n-12, 1)) },
	func(n int) string { return "us-" + strings.Repeat("w", max(n-5, 1)) + "-2" },
	func(n int) string { return "m5." + strings.Repeat("x", max(n-3, 1)) },
	func(int) string { return "AVG" },
	func(int) string { return "p50" },
	func(int) string { return "00000000-0000-4000-8000-000000000000" },
	func(int) string { return "import-task-" + strings.Repeat("0", 32) },
}

// reqInvalidPatternForms build strings of length n meant to miss a pattern.
var reqInvalidPatternForms = []func(n int) string{
	func(n int) string { return strings.Repeat(" ", n) },
	func(n int) string { return " " + strings.Repeat("a", max(n-1, 0)) },
	func(n int) string { return "a " + strings.Repeat("a", max(n-2, 0)) },
	func(n int) string { return strings.Repeat("!", n) },
	func(n int) string { return strings.Repeat("A", n) },
}

func (s *shape) lenOK(v string) bool {
	n := float64(utf8.RuneCountInString(v))
	return (s.Min == nil || n >= *s.Min) && (s.Max == nil || n <= *s.Max)
}

func (s *shape) patternOK(v string) bool { return s.re == nil || s.re.MatchString(v) }

func (s *shape) enumOK(v string) bool { return s.Enum == nil || reqContains(s.Enum, v) }

// stringFailures counts the constraints of s that v breaks, as the server
// reports them (one violation each).
func (s *shape) stringFailures(v string) int {
	n := 0
	c := float64(utf8.RuneCountInString(v))
	if s.Max != nil && c > *s.Max {
		n++
	}
	if s.Min != nil && c < *s.Min {
		n++
	}
	if !s.patternOK(v) {
		n++
	}
	if !s.enumOK(v) {
		n++
	}
	return n
}

// reqValidString returns a value of s: in reqModeMax as long as the max length
// allows (up to reqMaxFullLength), in reqModeMin as short as possible.
func reqValidString(s *shape, md reqMode) (string, bool) {
	if len(s.Enum) > 0 {
		return s.Enum[0], true
	}
	lo := 1
	if s.Min != nil && int(*s.Min) > lo {
		lo = int(*s.Min)
	}
	want := []int{lo, lo + 2, lo + 8}
	if md == reqModeMax {
		if s.Max != nil && *s.Max <= reqMaxFullLength {
			want = append([]int{int(*s.Max)}, want...)
		} else {
			want = []int{max(lo, 8), lo}
		}
	}
	for _, n := range want {
		for _, f := range reqStringForms {
			if v := f(n); s.lenOK(v) && s.patternOK(v) {
				return v, true
			}
		}
	}
	return "", false
}

// reqStringOfLen returns a string of exactly n code points that satisfies the
// pattern of s if one of the forms can, else any string of that length.
func reqStringOfLen(s *shape, n int) string {
	for _, f := range reqStringForms {
		if v := f(n); utf8.RuneCountInString(v) == n && s.patternOK(v) && s.enumOK(v) {
			return v
		}
	}
	return strings.Repeat("a", n)
}

// reqOperation returns the model and operation op of it.
func reqOperation(op string) (*model, operation, error) {
	m, err := reqLoad()
	if err != nil {
		return nil, operation{}, err
	}
	o, ok := m.Operations[op]
	if !ok {
		return nil, operation{}, fmt.Errorf("conformance: unknown operation %q", op)
	}
	return m, o, nil
}

// RequestCases generates the request cases of op. fill (may be nil) supplies
// member values; variants (optional) replace the single maximal request.
func RequestCases(op string, fill Filler, variants ...Variant) ([]Case, error) {
	m, o, err := reqOperation(op)
	if err != nil {
		return nil, err
	}
	missingCode := "InvalidParameterValueException"
	for _, e := range o.Errors {
		if e.Shape == "InvalidParameterException" {
			missingCode = "InvalidParameterException"
		}
	}
	build := func(kind Kind, md reqMode, omit []string, fill Filler) (map[string]any, *reqBuilder, error) {
		b := &reqBuilder{m: m, op: op, kind: kind, fill: fill, mode: md, omit: map[string]bool{}}
		for _, p := range omit {
			b.omit[p] = true
		}
		if o.Input == nil {
			return map[string]any{}, b, nil
		}
		v, err := b.value(o.Input.Shape, "", nil, true, "")
		if err != nil {
			return nil, nil, err
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, nil, fmt.Errorf("conformance: %s: input is not a structure", op)
		}
		return obj, b, nil
	}
	var cases []Case
	add := func(c Case, body any) error {
		c.Op = op
		if body != nil {
			raw, err := json.Marshal(body)
			if err != nil {
				return err
			}
			c.Body = raw
		}
		if c.Kind.Valid() {
			c.WantStatus = http.StatusOK
		} else if c.Inapplicable == "" {
			c.WantStatus = http.StatusBadRequest
		}
		cases = append(cases, c)
		return nil
	}

	minBody, _, err := build(ValidMinimal, reqModeMin, nil, fill)
	if err != nil {
		return nil, err
	}
	if err := add(Case{Name: string(ValidMinimal), Kind: ValidMinimal}, minBody); err != nil {
		return nil, err
	}
	if len(variants) == 0 {
		variants = []Variant{{}}
	}
	for _, v := range variants {
		body, _, err := build(ValidMaximal, reqModeMax, v.Omit, fill)
		if err != nil {
			return nil, err
		}
		name := string(ValidMaximal)
		if v.Name != "" {
			name += "/" + v.Name
		}
		if err := add(Case{Name: name, Kind: ValidMaximal}, body); err != nil {
			return nil, err
		}
	}

	// Invalid cases start from the full maximal request (validation comes
	// before any semantic rule) and change one member.
	base, _, err := build(Missing, reqModeMax, nil, fill)
	if err != nil {
		return nil, err
	}
	// The members to break come from the request built without the filler:
	// a filler may supply a whole list, which hides its element shape.
	_, b, err := build(Missing, reqModeMax, nil, nil)
	if err != nil {
		return nil, err
	}
	invalid := func(kind Kind, t reqTarget, value any, del bool, violations int) error {
		body := reqClone(base).(map[string]any)
		if del {
			reqDeleteAt(body, t.loc)
		} else {
			reqSetAt(body, t.loc, value)
		}
		want := t.path
		if t.elemOf != "" {
			want, violations = t.elemOf, 1
		}
		code := "InvalidParameterValueException"
		if kind == Missing {
			code = missingCode
		}
		return add(Case{Name: string(kind) + " " + t.path, Kind: kind, WantCode: code, WantPath: want, WantViolations: violations,
			WantConstraint: reqConstraintText(kind, t.shape, t.elemOf != "")}, body)
	}
	inapplicable := func(kind Kind, t reqTarget, why string) error {
		return add(Case{Name: string(kind) + " " + t.path, Kind: kind, WantPath: t.path, Inapplicable: why}, nil)
	}
	for _, t := range b.targets {
		if t.path == "" {
			continue
		}
		s := t.shape
		if t.required {
			if err := invalid(Missing, t, nil, true, 1); err != nil {
				return nil, err
			}
		}
		switch s.Type {
		case "string":
			if err := reqStringCases(s, t, invalid, inapplicable); err != nil {
				return nil, err
			}
		case "integer", "long":
			if s.Min != nil {
				if err := invalid(TooSmall, t, int64(*s.Min)-1, false, 1); err != nil {
					return nil, err
				}
			}
			if s.Max != nil {
				if err := invalid(TooLarge, t, int64(*s.Max)+1, false, 1); err != nil {
					return nil, err
				}
			}
		case "double", "float":
			if s.Min != nil {
				if err := invalid(TooSmall, t, *s.Min-1, false, 1); err != nil {
					return nil, err
				}
			}
			if s.Max != nil {
				if err := invalid(TooLarge, t, *s.Max+1, false, 1); err != nil {
					return nil, err
				}
			}
		case "list":
			cur, _ := reqGetAt(base, t.loc).([]any)
			if len(cur) == 0 {
				return nil, fmt.Errorf("conformance: %s %s: the base request has no list item to copy", op, t.path)
			}
			items := func(n int) []any {
				out := make([]any, n)
				for i := range out {
					out[i] = reqClone(cur[i%len(cur)])
				}
				return out
			}
			if s.Min != nil {
				if *s.Min > 0 {
					if err := invalid(TooFew, t, items(int(*s.Min)-1), false, 1); err != nil {
						return nil, err
					}
				} else if err := inapplicable(TooFew, t, "min items 0"); err != nil {
					return nil, err
				}
			}
			if s.Max != nil {
				if err := invalid(TooMany, t, items(int(*s.Max)+1), false, 1); err != nil {
					return nil, err
				}
			}
		case "structure":
			if s.Union {
				if len(s.Members) < 2 {
					if err := inapplicable(UnionTwo, t, fmt.Sprintf("union %s has %d member", t.name, len(s.Members))); err != nil {
						return nil, err
					}
				} else {
					obj := map[string]any{}
					for _, mn := range reqSortedMembers(s)[:2] {
						mb := &reqBuilder{m: m, op: op, kind: Missing, fill: fill, mode: reqModeMin, omit: map[string]bool{}}
						v, err := mb.value(s.Members[mn].Shape, reqJoinPath(t.path, mn), append(t.loc, mn), false, "")
						if err != nil {
							return nil, err
						}
						obj[mn] = v
					}
					if err := invalid(UnionTwo, t, obj, false, 1); err != nil {
						return nil, err
					}
				}
			}
		}
	}

	// An empty union is treated as absent (docs/behavior.md "Validation"):
	// a valid request, built from a maximal variant that sets the union.
	for _, u := range b.unions {
		for _, v := range variants {
			if reqOmitted(v.Omit, u.path) {
				continue
			}
			body, _, err := build(ValidEmptyUnion, reqModeMax, v.Omit, fill)
			if err != nil {
				return nil, err
			}
			reqSetAt(body, u.loc, map[string]any{})
			if err := add(Case{Name: string(ValidEmptyUnion) + " " + u.path, Kind: ValidEmptyUnion}, body); err != nil {
				return nil, err
			}
			break
		}
	}
	return cases, nil
}

func reqOmitted(omit []string, path string) bool {
	for _, p := range omit {
		if path == p || strings.HasPrefix(path, p+".") {
			return true
		}
	}
	return false
}

func reqStringCases(s *shape, t reqTarget, invalid func(Kind, reqTarget, any, bool, int) error, inapplicable func(Kind, reqTarget, string) error) error {
	if s.Max != nil {
		v := reqStringOfLen(s, int(*s.Max)+1)
		if err := invalid(TooLong, t, v, false, s.stringFailures(v)); err != nil {
			return err
		}
	}
	if s.Min != nil {
		if *s.Min > 0 {
			v := reqStringOfLen(s, int(*s.Min)-1)
			if err := invalid(TooShort, t, v, false, s.stringFailures(v)); err != nil {
				return err
			}
		} else if err := inapplicable(TooShort, t, "min length 0"); err != nil {
			return err
		}
	}
	if s.re != nil {
		lo := 1
		if s.Min != nil && int(*s.Min) > lo {
			lo = int(*s.Min)
		}
		found := false
		for _, n := range []int{lo, lo + 2} {
			for _, f := range reqInvalidPatternForms {
				v := f(n)
				if s.lenOK(v) && s.enumOK(v) && !s.patternOK(v) {
					if err := invalid(PatternMismatch, t, v, false, 1); err != nil {
						return err
					}
					found = true
					break
				}
			}
			if found {
				break
			}
		}
		if !found {
			if err := inapplicable(PatternMismatch, t, fmt.Sprintf("pattern %s accepts every string", *s.Pattern)); err != nil {
				return err
			}
		}
	}
	if len(s.Enum) > 0 {
		v := "NOT_A_MODELED_VALUE"
		if err := invalid(EnumMismatch, t, v, false, s.stringFailures(v)); err != nil {
			return err
		}
	}
	return nil
}

func reqClone(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = reqClone(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = reqClone(e)
		}
		return out
	case []string:
		return append([]string(nil), v...)
	}
	return v
}

// reqContainer returns the parent of loc's last step, converting filler lists
// of strings to []any so that they can be changed.
func reqContainer(root any, loc []any) any {
	cur := root
	for _, step := range loc[:len(loc)-1] {
		switch c := cur.(type) {
		case map[string]any:
			next := c[step.(string)]
			if ss, ok := next.([]string); ok {
				next = reqStringsToAny(ss)
				c[step.(string)] = next
			}
			cur = next
		case []any:
			cur = c[step.(int)]
		default:
			return nil
		}
	}
	return cur
}

func reqStringsToAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func reqGetAt(root any, loc []any) any {
	p := reqContainer(root, loc)
	switch c := p.(type) {
	case map[string]any:
		v := c[loc[len(loc)-1].(string)]
		if ss, ok := v.([]string); ok {
			return reqStringsToAny(ss)
		}
		return v
	case []any:
		if i := loc[len(loc)-1].(int); i < len(c) {
			return c[i]
		}
	}
	return nil
}

func reqSetAt(root any, loc []any, v any) {
	switch c := reqContainer(root, loc).(type) {
	case map[string]any:
		c[loc[len(loc)-1].(string)] = v
	case []any:
		if i := loc[len(loc)-1].(int); i < len(c) {
			c[i] = v
		}
	}
}

func reqDeleteAt(root any, loc []any) {
	if c, ok := reqContainer(root, loc).(map[string]any); ok {
		delete(c, loc[len(loc)-1].(string))
	}
}

// reqConstraintText is the AWS wording (Coral validation messages) of the
// constraint that kind breaks in shape s; elem: s is the element shape of a
// list of scalars, whose violations AWS words as one list constraint.
func reqConstraintText(kind Kind, s *shape, elem bool) string {
	if elem {
		return "Member must satisfy constraint: [" + strings.Join(reqAllConstraints(s), ", ") + "]"
	}
	switch kind {
	case Missing:
		return "Member must not be null"
	case TooLong, TooMany:
		return "Member must have length less than or equal to " + reqBoundText(s, *s.Max)
	case TooShort, TooFew:
		return "Member must have length greater than or equal to " + reqBoundText(s, *s.Min)
	case TooLarge:
		return "Member must have value less than or equal to " + reqBoundText(s, *s.Max)
	case TooSmall:
		return "Member must have value greater than or equal to " + reqBoundText(s, *s.Min)
	case PatternMismatch:
		return "Member must satisfy regular expression pattern: " + *s.Pattern
	case EnumMismatch:
		return "Member must satisfy enum value set: [" + strings.Join(s.Enum, ", ") + "]"
	case UnionTwo:
		return "Member must have exactly one member set"
	}
	return ""
}

// reqAllConstraints lists the constraints of a scalar shape in AWS's order.
func reqAllConstraints(s *shape) []string {
	var out []string
	switch s.Type {
	case "string":
		if s.Max != nil {
			out = append(out, reqConstraintText(TooLong, s, false))
		}
		if s.Min != nil {
			out = append(out, reqConstraintText(TooShort, s, false))
		}
		if s.Pattern != nil {
			out = append(out, reqConstraintText(PatternMismatch, s, false))
		}
		if s.Enum != nil {
			out = append(out, reqConstraintText(EnumMismatch, s, false))
		}
	default:
		if s.Max != nil {
			out = append(out, reqConstraintText(TooLarge, s, false))
		}
		if s.Min != nil {
			out = append(out, reqConstraintText(TooSmall, s, false))
		}
	}
	return out
}

// reqBoundText writes a bound as Java prints it: integers plainly, doubles
// with a fraction ("100.0").
func reqBoundText(s *shape, v float64) string {
	if s.Type == "double" || s.Type == "float" {
		t := strconv.FormatFloat(v, 'f', -1, 64)
		if !strings.ContainsAny(t, ".eE") {
			t += ".0"
		}
		return t
	}
	return strconv.FormatInt(int64(v), 10)
}
