package inventory

import (
	"encoding/json"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// The filter language of ListConfigurations, and what it means. A request's
// filters must all hold; the values of one filter are alternatives. EQUALS
// holds when the attribute equals one of the values, exactly; CONTAINS when
// it contains one of them, ignoring the case of ASCII letters. NOT_EQUALS and
// NOT_CONTAINS hold when their positive condition holds for none of the
// values. Over a multi-valued attribute (a server's interfaces, tags,
// applications and processes) a positive condition holds when one element
// matches, a negated one when no element does: a server without tags
// satisfies server.tag.key NOT_EQUALS x. connection.destinationPort compares
// as an integer; the performance averages compare as numbers, and a server
// without samples has none, so it matches no GE, LE, GT or LT. Filters are
// compiled into discovery.Predicates (Where); the store only translates
// those.

// Numeric filter values are plain decimal numbers: strconv would also read
// "0x1p4", "1_000" (with a base prefix), "Inf", "1e3" and, after trimming,
// " 5"; AWS documents only numbers, so those are refused.
var (
	plainInteger = regexp.MustCompile(`^-?[0-9]+$`)
	plainDecimal = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)
)

// Condition is one validated filter: Field (canonical name) Op Values. The
// values of one condition are OR-ed; a negated op matches what its positive
// op matches for none of the values. Values are strings, int64 for integer
// fields, and a single float64 for the numeric comparisons (the OR of
// x >= a, x >= b is x >= min(a, b)).
type Condition struct {
	Field  string   `json:"f"`
	Op     Operator `json:"o"`
	Values []any    `json:"v"`
}

// CompileFilters validates filters for item type t and returns their
// conditions.
func CompileFilters(t discovery.ItemType, fs []discovery.Filter) ([]Condition, error) {
	conds := make([]Condition, 0, len(fs))
	for _, f := range fs {
		field, ok := lookupField(t, f.Name)
		if !ok || field.Conds == NoFilter {
			return nil, errorf(discovery.InvalidParameter,
				"The filter name '%s' is not supported for configurationType %s. Supported filter names: %s.", f.Name, t, filterNames(t))
		}
		op, ok := condNames[strings.ToUpper(f.Condition)]
		if !ok || !field.Conds.allows(op) {
			return nil, errorf(discovery.InvalidParameterValue,
				"The condition '%s' is not supported for the filter '%s'. Supported conditions: %s.", f.Condition, field.Name, field.Conds)
		}
		if len(f.Values) == 0 {
			return nil, errorf(discovery.InvalidParameterValue, "The filter '%s' needs at least one value.", field.Name)
		}
		c := Condition{Field: field.Name, Op: op}
		switch field.Kind {
		case KindString:
			vs := slices.Clone(f.Values)
			slices.Sort(vs)
			for _, v := range slices.Compact(vs) {
				c.Values = append(c.Values, v)
			}
		case KindInteger:
			var ns []int64
			for _, v := range f.Values {
				if !plainInteger.MatchString(v) {
					return nil, errorf(discovery.InvalidParameterValue, "The value '%s' of the filter '%s' is not an integer: use decimal digits with an optional leading minus sign, such as 443.", v, field.Name)
				}
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					return nil, errorf(discovery.InvalidParameterValue, "The value '%s' of the filter '%s' is out of range: it must be between %d and %d.", v, field.Name, math.MinInt64, math.MaxInt64)
				}
				ns = append(ns, n)
			}
			slices.Sort(ns)
			for _, n := range slices.Compact(ns) {
				c.Values = append(c.Values, n)
			}
		case KindNumber:
			bound := math.NaN()
			for _, v := range f.Values {
				if !plainDecimal.MatchString(v) {
					return nil, errorf(discovery.InvalidParameterValue, "The value '%s' of the filter '%s' is not a number: use decimal digits with an optional leading minus sign and fraction, such as 42 or 12.5.", v, field.Name)
				}
				x, err := strconv.ParseFloat(v, 64)
				if err != nil || math.IsInf(x, 0) {
					return nil, errorf(discovery.InvalidParameterValue, "The value '%s' of the filter '%s' is out of range: it must be a finite double.", v, field.Name)
				}
				switch {
				case math.IsNaN(bound):
					bound = x
				case op == GE || op == GT:
					bound = min(bound, x)
				default:
					bound = max(bound, x)
				}
			}
			c.Values = []any{bound}
		}
		conds = append(conds, c)
	}
	return conds, nil
}

// Where compiles the validated conditions of item type t into the store's
// predicates, merged so that a request of many filters stays a small query:
// a repeated condition counts once, and the conditions on one field with one
// operator merge into one predicate, the tightest numeric bound, the union of
// negated value sets (none of either set matches: none of both does), or the
// intersection of EQUALS sets on a scalar field (its one value must be in
// every set; an empty intersection matches nothing). CONTAINS, and EQUALS over
// a multi-valued field, stay one predicate per filter: each filter needs its
// own matching value or element.
func Where(t discovery.ItemType, conds []Condition) []discovery.Predicate {
	type key struct {
		field string
		op    Operator
	}
	var order []key
	groups := map[key][]Condition{}
	seen := map[string]bool{}
	for _, c := range conds {
		id, err := json.Marshal([]any{c.Field, c.Op, c.Values})
		if err != nil {
			panic(err) // strings and numbers only
		}
		if seen[string(id)] {
			continue
		}
		seen[string(id)] = true
		k := key{c.Field, c.Op}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], c)
	}
	out := make([]discovery.Predicate, 0, len(order))
	for _, k := range order {
		cs := groups[k]
		field, ok := lookupField(t, k.field)
		if !ok {
			panic("inventory: condition on unknown field " + k.field)
		}
		switch {
		case len(cs) == 1:
			out = append(out, predicate(field, k.op, cs[0].Values))
		case k.op.Ordered():
			bound := cs[0].Values[0].(float64)
			for _, o := range cs[1:] {
				if x := o.Values[0].(float64); k.op == GE || k.op == GT {
					bound = max(bound, x)
				} else {
					bound = min(bound, x)
				}
			}
			out = append(out, predicate(field, k.op, []any{bound}))
		case k.op.Negated():
			var all []any
			in := map[any]bool{}
			for _, o := range cs {
				for _, v := range o.Values {
					if !in[v] {
						in[v] = true
						all = append(all, v)
					}
				}
			}
			out = append(out, predicate(field, k.op, all))
		case k.op == Equals && !field.Multi:
			sets := make([][]any, len(cs))
			for i, o := range cs {
				sets[i] = o.Values
			}
			both, _ := discovery.Intersect(sets)
			out = append(out, predicate(field, k.op, both))
		default:
			for _, o := range cs {
				out = append(out, predicate(field, k.op, o.Values))
			}
		}
	}
	return out
}

// predicate is the store's predicate of field op vals.
func predicate(field Field, op Operator, vals []any) discovery.Predicate {
	p := discovery.Predicate{Field: field.Key, Multi: field.Multi, Quant: discovery.AnyMatch}
	if op.Negated() {
		p.Quant = discovery.NoMatch
	}
	switch op {
	case Equals, NotEquals:
		p.Match = discovery.MatchEqual
	case Contains, NotContains:
		p.Match, p.Fold = discovery.MatchContains, true
	case GE:
		p.Match = discovery.MatchAtLeast
	case LE:
		p.Match = discovery.MatchAtMost
	case GT:
		p.Match = discovery.MatchAbove
	case LT:
		p.Match = discovery.MatchBelow
	}
	switch field.Kind {
	case KindString:
		p.Text = make([]string, len(vals))
		for i, v := range vals {
			p.Text[i] = v.(string)
		}
	case KindInteger:
		p.Ints = make([]int64, len(vals))
		for i, v := range vals {
			p.Ints[i] = v.(int64)
		}
	case KindNumber:
		p.Nums = make([]float64, len(vals))
		for i, v := range vals {
			p.Nums[i] = v.(float64)
		}
	}
	return p
}
