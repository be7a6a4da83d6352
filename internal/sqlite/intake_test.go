package sqlite

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/agentdata"
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

// agentID is the test agent n's ID.
func agentID(n int) string { return fmt.Sprintf("o-%017x", n) }

// hostIP is the test agent n's IP address.
func hostIP(n int) string { return fmt.Sprintf("10.0.%d.%d", n/250, n%250+1) }

// report builds a report of agent n at t0 + step×15 minutes, with a
// performance sample derived from step.
func report(n, step int) agentdata.Report {
	ts := t0.Add(time.Duration(step) * 15 * time.Minute)
	return agentdata.Report{
		ReportID:  fmt.Sprintf("r-%d-%d", n, step),
		AgentID:   agentID(n),
		Timestamp: float64(ts.Unix()),
		Agent:     agentdata.AgentInfo{Version: "2.0.1"},
		Server: agentdata.ServerInfo{HostName: fmt.Sprintf("host-%d", n), OSName: "Linux", OSVersion: "6.1", CPUType: "x64",
			NumCPUs: 2, NumCores: 4, NumLogicalProcessors: 8, TotalRAMMB: 16384, TotalDiskGB: 200, NumDisks: 1},
		NetworkInterfaces: []agentdata.NetworkInterface{{Name: "eth0", IPAddress: hostIP(n), MACAddress: fmt.Sprintf("02:00:00:00:%02x:%02x", n/256, n%256)}},
		Performance: &agentdata.Performance{CPUUsagePct: float64(10 + step%50), FreeRAMMB: float64(1000 + step), DiskFreeGB: 100 - float64(step)/10,
			DiskReadKBps: 5, DiskWriteKBps: float64(step), NetworkReadKBps: 1, NetworkWriteKBps: 2},
	}
}

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

func TestIntakeRegistersAgentAndServer(t *testing.T) {
	db, svc := openTest(t)
	r0, r1 := report(1, 0), report(1, 1)
	r1.Agent.Health, r1.Agent.Version = "UNHEALTHY", "2.0.2"
	r1.Processes = []agentdata.Process{{PID: 10, Name: "nginx", Path: "/usr/sbin/nginx", CommandLine: "nginx -g daemon off;"}}
	res := takeIn(t, svc, r1, r0) // out of order on purpose
	if res.Accepted != 2 || res.Duplicates != 0 || res.Dropped != 0 {
		t.Fatalf("result = %+v", res)
	}
	got, err := db.FindAgents(context.Background(), discovery.AgentQuery{AccountID: acct, Limit: 10})
	if err != nil || len(got) != 1 {
		t.Fatalf("agents = %v, %v", got, err)
	}
	a := got[0]
	if a.ID != agentID(1) || a.Health != "UNHEALTHY" || a.Version != "2.0.2" || a.Type != "EC2" || a.CollectionStatus != "STARTED" ||
		a.HostName != "host-1" || !a.Registered.Equal(t0) || !a.LastHealthPing.Equal(t0.Add(15*time.Minute)) ||
		!a.FirstData.Equal(t0) || !a.LastData.Equal(t0.Add(15*time.Minute)) || a.ServerID != discovery.ServerID(acct, agentID(1)) {
		t.Fatalf("agent = %+v", a)
	}
	if len(a.Network) != 1 || a.Network[0].IPAddress != hostIP(1) || a.Network[0].MACAddress != "02:00:00:00:00:01" {
		t.Fatalf("network = %+v", a.Network)
	}
	if len(a.ServerID) != len("d-server-")+17 {
		t.Fatalf("server ID %q", a.ServerID)
	}
	// The export worker's view.
	da, err := db.GetAgent(context.Background(), acct, agentID(1))
	if err != nil || da.HostName != "host-1" || !da.Registered.Equal(t0) || !da.LastData.Equal(t0.Add(15*time.Minute)) {
		t.Fatalf("GetAgent = %+v, %v", da, err)
	}
	if _, err := db.GetAgent(context.Background(), "222222222222", agentID(1)); !errors.Is(err, discovery.ErrNotFound) {
		t.Fatalf("GetAgent of another account = %v", err)
	}

	var (
		stype, host           string
		n, nics               int
		cpuSum, cpuMax, rmMin float64
		diskFree, dwMax       float64
		created, updated      int64
	)
	err = db.db.QueryRow(`SELECT server_type, host_name, perf_samples, num_nics, cpu_sum, cpu_max, free_ram_min, disk_free_gb,
		disk_write_kbps_max, created_ms, updated_ms FROM servers WHERE account_id = ? AND server_id = ?`, acct, a.ServerID).
		Scan(&stype, &host, &n, &nics, &cpuSum, &cpuMax, &rmMin, &diskFree, &dwMax, &created, &updated)
	if err != nil {
		t.Fatal(err)
	}
	if stype != "OTHER" || host != "host-1" || n != 2 || nics != 1 || cpuSum != 21 || cpuMax != 11 || rmMin != 1000 ||
		diskFree != 99.9 || dwMax != 1 || created != t0.UnixMilli() || updated != t0.Add(15*time.Minute).UnixMilli() {
		t.Fatalf("server = %s %s n=%d nics=%d cpu=%v/%v ramMin=%v diskFree=%v dwMax=%v %d..%d", stype, host, n, nics, cpuSum, cpuMax, rmMin, diskFree, dwMax, created, updated)
	}
	var pid, name string
	if err := db.db.QueryRow(`SELECT process_id, name FROM processes WHERE account_id = ?`, acct).Scan(&pid, &name); err != nil {
		t.Fatal(err)
	}
	if pid != discovery.ProcessID(acct, a.ServerID, "nginx", "/usr/sbin/nginx", "nginx -g daemon off;") || name != "nginx" {
		t.Fatalf("process %s %s", pid, name)
	}
}

func TestIntakeIdempotent(t *testing.T) {
	db, svc := openTest(t)
	var batch []agentdata.Report
	for n := 1; n <= 3; n++ {
		for step := range 4 {
			r := report(n, step)
			r.Processes = []agentdata.Process{{PID: 1, Name: "init"}, {PID: 2, Name: "sshd"}}
			r.Connections = []agentdata.Connection{{Direction: "outbound", SourceIP: hostIP(n), DestinationIP: hostIP(n%3 + 1), DestinationPort: 443, PID: 2}}
			batch = append(batch, r)
		}
	}
	if res := takeIn(t, svc, batch...); res.Accepted != 12 {
		t.Fatalf("first = %+v", res)
	}
	before := counts(t, db)
	var occ int
	db.db.QueryRow(`SELECT sum(occurrence) FROM connections`).Scan(&occ)
	res := takeIn(t, svc, batch...)
	if res.Accepted != 0 || res.Duplicates != 12 || res.Dropped != 0 || len(res.DroppedReports) != 0 {
		t.Fatalf("second = %+v", res)
	}
	after := counts(t, db)
	for k, v := range before {
		if after[k] != v {
			t.Errorf("%s: %d rows before, %d after a retried batch", k, v, after[k])
		}
	}
	var occ2, samples int
	db.db.QueryRow(`SELECT sum(occurrence) FROM connections`).Scan(&occ2)
	db.db.QueryRow(`SELECT sum(perf_samples) FROM servers`).Scan(&samples)
	if occ2 != occ || occ != 12 || samples != 12 {
		t.Fatalf("occurrences %d then %d, samples %d", occ, occ2, samples)
	}
	// A batch mixing old and new reports takes in only the new ones.
	mixed := append([]agentdata.Report{report(1, 9)}, batch[:2]...)
	if res := takeIn(t, svc, mixed...); res.Accepted != 1 || res.Duplicates != 2 {
		t.Fatalf("mixed = %+v", res)
	}
}

func TestIntakeInvalidStoresNothing(t *testing.T) {
	db, svc := openTest(t)
	bad := report(2, 1)
	bad.Connections = []agentdata.Connection{{Direction: "sideways", SourceIP: "10.0.0.1", DestinationIP: "10.0.0.2", DestinationPort: 80}}
	_, err := svc.Intake(context.Background(), acct, &agentdata.Batch{Reports: []agentdata.Report{report(1, 0), report(1, 1), bad}})
	var de *discovery.Error
	if !errors.As(err, &de) || de.Code != discovery.InvalidParameterValue || de.Message != "Invalid agent report batch: reports[2].connections[0].direction: must be outbound or inbound" {
		t.Fatalf("err = %v", err)
	}
	for k, v := range counts(t, db) {
		if v != 0 {
			t.Errorf("%s has %d rows after a refused batch", k, v)
		}
	}
	if _, err := svc.Intake(context.Background(), acct, &agentdata.Batch{}); !errors.As(err, &de) || de.Code != discovery.InvalidParameterValue {
		t.Fatalf("empty batch: %v", err)
	}
}

func TestIntakeRollsBackOnStoreFailure(t *testing.T) {
	db, svc := openTest(t)
	// A trigger makes the last write of the transaction fail. It lives on
	// one connection: the pool keeps just that one.
	db.db.SetMaxOpenConns(1)
	if _, err := db.db.Exec(`CREATE TEMP TRIGGER fail BEFORE INSERT ON connections BEGIN SELECT RAISE(ABORT, 'boom'); END`); err != nil {
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

func TestIntakeStoppedAgentDropsData(t *testing.T) {
	db, svc := openTest(t)
	ctx := context.Background()
	takeIn(t, svc, report(1, 0))
	before := counts(t, db)
	if st, err := svc.StopCollection(ctx, acct, []string{agentID(1)}); err != nil || !st[0].OperationSucceeded {
		t.Fatalf("stop = %+v, %v", st, err)
	}
	r := report(1, 1)
	r.Agent.Health = "UNHEALTHY"
	r.Server.HostName = "renamed"
	r.Processes = []agentdata.Process{{PID: 1, Name: "x"}}
	r.Connections = []agentdata.Connection{{Direction: "outbound", SourceIP: hostIP(1), DestinationIP: "192.0.2.1", DestinationPort: 80}}
	res := takeIn(t, svc, r)
	want := "data collection is stopped for agent " + agentID(1)
	if res.Accepted != 0 || res.Dropped != 1 || len(res.DroppedReports) != 1 || res.DroppedReports[0].ReportID != r.ReportID || res.DroppedReports[0].Reason != want {
		t.Fatalf("result = %+v", res)
	}
	after := counts(t, db)
	for k, v := range before {
		if k != "agent_reports" && after[k] != v {
			t.Errorf("%s: %d rows before, %d after a stopped agent's report", k, v, after[k])
		}
	}
	a, _ := db.FindAgents(ctx, discovery.AgentQuery{AccountID: acct, Limit: 1})
	if a[0].Health != "UNHEALTHY" || a[0].HostName != "renamed" || !a[0].LastHealthPing.Equal(t0.Add(15*time.Minute)) || !a[0].LastData.Equal(t0) {
		t.Fatalf("agent = %+v", a[0])
	}
	// Retried: a duplicate. Started again: data flows.
	if res := takeIn(t, svc, r); res.Duplicates != 1 {
		t.Fatalf("retry = %+v", res)
	}
	svc.StartCollection(ctx, acct, []string{agentID(1)})
	if res := takeIn(t, svc, report(1, 2)); res.Accepted != 1 {
		t.Fatalf("after start = %+v", res)
	}
}

func TestIntakeSameMomentTwice(t *testing.T) {
	_, svc := openTest(t)
	a, b := report(1, 0), report(1, 0)
	b.ReportID = "other-id"
	res := takeIn(t, svc, a, b)
	if res.Accepted != 1 || res.Dropped != 1 || res.DroppedReports[0].ReportID != "other-id" {
		t.Fatalf("result = %+v", res)
	}
	c := report(1, 0)
	c.ReportID = "third-id"
	if res := takeIn(t, svc, c); res.Dropped != 1 {
		t.Fatalf("later batch = %+v", res)
	}
}

// connection is the aggregated row of a connection.
type connection struct {
	src, dst, srcIP, dstIP, srcProc, dstProc string
	port, occurrence                         int
	first, latest                            int64
}

func connectionRows(t *testing.T, db *DB) []connection {
	t.Helper()
	rows, err := db.db.Query(`SELECT source_server_id, destination_server_id, source_ip, destination_ip, source_process_id,
		destination_process_id, destination_port, occurrence, first_ms, latest_ms FROM connections ORDER BY source_ip, destination_ip, destination_port`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []connection
	for rows.Next() {
		var c connection
		if err := rows.Scan(&c.src, &c.dst, &c.srcIP, &c.dstIP, &c.srcProc, &c.dstProc, &c.port, &c.occurrence, &c.first, &c.latest); err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

func TestIntakeConnectionsCountedOnce(t *testing.T) {
	db, svc := openTest(t)
	web, app := 1, 2
	webS, appS := discovery.ServerID(acct, agentID(web)), discovery.ServerID(acct, agentID(app))
	var batch []agentdata.Report
	for step := range 3 {
		w := report(web, step)
		if step == 0 {
			w.Processes = []agentdata.Process{{PID: 77, Name: "nginx", Path: "/usr/sbin/nginx"}}
		}
		w.Connections = []agentdata.Connection{{Direction: "outbound", SourceIP: hostIP(web), SourcePort: 40000 + step, DestinationIP: hostIP(app), DestinationPort: 8080, PID: 77}}
		a := report(app, step)
		a.Processes = []agentdata.Process{{PID: 5, Name: "java", CommandLine: "java -jar app.jar"}}
		a.Connections = []agentdata.Connection{
			// The web server reports this one too: not counted again.
			{Direction: "inbound", SourceIP: hostIP(web), SourcePort: 40000 + step, DestinationIP: hostIP(app), DestinationPort: 8080, PID: 5},
			// A client without an agent: counted.
			{Direction: "inbound", SourceIP: "198.51.100.7", SourcePort: 50000, DestinationIP: hostIP(app), DestinationPort: 8080, PID: 5},
		}
		batch = append(batch, a, w) // the app's inbound comes before the web server registers
	}
	if res := takeIn(t, svc, batch...); res.Accepted != 6 {
		t.Fatalf("result = %+v", res)
	}
	got := connectionRows(t, db)
	nginx := discovery.ProcessID(acct, webS, "nginx", "/usr/sbin/nginx", "")
	java := discovery.ProcessID(acct, appS, "java", "", "java -jar app.jar")
	want := []connection{
		{src: webS, dst: appS, srcIP: hostIP(web), dstIP: hostIP(app), srcProc: nginx, port: 8080, occurrence: 3,
			first: t0.UnixMilli(), latest: t0.Add(30 * time.Minute).UnixMilli()},
		{src: "", dst: appS, srcIP: "198.51.100.7", dstIP: hostIP(app), dstProc: java, port: 8080, occurrence: 3,
			first: t0.UnixMilli(), latest: t0.Add(30 * time.Minute).UnixMilli()},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("connections\n got %+v\nwant %+v", got, want)
	}
	var obs int
	db.db.QueryRow(`SELECT count(*) FROM connection_observations`).Scan(&obs)
	if obs != 9 {
		t.Fatalf("%d connection observations, want 9 (every one is kept)", obs)
	}

	// A later batch: the PID mapping carries over from the stored process list.
	w := report(web, 3)
	w.Connections = []agentdata.Connection{{Direction: "outbound", SourceIP: hostIP(web), DestinationIP: hostIP(app), DestinationPort: 8080, PID: 77}}
	takeIn(t, svc, w)
	if got := connectionRows(t, db); got[0].occurrence != 4 || got[0].srcProc != nginx || len(got) != 2 {
		t.Fatalf("after a later batch: %+v", got)
	}
}

func TestIntakeBackfillsEndpoints(t *testing.T) {
	db, svc := openTest(t)
	// Server 1 talks to 10.9.9.9 before any agent owns that address.
	r := report(1, 0)
	r.Connections = []agentdata.Connection{{Direction: "outbound", SourceIP: hostIP(1), DestinationIP: "10.9.9.9", DestinationPort: 5432}}
	takeIn(t, svc, r)
	if got := connectionRows(t, db); len(got) != 1 || got[0].dst != "" {
		t.Fatalf("before: %+v", got)
	}
	db2 := report(2, 0)
	db2.NetworkInterfaces = []agentdata.NetworkInterface{{Name: "eth0", IPAddress: "10.9.9.9"}, {Name: "eth1", IPAddress: "fd00::9"}}
	takeIn(t, svc, db2)
	if got := connectionRows(t, db); got[0].dst != discovery.ServerID(acct, agentID(2)) {
		t.Fatalf("after the owner registered: %+v", got)
	}
	var fam string
	db.db.QueryRow(`SELECT family FROM network_interfaces WHERE ip_address = 'fd00::9'`).Scan(&fam)
	if fam != "IPv6" {
		t.Fatalf("family %q", fam)
	}
	// The interface set is replaced when it changes.
	r2 := report(2, 1)
	r2.NetworkInterfaces = []agentdata.NetworkInterface{{Name: "eth0", IPAddress: "10.9.9.10"}}
	takeIn(t, svc, r2)
	var n, nics int
	db.db.QueryRow(`SELECT count(*) FROM network_interfaces WHERE server_id = ?`, discovery.ServerID(acct, agentID(2))).Scan(&n)
	db.db.QueryRow(`SELECT num_nics FROM servers WHERE server_id = ?`, discovery.ServerID(acct, agentID(2))).Scan(&nics)
	if n != 1 || nics != 1 {
		t.Fatalf("%d interfaces, num_nics %d after replacement", n, nics)
	}
}

func TestIntakeAggregatesAcrossBatches(t *testing.T) {
	db, svc := openTest(t)
	var want struct {
		n                int
		cpuSum, cpuMax   float64
		ramMin, diskFree float64
		netWSum, dwSum   float64
	}
	want.ramMin = math.Inf(1)
	for b := range 3 {
		var batch []agentdata.Report
		for i := range 10 {
			step := b*10 + i
			r := report(1, step)
			if step%7 == 3 {
				r.Performance = nil
			} else {
				p := r.Performance
				want.n++
				want.cpuSum += p.CPUUsagePct
				want.cpuMax = max(want.cpuMax, p.CPUUsagePct)
				want.ramMin = min(want.ramMin, p.FreeRAMMB)
				want.diskFree = p.DiskFreeGB
				want.netWSum += p.NetworkWriteKBps
				want.dwSum += p.DiskWriteKBps
			}
			batch = append(batch, r)
		}
		takeIn(t, svc, batch...)
	}
	var (
		n                                         int
		cpuSum, cpuMax, ramMin, diskFree, nw, dws float64
	)
	db.db.QueryRow(`SELECT perf_samples, cpu_sum, cpu_max, free_ram_min, disk_free_gb, net_write_kbps_sum, disk_write_kbps_sum FROM servers`).
		Scan(&n, &cpuSum, &cpuMax, &ramMin, &diskFree, &nw, &dws)
	if n != want.n || cpuSum != want.cpuSum || cpuMax != want.cpuMax || ramMin != want.ramMin || diskFree != want.diskFree || nw != want.netWSum || dws != want.dwSum {
		t.Fatalf("server aggregates n=%d cpu=%v/%v ramMin=%v diskFree=%v nw=%v dw=%v, want %+v", n, cpuSum, cpuMax, ramMin, diskFree, nw, dws, want)
	}
	var samples, sys int
	db.db.QueryRow(`SELECT count(*) FROM perf_samples`).Scan(&samples)
	db.db.QueryRow(`SELECT count(*) FROM system_observations`).Scan(&sys)
	if samples != want.n || sys != 30 {
		t.Fatalf("%d samples, %d system observations", samples, sys)
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
