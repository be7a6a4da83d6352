package awsjson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"
)

// Time is a timestamp on the AWS JSON 1.1 wire: epoch seconds as a JSON
// number. Inputs may be integers, fractions or exponent forms; outputs carry
// millisecond precision (botocore and the Go SDKs parse both).
type Time struct {
	time.Time
}

// NewTime returns t as a wire timestamp pointer, or nil for the zero time.
func NewTime(t time.Time) *Time {
	if t.IsZero() {
		return nil
	}
	return &Time{t}
}

// MarshalJSON writes epoch seconds with up to three decimals.
func (t Time) MarshalJSON() ([]byte, error) { return t.AppendJSON(nil), nil }

// AppendJSON appends what MarshalJSON returns to b (encoding/json writes a
// number from MarshalJSON as it is).
func (t Time) AppendJSON(b []byte) []byte {
	ms := t.UnixMilli()
	if ms%1000 == 0 {
		return strconv.AppendInt(b, ms/1000, 10)
	}
	return strconv.AppendFloat(b, float64(ms)/1000, 'f', -1, 64)
}

// UnmarshalJSON accepts a JSON number of epoch seconds. Anything else is a
// type error, which the decoder reports as a SerializationException.
func (t *Time) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] == '"' || b[0] == '{' || b[0] == '[' || b[0] == 't' || b[0] == 'f' {
		return &json.UnmarshalTypeError{Value: "non-number", Type: timeType}
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f > maxEpoch || f < -maxEpoch {
		return &json.UnmarshalTypeError{Value: "number " + string(b), Type: timeType}
	}
	sec, frac := math.Modf(f)
	t.Time = time.Unix(int64(sec), int64(math.Round(frac*1e3))*int64(time.Millisecond)).UTC()
	return nil
}

// String formats the time for messages.
func (t Time) String() string { return fmt.Sprintf("%.3f", float64(t.UnixMilli())/1000) }

// maxEpoch bounds accepted timestamps to the years 1653..2286 roughly, so
// that conversions never overflow.
const maxEpoch = 1e10

var timeType = reflectTypeOfTime()
