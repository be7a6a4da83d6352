package discovery

import "time"

// Rows that export files are written from. A store streams them, one
// callback per row with a reused struct; the export file format renders
// each one as the cells of its file.

// Agent time series (agent exports).

// PerfSample is one performance sample of an agent (systemPerformance.csv).
type PerfSample struct {
	AgentID string
	Time    time.Time
	// Rates: disk and network throughput in KB per second, disk operations
	// per second.
	DiskReadKBps, DiskWriteKBps, DiskReadOps, DiskWriteOps, NetReadKBps, NetWriteKBps float64
	NumLogical, NumCores, NumCPUs, NumDisks, NumNICs                                  int64
	CPUPct, DiskSizeGB, DiskFreeGB, TotalRAMMB, FreeRAMMB                             float64
}

// OSInfo is the OS facts of one agent report (osInfo.csv).
type OSInfo struct {
	AgentID                                          string
	Time                                             time.Time
	OSName, OSVersion, CPUType, HostName, Hypervisor string
}

// NICSample is one network interface of one agent report
// (networkInterface.csv).
type NICSample struct {
	AgentID                                               string
	Time                                                  time.Time
	Name, MACAddress, Family, IPAddress, Gateway, NetMask string
}

// ProcessSample is one process seen in one agent report (process.csv).
type ProcessSample struct {
	AgentID                 string
	Time                    time.Time
	PID                     int64
	IsSystem                bool
	Name, CommandLine, Path string
}

// Connection directions, as agent reports and stores name them.
const (
	Outbound = "outbound" // the agent's server is the source
	Inbound  = "inbound"  // the agent's server is the destination
)

// ConnectionSample is one connection seen in one agent report
// (sourceProcessConnection.csv when outbound, destinationProcessConnection.csv
// when inbound).
type ConnectionSample struct {
	AgentID                      string
	Time                         time.Time
	SourceIP                     string
	SourcePort                   int64
	DestinationIP                string
	DestinationPort              int64
	IPVersion, TransportProtocol string
	// PID is the local process; 0 when the agent did not know it.
	PID int64
}

// Inventory rows (summary and EC2 recommendation exports), one per
// configuration item or association.

// ApplicationServer is an application–server association with the names
// of both ends (ApplicationResourceAssociation.csv); a name is empty if its
// item is gone.
type ApplicationServer struct {
	ApplicationID, ApplicationName, ServerID, ServerHostName string
}

// ServerNIC is a network interface of a server, with the server's host
// name (NetworkInterface.csv).
type ServerNIC struct {
	ServerID, HostName string
	NIC
}

// ServerTag is a tag on a server, with the server's host name (Tags.csv).
type ServerTag struct {
	ServerID, HostName, Key, Value string
	Created                        time.Time
}

// ImportTemplateRow is a server with its addresses, applications and tags,
// as the import template has them (ImportTemplate.csv).
type ImportTemplateRow struct {
	Server       Server
	IPAddresses  []string // ordered by interface name, then address
	MACAddresses []string // distinct, in the same order
	Applications []string // names, ordered by application ID
	Wave         string   // of the first application (by ID) that has one
	Tags         []Tag    // ordered by key, then value
}

// EC2Server is what an EC2 recommendations export reads about one server:
// the server with its performance aggregates, its import ExternalId, its
// applications and tags, and the samples of its agent.
type EC2Server struct {
	Server       Server
	ExternalID   string
	Applications []string // names, ordered by application ID
	Tags         []Tag    // ordered by key, then value
	// CPUPct and UsedRAMMB are the samples of the server's agent: CPU use
	// in percent of the whole server, and total minus free RAM in MB (at
	// least 0). A reader may reorder them but must not keep them.
	CPUPct, UsedRAMMB []float64
	// SampleTotalRAMMB is the largest total RAM of the samples.
	SampleTotalRAMMB float64
}
