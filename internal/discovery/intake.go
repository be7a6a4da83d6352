package discovery

import (
	"context"
	"time"

	"github.com/poseidon-ads/poseidon/internal/agentdata"
)

// IntakeTx is one intake transaction of one account: the state that the
// intake rules (package agents) read, and Apply, which writes the plan the
// rules made of it. Reads and the write are atomic together: no other write
// of the account's agent data comes between them.
type IntakeTx interface {
	// ReportedIDs returns which of ids were taken in before.
	ReportedIDs(ctx context.Context, ids []string) (map[string]bool, error)
	// MomentsWithData returns which of moments hold data already (an
	// accepted report of the agent at that time).
	MomentsWithData(ctx context.Context, moments []AgentMoment) (map[AgentMoment]bool, error)
	// Agents returns the agents among ids, by ID.
	Agents(ctx context.Context, ids []string) (map[string]*Agent, error)
	// Servers returns the servers among ids, by ID.
	Servers(ctx context.Context, ids []string) (map[string]*IntakeServer, error)
	// NICs returns the interfaces stored for the servers among ids, by
	// server ID, each server's by name, then IP address.
	NICs(ctx context.Context, ids []string) (map[string][]agentdata.NetworkInterface, error)
	// IPOwners returns, for each of ips that an agent's server (one with
	// an agent ID) has an interface at, those servers' IDs, ascending.
	IPOwners(ctx context.Context, ips []string) (map[string][]string, error)
	// EarlierProcesses returns, for each lookup, the process with the
	// lookup's PID in the agent's latest process list at or before AtMs,
	// if that list has one.
	EarlierProcesses(ctx context.Context, lookups []ProcessLookup) (map[ProcessLookup]agentdata.Process, error)
	// Apply writes plan.
	Apply(ctx context.Context, plan *IntakePlan) error
}

// AgentMoment is an agent's report time, in epoch milliseconds.
type AgentMoment struct {
	AgentID string
	TimeMs  int64
}

// IntakeServer is what intake reads of a stored server.
type IntakeServer struct {
	ID, AgentID, HostName string
	// UpdatedMs is the time of the newest report merged into the server.
	UpdatedMs int64
}

// ProcessLookup asks for the process with PID in AgentID's latest process
// list at or before AtMs.
type ProcessLookup struct {
	AgentID string
	AtMs    int64
	PID     int
}

// Verdict is what intake does with one report.
type Verdict int

// The verdicts of a report.
const (
	// ReportAccepted reports have their data stored.
	ReportAccepted Verdict = iota
	// ReportDuplicate reports had been taken in before (same report ID in
	// the account): they change nothing.
	ReportDuplicate
	// ReportDropped reports update their agent, but their data is
	// discarded (ReportVerdict.Reason says why).
	ReportDropped
)

// ReportVerdict is the verdict on one report of a batch.
type ReportVerdict struct {
	Report  *AgentReport
	Verdict Verdict
	// Reason tells why a Dropped report's data is discarded.
	Reason string
}

// Recorded tells whether the report's ID is recorded, so that a retry of
// it is a duplicate: accepted and dropped reports are.
func (v *ReportVerdict) Recorded() bool { return v.Verdict != ReportDuplicate }

// IntakePlan is what one batch of agent reports writes. Merges are deltas
// that the store combines with the stored row atomically, so that they add
// up whatever else is written; each type says how it combines.
type IntakePlan struct {
	// Received is when the batch arrived.
	Received time.Time
	// Verdicts hold one verdict per report, in batch order.
	Verdicts []ReportVerdict
	// Agents are the batch's agents, registered or updated, by ID. A
	// stored agent keeps its collection status and registration time.
	Agents []*Agent
	// NICSets replace the interfaces of their servers.
	NICSets []ServerNICs
	// Servers merge into the agents' servers.
	Servers []ServerMerge
	// HostNames rename stored servers (ServerMerge leaves a stored
	// server's host name alone).
	HostNames []ServerHostName
	// Claims resolve stored connections to a server that now has an
	// interface at one of their endpoints.
	Claims []IPClaim
	// Observations are the accepted reports, whose observations are stored
	// as reported: the system facts and interfaces, the performance sample
	// if any, the process list and the connections.
	Observations []*AgentReport
	// Processes merge into the processes.
	Processes []ProcessSighting
	// Connections merge into the connections.
	Connections []ConnectionSighting
}

// Result tells what became of the plan's reports.
func (p *IntakePlan) Result() *IntakeResult {
	res := &IntakeResult{DroppedReports: []DroppedReport{}}
	for _, v := range p.Verdicts {
		switch v.Verdict {
		case ReportAccepted:
			res.AcceptedIDs = append(res.AcceptedIDs, v.Report.ReportID)
		case ReportDuplicate:
			res.Duplicates++
		case ReportDropped:
			res.DroppedReports = append(res.DroppedReports, DroppedReport{ReportID: v.Report.ReportID, Reason: v.Reason})
		}
	}
	res.Accepted, res.Dropped = len(res.AcceptedIDs), len(res.DroppedReports)
	return res
}

// ServerNICs is the new interface set of a server.
type ServerNICs struct {
	ServerID string
	NICs     []agentdata.NetworkInterface
}

// ServerMerge is an agent's server as one batch reports it. On a stored
// server, the descriptive fields (all but ID, AgentID, Source and HostName)
// follow the batch if Updated is not older than the stored server's;
// Created keeps the earlier time and Updated the later; Perf adds up (sums
// and sample counts add, maxima and minima combine); DiskFreeGB follows the
// batch if it has samples and is not older.
type ServerMerge struct {
	Server
	// DiskFreeGB is the free disk space of the batch's last sample.
	DiskFreeGB float64
}

// ServerHostName renames a stored server.
type ServerHostName struct {
	ServerID, HostName string
}

// IPClaim says that ServerID has an interface at IP: stored connections
// with an endpoint at IP whose server there is unknown ("") take ServerID.
type IPClaim struct {
	IP, ServerID string
}

// ProcessSighting is a process seen in a batch. On a stored process,
// AgentID and IsSystem follow the sighting, FirstMs keeps the earlier time
// (the process's creation) and LastMs the later.
type ProcessSighting struct {
	ID, ServerID, AgentID   string
	Name, CommandLine, Path string
	IsSystem                bool
	FirstMs, LastMs         int64
}

// ConnectionSighting is a connection aggregated over a batch. On a stored
// connection, Occurrence adds up, FirstMs keeps the earlier time and
// LatestMs the later; the endpoint servers stay as stored (claims resolve
// them).
type ConnectionSighting struct {
	ID                             string
	SourceServerID, DestServerID   string
	SourceIP, DestinationIP        string
	DestinationPort                int
	IPVersion, TransportProtocol   string
	SourceProcessID, DestProcessID string
	Occurrence                     int
	FirstMs, LatestMs              int64
}
