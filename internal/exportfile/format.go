package exportfile

import (
	"bytes"
	"math"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"
)

// Time formats of export files, all in UTC. docs/exports.md documents where
// each one is used.
const (
	// ResultsTimeLayout is results.json's format (RequestedStartTime, ...),
	// as published readers of real exports parse it: %Y-%m-%d %H:%M:%S.
	ResultsTimeLayout = "2006-01-02 15:04:05"
	// TimestampLayout formats the agent files' timestamp and
	// agentCreationDate columns: the same form as results.json.
	TimestampLayout = ResultsTimeLayout
	// AgentTimeLayout formats process.csv's agentProvidedTimeStamp, as the
	// user guide gives it: mm/dd/yyyy hh:mm:ss am/pm.
	AgentTimeLayout = "01/02/2006 03:04:05 PM"
)

// FormatTimestamp formats a timestamp or agentCreationDate cell.
func FormatTimestamp(t time.Time) string { return t.UTC().Format(TimestampLayout) }

// FormatAgentTime formats an agentProvidedTimeStamp cell.
func FormatAgentTime(t time.Time) string { return t.UTC().Format(AgentTimeLayout) }

// FormatConfigTime formats a configuration item's time as DescribeConfigurations
// shows it (Java's Timestamp form, yyyy-MM-dd HH:mm:ss.S): seconds, then the
// fraction without trailing zeros but at least one digit, e.g.
// "2016-10-28 23:44:00.0" or "2016-10-28 23:44:00.25".
func FormatConfigTime(t time.Time) string {
	t = t.UTC()
	b := make([]byte, 0, 24)
	b = t.AppendFormat(b, "2006-01-02 15:04:05")
	ms := t.Nanosecond() / int(time.Millisecond)
	b = append(b, '.')
	if ms == 0 {
		return string(append(b, '0'))
	}
	frac := []byte{byte('0' + ms/100), byte('0' + ms/10%10), byte('0' + ms%10)}
	for len(frac) > 1 && frac[len(frac)-1] == '0' {
		frac = frac[:len(frac)-1]
	}
	return string(append(b, frac...))
}

// FormatDouble formats a floating-point cell the way the service's Java
// backend prints doubles ("0.0", "14.733333333333338", "1694732.0"), but never
// in exponent notation: the shortest decimal that reads back as the same
// number, with ".0" added to whole numbers. NaN and infinities, which no
// column should hold, are written as empty cells.
func FormatDouble(v float64) string {
	var b [32]byte
	return string(AppendDouble(b[:0], v))
}

// AppendDouble appends the cell FormatDouble returns to dst.
func AppendDouble(dst []byte, v float64) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return dst
	}
	if v == 0 {
		return append(dst, "0.0"...) // also for -0
	}
	n := len(dst)
	dst = strconv.AppendFloat(dst, v, 'f', -1, 64)
	if bytes.IndexByte(dst[n:], '.') < 0 {
		dst = append(dst, ".0"...)
	}
	return dst
}

// FormatNumber formats a number for the import template, whose examples are
// plain numbers ("64", "23.9"): the shortest decimal that reads back as the
// same number, never in exponent notation, without ".0" on whole numbers.
func FormatNumber(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return ""
	}
	if v == 0 {
		return "0"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// FormatInt formats an integer cell.
func FormatInt(v int64) string { return strconv.FormatInt(v, 10) }

// FormatBool formats a boolean cell: "true" or "false".
func FormatBool(v bool) string { return strconv.FormatBool(v) }

// fieldNeedsQuotes follows encoding/csv, so that any CSV reader reads the
// cell back unchanged.
func fieldNeedsQuotes(field string) bool {
	if field == "" {
		return false
	}
	if field == `\.` {
		return true
	}
	for i := 0; i < len(field); i++ {
		switch field[i] {
		case ',', '"', '\r', '\n':
			return true
		}
	}
	r, _ := utf8.DecodeRuneInString(field)
	return unicode.IsSpace(r)
}

// AppendRow appends one CSV line (RFC 4180, "\n"-terminated, quoted as
// encoding/csv quotes) to dst.
func AppendRow(dst []byte, fields []string) []byte {
	for i, f := range fields {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendField(dst, f)
	}
	return append(dst, '\n')
}

// appendField appends one cell, quoted if it needs to be.
func appendField(dst []byte, f string) []byte {
	if !fieldNeedsQuotes(f) {
		return append(dst, f...)
	}
	dst = append(dst, '"')
	for j := 0; j < len(f); j++ {
		c := f[j]
		if c == '"' {
			dst = append(dst, '"')
		}
		dst = append(dst, c)
	}
	return append(dst, '"')
}
