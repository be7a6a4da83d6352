package storetest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/agentdata"
	"github.com/poseidon-ads/poseidon/internal/agents"
	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/worker"
)

// Agents: intake (the store's IntakeTx, intaketx.go, and the rules of
// the agents service over it), FindAgents, GetAgent, SetCollectionStatus
// and DeleteAgents.
var agentTests = []test{
	tc("IntakeTxReadsTheAccount", testIntakeTxReads),
	tc("ApplyMergesServersProcessesAndConnections", testIntakeApplyMerges),
	tc("ApplyWritesEveryRow", testIntakeApplyEveryRow),
	tc("ApplyReplacesInterfacesAndClaimsEndpoints", testIntakeApplyNICsAndClaims),
	tc("ApplyRecordsReportsAgentsAndObservations", testIntakeApplyReportsAgentsObservations),
	tc("IntakeRollsBackOnError", testIntakeRollsBack),
	tc("IntakeRegistersTheAgentAndItsServer", testIntakeRegisters),
	tc("IntakeSkipsReportsTakenInBefore", testIntakeDuplicates),
	tc("IntakeDropsTheDataOfStoppedAgents", testIntakeStopped),
	tc("IntakeDropsASecondReportOfAMoment", testIntakeSameMoment),
	tc("IntakeKeepsTheNewestDescription", testIntakeNewest),
	tc("ReportIDsAndAgentsArePerAccount", testIntakePerAccount),
	tc("FindAgentsInKeysetPages", testAgentPages),
	tc("FindAgentsPagesStableUnderInserts", testAgentPagesUnderInserts),
	tc("FindAgentsByIDs", testAgentsByIDs),
	tc("SetCollectionStatus", testSetCollectionStatus),
	tc("DeleteAgentsKeepsTheirData", testDeleteAgents),
}

// perfCount counts the performance samples of account's agent n.
func perfCount(t *testing.T, s worker.RowSource, account string, n int) int {
	t.Helper()
	return len(collectRows(t, func(fn func(*discovery.PerfSample) error) error {
		return s.AgentPerfSamples(ctx(t), account, agentID(n), time.Unix(0, 0), never, fn)
	}))
}

// wantIntake fails the test unless res took in accepted (in this order),
// duplicates and dropped reports (in this order).
func wantIntake(t *testing.T, res *discovery.IntakeResult, accepted []string, duplicates int, dropped []string) {
	t.Helper()
	droppedIDs := keys(res.DroppedReports, func(d discovery.DroppedReport) string { return d.ReportID })
	if res.Accepted != len(accepted) || !slices.Equal(res.AcceptedIDs, accepted) || res.Duplicates != duplicates ||
		res.Dropped != len(dropped) || !slices.Equal(droppedIDs, dropped) {
		t.Fatalf("intake = %+v; want accepted %v, %d duplicates, dropped %v", res, accepted, duplicates, dropped)
	}
	for _, d := range res.DroppedReports {
		if d.Reason == "" {
			t.Fatalf("report %s dropped without a reason", d.ReportID)
		}
	}
}

func testIntakeRegisters(t *testing.T, s Store) {
	c := ctx(t)
	r := report(1, 0)
	r.NetworkInterfaces = append(r.NetworkInterfaces, agentdata.NetworkInterface{Name: "eth1", IPAddress: "fe80::1", MACAddress: "02:00:00:00:01:01"})
	wantIntake(t, intake(t, s, acctA, r), []string{"r-1-0"}, 0, nil)
	a := ok(s.GetAgent(c, acctA, agentID(1)))(t)
	want := discovery.Agent{AccountID: acctA, ID: agentID(1), Type: "EC2", HostName: hostName(1), Version: "2.0.1", Health: "HEALTHY",
		CollectionStatus: discovery.CollectionStarted, ServerID: serverOf(acctA, 1),
		Network: []discovery.AgentNetworkInfo{{IPAddress: agentIP(1), MACAddress: agentMAC(1)}, {IPAddress: "fe80::1", MACAddress: "02:00:00:00:01:01"}}}
	if a.AccountID != want.AccountID || a.ID != want.ID || a.Type != want.Type || a.ConnectorID != "" || a.HostName != want.HostName ||
		a.Version != want.Version || a.Health != want.Health || a.CollectionStatus != want.CollectionStatus || a.ServerID != want.ServerID ||
		!slices.Equal(a.Network, want.Network) {
		t.Fatalf("agent = %+v\nwant %+v", a, want)
	}
	for name, got := range map[string]time.Time{"Registered": a.Registered, "LastHealthPing": a.LastHealthPing, "FirstData": a.FirstData, "LastData": a.LastData} {
		if !got.Equal(at(0)) {
			t.Errorf("%s = %v, want %v", name, got, at(0))
		}
	}
	found := ok(s.FindAgents(c, discovery.AgentQuery{AccountID: acctA, Limit: 10}))(t)
	if len(found) != 1 || found[0].ID != a.ID || !slices.Equal(found[0].Network, a.Network) || !found[0].LastData.Equal(a.LastData) {
		t.Fatalf("FindAgents = %+v", found)
	}
	servers := ok(s.ListItems(c, discovery.ItemQuery{Account: acctA, Type: discovery.TypeServer}))(t)
	if len(servers) != 1 || servers[0].Server.ID != serverOf(acctA, 1) || servers[0].Server.AgentID != agentID(1) ||
		servers[0].Server.HostName != hostName(1) || !servers[0].Server.Created.Equal(at(0)) {
		t.Fatalf("servers = %+v", servers)
	}
	if n := perfCount(t, s, acctA, 1); n != 1 {
		t.Fatalf("%d performance samples, want 1", n)
	}
	for _, tc := range []struct{ account, id string }{{acctA, agentID(2)}, {acctB, agentID(1)}} {
		_, err := s.GetAgent(c, tc.account, tc.id)
		wantNotFound(t, err, fmt.Sprintf("GetAgent(%s, %s)", tc.account, tc.id))
	}
}

func testIntakeDuplicates(t *testing.T, s Store) {
	wantIntake(t, intake(t, s, acctA, report(1, 0), report(2, 0)), []string{"r-1-0", "r-2-0"}, 0, nil)
	wantIntake(t, intake(t, s, acctA, report(1, 0)), nil, 1, nil)
	wantIntake(t, intake(t, s, acctA, report(2, 1), report(1, 0), report(1, 1)), []string{"r-2-1", "r-1-1"}, 1, nil)
	for n, want := range map[int]int{1: 2, 2: 2} {
		if got := perfCount(t, s, acctA, n); got != want {
			t.Fatalf("agent %d has %d samples, want %d", n, got, want)
		}
	}
}

func testIntakeStopped(t *testing.T, s Store) {
	c := ctx(t)
	intake(t, s, acctA, report(1, 0), report(2, 0))
	found := ok(s.SetCollectionStatus(c, acctA, []string{agentID(1)}, discovery.CollectionStopped))(t)
	if len(found) != 1 || !found[agentID(1)] {
		t.Fatalf("found = %v", found)
	}
	r := report(1, 1)
	r.Agent.Health = "UNHEALTHY"
	wantIntake(t, intake(t, s, acctA, r, report(2, 1)), []string{"r-2-1"}, 0, []string{"r-1-1"})
	a := ok(s.GetAgent(c, acctA, agentID(1)))(t)
	// The report updates the agent's health, not its data.
	if a.Health != "UNHEALTHY" || !a.LastHealthPing.Equal(at(1)) || !a.LastData.Equal(at(0)) || a.CollectionStatus != discovery.CollectionStopped {
		t.Fatalf("stopped agent = %+v", a)
	}
	if n := perfCount(t, s, acctA, 1); n != 1 {
		t.Fatalf("stopped agent has %d samples, want 1", n)
	}
	ok(s.SetCollectionStatus(c, acctA, []string{agentID(1)}, discovery.CollectionStarted))(t)
	wantIntake(t, intake(t, s, acctA, report(1, 2)), []string{"r-1-2"}, 0, nil)
	if n := perfCount(t, s, acctA, 1); n != 2 {
		t.Fatalf("restarted agent has %d samples, want 2", n)
	}
}

func testIntakeSameMoment(t *testing.T, s Store) {
	intake(t, s, acctA, report(1, 0))
	again := report(1, 0)
	again.ReportID = "other-id"
	again.Performance.CPUUsagePct = 99
	// Within one batch as across batches.
	twin := report(1, 1)
	twin.ReportID = "twin-id"
	wantIntake(t, intake(t, s, acctA, again, report(1, 1), twin), []string{"r-1-1"}, 0, []string{"other-id", "twin-id"})
	samples := collectRows(t, func(fn func(*discovery.PerfSample) error) error {
		return s.AgentPerfSamples(ctx(t), acctA, agentID(1), at(0), at(0), fn)
	})
	if len(samples) != 1 || samples[0].CPUPct != 10 {
		t.Fatalf("samples at step 0 = %+v, want the first report's", samples)
	}
}

func testIntakeNewest(t *testing.T, s Store) {
	c := ctx(t)
	late := report(1, 5)
	late.Server.HostName, late.Agent.Version = "host-new", "3.0.0"
	intake(t, s, acctA, late)
	early := report(1, 2)
	early.Server.HostName, early.Agent.Version, early.Agent.Health = "host-old", "1.0.0", "UNHEALTHY"
	wantIntake(t, intake(t, s, acctA, early), []string{"r-1-2"}, 0, nil)
	a := ok(s.GetAgent(c, acctA, agentID(1)))(t)
	if a.HostName != "host-new" || a.Version != "3.0.0" || a.Health != "HEALTHY" || !a.LastHealthPing.Equal(at(5)) {
		t.Fatalf("agent after an older report = %+v", a)
	}
	if !a.Registered.Equal(at(5)) || !a.FirstData.Equal(at(2)) || !a.LastData.Equal(at(5)) {
		t.Fatalf("agent times: registered %v, data %v..%v", a.Registered, a.FirstData, a.LastData)
	}
	srv := ok(s.DescribeServers(c, acctA, []string{serverOf(acctA, 1)}))(t)
	if len(srv) != 1 || srv[0].HostName != "host-new" {
		t.Fatalf("server after an older report = %+v", srv)
	}
}

func testIntakePerAccount(t *testing.T, s Store) {
	c := ctx(t)
	wantIntake(t, intake(t, s, acctA, report(1, 0)), []string{"r-1-0"}, 0, nil)
	// B's report of the same ID and agent is B's own.
	rb := report(1, 0)
	rb.Server.HostName = "b-host"
	wantIntake(t, intake(t, s, acctB, rb), []string{"r-1-0"}, 0, nil)
	a, b := ok(s.GetAgent(c, acctA, agentID(1)))(t), ok(s.GetAgent(c, acctB, agentID(1)))(t)
	if a.HostName != hostName(1) || b.HostName != "b-host" || a.ServerID == b.ServerID || b.ServerID != serverOf(acctB, 1) {
		t.Fatalf("agents of A and B: %+v, %+v", a, b)
	}
	// Stopping A's agent leaves B's collecting.
	ok(s.SetCollectionStatus(c, acctA, []string{agentID(1)}, discovery.CollectionStopped))(t)
	rb = report(1, 1)
	rb.Server.HostName = "b-host"
	wantIntake(t, intake(t, s, acctB, rb), []string{"r-1-1"}, 0, nil)
	wantIntake(t, intake(t, s, acctA, report(1, 1)), nil, 0, []string{"r-1-1"})
	if got := ok(s.FindAgents(c, discovery.AgentQuery{AccountID: acctB, Limit: 10}))(t); len(got) != 1 || got[0].HostName != "b-host" {
		t.Fatalf("B's agents = %+v", got)
	}
}

func agentIDs(as []*discovery.Agent) []string {
	return keys(as, func(a *discovery.Agent) string { return a.ID })
}

// agentPages reads q's agents to the end, limit a page.
func agentPages(t *testing.T, s agents.Store, q discovery.AgentQuery, limit int) []*discovery.Agent {
	t.Helper()
	q.Limit = limit
	start := q.After
	return flat(pages(t, limit, func(after *string) ([]*discovery.Agent, error) {
		q.After = start
		if after != nil {
			q.After = *after
		}
		return s.FindAgents(ctx(t), q)
	}, func(a *discovery.Agent) string { return a.ID }))
}

// seedAgentsN takes in one report of each of agents ns, in random order.
func seedAgentsN(t *testing.T, s agents.Store, account string, ns ...int) {
	t.Helper()
	var rs []agentdata.Report
	for _, i := range rand.Perm(len(ns)) {
		rs = append(rs, report(ns[i], 0))
	}
	intake(t, s, account, rs...)
}

func testAgentPages(t *testing.T, s Store) {
	var ns []int
	for i := 1; i <= 23; i++ {
		ns = append(ns, i*7)
	}
	seedAgentsN(t, s, acctA, ns...)
	seedAgentsN(t, s, acctB, 1, 2, 3, 500)
	var want []string
	for _, n := range ns {
		want = append(want, agentID(n))
	}
	slices.Sort(want)
	for _, limit := range []int{1, 4, 23, 24} {
		sameLines(t, fmt.Sprintf("pages of %d", limit), agentIDs(agentPages(t, s, discovery.AgentQuery{AccountID: acctA}, limit)), want)
	}
	sameLines(t, "no limit (0)", agentIDs(ok(s.FindAgents(ctx(t), discovery.AgentQuery{AccountID: acctA}))(t)), want)
}

func testAgentPagesUnderInserts(t *testing.T, s Store) {
	c := ctx(t)
	seedAgentsN(t, s, acctA, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100)
	first := ok(s.FindAgents(c, discovery.AgentQuery{AccountID: acctA, Limit: 4}))(t)
	sameLines(t, "first page", agentIDs(first), []string{agentID(10), agentID(20), agentID(30), agentID(40)})
	seedAgentsN(t, s, acctA, 5, 45, 200)
	rest := agentPages(t, s, discovery.AgentQuery{AccountID: acctA, After: viaToken(t, first[3].ID)}, 4)
	sameLines(t, "pages after the inserts", agentIDs(rest),
		[]string{agentID(45), agentID(50), agentID(60), agentID(70), agentID(80), agentID(90), agentID(100), agentID(200)})
}

func testAgentsByIDs(t *testing.T, s Store) {
	c := ctx(t)
	seedAgentsN(t, s, acctA, 1, 2, 3, 4, 5)
	seedAgentsN(t, s, acctB, 6)
	find := func(q discovery.AgentQuery) []string {
		q.AccountID = acctA
		if q.Limit == 0 {
			q.Limit = 100
		}
		return agentIDs(ok(s.FindAgents(c, q))(t))
	}
	sameLines(t, "IDs", find(discovery.AgentQuery{IDs: []string{agentID(4), agentID(2), agentID(99), agentID(6), agentID(2)}}),
		[]string{agentID(2), agentID(4)})
	sameLines(t, "an empty list of IDs", find(discovery.AgentQuery{IDs: []string{}}), nil)
	sameLines(t, "IDs after a cursor", find(discovery.AgentQuery{IDs: []string{agentID(1), agentID(3), agentID(5)}, After: agentID(1), Limit: 1}),
		[]string{agentID(3)})
	sameLines(t, "B's agent from A", find(discovery.AgentQuery{IDs: []string{agentID(6)}}), nil)
}

func testSetCollectionStatus(t *testing.T, s Store) {
	c := ctx(t)
	seedAgentsN(t, s, acctA, 1, 2, 3)
	seedAgentsN(t, s, acctB, 1, 4)
	status := func(account string) string {
		var out []string
		for _, a := range ok(s.FindAgents(c, discovery.AgentQuery{AccountID: account, Limit: 10}))(t) {
			out = append(out, a.ID[len(a.ID)-1:]+"="+a.CollectionStatus)
		}
		return strings.Join(out, " ")
	}
	found := ok(s.SetCollectionStatus(c, acctA, []string{agentID(1), agentID(2), agentID(99), agentID(4)}, discovery.CollectionStopped))(t)
	if len(found) != 2 || !found[agentID(1)] || !found[agentID(2)] {
		t.Fatalf("found = %v, want agents 1 and 2", found)
	}
	if got := status(acctA); got != "1=STOPPED 2=STOPPED 3=STARTED" {
		t.Fatalf("A's agents: %s", got)
	}
	if got := status(acctB); got != "1=STARTED 4=STARTED" {
		t.Fatalf("B's agents after A's change: %s", got)
	}
	found = ok(s.SetCollectionStatus(c, acctB, []string{agentID(3)}, discovery.CollectionStopped))(t)
	if len(found) != 0 {
		t.Fatalf("B found A's agent: %v", found)
	}
	found = ok(s.SetCollectionStatus(c, acctA, []string{agentID(1), agentID(3)}, discovery.CollectionStarted))(t)
	if len(found) != 2 || status(acctA) != "1=STARTED 2=STOPPED 3=STARTED" {
		t.Fatalf("found %v; A's agents: %s", found, status(acctA))
	}
}

func testDeleteAgents(t *testing.T, s Store) {
	c := ctx(t)
	seedFleet(t, s, acctA)
	seedAgentsN(t, s, acctB, 1)
	ok(s.SetCollectionStatus(c, acctA, []string{agentID(2)}, discovery.CollectionStopped))(t)
	out := ok(s.DeleteAgents(c, acctA, []discovery.DeleteAgentRequest{
		{AgentID: agentID(1)}, {AgentID: agentID(2)}, {AgentID: agentID(3), Force: true}, {AgentID: agentID(99), Force: true},
	}))(t)
	want := map[string]discovery.DeleteAgentOutcome{agentID(1): discovery.AgentInUse, agentID(2): discovery.AgentDeleted,
		agentID(3): discovery.AgentDeleted, agentID(99): discovery.AgentNotFound}
	for id, o := range want {
		if out[id] != o || len(out) != len(want) {
			t.Fatalf("outcomes = %v, want %v", out, want)
		}
	}
	sameLines(t, "A's agents", agentIDs(ok(s.FindAgents(c, discovery.AgentQuery{AccountID: acctA, Limit: 10}))(t)), []string{agentID(1), agentID(4)})
	// B cannot delete A's agents, nor A B's.
	if out := ok(s.DeleteAgents(c, acctB, []discovery.DeleteAgentRequest{{AgentID: agentID(4), Force: true}}))(t); out[agentID(4)] != discovery.AgentNotFound {
		t.Fatalf("B deleting A's agent: %v", out)
	}
	if _, err := s.GetAgent(c, acctA, agentID(4)); err != nil {
		t.Fatalf("A's agent after B's delete: %v", err)
	}
	if _, err := s.GetAgent(c, acctB, agentID(1)); err != nil {
		t.Fatalf("B's agent after A's delete: %v", err)
	}
	// The servers and data of deleted agents stay.
	if n := len(ok(s.ListItems(c, discovery.ItemQuery{Account: acctA, Type: discovery.TypeServer}))(t)); n != fleetAgents {
		t.Fatalf("%d servers after deleting agents, want %d", n, fleetAgents)
	}
	if n := perfCount(t, s, acctA, 3); n != 2 {
		t.Fatalf("deleted agent 3 has %d samples, want 2", n)
	}
	if n := len(ok(s.ListItems(c, discovery.ItemQuery{Account: acctA, Type: discovery.TypeProcess}))(t)); n != 2 {
		t.Fatalf("%d processes after deleting agents, want 2", n)
	}
	// A deleted agent that reports again is registered anew.
	wantIntake(t, intake(t, s, acctA, report(2, 7)), []string{"r-2-7"}, 0, nil)
	if a := ok(s.GetAgent(c, acctA, agentID(2)))(t); a.CollectionStatus != discovery.CollectionStarted || !a.Registered.Equal(at(7)) {
		t.Fatalf("re-registered agent = %+v", a)
	}
}
