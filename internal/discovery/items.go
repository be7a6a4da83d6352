package discovery

import (
	"strings"
	"time"
)

// ItemType is a configuration item type (model ConfigurationItemType).
type ItemType string

// The four configuration item types.
const (
	TypeServer      ItemType = "SERVER"
	TypeProcess     ItemType = "PROCESS"
	TypeConnection  ItemType = "CONNECTION"
	TypeApplication ItemType = "APPLICATION"
)

// ItemTypes lists the configuration item types in model order.
func ItemTypes() []ItemType {
	return []ItemType{TypeServer, TypeProcess, TypeConnection, TypeApplication}
}

// ID prefixes of the configuration item types.
const (
	ServerPrefix      = "d-server-"
	ProcessPrefix     = "d-process-"
	ConnectionPrefix  = "d-connection-"
	ApplicationPrefix = "d-application-"
)

// TypeOf tells a configuration ID's item type from its prefix.
func TypeOf(id string) (ItemType, bool) {
	switch {
	case strings.HasPrefix(id, ServerPrefix):
		return TypeServer, true
	case strings.HasPrefix(id, ProcessPrefix):
		return TypeProcess, true
	case strings.HasPrefix(id, ConnectionPrefix):
		return TypeConnection, true
	case strings.HasPrefix(id, ApplicationPrefix):
		return TypeApplication, true
	}
	return "", false
}

// MaxListValues bounds the list-valued server attributes (applications,
// tags, network interfaces) of DescribeConfigurations; the matching
// *.hasMoreValues attribute says whether more were left out.
const MaxListValues = 10

// Item is one configuration item of a list; exactly one of the pointers is
// set, matching the query's type.
type Item struct {
	Server      *Server
	Process     *Process
	Connection  *Connection
	Application *Application
	// Cursor is the item's position in the query's order.
	Cursor ItemCursor
}

// Server is a server configuration item with its performance aggregates.
// A read may fill only the fields its caller needs; each store method says
// which.
type Server struct {
	ID, AgentID, Source                                               string
	HostName, OSName, OSVersion, CPUType, Hypervisor, Type            string
	NumCPUs, NumCores, NumLogical, NumDisks, NumNICs                  int64
	TotalRAMMB, TotalDiskGB                                           float64
	VMMoRefID, VMName, VCenterID, VCenterName, VMFolderPath, VMHostID string
	Created, Updated                                                  time.Time
	Perf                                                              PerfAggregate
}

// IsVMware reports whether the server has a VMware identity.
func (s *Server) IsVMware() bool {
	return s.VMMoRefID != "" || s.VCenterID != "" || s.VMName != ""
}

// PerfAggregate sums a server's performance samples; averages are
// Sum/Samples. RAM is in MB, disk and network throughput in KB per second,
// disk operations per second.
type PerfAggregate struct {
	Samples                            int64
	CPUSum, CPUMax                     float64
	FreeRAMSum                         float64
	FreeRAMMin                         float64 // if FreeRAMMinKnown
	FreeRAMMinKnown                    bool
	DiskReadKBpsSum, DiskReadKBpsMax   float64
	DiskWriteKBpsSum, DiskWriteKBpsMax float64
	DiskReadOpsSum, DiskReadOpsMax     float64
	DiskWriteOpsSum, DiskWriteOpsMax   float64
	NetReadKBpsSum, NetReadKBpsMax     float64
	NetWriteKBpsSum, NetWriteKBpsMax   float64
}

// ServerDetail is a server as DescribeConfigurations shows it: the server
// and at most MaxListValues of each of its interfaces, applications and
// tags; the More flags tell that there are more.
type ServerDetail struct {
	Server
	NICs                                 []NIC
	Applications                         []ApplicationRef
	Tags                                 []Tag
	MoreNICs, MoreApplications, MoreTags bool
}

// AddNIC appends n to the interfaces shown, or sets MoreNICs when they
// hold MaxListValues already. A store adds them in the order shown.
func (d *ServerDetail) AddNIC(n NIC) { d.NICs = addCapped(d.NICs, n, &d.MoreNICs) }

// AddApplication appends a to the applications shown, or sets
// MoreApplications.
func (d *ServerDetail) AddApplication(a ApplicationRef) {
	d.Applications = addCapped(d.Applications, a, &d.MoreApplications)
}

// AddTag appends t to the tags shown, or sets MoreTags.
func (d *ServerDetail) AddTag(t Tag) { d.Tags = addCapped(d.Tags, t, &d.MoreTags) }

func addCapped[T any](list []T, v T, more *bool) []T {
	if len(list) == MaxListValues {
		*more = true
		return list
	}
	return append(list, v)
}

// NIC is one network interface address of a server, as last reported.
type NIC struct {
	Name, MACAddress, IPAddress, NetMask, Family, Gateway string
}

// ApplicationRef names an application a server belongs to.
type ApplicationRef struct {
	ID, Name string
}

// Process is a process configuration item.
type Process struct {
	ID, ServerID, AgentID   string
	Name, CommandLine, Path string
	Created                 time.Time
}

// Connection is an aggregated connection. The server and process IDs are as
// intake resolved them ("" for an endpoint it could not resolve); host and
// process names are "" when that item is not in the inventory.
type Connection struct {
	ID                                 string
	SourceIP, DestinationIP            string
	DestinationPort                    int64
	IPVersion, TransportProtocol       string
	Occurrence                         int64
	Latest                             time.Time
	SourceServerID, SourceServerHost   string
	DestServerID, DestServerHost       string
	SourceProcessID, SourceProcessName string
	DestProcessID, DestProcessName     string
}

// ItemCursor is a keyset position: the sort key values of an item and its
// ID. Ties on every key are broken by the configuration ID, in the direction
// of the last key (ascending without keys).
type ItemCursor struct {
	Keys []any  `json:"k,omitempty"`
	ID   string `json:"i"`
}

// ItemQuery selects configuration items of one account: those that satisfy
// every predicate of Where (query.go), in Order. A store answers any number
// of predicates and values: it does not rely on the use case to bound them.
type ItemQuery struct {
	Account string
	Type    ItemType
	// IDs, when not nil, keeps only items with these configuration IDs.
	IDs   []string
	Where []Predicate
	Order []OrderKey
	After *ItemCursor
	Limit int // 0: no limit
}

// NeighborQuery selects the neighbor edges of one server.
type NeighborQuery struct {
	Account  string
	ServerID string
	// Ports groups edges per destination port and protocol too.
	Ports bool
	// Only, when not empty, limits the other end to these server IDs.
	Only  []string
	After *NeighborCursor
	Limit int
}

// NeighborCursor is the position after an edge, in (source, destination,
// port, protocol) order. Port is -1 and Protocol "" without Ports.
type NeighborCursor struct {
	Source      string `json:"s"`
	Destination string `json:"d"`
	Port        int64  `json:"p"`
	Protocol    string `json:"t"`
}

// Neighbor is one grouped edge.
type Neighbor struct {
	Source, Destination string
	Port                int64 // -1 without Ports
	Protocol            string
	Count               int64
}

// SummaryCounts are the raw counts GetDiscoverySummary is made from.
type SummaryCounts struct {
	Servers, Applications int64
	ServersInApplications int64
	ServersWithTags       int64
	Agents                []AgentCount
}

// AgentCount counts the agents of one (type, health, collection status).
type AgentCount struct {
	Type, Health, CollectionStatus string
	Count                          int64
}
