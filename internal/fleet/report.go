package fleet

import (
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/poseidon-ads/poseidon/internal/agentdata"
)

// host is one server of the fleet and its agent.
type host struct {
	idx     int
	app     *application
	role    Role
	ordinal int
	windows bool
	hyper   hypervisor
	agentID string
	host    string // short host name
	ip, mac string
	agent   agentdata.AgentInfo
	info    agentdata.ServerInfo
	nics    []agentdata.NetworkInterface
	procs   []agentdata.Process
	edges   []int32 // indices into Fleet.edges, in report order

	// PIDs of the processes that own its connections.
	pidServe, pidClient, pidDNS, pidNTP, pidAdmin int

	// Utilization profile.
	tz                                           float64 // hours from UTC
	cpuBase, cpuAmp, cpuSigma, ramUsed           float64
	diskFree0, diskGrowth                        float64 // GB, GB per slot
	diskRead, diskWrite, ioKB, netRead, netWrite float64
	phase                                        int64 // seconds before each slot it reports

	noiseStream uint64
	pcg         *rand.PCG
	rng         *rand.Rand
}

// edge is a flow the fleet's agents observe: between two servers, or
// between a server and an endpoint outside the fleet (src or dst nil).
type edge struct {
	src, dst       *host
	srcIP, dstIP   string
	port           int
	udp            bool
	p              float64 // chance of being seen in a report
	srcPID, dstPID int
	ephLo, ephN    int // the client's ephemeral port range
}

func (h *host) resetNoise(seed uint64) {
	if h.pcg == nil {
		h.pcg = rand.NewPCG(0, 0)
		h.rng = rand.New(h.pcg)
	}
	h.pcg.Seed(seed^0x6e6f697365, h.noiseStream)
}

func (h *host) summary() AgentSummary {
	s := AgentSummary{
		AgentID:     h.agentID,
		HostName:    h.info.HostName,
		IPAddress:   h.ip,
		MACAddress:  h.mac,
		Application: h.app.name,
		Environment: h.app.env,
		Role:        h.role,
		OSName:      h.info.OSName,
		OSVersion:   h.info.OSVersion,
		Windows:     h.windows,
		Hypervisor:  h.info.Hypervisor,
		ServerType:  h.info.Type,
		Health:      h.agent.Health,
	}
	switch h.role {
	case Web:
		s.ListenPorts = []int{PortHTTP, PortHTTPS}
	case App:
		s.ListenPorts = []int{h.app.appPort}
	case DB:
		s.ListenPorts = []int{h.app.db.port}
	case Cache:
		s.ListenPorts = []int{PortRedis}
	case Queue:
		s.ListenPorts = []int{PortAMQP}
	}
	return s
}

// report is what h observed at slot k (unix seconds slot).
func (f *Fleet) report(h *host, k int, slot int64) agentdata.Report {
	ts := slot - h.phase
	r := agentdata.Report{
		ReportID:          h.agentID + "-" + strconv.FormatInt(ts, 10),
		AgentID:           h.agentID,
		Timestamp:         float64(ts),
		Agent:             h.agent,
		Server:            h.info,
		NetworkInterfaces: h.nics,
		Performance:       h.perf(k, ts),
		Connections:       f.connections(h, k),
	}
	if k%4 == 0 {
		r.Processes = h.procs
	}
	return r
}

// connections are the flows h saw at slot k. Whether a flow is seen and its
// ephemeral source port depend only on the flow and the slot, so both ends
// of a flow between two servers report it alike.
func (f *Fleet) connections(h *host, k int) []agentdata.Connection {
	out := make([]agentdata.Connection, 0, min(len(h.edges), maxConnections))
	for _, i := range h.edges {
		e := &f.edges[i]
		x := mix(mix(f.extSeed+uint64(i)) + uint64(k))
		if unit(x) >= e.p {
			continue
		}
		c := agentdata.Connection{
			SourceIP:          e.srcIP,
			SourcePort:        e.ephLo + int(mix(x)%uint64(e.ephN)),
			DestinationIP:     e.dstIP,
			DestinationPort:   e.port,
			IPVersion:         "IPv4",
			TransportProtocol: "tcp",
		}
		if e.udp {
			c.TransportProtocol = "udp"
		}
		if e.src == h {
			c.Direction, c.PID = "outbound", e.srcPID
		} else {
			c.Direction, c.PID = "inbound", e.dstPID
		}
		out = append(out, c)
		if len(out) == maxConnections {
			break
		}
	}
	return out
}

// business is the business-hours load at a local hour: 0 at night, rising
// from 07:00 to a peak mid-afternoon and back to 0 at 20:00.
func business(hour float64) float64 {
	if hour < 7 || hour > 20 {
		return 0
	}
	return math.Pow(max(0, math.Sin(math.Pi*(hour-7)/13)), 1.5)
}

// perf is h's performance sample at slot k, taken at ts.
func (h *host) perf(k int, ts int64) *agentdata.Performance {
	rng := h.rng
	local := ts + int64(h.tz*3600)
	day := floorDiv(local, 86400)
	hour := float64(local-day*86400) / 3600
	weekday := (day + 4) % 7 // 1970-01-01 was a Thursday; 0 is Sunday
	load := business(hour)
	if weekday == 0 || weekday == 6 {
		load *= 0.3
	}
	if h.role == DB && hour >= 1 && hour < 3 {
		load += 0.6 // nightly backup
	}
	load = max(0, load+rng.NormFloat64()*0.05)

	cpu := h.cpuBase + h.cpuAmp*load + rng.NormFloat64()*h.cpuSigma
	if rng.IntN(200) == 0 {
		cpu += 30 + 40*rng.Float64() // a spike
	}
	cpu = clamp(cpu, 0.5, 100)

	ramMB := h.info.TotalRAMMB
	used := clamp(h.ramUsed+0.12*load+rng.NormFloat64()*0.02, 0.05, 0.97)

	diskGB := h.info.TotalDiskGB
	diskFree := max(diskGB*0.02, h.diskFree0-h.diskGrowth*float64(k))

	act := 0.15 + load
	jitter := func() float64 { return math.Exp(rng.NormFloat64() * 0.25) }
	dr := h.diskRead * act * jitter()
	dw := h.diskWrite * act * jitter()
	return &agentdata.Performance{
		CPUUsagePct:        round2(cpu),
		FreeRAMMB:          round2(ramMB * (1 - used)),
		DiskFreeGB:         round2(diskFree),
		DiskReadKBps:       round2(dr),
		DiskWriteKBps:      round2(dw),
		DiskReadOpsPerSec:  round2(dr / h.ioKB),
		DiskWriteOpsPerSec: round2(dw / h.ioKB),
		NetworkReadKBps:    round2(h.netRead * act * jitter()),
		NetworkWriteKBps:   round2(h.netWrite * act * jitter()),
	}
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func clamp(v, lo, hi float64) float64 { return min(hi, max(lo, v)) }

func round2(v float64) float64 { return math.Round(v*100) / 100 }
