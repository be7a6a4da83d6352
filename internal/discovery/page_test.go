package discovery

import (
	"errors"
	"testing"
)

func TestPageSize(t *testing.T) {
	p := func(v int32) *int32 { return &v }
	for _, tt := range []struct {
		in   *int32
		want int
		err  bool
	}{{nil, 100, false}, {p(0), 100, false}, {p(1), 1, false}, {p(99), 99, false}, {p(100), 100, false}, {p(101), 100, false}, {p(1 << 30), 100, false}, {p(-1), 0, true}} {
		got, err := PageSize(tt.in)
		var de *Error
		if got != tt.want || (err != nil) != tt.err || (err != nil && (!errors.As(err, &de) || de.Code != InvalidParameterValue)) {
			t.Errorf("PageSize(%v) = %d, %v", tt.in, got, err)
		}
	}
}
