package storetest

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// Batch delete tasks: InsertBatchDeleteTask, BatchDeleteTask,
// PendingBatchDeleteTasks and ExecuteBatchDeleteTask with its cascade.
var batchDeleteTests = []test{
	{"InsertAndGet", testBatchDeleteInsert},
	{"PendingOldestFirstOfEveryAccount", testBatchDeletePending},
	{"ExecuteDeletesServersAndWhatHangsOffThem", testBatchDeleteExecute},
	{"ExecuteIsPerAccount", testBatchDeletePerAccount},
}

func batchDelete(account, id string, start time.Time, ids ...string) *discovery.BatchDeleteTask {
	return &discovery.BatchDeleteTask{ID: id, AccountID: account, ConfigurationType: "SERVER", Status: discovery.BatchDeleteInitializing,
		Start: start, Requested: ids}
}

func testBatchDeleteInsert(t *testing.T, s Store) {
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

func pendingIDs(t *testing.T, s Store, limit int) []string {
	t.Helper()
	return keys(ok(s.PendingBatchDeleteTasks(ctx(t), limit))(t), func(b *discovery.BatchDeleteTask) string { return b.AccountID[:1] + "/" + b.ID })
}

func testBatchDeletePending(t *testing.T, s Store) {
	c := ctx(t)
	for i, tc := range []struct{ account, id string }{{acctA, "bd-3"}, {acctB, "bd-2"}, {acctA, "bd-1"}, {acctB, "bd-4"}} {
		must(t, s.InsertBatchDeleteTask(c, batchDelete(tc.account, tc.id, t0.Add(time.Duration(i)*time.Second), "d-server-x")))
	}
	sameLines(t, "pending", pendingIDs(t, s, 10), []string{"1/bd-3", "2/bd-2", "1/bd-1", "2/bd-4"})
	sameLines(t, "pending, two", pendingIDs(t, s, 2), []string{"1/bd-3", "2/bd-2"})
	must(t, s.ExecuteBatchDeleteTask(c, acctB, "bd-2", t0.Add(time.Minute).UnixMilli()))
	must(t, s.ExecuteBatchDeleteTask(c, acctA, "bd-3", t0.Add(time.Minute).UnixMilli()))
	sameLines(t, "pending after two ran", pendingIDs(t, s, 10), []string{"1/bd-1", "2/bd-4"})
	for _, p := range ok(s.PendingBatchDeleteTasks(c, 10))(t) {
		if !slices.Equal(p.Requested, []string{"d-server-x"}) || p.Status != discovery.BatchDeleteInitializing {
			t.Fatalf("pending task = %+v", p)
		}
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
	must(t, s.ExecuteBatchDeleteTask(c, acctA, "bd", end.UnixMilli()))

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
	sameLines(t, "pending", pendingIDs(t, s, 10), []string{"2/bd-1"})

	// A finished task runs no more.
	must(t, s.ExecuteBatchDeleteTask(c, acctA, "bd", end.Add(time.Hour).UnixMilli()))
	if again := ok(s.BatchDeleteTask(c, acctA, "bd"))(t); !again.End.Equal(end) || !slices.Equal(again.Deleted, got.Deleted) {
		t.Fatalf("task after a second run = %+v", again)
	}
	must(t, s.ExecuteBatchDeleteTask(c, acctA, "bd-unknown", end.UnixMilli()))
}

func testBatchDeletePerAccount(t *testing.T, s Store) {
	seedFleet(t, s, acctA)
	seedFleet(t, s, acctB)
	c := ctx(t)
	a1 := serverOf(acctA, 1)
	must(t, s.InsertBatchDeleteTask(c, batchDelete(acctA, "bd-a", t0, a1)))
	must(t, s.InsertBatchDeleteTask(c, batchDelete(acctB, "bd-b", t0.Add(time.Second), a1)))
	// B runs A's task: nothing happens.
	must(t, s.ExecuteBatchDeleteTask(c, acctB, "bd-a", t0.UnixMilli()))
	if got := ok(s.BatchDeleteTask(c, acctA, "bd-a"))(t); got.Status != discovery.BatchDeleteInitializing {
		t.Fatalf("A's task after B ran it: %+v", got)
	}
	// B's task names A's server: not found, and the server stays.
	must(t, s.ExecuteBatchDeleteTask(c, acctB, "bd-b", t0.UnixMilli()))
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
