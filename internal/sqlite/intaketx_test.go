package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/agentdata"
	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// The SQL of intake: what DB.Intake's IntakeTx reads, and how Apply writes
// and merges a plan. The rules that make plans are tested in package agents.

// intake runs fn in an intake transaction of acct.
func intake(t *testing.T, db *DB, fn func(ctx context.Context, tx discovery.IntakeTx) error) {
	t.Helper()
	ctx := context.Background()
	if err := db.Intake(ctx, acct, func(tx discovery.IntakeTx) error { return fn(ctx, tx) }); err != nil {
		t.Fatal(err)
	}
}

func apply(t *testing.T, db *DB, plan *discovery.IntakePlan) {
	t.Helper()
	intake(t, db, func(ctx context.Context, tx discovery.IntakeTx) error { return tx.Apply(ctx, plan) })
}

// TestIntakeApplyMerges applies a plan, then an older one within its time
// span: the merges combine with the stored rows as their types say.
func TestIntakeApplyMerges(t *testing.T) {
	db, _ := openTest(t)
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
	err := db.db.QueryRow(`SELECT host_name, os_name, perf_samples, cpu_sum, cpu_max, disk_free_gb, free_ram_min, net_write_kbps_sum, created_ms, updated_ms
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
	if err := db.db.QueryRow(`SELECT agent_id, is_system, created_ms, last_seen_ms FROM processes WHERE process_id = 'd-process-1'`).
		Scan(&agent, &system, &first, &lastSeen); err != nil {
		t.Fatal(err)
	}
	if agent != agentID(2) || !system || first != ms(t0) || lastSeen != ms(t1) {
		t.Fatalf("process agent=%s system=%v %d..%d", agent, system, first, lastSeen)
	}
	if err := db.db.QueryRow(`SELECT source_server_id, destination_server_id, occurrence, first_ms, latest_ms FROM connections WHERE connection_id = 'c1'`).
		Scan(&src, &dst, &occ, &cFirst, &cLatest); err != nil {
		t.Fatal(err)
	}
	if src != sid || dst != "" || occ != 5 || cFirst != ms(t0) || cLatest != ms(t1) {
		t.Fatalf("connection %s -> %s occurrence %d %d..%d", src, dst, occ, cFirst, cLatest)
	}
	db.db.QueryRow(`SELECT count(*) FROM processes`).Scan(&procs)
	db.db.QueryRow(`SELECT count(*) FROM connections`).Scan(&connsRows)
	if procs != 1 || connsRows != 1 {
		t.Fatalf("%d processes, %d connections", procs, connsRows)
	}

	// A newer merge without samples leaves the free disk space.
	none := server(t1, t1.Add(time.Hour), "newest", 0, 0, false)
	none.Perf, none.DiskFreeGB = discovery.PerfAggregate{}, 0
	apply(t, db, &discovery.IntakePlan{Received: t1, Servers: []discovery.ServerMerge{none}})
	if err := db.db.QueryRow(`SELECT os_name, disk_free_gb, perf_samples FROM servers WHERE server_id = ?`, sid).Scan(&os, &diskFree, &n); err != nil {
		t.Fatal(err)
	}
	if os != "newest" || diskFree != 50 || n != 4 {
		t.Fatalf("after a merge without samples: os=%s diskFree=%v n=%d", os, diskFree, n)
	}
}

// TestIntakeApplyWritesEveryRow writes plans of many rows: every bulk
// statement size is used, and every row arrives with its values.
func TestIntakeApplyWritesEveryRow(t *testing.T) {
	db, _ := openTest(t)
	for _, rows := range []int{1, 2, 3, 45, 128, 300} {
		plan := &discovery.IntakePlan{Received: t0}
		for i := range rows {
			plan.Processes = append(plan.Processes, discovery.ProcessSighting{ID: fmt.Sprintf("d-process-%d-%d", rows, i), ServerID: "s",
				Name: fmt.Sprint(i), FirstMs: int64(i), LastMs: int64(2 * i)})
		}
		apply(t, db, plan)
		var n, sumFirst, sumLast int
		if err := db.db.QueryRow(`SELECT count(*), coalesce(sum(created_ms), 0), coalesce(sum(last_seen_ms), 0) FROM processes WHERE process_id LIKE ?`,
			fmt.Sprintf("d-process-%d-%%", rows)).Scan(&n, &sumFirst, &sumLast); err != nil {
			t.Fatal(err)
		}
		if want := rows * (rows - 1) / 2; n != rows || sumFirst != want || sumLast != 2*want {
			t.Fatalf("%d rows: %d written, created sum %d, last seen sum %d", rows, n, sumFirst, sumLast)
		}
	}
}

// TestIntakeApplyReplacesNICsAndClaims: a NIC set replaces the server's
// interfaces; a claim resolves the endpoints at its IP that are unknown,
// and only those.
func TestIntakeApplyReplacesNICsAndClaims(t *testing.T) {
	db, _ := openTest(t)
	conn := func(id, src, dst, srcIP, dstIP string) discovery.ConnectionSighting {
		return discovery.ConnectionSighting{ID: id, SourceServerID: src, DestServerID: dst, SourceIP: srcIP, DestinationIP: dstIP,
			DestinationPort: 80, IPVersion: "IPv4", TransportProtocol: "tcp", Occurrence: 1}
	}
	nic := func(name, ip string) agentdata.NetworkInterface {
		return agentdata.NetworkInterface{Name: name, IPAddress: ip, Family: "IPv4"}
	}
	apply(t, db, &discovery.IntakePlan{Received: t0,
		NICSets: []discovery.ServerNICs{{ServerID: "s", NICs: []agentdata.NetworkInterface{nic("eth0", "10.0.0.1"), nic("eth1", "10.0.0.2")}}},
		Connections: []discovery.ConnectionSighting{
			conn("c1", "a", "", "10.1.1.1", "10.0.0.9"),
			conn("c2", "a", "kept", "10.1.1.1", "10.0.0.9"),
			conn("c3", "", "b", "10.0.0.9", "10.1.1.2"),
			conn("c4", "", "", "10.0.0.8", "10.0.0.7"),
		}})
	apply(t, db, &discovery.IntakePlan{Received: t0,
		NICSets: []discovery.ServerNICs{{ServerID: "s", NICs: []agentdata.NetworkInterface{nic("eth0", "10.0.0.9")}}},
		Claims:  []discovery.IPClaim{{IP: "10.0.0.9", ServerID: "s"}}})
	var nics []string
	err := eachRow(context.Background(), db.db, `SELECT name || ' ' || ip_address FROM network_interfaces WHERE server_id = 's' ORDER BY 1`, nil, func(rows *sql.Rows) error {
		var n string
		err := rows.Scan(&n)
		nics = append(nics, n)
		return err
	})
	if err != nil || !reflect.DeepEqual(nics, []string{"eth0 10.0.0.9"}) {
		t.Fatalf("interfaces %v, %v", nics, err)
	}
	var got []string
	err = eachRow(context.Background(), db.db, `SELECT connection_id || ' ' || source_server_id || '>' || destination_server_id FROM connections ORDER BY 1`, nil, func(rows *sql.Rows) error {
		var c string
		err := rows.Scan(&c)
		got = append(got, c)
		return err
	})
	if want := []string{"c1 a>s", "c2 a>kept", "c3 s>b", "c4 >"}; err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("connections %v, want %v (%v)", got, want, err)
	}
}

// TestIntakeApplyRecordsReports: accepted and dropped reports are recorded
// with the time the batch arrived, duplicates are not.
func TestIntakeApplyRecordsReports(t *testing.T) {
	db, _ := openTest(t)
	r := func(id string) *discovery.AgentReport {
		return &discovery.AgentReport{Report: &agentdata.Report{ReportID: id, AgentID: agentID(1)}, TimeMs: ms(t0)}
	}
	apply(t, db, &discovery.IntakePlan{Received: t0.Add(time.Minute), Verdicts: []discovery.ReportVerdict{
		{Report: r("a"), Verdict: discovery.ReportAccepted},
		{Report: r("b"), Verdict: discovery.ReportDuplicate},
		{Report: r("c"), Verdict: discovery.ReportDropped, Reason: "why"},
	}})
	var got []string
	err := eachRow(context.Background(), db.db, `SELECT report_id, received_ms FROM agent_reports ORDER BY report_id`, nil, func(rows *sql.Rows) error {
		var (
			id string
			at int64
		)
		err := rows.Scan(&id, &at)
		got = append(got, fmt.Sprintf("%s@%d", id, at-ms(t0)))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a@60000", "c@60000"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("recorded %v, want %v", got, want)
	}
}

// TestIntakeTxReads: the reads see the account's stored state.
func TestIntakeTxReads(t *testing.T) {
	db, svc := openTest(t)
	r0 := report(1, 0)
	r0.Processes = []agentdata.Process{{PID: 7, Name: "old"}}
	r1 := report(1, 2)
	r1.Processes = []agentdata.Process{{PID: 7, Name: "new", Path: "/bin/new", CommandLine: "new -x"}, {PID: 8, Name: "other"}}
	r2 := report(2, 0)
	r2.NetworkInterfaces = append(r2.NetworkInterfaces, agentdata.NetworkInterface{Name: "eth1", IPAddress: hostIP(1)})
	takeIn(t, svc, r0, r1, r2)
	// An imported server at agent 1's IP owns no connection endpoint.
	if _, err := db.db.Exec(`INSERT INTO servers (account_id, server_id, agent_id, source, created_ms, updated_ms) VALUES (?, 'd-server-imported', '', 'Import', 0, 0)`, acct); err != nil {
		t.Fatal(err)
	}
	if _, err := db.db.Exec(`INSERT INTO network_interfaces (account_id, server_id, name, ip_address) VALUES (?, 'd-server-imported', 'eth0', ?)`, acct, hostIP(1)); err != nil {
		t.Fatal(err)
	}
	s1, s2 := discovery.ServerID(acct, agentID(1)), discovery.ServerID(acct, agentID(2))

	intake(t, db, func(ctx context.Context, tx discovery.IntakeTx) error {
		ids, err := tx.ReportedIDs(ctx, []string{r0.ReportID, "unknown", r2.ReportID})
		if err != nil || !reflect.DeepEqual(ids, map[string]bool{r0.ReportID: true, r2.ReportID: true}) {
			t.Errorf("ReportedIDs = %v, %v", ids, err)
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
		if err != nil || !reflect.DeepEqual(owners, map[string][]string{hostIP(1): sorted(s1, s2), hostIP(2): {s2}}) {
			t.Errorf("IPOwners = %v, %v", owners, err)
		}
		l := func(at time.Time, pid int) discovery.ProcessLookup {
			return discovery.ProcessLookup{AgentID: agentID(1), AtMs: ms(at), PID: pid}
		}
		procs, err := tx.EarlierProcesses(ctx, []discovery.ProcessLookup{l(t0, 7), l(t0, 8), l(t0.Add(time.Hour), 7), l(t0.Add(time.Hour), 9)})
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
}

func sorted(a, b string) []string {
	if b < a {
		return []string{b, a}
	}
	return []string{a, b}
}
