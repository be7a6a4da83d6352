package postgres

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/agentdata"
	"github.com/poseidon-ads/poseidon/internal/agentdata/agentdatatest"
	"github.com/poseidon-ads/poseidon/internal/agents"
	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/pagetoken"
)

// Intake and the agent records on one replica and on several. What an
// IntakeTx reads and how Apply merges a plan, and the rules that make plans,
// are tested in package agents, on this store and on SQLite.

var (
	agentID = agentdatatest.AgentID
	hostIP  = agentdatatest.HostIP
)

func report(n, step int) agentdata.Report { return agentdatatest.Report(t0, n, step) }

// agentService is the agents use case over db, its clock 100 hours after t0.
func agentService(db *DB) *agents.Service {
	return agents.New(agents.Config{Store: db, Now: func() time.Time { return t0.Add(100 * time.Hour) }, Tokens: pagetoken.New([]byte("k"))})
}

func takeIn(t testing.TB, svc *agents.Service, rs ...agentdata.Report) *discovery.IntakeResult {
	t.Helper()
	res, err := svc.Intake(context.Background(), acct, &agentdata.Batch{Reports: rs})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// strings1 returns the single text column of query's rows.
func strings1(t testing.TB, db *DB, query string, args ...any) []string {
	t.Helper()
	out, err := column(context.Background(), db.pool, query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return out
}

// intakeTables are the tables intake writes.
var intakeTables = []string{"agents", "agent_reports", "servers", "network_interfaces", "processes", "connections",
	"perf_samples", "system_observations", "process_observations", "connection_observations"}

// dump returns every row of the intake tables, as text, sorted.
func dump(t testing.TB, db *DB) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, table := range intakeTables {
		out[table] = strings1(t, db, `SELECT r::text FROM `+table+` r ORDER BY 1`)
	}
	return out
}

// A plan whose write fails leaves nothing of the batch: Intake's
// transaction rolls back every statement of it.
func TestIntakeRollsBackOnStoreFailure(t *testing.T) {
	db := openTest(t)
	svc := agentService(db)
	takeIn(t, svc, report(1, 0))
	before := dump(t, db)
	r := report(2, 0)
	r.Connections = []agentdata.Connection{{Direction: "outbound", SourceIP: hostIP(2), DestinationIP: "192.0.2.1", DestinationPort: 80}}
	// The last statement of the plan (connections) fails.
	exec(t, db, `ALTER TABLE connections ADD CONSTRAINT boom CHECK (destination_port <> 80)`)
	if _, err := svc.Intake(context.Background(), acct, &agentdata.Batch{Reports: []agentdata.Report{r}}); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("intake: %v", err)
	}
	if after := dump(t, db); !reflect.DeepEqual(after, before) {
		t.Fatalf("a failed batch changed the tables:\n%v\n%v", before, after)
	}
}

// fleetBatches are a fleet's batches: one report of each of six agents per
// round, with processes, connections to each other (some by an address an
// agent takes later) and to an address no agent has; from round 4 on each
// agent has a second interface. Every sum is of integers, so that it adds
// up the same in any order.
func fleetBatches(rounds int) [][]agentdata.Report {
	var out [][]agentdata.Report
	for r := range rounds {
		for n := 1; n <= 6; n++ {
			rep := report(n, r)
			if r >= 4 {
				rep.NetworkInterfaces = append(rep.NetworkInterfaces, agentdata.NetworkInterface{Name: "eth1", IPAddress: fmt.Sprintf("10.9.0.%d", n)})
			}
			rep.Processes = []agentdata.Process{{PID: 10 + r%2, Name: fmt.Sprintf("p%d", r%2)}, {PID: 20, Name: "sshd", IsSystem: true}}
			rep.Connections = []agentdata.Connection{
				{Direction: "outbound", SourceIP: hostIP(n), SourcePort: 40000 + r, DestinationIP: hostIP(n%6 + 1), DestinationPort: 443, PID: 10 + r%2},
				{Direction: "outbound", SourceIP: hostIP(n), DestinationIP: fmt.Sprintf("10.9.0.%d", (n+1)%6+1), DestinationPort: 5432, PID: 20},
				{Direction: "outbound", SourceIP: hostIP(n), DestinationIP: "192.0.2.1", DestinationPort: 53, TransportProtocol: "udp"},
			}
			out = append(out, []agentdata.Report{rep})
		}
	}
	return out
}

// Two replicas take in the same agents' batches at once, each batch sent to
// both: every batch is taken in once (the other copy is a duplicate),
// nothing fails, and the tables hold exactly what one replica taking the
// batches in one after another writes. (The first round registers the
// agents first: an agent's registration time is that of the first batch
// taken in.) Intake holds the account's lock; without it, both copies of a
// batch pass the report ID check and one fails on the key.
func TestIntakeReplicas(t *testing.T) {
	batches := fleetBatches(8)

	serial := openTest(t)
	svc := agentService(serial)
	for _, b := range batches {
		if res := takeIn(t, svc, b...); res.Accepted != len(b) {
			t.Fatalf("serial: %+v", res)
		}
	}
	want := dump(t, serial)
	if len(want["connections"]) != 24 || len(want["agent_reports"]) != 48 {
		t.Fatalf("serial run: %d connections, %d reports", len(want["connections"]), len(want["agent_reports"]))
	}

	url := testSchema(t)
	dbs := replicas(t, url, 2)
	svcs := []*agents.Service{agentService(dbs[0]), agentService(dbs[1])}
	for _, b := range batches[:6] {
		takeIn(t, svcs[0], b...)
	}
	batches = batches[6:]
	type sent struct {
		res *discovery.IntakeResult
		err error
	}
	results := make([]sent, 2*len(batches))
	atOnce(len(results), func(i int) {
		res, err := svcs[i%2].Intake(context.Background(), acct, &agentdata.Batch{Reports: batches[i/2]})
		results[i] = sent{res, err}
	})
	for i := 0; i < len(results); i += 2 {
		a, b := results[i], results[i+1]
		if a.err != nil || b.err != nil {
			t.Fatalf("batch %d: %v, %v", i/2, a.err, b.err)
		}
		if a.res.Accepted+b.res.Accepted != 1 || a.res.Duplicates+b.res.Duplicates != 1 {
			t.Fatalf("batch %d taken in as %+v and %+v", i/2, a.res, b.res)
		}
	}
	got := dump(t, dbs[0])
	for _, table := range intakeTables {
		if !slices.Equal(got[table], want[table]) {
			t.Errorf("%s: %d rows on two replicas, %d serially\n got %q\nwant %q", table, len(got[table]), len(want[table]), got[table], want[table])
		}
	}
}

// Replicas deleting the same stopped agents at once: each agent is deleted
// by one replica, the others find it gone (each checks the statuses and
// deletes under the account's lock), round after round.
func TestDeleteAgentsAcrossReplicas(t *testing.T) {
	url := testSchema(t)
	dbs := replicas(t, url, 6)
	ctx := context.Background()
	for _, db := range dbs { // connected, so that they start together
		count(t, db, `SELECT 1`)
	}
	const perRound = 20
	for round := range 5 {
		var reqs []discovery.DeleteAgentRequest
		var ids []string
		var batch []agentdata.Report
		for i := range perRound {
			n := 1 + round*perRound + i
			batch = append(batch, report(n, 0))
			ids = append(ids, agentID(n))
			reqs = append(reqs, discovery.DeleteAgentRequest{AgentID: agentID(n)})
		}
		takeIn(t, agentService(dbs[0]), batch...)
		if found, err := dbs[0].SetCollectionStatus(ctx, acct, append(ids, "o-unknown"), discovery.CollectionStopped); err != nil || len(found) != perRound || found["o-unknown"] {
			t.Fatalf("stop: %v %v", found, err)
		}
		deleted := map[string]int{}
		var mu sync.Mutex
		atOnce(len(dbs), func(i int) {
			out, err := dbs[i].DeleteAgents(ctx, acct, reqs)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			for id, o := range out {
				switch o {
				case discovery.AgentDeleted:
					deleted[id]++
				case discovery.AgentNotFound:
				default:
					t.Errorf("%s: outcome %v", id, o)
				}
			}
		})
		for _, id := range ids {
			if deleted[id] != 1 {
				t.Fatalf("round %d: %d replicas deleted %s, want 1", round, deleted[id], id)
			}
		}
	}
	// A collecting agent is refused unless forced; forced twice in one
	// call, the second finds it gone; its server and data stay.
	takeIn(t, agentService(dbs[0]), report(500, 0))
	out, err := dbs[1].DeleteAgents(ctx, acct, []discovery.DeleteAgentRequest{{AgentID: agentID(500)}})
	if err != nil || out[agentID(500)] != discovery.AgentInUse {
		t.Fatalf("not forced: %v %v", out, err)
	}
	out, err = dbs[1].DeleteAgents(ctx, acct, []discovery.DeleteAgentRequest{{AgentID: agentID(500), Force: true}, {AgentID: agentID(500), Force: true}})
	if err != nil || out[agentID(500)] != discovery.AgentNotFound {
		t.Fatalf("forced: %v %v", out, err)
	}
	if a, s := count(t, dbs[0], `SELECT count(*) FROM agents`), count(t, dbs[0], `SELECT count(*) FROM servers`); a != 0 || s != 5*perRound+1 {
		t.Fatalf("%d agents, %d servers left", a, s)
	}
}

// The agent reads: FindAgents pages by ID in the account, GetAgent finds
// one; UpsertAgent stands an agent up without data.
func TestAgentReads(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	takeIn(t, agentService(db), report(3, 0), report(1, 0), report(2, 1))
	if err := db.UpsertAgent(ctx, &discovery.Agent{AccountID: "222222222222", ID: agentID(1), HostName: "other", Registered: t0}); err != nil {
		t.Fatal(err)
	}
	ids := func(q discovery.AgentQuery) []string {
		t.Helper()
		as, err := db.FindAgents(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		out := []string{}
		for _, a := range as {
			out = append(out, a.ID)
		}
		return out
	}
	for _, tc := range []struct {
		q    discovery.AgentQuery
		want []string
	}{
		{discovery.AgentQuery{AccountID: acct, Limit: 10}, []string{agentID(1), agentID(2), agentID(3)}},
		{discovery.AgentQuery{AccountID: acct, Limit: 2}, []string{agentID(1), agentID(2)}},
		{discovery.AgentQuery{AccountID: acct, After: agentID(1), Limit: -1}, []string{agentID(2), agentID(3)}},
		{discovery.AgentQuery{AccountID: acct, IDs: []string{agentID(3), agentID(1), agentID(9)}, Limit: 10}, []string{agentID(1), agentID(3)}},
		{discovery.AgentQuery{AccountID: acct, IDs: []string{}, Limit: 10}, []string{}},
		{discovery.AgentQuery{AccountID: "222222222222", Limit: 10}, []string{agentID(1)}},
	} {
		if got := ids(tc.q); !slices.Equal(got, tc.want) {
			t.Errorf("%+v: %v, want %v", tc.q, got, tc.want)
		}
	}
	a, err := db.GetAgent(ctx, acct, agentID(2))
	if err != nil || a.HostName != "host-2" || !a.FirstData.Equal(t0.Add(15*time.Minute)) || len(a.Network) != 1 || a.Network[0].IPAddress != hostIP(2) {
		t.Fatalf("GetAgent = %+v, %v", a, err)
	}
	b, err := db.GetAgent(ctx, "222222222222", agentID(1))
	if err != nil || b.HostName != "other" || !b.FirstData.IsZero() || b.Network == nil || len(b.Network) != 0 {
		t.Fatalf("upserted agent = %+v, %v", b, err)
	}
	if _, err := db.GetAgent(ctx, acct, agentID(9)); err == nil {
		t.Fatal("unknown agent found")
	}
}
