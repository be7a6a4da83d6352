package postgres

import (
	"context"
	"errors"
	"testing"
	"time"
)

// An account's gate lets one holder in at a time, lets another account's
// holder in meanwhile, gives up when the context ends, and is forgotten
// when no one holds or waits for it.
func TestGates(t *testing.T) {
	var g gates
	ctx := context.Background()
	leaveA, err := g.enter(ctx, "111111111111")
	if err != nil {
		t.Fatal(err)
	}
	leaveB, err := g.enter(ctx, "222222222222")
	if err != nil {
		t.Fatal("another account's gate:", err)
	}
	leaveB()

	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := g.enter(short, "111111111111"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("entering a held gate: %v, want the context's deadline", err)
	}

	entered := make(chan func())
	go func() {
		leave, err := g.enter(ctx, "111111111111")
		if err != nil {
			t.Error(err)
		}
		entered <- leave
	}()
	select {
	case <-entered:
		t.Fatal("a second holder entered a held gate")
	case <-time.After(20 * time.Millisecond):
	}
	leaveA()
	(<-entered)()

	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.m) != 0 {
		t.Fatalf("%d gates kept with no holder", len(g.m))
	}
}
