package clock

import (
	"testing"
	"time"
)

func TestAdvanceAndSet(t *testing.T) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := New(func() time.Time { return base })
	ch := c.Changed()
	if got := c.Now(); !got.Equal(base) {
		t.Fatalf("Now() = %v, want %v", got, base)
	}
	if got := c.Advance(90 * time.Second); !got.Equal(base.Add(90 * time.Second)) {
		t.Fatalf("Advance() = %v", got)
	}
	select {
	case <-ch:
	default:
		t.Fatal("Changed() not signalled after Advance")
	}
	want := time.Date(2030, 5, 1, 0, 0, 0, 0, time.UTC)
	c.Set(want)
	if got := c.Now(); !got.Equal(want) {
		t.Fatalf("Now() after Set = %v, want %v", got, want)
	}
}
