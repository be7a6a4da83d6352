package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// The encoders: for every struct an AppendJSON method that appends the
// bytes encoding/json's Marshal writes for it, without reflection. The
// structs' fields are tagged `json:"name,omitzero"`, so a member is written
// when its field is not nil, in field (model) order; a timestamp member
// also when it is not the zero time (awsjson.Time has an IsZero method,
// which omitzero uses). List elements and map values are always written
// (nil ones as null), map keys in sorted order.

// wireName is the JSON object key of member mn of a structure.
func wireName(mn string, mem *Member) string {
	if mem.LocationName != "" {
		return mem.LocationName
	}
	return mn
}

// checkWireNames refuses a structure whose members encoding/json would not
// write under their wire names: a name it would not take as a tag (it would
// use the Go field name), or two members with one name (it would drop both).
func checkWireNames(name string, s *Shape) error {
	seen := map[string]string{}
	for _, mn := range s.Members.Keys {
		w := wireName(mn, s.Members.M[mn])
		if !validTag(w) {
			return fmt.Errorf("structure %s: member %s: wire name %q is not a valid JSON tag name", name, mn, w)
		}
		if prev, ok := seen[w]; ok {
			return fmt.Errorf("structure %s: members %s and %s have the wire name %q", name, prev, mn, w)
		}
		seen[w] = mn
	}
	return nil
}

// validTag is encoding/json's isValidTag.
func validTag(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		switch {
		case strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c):
		case !unicode.IsLetter(c) && !unicode.IsDigit(c):
			return false
		}
	}
	return true
}

// keyLiteral is the Go literal of a member's `"name":` as encoding/json
// writes it (HTML-escaped).
func keyLiteral(name string) string {
	k, err := json.Marshal(name)
	if err != nil {
		panic(err) // a string always marshals
	}
	return strconv.Quote(string(k) + ":")
}

const errCheck = "; err != nil {\nreturn nil, err\n}\n"

// valueEncode returns statements appending value expr of shape name to b.
// maybeNil is false where expr is known not to be nil (a present member).
// depth keeps loop variables unique.
func (g *generator) valueEncode(name, expr string, maybeNil bool, depth int) string {
	s := g.shape(name)
	var b strings.Builder
	switch s.Type {
	case "string":
		fmt.Fprintf(&b, "b = awsjson.AppendString(b, %s)\n", expr)
	case "integer", "long":
		fmt.Fprintf(&b, "b = awsjson.AppendInt(b, int64(%s))\n", expr)
	case "boolean":
		fmt.Fprintf(&b, "b = awsjson.AppendBool(b, %s)\n", expr)
	case "double", "float":
		fmt.Fprintf(&b, "if b, err = awsjson.AppendFloat(b, %s)%s", expr, errCheck)
	case "timestamp":
		fmt.Fprintf(&b, "b = %s.AppendJSON(b)\n", expr)
	case "blob":
		fmt.Fprintf(&b, "b = awsjson.AppendBlob(b, %s)\n", expr)
	case "structure":
		fmt.Fprintf(&b, "if b, err = %s.AppendJSON(b)%s", expr, errCheck)
	case "list", "map":
		var inner strings.Builder
		i := fmt.Sprintf("i%d", depth)
		if s.Type == "list" {
			e := fmt.Sprintf("e%d", depth)
			fmt.Fprintf(&inner, "b = append(b, '[')\nfor %s, %s := range %s {\nif %s > 0 {\nb = append(b, ',')\n}\n%s}\nb = append(b, ']')\n",
				i, e, expr, i, g.valueEncode(s.Member.Shape, e, true, depth+1))
		} else {
			k, v := fmt.Sprintf("k%d", depth), fmt.Sprintf("v%d", depth)
			fmt.Fprintf(&inner, "b = append(b, '{')\nfor %s, %s := range slices.Sorted(maps.Keys(%s)) {\nif %s > 0 {\nb = append(b, ',')\n}\nb = awsjson.AppendString(b, %s)\nb = append(b, ':')\n%s := %s[%s]\n%s}\nb = append(b, '}')\n",
				i, k, expr, i, k, v, expr, k, g.valueEncode(s.Value.Shape, v, true, depth+1))
		}
		if maybeNil {
			fmt.Fprintf(&b, "if %s == nil {\nb = append(b, \"null\"...)\n} else {\n%s}\n", expr, inner.String())
		} else {
			b.WriteString(inner.String())
		}
	default:
		panic("unsupported type " + s.Type)
	}
	return b.String()
}

func (g *generator) encodeFile() (string, error) {
	var body bytes.Buffer
	structs := g.sortedStructs()
	for _, d := range structs {
		fmt.Fprintf(&body, "// AppendJSON appends s as JSON to b: the bytes json.Marshal writes for s\n// (null for a nil s). It fails only on a NaN or infinite number.\n")
		fmt.Fprintf(&body, "func (s *%s) AppendJSON(b []byte) ([]byte, error) {\nif s == nil {\nreturn append(b, \"null\"...), nil\n}\n", d.goName)
		if d.shape == nil || len(d.shape.Members.Keys) == 0 {
			body.WriteString("return append(b, \"{}\"...), nil\n}\n\n")
			continue
		}
		var stmts strings.Builder
		for _, mn := range d.shape.Members.Keys {
			mem := d.shape.Members.M[mn]
			field := "s." + exported(mn)
			present, expr := field+" != nil", field
			switch t := g.shape(mem.Shape).Type; {
			case t == "timestamp":
				present += " && !" + field + ".IsZero()"
			case isScalar(t):
				expr = "*" + field
			}
			fmt.Fprintf(&stmts, "if %s {\nb = append(b, next)\nnext = ','\nb = append(b, %s...)\n%s}\n",
				present, keyLiteral(wireName(mn, mem)), g.valueEncode(mem.Shape, expr, false, 1))
		}
		if strings.Contains(stmts.String(), ", err = ") {
			body.WriteString("var err error\n")
		}
		body.WriteString("next := byte('{')\n")
		body.WriteString(stmts.String())
		body.WriteString("if next == '{' {\nb = append(b, '{')\n}\nreturn append(b, '}'), nil\n}\n\n")
	}
	var b bytes.Buffer
	b.WriteString(header)
	fmt.Fprintf(&b, "package %s\n\n", g.pkg)
	b.WriteString("import (\n")
	if strings.Contains(body.String(), "maps.Keys") {
		b.WriteString("\"maps\"\n\"slices\"\n\n")
	}
	fmt.Fprintf(&b, "%q\n)\n\n", awsjsonPath)
	b.WriteString("// appenders lists every struct, as a check that each is an awsjson.Appender\n// and for tests.\nvar appenders = []awsjson.Appender{\n")
	for _, d := range structs {
		fmt.Fprintf(&b, "(*%s)(nil),\n", d.goName)
	}
	b.WriteString("}\n\n")
	b.Write(body.Bytes())
	return b.String(), nil
}

// encodeTestFile is the test of the generated encoders: every struct's
// AppendJSON against encoding/json, on random values and under the fuzzer.
func (g *generator) encodeTestFile() (string, error) {
	return header + "package " + g.pkg + `

import (
	"math/rand/v2"
	"testing"

	"github.com/poseidon-ads/poseidon/internal/awsjson/awsjsontest"
)

// TestAppendMatchesMarshal holds the generated encoder of every struct to
// encoding/json, on random values of every member.
func TestAppendMatchesMarshal(t *testing.T) {
	awsjsontest.CheckAll(t, appenders, 300)
}

// FuzzAppendJSON fills every struct with values drawn from the fuzzer's
// string and number, and compares the generated encoder with json.Marshal.
func FuzzAppendJSON(f *testing.F) {
	f.Add(uint64(1), "<a&b>\u2028", 1e21)
	f.Add(uint64(2), "\xff\x00\"", 1e-7)
	f.Fuzz(func(t *testing.T, seed uint64, s string, x float64) {
		fl := &awsjsontest.Filler{R: rand.New(rand.NewPCG(seed, 0)), Strings: []string{s}, Floats: []float64{x}, MaxDepth: 4}
		for _, a := range appenders {
			awsjsontest.Check(t, fl.Random(a))
		}
	})
}
`, nil
}
