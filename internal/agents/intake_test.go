package agents_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/agentdata"
	"github.com/poseidon-ads/poseidon/internal/agentdata/agentdatatest"
	"github.com/poseidon-ads/poseidon/internal/agents"
	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/pagetoken"
)

// The intake rules' tests run on each real store (eachStore) and read its
// tables through a second handle on the same database.

// openIntake returns the store, its reading handle and a service over it.
func openIntake(t testing.TB, st *testStore) (store, rawDB, *agents.Service) {
	t.Helper()
	svc := agents.New(agents.Config{Store: st, Now: func() time.Time { return t0.Add(100 * time.Hour) }, Tokens: pagetoken.New([]byte("k"))})
	return st.store, st.raw, svc
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
func counts(t testing.TB, raw rawDB) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, tab := range dataTables {
		var n int
		if err := raw.QueryRow(`SELECT count(*) FROM ` + tab).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[tab] = n
	}
	return out
}

// connection is the aggregated row of a connection.
type connection struct {
	src, dst, srcIP, dstIP, srcProc, dstProc string
	port, occurrence                         int
	first, latest                            int64
}

func connectionRows(t *testing.T, raw rawDB) []connection {
	t.Helper()
	rows, err := raw.Query(`SELECT source_server_id, destination_server_id, source_ip, destination_ip, source_process_id,
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

func TestIntakeRegistersAgentAndServer(t *testing.T) {
	eachStore(t, func(t *testing.T, st *testStore) {
		db, raw, svc := openIntake(t, st)
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
		err = raw.QueryRow(`SELECT server_type, host_name, perf_samples, num_nics, cpu_sum, cpu_max, free_ram_min, disk_free_gb,
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
		if err := raw.QueryRow(`SELECT process_id, name FROM processes WHERE account_id = ?`, acct).Scan(&pid, &name); err != nil {
			t.Fatal(err)
		}
		if pid != discovery.ProcessID(acct, a.ServerID, "nginx", "/usr/sbin/nginx", "nginx -g daemon off;") || name != "nginx" {
			t.Fatalf("process %s %s", pid, name)
		}
	})
}

func TestIntakeIdempotent(t *testing.T) {
	eachStore(t, func(t *testing.T, st *testStore) {
		_, raw, svc := openIntake(t, st)
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
		before := counts(t, raw)
		var occ int
		raw.QueryRow(`SELECT sum(occurrence) FROM connections`).Scan(&occ)
		res := takeIn(t, svc, batch...)
		if res.Accepted != 0 || res.Duplicates != 12 || res.Dropped != 0 || len(res.DroppedReports) != 0 {
			t.Fatalf("second = %+v", res)
		}
		after := counts(t, raw)
		for k, v := range before {
			if after[k] != v {
				t.Errorf("%s: %d rows before, %d after a retried batch", k, v, after[k])
			}
		}
		var occ2, samples int
		raw.QueryRow(`SELECT sum(occurrence) FROM connections`).Scan(&occ2)
		raw.QueryRow(`SELECT sum(perf_samples) FROM servers`).Scan(&samples)
		if occ2 != occ || occ != 12 || samples != 12 {
			t.Fatalf("occurrences %d then %d, samples %d", occ, occ2, samples)
		}
		// A batch mixing old and new reports takes in only the new ones.
		mixed := append([]agentdata.Report{report(1, 9)}, batch[:2]...)
		if res := takeIn(t, svc, mixed...); res.Accepted != 1 || res.Duplicates != 2 {
			t.Fatalf("mixed = %+v", res)
		}
	})
}

func TestIntakeInvalidStoresNothing(t *testing.T) {
	eachStore(t, func(t *testing.T, st *testStore) {
		_, raw, svc := openIntake(t, st)
		bad := report(2, 1)
		bad.Connections = []agentdata.Connection{{Direction: "sideways", SourceIP: "10.0.0.1", DestinationIP: "10.0.0.2", DestinationPort: 80}}
		_, err := svc.Intake(context.Background(), acct, &agentdata.Batch{Reports: []agentdata.Report{report(1, 0), report(1, 1), bad}})
		var de *discovery.Error
		if !errors.As(err, &de) || de.Code != discovery.InvalidParameterValue || de.Message != "Invalid agent report batch: reports[2].connections[0].direction: must be outbound or inbound" {
			t.Fatalf("err = %v", err)
		}
		for k, v := range counts(t, raw) {
			if v != 0 {
				t.Errorf("%s has %d rows after a refused batch", k, v)
			}
		}
		if _, err := svc.Intake(context.Background(), acct, &agentdata.Batch{}); !errors.As(err, &de) || de.Code != discovery.InvalidParameterValue {
			t.Fatalf("empty batch: %v", err)
		}
	})
}

func TestIntakeStoppedAgentDropsData(t *testing.T) {
	eachStore(t, func(t *testing.T, st *testStore) {
		db, raw, svc := openIntake(t, st)
		ctx := context.Background()
		takeIn(t, svc, report(1, 0))
		before := counts(t, raw)
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
		after := counts(t, raw)
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
	})
}

func TestIntakeSameMomentTwice(t *testing.T) {
	eachStore(t, func(t *testing.T, st *testStore) {
		_, _, svc := openIntake(t, st)
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
	})
}

func TestIntakeConnectionsCountedOnce(t *testing.T) {
	eachStore(t, func(t *testing.T, st *testStore) {
		_, raw, svc := openIntake(t, st)
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
		got := connectionRows(t, raw)
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
		raw.QueryRow(`SELECT count(*) FROM connection_observations`).Scan(&obs)
		if obs != 9 {
			t.Fatalf("%d connection observations, want 9 (every one is kept)", obs)
		}

		// A later batch: the PID mapping carries over from the stored process list.
		w := report(web, 3)
		w.Connections = []agentdata.Connection{{Direction: "outbound", SourceIP: hostIP(web), DestinationIP: hostIP(app), DestinationPort: 8080, PID: 77}}
		takeIn(t, svc, w)
		if got := connectionRows(t, raw); got[0].occurrence != 4 || got[0].srcProc != nginx || len(got) != 2 {
			t.Fatalf("after a later batch: %+v", got)
		}
	})
}

func TestIntakeBackfillsEndpoints(t *testing.T) {
	eachStore(t, func(t *testing.T, st *testStore) {
		_, raw, svc := openIntake(t, st)
		// Server 1 talks to 10.9.9.9 before any agent owns that address.
		r := report(1, 0)
		r.Connections = []agentdata.Connection{{Direction: "outbound", SourceIP: hostIP(1), DestinationIP: "10.9.9.9", DestinationPort: 5432}}
		takeIn(t, svc, r)
		if got := connectionRows(t, raw); len(got) != 1 || got[0].dst != "" {
			t.Fatalf("before: %+v", got)
		}
		db2 := report(2, 0)
		db2.NetworkInterfaces = []agentdata.NetworkInterface{{Name: "eth0", IPAddress: "10.9.9.9"}, {Name: "eth1", IPAddress: "fd00::9"}}
		takeIn(t, svc, db2)
		if got := connectionRows(t, raw); got[0].dst != discovery.ServerID(acct, agentID(2)) {
			t.Fatalf("after the owner registered: %+v", got)
		}
		var fam string
		raw.QueryRow(`SELECT family FROM network_interfaces WHERE ip_address = 'fd00::9'`).Scan(&fam)
		if fam != "IPv6" {
			t.Fatalf("family %q", fam)
		}
		// The interface set is replaced when it changes.
		r2 := report(2, 1)
		r2.NetworkInterfaces = []agentdata.NetworkInterface{{Name: "eth0", IPAddress: "10.9.9.10"}}
		takeIn(t, svc, r2)
		var n, nics int
		raw.QueryRow(`SELECT count(*) FROM network_interfaces WHERE server_id = ?`, discovery.ServerID(acct, agentID(2))).Scan(&n)
		raw.QueryRow(`SELECT num_nics FROM servers WHERE server_id = ?`, discovery.ServerID(acct, agentID(2))).Scan(&nics)
		if n != 1 || nics != 1 {
			t.Fatalf("%d interfaces, num_nics %d after replacement", n, nics)
		}
	})
}

func TestIntakeAggregatesAcrossBatches(t *testing.T) {
	eachStore(t, func(t *testing.T, st *testStore) {
		_, raw, svc := openIntake(t, st)
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
		raw.QueryRow(`SELECT perf_samples, cpu_sum, cpu_max, free_ram_min, disk_free_gb, net_write_kbps_sum, disk_write_kbps_sum FROM servers`).
			Scan(&n, &cpuSum, &cpuMax, &ramMin, &diskFree, &nw, &dws)
		if n != want.n || cpuSum != want.cpuSum || cpuMax != want.cpuMax || ramMin != want.ramMin || diskFree != want.diskFree || nw != want.netWSum || dws != want.dwSum {
			t.Fatalf("server aggregates n=%d cpu=%v/%v ramMin=%v diskFree=%v nw=%v dw=%v, want %+v", n, cpuSum, cpuMax, ramMin, diskFree, nw, dws, want)
		}
		var samples, sys int
		raw.QueryRow(`SELECT count(*) FROM perf_samples`).Scan(&samples)
		raw.QueryRow(`SELECT count(*) FROM system_observations`).Scan(&sys)
		if samples != want.n || sys != 30 {
			t.Fatalf("%d samples, %d system observations", samples, sys)
		}
	})
}

// TestIntakeResolvesEndpointsAsOfTheBatch: a connection's remote server is
// the one that has the IP once the batch is stored, also when the batch
// moves a server to another IP.
func TestIntakeResolvesEndpointsAsOfTheBatch(t *testing.T) {
	eachStore(t, func(t *testing.T, st *testStore) {
		_, raw, svc := openIntake(t, st)
		moved := report(2, 0)
		moved.NetworkInterfaces = []agentdata.NetworkInterface{{Name: "eth0", IPAddress: "10.9.9.9"}}
		takeIn(t, svc, moved)

		next := report(2, 1)
		next.NetworkInterfaces = []agentdata.NetworkInterface{{Name: "eth0", IPAddress: "10.9.9.10"}}
		client := report(1, 1)
		client.Connections = []agentdata.Connection{
			{Direction: "outbound", SourceIP: hostIP(1), DestinationIP: "10.9.9.9", DestinationPort: 5432},
			{Direction: "outbound", SourceIP: hostIP(1), DestinationIP: "10.9.9.10", DestinationPort: 5432},
		}
		if res := takeIn(t, svc, client, next); res.Accepted != 2 {
			t.Fatalf("result = %+v", res)
		}
		got := connectionRows(t, raw)
		if len(got) != 2 || got[0].dstIP != "10.9.9.10" || got[0].dst != discovery.ServerID(acct, agentID(2)) ||
			got[1].dstIP != "10.9.9.9" || got[1].dst != "" {
			t.Fatalf("connections %+v: want 10.9.9.10 on agent 2's server, 10.9.9.9 on none", got)
		}
	})
}
