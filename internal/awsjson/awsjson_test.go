package awsjson

import (
	"testing"
)

type inner struct {
	Name  *string `json:"name,omitzero"`
	Value *string `json:"value,omitzero"`
}

type input struct {
	MaxResults *int32            `json:"maxResults,omitzero"`
	Filters    []*inner          `json:"filters,omitzero"`
	ByKey      map[string]*inner `json:"byKey,omitzero"`
	When       *Time             `json:"when,omitzero"`
	Names      []string          `json:"names,omitzero"`
}

func TestDecodeMatchesMemberNamesExactly(t *testing.T) {
	var in input
	body := `{"MaxResults":5,"filters":[{"Name":"x","value":"v"}],"byKey":{"k":{"NAME":"n","name":"m"}},"when":1700000000,"NAMES":["a"],"unknown":{"a":1}}`
	if err := Decode([]byte(body), &in); err != nil {
		t.Fatal(err)
	}
	if in.MaxResults != nil {
		t.Errorf("MaxResults bound to maxResults: %d", *in.MaxResults)
	}
	if len(in.Filters) != 1 || in.Filters[0].Name != nil || in.Filters[0].Value == nil || *in.Filters[0].Value != "v" {
		t.Errorf("filters = %+v", in.Filters[0])
	}
	if k := in.ByKey["k"]; k == nil || k.Name == nil || *k.Name != "m" {
		t.Errorf("byKey = %+v", in.ByKey)
	}
	if in.When == nil || in.When.Unix() != 1700000000 {
		t.Errorf("when = %v", in.When)
	}
	if in.Names != nil {
		t.Errorf("NAMES bound to names: %v", in.Names)
	}
}

func TestDecodeExactNamesUnchanged(t *testing.T) {
	var in input
	if err := Decode([]byte(`{"maxResults":7,"names":["a","b"]}`), &in); err != nil {
		t.Fatal(err)
	}
	if in.MaxResults == nil || *in.MaxResults != 7 || len(in.Names) != 2 {
		t.Fatalf("decoded %+v", in)
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, body := range []string{`{"maxResults":"x"}`, `{"maxResults":1`, `{"filters":{}}`, `{} {}`, `[1]`, "{\"names\":[\"a\xff\"]}"} {
		var in input
		err := Decode([]byte(body), &in)
		e, ok := err.(*Error)
		if !ok || e.Code != "SerializationException" || e.Status != 400 {
			t.Errorf("Decode(%s) = %v, want SerializationException", body, err)
		}
	}
}
