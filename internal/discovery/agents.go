package discovery

import (
	"time"

	"github.com/poseidon-ads/poseidon/internal/agentdata"
)

// Collection statuses (AgentInfo.collectionStatus).
const (
	CollectionStarted = "STARTED"
	CollectionStopped = "STOPPED"
)

// Agent is a discovery agent or collector, as DescribeAgents shows it.
type Agent struct {
	AccountID        string
	ID               string
	Type             string
	ConnectorID      string
	HostName         string
	Version          string
	Health           string
	CollectionStatus string
	Network          []AgentNetworkInfo
	Registered       time.Time
	LastHealthPing   time.Time
	// FirstData and LastData bound the data taken in; zero if none.
	FirstData, LastData time.Time
	// ServerID is the agent's server (d-server-...).
	ServerID string
}

// AgentNetworkInfo is one AgentNetworkInfo: an address the agent reported.
type AgentNetworkInfo struct {
	IPAddress  string `json:"ipAddress"`
	MACAddress string `json:"macAddress"`
}

// AgentQuery selects agents of one account in ascending agent ID order.
type AgentQuery struct {
	AccountID string
	// IDs, when not nil, keeps only these agent IDs.
	IDs []string
	// After keeps agent IDs greater than this one (keyset cursor); "" for the start.
	After string
	Limit int // 0: no limit
}

// AgentReport is an agent report ready for the store: defaults applied and
// the agent's server and processes identified.
type AgentReport struct {
	*agentdata.Report
	// TimeMs is the report's timestamp in epoch milliseconds.
	TimeMs int64
	// ServerID is the reporting agent's server.
	ServerID string
	// ProcessIDs parallels Report.Processes.
	ProcessIDs []string
}

// IntakeResult tells what became of a batch's reports.
type IntakeResult struct {
	// Accepted reports had their data stored.
	Accepted int
	// AcceptedIDs are the report IDs of the accepted reports, in batch
	// order (len(AcceptedIDs) == Accepted).
	AcceptedIDs []string
	// Duplicates had been taken in before (same report ID in the account).
	Duplicates int
	// Dropped reports updated their agent's health but had their data
	// discarded; DroppedReports says why.
	Dropped        int
	DroppedReports []DroppedReport
}

// DroppedReport is one report whose data was discarded.
type DroppedReport struct {
	ReportID string
	Reason   string
}

// DeleteAgentRequest is one DeleteAgent of BatchDeleteAgents.
type DeleteAgentRequest struct {
	AgentID string
	Force   bool
}

// DeleteAgentOutcome is what a store did with one DeleteAgentRequest.
type DeleteAgentOutcome int

// Outcomes of deleting an agent.
const (
	AgentDeleted  DeleteAgentOutcome = iota
	AgentNotFound                    // no such agent in the account
	AgentInUse                       // collecting (STARTED) and not forced
)
