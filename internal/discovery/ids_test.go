package discovery

import "testing"

func TestWellFormedServerID(t *testing.T) {
	id := ServerID("111111111111", "o-0123456789abcdef0")
	for s, want := range map[string]bool{
		id:                                  true,
		ServerPrefix + "a0000000000000000":  true,
		ServerPrefix + "A0000000000000000":  false,
		ServerPrefix + "a000000000000000":   false,
		ServerPrefix + "a00000000000000000": false,
		ServerPrefix + "g0000000000000000":  false,
		id + "\x00":                         false,
		" " + id:                            false,
		"d-application-a0000000000000000":   false,
		"":                                  false,
	} {
		if got := WellFormedServerID(s); got != want {
			t.Errorf("WellFormedServerID(%q) = %v, want %v", s, got, want)
		}
	}
}
