package agents_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/agentdata"
	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// What a store's Intake gives the rules, on each store: the reads of its
// IntakeTx, and how Apply writes and merges a plan (the contract of
// discovery.IntakeTx and discovery.IntakePlan).

func ms(t time.Time) int64 { return t.UnixMilli() }

// intake runs fn in an intake transaction of acct.
func intake(t *testing.T, db store, fn func(ctx context.Context, tx discovery.IntakeTx) error) {
	t.Helper()
	ctx := context.Background()
	if err := db.Intake(ctx, acct, func(tx discovery.IntakeTx) error { return fn(ctx, tx) }); err != nil {
		t.Fatal(err)
	}
}

func apply(t *testing.T, db store, plan *discovery.IntakePlan) {
	t.Helper()
	intake(t, db, func(ctx context.Context, tx discovery.IntakeTx) error { return tx.Apply(ctx, plan) })
}

// TestIntakeApplyMerges applies a plan, then an older one within its time
// span: the merges combine with the stored rows as their types say.
func TestIntakeApplyMerges(t *testing.T) {
	eachStore(t, func(t *testing.T, st *testStore) {
		db, raw := st.store, st.raw
		t1, mid := t0.Add(time.Hour), t0.Add(30*time.Minute)
		sid := discovery.ServerID(acct, agentID(1))
		server := func(created, updated time.Time, os string, cpu float64, freeMin float64, minKnown bool) discovery.ServerMerge {
			return discovery.ServerMerge{Server: discovery.Server{ID: sid, AgentID: agentID(1), Source: "Agent", HostName: "host-" + os,
				OSName: os, NumCPUs: 2, NumNICs: 1, Created: created, Updated: updated,
				Perf: discovery.PerfAggregate{Samples: 2, CPUSum: cpu, CPUMax: cpu, FreeRAMMin: freeMin, FreeRAMMinKnown: minKnown, NetWriteKBpsSum: 1}},
				DiskFreeGB: cpu}
		}
		newer := &discovery.IntakePlan{Received: t1,
			Servers:     []discovery.ServerMerge{server(t0, t1, "new", 50, 700, true)},
			Processes:   []discovery.ProcessSighting{{ID: "d-process-1", ServerID: sid, AgentID: agentID(1), Name: "nginx", FirstMs: ms(t0), LastMs: ms(t1)}},
			Connections: []discovery.ConnectionSighting{{ID: "c1", SourceServerID: sid, SourceIP: "10.0.0.1", DestinationIP: "10.0.0.2", DestinationPort: 80, IPVersion: "IPv4", TransportProtocol: "tcp", Occurrence: 3, FirstMs: ms(t0), LatestMs: ms(t1)}},
		}
		apply(t, db, newer)
		older := &discovery.IntakePlan{Received: t1,
			Servers:     []discovery.ServerMerge{server(mid, mid, "old", 90, 0, false)},
			HostNames:   []discovery.ServerHostName{{ServerID: sid, HostName: "renamed"}},
			Processes:   []discovery.ProcessSighting{{ID: "d-process-1", ServerID: sid, AgentID: agentID(2), Name: "nginx", IsSystem: true, FirstMs: ms(mid), LastMs: ms(mid)}},
			Connections: []discovery.ConnectionSighting{{ID: "c1", SourceServerID: "other", DestServerID: "other", SourceIP: "10.0.0.1", DestinationIP: "10.0.0.2", DestinationPort: 80, IPVersion: "IPv4", TransportProtocol: "tcp", Occurrence: 2, FirstMs: ms(mid), LatestMs: ms(mid)}},
		}
		apply(t, db, older)

		var (
			host, os                 string
			n                        int
			cpuSum, cpuMax, diskFree float64
			freeMin                  float64
			nw                       float64
			created, updated         int64
		)
		err := raw.QueryRow(`SELECT host_name, os_name, perf_samples, cpu_sum, cpu_max, disk_free_gb, free_ram_min, net_write_kbps_sum, created_ms, updated_ms
		FROM servers WHERE account_id = ? AND server_id = ?`, acct, sid).Scan(&host, &os, &n, &cpuSum, &cpuMax, &diskFree, &freeMin, &nw, &created, &updated)
		if err != nil {
			t.Fatal(err)
		}
		// Descriptive fields and the free disk follow the newer merge; the host
		// name only the rename; sums add; maxima and minima combine.
		if host != "renamed" || os != "new" || n != 4 || cpuSum != 140 || cpuMax != 90 || diskFree != 50 || freeMin != 700 || nw != 2 ||
			created != ms(t0) || updated != ms(t1) {
			t.Fatalf("server host=%s os=%s n=%d cpu=%v/%v diskFree=%v freeMin=%v nw=%v %d..%d", host, os, n, cpuSum, cpuMax, diskFree, freeMin, nw, created, updated)
		}

		var (
			agent            string
			system           bool
			first, lastSeen  int64
			src, dst         string
			occ              int
			cFirst, cLatest  int64
			procs, connsRows int
		)
		if err := raw.QueryRow(`SELECT agent_id, is_system, created_ms, last_seen_ms FROM processes WHERE process_id = 'd-process-1'`).
			Scan(&agent, &system, &first, &lastSeen); err != nil {
			t.Fatal(err)
		}
		if agent != agentID(2) || !system || first != ms(t0) || lastSeen != ms(t1) {
			t.Fatalf("process agent=%s system=%v %d..%d", agent, system, first, lastSeen)
		}
		if err := raw.QueryRow(`SELECT source_server_id, destination_server_id, occurrence, first_ms, latest_ms FROM connections WHERE connection_id = 'c1'`).
			Scan(&src, &dst, &occ, &cFirst, &cLatest); err != nil {
			t.Fatal(err)
		}
		if src != sid || dst != "" || occ != 5 || cFirst != ms(t0) || cLatest != ms(t1) {
			t.Fatalf("connection %s -> %s occurrence %d %d..%d", src, dst, occ, cFirst, cLatest)
		}
		raw.QueryRow(`SELECT count(*) FROM processes`).Scan(&procs)
		raw.QueryRow(`SELECT count(*) FROM connections`).Scan(&connsRows)
		if procs != 1 || connsRows != 1 {
			t.Fatalf("%d processes, %d connections", procs, connsRows)
		}

		// A newer merge without samples leaves the free disk space, and one
		// without a known minimum the minimum.
		none := server(t1, t1.Add(time.Hour), "newest", 0, 0, false)
		none.Perf, none.DiskFreeGB = discovery.PerfAggregate{}, 0
		apply(t, db, &discovery.IntakePlan{Received: t1, Servers: []discovery.ServerMerge{none}})
		if err := raw.QueryRow(`SELECT os_name, disk_free_gb, perf_samples, free_ram_min FROM servers WHERE server_id = ?`, sid).Scan(&os, &diskFree, &n, &freeMin); err != nil {
			t.Fatal(err)
		}
		if os != "newest" || diskFree != 50 || n != 4 || freeMin != 700 {
			t.Fatalf("after a merge without samples: os=%s diskFree=%v n=%d freeMin=%v", os, diskFree, n, freeMin)
		}
	})
}

// A plan that names a key twice (which the rules do not make, but a plan
// may) applies as two plans in its order would: the merges add up and the
// last rename of a stored server holds.
func TestIntakeApplyRepeatedKeys(t *testing.T) {
	eachStore(t, func(t *testing.T, st *testStore) {
		proc := func(agent string, first, last int64) discovery.ProcessSighting {
			return discovery.ProcessSighting{ID: "d-process-1", ServerID: "s", AgentID: agent, Name: "p", FirstMs: first, LastMs: last}
		}
		conn := func(n int, first, last int64) discovery.ConnectionSighting {
			return discovery.ConnectionSighting{ID: "c1", SourceIP: "10.0.0.1", DestinationIP: "10.0.0.2", DestinationPort: 80, IPVersion: "IPv4",
				TransportProtocol: "tcp", Occurrence: n, FirstMs: first, LatestMs: last}
		}
		srv := func(samples int64, updated time.Time, os string) discovery.ServerMerge {
			return discovery.ServerMerge{Server: discovery.Server{ID: "s", AgentID: agentID(1), Source: "Agent", OSName: os, Created: updated, Updated: updated,
				Perf: discovery.PerfAggregate{Samples: samples, CPUSum: float64(samples)}}}
		}
		// HostNames rename stored servers.
		apply(t, st.store, &discovery.IntakePlan{Received: t0, Servers: []discovery.ServerMerge{srv(1, t0, "a")}})
		apply(t, st.store, &discovery.IntakePlan{Received: t0,
			Servers:     []discovery.ServerMerge{srv(2, t0.Add(time.Hour), "b"), srv(4, t0.Add(time.Minute), "c")},
			HostNames:   []discovery.ServerHostName{{ServerID: "s", HostName: "h1"}, {ServerID: "s", HostName: "h2"}},
			Processes:   []discovery.ProcessSighting{proc("a1", 5, 6), proc("a2", 3, 4), proc("a3", 7, 9)},
			Connections: []discovery.ConnectionSighting{conn(1, 5, 6), conn(2, 3, 4), conn(4, 7, 9)},
		})
		var (
			os, host                                       string
			cpu                                            float64
			samples, created, updated, first, last, nConns int64
			agent                                          string
		)
		if err := st.raw.QueryRow(`SELECT os_name, perf_samples, cpu_sum, created_ms, updated_ms, host_name FROM servers`).
			Scan(&os, &samples, &cpu, &created, &updated, &host); err != nil {
			t.Fatal(err)
		}
		if os != "b" || samples != 7 || cpu != 7 || created != ms(t0) || updated != ms(t0.Add(time.Hour)) || host != "h2" {
			t.Fatalf("server os=%s samples=%v cpu=%v %d..%d host=%s", os, samples, cpu, created, updated, host)
		}
		if err := st.raw.QueryRow(`SELECT agent_id, created_ms, last_seen_ms FROM processes`).Scan(&agent, &first, &last); err != nil ||
			agent != "a3" || first != 3 || last != 9 {
			t.Fatalf("process %s %d..%d, %v", agent, first, last, err)
		}
		if err := st.raw.QueryRow(`SELECT occurrence, first_ms, latest_ms FROM connections`).Scan(&nConns, &first, &last); err != nil ||
			nConns != 7 || first != 3 || last != 9 {
			t.Fatalf("connection %d %d..%d, %v", nConns, first, last, err)
		}
	})
}

// TestIntakeApplyWritesEveryRow writes plans of many rows: every row
// arrives with its values, whatever the statements they are written by.
func TestIntakeApplyWritesEveryRow(t *testing.T) {
	eachStore(t, func(t *testing.T, st *testStore) {
		for _, rows := range []int{1, 2, 3, 45, 128, 300, 5000} {
			plan := &discovery.IntakePlan{Received: t0}
			for i := range rows {
				plan.Processes = append(plan.Processes, discovery.ProcessSighting{ID: fmt.Sprintf("d-process-%d-%d", rows, i), ServerID: "s",
					Name: fmt.Sprint(i), FirstMs: int64(i), LastMs: int64(2 * i)})
			}
			apply(t, st.store, plan)
			var n, sumFirst, sumLast int
			if err := st.raw.QueryRow(`SELECT count(*), coalesce(sum(created_ms), 0), coalesce(sum(last_seen_ms), 0) FROM processes WHERE process_id LIKE ?`,
				fmt.Sprintf("d-process-%d-%%", rows)).Scan(&n, &sumFirst, &sumLast); err != nil {
				t.Fatal(err)
			}
			if want := rows * (rows - 1) / 2; n != rows || sumFirst != want || sumLast != 2*want {
				t.Fatalf("%d rows: %d written, created sum %d, last seen sum %d", rows, n, sumFirst, sumLast)
			}
		}
	})
}

// TestIntakeApplyReplacesNICsAndClaims: a NIC set replaces the server's
// interfaces; a claim resolves the endpoints at its IP that are unknown,
// and only those, both ends of a connection from an IP to itself too; the
// first claim of an IP takes its endpoints.
func TestIntakeApplyReplacesNICsAndClaims(t *testing.T) {
	eachStore(t, func(t *testing.T, st *testStore) {
		conn := func(id, src, dst, srcIP, dstIP string) discovery.ConnectionSighting {
			return discovery.ConnectionSighting{ID: id, SourceServerID: src, DestServerID: dst, SourceIP: srcIP, DestinationIP: dstIP,
				DestinationPort: 80, IPVersion: "IPv4", TransportProtocol: "tcp", Occurrence: 1}
		}
		nic := func(name, ip string) agentdata.NetworkInterface {
			return agentdata.NetworkInterface{Name: name, IPAddress: ip, Family: "IPv4"}
		}
		apply(t, st.store, &discovery.IntakePlan{Received: t0,
			NICSets: []discovery.ServerNICs{
				{ServerID: "s", NICs: []agentdata.NetworkInterface{nic("eth0", "10.0.0.1"), nic("eth1", "10.0.0.2")}},
				{ServerID: "o", NICs: []agentdata.NetworkInterface{nic("eth0", "10.0.0.5")}},
			},
			Connections: []discovery.ConnectionSighting{
				conn("c1", "a", "", "10.1.1.1", "10.0.0.9"),
				conn("c2", "a", "kept", "10.1.1.1", "10.0.0.9"),
				conn("c3", "", "b", "10.0.0.9", "10.1.1.2"),
				conn("c4", "", "", "10.0.0.8", "10.0.0.7"),
				conn("c5", "", "", "10.0.0.9", "10.0.0.9"),
				conn("c6", "", "", "10.0.0.6", "10.0.0.9"),
			}})
		apply(t, st.store, &discovery.IntakePlan{Received: t0,
			NICSets: []discovery.ServerNICs{{ServerID: "s", NICs: []agentdata.NetworkInterface{nic("eth0", "10.0.0.9")}}},
			Claims:  []discovery.IPClaim{{IP: "10.0.0.9", ServerID: "s"}, {IP: "10.0.0.6", ServerID: "t"}, {IP: "10.0.0.9", ServerID: "u"}}})
		if got := st.Strings(t, `SELECT server_id || ' ' || name || ' ' || ip_address FROM network_interfaces ORDER BY 1`); !slices.Equal(got,
			[]string{"o eth0 10.0.0.5", "s eth0 10.0.0.9"}) {
			t.Fatalf("interfaces %v", got)
		}
		got := st.Strings(t, `SELECT connection_id || ' ' || source_server_id || '>' || destination_server_id FROM connections ORDER BY 1`)
		if want := []string{"c1 a>s", "c2 a>kept", "c3 s>b", "c4 >", "c5 s>s", "c6 t>s"}; !slices.Equal(got, want) {
			t.Fatalf("connections %v, want %v", got, want)
		}
	})
}

// TestIntakeApplyRecordsReports: accepted and dropped reports are recorded
// with the time the batch arrived, duplicates are not.
func TestIntakeApplyRecordsReports(t *testing.T) {
	eachStore(t, func(t *testing.T, st *testStore) {
		r := func(id string) *discovery.AgentReport {
			return &discovery.AgentReport{Report: &agentdata.Report{ReportID: id, AgentID: agentID(1)}, TimeMs: ms(t0)}
		}
		apply(t, st.store, &discovery.IntakePlan{Received: t0.Add(time.Minute), Verdicts: []discovery.ReportVerdict{
			{Report: r("a"), Verdict: discovery.ReportAccepted},
			{Report: r("b"), Verdict: discovery.ReportDuplicate},
			{Report: r("c"), Verdict: discovery.ReportDropped, Reason: "why"},
		}})
		got := st.Strings(t, `SELECT report_id || '@' || (received_ms - ?) FROM agent_reports ORDER BY report_id`, ms(t0))
		if want := []string{"a@60000", "c@60000"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("recorded %v, want %v", got, want)
		}
	})
}

// TestIntakeTxReads: the reads see the account's stored state.
func TestIntakeTxReads(t *testing.T) {
	eachStore(t, func(t *testing.T, st *testStore) {
		db, _, svc := openIntake(t, st)
		r0 := report(1, 0)
		r0.Processes = []agentdata.Process{{PID: 7, Name: "old"}}
		r1 := report(1, 2)
		r1.Processes = []agentdata.Process{{PID: 7, Name: "new", Path: "/bin/new", CommandLine: "new -x"}, {PID: 8, Name: "other"}}
		r2 := report(2, 0)
		r2.NetworkInterfaces = append(r2.NetworkInterfaces, agentdata.NetworkInterface{Name: "eth1", IPAddress: hostIP(1)})
		takeIn(t, svc, r0, r1, r2)
		// An imported server at agent 1's IP owns no connection endpoint.
		st.Exec(t, `INSERT INTO servers (account_id, server_id, agent_id, source, created_ms, updated_ms) VALUES (?, 'd-server-imported', '', 'Import', 0, 0)`, acct)
		st.Exec(t, `INSERT INTO network_interfaces (account_id, server_id, name, ip_address) VALUES (?, 'd-server-imported', 'eth0', ?)`, acct, hostIP(1))
		s1, s2 := discovery.ServerID(acct, agentID(1)), discovery.ServerID(acct, agentID(2))

		intake(t, db, func(ctx context.Context, tx discovery.IntakeTx) error {
			ids, err := tx.ReportedIDs(ctx, []string{r0.ReportID, "unknown", r2.ReportID})
			if err != nil || !reflect.DeepEqual(ids, map[string]bool{r0.ReportID: true, r2.ReportID: true}) {
				t.Errorf("ReportedIDs = %v, %v", ids, err)
			}
			if ids, err := tx.ReportedIDs(ctx, nil); err != nil || len(ids) != 0 {
				t.Errorf("ReportedIDs(nil) = %v, %v", ids, err)
			}
			m := func(n int, at time.Time) discovery.AgentMoment {
				return discovery.AgentMoment{AgentID: agentID(n), TimeMs: ms(at)}
			}
			moments, err := tx.MomentsWithData(ctx, []discovery.AgentMoment{m(1, t0), m(1, t0.Add(15*time.Minute)), m(2, t0), m(3, t0)})
			if err != nil || !reflect.DeepEqual(moments, map[discovery.AgentMoment]bool{m(1, t0): true, m(2, t0): true}) {
				t.Errorf("MomentsWithData = %v, %v", moments, err)
			}
			agents, err := tx.Agents(ctx, []string{agentID(2), agentID(3)})
			if err != nil || len(agents) != 1 || agents[agentID(2)].HostName != "host-2" || agents[agentID(2)].ServerID != s2 {
				t.Errorf("Agents = %v, %v", agents, err)
			}
			servers, err := tx.Servers(ctx, []string{s1, "d-server-imported", "d-server-none"})
			want := map[string]*discovery.IntakeServer{
				s1:                  {ID: s1, AgentID: agentID(1), HostName: "host-1", UpdatedMs: ms(t0.Add(30 * time.Minute))},
				"d-server-imported": {ID: "d-server-imported"},
			}
			if err != nil || !reflect.DeepEqual(servers, want) {
				t.Errorf("Servers = %v, %v", servers, err)
			}
			nics, err := tx.NICs(ctx, []string{s2})
			if err != nil || len(nics[s2]) != 2 || nics[s2][0].Name != "eth0" || nics[s2][1].IPAddress != hostIP(1) {
				t.Errorf("NICs = %v, %v", nics, err)
			}
			owners, err := tx.IPOwners(ctx, []string{hostIP(1), hostIP(2), "192.0.2.1"})
			if err != nil || !reflect.DeepEqual(owners, map[string][]string{hostIP(1): slices.Sorted(slices.Values([]string{s1, s2})), hostIP(2): {s2}}) {
				t.Errorf("IPOwners = %v, %v", owners, err)
			}
			l := func(at time.Time, pid int) discovery.ProcessLookup {
				return discovery.ProcessLookup{AgentID: agentID(1), AtMs: ms(at), PID: pid}
			}
			procs, err := tx.EarlierProcesses(ctx, []discovery.ProcessLookup{l(t0, 7), l(t0, 8), l(t0.Add(time.Hour), 7), l(t0.Add(time.Hour), 9), l(t0.Add(-time.Hour), 7)})
			wantProcs := map[discovery.ProcessLookup]agentdata.Process{
				l(t0, 7):                {PID: 7, Name: "old"},
				l(t0.Add(time.Hour), 7): {PID: 7, Name: "new", Path: "/bin/new", CommandLine: "new -x"},
			}
			if err != nil || !reflect.DeepEqual(procs, wantProcs) {
				t.Errorf("EarlierProcesses = %v, %v", procs, err)
			}
			return nil
		})
		// Another account sees none of it.
		err := db.Intake(context.Background(), "222222222222", func(tx discovery.IntakeTx) error {
			ids, err := tx.ReportedIDs(context.Background(), []string{r0.ReportID})
			if err != nil || len(ids) != 0 {
				t.Errorf("another account's ReportedIDs = %v, %v", ids, err)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
