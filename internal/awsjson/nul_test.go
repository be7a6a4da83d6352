package awsjson

import (
	"errors"
	"strings"
	"testing"

	"github.com/poseidon-ads/poseidon/internal/validate"
)

func TestDecodeRefusesNUL(t *testing.T) {
	type filter struct {
		Name   string   `json:"name"`
		Values []string `json:"values"`
	}
	type input struct {
		ID      string   `json:"id"`
		IDs     []string `json:"ids"`
		Filters []filter `json:"filters"`
		N       int      `json:"n"`
	}
	for body, path := range map[string]string{
		`{"id":"a\u0000"}`:              "id",
		`{"n":1,"ids":["x","\u0000y"]}`: "ids.2.member",
		`{"filters":[{"name":"a","values":["b"]},{"name":"c","values":[1,"d\u0000"]}]}`:   "",
		`{"filters":[{"name":"a","values":["b"]},{"name":"c","values":["z","d\u0000"]}]}`: "filters.2.member.values.2.member",
		`{"other":{"k":["\u0000"]}}`:               "other.k.1.member",
		`{"id":"x","filters":[{"name":"\u0000"}]}`: "filters.1.member.name",
	} {
		var in input
		err := Decode([]byte(body), &in)
		if path == "" {
			if err == nil {
				t.Errorf("%s: decoded, want a type error", body)
			}
			continue
		}
		var ve *validate.Error
		if !errors.As(err, &ve) || ve.Violations[0].Path != path || ve.Violations[0].Constraint != NoNUL {
			t.Errorf("%s: %v, want a NUL violation at %s", body, err, path)
		}
	}
	// An escaped backslash followed by "u0000", and other escapes, decode.
	for _, body := range []string{`{"id":"\\u0000"}`, `{"id":"\u0001\u00e9"}`} {
		var in input
		if err := Decode([]byte(body), &in); err != nil {
			t.Errorf("%s: %v", body, err)
		}
	}
	var in input
	if err := Decode([]byte(`{"id":"a\\u0000"}`), &in); err != nil || !strings.Contains(in.ID, `\u0000`) {
		t.Errorf("escaped backslash: %v %q", err, in.ID)
	}
}
