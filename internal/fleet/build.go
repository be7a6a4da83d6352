package fleet

import (
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/poseidon-ads/poseidon/internal/agentdata"
)

// application is one multi-tier application of the fleet.
type application struct {
	idx       int
	name      string
	env       string
	stack     stack
	linux     distro
	windows   winVersion
	hyper     hypervisor
	dc        *datacenter
	subnet    string // "10.20.5." (a /24)
	appPort   int
	db        dbEngine
	tiers     [len(roles)][]*host
	firstHost int // fleet index of its first server
}

type stack int

const (
	stackJava   stack = iota // all Linux: nginx/httpd, Java, PostgreSQL/MySQL/Oracle
	stackDotnet              // Windows: IIS, .NET, SQL Server (Redis on Linux)
	stackMixed               // Linux web and app, SQL Server on Windows
)

type dbEngine struct {
	name string
	port int
}

var (
	postgres  = dbEngine{"postgres", PortPostgres}
	mysql     = dbEngine{"mysql", PortMySQL}
	oracle    = dbEngine{"oracle", PortOracle}
	sqlServer = dbEngine{"sqlserver", PortSQLServer}
)

type distro struct {
	key, osName, osVersion string
	family                 string // "rhel" (Amazon Linux, RHEL) or "debian"
}

var distros = []weighted[distro]{
	{20, distro{"al2", "Linux - Amazon Linux release 2 (Karoo)", "4.14.336-257.562.amzn2.x86_64", "rhel"}},
	{15, distro{"al2023", "Linux - Amazon Linux release 2023 (Amazon Linux)", "6.1.79-99.167.amzn2023.x86_64", "rhel"}},
	{15, distro{"ubuntu20", "Linux - Ubuntu 20.04.6 LTS", "5.4.0-172-generic", "debian"}},
	{20, distro{"ubuntu22", "Linux - Ubuntu 22.04.4 LTS", "5.15.0-100-generic", "debian"}},
	{18, distro{"rhel8", "Linux - Red Hat Enterprise Linux release 8.9 (Ootpa)", "4.18.0-513.18.1.el8_9.x86_64", "rhel"}},
	{12, distro{"rhel9", "Linux - Red Hat Enterprise Linux release 9.3 (Plow)", "5.14.0-362.24.1.el9_3.x86_64", "rhel"}},
}

type winVersion struct {
	osName, osVersion string
	sqlDir            string // SQL Server instance directory of the matching release
}

var winVersions = []weighted[winVersion]{
	{25, winVersion{"Microsoft Windows Server 2016 Standard", "10.0.14393", "MSSQL13.MSSQLSERVER"}},
	{45, winVersion{"Microsoft Windows Server 2019 Datacenter", "10.0.17763", "MSSQL15.MSSQLSERVER"}},
	{30, winVersion{"Microsoft Windows Server 2022 Standard", "10.0.20348", "MSSQL16.MSSQLSERVER"}},
}

type hypervisor int

const (
	hvVMware hypervisor = iota
	hvEC2
	hvHyperV
	hvKVM
	hvPhysical
)

// Databases off EC2 go to bare metal one time in four, which brings VMware
// from 64% of applications to about 60% of servers.
var hypervisors = []weighted[hypervisor]{{64, hvVMware}, {20, hvEC2}, {8, hvHyperV}, {4, hvKVM}, {4, hvPhysical}}

// datacenter is where an application runs; its time zone shapes the
// business-hours curve.
type datacenter struct {
	name        string
	tzHours     float64
	vcenterID   string
	vcenterName string
	esxHosts    int
	firstHost   int
}

var environments = []weighted[string]{{50, "prod"}, {20, "staging"}, {20, "dev"}, {10, "qa"}}

var appNames = []string{
	"billing", "crm", "inventory", "payments", "hr-portal", "intranet", "orders", "shipping",
	"catalog", "search", "reporting", "analytics", "ledger", "payroll", "claims", "policy",
	"quotes", "support", "ticketing", "sso", "gateway", "notifications", "mailer", "scheduler",
	"warehouse", "pricing", "loyalty", "checkout", "cms", "wiki", "erp", "mes",
	"pos", "fraud", "risk", "kyc", "onboarding", "docs", "media", "timesheets",
}

// tierTemplate is the order in which an application of n servers gets its
// tiers: a 3-server application is web, app, db.
var tierTemplate = []Role{Web, App, DB, Web, App, Cache, Queue, DB, App, Web, App, Web, App, Cache, Web, App}

type weighted[T any] struct {
	w int
	v T
}

func pick[T any](rng *rand.Rand, choices []weighted[T]) T {
	total := 0
	for _, c := range choices {
		total += c.w
	}
	n := rng.IntN(total)
	for _, c := range choices {
		if n < c.w {
			return c.v
		}
		n -= c.w
	}
	panic("unreachable")
}

func oneOf[T any](rng *rand.Rand, v ...T) T { return v[rng.IntN(len(v))] }

type builder struct {
	f        *Fleet
	rng      *rand.Rand
	dcs      []*datacenter
	agentIDs map[string]bool // only to refuse duplicates, never iterated
	vmRef    int
}

func (b *builder) build() {
	b.datacenters()
	remaining := b.f.cfg.Servers
	for remaining > 0 {
		n := min(3+b.rng.IntN(10), remaining)
		remaining -= n
		b.application(n)
	}
	for _, a := range b.f.apps {
		b.appEdges(a)
	}
	for _, h := range b.f.hosts {
		b.infraEdges(h)
	}
	for i := range b.f.edges {
		e := &b.f.edges[i]
		if e.src != nil {
			e.src.edges = append(e.src.edges, int32(i))
		}
		if e.dst != nil {
			e.dst.edges = append(e.dst.edges, int32(i))
		}
	}
}

func (b *builder) datacenters() {
	n := b.f.cfg.Servers
	for i, d := range []struct {
		name string
		tz   float64
	}{{"DC-East", -5}, {"DC-West", -8}, {"DC-EU", 1}} {
		dc := &datacenter{
			name:        d.name,
			tzHours:     d.tz,
			vcenterID:   b.uuid(),
			vcenterName: fmt.Sprintf("vcenter-%02d.example.internal", i+1),
			esxHosts:    4 + n/40,
			firstHost:   1000*(i+1) + b.rng.IntN(500),
		}
		b.dcs = append(b.dcs, dc)
	}
}

func (b *builder) uuid() string {
	hi, lo := b.rng.Uint64(), b.rng.Uint64()
	hi = hi&^0xf000 | 0x4000     // version 4
	lo = lo&^(0xc<<60) | 0x8<<60 // variant 10
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", hi>>32, hi>>16&0xffff, hi&0xffff, lo>>48, lo&0xffffffffffff)
}

func (b *builder) application(n int) {
	rng := b.rng
	idx := len(b.f.apps)
	name := appNames[idx%len(appNames)]
	if cycle := idx / len(appNames); cycle > 0 {
		name += "-" + strconv.Itoa(cycle+1)
	}
	a := &application{
		idx:     idx,
		name:    name,
		env:     pick(rng, environments),
		stack:   pick(rng, []weighted[stack]{{23, stackJava}, {42, stackDotnet}, {35, stackMixed}}),
		linux:   pick(rng, distros),
		windows: pick(rng, winVersions),
		hyper:   pick(rng, hypervisors),
		dc:      b.dcs[rng.IntN(len(b.dcs))],
		subnet:  fmt.Sprintf("10.%d.%d.", 20+idx/256, idx%256),
		appPort: pick(rng, []weighted[int]{{70, PortAppHTTP}, {30, PortAppHTTPS}}),
	}
	switch a.stack {
	case stackJava:
		a.db = pick(rng, []weighted[dbEngine]{{50, postgres}, {35, mysql}, {15, oracle}})
	default:
		a.db = sqlServer
	}
	hasCache, hasQueue := rng.IntN(10) < 7, rng.IntN(2) == 0
	var plan []Role
	for _, r := range tierTemplate {
		if (r == Cache && !hasCache) || (r == Queue && !hasQueue) {
			continue
		}
		plan = append(plan, r)
	}
	for len(plan) < n {
		plan = append(plan, []Role{Web, App}[len(plan)%2])
	}
	a.firstHost = len(b.f.hosts)
	b.f.apps = append(b.f.apps, a)
	for _, r := range plan[:n] {
		b.host(a, r)
	}
}

// windowsRole says whether a role of an application's stack runs Windows.
func (a *application) windowsRole(r Role) bool {
	switch a.stack {
	case stackDotnet:
		return r != Cache
	case stackMixed:
		return r == DB
	}
	return false
}

type sizing struct {
	vcpus, ramGB, diskGB []int
	disks                [2]int // min, max
}

var sizes = map[Role]sizing{
	Web:   {[]int{2, 4}, []int{4, 8}, []int{60, 80, 100}, [2]int{1, 1}},
	App:   {[]int{4, 8}, []int{8, 16, 32}, []int{100, 150}, [2]int{1, 2}},
	DB:    {[]int{8, 16}, []int{32, 64, 128}, []int{500, 1000, 2000}, [2]int{2, 4}},
	Cache: {[]int{2, 4}, []int{16, 32}, []int{60, 80}, [2]int{1, 1}},
	Queue: {[]int{2, 4}, []int{8, 16}, []int{100, 200}, [2]int{1, 2}},
}

// perfProfile is a role's utilization: CPU baseline and business-hours
// amplitude (percent), RAM in use, disk and network throughput (KB/s at full
// load) and disk growth (fraction of the disk per day).
type perfProfile struct {
	cpuBase, cpuAmp, ramUsed                     float64
	diskRead, diskWrite, ioKB, netRead, netWrite float64
	diskGrowthPerDay                             float64
}

var profiles = map[Role]perfProfile{
	Web:   {8, 35, 0.35, 150, 300, 16, 2500, 9000, 0.0008},
	App:   {12, 40, 0.60, 400, 600, 32, 3500, 3000, 0.0010},
	DB:    {15, 35, 0.80, 6000, 2500, 64, 2500, 4000, 0.0040},
	Cache: {4, 15, 0.65, 50, 200, 8, 4000, 4500, 0.0002},
	Queue: {6, 20, 0.40, 300, 900, 16, 1500, 1500, 0.0015},
}

func (b *builder) host(a *application, r Role) {
	rng := b.rng
	f := b.f
	tier := roleIndex(r)
	ordinal := len(a.tiers[tier]) + 1
	h := &host{
		idx:     len(f.hosts),
		app:     a,
		role:    r,
		ordinal: ordinal,
		windows: a.windowsRole(r),
		ip:      a.subnet + strconv.Itoa(firstHostByte+len(f.hosts)-a.firstHost),
	}
	a.tiers[tier] = append(a.tiers[tier], h)
	f.hosts = append(f.hosts, h)

	// Agent identity.
	for {
		id := fmt.Sprintf("o-%x%016x", rng.Uint64()&0xf, rng.Uint64())
		if !b.agentIDs[id] {
			b.agentIDs[id] = true
			h.agentID = id
			break
		}
	}
	h.host = fmt.Sprintf("%s-%s-%02d", a.name, r, ordinal)
	fqdn := h.host + "." + a.env + ".example.internal"
	hv := a.hyper
	if r == DB && hv != hvEC2 && rng.IntN(4) == 0 {
		hv = hvPhysical // big databases on bare metal
	}
	h.hyper = hv
	health := "HEALTHY"
	if rng.IntN(100) < 3 {
		health = "UNHEALTHY"
	}
	h.agent = agentdata.AgentInfo{
		AgentType: "EC2",
		Version:   pick(rng, []weighted[string]{{70, "2.0.2229.0"}, {20, "2.0.2155.0"}, {10, "2.0.1975.0"}}),
		Health:    health,
	}

	// Hardware.
	sz := sizes[r]
	vcpus := oneOf(rng, sz.vcpus...)
	ramGB := oneOf(rng, sz.ramGB...)
	diskGB := oneOf(rng, sz.diskGB...)
	if h.windows && diskGB < 80 {
		diskGB = 80
	}
	cpus, cores, logical := 1, vcpus, vcpus
	switch hv {
	case hvPhysical:
		cpus, cores = 2, 2*oneOf(rng, 8, 12, 16)
		logical = 2 * cores
		ramGB *= 2
	case hvEC2:
		cores = max(1, vcpus/2)
	default:
		if vcpus > 4 {
			cpus, cores = 2, vcpus
		}
	}
	disks := sz.disks[0] + rng.IntN(sz.disks[1]-sz.disks[0]+1)
	cpuType := "x64"
	if hv == hvEC2 && !h.windows && rng.IntN(10) == 0 {
		cpuType = "arm64" // Graviton
	}
	si := agentdata.ServerInfo{
		HostName:             fqdn,
		CPUType:              cpuType,
		NumCPUs:              cpus,
		NumCores:             cores,
		NumLogicalProcessors: logical,
		TotalRAMMB:           float64(ramGB * 1024),
		TotalDiskGB:          float64(diskGB),
		NumDisks:             disks,
	}
	if h.windows {
		si.OSName, si.OSVersion = a.windows.osName, a.windows.osVersion
	} else {
		si.OSName, si.OSVersion = a.linux.osName, a.linux.osVersion
		if cpuType == "arm64" {
			si.OSVersion = a.linux.osVersion[:len(a.linux.osVersion)-len("x86_64")] + "aarch64"
			if a.linux.family == "debian" {
				si.OSVersion = a.linux.osVersion[:len(a.linux.osVersion)-len("generic")] + "aws"
			}
		}
	}
	var macPrefix string
	switch hv {
	case hvVMware:
		si.Hypervisor, si.Type, macPrefix = "VMware", "VMWARE_VM", "00:50:56"
		dc := a.dc
		b.vmRef += 1 + rng.IntN(40)
		si.VMware = &agentdata.VMware{
			MoRefID:      "vm-" + strconv.Itoa(1000+b.vmRef),
			VMName:       h.host,
			VCenterID:    dc.vcenterID,
			VCenterName:  dc.vcenterName,
			VMFolderPath: "/" + dc.name + "/vm/" + a.env + "/" + a.name,
			HostID:       "host-" + strconv.Itoa(dc.firstHost+rng.IntN(dc.esxHosts)),
		}
	case hvEC2:
		si.Hypervisor, si.Type, macPrefix = "xen", "EC2", oneOf(rng, "02", "06", "0a")+fmt.Sprintf(":%02x:%02x", rng.IntN(256), rng.IntN(256))
	case hvHyperV:
		si.Hypervisor, si.Type, macPrefix = "Microsoft Hyper-V", "OTHER", "00:15:5d"
	case hvKVM:
		si.Hypervisor, si.Type, macPrefix = "KVM", "OTHER", "52:54:00"
	default:
		si.Type, macPrefix = "OTHER", oneOf(rng, "b8:ca:3a", "f4:02:70", "3c:ec:ef") // Dell, Dell, Supermicro
	}
	h.info = si

	// Network.
	mac := func() string {
		return fmt.Sprintf("%s:%02x:%02x:%02x", macPrefix, rng.IntN(256), rng.IntN(256), rng.IntN(256))
	}
	nic := "eth0"
	if h.windows {
		nic = "Ethernet0"
	}
	h.mac = mac()
	h.nics = []agentdata.NetworkInterface{{
		Name: nic, MACAddress: h.mac, IPAddress: h.ip, NetMask: "255.255.255.0", Family: "IPv4", Gateway: a.subnet + "1",
	}}
	if r == DB {
		// A second interface on the backup network.
		nic2 := "eth1"
		if h.windows {
			nic2 = "Ethernet1"
		}
		h.nics = append(h.nics, agentdata.NetworkInterface{
			Name: nic2, MACAddress: mac(), IPAddress: fmt.Sprintf("10.%d.%d.%s", 120+a.idx/256, a.idx%256, h.ip[len(a.subnet):]),
			NetMask: "255.255.255.0", Family: "IPv4",
		})
	}

	// Processes.
	procs(h, rng)

	// Performance profile, varied per server.
	p := profiles[r]
	h.tz = a.dc.tzHours
	h.cpuBase = p.cpuBase * (0.6 + 0.8*rng.Float64())
	h.cpuAmp = p.cpuAmp * (0.6 + 0.8*rng.Float64())
	h.cpuSigma = 1.5 + 3*rng.Float64()
	h.ramUsed = min(0.9, p.ramUsed*(0.8+0.4*rng.Float64()))
	h.diskFree0 = float64(diskGB) * (0.35 + 0.5*rng.Float64())
	h.diskGrowth = float64(diskGB) * p.diskGrowthPerDay * (0.5 + rng.Float64()) / 96
	scale := float64(vcpus) / 4
	h.diskRead = p.diskRead * scale * (0.5 + rng.Float64())
	h.diskWrite = p.diskWrite * scale * (0.5 + rng.Float64())
	h.ioKB = p.ioKB * (0.75 + 0.5*rng.Float64())
	h.netRead = p.netRead * scale * (0.5 + rng.Float64())
	h.netWrite = p.netWrite * scale * (0.5 + rng.Float64())
	h.phase = int64(rng.IntN(120))
	h.noiseStream = uint64(h.idx) + 1
}

// pairs joins two tiers so that every server of each has at least one peer
// in the other, spreading the load evenly.
func pairs(from, to []*host, fn func(a, b *host)) {
	if len(from) == 0 || len(to) == 0 {
		return
	}
	for k := range max(len(from), len(to)) {
		fn(from[k%len(from)], to[k%len(to)])
	}
}

func (b *builder) appEdges(a *application) {
	f := b.f
	web, app, db, cache, queue := a.tiers[0], a.tiers[1], a.tiers[2], a.tiers[3], a.tiers[4]
	lb := a.subnet + strconv.Itoa(lbHostOctet)
	for _, w := range web {
		f.addEdge(edge{srcIP: lb, dst: w, port: PortHTTPS, p: 0.95, dstPID: w.pidServe})
		f.addEdge(edge{srcIP: lb, dst: w, port: PortHTTP, p: 0.4, dstPID: w.pidServe})
	}
	tier := func(from, to []*host, port int, p float64) {
		pairs(from, to, func(s, d *host) {
			f.addEdge(edge{src: s, dst: d, port: port, p: p, srcPID: s.pidClient, dstPID: d.pidServe})
		})
	}
	tier(web, app, a.appPort, 0.9)
	if len(app) == 0 {
		tier(web, db, a.db.port, 0.9)
	}
	tier(app, db, a.db.port, 0.9)
	tier(app, cache, PortRedis, 0.85)
	tier(app, queue, PortAMQP, 0.8)
	// Replicas stream from the primary.
	for _, r := range db[min(1, len(db)):] {
		f.addEdge(edge{src: r, dst: db[0], port: a.db.port, p: 0.95, srcPID: r.pidClient, dstPID: db[0].pidServe})
	}
}

func (b *builder) infraEdges(h *host) {
	f := b.f
	f.addEdge(edge{src: h, dstIP: DNSServerIP, port: PortDNS, udp: true, p: 1, srcPID: h.pidDNS})
	ntp := NTPServerIP
	if h.hyper == hvEC2 {
		ntp = EC2NTPIP
	}
	f.addEdge(edge{src: h, dstIP: ntp, port: PortNTP, udp: true, p: 0.5, srcPID: h.pidNTP})
	if h.windows {
		f.addEdge(edge{srcIP: JumpHostIP, dst: h, port: PortRDP, p: 0.1, dstPID: h.pidAdmin})
	} else {
		f.addEdge(edge{srcIP: BastionIP, dst: h, port: PortSSH, p: 0.1, dstPID: h.pidAdmin})
	}
}

func (f *Fleet) addEdge(e edge) {
	if e.src != nil {
		e.srcIP = e.src.ip
	}
	if e.dst != nil {
		e.dstIP = e.dst.ip
	}
	// The client's ephemeral ports: Linux 32768..60999, Windows 49152..65535.
	e.ephLo, e.ephN = 32768, 28232
	if e.src != nil && e.src.windows {
		e.ephLo, e.ephN = 49152, 16384
	}
	f.edges = append(f.edges, e)
}
