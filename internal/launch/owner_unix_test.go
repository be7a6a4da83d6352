//go:build unix

package launch

import "testing"

// Each holder of a data directory gets its own owner slot; a slot given
// back (its process ended) is the next one taken, so that a restarted
// server succeeds the one that died.
func TestOwnerSlot(t *testing.T) {
	data := t.TempDir()
	first, release1, err := ownerSlot(data)
	if err != nil || first != "slot-0/" {
		t.Fatalf("first slot %q, %v", first, err)
	}
	second, release2, err := ownerSlot(data)
	if err != nil || second != "slot-1/" {
		t.Fatalf("second slot %q, %v", second, err)
	}
	defer release2()
	release1()
	again, release3, err := ownerSlot(data)
	if err != nil || again != "slot-0/" {
		t.Fatalf("slot after a release %q, %v", again, err)
	}
	release3()
}
