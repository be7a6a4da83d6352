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

// A server detail shows at most MaxListValues of each list; the flag tells
// there are more.
func TestServerDetailCaps(t *testing.T) {
	var d ServerDetail
	for i := range MaxListValues + 2 {
		d.AddTag(Tag{Key: string(rune('a' + i))})
		if i < 3 {
			d.AddNIC(NIC{Name: "eth"})
		}
		if i < MaxListValues {
			d.AddApplication(ApplicationRef{ID: "x"})
		}
	}
	if len(d.Tags) != MaxListValues || !d.MoreTags || d.Tags[MaxListValues-1].Key != string(rune('a'+MaxListValues-1)) {
		t.Fatalf("tags %v more %v", d.Tags, d.MoreTags)
	}
	if len(d.NICs) != 3 || d.MoreNICs || len(d.Applications) != MaxListValues || d.MoreApplications {
		t.Fatalf("nics %d %v, applications %d %v", len(d.NICs), d.MoreNICs, len(d.Applications), d.MoreApplications)
	}
}
