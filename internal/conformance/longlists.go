package conformance

// Long-request generation: LongCases builds model-valid requests as large as
// the server's body limit allows, one per list member (nested lists too) and
// per string member without a max length. A server must answer each of them
// with a result or a modeled 4xx error, never a 5xx (issue 11: long lists
// once ran into SQLite's bound-variable and expression-depth limits).

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Kinds of LongCases. They are valid by the model and expect HTTP 200 unless
// the server documents a semantic bound (its caller says which).
const (
	LongList     Kind = "long-list"     // one list grown to fill the body limit, cycling its items
	LongDistinct Kind = "long-distinct" // the same with distinct made-up strings
	LongString   Kind = "long-string"   // one string without a max length grown to fill it
)

// longInner is how many items a list inside a grown list's element gets when
// the model sets no max: DescribeImportTasks then carries filters of 100
// values, ExportFilters and TagFilters 100 values each.
const longInner = 100

// LongCases generates the long requests of op, each with a JSON body of at
// most limit bytes. They start from a request with every member set (of the
// first variant that sets the member; nextToken left out, as a token is
// bound to its query, but for its own case), with the shortest valid
// strings, and change one member:
//   - long-list PATH: the list grown, cycling its items, until the body is
//     full or the list reaches the model's max; when the items are
//     structures holding lists, those inner lists are first grown to their
//     max (or 100 items), so that both levels are long;
//   - long-distinct PATH: the same, but the strings of the list (or of the
//     lists inside its items) are distinct: the request's own values, then
//     made-up ones that satisfy the element shape (mostly unknown IDs), so
//     that no server can shorten the list by dropping repeats. Lists of
//     enums and lists of structures without lists of strings get none;
//   - long-string PATH: a string with no max length (and no pattern that
//     forbids it: tag keys and values, nextToken) grown until the body is
//     full.
func LongCases(op string, fill Filler, limit int, variants ...Variant) ([]Case, error) {
	m, o, err := reqOperation(op)
	if err != nil {
		return nil, err
	}
	if o.Input == nil {
		return nil, nil
	}
	if len(variants) == 0 {
		variants = []Variant{{}}
	}
	var cases []Case
	seen := map[string]bool{}
	omitted := func(paths ...string) map[string]bool {
		out := map[string]bool{}
		for _, p := range paths {
			out[p] = true
		}
		return out
	}
	for _, v := range variants {
		// The targets come from a build without the filler, which may
		// supply whole lists and so hide their element shapes.
		tb := &reqBuilder{m: m, op: op, kind: LongList, mode: reqModeLong, omit: omitted(v.Omit...)}
		if _, err := tb.value(o.Input.Shape, "", nil, true, ""); err != nil {
			return nil, err
		}
		// A page token is bound to its query: cases leave it out, but
		// for the one that grows it.
		withoutToken := omitted(append([]string{"nextToken"}, v.Omit...)...)
		for _, t := range tb.targets {
			kind := LongList
			switch {
			case t.path == "" || seen[t.path]:
				continue
			case t.shape.Type == "list":
			case t.shape.Type == "string" && t.shape.Max == nil && t.shape.Enum == nil && t.shape.patternOK("aa"):
				kind = LongString
			default:
				continue
			}
			seen[t.path] = true
			kinds := []Kind{kind}
			if kind == LongList && distinctable(m, m.Shapes[t.shape.Member.Shape]) {
				kinds = append(kinds, LongDistinct)
			}
			for _, kind := range kinds {
				// Each case gets its own build: a filler may make a
				// fresh resource per valid request.
				b := &reqBuilder{m: m, op: op, kind: kind, fill: fill, mode: reqModeLong, omit: withoutToken}
				if t.path == "nextToken" {
					b.omit = tb.omit
				}
				root, err := b.value(o.Input.Shape, "", nil, true, "")
				if err != nil {
					return nil, err
				}
				body := root.(map[string]any)
				if kind == LongString {
					err = longString(body, t, limit)
				} else {
					err = longList(m, body, t, limit, kind == LongDistinct)
				}
				if err != nil {
					return nil, fmt.Errorf("conformance: %s %s: %w", op, t.path, err)
				}
				raw, err := json.Marshal(body)
				if err != nil {
					return nil, err
				}
				if len(raw) > limit {
					return nil, fmt.Errorf("conformance: %s %s: body of %d bytes over the limit %d", op, t.path, len(raw), limit)
				}
				name := string(kind) + " " + t.path
				if v.Name != "" {
					name += "/" + v.Name
				}
				cases = append(cases, Case{Op: op, Name: name, Kind: kind, Body: raw, WantStatus: 200})
			}
		}
	}
	return cases, nil
}

// distinctable reports whether items of shape s are strings that can be
// made distinct, or structures holding such lists.
func distinctable(m *model, s *shape) bool {
	switch {
	case s == nil:
		return false
	case s.Type == "string":
		_, ok := distinctString(s, "", 0)
		return ok
	case s.Type == "structure":
		for _, ref := range s.Members {
			if ms := m.Shapes[ref.Shape]; ms != nil && ms.Type == "list" && distinctable(m, m.Shapes[ms.Member.Shape]) {
				return true
			}
		}
	}
	return false
}

// distinctString returns the i-th made-up value of string shape s, distinct
// for distinct i, or ok false if no form satisfies s. It prefers the prefix
// of like (a value of the request, up to its last "-" or ".", or its first
// if that is long), then i in hex: "d-server-" IDs stay server IDs, short
// enough that a list holds tens of thousands of them.
func distinctString(s *shape, like string, i int) (string, bool) {
	if len(s.Enum) > 0 {
		return "", false
	}
	lo := 1
	if s.Min != nil {
		lo = int(*s.Min)
	}
	n := strconv.Itoa(i)
	if pad := lo - 1 - len(n); pad > 0 {
		n = strings.Repeat("0", pad) + n
	}
	var forms []string
	if k := strings.LastIndexAny(like, "-."); k >= 0 {
		prefix := like[:k+1]
		if len(prefix) > 16 {
			prefix = like[:strings.IndexAny(like, "-.")+1]
		}
		forms = append(forms, fmt.Sprintf("%s%0*x", prefix, max(8, lo-len(prefix)), i))
	}
	forms = append(forms, "v"+n, fmt.Sprintf("import-task-%032x", i))
	for _, v := range forms {
		if s.lenOK(v) && s.patternOK(v) {
			return v, true
		}
	}
	return "", false
}

// distinctItems replaces the strings of the lists inside item (of shape s)
// with made-up distinct values, counting on from *next; orig holds the
// first string of each such list in the request, whose form they take.
func distinctItems(m *model, s *shape, item any, orig map[string]any, next *int) {
	obj, ok := item.(map[string]any)
	if !ok || s == nil || s.Type != "structure" {
		return
	}
	for name, ref := range s.Members {
		ms := m.Shapes[ref.Shape]
		if ms == nil || ms.Type != "list" {
			continue
		}
		cur, _ := reqGetAt(obj, []any{name}).([]any)
		es := m.Shapes[ms.Member.Shape]
		if es.Type != "string" {
			continue
		}
		like, _ := orig[name].(string)
		for i := range cur {
			if v, ok := distinctString(es, like, *next); ok {
				cur[i] = v
				*next++
			}
		}
		obj[name] = cur
	}
}

// longList grows the list at t.loc in body to fill limit bytes; distinct
// makes the new strings distinct (see LongCases).
func longList(m *model, body map[string]any, t reqTarget, limit int, distinct bool) error {
	cur, _ := reqGetAt(body, t.loc).([]any)
	if len(cur) == 0 {
		return fmt.Errorf("the maximal request has no item to copy")
	}
	elem := m.Shapes[t.shape.Member.Shape]
	protos := make([]any, len(cur))
	sizes := make([]int, len(cur))
	for i, c := range cur {
		p := reqClone(c)
		growInner(m, elem, p)
		raw, err := json.Marshal(p)
		if err != nil {
			return err
		}
		protos[i], sizes[i] = p, len(raw)
	}
	maxItems := -1
	if t.shape.Max != nil {
		maxItems = int(*t.shape.Max)
	}
	reqSetAt(body, t.loc, []any{})
	raw, err := json.Marshal(body)
	if err != nil {
		return err
	}
	// The list's JSON is "[" items joined by "," "]": its items change the
	// body by their own lengths plus one comma between two of them.
	size := len(raw)
	var items []any
	next := 0
	for i := 0; maxItems < 0 || i < maxItems; i++ {
		item := reqClone(protos[i%len(protos)])
		if distinct && i >= len(protos) {
			if elem.Type == "string" {
				like, _ := protos[0].(string)
				item, _ = distinctString(elem, like, next)
				next++
			} else {
				distinctItems(m, elem, item, firsts(protos[0]), &next)
			}
		}
		add := sizes[i%len(protos)]
		if distinct && i >= len(protos) {
			raw, err := json.Marshal(item)
			if err != nil {
				return err
			}
			add = len(raw)
		}
		if i > 0 {
			add++
		}
		if size+add > limit {
			break
		}
		size += add
		items = append(items, item)
	}
	if len(items) == 0 {
		return fmt.Errorf("not even one item fits in %d bytes", limit)
	}
	reqSetAt(body, t.loc, items)
	return nil
}

// growInner grows the lists inside v (of shape s) to their max, or to
// longInner items if the model sets none, cycling their items.
func growInner(m *model, s *shape, v any) {
	obj, ok := v.(map[string]any)
	if s == nil || s.Type != "structure" || !ok {
		return
	}
	for name, ref := range s.Members {
		ms := m.Shapes[ref.Shape]
		switch {
		case ms == nil:
		case ms.Type == "structure":
			growInner(m, ms, obj[name])
		case ms.Type == "list":
			cur, _ := reqGetAt(obj, []any{name}).([]any)
			if len(cur) == 0 {
				continue
			}
			n := longInner
			if ms.Max != nil {
				n = int(*ms.Max)
			}
			grown := make([]any, n)
			for i := range grown {
				grown[i] = reqClone(cur[i%len(cur)])
				growInner(m, m.Shapes[ms.Member.Shape], grown[i])
			}
			obj[name] = grown
		}
	}
}

// longString sets the string at t.loc in body to as many "a"s as fit in
// limit bytes.
func longString(body map[string]any, t reqTarget, limit int) error {
	reqSetAt(body, t.loc, "")
	raw, err := json.Marshal(body)
	if err != nil {
		return err
	}
	n := limit - len(raw)
	if n < 1 {
		return fmt.Errorf("no room for the string in %d bytes", limit)
	}
	v := make([]byte, n)
	for i := range v {
		v[i] = 'a'
	}
	reqSetAt(body, t.loc, string(v))
	return nil
}

// firsts maps each list member of item to the list's first value.
func firsts(item any) map[string]any {
	out := map[string]any{}
	obj, _ := item.(map[string]any)
	for k := range obj {
		if l, _ := reqGetAt(obj, []any{k}).([]any); len(l) > 0 {
			out[k] = l[0]
		}
	}
	return out
}
