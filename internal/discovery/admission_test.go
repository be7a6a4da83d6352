package discovery

import (
	"errors"
	"reflect"
	"testing"
)

func TestAdmit(t *testing.T) {
	agent := &ExportTask{Kind: KindAgent, AgentID: "o-1"}
	limits := []ExportLimit{{Kind: KindAgent, Running: true, Max: 5}, {Kind: KindAgent, Max: 2}}
	counts := func(n ...int) func(ExportLimit) (int, error) {
		return func(l ExportLimit) (int, error) {
			for i := range limits {
				if reflect.DeepEqual(limits[i], l) {
					return n[i], nil
				}
			}
			return 0, errors.New("unknown limit")
		}
	}
	none := func() (string, error) { return "", nil }
	dup := func() (string, error) { return "export-1", nil }
	boom := errors.New("boom")
	for _, c := range []struct {
		name    string
		a       ExportAdmission
		t       *ExportTask
		dup     func() (string, error)
		count   func(ExportLimit) (int, error)
		want    *ExportRefusal
		wantErr error
	}{
		{"admitted", ExportAdmission{RefuseDuplicate: true, Limits: limits}, agent, none, counts(4, 1), nil, nil},
		{"duplicate first", ExportAdmission{RefuseDuplicate: true, Limits: limits}, agent, dup, counts(5, 2), &ExportRefusal{DuplicateOf: "export-1"}, nil},
		{"duplicates allowed", ExportAdmission{Limits: limits}, agent, dup, counts(0, 0), nil, nil},
		{"only agent exports are duplicates", ExportAdmission{RefuseDuplicate: true}, &ExportTask{Kind: KindSummary}, dup, counts(), nil, nil},
		{"first limit reached", ExportAdmission{Limits: limits}, agent, none, counts(5, 2), &ExportRefusal{Limit: 0}, nil},
		{"second limit reached", ExportAdmission{Limits: limits}, agent, none, counts(4, 2), &ExportRefusal{Limit: 1}, nil},
		{"duplicate lookup fails", ExportAdmission{RefuseDuplicate: true}, agent, func() (string, error) { return "", boom }, counts(), nil, boom},
		{"count fails", ExportAdmission{Limits: limits}, agent, none, func(ExportLimit) (int, error) { return 0, boom }, nil, boom},
	} {
		got, err := c.a.Admit(c.t, c.dup, c.count)
		if !reflect.DeepEqual(got, c.want) || !errors.Is(err, c.wantErr) {
			t.Errorf("%s: Admit = %+v, %v; want %+v, %v", c.name, got, err, c.want, c.wantErr)
		}
	}
}
