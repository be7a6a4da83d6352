package awsjson

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

func marshal(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var stringSeeds = []string{"", "a", `"\`, "\b\f\n\r\t\x00\x1f\x7f", "<>&", "\u2028\u2029", "\xff", "a\xc3", "\xed\xa0\x80", "日本語😀"}

var floatSeeds = []float64{0, math.Copysign(0, -1), 1e21, 1e20, 1e-6, 1e-7, 9.999e-7, -1.5e-9, 1e-10, 5e-324, math.MaxFloat64, 0.1, 123456789.125}

func TestAppendStringMatchesMarshal(t *testing.T) {
	for _, s := range stringSeeds {
		if got, want := AppendString(nil, s), marshal(t, s); !bytes.Equal(got, want) {
			t.Errorf("AppendString(%q) = %s, json.Marshal: %s", s, got, want)
		}
	}
	for c := range 256 {
		for p := range 17 { // c inside a longer string, and alone
			b := bytes.Repeat([]byte("a"), 17)
			b[p] = byte(c)
			for _, s := range []string{string(b), string(b[p : p+1])} {
				if got, want := AppendString(nil, s), marshal(t, s); !bytes.Equal(got, want) {
					t.Errorf("AppendString(%q) = %s, json.Marshal: %s", s, got, want)
				}
			}
		}
	}
}

func TestAppendFloatMatchesMarshal(t *testing.T) {
	for _, f := range floatSeeds {
		got, err := AppendFloat(nil, f)
		if want := marshal(t, f); err != nil || !bytes.Equal(got, want) {
			t.Errorf("AppendFloat(%g) = %s, %v; json.Marshal: %s", f, got, err, want)
		}
	}
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		_, jerr := json.Marshal(f)
		if _, err := AppendFloat(nil, f); err == nil || err.Error() != jerr.Error() {
			t.Errorf("AppendFloat(%g) error %v, json.Marshal's %v", f, err, jerr)
		}
	}
}

func TestAppendBlobAndTime(t *testing.T) {
	for _, p := range [][]byte{nil, {}, {0}, {0xff, 0xfe, 0x00, 'a'}} {
		if got, want := AppendBlob(nil, p), marshal(t, p); !bytes.Equal(got, want) {
			t.Errorf("AppendBlob(%v) = %s, json.Marshal: %s", p, got, want)
		}
	}
	for _, tm := range []time.Time{{}, time.Unix(1700000000, 0), time.Unix(1700000000, 5e8), time.Unix(-5, 1e6)} {
		if got, want := (Time{tm}).AppendJSON(nil), marshal(t, Time{tm}); !bytes.Equal(got, want) {
			t.Errorf("Time(%v).AppendJSON = %s, json.Marshal: %s", tm, got, want)
		}
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range stringSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := AppendString(nil, s), marshal(t, s); !bytes.Equal(got, want) {
			t.Fatalf("AppendString(%q) = %s, json.Marshal: %s", s, got, want)
		}
	})
}

func FuzzAppendFloat(f *testing.F) {
	for _, x := range floatSeeds {
		f.Add(x)
	}
	f.Fuzz(func(t *testing.T, x float64) {
		got, err := AppendFloat(nil, x)
		want, jerr := json.Marshal(x)
		if (err != nil) != (jerr != nil) || !bytes.Equal(got, want) && err == nil {
			t.Fatalf("AppendFloat(%g) = %s, %v; json.Marshal: %s, %v", x, got, err, want, jerr)
		}
	})
}

// TestWriteUsesAppender checks that Write sends an Appender's own bytes and
// encodes anything else with encoding/json.
func TestWriteUsesAppender(t *testing.T) {
	for _, c := range []struct {
		out  any
		want string
	}{
		{fixed(`{"x":1}`), `{"x":1}`},
		{map[string]string{"b": "<", "a": ""}, `{"a":"","b":"\u003c"}`},
	} {
		w := httptest.NewRecorder()
		if err := Write(w, c.out); err != nil {
			t.Fatal(err)
		}
		if w.Body.String() != c.want || w.Header().Get("Content-Length") != strconv.Itoa(len(c.want)) || w.Code != 200 {
			t.Errorf("Write(%v): %d %v %q, want %q", c.out, w.Code, w.Header(), w.Body.String(), c.want)
		}
	}
}

type fixed string

func (f fixed) AppendJSON(b []byte) ([]byte, error) { return append(b, f...), nil }
