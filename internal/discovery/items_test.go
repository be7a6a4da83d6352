package discovery

import "testing"

func TestTypeOf(t *testing.T) {
	for id, want := range map[string]ItemType{
		"d-server-0c4f2dd1fee22c6c1":      TypeServer,
		"d-process-0123456789abcdef0":     TypeProcess,
		"d-connection-0123456789abcdef0":  TypeConnection,
		"d-application-0ac39bc0e4fad0e42": TypeApplication,
		"server-0c4f2dd1fee22c6c1":        "",
		"":                                "",
		"d-SERVER-0c4f2dd1fee22c6c1":      "",
		"d-application":                   "",
	} {
		got, ok := TypeOf(id)
		if got != want || ok != (want != "") {
			t.Errorf("TypeOf(%q) = %q, %v; want %q", id, got, ok, want)
		}
	}
}
