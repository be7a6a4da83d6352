package storetest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/agentdata"
	"github.com/poseidon-ads/poseidon/internal/agents"
	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/inventory"
)

// The store side of intake: what an IntakeTx reads, and how Apply writes
// and merges a plan, each read back through the store. The rules that make
// plans (duplicates, stopped agents, moments reported twice) run through
// the agents service in agents.go.

// intakeTx runs fn in an intake transaction of account and fails the test
// on an error.
func intakeTx(t *testing.T, s agents.Store, account string, fn func(c context.Context, tx discovery.IntakeTx) error) {
	t.Helper()
	c := ctx(t)
	must(t, s.Intake(c, account, func(tx discovery.IntakeTx) error { return fn(c, tx) }))
}

// apply applies plan in account.
func apply(t *testing.T, s agents.Store, account string, plan *discovery.IntakePlan) {
	t.Helper()
	intakeTx(t, s, account, func(c context.Context, tx discovery.IntakeTx) error { return tx.Apply(c, plan) })
}

// msOf is t in epoch milliseconds.
func msOf(t time.Time) int64 { return t.UnixMilli() }

// The reads see the account's stored state: reports and moments taken
// in, agents, servers (an imported one too), interfaces, the agents'
// servers at an IP (an imported server owns no endpoint), and the latest
// process list at or before a time. Another account's reads see none of it.
func testIntakeTxReads(t *testing.T, s Store) {
	r0 := report(1, 0)
	r0.Processes = []agentdata.Process{{PID: 7, Name: "old"}}
	r1 := report(1, 2)
	r1.Processes = []agentdata.Process{{PID: 7, Name: "new", Path: "/bin/new", CommandLine: "new -x"}, {PID: 8, Name: "other"}}
	r2 := report(2, 0)
	r2.NetworkInterfaces = append(r2.NetworkInterfaces, agentdata.NetworkInterface{Name: "eth1", IPAddress: agentIP(1)})
	intake(t, s, acctA, r0, r1, r2)
	// B's agent 3 has an interface at agent 1's IP too.
	rb := report(3, 0)
	rb.NetworkInterfaces[0].IPAddress = agentIP(1)
	intake(t, s, acctB, rb)
	imported := discovery.ServerPrefix + "00000000000000001"
	newImport(t, s, importTask(acctA, "imp-1", "", t0))
	importTx(t, s, acctA, func(c context.Context, tx discovery.ImportTx) error {
		return tx.InsertImportedServer(c, &discovery.ImportedServer{ID: imported, HostName: "imported", CreatedMS: msOf(t0),
			NICs: []discovery.NIC{{Name: "eth0", IPAddress: agentIP(1)}}})
	})
	s1, s2 := serverOf(acctA, 1), serverOf(acctA, 2)
	m := func(n int, at time.Time) discovery.AgentMoment {
		return discovery.AgentMoment{AgentID: agentID(n), TimeMs: msOf(at)}
	}
	l := func(at time.Time, pid int) discovery.ProcessLookup {
		return discovery.ProcessLookup{AgentID: agentID(1), AtMs: msOf(at), PID: pid}
	}
	intakeTx(t, s, acctA, func(c context.Context, tx discovery.IntakeTx) error {
		ids, err := tx.ReportedIDs(c, []string{r0.ReportID, "unknown", r2.ReportID, rb.ReportID})
		if err != nil || !maps.Equal(ids, map[string]bool{r0.ReportID: true, r2.ReportID: true}) {
			t.Errorf("ReportedIDs = %v, %v", ids, err)
		}
		if ids, err := tx.ReportedIDs(c, longList(r1.ReportID)); err != nil || !maps.Equal(ids, map[string]bool{r1.ReportID: true}) {
			t.Errorf("ReportedIDs of a long list = %v, %v", ids, err)
		}
		moments, err := tx.MomentsWithData(c, []discovery.AgentMoment{m(1, at(0)), m(1, at(1)), m(1, at(2)), m(2, at(0)), m(2, at(2)), m(3, at(0))})
		if err != nil || !maps.Equal(moments, map[discovery.AgentMoment]bool{m(1, at(0)): true, m(1, at(2)): true, m(2, at(0)): true}) {
			t.Errorf("MomentsWithData = %v, %v", moments, err)
		}
		agents, err := tx.Agents(c, []string{agentID(2), agentID(3)})
		if a := agents[agentID(2)]; err != nil || len(agents) != 1 || a.ID != agentID(2) || a.HostName != hostName(2) || a.ServerID != s2 ||
			a.CollectionStatus != discovery.CollectionStarted || !a.Registered.Equal(at(0)) || len(a.Network) != 2 {
			t.Errorf("Agents = %v, %v", agents, err)
		}
		servers, err := tx.Servers(c, []string{s1, imported, discovery.ServerPrefix + "00000000000000009", serverOf(acctB, 3)})
		want := map[string]*discovery.IntakeServer{
			s1:       {ID: s1, AgentID: agentID(1), HostName: hostName(1), UpdatedMs: msOf(at(2))},
			imported: {ID: imported, HostName: "imported", UpdatedMs: msOf(t0)},
		}
		if err != nil || !reflect.DeepEqual(servers, want) {
			t.Errorf("Servers = %v, %v\nwant %v", servers, err, want)
		}
		nics, err := tx.NICs(c, []string{s2, s1, serverOf(acctB, 3)})
		wantNICs := map[string][]string{s1: {"eth0 " + agentIP(1)}, s2: {"eth0 " + agentIP(2), "eth1 " + agentIP(1)}}
		gotNICs := map[string][]string{}
		for id, ns := range nics {
			gotNICs[id] = keys(ns, func(n agentdata.NetworkInterface) string { return n.Name + " " + n.IPAddress })
		}
		if err != nil || !reflect.DeepEqual(gotNICs, wantNICs) {
			t.Errorf("NICs = %v, %v; want %v", gotNICs, err, wantNICs)
		}
		if n := nics[s1]; len(n) == 1 && (n[0].MACAddress != agentMAC(1) || n[0].NetMask != "255.255.255.0" || n[0].Gateway != "10.0.0.254") {
			t.Errorf("interface of server 1 = %+v", n[0])
		}
		owners, err := tx.IPOwners(c, []string{agentIP(1), agentIP(2), "192.0.2.1"})
		if err != nil || !reflect.DeepEqual(owners, map[string][]string{agentIP(1): slices.Sorted(slices.Values([]string{s1, s2})), agentIP(2): {s2}}) {
			t.Errorf("IPOwners = %v, %v", owners, err)
		}
		procs, err := tx.EarlierProcesses(c, []discovery.ProcessLookup{l(at(0), 7), l(at(0), 8), l(at(1), 7), l(at(2), 7), l(at(9), 8), l(at(9), 9),
			l(at(0).Add(-time.Millisecond), 7)})
		wantProcs := map[discovery.ProcessLookup]agentdata.Process{
			l(at(0), 7): {PID: 7, Name: "old"},
			l(at(1), 7): {PID: 7, Name: "old"},
			l(at(2), 7): {PID: 7, Name: "new", Path: "/bin/new", CommandLine: "new -x"},
			l(at(9), 8): {PID: 8, Name: "other"},
		}
		if err != nil || !reflect.DeepEqual(procs, wantProcs) {
			t.Errorf("EarlierProcesses = %v, %v\nwant %v", procs, err, wantProcs)
		}
		return nil
	})
	intakeTx(t, s, acctB, func(c context.Context, tx discovery.IntakeTx) error {
		if ids, err := tx.ReportedIDs(c, []string{r0.ReportID, r2.ReportID}); err != nil || len(ids) != 0 {
			t.Errorf("B's ReportedIDs = %v, %v", ids, err)
		}
		if ms, err := tx.MomentsWithData(c, []discovery.AgentMoment{m(1, at(0))}); err != nil || len(ms) != 0 {
			t.Errorf("B's MomentsWithData = %v, %v", ms, err)
		}
		if as, err := tx.Agents(c, []string{agentID(1), agentID(2)}); err != nil || len(as) != 0 {
			t.Errorf("B's Agents = %v, %v", as, err)
		}
		if ss, err := tx.Servers(c, []string{s1, imported}); err != nil || len(ss) != 0 {
			t.Errorf("B's Servers = %v, %v", ss, err)
		}
		if ns, err := tx.NICs(c, []string{s1, s2}); err != nil || len(ns) != 0 {
			t.Errorf("B's NICs = %v, %v", ns, err)
		}
		if owners, err := tx.IPOwners(c, []string{agentIP(1), agentIP(2)}); err != nil || !reflect.DeepEqual(owners, map[string][]string{agentIP(1): {serverOf(acctB, 3)}}) {
			t.Errorf("B's IPOwners = %v, %v", owners, err)
		}
		if ps, err := tx.EarlierProcesses(c, []discovery.ProcessLookup{l(at(0), 7)}); err != nil || len(ps) != 0 {
			t.Errorf("B's EarlierProcesses = %v, %v", ps, err)
		}
		return nil
	})
}

// serverMerge is agent 1's server in account as one batch reports it.
func serverMerge(account string, created, updated time.Time, os string, cpu, freeMin float64, minKnown bool) discovery.ServerMerge {
	return discovery.ServerMerge{Server: discovery.Server{ID: serverOf(account, 1), AgentID: agentID(1), Source: "Agent", HostName: "host-" + os,
		OSName: os, NumCPUs: 2, NumNICs: 1, Type: "OTHER", Created: created, Updated: updated,
		Perf: discovery.PerfAggregate{Samples: 2, CPUSum: cpu, CPUMax: cpu, FreeRAMMin: freeMin, FreeRAMMinKnown: minKnown, NetWriteKBpsSum: 1}},
		DiskFreeGB: cpu}
}

// wantUpdated fails the test unless account's server id was last updated
// at want, as intake reads it.
func wantUpdated(t *testing.T, s agents.Store, account, id string, want time.Time) {
	t.Helper()
	intakeTx(t, s, account, func(c context.Context, tx discovery.IntakeTx) error {
		got, err := tx.Servers(c, []string{id})
		if err != nil || got[id] == nil || got[id].UpdatedMs != msOf(want) {
			t.Errorf("server %s as intake reads it: %+v, %v; want updated at %v", id, got[id], err, want)
		}
		return err
	})
}

// diskFreeIs lists account's servers whose free disk space is gb.
func diskFreeIs(t *testing.T, s inventory.Store, account string, gb float64) []string {
	t.Helper()
	kb := gb * 1024 * 1024
	return itemIDs(list(t, s, discovery.ItemQuery{Account: account, Type: discovery.TypeServer,
		Where: where(num(discovery.FieldServerDiskFreeKB, discovery.MatchAtLeast, kb), num(discovery.FieldServerDiskFreeKB, discovery.MatchAtMost, kb))}))
}

// A plan, then an older one within its time span: the merges combine with
// the stored rows as their types say, in their account only.
func testIntakeApplyMerges(t *testing.T, s Store) {
	c := ctx(t)
	t1, mid := t0.Add(time.Hour), t0.Add(30*time.Minute)
	sid := serverOf(acctA, 1)
	pid := discovery.ProcessID(acctA, sid, "nginx", "", "")
	cid := discovery.ConnectionID(acctA, "10.0.0.1", "10.0.0.2", 80, "tcp", "", "")
	conn := func(src, dst string, occ int, first, latest time.Time) discovery.ConnectionSighting {
		return discovery.ConnectionSighting{ID: cid, SourceServerID: src, DestServerID: dst, SourceIP: "10.0.0.1", DestinationIP: "10.0.0.2",
			DestinationPort: 80, IPVersion: "IPv4", TransportProtocol: "tcp", Occurrence: occ, FirstMs: msOf(first), LatestMs: msOf(latest)}
	}
	newer := func(account string) *discovery.IntakePlan {
		return &discovery.IntakePlan{Received: t1,
			Servers:     []discovery.ServerMerge{serverMerge(account, t0, t1, "new", 50, 700, true)},
			Processes:   []discovery.ProcessSighting{{ID: pid, ServerID: sid, AgentID: agentID(1), Name: "nginx", FirstMs: msOf(t0), LastMs: msOf(t1)}},
			Connections: []discovery.ConnectionSighting{conn(sid, "", 3, t0, t1)},
		}
	}
	apply(t, s, acctA, newer(acctA))
	apply(t, s, acctB, newer(acctB))
	viewB := view(t, s, acctB, populated{})
	apply(t, s, acctA, &discovery.IntakePlan{Received: t1,
		Servers:     []discovery.ServerMerge{serverMerge(acctA, mid, mid, "old", 90, 0, false)},
		HostNames:   []discovery.ServerHostName{{ServerID: sid, HostName: "renamed"}},
		Processes:   []discovery.ProcessSighting{{ID: pid, ServerID: sid, AgentID: agentID(2), Name: "nginx", IsSystem: true, FirstMs: msOf(mid), LastMs: msOf(mid)}},
		Connections: []discovery.ConnectionSighting{conn(serverOf(acctA, 7), serverOf(acctA, 8), 2, mid, mid)},
	})
	// Descriptive fields and the free disk follow the newer merge, the host
	// name only the rename; sums add; maxima and minima combine.
	d := ok(s.DescribeServers(c, acctA, []string{sid}))(t)
	if len(d) != 1 {
		t.Fatalf("described %d servers", len(d))
	}
	if v := d[0]; v.HostName != "renamed" || v.OSName != "new" || v.AgentID != agentID(1) || v.Perf.Samples != 4 || v.Perf.CPUSum != 140 ||
		v.Perf.CPUMax != 90 || v.Perf.FreeRAMMin != 700 || !v.Perf.FreeRAMMinKnown || v.Perf.NetWriteKBpsSum != 2 || !v.Created.Equal(t0) {
		t.Fatalf("merged server = %+v", v.Server)
	}
	wantUpdated(t, s, acctA, sid, t1)
	sameLines(t, "servers with 50 GB free", diskFreeIs(t, s, acctA, 50), []string{sid})
	procs := list(t, s, discovery.ItemQuery{Account: acctA, Type: discovery.TypeProcess})
	if len(procs) != 1 || procs[0].Process.ID != pid || procs[0].Process.AgentID != agentID(2) || !procs[0].Process.Created.Equal(t0) {
		t.Fatalf("merged processes = %+v", procs)
	}
	conns := list(t, s, discovery.ItemQuery{Account: acctA, Type: discovery.TypeConnection})
	if len(conns) != 1 {
		t.Fatalf("%d connections", len(conns))
	}
	if v := conns[0].Connection; v.ID != discovery.ConnectionPrefix+cid || v.SourceServerID != sid || v.DestServerID != "" || v.Occurrence != 5 || !v.Latest.Equal(t1) {
		t.Fatalf("merged connection = %+v", *v)
	}
	sameLines(t, "B's view after A's merges", view(t, s, acctB, populated{}), viewB)

	// A newer merge without samples leaves the free disk space.
	newest := serverMerge(acctA, t1, t1.Add(time.Hour), "newest", 0, 0, false)
	newest.Perf, newest.DiskFreeGB = discovery.PerfAggregate{}, 0
	apply(t, s, acctA, &discovery.IntakePlan{Received: t1, Servers: []discovery.ServerMerge{newest}})
	v := ok(s.DescribeServers(c, acctA, []string{sid}))(t)[0]
	if v.OSName != "newest" || v.Perf.Samples != 4 || !v.Created.Equal(t0) || v.HostName != "renamed" {
		t.Fatalf("after a merge without samples: %+v", v.Server)
	}
	wantUpdated(t, s, acctA, sid, t1.Add(time.Hour))
	sameLines(t, "servers with 50 GB free after a merge without samples", diskFreeIs(t, s, acctA, 50), []string{sid})
}

// Plans of many rows arrive whole, every row with its values: a store that
// writes rows in statements of several rows writes one, some and many.
func testIntakeApplyEveryRow(t *testing.T, s Store) {
	sid := serverOf(acctA, 1)
	apply(t, s, acctA, &discovery.IntakePlan{Received: t0, Servers: []discovery.ServerMerge{serverMerge(acctA, t0, t0, "os", 1, 1, true)}})
	for _, rows := range []int{1, 2, 3, 45, 128, 300, 1000} {
		plan := &discovery.IntakePlan{Received: t0}
		var pids, cids []string
		for i := range rows {
			name := fmt.Sprintf("p-%d-%d", rows, i)
			pid := discovery.ProcessID(acctA, sid, name, "", "")
			pids = append(pids, pid)
			plan.Processes = append(plan.Processes, discovery.ProcessSighting{ID: pid, ServerID: sid, AgentID: agentID(1), Name: name,
				FirstMs: msOf(t0) + int64(i), LastMs: msOf(t0) + int64(2*i)})
			cid := discovery.ConnectionID(acctA, "10.0.0.1", "10.0.0.2", i, "tcp", pid, "")
			cids = append(cids, discovery.ConnectionPrefix+cid)
			plan.Connections = append(plan.Connections, discovery.ConnectionSighting{ID: cid, SourceServerID: sid, SourceIP: "10.0.0.1",
				DestinationIP: "10.0.0.2", DestinationPort: i, IPVersion: "IPv4", TransportProtocol: "tcp", SourceProcessID: pid,
				Occurrence: i + 1, FirstMs: msOf(t0), LatestMs: msOf(t0) + int64(i)})
		}
		apply(t, s, acctA, plan)
		var created, occurrence, ports, latest int64
		for _, it := range list(t, s, discovery.ItemQuery{Account: acctA, Type: discovery.TypeProcess, IDs: pids}) {
			created += it.Process.Created.UnixMilli() - msOf(t0)
		}
		conns := list(t, s, discovery.ItemQuery{Account: acctA, Type: discovery.TypeConnection, IDs: cids})
		for _, it := range conns {
			occurrence += it.Connection.Occurrence
			ports += it.Connection.DestinationPort
			latest += it.Connection.Latest.UnixMilli() - msOf(t0)
			if it.Connection.SourceProcessID == "" || it.Connection.SourceServerID != sid {
				t.Fatalf("connection %+v", *it.Connection)
			}
		}
		n := int64(rows)
		want := n * (n - 1) / 2
		if got := len(list(t, s, discovery.ItemQuery{Account: acctA, Type: discovery.TypeProcess, IDs: pids})); got != rows || created != want {
			t.Fatalf("%d process rows: %d written, creation offsets add to %d, want %d", rows, got, created, want)
		}
		if len(conns) != rows || occurrence != want+n || ports != want || latest != want {
			t.Fatalf("%d connection rows: %d written, occurrences %d, ports %d, latest %d", rows, len(conns), occurrence, ports, latest)
		}
	}
}

// A NIC set replaces the server's interfaces; a claim resolves the
// endpoints at its IP that are unknown, and only those, in its account.
func testIntakeApplyNICsAndClaims(t *testing.T, s Store) {
	c := ctx(t)
	sid := serverOf(acctA, 1)
	a, b, kept := serverOf(acctA, 5), serverOf(acctA, 6), serverOf(acctA, 7)
	conn := func(src, dst, srcIP, dstIP string) discovery.ConnectionSighting {
		return discovery.ConnectionSighting{ID: discovery.ConnectionID(acctA, srcIP, dstIP, 80, "tcp", src, dst), SourceServerID: src, DestServerID: dst,
			SourceIP: srcIP, DestinationIP: dstIP, DestinationPort: 80, IPVersion: "IPv4", TransportProtocol: "tcp", Occurrence: 1,
			FirstMs: msOf(t0), LatestMs: msOf(t0)}
	}
	nic := func(name, ip string) agentdata.NetworkInterface {
		return agentdata.NetworkInterface{Name: name, IPAddress: ip, MACAddress: "02:00:00:00:00:0" + name[3:], Family: "IPv4"}
	}
	conns := []discovery.ConnectionSighting{
		conn(a, "", "10.1.1.1", "10.0.0.9"),
		conn(a, kept, "10.1.1.1", "10.0.0.9"),
		conn("", b, "10.0.0.9", "10.1.1.2"),
		conn("", "", "10.0.0.8", "10.0.0.7"),
	}
	plan := func() *discovery.IntakePlan {
		return &discovery.IntakePlan{Received: t0, Servers: []discovery.ServerMerge{serverMerge(acctA, t0, t0, "os", 1, 1, true)},
			NICSets:     []discovery.ServerNICs{{ServerID: sid, NICs: []agentdata.NetworkInterface{nic("eth0", "10.0.0.1"), nic("eth1", "10.0.0.2")}}},
			Connections: conns}
	}
	apply(t, s, acctA, plan())
	apply(t, s, acctB, plan())
	viewB := view(t, s, acctB, populated{})
	apply(t, s, acctA, &discovery.IntakePlan{Received: t0,
		NICSets: []discovery.ServerNICs{{ServerID: sid, NICs: []agentdata.NetworkInterface{nic("eth2", "10.0.0.9")}}},
		Claims:  []discovery.IPClaim{{IP: "10.0.0.9", ServerID: sid}}})
	d := ok(s.DescribeServers(c, acctA, []string{sid}))(t)
	if len(d) != 1 || len(d[0].NICs) != 1 || d[0].NICs[0].Name != "eth2" || d[0].NICs[0].IPAddress != "10.0.0.9" || d[0].NICs[0].MACAddress != "02:00:00:00:00:02" {
		t.Fatalf("interfaces after a NIC set = %+v", d)
	}
	intakeTx(t, s, acctA, func(c context.Context, tx discovery.IntakeTx) error {
		nics, err := tx.NICs(c, []string{sid})
		if err != nil || len(nics[sid]) != 1 || nics[sid][0].IPAddress != "10.0.0.9" {
			t.Errorf("NICs = %v, %v", nics, err)
		}
		return nil
	})
	got := keys(list(t, s, discovery.ItemQuery{Account: acctA, Type: discovery.TypeConnection}), func(it discovery.Item) string {
		return it.Connection.SourceIP + ">" + it.Connection.DestinationIP + " " + it.Connection.SourceServerID + ">" + it.Connection.DestServerID
	})
	slices.Sort(got)
	want := slices.Sorted(slices.Values([]string{
		"10.1.1.1>10.0.0.9 " + a + ">" + sid,
		"10.1.1.1>10.0.0.9 " + a + ">" + kept,
		"10.0.0.9>10.1.1.2 " + sid + ">" + b,
		"10.0.0.8>10.0.0.7 >",
	}))
	sameLines(t, "connections after a claim", got, want)
	sameLines(t, "B's view after A's claim", view(t, s, acctB, populated{}), viewB)
}

// Apply records accepted and dropped reports (so that a retry is a
// duplicate), not duplicates; registers and updates agents, a stored agent
// keeping its collection status and registration time; and stores the
// accepted reports' observations.
func testIntakeApplyReportsAgentsObservations(t *testing.T, s Store) {
	c := ctx(t)
	rep := func(id string, step int) *discovery.AgentReport {
		r := fleetReports(1, step)
		r.ReportID = id
		return &discovery.AgentReport{Report: &r, TimeMs: msOf(at(step)), ServerID: serverOf(acctA, 1), ProcessIDs: []string{processOf(acctA, 1)}}
	}
	agent := func(host string, registered time.Time) *discovery.Agent {
		return &discovery.Agent{AccountID: acctA, ID: agentID(1), Type: "EC2", HostName: host, Version: "2.0.1", Health: "HEALTHY",
			CollectionStatus: discovery.CollectionStarted, Network: []discovery.AgentNetworkInfo{{IPAddress: agentIP(1), MACAddress: agentMAC(1)}},
			Registered: registered, LastHealthPing: registered, FirstData: at(0), LastData: registered, ServerID: serverOf(acctA, 1)}
	}
	accepted, dropped := rep("a", 0), rep("c", 1)
	apply(t, s, acctA, &discovery.IntakePlan{Received: t0.Add(24 * time.Hour),
		Verdicts: []discovery.ReportVerdict{
			{Report: accepted, Verdict: discovery.ReportAccepted},
			{Report: rep("b", 0), Verdict: discovery.ReportDuplicate},
			{Report: dropped, Verdict: discovery.ReportDropped, Reason: "why"},
		},
		Agents:       []*discovery.Agent{agent("h", at(0))},
		Servers:      []discovery.ServerMerge{serverMerge(acctA, at(0), at(0), "os", 1, 1, true)},
		Observations: []*discovery.AgentReport{accepted},
	})
	intakeTx(t, s, acctA, func(c context.Context, tx discovery.IntakeTx) error {
		if ids, err := tx.ReportedIDs(c, []string{"a", "b", "c"}); err != nil || !maps.Equal(ids, map[string]bool{"a": true, "c": true}) {
			t.Errorf("recorded reports = %v, %v", ids, err)
		}
		m := func(step int) discovery.AgentMoment {
			return discovery.AgentMoment{AgentID: agentID(1), TimeMs: msOf(at(step))}
		}
		if ms, err := tx.MomentsWithData(c, []discovery.AgentMoment{m(0), m(1)}); err != nil || !maps.Equal(ms, map[discovery.AgentMoment]bool{m(0): true}) {
			t.Errorf("moments with data = %v, %v", ms, err)
		}
		return nil
	})
	a1 := agentID(1)
	forever := func(read func(from, to time.Time) error) error { return read(time.Unix(0, 0), never) }
	perf := collectRows(t, func(fn func(*discovery.PerfSample) error) error {
		return forever(func(f, to time.Time) error { return s.AgentPerfSamples(c, acctA, a1, f, to, fn) })
	})
	osRows := collectRows(t, func(fn func(*discovery.OSInfo) error) error {
		return forever(func(f, to time.Time) error { return s.AgentOSInfo(c, acctA, a1, f, to, fn) })
	})
	nics := collectRows(t, func(fn func(*discovery.NICSample) error) error {
		return forever(func(f, to time.Time) error { return s.AgentNICs(c, acctA, a1, f, to, fn) })
	})
	procs := collectRows(t, func(fn func(*discovery.ProcessSample) error) error {
		return forever(func(f, to time.Time) error { return s.AgentProcesses(c, acctA, a1, f, to, fn) })
	})
	out := collectRows(t, func(fn func(*discovery.ConnectionSample) error) error {
		return forever(func(f, to time.Time) error { return s.AgentConnections(c, acctA, a1, discovery.Outbound, f, to, fn) })
	})
	r := accepted.Report
	if len(perf) != 1 || !perf[0].Time.Equal(at(0)) || perf[0].CPUPct != r.Performance.CPUUsagePct || perf[0].FreeRAMMB != r.Performance.FreeRAMMB {
		t.Errorf("performance samples = %+v", perf)
	}
	if len(osRows) != 1 || osRows[0].OSName != r.Server.OSName || osRows[0].HostName != r.Server.HostName || !osRows[0].Time.Equal(at(0)) {
		t.Errorf("OS rows = %+v", osRows)
	}
	if len(nics) != 1 || nics[0].IPAddress != agentIP(1) || nics[0].MACAddress != agentMAC(1) {
		t.Errorf("interface rows = %+v", nics)
	}
	if len(procs) != 1 || procs[0].PID != 100 || procs[0].Name != "nginx" || procs[0].CommandLine != nginxCmd {
		t.Errorf("process rows = %+v", procs)
	}
	if len(out) != len(r.Connections) {
		t.Errorf("%d outbound connection rows, want %d", len(out), len(r.Connections))
	}
	got := ok(s.GetAgent(c, acctA, a1))(t)
	if got.HostName != "h" || got.CollectionStatus != discovery.CollectionStarted || !got.Registered.Equal(at(0)) || got.ServerID != serverOf(acctA, 1) {
		t.Fatalf("registered agent = %+v", got)
	}
	// A stored agent keeps its collection status and registration time.
	ok(s.SetCollectionStatus(c, acctA, []string{a1}, discovery.CollectionStopped))(t)
	apply(t, s, acctA, &discovery.IntakePlan{Received: t0.Add(24 * time.Hour), Agents: []*discovery.Agent{agent("h2", at(3))}})
	got = ok(s.GetAgent(c, acctA, a1))(t)
	if got.HostName != "h2" || got.CollectionStatus != discovery.CollectionStopped || !got.Registered.Equal(at(0)) || !got.LastHealthPing.Equal(at(3)) ||
		!got.LastData.Equal(at(3)) {
		t.Fatalf("updated agent = %+v", got)
	}
	if _, err := s.GetAgent(c, acctB, a1); !errors.Is(err, discovery.ErrNotFound) {
		t.Fatalf("B's agent 1: %v", err)
	}
}

// An error from the function undoes what its plan wrote, and is returned.
func testIntakeRollsBack(t *testing.T, s Store) {
	c := ctx(t)
	seedAgents(t, s, acctA, 1)
	before := view(t, s, acctA, populated{})
	r := report(2, 0)
	boom := errors.New("boom")
	err := s.Intake(c, acctA, func(tx discovery.IntakeTx) error {
		rep := &discovery.AgentReport{Report: &r, TimeMs: msOf(at(0)), ServerID: serverOf(acctA, 2)}
		must(t, tx.Apply(c, &discovery.IntakePlan{Received: t0,
			Verdicts:     []discovery.ReportVerdict{{Report: rep, Verdict: discovery.ReportAccepted}},
			Agents:       []*discovery.Agent{{AccountID: acctA, ID: agentID(2), Type: "EC2", CollectionStatus: discovery.CollectionStarted, ServerID: serverOf(acctA, 2)}},
			Servers:      []discovery.ServerMerge{{Server: discovery.Server{ID: serverOf(acctA, 2), AgentID: agentID(2), Source: "Agent", Created: t0, Updated: t0}}},
			Observations: []*discovery.AgentReport{rep},
		}))
		return fmt.Errorf("intake: %w", boom)
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Intake = %v, want the function's error", err)
	}
	sameLines(t, "A's view after a rollback", view(t, s, acctA, populated{}), before)
	intakeTx(t, s, acctA, func(c context.Context, tx discovery.IntakeTx) error {
		if ids, err := tx.ReportedIDs(c, []string{r.ReportID}); err != nil || len(ids) != 0 {
			t.Errorf("reports recorded by a rollback: %v, %v", ids, err)
		}
		return nil
	})
}
