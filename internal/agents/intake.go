package agents

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/poseidon-ads/poseidon/internal/agentdata"
	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// ServerSource is the source of the servers that agents report.
const ServerSource = "Agent"

// planner applies the intake rules to one batch of one account, reading
// the state they need through an intake transaction.
type planner struct {
	tx      discovery.IntakeTx
	account string
	plan    *discovery.IntakePlan

	// order lists the agents of the batch's new reports by ID; accepted
	// holds the reports of each agent whose data is stored, by time.
	order    []string
	accepted map[string][]*discovery.AgentReport
}

// planIntake decides what a batch of reports (all of one account) writes:
//   - a report whose ID was taken in before is a duplicate and changes nothing;
//   - the other reports register their agent or update it: the newest
//     report sets its health, version and description;
//   - the data of an agent whose collection is STOPPED is dropped, and so
//     is the data of a moment (agent, time) that holds data already;
//   - the data of the other reports goes into the agent's server (merged
//     with what is stored), its interfaces, processes and connections.
func planIntake(ctx context.Context, tx discovery.IntakeTx, account string, reports []*discovery.AgentReport, now time.Time) (*discovery.IntakePlan, error) {
	p := &planner{tx: tx, account: account,
		plan: &discovery.IntakePlan{Received: now, Verdicts: make([]discovery.ReportVerdict, len(reports))}}
	groups, err := p.judgeDuplicates(ctx, reports)
	if err != nil {
		return nil, err
	}
	if len(groups) == 0 {
		return p.plan, nil
	}
	if err := p.planAgents(ctx, groups); err != nil {
		return nil, err
	}
	if len(p.accepted) == 0 {
		return p.plan, nil
	}
	agentNICs, err := p.planServers(ctx)
	if err != nil {
		return nil, err
	}
	if err := p.planProcessesAndConnections(ctx, agentNICs); err != nil {
		return nil, err
	}
	return p.plan, nil
}

// judgeDuplicates marks the reports taken in before as duplicates and
// groups the others by agent, each group by time; it fills p.order.
func (p *planner) judgeDuplicates(ctx context.Context, reports []*discovery.AgentReport) (map[string][]*discovery.AgentReport, error) {
	ids := make([]string, len(reports))
	for i, r := range reports {
		ids[i] = r.ReportID
	}
	seen, err := p.tx.ReportedIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	groups := map[string][]*discovery.AgentReport{}
	for i, r := range reports {
		p.plan.Verdicts[i].Report = r
		if seen[r.ReportID] {
			p.plan.Verdicts[i].Verdict = discovery.ReportDuplicate
			continue
		}
		groups[r.AgentID] = append(groups[r.AgentID], r)
	}
	p.order = make([]string, 0, len(groups))
	for id, g := range groups {
		p.order = append(p.order, id)
		slices.SortStableFunc(g, func(a, b *discovery.AgentReport) int { return cmp.Compare(a.TimeMs, b.TimeMs) })
	}
	slices.Sort(p.order)
	return groups, nil
}

// planAgents registers or updates the batch's agents, drops the data of
// stopped agents and of moments already reported, and fills p.accepted.
func (p *planner) planAgents(ctx context.Context, groups map[string][]*discovery.AgentReport) error {
	var moments []discovery.AgentMoment
	for _, v := range p.plan.Verdicts {
		if v.Verdict != discovery.ReportDuplicate {
			moments = append(moments, discovery.AgentMoment{AgentID: v.Report.AgentID, TimeMs: v.Report.TimeMs})
		}
	}
	taken, err := p.tx.MomentsWithData(ctx, moments)
	if err != nil {
		return err
	}
	if taken == nil {
		taken = map[discovery.AgentMoment]bool{}
	}
	existing, err := p.tx.Agents(ctx, p.order)
	if err != nil {
		return err
	}
	dropped := map[string]string{}
	p.accepted = map[string][]*discovery.AgentReport{}
	p.plan.Agents = make([]*discovery.Agent, 0, len(p.order))
	for _, id := range p.order {
		g := groups[id]
		a := existing[id]
		isNew := a == nil
		if isNew {
			a = &discovery.Agent{ID: id, CollectionStatus: discovery.CollectionStarted, Registered: fromMs(g[0].TimeMs), Network: []discovery.AgentNetworkInfo{}}
		}
		a.ServerID = g[0].ServerID
		last := g[len(g)-1]
		if isNew || last.TimeMs >= a.LastHealthPing.UnixMilli() {
			a.Type, a.Version, a.Health, a.ConnectorID = last.Agent.AgentType, last.Agent.Version, last.Agent.Health, last.Agent.ConnectorID
			a.HostName = last.Server.HostName
			a.LastHealthPing = fromMs(last.TimeMs)
			if len(last.NetworkInterfaces) > 0 {
				a.Network = networkInfo(last.NetworkInterfaces)
			}
		}
		if a.CollectionStatus == discovery.CollectionStopped {
			for _, r := range g {
				dropped[r.ReportID] = "data collection is stopped for agent " + id
			}
		} else {
			var acc []*discovery.AgentReport
			for _, r := range g {
				k := discovery.AgentMoment{AgentID: id, TimeMs: r.TimeMs}
				if taken[k] {
					dropped[r.ReportID] = fmt.Sprintf("agent %s already reported data for %s", id, fromMs(r.TimeMs).Format(time.RFC3339Nano))
					continue
				}
				taken[k] = true
				acc = append(acc, r)
			}
			if len(acc) > 0 {
				p.accepted[id] = acc
				if first := fromMs(acc[0].TimeMs); a.FirstData.IsZero() || first.Before(a.FirstData) {
					a.FirstData = first
				}
				if last := fromMs(acc[len(acc)-1].TimeMs); last.After(a.LastData) {
					a.LastData = last
				}
			}
		}
		p.plan.Agents = append(p.plan.Agents, a)
	}
	for i := range p.plan.Verdicts {
		v := &p.plan.Verdicts[i]
		if reason, ok := dropped[v.Report.ReportID]; ok && v.Verdict != discovery.ReportDuplicate {
			v.Verdict, v.Reason = discovery.ReportDropped, reason
		}
	}
	return nil
}

func fromMs(v int64) time.Time { return time.UnixMilli(v).UTC() }

func networkInfo(nics []agentdata.NetworkInterface) []discovery.AgentNetworkInfo {
	out := make([]discovery.AgentNetworkInfo, len(nics))
	for i, n := range nics {
		out[i] = discovery.AgentNetworkInfo{IPAddress: n.IPAddress, MACAddress: n.MACAddress}
	}
	return out
}

// planServers merges the accepted data into the agents' servers: the
// newest report with interfaces replaces a server's interface set when it
// changed (its new IPs claim the connections seen before), and the newest
// report renames a stored server. It returns the interfaces of the
// batch's agent servers as they are once the plan is applied.
func (p *planner) planServers(ctx context.Context) (map[string][]agentdata.NetworkInterface, error) {
	var serverIDs []string
	for _, id := range p.order {
		if acc := p.accepted[id]; acc != nil {
			serverIDs = append(serverIDs, acc[0].ServerID)
		}
	}
	stored, err := p.tx.Servers(ctx, serverIDs)
	if err != nil {
		return nil, err
	}
	nics, err := p.tx.NICs(ctx, serverIDs)
	if err != nil {
		return nil, err
	}
	agentNICs := make(map[string][]agentdata.NetworkInterface, len(serverIDs))
	for _, id := range p.order {
		acc := p.accepted[id]
		if acc == nil {
			continue
		}
		sid := acc[0].ServerID
		srv := stored[sid]
		var updated int64
		if srv != nil {
			updated = srv.UpdatedMs
		}
		var withNICs *discovery.AgentReport
		for _, r := range slices.Backward(acc) {
			if len(r.NetworkInterfaces) > 0 {
				withNICs = r
				break
			}
		}
		set := nics[sid]
		if withNICs != nil && (srv == nil || withNICs.TimeMs >= updated) {
			next := uniqueNICs(withNICs.NetworkInterfaces)
			if !slices.Equal(next, set) {
				p.plan.NICSets = append(p.plan.NICSets, discovery.ServerNICs{ServerID: sid, NICs: next})
				old := map[string]bool{}
				for _, n := range set {
					old[n.IPAddress] = true
				}
				for _, n := range next {
					if !old[n.IPAddress] {
						old[n.IPAddress] = true
						p.plan.Claims = append(p.plan.Claims, discovery.IPClaim{IP: n.IPAddress, ServerID: sid})
					}
				}
				set = next
			}
		}
		// An imported server is never an agent's: only one that has an
		// agent ID owns the IPs of its interfaces.
		if srv == nil || srv.AgentID != "" {
			agentNICs[sid] = set
		}
		p.plan.Servers = append(p.plan.Servers, serverMerge(id, sid, acc, len(set)))
		if last := acc[len(acc)-1]; srv != nil && last.TimeMs >= updated && last.Server.HostName != srv.HostName {
			p.plan.HostNames = append(p.plan.HostNames, discovery.ServerHostName{ServerID: sid, HostName: last.Server.HostName})
		}
	}
	return agentNICs, nil
}

// uniqueNICs sorts interfaces by (name, IP) and keeps the first of each key.
func uniqueNICs(in []agentdata.NetworkInterface) []agentdata.NetworkInterface {
	out := slices.Clone(in)
	slices.SortStableFunc(out, func(a, b agentdata.NetworkInterface) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.IPAddress, b.IPAddress)
	})
	return slices.CompactFunc(out, func(a, b agentdata.NetworkInterface) bool { return a.Name == b.Name && a.IPAddress == b.IPAddress })
}

// serverMerge is an agent's server as its accepted reports acc (by time)
// tell it: the newest report describes it; the samples add up.
func serverMerge(agent, sid string, acc []*discovery.AgentReport, numNICs int) discovery.ServerMerge {
	last := acc[len(acc)-1]
	s := &last.Server
	vm := s.VMware
	if vm == nil {
		vm = &agentdata.VMware{}
	}
	m := discovery.ServerMerge{Server: discovery.Server{
		ID: sid, AgentID: agent, Source: ServerSource,
		HostName: s.HostName, OSName: s.OSName, OSVersion: s.OSVersion, CPUType: s.CPUType, Hypervisor: s.Hypervisor, Type: s.Type,
		NumCPUs: int64(s.NumCPUs), NumCores: int64(s.NumCores), NumLogical: int64(s.NumLogicalProcessors),
		NumDisks: int64(s.NumDisks), NumNICs: int64(numNICs), TotalRAMMB: s.TotalRAMMB, TotalDiskGB: s.TotalDiskGB,
		VMMoRefID: vm.MoRefID, VMName: vm.VMName, VCenterID: vm.VCenterID, VCenterName: vm.VCenterName,
		VMFolderPath: vm.VMFolderPath, VMHostID: vm.HostID,
		Created: fromMs(acc[0].TimeMs), Updated: fromMs(last.TimeMs),
	}}
	a := &m.Perf
	for _, r := range acc {
		p := r.Performance
		if p == nil {
			continue
		}
		a.Samples++
		a.CPUSum, a.CPUMax = a.CPUSum+p.CPUUsagePct, max(a.CPUMax, p.CPUUsagePct)
		a.FreeRAMSum += p.FreeRAMMB
		if !a.FreeRAMMinKnown || p.FreeRAMMB < a.FreeRAMMin {
			a.FreeRAMMin, a.FreeRAMMinKnown = p.FreeRAMMB, true
		}
		m.DiskFreeGB = p.DiskFreeGB
		a.DiskReadKBpsSum, a.DiskReadKBpsMax = a.DiskReadKBpsSum+p.DiskReadKBps, max(a.DiskReadKBpsMax, p.DiskReadKBps)
		a.DiskWriteKBpsSum, a.DiskWriteKBpsMax = a.DiskWriteKBpsSum+p.DiskWriteKBps, max(a.DiskWriteKBpsMax, p.DiskWriteKBps)
		a.DiskReadOpsSum, a.DiskReadOpsMax = a.DiskReadOpsSum+p.DiskReadOpsPerSec, max(a.DiskReadOpsMax, p.DiskReadOpsPerSec)
		a.DiskWriteOpsSum, a.DiskWriteOpsMax = a.DiskWriteOpsSum+p.DiskWriteOpsPerSec, max(a.DiskWriteOpsMax, p.DiskWriteOpsPerSec)
		a.NetReadKBpsSum, a.NetReadKBpsMax = a.NetReadKBpsSum+p.NetworkReadKBps, max(a.NetReadKBpsMax, p.NetworkReadKBps)
		a.NetWriteKBpsSum, a.NetWriteKBpsMax = a.NetWriteKBpsSum+p.NetworkWriteKBps, max(a.NetWriteKBpsMax, p.NetworkWriteKBps)
	}
	return m
}

// ipOwners returns the agents' servers that own the remote ends of the
// accepted connections, by IP, ascending, as they are once the plan is
// applied: the stored owners but the batch's servers, whose interfaces are
// agentNICs.
func (p *planner) ipOwners(ctx context.Context, agentNICs map[string][]agentdata.NetworkInterface) (map[string][]string, error) {
	remote := map[string]bool{}
	for _, acc := range p.accepted {
		for _, r := range acc {
			for _, c := range r.Connections {
				if c.Direction == "outbound" {
					remote[c.DestinationIP] = true
				} else {
					remote[c.SourceIP] = true
				}
			}
		}
	}
	if len(remote) == 0 {
		return map[string][]string{}, nil
	}
	ips := make([]string, 0, len(remote))
	for ip := range remote {
		ips = append(ips, ip)
	}
	slices.Sort(ips)
	owners, err := p.tx.IPOwners(ctx, ips)
	if err != nil {
		return nil, err
	}
	if owners == nil {
		owners = map[string][]string{}
	}
	batch := map[string]bool{}
	for _, acc := range p.accepted {
		batch[acc[0].ServerID] = true
	}
	for ip, o := range owners {
		owners[ip] = slices.DeleteFunc(o, func(sid string) bool { return batch[sid] })
	}
	for sid, set := range agentNICs {
		for _, n := range set {
			if !remote[n.IPAddress] {
				continue
			}
			o := owners[n.IPAddress]
			if i, found := slices.BinarySearch(o, sid); !found {
				owners[n.IPAddress] = slices.Insert(o, i, sid)
			}
		}
	}
	return owners, nil
}

// resolve picks the server of an IP: the reporting server if it owns the IP
// (loopback and the like), else the first owner by server ID, else "".
func resolve(owners []string, self string) string {
	if len(owners) == 0 {
		return ""
	}
	if slices.Contains(owners, self) {
		return self
	}
	return owners[0]
}

// earlierProcesses maps, per agent, the PIDs of connections that come before
// the batch's first process list of that agent to process IDs, from the
// agent's latest stored process list at or before the first such report
// (agents send processes less often than connections).
func (p *planner) earlierProcesses(ctx context.Context) (map[string]map[int]string, error) {
	var lookups []discovery.ProcessLookup
	for _, id := range p.order {
		seen := map[int]bool{}
		var ts int64
	reports:
		for _, r := range p.accepted[id] {
			if len(r.Processes) > 0 {
				break reports
			}
			for _, c := range r.Connections {
				if c.PID == 0 || seen[c.PID] {
					continue
				}
				if len(seen) == 0 {
					ts = r.TimeMs
				}
				seen[c.PID] = true
				lookups = append(lookups, discovery.ProcessLookup{AgentID: id, AtMs: ts, PID: c.PID})
			}
		}
	}
	out := map[string]map[int]string{}
	if len(lookups) == 0 {
		return out, nil
	}
	found, err := p.tx.EarlierProcesses(ctx, lookups)
	if err != nil {
		return nil, err
	}
	for k, proc := range found {
		m := out[k.AgentID]
		if m == nil {
			m = map[int]string{}
			out[k.AgentID] = m
		}
		m[k.PID] = discovery.ProcessID(p.account, p.accepted[k.AgentID][0].ServerID, proc.Name, proc.Path, proc.CommandLine)
	}
	return out, nil
}

// planProcessesAndConnections stores the accepted reports' observations
// and aggregates their processes and connections. A connection's process is
// the one with its PID in the agent's latest process list up to then. An
// inbound connection from an agent's server is left out: that agent
// reports it as outbound.
func (p *planner) planProcessesAndConnections(ctx context.Context, agentNICs map[string][]agentdata.NetworkInterface) error {
	owners, err := p.ipOwners(ctx, agentNICs)
	if err != nil {
		return err
	}
	earlier, err := p.earlierProcesses(ctx)
	if err != nil {
		return err
	}
	plan := p.plan
	// Capacities: an agent's reports mostly repeat its processes and
	// connections, so each agent's longest lists are a good first guess.
	var nReports, nProcs, nConns int
	for _, acc := range p.accepted {
		var procs, conns int
		for _, r := range acc {
			procs, conns = max(procs, len(r.Processes)), max(conns, len(r.Connections))
		}
		nReports, nProcs, nConns = nReports+len(acc), nProcs+procs, nConns+conns
	}
	plan.Observations = make([]*discovery.AgentReport, 0, nReports)
	plan.Processes = make([]discovery.ProcessSighting, 0, nProcs)
	plan.Connections = make([]discovery.ConnectionSighting, 0, nConns)
	procs, conns := make(map[string]int, nProcs), make(map[string]int, nConns) // index in the plan by ID
	for _, id := range p.order {
		acc := p.accepted[id]
		if acc == nil {
			continue
		}
		sid := acc[0].ServerID
		pids := earlier[id]
		for _, r := range acc {
			plan.Observations = append(plan.Observations, r)
			if len(r.Processes) > 0 {
				pids = make(map[int]string, len(r.Processes))
				for i, proc := range r.Processes {
					pid := r.ProcessIDs[i]
					pids[proc.PID] = pid
					k, ok := procs[pid]
					if !ok {
						k = len(plan.Processes)
						procs[pid] = k
						plan.Processes = append(plan.Processes, discovery.ProcessSighting{ID: pid, ServerID: sid, AgentID: id,
							Name: proc.Name, CommandLine: proc.CommandLine, Path: proc.Path, FirstMs: r.TimeMs})
					}
					ps := &plan.Processes[k]
					ps.IsSystem, ps.LastMs = proc.IsSystem, r.TimeMs
				}
			}
			for _, c := range r.Connections {
				proc := ""
				if c.PID != 0 {
					proc = pids[c.PID]
				}
				cs := discovery.ConnectionSighting{IPVersion: c.IPVersion, TransportProtocol: c.TransportProtocol,
					SourceIP: c.SourceIP, DestinationIP: c.DestinationIP, DestinationPort: c.DestinationPort}
				if c.Direction == "outbound" {
					cs.SourceServerID, cs.DestServerID, cs.SourceProcessID = sid, resolve(owners[c.DestinationIP], sid), proc
				} else {
					if len(owners[c.SourceIP]) > 0 {
						continue
					}
					cs.DestServerID, cs.DestProcessID = sid, proc
				}
				cs.ID = discovery.ConnectionID(p.account, cs.SourceIP, cs.DestinationIP, cs.DestinationPort, cs.TransportProtocol,
					cs.SourceProcessID, cs.DestProcessID)
				k, ok := conns[cs.ID]
				if !ok {
					k = len(plan.Connections)
					conns[cs.ID] = k
					cs.FirstMs = r.TimeMs
					plan.Connections = append(plan.Connections, cs)
				}
				agg := &plan.Connections[k]
				agg.Occurrence++
				agg.FirstMs, agg.LatestMs = min(agg.FirstMs, r.TimeMs), max(agg.LatestMs, r.TimeMs)
			}
		}
	}
	return nil
}
