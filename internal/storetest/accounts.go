package storetest

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// Accounts, home region controls, secrets, the clock offset and resets.
var accountTests = []test{
	tc("EnsureAccountGivesTheDefaultControlOnce", testEnsureAccount),
	tc("CreateHomeRegionControlOncePerAccount", testCreateHomeRegionControl),
	tc("DeleteHomeRegionControl", testDeleteHomeRegionControl),
	tc("Secrets", testSecrets),
	tc("ClockOffset", testClockOffset),
	tc("ControlChanges", testControlChanges),
	tc("PopulatedAccountsAreIsolated", testPopulatedIsolation),
	tc("ResetAccountLeavesOtherAccounts", testResetAccount),
	tc("ResetDeletesEveryAccount", testReset),
}

func control(account, id, region string, at time.Time) *discovery.HomeRegionControl {
	return &discovery.HomeRegionControl{ID: id, AccountID: account, HomeRegion: region, RequestedTime: at}
}

// sameControl fails the test unless got is want.
func sameControl(t *testing.T, got, want *discovery.HomeRegionControl) {
	t.Helper()
	if got == nil || got.ID != want.ID || got.AccountID != want.AccountID || got.HomeRegion != want.HomeRegion ||
		!got.RequestedTime.Equal(want.RequestedTime) {
		t.Fatalf("control = %+v, want %+v", got, want)
	}
}

func testEnsureAccount(t *testing.T, s Accounts) {
	c := ctx(t)
	first := control(acctA, "hrc-a", "us-west-2", t0.Add(1500*time.Millisecond))
	must(t, s.EnsureAccount(c, acctA, t0, first))
	sameControl(t, ok(s.HomeRegionControl(c, acctA))(t), first)
	// A known account keeps its control.
	must(t, s.EnsureAccount(c, acctA, t0.Add(time.Hour), control(acctA, "hrc-a2", "eu-west-1", t0.Add(time.Hour))))
	sameControl(t, ok(s.HomeRegionControl(c, acctA))(t), first)
	// An account without a default control has none.
	must(t, s.EnsureAccount(c, acctB, t0, nil))
	if _, err := s.HomeRegionControl(c, acctB); !errors.Is(err, discovery.ErrNotFound) {
		t.Fatalf("control of B = %v, want ErrNotFound", err)
	}
	// Seen once without a control, an account gets none later either.
	must(t, s.EnsureAccount(c, acctB, t0, control(acctB, "hrc-b", "us-east-1", t0)))
	if _, err := s.HomeRegionControl(c, acctB); !errors.Is(err, discovery.ErrNotFound) {
		t.Fatalf("control of B after a second EnsureAccount = %v, want ErrNotFound", err)
	}
}

func testCreateHomeRegionControl(t *testing.T, s Accounts) {
	c := ctx(t)
	a1 := control(acctA, "hrc-a1", "us-west-2", t0)
	got, created, err := s.CreateHomeRegionControl(c, a1)
	if err != nil || !created {
		t.Fatalf("create = %v, %v", created, err)
	}
	sameControl(t, got, a1)
	got, created, err = s.CreateHomeRegionControl(c, control(acctA, "hrc-a2", "eu-west-1", t0.Add(time.Hour)))
	if err != nil || created {
		t.Fatalf("second create = %v, %v; want the first one back", created, err)
	}
	sameControl(t, got, a1)
	sameControl(t, ok(s.HomeRegionControl(c, acctA))(t), a1)
	// Another account has its own.
	b := control(acctB, "hrc-b", "ap-southeast-2", t0)
	if got, created, err = s.CreateHomeRegionControl(c, b); err != nil || !created {
		t.Fatalf("create for B = %v, %v", created, err)
	}
	sameControl(t, got, b)
	sameControl(t, ok(s.HomeRegionControl(c, acctA))(t), a1)
}

func testDeleteHomeRegionControl(t *testing.T, s Accounts) {
	c := ctx(t)
	a := control(acctA, "hrc-a", "us-west-2", t0)
	if _, created, err := s.CreateHomeRegionControl(c, a); err != nil || !created {
		t.Fatalf("create = %v, %v", created, err)
	}
	for _, tc := range []struct{ account, id string }{{acctB, "hrc-a"}, {acctA, "hrc-other"}} {
		if err := s.DeleteHomeRegionControl(c, tc.account, tc.id); !errors.Is(err, discovery.ErrNotFound) {
			t.Fatalf("delete (%s, %s) = %v, want ErrNotFound", tc.account, tc.id, err)
		}
	}
	sameControl(t, ok(s.HomeRegionControl(c, acctA))(t), a)
	must(t, s.DeleteHomeRegionControl(c, acctA, "hrc-a"))
	if _, err := s.HomeRegionControl(c, acctA); !errors.Is(err, discovery.ErrNotFound) {
		t.Fatalf("control after delete = %v, want ErrNotFound", err)
	}
	if err := s.DeleteHomeRegionControl(c, acctA, "hrc-a"); !errors.Is(err, discovery.ErrNotFound) {
		t.Fatalf("second delete = %v, want ErrNotFound", err)
	}
	// The account may set a control again.
	again := control(acctA, "hrc-a3", "eu-central-1", t0.Add(time.Hour))
	if _, created, err := s.CreateHomeRegionControl(c, again); err != nil || !created {
		t.Fatalf("create after delete = %v, %v", created, err)
	}
	sameControl(t, ok(s.HomeRegionControl(c, acctA))(t), again)
}

func testSecrets(t *testing.T, s Store) {
	c := ctx(t)
	x := ok(s.Secret(c, "x"))(t)
	if len(x) < 32 {
		t.Fatalf("secret of %d bytes, want at least 32", len(x))
	}
	if again := ok(s.Secret(c, "x"))(t); !bytes.Equal(again, x) {
		t.Fatal("a secret changed between two reads")
	}
	y := ok(s.Secret(c, "y"))(t)
	if bytes.Equal(x, y) {
		t.Fatal("two secrets are equal")
	}
	populate(t, s, acctA)
	must(t, s.ResetAccount(c, acctA))
	must(t, s.Reset(c))
	if after := ok(s.Secret(c, "x"))(t); !bytes.Equal(after, x) {
		t.Fatal("a reset changed a secret")
	}
	if after := ok(s.Secret(c, "y"))(t); !bytes.Equal(after, y) {
		t.Fatal("a reset changed a secret")
	}
}

func testClockOffset(t *testing.T, s Accounts) {
	c := ctx(t)
	if got := ok(s.Control(c))(t); got.ClockOffset != 0 || got.Version != 0 || len(got.Resets) != 0 {
		t.Fatalf("control of a new store = %+v, want zero", got)
	}
	for i, d := range []time.Duration{90 * time.Minute, -5 * time.Second, 1500 * time.Millisecond, 240 * time.Hour, 0} {
		set := ok(s.UpdateControl(c, func(ctl *discovery.Control) { ctl.ClockOffset = d }))(t)
		if set.ClockOffset != d || set.Version != int64(i+1) {
			t.Fatalf("UpdateControl = %+v, want offset %v at version %d", set, d, i+1)
		}
		if got := ok(s.Control(c))(t); got.ClockOffset != d || got.Version != int64(i+1) {
			t.Fatalf("control = %+v, want offset %v at version %d", got, d, i+1)
		}
	}
	// Advances made by concurrent callers add up: none is lost.
	const n = 8
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := s.UpdateControl(c, func(ctl *discovery.Control) { ctl.ClockOffset += time.Second })
			errs <- err
		}()
	}
	for range n {
		must(t, <-errs)
	}
	if got := ok(s.Control(c))(t); got.ClockOffset != n*time.Second || got.Version != 5+n {
		t.Fatalf("after %d concurrent advances: %+v", n, got)
	}
}

// testControlChanges: a store that others can share signals each change
// of the control state to its followers.
func testControlChanges(t *testing.T, s Accounts) {
	c, cancel := context.WithCancel(ctx(t))
	defer cancel()
	ch := s.ControlChanges(c)
	if ch == nil {
		t.Skip("this store serves one process: no one to signal")
	}
	// The follower may need a moment to listen: change until signalled.
	deadline := time.After(10 * time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		ok(s.UpdateControl(c, func(ctl *discovery.Control) { ctl.ClockOffset += time.Millisecond }))(t)
		select {
		case <-ch:
			return
		case <-deadline:
			t.Fatal("no signal of a control change in 10 s")
		case <-tick.C:
		}
	}
}

// testPopulatedIsolation: an account sees nothing of another's state in
// any read, and the other's state does not change what it sees.
func testPopulatedIsolation(t *testing.T, s Store) {
	pa := populate(t, s, acctA)
	sameLines(t, "view of B beside a populated A", view(t, s, acctB, pa), emptyView)
	before := view(t, s, acctA, pa)
	pb := populate(t, s, acctB)
	sameLines(t, "view of A after B was populated", view(t, s, acctA, pa), before)
	// Same fixtures, same view, but for the IDs that name the account.
	if got := view(t, s, acctB, pb); len(got) != len(before) {
		t.Fatalf("B's view has %d lines, A's %d:\n%v\n%v", len(got), len(before), got, before)
	}
}

func testResetAccount(t *testing.T, s Store) {
	c := ctx(t)
	pa, pb := populate(t, s, acctA), populate(t, s, acctB)
	viewB := view(t, s, acctB, pb)
	must(t, s.ResetAccount(c, acctA))
	sameLines(t, "view of the reset account", view(t, s, acctA, pa), emptyView)
	// The views hold the accounts' jobs: the queue holds only the other
	// account's work, and nothing is due of the reset account.
	sameLines(t, "view of the other account", view(t, s, acctB, pb), viewB)
	var held []*discovery.Job
	for range 20 {
		j := ok(s.Claim(c, "w", jobKinds, never.Add(time.Hour), never.Add(2*time.Hour)))(t)
		if j == nil {
			break
		}
		if j.Account != acctB {
			t.Fatalf("a %s job of %s after its reset", j.Kind, j.Account)
		}
		held = append(held, j)
	}
	for _, j := range held {
		must(t, s.Release(c, j.Lease(), j.RunAt))
	}
	// The reset account is new again: it takes a default control.
	must(t, s.EnsureAccount(c, acctA, t0, control(acctA, "hrc-new", "us-east-2", t0)))
	sameControl(t, ok(s.HomeRegionControl(c, acctA))(t), control(acctA, "hrc-new", "us-east-2", t0))
	// And the same records again.
	populate(t, s, acctA)
	sameLines(t, "view of B after A was populated again", view(t, s, acctB, pb), viewB)
}

func testReset(t *testing.T, s Store) {
	c := ctx(t)
	pa, pb := populate(t, s, acctA), populate(t, s, acctB)
	must(t, s.Reset(c))
	sameLines(t, "view of A after a reset", view(t, s, acctA, pa), emptyView)
	sameLines(t, "view of B after a reset", view(t, s, acctB, pb), emptyView)
	if j := ok(s.Claim(c, "w", jobKinds, never.Add(time.Hour), never.Add(2*time.Hour)))(t); j != nil {
		t.Fatalf("claimed a %s job of %s after a reset", j.Kind, j.Account)
	}
	// Every account is new again.
	populate(t, s, acctA)
	populate(t, s, acctB)
}
