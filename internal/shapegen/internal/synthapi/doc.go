// Package synthapi is generated from a synthetic model
// (internal/shapegen/testdata/synth.json) that exercises the generator
// paths the real models do not use: unions with several members, blobs,
// longs, doubles, lists of lists, maps with constrained keys and structure
// values, locationName, operations without input or output, and RE2's
// repetition limit. Its tests check the generated validators end to end.
package synthapi

//go:generate go run ../.. -model ../../testdata/synth.json -pkg synthapi -out .
