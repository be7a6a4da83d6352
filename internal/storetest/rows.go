package storetest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/agentdata"
	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/worker"
)

// The rows export files are written from (worker.RowSource): an agent's
// time series over a window, and the account's inventory.
var rowTests = []test{
	tc("AgentSeriesRows", testAgentSeries),
	tc("AgentSeriesWindowEdges", testAgentSeriesWindow),
	tc("InventoryRows", testInventoryRows),
	tc("ARowErrorStopsEveryStream", testRowErrors),
	tc("InventoryRowsOfSeveralInterfaces", testRowsOfSeveralInterfaces),
}

// seriesAgent is the agent whose series the tests read: it reports at
// steps 0 to 3, each report with two interfaces, two processes and three
// connections, listed in an order that is not sorted.
const seriesAgent = 7

func seriesReport(step int) agentdata.Report {
	r := report(seriesAgent, step)
	r.NetworkInterfaces = []agentdata.NetworkInterface{
		{Name: "eth1", IPAddress: "10.5.5.5", MACAddress: "02:55:00:00:00:01", NetMask: "255.0.0.0", Gateway: "10.0.0.1"},
		{Name: "eth0", IPAddress: agentIP(seriesAgent), MACAddress: agentMAC(seriesAgent), Family: "IPv4"},
	}
	r.Processes = []agentdata.Process{
		{PID: 300 + step, Name: "zeta", CommandLine: "zeta --serve", Path: "/opt/zeta"},
		{PID: 1, Name: "init", Path: "/sbin/init", IsSystem: true},
	}
	r.Connections = []agentdata.Connection{
		{Direction: "outbound", SourceIP: agentIP(seriesAgent), SourcePort: 40000 + step, DestinationIP: "10.9.9.9", DestinationPort: 443, PID: 300 + step},
		{Direction: "inbound", SourceIP: "10.8.8.8", SourcePort: 50000, DestinationIP: agentIP(seriesAgent), DestinationPort: 22},
		{Direction: "outbound", SourceIP: agentIP(seriesAgent), SourcePort: 41000, DestinationIP: "10.9.9.10", DestinationPort: 53, TransportProtocol: "udp"},
	}
	return r
}

// series reads the five series of account's agent over [from, to] as
// lines, one per row.
func series(t *testing.T, s worker.RowSource, account, agent string, from, to time.Time) []string {
	t.Helper()
	c := ctx(t)
	ts := func(tm time.Time) string { return tm.UTC().Format("15:04:05.000") }
	var out []string
	for _, r := range collectRows(t, func(fn func(*discovery.PerfSample) error) error {
		return s.AgentPerfSamples(c, account, agent, from, to, fn)
	}) {
		out = append(out, fmt.Sprintf("perf %s %s %g %g %g %g %g %g %d %d %d %d %d %g %g %g %g %g", ts(r.Time), r.AgentID,
			r.DiskReadKBps, r.DiskWriteKBps, r.DiskReadOps, r.DiskWriteOps, r.NetReadKBps, r.NetWriteKBps,
			r.NumLogical, r.NumCores, r.NumCPUs, r.NumDisks, r.NumNICs, r.CPUPct, r.DiskSizeGB, r.DiskFreeGB, r.TotalRAMMB, r.FreeRAMMB))
	}
	for _, r := range collectRows(t, func(fn func(*discovery.OSInfo) error) error { return s.AgentOSInfo(c, account, agent, from, to, fn) }) {
		out = append(out, fmt.Sprintf("os %s %s %s %s %s %s %s", ts(r.Time), r.AgentID, r.OSName, r.OSVersion, r.CPUType, r.HostName, r.Hypervisor))
	}
	for _, r := range collectRows(t, func(fn func(*discovery.NICSample) error) error { return s.AgentNICs(c, account, agent, from, to, fn) }) {
		out = append(out, fmt.Sprintf("nic %s %s %s %s %s %s %s %s", ts(r.Time), r.AgentID, r.Name, r.MACAddress, r.Family, r.IPAddress, r.Gateway, r.NetMask))
	}
	for _, r := range collectRows(t, func(fn func(*discovery.ProcessSample) error) error {
		return s.AgentProcesses(c, account, agent, from, to, fn)
	}) {
		out = append(out, fmt.Sprintf("proc %s %s %d %v %s %q %s", ts(r.Time), r.AgentID, r.PID, r.IsSystem, r.Name, r.CommandLine, r.Path))
	}
	for _, dir := range []string{discovery.Outbound, discovery.Inbound} {
		for _, r := range collectRows(t, func(fn func(*discovery.ConnectionSample) error) error {
			return s.AgentConnections(c, account, agent, dir, from, to, fn)
		}) {
			out = append(out, fmt.Sprintf("%s %s %s %s:%d>%s:%d %s %s %d", dir, ts(r.Time), r.AgentID, r.SourceIP, r.SourcePort,
				r.DestinationIP, r.DestinationPort, r.IPVersion, r.TransportProtocol, r.PID))
		}
	}
	return out
}

// wantSeries is what series gives for seriesAgent's reports at steps.
func wantSeries(steps ...int) []string {
	a := agentID(seriesAgent)
	var perf, os, nics, procs, out, in []string
	for _, st := range steps {
		ts := at(st).Format("15:04:05.000")
		cpu := float64(seriesAgent%9*10 + st%10)
		perf = append(perf, fmt.Sprintf("perf %s %s 5 %d 1 2 3 4 8 4 2 1 2 %g 200 100 16384 %d", ts, a, st, cpu, 1000+st))
		os = append(os, fmt.Sprintf("os %s %s Linux 6.1 x86_64 %s kvm", ts, a, hostName(seriesAgent)))
		nics = append(nics, fmt.Sprintf("nic %s %s eth1 02:55:00:00:00:01 IPv4 10.5.5.5 10.0.0.1 255.0.0.0", ts, a),
			fmt.Sprintf("nic %s %s eth0 %s IPv4 %s  ", ts, a, agentMAC(seriesAgent), agentIP(seriesAgent)))
		procs = append(procs, fmt.Sprintf(`proc %s %s %d false zeta "zeta --serve" /opt/zeta`, ts, a, 300+st),
			fmt.Sprintf(`proc %s %s 1 true init "" /sbin/init`, ts, a))
		out = append(out, fmt.Sprintf("outbound %s %s %s:%d>10.9.9.9:443 IPv4 tcp %d", ts, a, agentIP(seriesAgent), 40000+st, 300+st),
			fmt.Sprintf("outbound %s %s %s:41000>10.9.9.10:53 IPv4 udp 0", ts, a, agentIP(seriesAgent)))
		in = append(in, fmt.Sprintf("inbound %s %s 10.8.8.8:50000>%s:22 IPv4 tcp 0", ts, a, agentIP(seriesAgent)))
	}
	return slices.Concat(perf, os, nics, procs, out, in)
}

func testAgentSeries(t *testing.T, s Store) {
	c := ctx(t)
	// Steps 3 and 1, then 0 and 2: stored order is not report order.
	intake(t, s, acctA, seriesReport(3), seriesReport(1))
	intake(t, s, acctA, seriesReport(0), seriesReport(2))
	seedFleet(t, s, acctA) // other agents of the account
	b := seriesReport(0)
	b.Server.HostName, b.Performance.CPUUsagePct = "b-host", 99
	intake(t, s, acctB, b) // the same agent ID in another account
	a := agentID(seriesAgent)
	sameLines(t, "all steps", series(t, s, acctA, a, at(0), at(3)), wantSeries(0, 1, 2, 3))
	sameLines(t, "steps 1 and 2", series(t, s, acctA, a, at(1), at(2)), wantSeries(1, 2))
	sameLines(t, "an unknown agent", series(t, s, acctA, agentID(99), at(0), at(3)), nil)
	if got := series(t, s, acctB, a, at(0), at(3)); len(got) != len(wantSeries(0)) || !strings.Contains(strings.Join(got, "\n"), "b-host") {
		t.Fatalf("B's series: %v", got)
	}
	if err := s.AgentConnections(c, acctA, a, "sideways", at(0), at(3), func(*discovery.ConnectionSample) error { return nil }); err == nil {
		t.Fatal("a direction that is neither outbound nor inbound was read")
	}
}

func testAgentSeriesWindow(t *testing.T, s Store) {
	r := seriesReport(2)
	r.Timestamp = float64(at(2).UnixMilli()+7) / 1000 // 7 ms after step 2
	intake(t, s, acctA, seriesReport(0), seriesReport(1), r, seriesReport(3))
	a := agentID(seriesAgent)
	count := func(from, to time.Time) int {
		return len(collectRows(t, func(fn func(*discovery.PerfSample) error) error {
			return s.AgentPerfSamples(ctx(t), acctA, a, from, to, fn)
		}))
	}
	step2 := at(2).Add(7 * time.Millisecond)
	for _, tc := range []struct {
		name     string
		from, to time.Time
		want     int
	}{
		{"both ends included", at(1), at(3), 3},
		{"start a millisecond late", at(1).Add(time.Millisecond), at(3), 2},
		{"end a millisecond early", at(1), at(3).Add(-time.Millisecond), 2},
		{"one instant", at(1), at(1), 1},
		{"a millisecond timestamp", step2, step2, 1},
		{"just before it", at(2), step2.Add(-time.Millisecond), 0},
		{"a start inside its millisecond excludes it", step2.Add(500 * time.Microsecond), at(3).Add(-time.Millisecond), 0},
		{"an end inside its millisecond includes it", step2, step2.Add(999 * time.Microsecond), 1},
		{"an empty window", at(3), at(1), 0},
	} {
		if got := count(tc.from, tc.to); got != tc.want {
			t.Errorf("%s: %d samples, want %d", tc.name, got, tc.want)
		}
	}
	got := collectRows(t, func(fn func(*discovery.ProcessSample) error) error {
		return s.AgentProcesses(ctx(t), acctA, a, step2, step2, fn)
	})
	if len(got) != 2 || !got[0].Time.Equal(step2) {
		t.Fatalf("processes at %v: %+v", step2, got)
	}
}

// rowsFleet is the inventory fleet of account with an imported VMware
// server (external ID ext-1, two addresses, application crm, tag src=import)
// and a tag on an application.
func rowsFleet(t *testing.T, s Store, account string) string {
	t.Helper()
	inventoryFleet(t, s, account)
	newImport(t, s, importTask(account, "imp-1", "", t0))
	res := ok(importRow(t, s, account, "imp-1", &discovery.ImportRow{ExternalID: "ext-1", HostName: "imported", OSName: "RHEL", OSVersion: "9",
		MoRefID: "vm-77", VCenterID: "vc-9", VMName: "imported vm", CPUs: 4, Cores: 8, Logical: 16, RAMMB: 2048,
		IPs: []string{"192.168.1.2", "192.168.1.1"}, MACs: []string{"02:aa:00:00:00:02", "02:aa:00:00:00:01"},
		Applications: []string{"crm"}, Tags: [][2]string{{"src", "import"}}}, t0))(t)
	return res.ServerID
}

func testInventoryRows(t *testing.T, s Store) {
	c := ctx(t)
	imported := rowsFleet(t, s, acctA)
	seedAgents(t, s, acctB, 1)
	s1, s2, s3, s4 := serverOf(acctA, 1), serverOf(acctA, 2), serverOf(acctA, 3), serverOf(acctA, 4)
	byID := slices.Sorted(slices.Values([]string{s1, s2, s3, s4, imported}))
	host := map[string]string{s1: hostName(1), s2: hostName(2), s3: hostName(3), s4: hostName(4), imported: "imported"}
	num := map[string]int{s1: 1, s2: 2, s3: 3, s4: 4}

	appRows := collectRows(t, func(fn func(*discovery.Application) error) error { return s.ExportApplications(c, acctA, fn) })
	sameLines(t, "applications", keys(appRows, func(a discovery.Application) string {
		return fmt.Sprintf("%s %s/%s/%s/%d %v %v", a.ID, a.Name, a.Description, a.Wave, a.ServerCount, a.Created.Equal(t0), a.Updated.Equal(t0))
	}), []string{appID(1) + " shop/about shop/wave-1/2 true true", appID(2) + " crm/about crm/wave-1/2 true true", appID(3) + " empty/about empty/wave-1/0 true true"})

	links := collectRows(t, func(fn func(*discovery.ApplicationServer) error) error {
		return s.ExportApplicationServers(c, acctA, fn)
	})
	wantLinks := []string{
		fmt.Sprintf("%s shop %s %s", appID(1), s1, hostName(1)), fmt.Sprintf("%s shop %s %s", appID(1), s2, hostName(2)),
		fmt.Sprintf("%s crm %s %s", appID(2), s2, hostName(2)), fmt.Sprintf("%s crm %s imported", appID(2), imported),
	}
	slices.Sort(wantLinks) // by application ID, then server ID
	sameLines(t, "application servers", keys(links, func(l discovery.ApplicationServer) string {
		return fmt.Sprintf("%s %s %s %s", l.ApplicationID, l.ApplicationName, l.ServerID, l.ServerHostName)
	}), wantLinks)

	servers := collectRows(t, func(fn func(*discovery.Server) error) error { return s.ExportServerRows(c, acctA, fn) })
	sameLines(t, "server rows", keys(servers, func(v discovery.Server) string {
		return fmt.Sprintf("%s %s %s %s %s %s %s %s %v", v.ID, v.AgentID, v.HostName, v.OSName, v.OSVersion, v.CPUType, v.Hypervisor, v.Type,
			v.Created.Equal(map[bool]time.Time{true: t0, false: at(0)}[v.ID == imported]))
	}), keys(byID, func(id string) string {
		switch id {
		case imported:
			return id + "  imported RHEL 9   OTHER true"
		case s3:
			return fmt.Sprintf("%s %s %s Linux 6.1 x86_64 kvm VMWARE_VM true", id, agentID(3), hostName(3))
		case s4:
			return fmt.Sprintf("%s %s %s Windows 6.1 x86_64 kvm OTHER true", id, agentID(4), hostName(4))
		}
		n := map[string]int{s1: 1, s2: 2}[id]
		return fmt.Sprintf("%s %s %s Linux 6.1 x86_64 kvm OTHER true", id, agentID(n), hostName(n))
	}))

	perf := collectRows(t, func(fn func(*discovery.Server) error) error { return s.ExportServerPerformance(c, acctA, fn) })
	if ids := keys(perf, func(v discovery.Server) string { return v.ID }); !slices.Equal(ids, byID) {
		t.Fatalf("performance rows %v, want %v", ids, byID)
	}
	for _, v := range perf {
		if v.ID == imported {
			if v.HostName != "imported" || v.TotalRAMMB != 2048 || v.NumCPUs != 4 || v.NumCores != 8 || v.NumNICs != 0 || v.Perf.Samples != 0 || v.Perf.FreeRAMMinKnown {
				t.Errorf("imported performance row = %+v", v)
			}
			continue
		}
		cpu := float64(num[v.ID] % 9 * 10)
		if v.HostName != host[v.ID] || v.TotalRAMMB != 16384 || v.NumCPUs != 2 || v.NumCores != 4 || v.NumDisks != 1 || v.NumNICs != 1 ||
			v.Perf.Samples != 2 || v.Perf.CPUSum != 2*cpu+1 || v.Perf.CPUMax != cpu+1 || v.Perf.FreeRAMMin != 1000 || !v.Perf.FreeRAMMinKnown ||
			v.Perf.FreeRAMSum != 2001 || v.Perf.NetWriteKBpsSum != 8 || v.Perf.DiskWriteOpsMax != 2 {
			t.Errorf("performance row = %+v", v)
		}
	}

	vm := collectRows(t, func(fn func(*discovery.Server) error) error { return s.ExportVMwareServers(c, acctA, fn) })
	wantVM := []string{s3 + " host-03 vm-3/vm three/vc-1/vcenter//dc/vm/host-9", imported + " imported vm-77/imported vm/vc-9///"}
	slices.Sort(wantVM)
	sameLines(t, "VMware rows", keys(vm, func(v discovery.Server) string {
		return fmt.Sprintf("%s %s %s/%s/%s/%s/%s/%s", v.ID, v.HostName, v.VMMoRefID, v.VMName, v.VCenterID, v.VCenterName, v.VMFolderPath, v.VMHostID)
	}), wantVM)

	var ec2 []string
	must(t, s.EC2Servers(c, acctA, func(r *discovery.EC2Server) error {
		// A reader may reorder the samples.
		slices.Sort(r.CPUPct)
		slices.Sort(r.UsedRAMMB)
		ec2 = append(ec2, fmt.Sprintf("%s ext=%s %s cpu=%v used=%v total=%g apps=%v tags=%v samples=%d", r.Server.ID, r.ExternalID, r.Server.HostName,
			r.CPUPct, r.UsedRAMMB, r.SampleTotalRAMMB, r.Applications, r.Tags, r.Server.Perf.Samples))
		return nil
	}))
	sameLines(t, "EC2 rows", ec2, keys(byID, func(id string) string {
		switch id {
		case imported:
			return id + " ext=ext-1 imported cpu=[] used=[] total=0 apps=[crm] tags=[{src import}] samples=0"
		}
		n := map[string]int{s1: 1, s2: 2, s3: 3, s4: 4}[id]
		cpu := n % 9 * 10
		apps := map[int]string{1: "[shop]", 2: "[shop crm]", 3: "[]", 4: "[]"}[n]
		tags := map[int]string{1: "[{env prod} {team web}]", 2: "[{env dev}]", 3: "[]", 4: "[]"}[n]
		return fmt.Sprintf("%s ext= %s cpu=[%d %d] used=[15383 15384] total=16384 apps=%s tags=%s samples=2", id, hostName(n), cpu, cpu+1, apps, tags)
	}))

	nics := collectRows(t, func(fn func(*discovery.ServerNIC) error) error { return s.ExportServerNICs(c, acctA, fn) })
	wantNICs := []string{
		imported + " imported eth0 02:aa:00:00:00:02 192.168.1.2", imported + " imported eth1 02:aa:00:00:00:01 192.168.1.1",
	}
	for n := 1; n <= 4; n++ {
		wantNICs = append(wantNICs, fmt.Sprintf("%s %s eth0 %s %s 255.255.255.0 IPv4 10.0.0.254", serverOf(acctA, n), hostName(n), agentMAC(n), agentIP(n)))
	}
	slices.Sort(wantNICs)
	sameLines(t, "interface rows", keys(nics, func(n discovery.ServerNIC) string {
		if n.ServerID == imported {
			return fmt.Sprintf("%s %s %s %s %s", n.ServerID, n.HostName, n.Name, n.MACAddress, n.IPAddress)
		}
		return fmt.Sprintf("%s %s %s %s %s %s %s %s", n.ServerID, n.HostName, n.Name, n.MACAddress, n.IPAddress, n.NetMask, n.Family, n.Gateway)
	}), wantNICs)

	tags := collectRows(t, func(fn func(*discovery.ServerTag) error) error { return s.ExportServerTags(c, acctA, fn) })
	wantTags := []string{s1 + " host-01 env=prod", s1 + " host-01 team=web", s2 + " host-02 env=dev", imported + " imported src=import"}
	slices.Sort(wantTags)
	sameLines(t, "tag rows (servers' only)", keys(tags, func(tg discovery.ServerTag) string {
		return fmt.Sprintf("%s %s %s=%s", tg.ServerID, tg.HostName, tg.Key, tg.Value)
	}), wantTags)
	for _, tg := range tags {
		if !tg.Created.Equal(t0) {
			t.Errorf("tag %s=%s created %v", tg.Key, tg.Value, tg.Created)
		}
	}

	var tpl []string
	must(t, s.ExportImportTemplateRows(c, acctA, func(r *discovery.ImportTemplateRow) error {
		tpl = append(tpl, fmt.Sprintf("%s %s ips=%v macs=%v apps=%v wave=%s tags=%v cpus=%d ram=%g moref=%s", r.Server.ID, r.Server.HostName,
			r.IPAddresses, r.MACAddresses, r.Applications, r.Wave, r.Tags, r.Server.NumCPUs, r.Server.TotalRAMMB, r.Server.VMMoRefID))
		return nil
	}))
	sameLines(t, "import template rows", tpl, keys(byID, func(id string) string {
		if id == imported {
			return id + " imported ips=[192.168.1.2 192.168.1.1] macs=[02:aa:00:00:00:02 02:aa:00:00:00:01] apps=[crm] wave=wave-1 tags=[{src import}] cpus=4 ram=2048 moref=vm-77"
		}
		n := map[string]int{s1: 1, s2: 2, s3: 3, s4: 4}[id]
		apps := map[int]string{1: "[shop]", 2: "[shop crm]", 3: "[]", 4: "[]"}[n]
		wave := map[int]string{1: "wave-1", 2: "wave-1"}[n]
		tags := map[int]string{1: "[{env prod} {team web}]", 2: "[{env dev}]", 3: "[]", 4: "[]"}[n]
		moref := map[int]string{3: "vm-3"}[n]
		return fmt.Sprintf("%s %s ips=[%s] macs=[%s] apps=%s wave=%s tags=%s cpus=2 ram=16384 moref=%s", id, hostName(n), agentIP(n), agentMAC(n), apps, wave, tags, moref)
	}))

	// B's rows are B's.
	sameLines(t, "B's row counts", rowCounts(t, s, acctB), []string{"perf=1", "os=1", "nics=1", "procs=0", "out=0", "in=0", "apps=0", "appServers=0",
		"servers=1", "perfServers=1", "vmware=0", "ec2=1", "serverNICs=1", "serverTags=0", "template=1"})
}

var errStop = errors.New("stop")

// stopAfterOne is a row callback that stops the stream at its first row.
func stopAfterOne[T any](calls *int) func(T) error {
	return func(T) error {
		*calls++
		return errStop
	}
}

func testRowErrors(t *testing.T, s Store) {
	c := ctx(t)
	rowsFleet(t, s, acctA)
	intake(t, s, acctA, seriesReport(0), seriesReport(1))
	a := agentID(seriesAgent)
	from, to := at(0), at(1)
	for name, read := range map[string]func(calls *int) error{
		"perf": func(n *int) error {
			return s.AgentPerfSamples(c, acctA, a, from, to, stopAfterOne[*discovery.PerfSample](n))
		},
		"os":   func(n *int) error { return s.AgentOSInfo(c, acctA, a, from, to, stopAfterOne[*discovery.OSInfo](n)) },
		"nics": func(n *int) error { return s.AgentNICs(c, acctA, a, from, to, stopAfterOne[*discovery.NICSample](n)) },
		"processes": func(n *int) error {
			return s.AgentProcesses(c, acctA, a, from, to, stopAfterOne[*discovery.ProcessSample](n))
		},
		"connections": func(n *int) error {
			return s.AgentConnections(c, acctA, a, discovery.Outbound, from, to, stopAfterOne[*discovery.ConnectionSample](n))
		},
		"applications": func(n *int) error { return s.ExportApplications(c, acctA, stopAfterOne[*discovery.Application](n)) },
		"application servers": func(n *int) error {
			return s.ExportApplicationServers(c, acctA, stopAfterOne[*discovery.ApplicationServer](n))
		},
		"servers":     func(n *int) error { return s.ExportServerRows(c, acctA, stopAfterOne[*discovery.Server](n)) },
		"performance": func(n *int) error { return s.ExportServerPerformance(c, acctA, stopAfterOne[*discovery.Server](n)) },
		"vmware":      func(n *int) error { return s.ExportVMwareServers(c, acctA, stopAfterOne[*discovery.Server](n)) },
		"ec2":         func(n *int) error { return s.EC2Servers(c, acctA, stopAfterOne[*discovery.EC2Server](n)) },
		"server nics": func(n *int) error { return s.ExportServerNICs(c, acctA, stopAfterOne[*discovery.ServerNIC](n)) },
		"server tags": func(n *int) error { return s.ExportServerTags(c, acctA, stopAfterOne[*discovery.ServerTag](n)) },
		"template": func(n *int) error {
			return s.ExportImportTemplateRows(c, acctA, stopAfterOne[*discovery.ImportTemplateRow](n))
		},
	} {
		calls := 0
		if err := read(&calls); !errors.Is(err, errStop) || calls != 1 {
			t.Errorf("%s: %v after %d rows, want the callback's error after 1", name, err, calls)
		}
	}
}

// A server of several interfaces, two of one name and two of one MAC
// address, whose free memory passed its total: its interface rows come by
// name, then address; its import template row lists every address in that
// order and each MAC address once; the EC2 row's used memory is never
// negative. An account with nothing has no rows.
func testRowsOfSeveralInterfaces(t *testing.T, s Store) {
	c := ctx(t)
	r := report(1, 0)
	r.NetworkInterfaces = []agentdata.NetworkInterface{
		{Name: "eth1", IPAddress: "10.0.1.1", MACAddress: "02:00:00:00:00:02"},
		{Name: "eth0", IPAddress: "10.0.0.2", MACAddress: "02:00:00:00:00:01"},
		{Name: "eth0", IPAddress: "10.0.0.1", MACAddress: "02:00:00:00:00:01"},
	}
	r.Performance.FreeRAMMB = r.Server.TotalRAMMB + 100
	intake(t, s, acctA, r)
	id := serverOf(acctA, 1)
	nics := collectRows(t, func(fn func(*discovery.ServerNIC) error) error { return s.ExportServerNICs(c, acctA, fn) })
	sameLines(t, "interface rows", keys(nics, func(n discovery.ServerNIC) string {
		return fmt.Sprintf("%s %s %s %s", n.ServerID, n.Name, n.IPAddress, n.MACAddress)
	}), []string{id + " eth0 10.0.0.1 02:00:00:00:00:01", id + " eth0 10.0.0.2 02:00:00:00:00:01", id + " eth1 10.0.1.1 02:00:00:00:00:02"})
	var tpl []string
	must(t, s.ExportImportTemplateRows(c, acctA, func(r *discovery.ImportTemplateRow) error {
		tpl = append(tpl, fmt.Sprintf("%s ips=%v macs=%v", r.Server.ID, r.IPAddresses, r.MACAddresses))
		return nil
	}))
	sameLines(t, "import template rows", tpl, []string{id + " ips=[10.0.0.1 10.0.0.2 10.0.1.1] macs=[02:00:00:00:00:01 02:00:00:00:00:02]"})
	var used []string
	must(t, s.EC2Servers(c, acctA, func(r *discovery.EC2Server) error {
		used = append(used, fmt.Sprint(r.UsedRAMMB))
		return nil
	}))
	sameLines(t, "EC2 used memory", used, []string{"[0]"})
	sameLines(t, "an empty account's row counts", rowCounts(t, s, "333333333333"), []string{"perf=0", "os=0", "nics=0", "procs=0", "out=0", "in=0",
		"apps=0", "appServers=0", "servers=0", "perfServers=0", "vmware=0", "ec2=0", "serverNICs=0", "serverTags=0", "template=0"})
}
