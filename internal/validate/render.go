package validate

import (
	"encoding/base64"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/poseidon-ads/poseidon/internal/javafmt"
)

// SortedKeys returns the keys of m in increasing order, so that violations
// inside maps are reported deterministically.
func SortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Render formats a value the way AWS echoes it in validation messages, in
// the spirit of Java's toString: strings as-is, lists as "[a, b]", maps as
// "{k=v, k2=v2}" (sorted keys), structures as "{member=value, ...}" (JSON
// member names, unset members left out), nil as "null", doubles as Java
// prints them ("50.0").
func Render(v any) string {
	var b strings.Builder
	render(&b, reflect.ValueOf(v))
	return b.String()
}

var stringerType = reflect.TypeFor[fmt.Stringer]()

func render(b *strings.Builder, v reflect.Value) {
	if !v.IsValid() {
		b.WriteString("null")
		return
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			b.WriteString("null")
			return
		}
		if v.Kind() == reflect.Pointer && v.Type().Implements(stringerType) && v.Elem().Kind() != reflect.Struct {
			b.WriteString(v.Interface().(fmt.Stringer).String())
			return
		}
		render(b, v.Elem())
		return
	}
	if v.Type().Implements(stringerType) {
		b.WriteString(v.Interface().(fmt.Stringer).String())
		return
	}
	switch v.Kind() {
	case reflect.String:
		b.WriteString(v.String())
	case reflect.Bool:
		b.WriteString(strconv.FormatBool(v.Bool()))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		b.WriteString(strconv.FormatInt(v.Int(), 10))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		b.WriteString(strconv.FormatUint(v.Uint(), 10))
	case reflect.Float32, reflect.Float64:
		b.WriteString(javafmt.Double(v.Float()))
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			if v.Kind() == reflect.Slice {
				b.WriteString(base64.StdEncoding.EncodeToString(v.Bytes()))
				return
			}
		}
		b.WriteByte('[')
		for i := range v.Len() {
			if i > 0 {
				b.WriteString(", ")
			}
			render(b, v.Index(i))
		}
		b.WriteByte(']')
	case reflect.Map:
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i]) < fmt.Sprint(keys[j]) })
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteString(", ")
			}
			render(b, k)
			b.WriteByte('=')
			render(b, v.MapIndex(k))
		}
		b.WriteByte('}')
	case reflect.Struct:
		t := v.Type()
		b.WriteByte('{')
		n := 0
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() || v.Field(i).IsZero() {
				continue
			}
			name := f.Name
			if tag, ok := f.Tag.Lookup("json"); ok {
				if tn, _, _ := strings.Cut(tag, ","); tn != "" && tn != "-" {
					name = tn
				}
			}
			if n > 0 {
				b.WriteString(", ")
			}
			n++
			b.WriteString(name)
			b.WriteByte('=')
			render(b, v.Field(i))
		}
		b.WriteByte('}')
	default:
		fmt.Fprint(b, v.Interface())
	}
}
