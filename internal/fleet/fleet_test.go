package fleet

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/agentdata"
)

var testEnd = time.Date(2026, 3, 11, 17, 52, 13, 0, time.UTC) // a Wednesday

// streamHash hashes the JSON of every report Generate yields, in order.
func streamHash(t testing.TB, f *Fleet) (string, int) {
	t.Helper()
	h := sha256.New()
	enc := json.NewEncoder(h)
	n := 0
	if err := f.Generate(func(r agentdata.Report) error {
		n++
		return enc.Encode(r)
	}); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", h.Sum(nil)), n
}

func mustNew(t testing.TB, cfg Config) *Fleet {
	t.Helper()
	f, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestDeterministic(t *testing.T) {
	cfg := Config{Servers: 60, Hours: 6, Seed: 7, End: testEnd}
	f1 := mustNew(t, cfg)
	h1, n := streamHash(t, f1)
	if n != 60*6*4 {
		t.Fatalf("%d reports, want %d", n, 60*6*4)
	}
	// The same fleet again, and a second run of the same Fleet value.
	if h2, _ := streamHash(t, mustNew(t, cfg)); h2 != h1 {
		t.Fatal("same config, different reports")
	}
	if h3, _ := streamHash(t, f1); h3 != h1 {
		t.Fatal("second Generate of the same fleet differs")
	}
	// Any end time in the same 15-minute slot gives the same fleet.
	later := cfg
	later.End = cfg.End.Add(7 * time.Minute)
	if h4, _ := streamHash(t, mustNew(t, later)); h4 != h1 {
		t.Fatal("end times within one slot give different reports")
	}
	// Another seed is another fleet, agents included.
	other := cfg
	other.Seed = 8
	if h5, _ := streamHash(t, mustNew(t, other)); h5 == h1 {
		t.Fatal("seeds 7 and 8 give the same reports")
	}
	a1, a2 := f1.Agents(), mustNew(t, other).Agents()
	for i := range a1 {
		if a1[i].AgentID == a2[i].AgentID {
			t.Fatalf("agent %d has the same ID %s under seeds 7 and 8", i, a1[i].AgentID)
		}
	}
	// Package-level helpers agree with the Fleet.
	a3, err := Agents(cfg)
	if err != nil || len(a3) != len(a1) || a3[0].AgentID != a1[0].AgentID {
		t.Fatalf("Agents(cfg) = %v, %v", len(a3), err)
	}
	hs := sha256.New()
	enc := json.NewEncoder(hs)
	if err := Generate(cfg, func(r agentdata.Report) error { return enc.Encode(r) }); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprintf("%x", hs.Sum(nil)) != h1 {
		t.Fatal("Generate(cfg) differs from New(cfg).Generate")
	}
}

func TestConfigBounds(t *testing.T) {
	for _, c := range []Config{
		{Servers: 0, Hours: 1, End: testEnd},
		{Servers: MaxServers + 1, Hours: 1, End: testEnd},
		{Servers: 1, Hours: 0, End: testEnd},
		{Servers: 1, Hours: MaxHours + 1, End: testEnd},
		{Servers: 1, Hours: 1},
		{Servers: 1, Hours: 48, End: time.Unix(3600, 0)},
	} {
		if _, err := New(c); err == nil {
			t.Errorf("New(%+v) accepted", c)
		}
	}
	for n := 1; n <= 4; n++ {
		f := mustNew(t, Config{Servers: n, Hours: 1, Seed: 3, End: testEnd})
		if _, got := streamHash(t, f); got != n*4 {
			t.Errorf("%d servers: %d reports", n, got)
		}
	}
}

func TestGenerateStopsOnError(t *testing.T) {
	stop := errors.New("stop")
	n := 0
	err := Generate(Config{Servers: 5, Hours: 2, Seed: 1, End: testEnd}, func(agentdata.Report) error {
		n++
		if n == 7 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 7 {
		t.Fatalf("err %v after %d reports", err, n)
	}
}

var agentIDPattern = regexp.MustCompile(`^o-[0-9a-f]{17}$`)

func TestInvariants(t *testing.T) {
	const servers, hours = 200, 48
	cfg := Config{Servers: servers, Hours: hours, Seed: 42, End: testEnd}
	f := mustNew(t, cfg)
	agents := f.Agents()
	first, last := cfg.Window()
	if last != time.Date(2026, 3, 11, 17, 45, 0, 0, time.UTC) || last.Sub(first) != (hours*4-1)*Interval {
		t.Fatalf("window %s..%s", first, last)
	}

	byID := map[string]int{}
	byIP := map[string]int{}
	hosts := map[string]bool{}
	apps := map[string]map[Role]bool{}
	linux, vmware, unhealthy := 0, 0, 0
	for i, a := range agents {
		if !agentIDPattern.MatchString(a.AgentID) {
			t.Fatalf("agent ID %q", a.AgentID)
		}
		if _, dup := byID[a.AgentID]; dup {
			t.Fatalf("duplicate agent ID %s", a.AgentID)
		}
		if _, dup := byIP[a.IPAddress]; dup {
			t.Fatalf("duplicate IP %s", a.IPAddress)
		}
		if hosts[a.HostName] {
			t.Fatalf("duplicate host name %s", a.HostName)
		}
		byID[a.AgentID], byIP[a.IPAddress], hosts[a.HostName] = i, i, true
		if apps[a.Application] == nil {
			apps[a.Application] = map[Role]bool{}
		}
		apps[a.Application][a.Role] = true
		if !a.Windows {
			linux++
		}
		if a.Hypervisor == "VMware" {
			vmware++
			if a.ServerType != "VMWARE_VM" {
				t.Fatalf("%s: VMware server of type %s", a.HostName, a.ServerType)
			}
		}
		if a.Health == "UNHEALTHY" {
			unhealthy++
		}
	}
	if unhealthy == 0 || unhealthy > servers/10 {
		t.Errorf("%d unhealthy agents of %d", unhealthy, servers)
	}
	if len(apps) < servers/13 {
		t.Errorf("only %d applications", len(apps))
	}

	infra := map[string]bool{DNSServerIP: true, NTPServerIP: true, EC2NTPIP: true, BastionIP: true, JumpHostIP: true}
	isLB := regexp.MustCompile(`^10\.\d+\.\d+\.5$`)
	dbPorts := []int{PortPostgres, PortMySQL, PortSQLServer, PortOracle}

	type state struct {
		lastTS   float64
		diskFree float64
		pids     map[int]bool
	}
	st := make([]state, servers)
	type flow struct {
		src, dst string
		srcPort  int
		dstPort  int
		slot     int
	}
	seen := map[flow]int{} // +1 outbound report, +2 inbound report
	inboundPorts := make([]map[int]bool, servers)
	var batch agentdata.Batch
	var cpuDay, cpuNight float64
	var nDay, nNight, nConns, n int
	reportIDs := map[string]bool{}

	err := f.Generate(func(r agentdata.Report) error {
		slot := n / servers
		i, ok := byID[r.AgentID]
		if !ok || i != n%servers {
			t.Fatalf("report %d from agent %s (index %d), want time order", n, r.AgentID, i)
		}
		n++
		a := agents[i]
		s := &st[i]
		if reportIDs[r.ReportID] {
			t.Fatalf("duplicate report ID %s", r.ReportID)
		}
		reportIDs[r.ReportID] = true

		ts := time.Unix(int64(r.Timestamp), 0)
		if ts.After(last) || !ts.After(first.Add(-2*time.Minute)) {
			t.Fatalf("%s: timestamp %s outside %s..%s", r.ReportID, ts, first, last)
		}
		if s.lastTS != 0 && r.Timestamp-s.lastTS != 900 {
			t.Fatalf("%s: %v s after the previous report", r.ReportID, r.Timestamp-s.lastTS)
		}
		s.lastTS = r.Timestamp

		// Processes on the first report and hourly.
		if (slot%4 == 0) != (len(r.Processes) > 0) {
			t.Fatalf("%s: slot %d has %d processes", r.ReportID, slot, len(r.Processes))
		}
		if slot == 0 {
			s.pids = map[int]bool{}
			for _, p := range r.Processes {
				s.pids[p.PID] = true
			}
		}

		// Performance.
		p := r.Performance
		if p == nil {
			t.Fatalf("%s: no performance sample", r.ReportID)
		}
		if p.CPUUsagePct <= 0 || p.CPUUsagePct > 100 || p.FreeRAMMB <= 0 || p.FreeRAMMB >= r.Server.TotalRAMMB ||
			p.DiskFreeGB <= 0 || p.DiskFreeGB > r.Server.TotalDiskGB {
			t.Fatalf("%s: performance %+v out of range for %+v", r.ReportID, *p, r.Server)
		}
		if slot > 0 && p.DiskFreeGB > s.diskFree {
			t.Fatalf("%s: free disk rose from %v to %v", r.ReportID, s.diskFree, p.DiskFreeGB)
		}
		s.diskFree = p.DiskFreeGB
		local := ts.Add(time.Duration(f.hosts[i].tz * float64(time.Hour)))
		if wd := local.Weekday(); wd != time.Saturday && wd != time.Sunday && a.Role != DB {
			switch h := local.Hour(); {
			case h >= 11 && h < 16:
				cpuDay += p.CPUUsagePct
				nDay++
			case h < 5:
				cpuNight += p.CPUUsagePct
				nNight++
			}
		}

		// Network: the server's own address, and the interfaces.
		if len(r.NetworkInterfaces) == 0 || r.NetworkInterfaces[0].IPAddress != a.IPAddress {
			t.Fatalf("%s: interfaces %+v", r.ReportID, r.NetworkInterfaces)
		}

		// Connections.
		if len(r.Connections) > 8 {
			t.Fatalf("%s: %d connections", r.ReportID, len(r.Connections))
		}
		nConns += len(r.Connections)
		for _, c := range r.Connections {
			local, peer := c.SourceIP, c.DestinationIP
			if c.Direction == "inbound" {
				local, peer = peer, local
			}
			if local != a.IPAddress {
				t.Fatalf("%s: %s connection %+v does not involve %s", r.ReportID, c.Direction, c, a.IPAddress)
			}
			if !s.pids[c.PID] {
				t.Fatalf("%s: connection PID %d is not one of its processes", r.ReportID, c.PID)
			}
			if c.Direction == "outbound" && (c.SourcePort < 32768 || c.SourcePort > 65535) {
				t.Fatalf("%s: outbound source port %d is not ephemeral", r.ReportID, c.SourcePort)
			}
			if j, ok := byIP[peer]; ok {
				b := agents[j]
				if j == i || b.Application != a.Application {
					t.Fatalf("%s: connection %+v to %s of %s", r.ReportID, c, b.HostName, b.Application)
				}
				if c.Direction == "outbound" && !slices.Contains(b.ListenPorts, c.DestinationPort) {
					t.Fatalf("%s: %s does not listen on %d", r.ReportID, b.HostName, c.DestinationPort)
				}
				k := flow{c.SourceIP, c.DestinationIP, c.SourcePort, c.DestinationPort, slot}
				if c.Direction == "outbound" {
					seen[k] |= 1
				} else {
					seen[k] |= 2
				}
			} else if !infra[peer] && !(c.Direction == "inbound" && isLB.MatchString(peer)) {
				t.Fatalf("%s: peer %s is neither a server nor an infrastructure endpoint", r.ReportID, peer)
			}
			if c.Direction == "inbound" {
				if inboundPorts[i] == nil {
					inboundPorts[i] = map[int]bool{}
				}
				inboundPorts[i][c.DestinationPort] = true
				if c.DestinationPort != PortSSH && c.DestinationPort != PortRDP && !slices.Contains(a.ListenPorts, c.DestinationPort) {
					t.Fatalf("%s: inbound on %d, %s serves %v", r.ReportID, c.DestinationPort, a.Role, a.ListenPorts)
				}
			}
		}

		// Every batch of reports passes intake validation.
		batch.Reports = append(batch.Reports, r)
		if len(batch.Reports) == agentdata.MaxReports {
			if err := batch.Validate(); err != nil {
				t.Fatal(err)
			}
			batch.Reports = batch.Reports[:0]
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(batch.Reports) > 0 {
		if err := batch.Validate(); err != nil {
			t.Fatal(err)
		}
	}
	if want := servers * hours * 4; n != want {
		t.Fatalf("%d reports, want %d", n, want)
	}
	if avg := float64(nConns) / float64(n); avg < 3 || avg > 8 {
		t.Errorf("%.1f connections per report, want 3..8", avg)
	}
	if cpuDay/float64(nDay) < cpuNight/float64(nNight)+10 {
		t.Errorf("business-hours CPU %.1f%% vs night %.1f%%: no daily curve", cpuDay/float64(nDay), cpuNight/float64(nNight))
	}

	// Both ends report a flow between two servers alike.
	both := 0
	for _, v := range seen {
		if v == 3 {
			both++
		}
	}
	t.Logf("%d apps, %d%% Linux, %d%% VMware, %d unhealthy; %.2f connections/report; CPU %.1f%% business hours, %.1f%% night; %d/%d flows seen by both ends",
		len(apps), 100*linux/servers, 100*vmware/servers, unhealthy, float64(nConns)/float64(n),
		cpuDay/float64(nDay), cpuNight/float64(nNight), both, len(seen))
	if both*100 < len(seen)*95 {
		t.Errorf("only %d of %d server-to-server flows are reported by both ends", both, len(seen))
	}

	// Every tier serves its documented ports.
	want := map[Role][]int{Web: {PortHTTPS, PortHTTP}, Cache: {PortRedis}, Queue: {PortAMQP}}
	for i, a := range agents {
		ports := inboundPorts[i]
		switch a.Role {
		case App:
			if !ports[PortAppHTTP] && !ports[PortAppHTTPS] && apps[a.Application][Web] {
				t.Errorf("%s: app server without inbound on 8080/8443: %v", a.HostName, ports)
			}
		case DB:
			if !ports[a.ListenPorts[0]] || !slices.Contains(dbPorts, a.ListenPorts[0]) {
				t.Errorf("%s: database without inbound on %v: %v", a.HostName, a.ListenPorts, ports)
			}
		default:
			for _, p := range want[a.Role] {
				if !ports[p] {
					t.Errorf("%s: %s server never saw inbound on %d: %v", a.HostName, a.Role, p, ports)
				}
			}
		}
		if a.Windows && !ports[PortRDP] || !a.Windows && !ports[PortSSH] {
			t.Errorf("%s: no admin session in %d hours", a.HostName, hours)
		}
	}
}

// TestMix checks the shape of a large fleet: OS, hypervisor and health mix,
// and tier sizes.
func TestMix(t *testing.T) {
	const n = 2000
	f := mustNew(t, Config{Servers: n, Hours: 1, Seed: 1, End: testEnd})
	agents := f.Agents()
	// Every interface address is unique, so connections resolve to one server.
	ips := map[string]bool{}
	for _, h := range f.hosts {
		for _, nic := range h.nics {
			if ips[nic.IPAddress] {
				t.Fatalf("address %s used twice", nic.IPAddress)
			}
			ips[nic.IPAddress] = true
		}
	}
	count := map[string]int{}
	for _, a := range agents {
		if a.Windows {
			count["windows"]++
			if !strings.HasPrefix(a.OSName, "Microsoft Windows Server 20") {
				t.Fatalf("%s: Windows OS %q", a.HostName, a.OSName)
			}
		} else if !strings.HasPrefix(a.OSName, "Linux - ") {
			t.Fatalf("%s: Linux OS %q", a.HostName, a.OSName)
		}
		count["hv:"+a.Hypervisor]++
		count["health:"+a.Health]++
		count["role:"+string(a.Role)]++
		count["os:"+a.OSName]++
	}
	pct := func(k string) int { return 100 * count[k] / n }
	t.Logf("%v", count)
	for _, c := range []struct {
		key    string
		lo, hi int
	}{
		{"windows", 35, 55}, {"hv:VMware", 52, 68}, {"hv:xen", 12, 28}, {"hv:", 2, 12},
		{"health:UNHEALTHY", 1, 6}, {"role:web", 20, 45}, {"role:db", 12, 30}, {"role:cache", 3, 15}, {"role:queue", 2, 12},
	} {
		if p := pct(c.key); p < c.lo || p > c.hi {
			t.Errorf("%s: %d%%, want %d..%d%%", c.key, p, c.lo, c.hi)
		}
	}
	for _, os := range []string{"Amazon Linux release 2 ", "Amazon Linux release 2023", "Ubuntu 20.04", "Ubuntu 22.04",
		"Red Hat Enterprise Linux release 8", "Red Hat Enterprise Linux release 9", "Server 2016", "Server 2019", "Server 2022"} {
		found := false
		for k := range count {
			found = found || strings.HasPrefix(k, "os:") && strings.Contains(k, os)
		}
		if !found {
			t.Errorf("no %s server in %d", os, n)
		}
	}
}

func BenchmarkGenerate(b *testing.B) {
	f := mustNew(b, Config{Servers: 1000, Hours: 1, Seed: 1, End: testEnd})
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		f.Generate(func(agentdata.Report) error { n++; return nil })
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "reports/s")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkGenerateJSON adds the JSON encoding the seeder does.
func BenchmarkGenerateJSON(b *testing.B) {
	f := mustNew(b, Config{Servers: 1000, Hours: 1, Seed: 1, End: testEnd})
	b.ReportAllocs()
	n, bytes := 0, 0
	for b.Loop() {
		f.Generate(func(r agentdata.Report) error {
			j, err := json.Marshal(r)
			n++
			bytes += len(j)
			return err
		})
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "reports/s")
	b.ReportMetric(float64(bytes)/float64(n), "bytes/report")
	b.ReportMetric(0, "ns/op")
}

func TestGenerateIntakeOrder(t *testing.T) {
	cfg := Config{Servers: 7, Hours: 5, Seed: 3, End: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	f, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var plain []string
	if err := f.Generate(func(r agentdata.Report) error { plain = append(plain, r.ReportID); return nil }); err != nil {
		t.Fatal(err)
	}
	var ordered []string
	last := map[string]float64{}
	firsts := 0
	err = f.GenerateIntakeOrder(func(r agentdata.Report, first bool) error {
		if first != (len(ordered) < cfg.Servers) {
			t.Fatalf("report %d first=%v", len(ordered), first)
		}
		if first {
			firsts++
		}
		if r.Timestamp <= last[r.AgentID] {
			t.Fatalf("agent %s goes back in time", r.AgentID)
		}
		last[r.AgentID] = r.Timestamp
		ordered = append(ordered, r.ReportID)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if firsts != cfg.Servers || len(ordered) != len(plain) {
		t.Fatalf("%d first, %d reports, want %d and %d", firsts, len(ordered), cfg.Servers, len(plain))
	}
	// Same reports, other order: after the first slot, runs of one agent.
	a, b := slices.Clone(plain), slices.Clone(ordered)
	slices.Sort(a)
	slices.Sort(b)
	if !slices.Equal(a, b) {
		t.Fatal("intake order does not hold the same reports")
	}
	if slices.Equal(plain, ordered) {
		t.Fatal("intake order is the plain time order")
	}
	run := ordered[cfg.Servers : cfg.Servers+IntakeWindow]
	agent := run[0][:strings.LastIndex(run[0], "-")]
	for _, id := range run {
		if !strings.HasPrefix(id, agent+"-") {
			t.Fatalf("the first window is not one agent's run: %v", run)
		}
	}
}
