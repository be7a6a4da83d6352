package pagetoken

import (
	"errors"
	"strings"
	"testing"
)

type cursor struct {
	T  int64  `json:"t"`
	ID string `json:"id"`
}

func TestSealOpen(t *testing.T) {
	s := New([]byte("secret"))
	q := Query("DescribeExportTasks", "123456789012", []string{"a"})
	tok, err := s.Seal(q, cursor{T: 42, ID: "export-1"})
	if err != nil {
		t.Fatal(err)
	}
	var got cursor
	if err := s.Open(tok, q, &got); err != nil {
		t.Fatalf("Open() = %v", err)
	}
	if got != (cursor{42, "export-1"}) {
		t.Fatalf("cursor = %+v", got)
	}
}

func TestOpenRejects(t *testing.T) {
	s := New([]byte("secret"))
	q := Query("DescribeExportTasks", "123456789012", nil)
	tok, _ := s.Seal(q, cursor{T: 1, ID: "x"})
	body, mac, _ := strings.Cut(tok, ".")
	flip := func(s string) string {
		b := []byte(s)
		if b[3] == 'A' {
			b[3] = 'B'
		} else {
			b[3] = 'A'
		}
		return string(b)
	}
	tests := []struct {
		name, token, query string
		sealer             *Sealer
	}{
		{"other query (filters)", tok, Query("DescribeExportTasks", "123456789012", []string{"a"}), s},
		{"other account", tok, Query("DescribeExportTasks", "000000000000", nil), s},
		{"other operation", tok, Query("DescribeExportConfigurations", "123456789012", nil), s},
		{"other server secret", tok, q, New([]byte("other"))},
		{"tampered body", flip(body) + "." + mac, q, s},
		{"tampered mac", body + "." + flip(mac), q, s},
		{"no separator", body, q, s},
		{"garbage", "!!!.???", q, s},
		{"empty", "", q, s},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c cursor
			if err := tt.sealer.Open(tt.token, tt.query, &c); !errors.Is(err, ErrInvalid) {
				t.Fatalf("Open() = %v, want ErrInvalid", err)
			}
		})
	}
}

func FuzzOpen(f *testing.F) {
	s := New([]byte("k"))
	q := Query("op")
	tok, _ := s.Seal(q, cursor{T: 1, ID: "a"})
	f.Add(tok)
	f.Add("")
	f.Add("a.b")
	f.Fuzz(func(t *testing.T, token string) {
		var c cursor
		_ = s.Open(token, q, &c)
	})
}
