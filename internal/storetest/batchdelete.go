package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/batchdelete"
	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/inventory"
	"github.com/poseidon-ads/poseidon/internal/queue"
)

// Batch delete tasks: InsertBatchDeleteTask, BatchDeleteTask,
// PendingBatchDeleteTasks, and BatchDeleteTx: each typed read, Delete
// (exactly what a discovery.Deletion lists, in its account), finishing a
// task, rollback, and the batchdelete use case's cascade over it
// (batchdelete.Execute), as the runner runs it.
// batchDeleteStore is the batch-delete tasks' store with the job queue
// that runs them.
type batchDeleteStore interface {
	Accounts
	batchdelete.Store
	queue.Store
	JobLookup
}

// batchRunner runs batch deletes as the runner does.
type batchRunner interface {
	batchdelete.Store
	queue.Store
}

var batchDeleteTests = []test{
	tc("InsertAndGet", testBatchDeleteInsert),
	tc("JobsOfEveryAccountInInsertionOrder", testBatchDeleteJobs),
	tc("TxNeedsTheLease", testBatchDeleteTxLease),
	tc("TxReadsTheirAccount", testBatchDeleteTxReads),
	tc("TxDeleteRemovesExactlyWhatIsListed", testBatchDeleteTxDelete),
	tc("TxFinishStoresTheOutcome", testBatchDeleteTxFinish),
	tc("TxRollsBackOnError", testBatchDeleteTxRollback),
	tc("ExecuteDeletesServersAndWhatHangsOffThem", testBatchDeleteExecute),
	tc("ExecuteIsPerAccount", testBatchDeletePerAccount),
}

// runBatchDelete runs the account's task as the batch-delete runner does:
// it claims the task's job at end, runs batchdelete.Execute in one
// BatchDeleteTx under the job's lease, and completes the job.
func runBatchDelete(t *testing.T, s batchRunner, account, id string, end time.Time) {
	t.Helper()
	j := claimJob(t, s, "runner", discovery.JobBatchDelete, account, id, end)
	runBatchDeleteUnder(t, s, j.Lease(), account, id, end)
	must(t, s.Complete(ctx(t), j.Lease()))
}

// runBatchDeleteUnder runs batchdelete.Execute of the account's task id in
// one BatchDeleteTx under the lease l.
func runBatchDeleteUnder(t *testing.T, s batchdelete.Store, l discovery.Lease, account, id string, end time.Time) {
	t.Helper()
	must(t, s.BatchDeleteTx(ctx(t), l, account, func(tx discovery.BatchDeleteTx) error {
		return batchdelete.Execute(ctx(t), tx, id, end)
	}))
}

// leases counts the jobs heldLease makes.
var leases atomic.Int64

// heldLease is the lease of a job of the suite's own kind that the test
// holds, for the typed transactions that need one.
func heldLease(t *testing.T, s queue.Store, account string) discovery.Lease {
	t.Helper()
	ref := fmt.Sprintf("lease-%d", leases.Add(1))
	must(t, s.Enqueue(ctx(t), &discovery.Job{Kind: leaseKind, Account: account, Ref: ref, RunAt: t0}))
	return claimJob(t, s, "holder", leaseKind, account, ref, t0).Lease()
}

// leaseKind is the kind of heldLease's jobs.
const leaseKind = discovery.JobKind("storetest")

// batchDeleteTx runs fn in a BatchDeleteTx of account under a lease the
// test holds, and fails the test on an error.
func batchDeleteTx(t *testing.T, s batchRunner, account string, fn func(c context.Context, tx discovery.BatchDeleteTx) error) {
	t.Helper()
	c := ctx(t)
	must(t, s.BatchDeleteTx(c, heldLease(t, s, account), account, func(tx discovery.BatchDeleteTx) error { return fn(c, tx) }))
}

func batchDelete(account, id string, start time.Time, ids ...string) *discovery.BatchDeleteTask {
	return &discovery.BatchDeleteTask{ID: id, AccountID: account, ConfigurationType: "SERVER", Status: discovery.BatchDeleteInitializing,
		Start: start, Requested: ids}
}

func testBatchDeleteInsert(t *testing.T, s batchDeleteStore) {
	c := ctx(t)
	start := t0.Add(1500 * time.Millisecond)
	must(t, s.InsertBatchDeleteTask(c, batchDelete(acctA, "bd-1", start, "d-server-b", "d-server-a")))
	got := ok(s.BatchDeleteTask(c, acctA, "bd-1"))(t)
	if got.ID != "bd-1" || got.AccountID != acctA || got.ConfigurationType != "SERVER" || got.Status != discovery.BatchDeleteInitializing ||
		!got.Start.Equal(start) || !got.End.IsZero() || !slices.Equal(got.Requested, []string{"d-server-b", "d-server-a"}) ||
		len(got.Deleted) != 0 || len(got.Failures) != 0 || len(got.Warnings) != 0 {
		t.Fatalf("task = %+v", got)
	}
	// The same task ID in another account is another task.
	must(t, s.InsertBatchDeleteTask(c, batchDelete(acctB, "bd-1", start, "d-server-c")))
	if got := ok(s.BatchDeleteTask(c, acctB, "bd-1"))(t); !slices.Equal(got.Requested, []string{"d-server-c"}) {
		t.Fatalf("B's task = %+v", got)
	}
	if got := ok(s.BatchDeleteTask(c, acctA, "bd-1"))(t); !slices.Equal(got.Requested, []string{"d-server-b", "d-server-a"}) {
		t.Fatalf("A's task after B's = %+v", got)
	}
	_, err := s.BatchDeleteTask(c, acctA, "bd-unknown")
	wantNotFound(t, err, "unknown task")
	must(t, s.InsertBatchDeleteTask(c, batchDelete(acctA, "bd-2", start)))
	_, err = s.BatchDeleteTask(c, "333333333333", "bd-2")
	wantNotFound(t, err, "another account's task")
}

// Each task is inserted with its job, due at once; the jobs of every
// account are claimed in the order the tasks were inserted; a task that ran
// has no job left.
func testBatchDeleteJobs(t *testing.T, s batchDeleteStore) {
	c := ctx(t)
	for i, tc := range []struct{ account, id string }{{acctA, "bd-3"}, {acctB, "bd-2"}, {acctA, "bd-1"}, {acctB, "bd-4"}} {
		must(t, s.InsertBatchDeleteTask(c, batchDelete(tc.account, tc.id, t0.Add(time.Duration(i)*time.Second), "d-server-x")))
		wantJob(t, s, discovery.JobBatchDelete, tc.account, tc.id, time.Time{})
	}
	var order []string
	var held []*discovery.Job
	for range 5 {
		got, j := claimNext(t, s, "peek", t0, discovery.JobBatchDelete)
		order = append(order, got)
		if j != nil {
			held = append(held, j)
		}
	}
	sameLines(t, "claim order", order, []string{"1/bd-3", "2/bd-2", "1/bd-1", "2/bd-4", "<none>"})
	for _, j := range held {
		must(t, s.Release(c, j.Lease(), j.RunAt))
	}
	runBatchDelete(t, s, acctB, "bd-2", t0.Add(time.Minute))
	runBatchDelete(t, s, acctA, "bd-3", t0.Add(time.Minute))
	wantNoJob(t, s, discovery.JobBatchDelete, acctB, "bd-2")
	wantNoJob(t, s, discovery.JobBatchDelete, acctA, "bd-3")
	for _, tc := range []struct{ account, id string }{{acctA, "bd-1"}, {acctB, "bd-4"}} {
		wantJob(t, s, discovery.JobBatchDelete, tc.account, tc.id, time.Time{})
		if p := ok(s.BatchDeleteTask(c, tc.account, tc.id))(t); !slices.Equal(p.Requested, []string{"d-server-x"}) || p.Status != discovery.BatchDeleteInitializing {
			t.Fatalf("waiting task = %+v", p)
		}
	}
	for _, tc := range []struct{ account, id string }{{acctB, "bd-2"}, {acctA, "bd-3"}} {
		if p := ok(s.BatchDeleteTask(c, tc.account, tc.id))(t); p.Status != discovery.BatchDeleteCompleted {
			t.Fatalf("task that ran = %+v", p)
		}
	}
}

// BatchDeleteTx runs only under a lease that its owner holds: under one
// taken over or ended, it returns ErrLeaseLost without running fn.
func testBatchDeleteTxLease(t *testing.T, s batchDeleteStore) {
	c := ctx(t)
	must(t, s.InsertBatchDeleteTask(c, batchDelete(acctA, "bd", t0, serverOf(acctA, 1))))
	first := claimJob(t, s, "w1", discovery.JobBatchDelete, acctA, "bd", t0)
	second := claimJob(t, s, "w2", discovery.JobBatchDelete, acctA, "bd", t0.Add(2*time.Hour)) // w1's lease passed
	ran := false
	run := func(tx discovery.BatchDeleteTx) error { ran = true; return batchdelete.Execute(c, tx, "bd", t0) }
	wantLeaseLost(t, s.BatchDeleteTx(c, first.Lease(), acctA, run), "a transaction under a lease taken over")
	if ran {
		t.Fatal("the function ran under a lease taken over")
	}
	if got := ok(s.BatchDeleteTask(c, acctA, "bd"))(t); got.Status != discovery.BatchDeleteInitializing {
		t.Fatalf("task after a refused run = %+v", got)
	}
	must(t, s.Complete(c, second.Lease()))
	wantLeaseLost(t, s.BatchDeleteTx(c, second.Lease(), acctA, run), "a transaction under a lease that ended")
	if ran {
		t.Fatal("the function ran under a lease that ended")
	}
}

func testBatchDeleteExecute(t *testing.T, s Store) {
	inventoryFleet(t, s, acctA)
	populate(t, s, acctB)
	c := ctx(t)
	s1, s2 := serverOf(acctA, 1), serverOf(acctA, 2)
	conns := list(t, s, discovery.ItemQuery{Account: acctA, Type: discovery.TypeConnection})
	var c12, cx3 string
	for _, it := range conns {
		switch it.Connection.DestinationPort {
		case 5432:
			c12 = it.Connection.ID
		case 22:
			cx3 = it.Connection.ID
		}
	}
	addTags(t, s, acctA, []string{processOf(acctA, 1), c12, cx3}, discovery.Tag{Key: "k", Value: "v"})
	ok(s.SetCollectionStatus(c, acctA, []string{agentID(2)}, discovery.CollectionStopped))(t)
	// crm holds s2 only, shop s1 and s2.
	viewB := view(t, s, acctB, populated{})
	unknown, proc, theirs := "d-server-00000000000000000", processOf(acctA, 1), serverOf(acctB, 3)
	must(t, s.InsertBatchDeleteTask(c, batchDelete(acctA, "bd", t0, s2, unknown, s1, proc, theirs)))
	end := t0.Add(time.Hour + 250*time.Millisecond)
	runBatchDelete(t, s, acctA, "bd", end)

	got := ok(s.BatchDeleteTask(c, acctA, "bd"))(t)
	wantFailures := []discovery.BatchDeleteFailure{discovery.BatchDeleteNotFound(unknown), discovery.BatchDeleteNotFound(proc), discovery.BatchDeleteNotFound(theirs)}
	wantWarnings := []discovery.BatchDeleteWarning{discovery.BatchDeleteStillCollecting(s1, agentID(1))}
	if got.Status != discovery.BatchDeleteCompleted || !got.End.Equal(end) || !slices.Equal(got.Deleted, []string{s2, s1}) ||
		!reflect.DeepEqual(got.Failures, wantFailures) || !reflect.DeepEqual(got.Warnings, wantWarnings) {
		t.Fatalf("task = %+v\nwant deleted %v, failures %+v, warnings %+v", got, []string{s2, s1}, wantFailures, wantWarnings)
	}
	// The servers, their processes, connections, interfaces, tags and
	// memberships are gone; so are their agents' time series.
	sameLines(t, "servers", itemIDs(list(t, s, discovery.ItemQuery{Account: acctA, Type: discovery.TypeServer})),
		slices.Sorted(slices.Values([]string{serverOf(acctA, 3), serverOf(acctA, 4)})))
	sameLines(t, "processes", itemIDs(list(t, s, discovery.ItemQuery{Account: acctA, Type: discovery.TypeProcess})), nil)
	sameLines(t, "connections", itemIDs(list(t, s, discovery.ItemQuery{Account: acctA, Type: discovery.TypeConnection})), []string{cx3})
	sameLines(t, "tags", tagLines(t, s, discovery.TagQuery{Account: acctA}), slices.Sorted(slices.Values([]string{cx3 + " k=v", appID(1) + " owner=me"})))
	nics := collectRows(t, func(fn func(*discovery.ServerNIC) error) error { return s.ExportServerNICs(c, acctA, fn) })
	for _, n := range nics {
		if n.ServerID == s1 || n.ServerID == s2 {
			t.Fatalf("interface of a deleted server: %+v", n)
		}
	}
	for i, want := range []int64{0, 0, 0} {
		if a := app(t, s, acctA, appID(i+1)); a.ServerCount != want {
			t.Fatalf("application %d has %d servers", i+1, a.ServerCount)
		}
	}
	for i, want := range []time.Time{end.Truncate(time.Millisecond), end.Truncate(time.Millisecond), t0} {
		if a := app(t, s, acctA, appID(i+1)); !a.Updated.Equal(want) {
			t.Fatalf("application %d modified %v, want %v", i+1, a.Updated, want)
		}
	}
	for n, want := range map[int]int{1: 0, 2: 0, 3: 2} {
		if got := perfCount(t, s, acctA, n); got != want {
			t.Fatalf("agent %d has %d samples, want %d", n, got, want)
		}
	}
	for n := 1; n <= 2; n++ {
		if a, err := s.GetAgent(c, acctA, agentID(n)); err != nil || a.ID != agentID(n) {
			t.Fatalf("agent %d after its server was deleted: %v", n, err)
		}
		if rows := collectRows(t, func(fn func(*discovery.OSInfo) error) error {
			return s.AgentOSInfo(c, acctA, agentID(n), time.Unix(0, 0), never, fn)
		}); len(rows) != 0 {
			t.Fatalf("agent %d keeps %d OS rows", n, len(rows))
		}
	}
	if sum := ok(s.Summary(c, acctA))(t); sum.Servers != 2 || sum.ServersInApplications != 0 || sum.ServersWithTags != 0 {
		t.Fatalf("summary = %+v", *sum)
	}
	sameLines(t, "B's view", view(t, s, acctB, populated{}), viewB)
	wantNoJob(t, s, discovery.JobBatchDelete, acctA, "bd")
	wantJob(t, s, discovery.JobBatchDelete, acctB, "bd-1", time.Time{})

	// A finished task runs no more, nor an unknown one.
	l := heldLease(t, s, acctA)
	runBatchDeleteUnder(t, s, l, acctA, "bd", end.Add(time.Hour))
	if again := ok(s.BatchDeleteTask(c, acctA, "bd"))(t); !again.End.Equal(end) || !slices.Equal(again.Deleted, got.Deleted) {
		t.Fatalf("task after a second run = %+v", again)
	}
	runBatchDeleteUnder(t, s, l, acctA, "bd-unknown", end)
}

func testBatchDeletePerAccount(t *testing.T, s Store) {
	seedFleet(t, s, acctA)
	seedFleet(t, s, acctB)
	c := ctx(t)
	a1 := serverOf(acctA, 1)
	must(t, s.InsertBatchDeleteTask(c, batchDelete(acctA, "bd-a", t0, a1)))
	must(t, s.InsertBatchDeleteTask(c, batchDelete(acctB, "bd-b", t0.Add(time.Second), a1)))
	// B runs A's task, under its job's lease: nothing happens.
	j := claimJob(t, s, "runner", discovery.JobBatchDelete, acctA, "bd-a", t0)
	runBatchDeleteUnder(t, s, j.Lease(), acctB, "bd-a", t0)
	if got := ok(s.BatchDeleteTask(c, acctA, "bd-a"))(t); got.Status != discovery.BatchDeleteInitializing {
		t.Fatalf("A's task after B ran it: %+v", got)
	}
	must(t, s.Release(c, j.Lease(), j.RunAt))
	// B's task names A's server: not found, and the server stays.
	runBatchDelete(t, s, acctB, "bd-b", t0)
	got := ok(s.BatchDeleteTask(c, acctB, "bd-b"))(t)
	if got.Status != discovery.BatchDeleteCompleted || len(got.Deleted) != 0 || !reflect.DeepEqual(got.Failures, []discovery.BatchDeleteFailure{discovery.BatchDeleteNotFound(a1)}) {
		t.Fatalf("B's task = %+v", got)
	}
	if n := len(ok(s.DescribeServers(c, acctA, []string{a1}))(t)); n != 1 {
		t.Fatal("A's server was deleted by B's task")
	}
	if n := len(list(t, s, discovery.ItemQuery{Account: acctB, Type: discovery.TypeServer})); n != fleetAgents {
		t.Fatalf("B has %d servers, want %d", n, fleetAgents)
	}
}

// connsByKey maps account's connections by connKey to their IDs.
func connsByKey(t *testing.T, s inventory.Store, account string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, it := range list(t, s, discovery.ItemQuery{Account: account, Type: discovery.TypeConnection}) {
		out[connKey(it.Connection)] = it.Connection.ID
	}
	return out
}

// The fleet's connections by key (connKey).
var (
	conn12     = agentIP(1) + ">" + agentIP(2) + ":5432"
	conn12b    = agentIP(1) + ">" + agentIP(2) + ":8080"
	conn1x     = agentIP(1) + ">10.9.9.9:53"
	conn23     = agentIP(2) + ">" + agentIP(3) + ":6379"
	connX3     = "10.8.8.8>" + agentIP(3) + ":22"
	fleetConns = []string{conn12, conn12b, conn1x, conn23, connX3}
)

func testBatchDeleteTxReads(t *testing.T, s Store) {
	c := ctx(t)
	inventoryFleet(t, s, acctA)
	seedFleet(t, s, acctB)
	ok(s.SetCollectionStatus(c, acctA, []string{agentID(2)}, discovery.CollectionStopped))(t)
	must(t, s.InsertBatchDeleteTask(c, batchDelete(acctA, "bd-a", t0, serverOf(acctA, 1))))
	must(t, s.InsertBatchDeleteTask(c, batchDelete(acctB, "bd-b", t0, serverOf(acctB, 1))))
	newImport(t, s, importTask(acctA, "imp-1", "", t0))
	imported := ok(importRow(t, s, acctA, "imp-1", &discovery.ImportRow{ExternalID: "ext-1", HostName: "imported"}, t0))(t).ServerID
	s1, s2, s3, s4 := serverOf(acctA, 1), serverOf(acctA, 2), serverOf(acctA, 3), serverOf(acctA, 4)
	p1, p2 := processOf(acctA, 1), processOf(acctA, 2)
	conns := connsByKey(t, s, acctA)
	batchDeleteTx(t, s, acctA, func(c context.Context, tx discovery.BatchDeleteTx) error {
		if got, err := tx.BatchDeleteTask(c, "bd-a"); err != nil || got.ID != "bd-a" || got.AccountID != acctA ||
			got.Status != discovery.BatchDeleteInitializing || !slices.Equal(got.Requested, []string{s1}) {
			t.Errorf("task = %+v, %v", got, err)
		}
		for _, id := range []string{"bd-b", "bd-unknown"} {
			_, err := tx.BatchDeleteTask(c, id)
			wantNotFound(t, err, "task "+id)
		}
		for id, want := range map[string]string{s1: agentID(1), s3: agentID(3), imported: ""} {
			if got, err := tx.ServerAgent(c, id); got != want || err != nil {
				t.Errorf("agent of %s = %q, %v; want %q", id, got, err, want)
			}
		}
		for _, id := range []string{serverOf(acctB, 1), discovery.ServerPrefix + "00000000000000000", p1} {
			_, err := tx.ServerAgent(c, id)
			wantNotFound(t, err, "agent of "+id)
		}
		for agent, want := range map[string]string{agentID(1): discovery.CollectionStarted, agentID(2): discovery.CollectionStopped} {
			if got, err := tx.AgentCollectionStatus(c, agent); got != want || err != nil {
				t.Errorf("collection status of %s = %q, %v; want %s", agent, got, err, want)
			}
		}
		_, err := tx.AgentCollectionStatus(c, agentID(99))
		wantNotFound(t, err, "collection status of an unknown agent")
		for id, want := range map[string][]string{s1: {p1}, s2: {p2}, s3: nil, serverOf(acctB, 1): nil} {
			if got, err := tx.ServerProcesses(c, id); !slices.Equal(got, want) || err != nil {
				t.Errorf("processes of %s = %v, %v; want %v", id, got, err, want)
			}
		}
		for id, want := range map[string][]string{s1: {appID(1)}, s2: {appID(1), appID(2)}, s3: nil, serverOf(acctB, 2): nil} {
			got, err := tx.ServerApplications(c, id)
			if slices.Sort(got); !slices.Equal(got, want) || err != nil {
				t.Errorf("applications of %s = %v, %v; want %v", id, got, err, want)
			}
		}
		for _, tc := range []struct {
			servers, processes []string
			want               []string
		}{
			{[]string{s3}, nil, []string{conn23, connX3}},                   // either end
			{nil, []string{p2}, []string{conn23}},                           // a source process
			{nil, []string{p1}, []string{conn12, conn12b}},                  //
			{[]string{s4, serverOf(acctB, 2)}, nil, nil},                    // B's server is not A's
			{[]string{s2}, []string{p1}, []string{conn12, conn12b, conn23}}, // servers or processes
			{nil, nil, nil},
			{longList(s3), longList(p2), []string{conn23, connX3}},
		} {
			got, err := tx.ConnectionsTouching(c, tc.servers, tc.processes)
			slices.Sort(got)
			want := slices.Sorted(slices.Values(keys(tc.want, func(k string) string { return conns[k] })))
			if !slices.Equal(got, want) || err != nil {
				t.Errorf("connections touching %.3v and %.3v = %v, %v; want %v", tc.servers, tc.processes, got, err, want)
			}
		}
		return nil
	})
	// B's agent of the same ID collects; B's task is B's.
	batchDeleteTx(t, s, acctB, func(c context.Context, tx discovery.BatchDeleteTx) error {
		if got, err := tx.AgentCollectionStatus(c, agentID(2)); got != discovery.CollectionStarted || err != nil {
			t.Errorf("B's agent 2 = %q, %v", got, err)
		}
		if got, err := tx.BatchDeleteTask(c, "bd-b"); err != nil || got.AccountID != acctB {
			t.Errorf("B's task = %+v, %v", got, err)
		}
		_, err := tx.ServerAgent(c, s1)
		wantNotFound(t, err, "A's server from B")
		return nil
	})
}

// Delete removes exactly what a Deletion lists, each list on its own, in
// the transaction's account: a deleted server's processes, connections
// and tags stay unless listed too, and another account with the same
// agent IDs loses only its own agents' series.
func testBatchDeleteTxDelete(t *testing.T, s Store) {
	c := ctx(t)
	inventoryFleet(t, s, acctA)
	populate(t, s, acctB)
	s1, s2, s3, s4 := serverOf(acctA, 1), serverOf(acctA, 2), serverOf(acctA, 3), serverOf(acctA, 4)
	p1, p2 := processOf(acctA, 1), processOf(acctA, 2)
	conns := connsByKey(t, s, acctA)
	addTags(t, s, acctA, []string{s4, conns[conn1x], conns[conn23], p1}, discovery.Tag{Key: "k", Value: "v"})
	d := &discovery.Deletion{
		Servers:       []string{s4},
		Processes:     []string{p2},
		Connections:   []string{conns[conn1x], conns[conn12b]},
		InterfacesOf:  []string{s1},
		MembershipsOf: []string{s2},
		TagsOf:        []string{s1, conns[conn1x], p1},
		SeriesOf:      []string{agentID(1)},
		Touch:         []string{appID(3)},
		TouchedMS:     t0.Add(time.Hour).UnixMilli(),
	}
	viewA := view(t, s, acctA, populated{})
	// In B, A's IDs name nothing but B's agent 1: its series go.
	batchDeleteTx(t, s, acctB, func(c context.Context, tx discovery.BatchDeleteTx) error { return tx.Delete(c, d) })
	sameLines(t, "A's view after B's deletion", view(t, s, acctA, populated{}), viewA)
	if n := perfCount(t, s, acctB, 1); n != 0 {
		t.Errorf("B's agent 1 keeps %d samples", n)
	}
	if n := perfCount(t, s, acctB, 2); n != 2 {
		t.Errorf("B's agent 2 has %d samples, want 2", n)
	}

	batchDeleteTx(t, s, acctA, func(c context.Context, tx discovery.BatchDeleteTx) error { return tx.Delete(c, d) })
	sameLines(t, "servers", itemIDs(list(t, s, discovery.ItemQuery{Account: acctA, Type: discovery.TypeServer})), slices.Sorted(slices.Values([]string{s1, s2, s3})))
	sameLines(t, "processes", itemIDs(list(t, s, discovery.ItemQuery{Account: acctA, Type: discovery.TypeProcess})), []string{p1})
	sameLines(t, "connections", itemIDs(list(t, s, discovery.ItemQuery{Account: acctA, Type: discovery.TypeConnection})),
		slices.Sorted(slices.Values([]string{conns[conn12], conns[conn23], conns[connX3]})))
	sameLines(t, "tags", tagLines(t, s, discovery.TagQuery{Account: acctA}), slices.Sorted(slices.Values([]string{
		s2 + " env=dev", s4 + " k=v", conns[conn23] + " k=v", appID(1) + " owner=me"})))
	nics := map[string]int{}
	for _, n := range collectRows(t, func(fn func(*discovery.ServerNIC) error) error { return s.ExportServerNICs(c, acctA, fn) }) {
		nics[n.ServerID]++
	}
	if nics[s1] != 0 || nics[s2] != 1 || nics[s3] != 1 {
		t.Errorf("interfaces by server: %v; want none of %s", nics, s1)
	}
	members := keys(collectRows(t, func(fn func(*discovery.ApplicationServer) error) error {
		return s.ExportApplicationServers(c, acctA, fn)
	}),
		func(m discovery.ApplicationServer) string { return m.ApplicationID + " " + m.ServerID })
	sameLines(t, "memberships", members, []string{appID(1) + " " + s1})
	for i, want := range []time.Time{t0, t0, t0.Add(time.Hour)} {
		if a := app(t, s, acctA, appID(i+1)); !a.Updated.Equal(want) {
			t.Errorf("application %d modified %v, want %v", i+1, a.Updated, want)
		}
	}
	for n, want := range map[int]int{1: 0, 2: 2, 3: 2} {
		if got := perfCount(t, s, acctA, n); got != want {
			t.Errorf("agent %d has %d samples, want %d", n, got, want)
		}
	}
	a1 := agentID(1)
	for name, n := range map[string]int{
		"os": len(collectRows(t, func(fn func(*discovery.OSInfo) error) error {
			return s.AgentOSInfo(c, acctA, a1, time.Unix(0, 0), never, fn)
		})),
		"processes": len(collectRows(t, func(fn func(*discovery.ProcessSample) error) error {
			return s.AgentProcesses(c, acctA, a1, time.Unix(0, 0), never, fn)
		})),
		"connections": len(collectRows(t, func(fn func(*discovery.ConnectionSample) error) error {
			return s.AgentConnections(c, acctA, a1, discovery.Outbound, time.Unix(0, 0), never, fn)
		})),
	} {
		if n != 0 {
			t.Errorf("agent 1 keeps %d %s rows", n, name)
		}
	}
	if a, err := s.GetAgent(c, acctA, a1); err != nil || a.ID != a1 {
		t.Errorf("agent 1 after its series went: %+v, %v", a, err)
	}
	// An empty deletion deletes nothing.
	before := view(t, s, acctA, populated{})
	batchDeleteTx(t, s, acctA, func(c context.Context, tx discovery.BatchDeleteTx) error { return tx.Delete(c, &discovery.Deletion{}) })
	sameLines(t, "A's view after an empty deletion", view(t, s, acctA, populated{}), before)
}

// FinishBatchDeleteTask stores a task's outcome as given, in its account.
func testBatchDeleteTxFinish(t *testing.T, s batchDeleteStore) {
	c := ctx(t)
	start := t0.Add(1500 * time.Millisecond)
	s1, s2 := serverOf(acctA, 1), serverOf(acctA, 2)
	must(t, s.InsertBatchDeleteTask(c, batchDelete(acctA, "bd-1", start, s1, s2)))
	must(t, s.InsertBatchDeleteTask(c, batchDelete(acctA, "bd-2", start, s1)))
	must(t, s.InsertBatchDeleteTask(c, batchDelete(acctB, "bd-1", start, s1)))
	done := &discovery.BatchDeleteTask{ID: "bd-1", AccountID: acctA, ConfigurationType: "SERVER", Status: discovery.BatchDeleteCompleted,
		Start: start, End: t0.Add(time.Minute + 250*time.Millisecond), Requested: []string{s1, s2}, Deleted: []string{s1},
		Failures: []discovery.BatchDeleteFailure{discovery.BatchDeleteNotFound(s2)},
		Warnings: []discovery.BatchDeleteWarning{discovery.BatchDeleteStillCollecting(s1, agentID(1))}}
	batchDeleteTx(t, s, acctA, func(c context.Context, tx discovery.BatchDeleteTx) error {
		must(t, tx.FinishBatchDeleteTask(c, done))
		return tx.FinishBatchDeleteTask(c, &discovery.BatchDeleteTask{ID: "bd-2", AccountID: acctA, Status: discovery.BatchDeleteFailed,
			End: t0.Add(time.Hour), Deleted: []string{}})
	})
	if got := ok(s.BatchDeleteTask(c, acctA, "bd-1"))(t); !reflect.DeepEqual(got, done) {
		t.Errorf("finished task = %+v\nwant %+v", got, done)
	}
	got := ok(s.BatchDeleteTask(c, acctA, "bd-2"))(t)
	if got.Status != discovery.BatchDeleteFailed || !got.End.Equal(t0.Add(time.Hour)) || !slices.Equal(got.Requested, []string{s1}) ||
		len(got.Deleted) != 0 || len(got.Failures) != 0 || len(got.Warnings) != 0 {
		t.Errorf("task finished with nothing done = %+v", got)
	}
	if got := ok(s.BatchDeleteTask(c, acctB, "bd-1"))(t); got.Status != discovery.BatchDeleteInitializing || !got.End.IsZero() {
		t.Errorf("B's task after A finished its own = %+v", got)
	}
	// B finishing A's task changes nothing.
	batchDeleteTx(t, s, acctB, func(c context.Context, tx discovery.BatchDeleteTx) error {
		return tx.FinishBatchDeleteTask(c, &discovery.BatchDeleteTask{ID: "bd-2", AccountID: acctA, Status: discovery.BatchDeleteCompleted, End: t0})
	})
	if again := ok(s.BatchDeleteTask(c, acctA, "bd-2"))(t); again.Status != discovery.BatchDeleteFailed {
		t.Errorf("A's task after B's finish = %+v", again)
	}
}

// An error from the function undoes what its BatchDeleteTx wrote, and is
// returned.
func testBatchDeleteTxRollback(t *testing.T, s Store) {
	c := ctx(t)
	seedFleet(t, s, acctA)
	must(t, s.InsertBatchDeleteTask(c, batchDelete(acctA, "bd", t0, serverOf(acctA, 1))))
	before := view(t, s, acctA, populated{})
	boom := errors.New("boom")
	err := s.BatchDeleteTx(c, heldLease(t, s, acctA), acctA, func(tx discovery.BatchDeleteTx) error {
		must(t, tx.Delete(c, &discovery.Deletion{Servers: []string{serverOf(acctA, 1), serverOf(acctA, 2)}, Processes: []string{processOf(acctA, 1)},
			InterfacesOf: []string{serverOf(acctA, 1)}, SeriesOf: []string{agentID(1)}}))
		must(t, tx.FinishBatchDeleteTask(c, &discovery.BatchDeleteTask{ID: "bd", AccountID: acctA, Status: discovery.BatchDeleteCompleted, End: t0}))
		return fmt.Errorf("batch delete: %w", boom)
	})
	if !errors.Is(err, boom) {
		t.Fatalf("BatchDeleteTx = %v, want the function's error", err)
	}
	sameLines(t, "A's view after a rollback", view(t, s, acctA, populated{}), before)
	if got := ok(s.BatchDeleteTask(c, acctA, "bd"))(t); got.Status != discovery.BatchDeleteInitializing {
		t.Errorf("task after a rollback = %+v", got)
	}
}
