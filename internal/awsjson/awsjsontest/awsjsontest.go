// Package awsjsontest holds generated encoders to encoding/json: it fills
// shapes with random values, reaching every field of every shape, and
// compares what their AppendJSON methods write with json.Marshal.
package awsjsontest

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/awsjson"
)

// Strings are strings that encoding/json escapes in every way it can:
// quotes and backslashes, named and numbered control characters, HTML
// characters, U+2028 and U+2029, invalid and truncated UTF-8, DEL, and
// multi-byte characters.
var Strings = []string{
	"", "a", "plain-ascii_0123", `"quoted" \back\slash/`, "\b\f\n\r\t", "\x00\x01\x1f\x7f",
	"<script>&amp;</script>", "a\u2028b\u2029c", "\xff", "a\xc3", "\xe2\x80", "\xed\xa0\x80",
	"héllo wörld", "日本語", "emoji 😀", "\ufffd", "\u00a0\u200b", "s3://bucket/key?x=1&y=2",
}

// Floats are numbers at encoding/json's format boundaries and beyond.
var Floats = []float64{
	0, math.Copysign(0, -1), 1, -1, 0.1, 1.5, 123.456, 1e20, 1e21, 1.5e21, 999999999999999999999,
	1e-6, 1e-7, 9.99e-7, 1.0000001e-6, -1e-7, 1e-300, 5e-324, math.MaxFloat64, -math.MaxFloat64,
	math.SmallestNonzeroFloat64, 1 << 53, 1<<53 + 2, 3.0e100, 12345678.9,
}

// Filler fills values at random. Strings and Floats, when set, are where
// most strings and numbers come from (a fuzz target puts its input there).
type Filler struct {
	R        *rand.Rand
	Strings  []string
	Floats   []float64
	MaxDepth int
}

var timeType = reflect.TypeFor[awsjson.Time]()

func (f *Filler) str() string {
	if len(f.Strings) > 0 && f.R.IntN(4) > 0 {
		return f.Strings[f.R.IntN(len(f.Strings))]
	}
	b := make([]byte, f.R.IntN(12))
	for i := range b {
		b[i] = byte(f.R.UintN(256))
	}
	return string(b)
}

func (f *Filler) float() float64 {
	if len(f.Floats) > 0 && f.R.IntN(3) > 0 {
		return f.Floats[f.R.IntN(len(f.Floats))]
	}
	for {
		x := math.Float64frombits(f.R.Uint64())
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			return x
		}
	}
}

func (f *Filler) time() time.Time {
	switch f.R.IntN(5) {
	case 0:
		return time.Time{}
	case 1:
		return time.Unix(f.R.Int64N(4e9)-1e9, 0)
	default:
		return time.Unix(f.R.Int64N(4e9)-1e9, f.R.Int64N(1e9)).In(time.FixedZone("x", 3600))
	}
}

// Fill sets v, which must be settable, to a random value of its type.
func (f *Filler) Fill(v reflect.Value, depth int) {
	t := v.Type()
	if t == timeType {
		v.Set(reflect.ValueOf(awsjson.Time{Time: f.time()}))
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		if f.R.IntN(4) == 0 || (t.Elem().Kind() == reflect.Struct && t.Elem() != timeType && depth >= f.MaxDepth) {
			v.SetZero()
			return
		}
		p := reflect.New(t.Elem())
		f.Fill(p.Elem(), depth+1)
		v.Set(p)
	case reflect.Struct:
		for i := range t.NumField() {
			if t.Field(i).IsExported() {
				f.Fill(v.Field(i), depth)
			}
		}
	case reflect.Slice:
		switch f.R.IntN(5) {
		case 0:
			v.SetZero()
			return
		case 1:
			v.Set(reflect.MakeSlice(t, 0, 0))
			return
		}
		n := 1 + f.R.IntN(3)
		if t.Elem().Kind() == reflect.Uint8 {
			n = f.R.IntN(40)
		}
		s := reflect.MakeSlice(t, n, n)
		for i := range n {
			f.Fill(s.Index(i), depth+1)
		}
		v.Set(s)
	case reflect.Map:
		switch f.R.IntN(5) {
		case 0:
			v.SetZero()
			return
		case 1:
			v.Set(reflect.MakeMap(t))
			return
		}
		m := reflect.MakeMap(t)
		for range 1 + f.R.IntN(4) {
			k := reflect.New(t.Key()).Elem()
			f.Fill(k, depth+1)
			e := reflect.New(t.Elem()).Elem()
			f.Fill(e, depth+1)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.String:
		v.SetString(f.str())
	case reflect.Bool:
		v.SetBool(f.R.IntN(2) == 0)
	case reflect.Int32, reflect.Int64:
		bits := t.Bits()
		switch f.R.IntN(4) {
		case 0:
			v.SetInt(-1 << (bits - 1))
		case 1:
			v.SetInt(1<<(bits-1) - 1)
		default:
			v.SetInt(f.R.Int64N(2001) - 1000)
		}
	case reflect.Float64:
		v.SetFloat(f.float())
	case reflect.Uint8:
		v.SetUint(f.R.Uint64N(256))
	default:
		panic("awsjsontest: cannot fill a " + t.String())
	}
}

// Random returns a new value of the type a points to, filled at random.
func (f *Filler) Random(a awsjson.Appender) awsjson.Appender {
	p := reflect.New(reflect.TypeOf(a).Elem())
	f.Fill(p.Elem(), 0)
	return p.Interface().(awsjson.Appender)
}

// Check compares a.AppendJSON with json.Marshal(a), also when appending to
// a prefix, and reports a difference as a test error.
func Check(t testing.TB, a awsjson.Appender) {
	t.Helper()
	want, werr := json.Marshal(a)
	prefix := []byte("prefix")
	got, gerr := a.AppendJSON(prefix)
	if (werr != nil) != (gerr != nil) {
		t.Fatalf("%T: AppendJSON error %v, json.Marshal error %v", a, gerr, werr)
	}
	if werr != nil {
		return
	}
	if !bytes.HasPrefix(got, []byte("prefix")) || !bytes.Equal(got[len("prefix"):], want) {
		t.Fatalf("%T: AppendJSON differs from json.Marshal:\n got %s\nwant prefix%s", a, got, want)
	}
}

// CheckAll fills every type of appenders (nil pointers of each generated
// struct) rounds times at random and checks each value, and the nil and
// empty value of each.
func CheckAll(t *testing.T, appenders []awsjson.Appender, rounds int) {
	f := &Filler{R: rand.New(rand.NewPCG(1, 2)), Strings: Strings, Floats: Floats, MaxDepth: 5}
	for _, a := range appenders {
		Check(t, a)
		Check(t, reflect.New(reflect.TypeOf(a).Elem()).Interface().(awsjson.Appender))
		for range rounds {
			Check(t, f.Random(a))
		}
	}
}
