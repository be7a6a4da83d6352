package continuous_test

import (
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/clock"
	"github.com/poseidon-ads/poseidon/internal/continuous"
	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/pagetoken"
	"github.com/poseidon-ads/poseidon/internal/queue"
	"github.com/poseidon-ads/poseidon/internal/storetest/teststore"
)

const acct = "111111111111"

type fixture struct {
	db     teststore.Store
	clock  *clock.Clock
	svc    *continuous.Service
	runner *queue.Runner
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db := teststore.Open(t)
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clk := clock.New(func() time.Time { return t0 })
	svc := continuous.New(continuous.Config{Store: db, Now: clk.Now, Tokens: pagetoken.New(make([]byte, 32))})
	r := &queue.Runner{Store: db, Now: clk.Now, Kinds: map[discovery.JobKind]queue.Kind{
		discovery.JobContinuousStart: {Handler: svc}, discovery.JobContinuousStop: {Handler: svc},
	}}
	return &fixture{db: db, clock: clk, svc: svc, runner: r}
}

// drain runs the due transition jobs and returns how many ran.
func (f *fixture) drain(t *testing.T) int {
	t.Helper()
	n := 0
	for {
		ran, err := f.runner.Step(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if !ran {
			return n
		}
		n++
	}
}

// stored returns the export as the store holds it, and its status now.
func (f *fixture) stored(t *testing.T, id string) (*discovery.ContinuousExport, string) {
	t.Helper()
	page, err := f.svc.Describe(t.Context(), acct, continuous.DescribeInput{IDs: []string{id}})
	if err != nil || len(page.Exports) != 1 {
		t.Fatalf("describe %s: %v %v", id, page, err)
	}
	e := page.Exports[0]
	return e, e.Status(f.clock.Now())
}

func (f *fixture) want(t *testing.T, id, state, status string) {
	t.Helper()
	if e, got := f.stored(t, id); e.State != state || got != status {
		t.Fatalf("%s: stored %q, status %q; want %q, %q", id, e.State, got, state, status)
	}
}

// Each transition is a job due ContinuousTransitionTime after the start or
// the stop; it records ACTIVE and INACTIVE. The status shows a transition
// as soon as its time has come, before its job has run.
func TestTransitionsAreJobs(t *testing.T) {
	f := newFixture(t)
	e, err := f.svc.Start(t.Context(), acct)
	if err != nil {
		t.Fatal(err)
	}
	f.want(t, e.ID, discovery.ContinuousStartInProgress, discovery.ContinuousStartInProgress)
	if n := f.drain(t); n != 0 {
		t.Fatalf("%d jobs ran before the transition time", n)
	}
	f.clock.Advance(discovery.ContinuousTransitionTime)
	f.want(t, e.ID, discovery.ContinuousStartInProgress, discovery.ContinuousActive)
	if n := f.drain(t); n != 1 {
		t.Fatalf("%d jobs ran at the transition time", n)
	}
	f.want(t, e.ID, discovery.ContinuousActive, discovery.ContinuousActive)

	f.clock.Advance(time.Minute)
	if _, err := f.svc.Stop(t.Context(), acct, e.ID); err != nil {
		t.Fatal(err)
	}
	f.want(t, e.ID, discovery.ContinuousStopInProgress, discovery.ContinuousStopInProgress)
	f.clock.Advance(discovery.ContinuousTransitionTime - time.Millisecond)
	if n := f.drain(t); n != 0 {
		t.Fatalf("%d jobs ran before the stop's transition time", n)
	}
	f.clock.Advance(time.Millisecond)
	if n := f.drain(t); n != 1 {
		t.Fatalf("%d jobs ran at the stop's transition time", n)
	}
	f.want(t, e.ID, discovery.ContinuousInactive, discovery.ContinuousInactive)
}

// An export stopped before it was ACTIVE never becomes ACTIVE: its start
// job finds it STOP_IN_PROGRESS and leaves it, its stop job ends it.
func TestStopBeforeActive(t *testing.T) {
	f := newFixture(t)
	e, err := f.svc.Start(t.Context(), acct)
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(5 * time.Second)
	if _, err := f.svc.Stop(t.Context(), acct, e.ID); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(5 * time.Second)
	if n := f.drain(t); n != 1 {
		t.Fatalf("%d jobs ran at the start's transition time", n)
	}
	f.want(t, e.ID, discovery.ContinuousStopInProgress, discovery.ContinuousStopInProgress)
	f.clock.Advance(5 * time.Second)
	if n := f.drain(t); n != 1 {
		t.Fatalf("%d jobs ran at the stop's transition time", n)
	}
	f.want(t, e.ID, discovery.ContinuousInactive, discovery.ContinuousInactive)
}

// A start whose job fails for good ends START_FAILED with the reason as its
// statusDetail, and no longer counts as running: the account may start
// another export.
func TestStartFailed(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	e, err := f.svc.Start(ctx, acct)
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(discovery.ContinuousTransitionTime)
	now := f.clock.Now()
	j, err := f.db.Claim(ctx, "o", []discovery.JobKind{discovery.JobContinuousStart}, now, now.Add(time.Minute))
	if err != nil || j == nil || j.Ref != e.ID {
		t.Fatalf("claim: %+v %v", j, err)
	}
	reason := f.svc.GiveUp(ctx, j, queue.ErrInterrupted)
	if err := f.db.Fail(ctx, j.Lease(), reason, now); err != nil {
		t.Fatal(err)
	}
	got, status := f.stored(t, e.ID)
	if status != discovery.ContinuousStartFailed || got.StatusDetail != reason || reason == "" || got.Stop.IsZero() {
		t.Fatalf("failed start: %+v (%s)", got, status)
	}
	if _, err := f.svc.Start(ctx, acct); err != nil {
		t.Fatalf("start after a failed start: %v", err)
	}
}
