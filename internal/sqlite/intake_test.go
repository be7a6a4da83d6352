package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/agentdata"
	"github.com/poseidon-ads/poseidon/internal/agentdata/agentdatatest"
	"github.com/poseidon-ads/poseidon/internal/agents"
	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/pagetoken"
)

const acct = "111111111111"

var t0 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

func openTest(t testing.TB) (*DB, *agents.Service) {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	svc := agents.New(agents.Config{Store: db, Now: func() time.Time { return t0.Add(100 * time.Hour) }, Tokens: pagetoken.New([]byte("k"))})
	return db, svc
}

// agentID, hostIP and report build the test fleet's reports.
var (
	agentID = agentdatatest.AgentID
	hostIP  = agentdatatest.HostIP
)

func report(n, step int) agentdata.Report { return agentdatatest.Report(t0, n, step) }

func takeIn(t testing.TB, svc *agents.Service, rs ...agentdata.Report) *discovery.IntakeResult {
	t.Helper()
	res, err := svc.Intake(context.Background(), acct, &agentdata.Batch{Reports: rs})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

var dataTables = []string{"agents", "agent_reports", "servers", "network_interfaces", "processes", "connections",
	"perf_samples", "system_observations", "process_observations", "connection_observations"}

// counts returns the number of rows of each inventory table.
func counts(t testing.TB, db *DB) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, tab := range dataTables {
		var n int
		if err := db.db.QueryRow(`SELECT count(*) FROM ` + tab).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[tab] = n
	}
	return out
}

func TestIntakeRollsBackOnStoreFailure(t *testing.T) {
	db, svc := openTest(t)
	// A trigger makes the last write of the transaction fail. It lives on
	// one connection: the writer's, which every write goes through.
	err := db.tx(t.Context(), func(tx *sql.Tx) error {
		_, err := tx.Exec(`CREATE TEMP TRIGGER fail BEFORE INSERT ON connections BEGIN SELECT RAISE(ABORT, 'boom'); END`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	r := report(1, 0)
	r.Connections = []agentdata.Connection{{Direction: "outbound", SourceIP: hostIP(1), DestinationIP: "192.0.2.1", DestinationPort: 80}}
	if _, err := svc.Intake(context.Background(), acct, &agentdata.Batch{Reports: []agentdata.Report{r}}); err == nil {
		t.Fatal("intake succeeded despite the failing trigger")
	}
	for k, v := range counts(t, db) {
		if v != 0 {
			t.Errorf("%s has %d rows after a failed batch", k, v)
		}
	}
}

func TestIntakeAccountsIsolated(t *testing.T) {
	db, svc := openTest(t)
	takeIn(t, svc, report(1, 0))
	if _, err := svc.Intake(context.Background(), "222222222222", &agentdata.Batch{Reports: []agentdata.Report{report(1, 0)}}); err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{acct, "222222222222"} {
		got, _ := db.FindAgents(context.Background(), discovery.AgentQuery{AccountID: a, Limit: 10})
		if len(got) != 1 || got[0].ServerID != discovery.ServerID(a, agentID(1)) {
			t.Fatalf("account %s: %+v", a, got)
		}
	}
}

func TestDeleteAgentsKeepsData(t *testing.T) {
	db, svc := openTest(t)
	ctx := context.Background()
	takeIn(t, svc, report(1, 0), report(2, 0))
	errs, err := svc.Delete(ctx, acct, []discovery.DeleteAgentRequest{{AgentID: agentID(1)}, {AgentID: agentID(2), Force: true}, {AgentID: agentID(9)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(errs) != 2 || errs[0].Code != "AGENT_IN_USE" || errs[0].AgentID != agentID(1) || errs[1].Code != "NOT_FOUND" || errs[1].AgentID != agentID(9) {
		t.Fatalf("errors = %+v", errs)
	}
	c := counts(t, db)
	if c["agents"] != 1 || c["servers"] != 2 || c["perf_samples"] != 2 {
		t.Fatalf("counts after delete: %v", c)
	}
	// A deleted agent that reports again registers anew.
	takeIn(t, svc, report(2, 5))
	a, _ := db.FindAgents(ctx, discovery.AgentQuery{AccountID: acct, IDs: []string{agentID(2)}, Limit: 1})
	if len(a) != 1 || !a[0].Registered.Equal(t0.Add(75*time.Minute)) || !a[0].FirstData.Equal(t0.Add(75*time.Minute)) {
		t.Fatalf("re-registered agent = %+v", a)
	}
	var n int
	db.db.QueryRow(`SELECT perf_samples FROM servers WHERE server_id = ?`, discovery.ServerID(acct, agentID(2))).Scan(&n)
	if n != 2 {
		t.Fatalf("server perf_samples = %d, want 2 (the old data stays)", n)
	}
}

// benchReport is agent n's report at step: a sample, four outbound
// connections to other agents and one inbound from a client without an
// agent, and a 17-process list every 4th step (hourly), like the fleet
// simulator's reports.
func benchReport(n, step int) agentdata.Report {
	r := report(n, step)
	if step%4 == 0 {
		for p := range 17 {
			r.Processes = append(r.Processes, agentdata.Process{PID: 100 + p, Name: fmt.Sprintf("proc-%d", p),
				Path: fmt.Sprintf("/usr/bin/proc-%d", p), CommandLine: fmt.Sprintf("/usr/bin/proc-%d --flag %d", p, n)})
		}
	}
	for c := range 5 {
		peer := (n+c*37)%1000 + 1
		dir, src, dst := "outbound", hostIP(n), hostIP(peer)
		if c == 4 {
			dir, src, dst = "inbound", fmt.Sprintf("203.0.113.%d", n%200), hostIP(n)
		}
		r.Connections = append(r.Connections, agentdata.Connection{Direction: dir, SourceIP: src, SourcePort: 30000 + step,
			DestinationIP: dst, DestinationPort: 443 + c, PID: 100 + c})
	}
	return r
}

// BenchmarkIntake takes in 500-report batches of a 1,000-agent fleet whose
// agents all registered (one report each) and reports reports/s and rows/s
// (rows added to all tables). One op is one batch. agent-major batches hold
// consecutive reports of one or two agents (how a seeder sends histories);
// time-major ones one 15-minute step of 500 agents (how live agents report).
func BenchmarkIntake(b *testing.B) {
	const agentsN, size = 1000, 500
	for _, order := range []string{"agent-major", "time-major"} {
		b.Run(order, func(b *testing.B) {
			db, svc := openTest(b)
			ctx := context.Background()
			send := func(rs []agentdata.Report) {
				res, err := svc.Intake(ctx, acct, &agentdata.Batch{Reports: rs})
				if err != nil || res.Accepted != len(rs) {
					b.Fatal(err, res)
				}
			}
			var reg []agentdata.Report
			for n := 1; n <= agentsN; n++ {
				if reg = append(reg, benchReport(n, 0)); len(reg) == size {
					send(reg)
					reg = nil
				}
			}
			batches := make([][]agentdata.Report, b.N)
			for i := range batches {
				batches[i] = make([]agentdata.Report, size)
				for j := range size {
					k := i*size + j // position in the stream after registration
					if order == "agent-major" {
						const steps = 287 // 72 hours after the first report
						batches[i][j] = benchReport(k/steps%agentsN+1, 1+k%steps+k/(steps*agentsN)*steps)
					} else {
						batches[i][j] = benchReport(k%agentsN+1, 1+k/agentsN)
					}
				}
			}
			rows := func() int {
				t := 0
				for _, v := range counts(b, db) {
					t += v
				}
				return t
			}
			before := rows()
			b.ResetTimer()
			for i := range b.N {
				send(batches[i])
			}
			b.StopTimer()
			secs := b.Elapsed().Seconds()
			b.ReportMetric(float64(b.N*size)/secs, "reports/s")
			b.ReportMetric(float64(rows()-before)/secs, "rows/s")
		})
	}
}
