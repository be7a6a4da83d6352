package storetest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/continuous"
	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/queue"
)

// Continuous exports: StartContinuousExport (one running per account, also
// under concurrent starts), StopContinuousExport, the states their jobs
// record (TransitionContinuousExport), ContinuousExports,
// RunningContinuousExport, FailContinuousExport and the buckets' objects
// (continuous.ObjectStore).
var continuousTests = []test{
	tc("TransitionsUnderTheLease", testContinuousTransitions),
	tc("StartStopAndRunning", testContinuousStartStop),
	tc("ConcurrentStartsLeaveOneRunning", testContinuousConcurrent),
	tc("ListNewestFirstInKeysetPages", testContinuousPages),
	tc("ContinuousExportsArePerAccount", testContinuousPerAccount),
	tc("FailuresPutOnPurpose", testContinuousFailures),
	tc("BucketObjects", testContinuousObjects),
}

// continuousStore is the continuous exports' store.
type continuousStore interface {
	Accounts
	continuous.Store
	continuous.ObjectStore
}

// continuousJobStore is that store with the job queue that runs its
// transitions.
type continuousJobStore interface {
	continuousStore
	queue.Store
}

func cx(account, id string, start time.Time) *discovery.ContinuousExport {
	return &discovery.ContinuousExport{AccountID: account, ID: id, S3Bucket: "bucket-" + account, Start: start}
}

func sameContinuous(t *testing.T, got, want *discovery.ContinuousExport) {
	t.Helper()
	if got == nil || got.ID != want.ID || got.AccountID != want.AccountID || got.S3Bucket != want.S3Bucket ||
		!got.Start.Equal(want.Start) || !got.Stop.Equal(want.Stop) {
		t.Fatalf("continuous export = %+v, want %+v", got, want)
	}
}

func cxIDs(es []*discovery.ContinuousExport) []string {
	return keys(es, func(e *discovery.ContinuousExport) string { return e.ID })
}

func testContinuousStartStop(t *testing.T, s continuousStore) {
	c := ctx(t)
	if e := ok(s.RunningContinuousExport(c, acctA))(t); e != nil {
		t.Fatalf("running in a new store: %+v", e)
	}
	e1 := cx(acctA, "cx-1", t0.Add(1500*time.Millisecond))
	if running := ok(s.StartContinuousExport(c, e1))(t); running != nil {
		t.Fatalf("start = %+v, want nil", running)
	}
	sameContinuous(t, ok(s.RunningContinuousExport(c, acctA))(t), e1)
	e2 := cx(acctA, "cx-2", t0.Add(time.Hour))
	sameContinuous(t, ok(s.StartContinuousExport(c, e2))(t), e1)
	sameLines(t, "exports while one runs", cxIDs(ok(s.ContinuousExports(c, discovery.ContinuousExportQuery{AccountID: acctA}))(t)), []string{"cx-1"})

	stop := t0.Add(2 * time.Hour)
	stopped := ok(s.StopContinuousExport(c, acctA, "cx-1", stop))(t)
	want := *e1
	want.Stop = stop
	sameContinuous(t, stopped, &want)
	if e := ok(s.RunningContinuousExport(c, acctA))(t); e != nil {
		t.Fatalf("running after stop: %+v", e)
	}
	if _, err := s.StopContinuousExport(c, acctA, "cx-1", stop.Add(time.Hour)); !errors.Is(err, discovery.ErrContinuousExportStopped) {
		t.Fatalf("second stop = %v, want ErrContinuousExportStopped", err)
	}
	_, err := s.StopContinuousExport(c, acctA, "cx-unknown", stop)
	wantNotFound(t, err, "stop of an unknown export")
	listed := ok(s.ContinuousExports(c, discovery.ContinuousExportQuery{AccountID: acctA}))(t)
	if len(listed) != 1 {
		t.Fatalf("listed %d", len(listed))
	}
	sameContinuous(t, listed[0], &want)
	// Another may start now.
	if running := ok(s.StartContinuousExport(c, e2))(t); running != nil {
		t.Fatalf("start after stop = %+v", running)
	}
	sameContinuous(t, ok(s.RunningContinuousExport(c, acctA))(t), e2)
	sameLines(t, "exports", cxIDs(ok(s.ContinuousExports(c, discovery.ContinuousExportQuery{AccountID: acctA}))(t)), []string{"cx-2", "cx-1"})
}

func testContinuousConcurrent(t *testing.T, s continuousStore) {
	var winners []string
	seen := map[string]int{}
	running := together(t, 8, func(i int) (*discovery.ContinuousExport, error) {
		return s.StartContinuousExport(ctx(t), cx(acctA, fmt.Sprintf("cx-%d", i), t0.Add(time.Duration(i)*time.Second)))
	})
	for i, r := range running {
		if r == nil {
			winners = append(winners, fmt.Sprintf("cx-%d", i))
		} else {
			seen[r.ID]++
		}
	}
	if len(winners) != 1 {
		t.Fatalf("%d starts won: %v", len(winners), winners)
	}
	if len(seen) != 1 || seen[winners[0]] != 7 {
		t.Fatalf("the others saw %v, want %s seven times", seen, winners[0])
	}
	sameLines(t, "exports", cxIDs(ok(s.ContinuousExports(ctx(t), discovery.ContinuousExportQuery{AccountID: acctA}))(t)), winners)
	if e := ok(s.RunningContinuousExport(ctx(t), acctA))(t); e == nil || e.ID != winners[0] {
		t.Fatalf("running = %+v, want %s", e, winners[0])
	}
}

// someContinuous starts and stops n exports of account, two per start
// time, in random order of ID; the last one keeps running.
func someContinuous(t *testing.T, s continuous.Store, account, prefix string, n int) []*discovery.ContinuousExport {
	t.Helper()
	var out []*discovery.ContinuousExport
	for i := range n {
		e := cx(account, fmt.Sprintf("%s-%02d", prefix, (i*7)%n), t0.Add(time.Duration(i/2)*time.Minute))
		if running := ok(s.StartContinuousExport(ctx(t), e))(t); running != nil {
			t.Fatalf("start %s: %s runs", e.ID, running.ID)
		}
		if i < n-1 {
			ok(s.StopContinuousExport(ctx(t), account, e.ID, e.Start.Add(time.Second)))(t)
		}
		out = append(out, e)
	}
	return out
}

// newestStartFirst orders exports as ContinuousExports lists them.
func newestStartFirst(es []*discovery.ContinuousExport) []string {
	es = slices.Clone(es)
	slices.SortFunc(es, func(a, b *discovery.ContinuousExport) int {
		if c := b.Start.Compare(a.Start); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	return cxIDs(es)
}

func continuousPages(t *testing.T, s continuous.Store, q discovery.ContinuousExportQuery, limit int) []string {
	t.Helper()
	q.Limit = limit
	return cxIDs(flat(pages(t, limit, func(after *discovery.ContinuousExportCursor) ([]*discovery.ContinuousExport, error) {
		q.After = after
		return s.ContinuousExports(ctx(t), q)
	}, func(e *discovery.ContinuousExport) discovery.ContinuousExportCursor {
		return discovery.ContinuousExportCursor{StartMs: e.Start.UnixMilli(), ID: e.ID}
	})))
}

func testContinuousPages(t *testing.T, s continuousStore) {
	c := ctx(t)
	a := someContinuous(t, s, acctA, "cx-a", 13)
	someContinuous(t, s, acctB, "cx-b", 3)
	want := newestStartFirst(a)
	sameLines(t, "all (no limit)", cxIDs(ok(s.ContinuousExports(c, discovery.ContinuousExportQuery{AccountID: acctA}))(t)), want)
	for _, limit := range []int{1, 5, 13} {
		sameLines(t, fmt.Sprintf("pages of %d", limit), continuousPages(t, s, discovery.ContinuousExportQuery{AccountID: acctA}, limit), want)
	}
	ids := []string{a[2].ID, a[5].ID, a[6].ID, "cx-unknown", "cx-b-00", a[12].ID}
	var wantIDs []string
	for _, id := range want {
		if slices.Contains(ids, id) {
			wantIDs = append(wantIDs, id)
		}
	}
	sameLines(t, "IDs", cxIDs(ok(s.ContinuousExports(c, discovery.ContinuousExportQuery{AccountID: acctA, IDs: ids}))(t)), wantIDs)
	sameLines(t, "IDs in pages", continuousPages(t, s, discovery.ContinuousExportQuery{AccountID: acctA, IDs: ids}, 2), wantIDs)
	sameLines(t, "an empty list of IDs", cxIDs(ok(s.ContinuousExports(c, discovery.ContinuousExportQuery{AccountID: acctA, IDs: []string{}}))(t)), nil)

	// Stable under inserts: a page, then a new export, then the rest.
	first := ok(s.ContinuousExports(c, discovery.ContinuousExportQuery{AccountID: acctA, Limit: 4}))(t)
	last := first[3]
	ok(s.StopContinuousExport(c, acctA, a[12].ID, t0.Add(time.Hour)))(t)
	newer, older := cx(acctA, "cx-a-newest", t0.Add(2*time.Hour)), cx(acctA, "cx-a-0", last.Start)
	for _, e := range []*discovery.ContinuousExport{newer, older} {
		if running := ok(s.StartContinuousExport(c, e))(t); running != nil {
			t.Fatalf("start %s: %s runs", e.ID, running.ID)
		}
		ok(s.StopContinuousExport(c, acctA, e.ID, t0.Add(3*time.Hour)))(t)
	}
	cur := viaToken(t, discovery.ContinuousExportCursor{StartMs: last.Start.UnixMilli(), ID: last.ID})
	rest := cxIDs(flat(pages(t, 3, func(after *discovery.ContinuousExportCursor) ([]*discovery.ContinuousExport, error) {
		if after == nil {
			after = &cur
		}
		return s.ContinuousExports(c, discovery.ContinuousExportQuery{AccountID: acctA, After: after, Limit: 3})
	}, func(e *discovery.ContinuousExport) discovery.ContinuousExportCursor {
		return discovery.ContinuousExportCursor{StartMs: e.Start.UnixMilli(), ID: e.ID}
	})))
	everything := newestStartFirst(append(a, newer, older))
	sameLines(t, "pages after the inserts", rest, everything[slices.Index(everything, last.ID)+1:])
}

func testContinuousPerAccount(t *testing.T, s continuousStore) {
	c := ctx(t)
	a, b := cx(acctA, "cx-a", t0), cx(acctB, "cx-b", t0.Add(time.Minute))
	if running := ok(s.StartContinuousExport(c, a))(t); running != nil {
		t.Fatal("A's start refused")
	}
	if running := ok(s.StartContinuousExport(c, b))(t); running != nil {
		t.Fatalf("B's start refused while A's runs: %+v", running)
	}
	sameContinuous(t, ok(s.RunningContinuousExport(c, acctB))(t), b)
	_, err := s.StopContinuousExport(c, acctB, "cx-a", t0.Add(time.Hour))
	wantNotFound(t, err, "B stopping A's export")
	sameContinuous(t, ok(s.RunningContinuousExport(c, acctA))(t), a)
	sameLines(t, "B's exports", cxIDs(ok(s.ContinuousExports(c, discovery.ContinuousExportQuery{AccountID: acctB}))(t)), []string{"cx-b"})
	sameLines(t, "B's exports by A's ID", cxIDs(ok(s.ContinuousExports(c, discovery.ContinuousExportQuery{AccountID: acctB, IDs: []string{"cx-a"}}))(t)), nil)
}

// cxOf returns the account's continuous export id.
func cxOf(t *testing.T, s continuous.Store, account, id string) *discovery.ContinuousExport {
	t.Helper()
	es := ok(s.ContinuousExports(ctx(t), discovery.ContinuousExportQuery{AccountID: account, IDs: []string{id}}))(t)
	if len(es) != 1 {
		t.Fatalf("%d continuous exports %s of %s", len(es), id, account)
	}
	return es[0]
}

// A start records START_IN_PROGRESS, a stop STOP_IN_PROGRESS; the job of
// each transition, under its lease, moves the export on from the states it
// names, in the export's account only, and leaves it in any other.
func testContinuousTransitions(t *testing.T, s continuousJobStore) {
	c := ctx(t)
	e := cx(acctA, "cx-1", t0)
	ok(s.StartContinuousExport(c, e))(t)
	ok(s.StartContinuousExport(c, cx(acctB, "cx-b", t0)))(t) // continuous export IDs are unique across accounts
	if got := cxOf(t, s, acctA, "cx-1"); got.State != discovery.ContinuousStartInProgress || got.StatusDetail != "" {
		t.Fatalf("started = %+v", got)
	}
	at := t0.Add(discovery.ContinuousTransitionTime)
	kinds := []discovery.JobKind{discovery.JobContinuousStart, discovery.JobContinuousStop}
	if j := ok(s.Claim(c, "w", kinds, at.Add(-time.Millisecond), at.Add(time.Minute)))(t); j != nil {
		t.Fatalf("a transition claimed before its time: %+v", j)
	}
	j := claimJob(t, s, "w", discovery.JobContinuousStart, acctA, "cx-1", at)
	from := []string{discovery.ContinuousStartInProgress}
	wantLeaseLost(t, s.TransitionContinuousExport(c, discovery.Lease{Job: j.ID, Owner: "other"}, acctA, "cx-1", from, discovery.ContinuousActive),
		"a transition under another owner's lease")
	if got := cxOf(t, s, acctA, "cx-1"); got.State != discovery.ContinuousStartInProgress {
		t.Fatalf("after a refused transition = %+v", got)
	}
	// From a state it is not in: left as it is.
	must(t, s.TransitionContinuousExport(c, j.Lease(), acctA, "cx-1", []string{discovery.ContinuousStopInProgress}, discovery.ContinuousInactive))
	if got := cxOf(t, s, acctA, "cx-1"); got.State != discovery.ContinuousStartInProgress {
		t.Fatalf("after a transition from another state = %+v", got)
	}
	must(t, s.TransitionContinuousExport(c, j.Lease(), acctA, "cx-b", from, discovery.ContinuousActive)) // B's export, named in A: no change
	must(t, s.TransitionContinuousExport(c, j.Lease(), acctA, "cx-1", from, discovery.ContinuousActive))
	if got := cxOf(t, s, acctA, "cx-1"); got.State != discovery.ContinuousActive {
		t.Fatalf("after the start's transition = %+v", got)
	}
	if got := cxOf(t, s, acctB, "cx-b"); got.State != discovery.ContinuousStartInProgress {
		t.Fatalf("B's export after A's transition = %+v", got)
	}
	must(t, s.Complete(c, j.Lease()))
	stop := t0.Add(time.Hour)
	if got := ok(s.StopContinuousExport(c, acctA, "cx-1", stop))(t); got.State != discovery.ContinuousStopInProgress || !got.Stop.Equal(stop) {
		t.Fatalf("stopped = %+v", got)
	}
	j = claimJob(t, s, "w", discovery.JobContinuousStop, acctA, "cx-1", stop.Add(discovery.ContinuousTransitionTime))
	must(t, s.TransitionContinuousExport(c, j.Lease(), acctA, "cx-1", []string{discovery.ContinuousStopInProgress}, discovery.ContinuousInactive))
	if got := cxOf(t, s, acctA, "cx-1"); got.State != discovery.ContinuousInactive || !got.Stop.Equal(stop) {
		t.Fatalf("after the stop's transition = %+v", got)
	}
	if r := ok(s.RunningContinuousExport(c, acctA))(t); r != nil {
		t.Fatalf("running after the stop = %+v", r)
	}
}

// FailContinuousExport puts a failure state only on an export as the failure
// expects it (recorded state, running or not), sets the stop time it gives,
// and a STOP_FAILED export may be stopped again.
func testContinuousFailures(t *testing.T, s continuousStore) {
	c := ctx(t)
	get := func(id string) *discovery.ContinuousExport {
		t.Helper()
		es := ok(s.ContinuousExports(c, discovery.ContinuousExportQuery{AccountID: acctA, IDs: []string{id}}))(t)
		if len(es) != 1 {
			t.Fatalf("%s: %d exports", id, len(es))
		}
		return es[0]
	}
	_, err := s.FailContinuousExport(c, acctA, "cx-none", discovery.ContinuousFailure{From: []string{discovery.ContinuousActive}, Running: true, State: discovery.ContinuousError})
	wantNotFound(t, err, "failure of an unknown export")

	// START_FAILED: a running START_IN_PROGRESS export, which stops running.
	ok(s.StartContinuousExport(c, cx(acctA, "cx-1", t0)))(t)
	startFailed := discovery.ContinuousFailure{From: []string{discovery.ContinuousStartInProgress}, Running: true,
		State: discovery.ContinuousStartFailed, Detail: "ACCESS_DENIED", Stop: t0.Add(time.Second)}
	_, err = s.FailContinuousExport(c, acctB, "cx-1", startFailed)
	wantNotFound(t, err, "another account's failure")
	if done := ok(s.FailContinuousExport(c, acctA, "cx-1", discovery.ContinuousFailure{From: []string{discovery.ContinuousStopInProgress},
		State: discovery.ContinuousStopFailed, Detail: "INTERNAL_FAILURE"}))(t); done {
		t.Fatal("STOP_FAILED applied to a running export")
	}
	if done := ok(s.FailContinuousExport(c, acctA, "cx-1", startFailed))(t); !done {
		t.Fatal("START_FAILED not applied")
	}
	if e := get("cx-1"); e.State != discovery.ContinuousStartFailed || e.StatusDetail != "ACCESS_DENIED" || !e.Stop.Equal(t0.Add(time.Second)) {
		t.Fatalf("after START_FAILED: %+v", e)
	}
	if e := ok(s.RunningContinuousExport(c, acctA))(t); e != nil {
		t.Fatalf("running after START_FAILED: %+v", e)
	}

	// ERROR keeps the export running; STOP_FAILED is stopped again.
	ok(s.StartContinuousExport(c, cx(acctA, "cx-2", t0.Add(time.Minute))))(t)
	if done := ok(s.FailContinuousExport(c, acctA, "cx-2", discovery.ContinuousFailure{From: []string{discovery.ContinuousStartInProgress, discovery.ContinuousActive},
		Running: true, State: discovery.ContinuousError, Detail: "FIREHOSE_ROLE_MISSING"}))(t); !done {
		t.Fatal("ERROR not applied")
	}
	if e := ok(s.RunningContinuousExport(c, acctA))(t); e == nil || e.ID != "cx-2" || e.State != discovery.ContinuousError {
		t.Fatalf("running in ERROR: %+v", e)
	}
	stop := t0.Add(2 * time.Minute)
	if e := ok(s.StopContinuousExport(c, acctA, "cx-2", stop))(t); e.State != discovery.ContinuousStopInProgress || e.StatusDetail != "" {
		t.Fatalf("stop from ERROR: %+v", e)
	}
	if done := ok(s.FailContinuousExport(c, acctA, "cx-2", discovery.ContinuousFailure{From: []string{discovery.ContinuousStopInProgress},
		State: discovery.ContinuousStopFailed, Detail: "INTERNAL_FAILURE"}))(t); !done {
		t.Fatal("STOP_FAILED not applied")
	}
	if e := get("cx-2"); e.State != discovery.ContinuousStopFailed || e.StatusDetail != "INTERNAL_FAILURE" || !e.Stop.Equal(stop) {
		t.Fatalf("after STOP_FAILED: %+v", e)
	}
	again := stop.Add(time.Minute)
	if e := ok(s.StopContinuousExport(c, acctA, "cx-2", again))(t); e.State != discovery.ContinuousStopInProgress || !e.Stop.Equal(again) {
		t.Fatalf("second stop of STOP_FAILED: %+v", e)
	}
	if e := get("cx-2"); e.State != discovery.ContinuousStopInProgress || e.StatusDetail != "" || !e.Stop.Equal(again) {
		t.Fatalf("after the second stop: %+v", e)
	}
	if _, err := s.StopContinuousExport(c, acctA, "cx-2", again.Add(time.Minute)); !errors.Is(err, discovery.ErrContinuousExportStopped) {
		t.Fatalf("third stop = %v, want ErrContinuousExportStopped", err)
	}
}

// Objects are written whole (a second write replaces the first), read back
// byte for byte, listed by prefix in key order, per bucket, and deleted by
// bucket or by bucket name prefix.
func testContinuousObjects(t *testing.T, s continuousStore) {
	c := ctx(t)
	put := func(bucket, key, data string, at time.Time) {
		t.Helper()
		if err := s.PutContinuousObject(c, bucket, key, []byte(data), at); err != nil {
			t.Fatal(err)
		}
	}
	put("b-1", "t/2026/x.parquet", "first", t0)
	put("b-1", "t/2026/x.parquet", "second", t0.Add(time.Second))
	put("b-1", "catalogue/duckdb.sql", "script", t0)
	put("b-1", "u/y", "\x00\xff binary", t0)
	put("b-2", "t/z", "other bucket", t0)
	put("c-1", "t/z", "other prefix", t0)
	if got := ok(s.ContinuousObject(c, "b-1", "t/2026/x.parquet"))(t); string(got) != "second" {
		t.Fatalf("object = %q", got)
	}
	if got := ok(s.ContinuousObject(c, "b-1", "u/y"))(t); string(got) != "\x00\xff binary" {
		t.Fatalf("binary object = %q", got)
	}
	_, err := s.ContinuousObject(c, "b-2", "catalogue/duckdb.sql")
	wantNotFound(t, err, "another bucket's key")
	all := ok(s.ListContinuousObjects(c, "b-1", ""))(t)
	sameLines(t, "b-1", keys(all, func(o discovery.StoredObject) string { return o.Key }), []string{"catalogue/duckdb.sql", "t/2026/x.parquet", "u/y"})
	if all[1].Size != int64(len("second")) || !all[1].Modified.Equal(t0.Add(time.Second)) {
		t.Fatalf("listed %+v", all[1])
	}
	sameLines(t, "b-1 under t/", keys(ok(s.ListContinuousObjects(c, "b-1", "t/"))(t), func(o discovery.StoredObject) string { return o.Key }), []string{"t/2026/x.parquet"})
	count := func(what, bucket string, want int) {
		t.Helper()
		if n := len(ok(s.ListContinuousObjects(c, bucket, ""))(t)); n != want {
			t.Fatalf("%s: %s has %d objects, want %d", what, bucket, n, want)
		}
	}
	count("a missing bucket", "b-9", 0)
	if err := s.DeleteContinuousObjects(c, "b-1", true); err != nil {
		t.Fatal(err)
	}
	count("b-1's delete", "b-1", 0)
	count("b-1's delete", "b-2", 1)
	if err := s.DeleteContinuousObjects(c, "b-", false); err != nil {
		t.Fatal(err)
	}
	count("the b- delete", "b-2", 0)
	count("the b- delete", "c-1", 1)
}
