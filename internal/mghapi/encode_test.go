package mghapi

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
