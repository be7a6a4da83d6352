package faults_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/clock"
	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/faults"
	"github.com/poseidon-ads/poseidon/internal/storetest/teststore"
)

const (
	acctA = "111111111111"
	acctB = "222222222222"
)

// setup opens a real store and two injectors on it, as two replicas would
// have, on one virtual clock.
func setup(t *testing.T) (*faults.Injector, *faults.Injector, *clock.Clock, func(fn func(*discovery.Faults))) {
	st := teststore.Open(t)
	clk := clock.New(time.Now)
	a := &faults.Injector{Store: st, Now: clk.Now, HoldPoll: time.Millisecond}
	b := &faults.Injector{Store: st, Now: clk.Now, HoldPoll: time.Millisecond}
	set := func(fn func(*discovery.Faults)) {
		c, err := st.UpdateControl(context.Background(), func(c *discovery.Control) { fn(&c.Faults) })
		if err != nil {
			t.Fatal(err)
		}
		a.Follow(c)
		b.Follow(c)
	}
	return a, b, clk, set
}

func TestExportAndImportFailures(t *testing.T) {
	ctx := context.Background()
	a, b, _, set := setup(t)
	set(func(f *discovery.Faults) {
		f.FailExports = &discovery.TaskFailure{Remaining: 2, Message: "boom"}
		f.FailImports = &discovery.TaskFailure{Remaining: 1, Message: "import boom", Account: acctB}
	})
	// Two injectors share the count of two.
	var fails []string
	for i, in := range []*faults.Injector{a, b, a} {
		msg, fail, err := in.ExportStart(ctx, acctA, string(rune('x'+i)))
		if err != nil {
			t.Fatal(err)
		}
		if fail {
			fails = append(fails, msg)
		}
	}
	if len(fails) != 2 || fails[0] != "boom" {
		t.Fatalf("failures = %q, want two of boom", fails)
	}
	// The import failure is account B's only.
	if _, fail, _ := a.ImportFailure(ctx, acctA, "i1"); fail {
		t.Fatal("A's import failed under B's fault")
	}
	if msg, fail, _ := b.ImportFailure(ctx, acctB, "i2"); !fail || msg != "import boom" {
		t.Fatalf("B's import: %q %v", msg, fail)
	}
	if _, fail, _ := b.ImportFailure(ctx, acctB, "i3"); fail {
		t.Fatal("the count of one failed two imports")
	}
}

func TestHoldReleaseAndExpiry(t *testing.T) {
	ctx := context.Background()
	a, b, clk, set := setup(t)
	set(func(f *discovery.Faults) { f.HoldExports = &discovery.ExportHold{MaxHold: time.Minute} })
	for _, id := range []string{"e1", "e2"} {
		if _, fail, err := a.ExportStart(ctx, acctA, id); fail || err != nil {
			t.Fatalf("start %s: %v %v", id, fail, err)
		}
	}
	// e1 is released before its build starts anew (a restart): it is not
	// held again, and its entry goes as its build goes on.
	set(func(f *discovery.Faults) { f.Release("e1") })
	if _, _, err := a.ExportStart(ctx, acctA, "e1"); err != nil {
		t.Fatal(err)
	}
	if err := a.Hold(ctx, acctA, "e1"); err != nil {
		t.Fatal(err)
	}
	done := make(chan string, 2)
	for _, id := range []string{"e2", "e3"} {
		if id == "e3" {
			if _, _, err := a.ExportStart(ctx, acctA, id); err != nil {
				t.Fatal(err)
			}
		}
		go func() {
			if err := b.Hold(ctx, acctA, id); err != nil {
				t.Error(err)
			}
			done <- id
		}()
	}
	// Nothing ends the holds until e3 is released.
	hctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	if err := a.Hold(hctx, acctA, "e2"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("hold of a held export returned %v", err)
	}
	cancel()
	set(func(f *discovery.Faults) { f.Release("e3") })
	if got := <-done; got != "e3" {
		t.Fatalf("released %s, want e3", got)
	}
	// e2's hold passes on the virtual clock.
	clk.Advance(time.Minute)
	if got := <-done; got != "e2" {
		t.Fatalf("expired %s, want e2", got)
	}
	c, err := a.Store.Control(ctx)
	if err != nil || len(c.Faults.Held) != 0 {
		t.Fatalf("held entries left: %+v %v", c.Faults.Held, err)
	}
}

func TestOperationFaults(t *testing.T) {
	ctx := context.Background()
	a, b, clk, set := setup(t)
	coin := 0.7
	a.Float = func() float64 { return coin }
	set(func(f *discovery.Faults) {
		f.AddOperation(discovery.OperationFault{Operation: "DescribeAgents", Error: "ThrottlingException", Remaining: 2, Counted: true})
		f.AddOperation(discovery.OperationFault{Operation: "GetDiscoverySummary", Error: "ServerInternalErrorException", Probability: 0.5, Account: acctA})
		f.AddOperation(discovery.OperationFault{Operation: "DescribeTags", Latency: time.Second, Expires: clk.Now().Add(time.Minute)})
	})
	// The count of two is shared: a and b take one each.
	for i, in := range []*faults.Injector{a, b, a} {
		call, err := in.Operation(ctx, "DescribeAgents", acctA)
		if err != nil {
			t.Fatal(err)
		}
		if want := i < 2; (call.Error == "ThrottlingException") != want {
			t.Fatalf("call %d: %+v", i, call)
		}
	}
	// A probability: the draw decides; another account is never hit.
	if call, _ := a.Operation(ctx, "GetDiscoverySummary", acctA); call.Error != "" {
		t.Fatalf("draw 0.7 over probability 0.5 failed the call: %+v", call)
	}
	coin = 0.2
	if call, _ := a.Operation(ctx, "GetDiscoverySummary", acctA); call.Error != "ServerInternalErrorException" {
		t.Fatalf("draw 0.2 under probability 0.5: %+v", call)
	}
	if call, _ := a.Operation(ctx, "GetDiscoverySummary", acctB); call.Error != "" {
		t.Fatalf("another account: %+v", call)
	}
	// Latency until the fault expires on the virtual clock.
	if call, _ := a.Operation(ctx, "DescribeTags", acctB); call.Delay != time.Second {
		t.Fatalf("latency: %+v", call)
	}
	clk.Advance(time.Minute)
	if call, _ := a.Operation(ctx, "DescribeTags", acctB); call != (faults.Call{}) {
		t.Fatalf("expired fault still applies: %+v", call)
	}
}
