package synthapi

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/poseidon-ads/poseidon/internal/validate"
)

func ptr[T any](v T) *T { return &v }

// valid returns a PutThingRequest that passes validation.
func valid() *PutThingRequest {
	return &PutThingRequest{
		Name:   ptr("ab"),
		Choice: &Choice{},
		Tags:   map[string]string{},
	}
}

func violations(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var ve *validate.Error
	if !errors.As(err, &ve) {
		t.Fatalf("error %T is not *validate.Error: %v", err, err)
	}
	var out []string
	for _, v := range ve.Violations {
		out = append(out, v.String())
	}
	return out
}

func TestSyntheticRules(t *testing.T) {
	long := "id-" + strings.Repeat("7", 1200)
	for _, tc := range []struct {
		name string
		mod  func(r *PutThingRequest)
		want []string
	}{
		{"valid", func(*PutThingRequest) {}, nil},
		{"union one member", func(r *PutThingRequest) { r.Choice = &Choice{Number: ptr(int32(3))} }, nil},
		{"union two members", func(r *PutThingRequest) { r.Choice = &Choice{Text: ptr("ab"), Number: ptr(int32(3))} },
			[]string{"Value '{text=ab, number=3}' at 'choice' failed to satisfy constraint: Member must have exactly one member set"}},
		{"union member checked", func(r *PutThingRequest) { r.Choice = &Choice{Thing: &Thing{}} },
			[]string{"Value null at 'choice.thing.id' failed to satisfy constraint: Member must not be null"}},
		{"blob too long", func(r *PutThingRequest) { r.Blob = []byte("12345") },
			[]string{"Value 'MTIzNDU=' at 'blob' failed to satisfy constraint: Member must have length less than or equal to 4"}},
		{"blob empty", func(r *PutThingRequest) { r.Blob = []byte{} },
			[]string{"Value '' at 'blob' failed to satisfy constraint: Member must have length greater than or equal to 1"}},
		{"long min", func(r *PutThingRequest) { r.Big = ptr(int64(4999999999)) },
			[]string{"Value '4999999999' at 'big' failed to satisfy constraint: Member must have value greater than or equal to 5000000000"}},
		{"double max", func(r *PutThingRequest) { r.Ratio = ptr(1000.5) },
			[]string{"Value '1000.5' at 'ratio' failed to satisfy constraint: Member must have value less than or equal to 1e3"}},
		{"double ok", func(r *PutThingRequest) { r.Ratio = ptr(0.5) }, nil},
		{"int list", func(r *PutThingRequest) { r.Counts = []int32{1, -2} },
			[]string{"Value '[1, -2]' at 'counts' failed to satisfy constraint: Member must satisfy constraint: [Member must have value less than or equal to 10, Member must have value greater than or equal to -1]"}},
		{"double list", func(r *PutThingRequest) { r.Ratios = []float64{2000} },
			[]string{"Value '[2000.0]' at 'ratios' failed to satisfy constraint: Member must satisfy constraint: [Member must have value less than or equal to 1e3, Member must have value greater than or equal to 0.5]"}},
		{"map size and keys and values", func(r *PutThingRequest) { r.Tags = map[string]string{"a": "1", "B": "2", "c": "toolong"} },
			[]string{
				"Value '{B=2, a=1, c=toolong}' at 'tags' failed to satisfy constraint: Member must have length less than or equal to 2",
				"Value '{B=2, a=1, c=toolong}' at 'tags' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to 3, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: [a-z]+]",
				"Value '{B=2, a=1, c=toolong}' at 'tags' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 4]",
			}},
		{"int map values", func(r *PutThingRequest) { r.Scores = map[string]int32{"x": 11} },
			[]string{"Value '{x=11}' at 'scores' failed to satisfy constraint: Map value must satisfy constraint: [Member must have value less than or equal to 10, Member must have value greater than or equal to -1]"}},
		{"map of structures", func(r *PutThingRequest) {
			r.Things = map[string]*Thing{"b": {Id: ptr("nope")}, "a": nil, "c": {Id: ptr("id-1")}}
		}, []string{
			"Value null at 'things.a.value' failed to satisfy constraint: Member must not be null",
			"Value 'nope' at 'things.b.value.id' failed to satisfy constraint: Member must satisfy regular expression pattern: id-\\d{1200}|id-\\d{1,3}",
		}},
		{"empty map of structures", func(r *PutThingRequest) { r.Things = map[string]*Thing{} },
			[]string{"Value '{}' at 'things' failed to satisfy constraint: Member must have length greater than or equal to 1"}},
		{"list of lists", func(r *PutThingRequest) { r.Grid = [][]string{{"id-1"}, {}, {"id-1", "x"}} },
			[]string{
				"Value '[]' at 'grid.2.member' failed to satisfy constraint: Member must have length greater than or equal to 1",
				"Value '[id-1, x]' at 'grid.3.member' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy regular expression pattern: id-\\d{1200}|id-\\d{1,3}]",
			}},
		{"repeat over 1000", func(r *PutThingRequest) { r.Nested = []*Thing{{Id: ptr(long)}} }, nil},
		{"deep path", func(r *PutThingRequest) {
			r.Nested = []*Thing{{Id: ptr("id-1")}, {Id: ptr("id-2"), Inner: &Inner{Self: &Thing{Id: ptr("id-3"), Inner: &Inner{Kind: ptr("gamma")}}}}}
		}, []string{"Value 'gamma' at 'nested.2.member.inner.self.inner.kind' failed to satisfy constraint: Member must satisfy enum value set: [alpha-one, BETA_TWO, t2.micro, GammaThree]"}},
		{"nil list element", func(r *PutThingRequest) { r.Nested = []*Thing{nil} },
			[]string{"Value null at 'nested.1.member' failed to satisfy constraint: Member must not be null"}},
		{"list too long", func(r *PutThingRequest) {
			r.Nested = []*Thing{{Id: ptr("id-1")}, {Id: ptr("id-1")}, {Id: ptr("id-1")}, {Id: ptr("id-1")}}
		},
			[]string{"Value '[{id=id-1}, {id=id-1}, {id=id-1}, {id=id-1}]' at 'nested' failed to satisfy constraint: Member must have length less than or equal to 3"}},
		{"location name member", func(r *PutThingRequest) { r.Renamed = ptr("A") },
			[]string{
				"Value 'A' at 'renamed' failed to satisfy constraint: Member must have length greater than or equal to 2",
				"Value 'A' at 'renamed' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-z .]+",
			}},
		{"all required missing", func(r *PutThingRequest) { *r = PutThingRequest{} },
			[]string{
				"Value null at 'name' failed to satisfy constraint: Member must not be null",
				"Value null at 'choice' failed to satisfy constraint: Member must not be null",
				"Value null at 'tags' failed to satisfy constraint: Member must not be null",
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := valid()
			tc.mod(r)
			got := violations(t, r.Validate())
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("violations:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestSyntheticWire(t *testing.T) {
	var r PutThingRequest
	in := `{"name":"ab","wireName":"cd","renamed":"ignored","blob":"aGk=","when":[1.5,2],"grid":[["id-1"]],"things":{"k":{"id":"id-9"}}}`
	if err := json.Unmarshal([]byte(in), &r); err != nil {
		t.Fatal(err)
	}
	if *r.Renamed != "cd" || string(r.Blob) != "hi" || len(r.When) != 2 || r.When[0].UnixMilli() != 1500 || *r.Things["k"].Id != "id-9" {
		t.Errorf("decoded %+v", r)
	}
	out, err := json.Marshal(&PutThingRequest{Renamed: ptr("x"), Counts: []int32{}, Choice: &Choice{}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(out), `{"choice":{},"counts":[],"wireName":"x"}`; got != want {
		t.Errorf("marshal = %s, want %s", got, want)
	}
}

func TestSyntheticOperations(t *testing.T) {
	if TargetPrefix != "SynthService_20200101" || SigningName != "synth" {
		t.Errorf("TargetPrefix %q SigningName %q", TargetPrefix, SigningName)
	}
	if !reflect.DeepEqual(OperationNames, []string{"ListThings", "Ping", "PutThing"}) {
		t.Errorf("OperationNames = %v", OperationNames)
	}
	ping := Operations["Ping"]
	if _, ok := ping.NewInput().(*PingRequest); !ok || !ping.Deprecated || ping.Paginated || len(ping.Errors) != 0 {
		t.Errorf("Ping = %+v", ping)
	}
	if err := ping.NewInput().Validate(); err != nil {
		t.Errorf("empty synthetic input: %v", err)
	}
	put := Operations["PutThing"]
	if _, ok := put.NewInput().(*PutThingRequest); !ok || !reflect.DeepEqual(put.Errors, []string{"BadThing", "Broken"}) {
		t.Errorf("PutThing = %+v", put)
	}
	var _ = PutThingResponse{} // synthetic output exists
	if !Operations["ListThings"].Paginated {
		t.Error("ListThings not paginated")
	}
	if KindT2Micro != "t2.micro" || KindAlphaOne != "alpha-one" || len(KindValues) != 4 {
		t.Error("enum constants")
	}
}
