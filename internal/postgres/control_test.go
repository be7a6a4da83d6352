package postgres

import (
	"strings"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// The control state (the virtual clock's offset and the resets) is shared
// by replicas, numbered change by change, and survives a reset.
func TestControlShared(t *testing.T) {
	url := testSchema(t)
	dbs := replicas(t, url, 2)
	a, b := dbs[0], dbs[1]
	ctx := t.Context()
	if c, err := a.Control(ctx); err != nil || c.Version != 0 || c.ClockOffset != 0 || len(c.Resets) != 0 {
		t.Fatalf("initial control = %+v, %v", c, err)
	}
	for i, want := range []time.Duration{90 * time.Minute, -time.Second, 0, 48 * time.Hour} {
		if _, err := a.UpdateControl(ctx, func(c *discovery.Control) { c.ClockOffset = want }); err != nil {
			t.Fatal(err)
		}
		if c, err := b.Control(ctx); err != nil || c.ClockOffset != want || c.Version != int64(i+1) {
			t.Fatalf("other replica reads %+v, %v; want offset %v, version %d", c, err, want, i+1)
		}
	}
	got, err := b.UpdateControl(ctx, func(c *discovery.Control) { c.AddReset(invA) })
	if err != nil || got.Version != 5 || got.ClockOffset != 48*time.Hour || len(got.Resets) != 1 || got.Resets[0] != (discovery.ControlReset{Version: 5, Account: invA}) {
		t.Fatalf("reset recorded: %+v, %v", got, err)
	}
	if err := b.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.ResetAccount(ctx, invA); err != nil {
		t.Fatal(err)
	}
	if c, _ := a.Control(ctx); c.Version != 5 || c.ClockOffset != 48*time.Hour || len(c.Resets) != 1 {
		t.Fatalf("after the store's resets: %+v", c)
	}
	a.Close()
	if c, _ := openURL(t, url).Control(ctx); c.Version != 5 || c.ClockOffset != 48*time.Hour {
		t.Fatalf("after a restart: %+v", c)
	}
}

// Changes made at once on several replicas are applied one after another:
// none is lost, each gets a number of its own.
func TestControlChangesDoNotInterleave(t *testing.T) {
	dbs := replicas(t, testSchema(t), 3)
	const n = 24
	versions := make([]int64, n)
	errs := make([]error, n)
	atOnce(n, func(i int) {
		c, err := dbs[i%len(dbs)].UpdateControl(t.Context(), func(c *discovery.Control) {
			c.ClockOffset += time.Second
			if i%4 == 0 {
				c.AddReset("")
			}
		})
		versions[i], errs[i] = c.Version, err
	})
	seen := map[int64]bool{}
	for i, v := range versions {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if seen[v] {
			t.Fatalf("version %d given twice", v)
		}
		seen[v] = true
	}
	c, err := dbs[0].Control(t.Context())
	if err != nil || c.Version != n || c.ClockOffset != n*time.Second || len(c.Resets) != n/4 {
		t.Fatalf("after %d changes: %+v, %v", n, c, err)
	}
}

// A replica listening (ControlChanges) is told of every change committed
// by any replica, itself included. Each schema, a store of its own, has a
// channel of its own.
func TestControlChangesNotified(t *testing.T) {
	dbs := replicas(t, testSchema(t), 2)
	a, b := dbs[0], dbs[1]
	if other := openTest(t); other.channel == a.channel {
		t.Fatalf("two schemas share the channel %q", a.channel)
	}
	ch := b.ControlChanges(t.Context())
	wait := func(what string) {
		t.Helper()
		select {
		case <-ch:
		case <-time.After(10 * time.Second):
			t.Fatalf("no notification %s", what)
		}
	}
	// Once listening, it signals (changes may have been missed before).
	wait("once listening")
	for _, db := range []*DB{a, b} {
		if _, err := db.UpdateControl(t.Context(), func(c *discovery.Control) { c.ClockOffset += time.Minute }); err != nil {
			t.Fatal(err)
		}
		wait("of a change")
	}
	if c, _ := b.Control(t.Context()); c.Version != 2 || c.ClockOffset != 2*time.Minute {
		t.Fatalf("control after the changes: %+v", c)
	}
}

// The channel name is a valid identifier however long the schema's name.
func TestControlChannel(t *testing.T) {
	if got := controlChannel("t_0123"); got != "poseidon.control.t_0123" {
		t.Fatalf("channel %q", got)
	}
	long := controlChannel(strings.Repeat("s", 80))
	if len(long) != 63 {
		t.Fatalf("channel of a long schema: %d bytes", len(long))
	}
}
