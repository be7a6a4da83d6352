package awsjson

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"sync"
)

// AWS services match member names exactly: {"MaxResults": 1} does not set
// maxResults, it is an unknown member and ignored. encoding/json matches
// names case-insensitively, so Decode first drops every object key that
// equals a member name of the target structure only up to case.

// exactMembers returns body without the keys that would bind to a member of
// t case-insensitively but not exactly, and whether it removed any. A body
// it cannot parse is returned unchanged (the decoder then reports it).
func exactMembers(body []byte, t reflect.Type) ([]byte, bool) {
	if !hasFoldedNames(t) {
		return body, false
	}
	return filterValue(body, t)
}

func filterValue(raw []byte, t reflect.Type) ([]byte, bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		if t == reflect.TypeFor[Time]() {
			return raw, false
		}
		return filterObject(raw, t)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 || !hasFoldedNames(t.Elem()) {
			return raw, false
		}
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			return raw, false
		}
		changed := false
		for i, it := range items {
			if out, ok := filterValue(it, t.Elem()); ok {
				items[i], changed = out, true
			}
		}
		if !changed {
			return raw, false
		}
		b, err := json.Marshal(items)
		return b, err == nil
	case reflect.Map:
		if !hasFoldedNames(t.Elem()) {
			return raw, false
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(raw, &m) != nil {
			return raw, false
		}
		changed := false
		for k, v := range m {
			if out, ok := filterValue(v, t.Elem()); ok {
				m[k], changed = out, true
			}
		}
		if !changed {
			return raw, false
		}
		b, err := json.Marshal(m)
		return b, err == nil
	}
	return raw, false
}

func filterObject(raw []byte, t reflect.Type) ([]byte, bool) {
	if len(bytes.TrimSpace(raw)) == 0 || bytes.TrimSpace(raw)[0] != '{' {
		return raw, false
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return raw, false
	}
	fields := structFields(t)
	changed := false
	for k, v := range m {
		if f, ok := fields.exact[k]; ok {
			if out, ok := filterValue(v, f); ok {
				m[k], changed = out, true
			}
			continue
		}
		if _, ok := fields.folded[strings.ToLower(k)]; ok {
			delete(m, k)
			changed = true
		}
	}
	if !changed {
		return raw, false
	}
	b, err := json.Marshal(m)
	return b, err == nil
}

type fieldSet struct {
	exact  map[string]reflect.Type
	folded map[string]struct{}
}

var fieldCache sync.Map // reflect.Type -> *fieldSet

func structFields(t reflect.Type) *fieldSet {
	if fs, ok := fieldCache.Load(t); ok {
		return fs.(*fieldSet)
	}
	fs := &fieldSet{exact: map[string]reflect.Type{}, folded: map[string]struct{}{}}
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fs.exact[name] = f.Type
		fs.folded[strings.ToLower(name)] = struct{}{}
	}
	fieldCache.Store(t, fs)
	return fs
}

var foldedCache sync.Map // reflect.Type -> bool

// hasFoldedNames reports whether values of t contain a structure with
// members, anywhere, so that a body for t may hold keys to check.
func hasFoldedNames(t reflect.Type) bool {
	if v, ok := foldedCache.Load(t); ok {
		return v.(bool)
	}
	foldedCache.Store(t, false) // cuts recursive types short
	v := computeFolded(t)
	foldedCache.Store(t, v)
	return v
}

func computeFolded(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		return t != reflect.TypeFor[Time]() && t.NumField() > 0
	case reflect.Slice, reflect.Array, reflect.Map:
		return hasFoldedNames(t.Elem())
	}
	return false
}
