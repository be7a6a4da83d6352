package discovery

import "testing"

// A Control keeps the latest MaxControlResets resets; ResetsAfter gives
// those newer than a version, and tells when some newer ones were dropped.
func TestControlResets(t *testing.T) {
	var c Control
	for i := range 2*MaxControlResets + 10 {
		c.Version++
		if i%2 == 1 {
			continue // a clock move
		}
		c.AddReset("")
	}
	if len(c.Resets) != MaxControlResets || c.Resets[len(c.Resets)-1].Version != c.Version-1 {
		t.Fatalf("kept %d resets, the last of change %d (version %d)", len(c.Resets), c.Resets[len(c.Resets)-1].Version, c.Version)
	}
	oldest := c.Resets[0].Version
	if rs, missed := c.ResetsAfter(oldest - 1); len(rs) != MaxControlResets || missed {
		t.Fatalf("after %d: %d resets, missed %v", oldest-1, len(rs), missed)
	}
	if rs, missed := c.ResetsAfter(oldest - 3); len(rs) != MaxControlResets || !missed {
		t.Fatalf("after %d: %d resets, missed %v; want some missed", oldest-3, len(rs), missed)
	}
	if rs, missed := c.ResetsAfter(oldest); len(rs) != MaxControlResets-1 || rs[0].Version != oldest+2 || missed {
		t.Fatalf("after %d: %d resets from %d, missed %v", oldest, len(rs), rs[0].Version, missed)
	}
	if rs, missed := c.ResetsAfter(c.Version); len(rs) != 0 || missed {
		t.Fatalf("after the last change: %v, missed %v", rs, missed)
	}
	c.Version++
	c.AddReset("123456789012")
	if rs, _ := c.ResetsAfter(c.Version - 1); len(rs) != 1 || rs[0].Account != "123456789012" {
		t.Fatalf("an account's reset: %v", rs)
	}
}
