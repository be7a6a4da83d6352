// Package javafmt formats values the way AWS's Java services print them:
// Double.toString and java.sql.Timestamp.toString.
package javafmt

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Double formats f as Java's Double.toString does (JDK 19 and later:
// the shortest decimal that reads back as f): "0.0", "1694732.0",
// "14.733333333333338", "1.0E7", "1.0E-4", "NaN", "Infinity".
func Double(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	sign := ""
	if f < 0 {
		sign, f = "-", -f
	}
	// Shortest digits d1.d2d3...e±x.
	e := strconv.FormatFloat(f, 'e', -1, 64)
	mant, exp, _ := strings.Cut(e, "e")
	digits := strings.Replace(mant, ".", "", 1)
	x, _ := strconv.Atoi(exp)
	if f >= 1e-3 && f < 1e7 {
		var intPart, frac string
		if x >= 0 {
			if len(digits) > x+1 {
				intPart, frac = digits[:x+1], digits[x+1:]
			} else {
				intPart, frac = digits+strings.Repeat("0", x+1-len(digits)), "0"
			}
		} else {
			intPart, frac = "0", strings.Repeat("0", -x-1)+digits
		}
		return sign + intPart + "." + frac
	}
	rest := digits[1:]
	if rest == "" {
		rest = "0"
	}
	return sign + digits[:1] + "." + rest + "E" + strconv.Itoa(x)
}

// Timestamp formats t (in UTC) as java.sql.Timestamp.toString does:
// "2016-10-28 23:44:00.0", "2016-10-28 23:44:00.123".
func Timestamp(t time.Time) string {
	t = t.UTC()
	frac := "0"
	if ns := t.Nanosecond(); ns > 0 {
		frac = strings.TrimRight(strconv.Itoa(1_000_000_000 + ns)[1:], "0")
	}
	return t.Format("2006-01-02 15:04:05") + "." + frac
}
