package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// maxRepeat is RE2's largest allowed repetition count.
const maxRepeat = 1000

// GoPattern turns a model pattern (Java regular expression syntax, matched
// against the whole value as Java's String.matches does) into an RE2
// expression anchored for a full match: ^(?:PATTERN)$.
//
// RE2 and Java agree on everything these models use except:
//   - \s and \S: Java's \s is [ \t\n\x0B\f\r]; RE2's \s lacks \x0B (vertical
//     tab). RE2's [[:space:]] is exactly Java's set.
//   - . (outside a class): Java excludes \n, \r, \u0085, \u2028 and \u2029;
//     RE2 excludes only \n.
//   - repetition counts above 1000 (e.g. [a-z]{0,2048}), which RE2 refuses:
//     X{m,n} is rewritten as a concatenation of repeats of at most 1000,
//     which matches the same strings.
//
// Java-only constructs that RE2 lacks or reads differently (nested classes,
// class intersection, \Q..\E quoting, possessive quantifiers, look-around,
// back-references) are rejected, so a model that uses them fails loudly at
// generation time instead of validating differently.
func GoPattern(java string) (string, error) {
	fail := func(format string, args ...any) (string, error) {
		return "", fmt.Errorf("pattern %q: %s", java, fmt.Sprintf(format, args...))
	}
	var out []byte
	inClass := false
	classStart := 0    // offset in out of the open class's '['
	atomStart := -1    // offset in out of the last complete atom
	var groups []int   // offsets of open '('
	prevQuant := false // the previous token was an unescaped quantifier
	rs := []rune(java)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		quant := false
		pos := len(out)
		switch {
		case r == '\\':
			if i+1 >= len(rs) {
				return fail("trailing backslash")
			}
			i++
			e := rs[i]
			switch {
			case e == 's' && inClass:
				out = append(out, "[:space:]"...)
			case e == 's':
				out = append(out, "[[:space:]]"...)
			case e == 'S' && inClass:
				out = append(out, "[:^space:]"...)
			case e == 'S':
				out = append(out, "[[:^space:]]"...)
			case strings.ContainsRune("QEGZRXhHvVk", e):
				return fail(`\%c is not supported by RE2`, e)
			case e >= '1' && e <= '9' && !inClass:
				return fail(`back-reference \%c is not supported by RE2`, e)
			default:
				out = append(out, '\\')
				out = append(out, string(e)...)
				if strings.ContainsRune("xpP", e) && i+1 < len(rs) && rs[i+1] == '{' {
					// \x{..}, \p{..}: copy the braces, which are not a quantifier.
					for i++; i < len(rs) && rs[i] != '}'; i++ {
						out = append(out, string(rs[i])...)
					}
					if i >= len(rs) {
						return fail(`unterminated \%c{`, e)
					}
					out = append(out, '}')
				}
			}
			if !inClass {
				atomStart = pos
			}
		case inClass:
			switch {
			case r == '[':
				return fail("nested character classes are not supported")
			case r == '&' && i+1 < len(rs) && rs[i+1] == '&':
				return fail("class intersection is not supported")
			case r == ']':
				inClass = false
				atomStart = classStart
			}
			out = append(out, string(r)...)
		case r == '[':
			inClass = true
			classStart = pos
			out = append(out, '[')
			if i+1 < len(rs) && rs[i+1] == '^' {
				i++
				out = append(out, '^')
			}
			if i+1 < len(rs) && rs[i+1] == ']' {
				return fail("a class starting with ']' is read differently by Java and RE2")
			}
		case r == '.':
			out = append(out, `[^\n\r\x{85}\x{2028}\x{2029}]`...)
			atomStart = pos
		case r == '(':
			if i+1 < len(rs) && rs[i+1] == '?' && i+2 < len(rs) && strings.ContainsRune("=!<>", rs[i+2]) {
				return fail("look-around and atomic groups are not supported")
			}
			groups = append(groups, pos)
			out = append(out, '(')
		case r == ')':
			if len(groups) == 0 {
				return fail("unbalanced ')'")
			}
			atomStart = groups[len(groups)-1]
			groups = groups[:len(groups)-1]
			out = append(out, ')')
		case r == '+' && prevQuant:
			return fail("possessive quantifiers are not supported")
		case r == '*' || r == '+' || r == '?':
			quant = r != '?' || !prevQuant // a '?' after a quantifier makes it lazy
			out = append(out, string(r)...)
		case r == '{':
			end := i + 1
			for end < len(rs) && rs[end] != '}' {
				end++
			}
			if end >= len(rs) {
				return fail("'{' that is not a repetition")
			}
			lo, hi, ok := parseRepeat(string(rs[i+1 : end]))
			if !ok {
				return fail("'{' that is not a repetition")
			}
			if atomStart < 0 {
				return fail("repetition without an operand")
			}
			if lo <= maxRepeat && hi <= maxRepeat {
				out = append(out, string(rs[i:end+1])...)
			} else {
				atom := string(out[atomStart:])
				out = append(out[:atomStart], splitRepeat(atom, lo, hi)...)
			}
			i = end
			quant = true
		default:
			out = append(out, string(r)...)
			atomStart = pos
		}
		prevQuant = quant
	}
	if inClass {
		return fail("unterminated character class")
	}
	if len(groups) > 0 {
		return fail("unbalanced '('")
	}
	full := "^(?:" + string(out) + ")$"
	if _, err := regexp.Compile(full); err != nil {
		return fail("%v", err)
	}
	return full, nil
}

// parseRepeat parses the inside of a {m}, {m,} or {m,n} quantifier. hi is
// -1 for no upper bound.
func parseRepeat(s string) (lo, hi int, ok bool) {
	a, b, comma := strings.Cut(s, ",")
	lo, err := strconv.Atoi(a)
	if err != nil || lo < 0 {
		return 0, 0, false
	}
	if !comma {
		return lo, lo, true
	}
	if b == "" {
		return lo, -1, true
	}
	hi, err = strconv.Atoi(b)
	if err != nil || hi < lo {
		return 0, 0, false
	}
	return lo, hi, true
}

// splitRepeat writes atom{lo,hi} (hi -1: unbounded) using only repetition
// counts RE2 accepts. The atom is wrapped in a non-capturing group.
func splitRepeat(atom string, lo, hi int) string {
	a := "(?:" + atom + ")"
	var b strings.Builder
	for n := lo; n > 0; n -= maxRepeat {
		fmt.Fprintf(&b, "%s{%d}", a, min(n, maxRepeat))
	}
	if hi < 0 {
		b.WriteString(a + "*")
		return b.String()
	}
	for n := hi - lo; n > 0; n -= maxRepeat {
		fmt.Fprintf(&b, "%s{0,%d}", a, min(n, maxRepeat))
	}
	return b.String()
}
