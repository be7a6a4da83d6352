package awsjson

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/poseidon-ads/poseidon/internal/validate"
)

// A JSON number of the right kind that the member's type cannot hold
// (maxResults 2147483648, a double of 1e400, a timestamp past the year 2286)
// is out of range, not of the wrong type: it is a validation error, worded
// as AWS words range violations, with the model's range when the shape has
// one ("Member must have value less than or equal to 100") and else the
// range of the member's type (Java's int, long and double, or the
// timestamps poseidon reads). A fraction or exponent for an integer member
// stays a wrong type (SerializationException).

var integerLiteral = regexp.MustCompile(`^-?[0-9]+$`)

// outOfRange returns the validation error for te, a decode error of a number
// into a numeric member of in, or nil if te is another type error.
func outOfRange(te *json.UnmarshalTypeError, in any) error {
	literal, ok := strings.CutPrefix(te.Value, "number ")
	if !ok || te.Field == "" {
		return nil
	}
	negative := strings.HasPrefix(literal, "-")
	var clamp func(reflect.Value)
	var bound string
	switch t := te.Type; {
	case t == timeType:
		if !negative {
			bound = strconv.FormatInt(maxEpoch, 10)
		} else {
			bound = strconv.FormatInt(-maxEpoch, 10)
		}
		f, err := strconv.ParseFloat(literal, 64)
		if err == nil && math.Abs(f) <= maxEpoch {
			return nil
		}
	case t.Kind() == reflect.Int32 || t.Kind() == reflect.Int64:
		if !integerLiteral.MatchString(literal) {
			return nil // a fraction: not an integer at all
		}
		lo, hi := int64(math.MinInt32), int64(math.MaxInt32)
		if t.Kind() == reflect.Int64 {
			lo, hi = math.MinInt64, math.MaxInt64
		}
		bound = strconv.FormatInt(hi, 10)
		clamp = func(v reflect.Value) { v.SetInt(hi) }
		if negative {
			bound = strconv.FormatInt(lo, 10)
			clamp = func(v reflect.Value) { v.SetInt(lo) }
		}
	case t.Kind() == reflect.Float64 || t.Kind() == reflect.Float32:
		hi := math.MaxFloat64
		if t.Kind() == reflect.Float32 {
			hi = math.MaxFloat32
		}
		bound = validate.Render(hi)
		clamp = func(v reflect.Value) { v.SetFloat(hi) }
		if negative {
			bound = validate.Render(-hi)
			clamp = func(v reflect.Value) { v.SetFloat(-hi) }
		}
	default:
		return nil
	}
	constraint := validate.MaxValue(bound)
	if negative {
		constraint = validate.MinValue(bound)
	}
	if clamp != nil {
		if c := modeledRange(in, te.Field, clamp); c != "" {
			constraint = c
		}
	}
	return &validate.Error{Violations: []validate.Violation{{Path: te.Field, Value: literal, Constraint: constraint}}}
}

// modeledRange sets the member at path of a fresh value of in's type to the
// extreme value clamp writes, validates it, and returns the constraint the
// model reports at path, or "" if it reports none.
func modeledRange(in any, path string, clamp func(reflect.Value)) string {
	t := reflect.TypeOf(in)
	if t.Kind() != reflect.Pointer {
		return ""
	}
	root := reflect.New(t.Elem())
	v := root.Elem()
	for _, name := range strings.Split(path, ".") {
		for v.Kind() == reflect.Pointer {
			if v.IsNil() {
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		if v.Kind() != reflect.Struct {
			return ""
		}
		f, ok := fieldByJSONName(v.Type(), name)
		if !ok {
			return ""
		}
		v = v.FieldByIndex(f.Index)
	}
	for v.Kind() == reflect.Pointer {
		v.Set(reflect.New(v.Type().Elem()))
		v = v.Elem()
	}
	clamp(v)
	val, ok := root.Interface().(interface{ Validate() error })
	if !ok {
		return ""
	}
	var ve *validate.Error
	if !errors.As(val.Validate(), &ve) {
		return ""
	}
	for _, x := range ve.Violations {
		if x.Path == path && !x.Missing {
			return x.Constraint
		}
	}
	return ""
}

func fieldByJSONName(t reflect.Type, name string) (reflect.StructField, bool) {
	for f := range t.Fields() {
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag == name || tag == "" && f.Name == name {
			return f, true
		}
	}
	return reflect.StructField{}, false
}
