package awsjson

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/poseidon-ads/poseidon/internal/validate"
)

// NoNUL is the constraint of every string member: no NUL character. JSON
// allows "\u0000", but PostgreSQL cannot store text holding it, so a
// request holding one is refused on both stores alike, before it reaches
// a use case.
const NoNUL = "Member must not contain the NUL character (U+0000)"

// nulMember returns a *validate.Error naming the first member (key or
// string value) of body, valid JSON, that holds a NUL character; nil if
// none does. Bodies without the escape "\u0000" are not walked.
func nulMember(body []byte) error {
	if !bytes.Contains(body, []byte(`\u0000`)) {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	// path holds the keys and 1-based indexes leading to the current value;
	// inArray[i] tells whether level i is an array (its element count in
	// count[i]).
	var (
		path    []string
		inArray []bool
		count   []int
		key     = true // the next string of an object is a key
	)
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		top := len(inArray) - 1
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{', '[':
				if top >= 0 && inArray[top] {
					count[top]++
					path = append(path, strconv.Itoa(count[top])+".member")
				}
				inArray, count = append(inArray, v == '['), append(count, 0)
				key = v == '{'
				continue
			default:
				inArray, count = inArray[:top], count[:top]
			}
		case string:
			if top >= 0 && !inArray[top] && key {
				if strings.ContainsRune(v, 0) {
					return nulError(path, v)
				}
				path = append(path, v)
				key = false
				continue
			}
			if top >= 0 && inArray[top] {
				count[top]++
				path = append(path, strconv.Itoa(count[top])+".member")
			}
			if strings.ContainsRune(v, 0) {
				return nulError(path, v)
			}
		default:
			if top >= 0 && inArray[top] {
				count[top]++
				path = append(path, strconv.Itoa(count[top])+".member")
			}
		}
		// A value ended: pop the segment that led to it, and an object
		// waits for its next key.
		if len(path) > 0 {
			path = path[:len(path)-1]
		}
		if len(inArray) > 0 && !inArray[len(inArray)-1] {
			key = true
		}
	}
}

func nulError(path []string, v string) error {
	p := strings.Join(path, ".")
	if p == "" {
		p = "(root)"
	}
	return &validate.Error{Violations: []validate.Violation{{Path: p, Value: strings.ReplaceAll(v, "\x00", `\u0000`), Constraint: NoNUL}}}
}
