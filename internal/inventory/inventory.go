// Package inventory implements the inventory read operations:
// DescribeConfigurations, ListConfigurations, ListServerNeighbors and
// GetDiscoverySummary. It validates filters and sort orders against the
// attribute tables of the user guide, turns them into a small query AST that
// the store compiles to SQL, and renders configuration items as the flat
// string maps AWS returns (Java number and timestamp formats included).
package inventory

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/pagetoken"
)

// Operation names, as tokens are bound to them.
const (
	OpDescribeConfigurations = "DescribeConfigurations"
	OpListConfigurations     = "ListConfigurations"
	OpListServerNeighbors    = "ListServerNeighbors"
	OpGetDiscoverySummary    = "GetDiscoverySummary"
)

// MaxListValues bounds the list-valued server attributes (applications,
// tags, network interfaces) of DescribeConfigurations; the matching
// *.hasMoreValues attribute says whether more were left out.
const MaxListValues = 10

// Store reads the inventory. sqlite.DB implements it. Every method is scoped
// to one account.
type Store interface {
	// ListItems returns the items of q.Type that match q, in q's order,
	// after q.After, at most q.Limit (no limit if 0). Each item carries its
	// keyset cursor.
	ListItems(ctx context.Context, q Query) ([]Item, error)
	// DescribeServers returns the servers with these IDs (unknown ones are
	// left out, in any order), with their interfaces, applications and tags.
	DescribeServers(ctx context.Context, account string, ids []string) ([]ServerItem, error)
	// ListNeighbors returns one page of q's neighbor edges.
	ListNeighbors(ctx context.Context, q NeighborQuery) ([]Neighbor, error)
	// CountNeighbors counts the distinct servers one hop away under q.
	CountNeighbors(ctx context.Context, q NeighborQuery) (int64, error)
	// Summary counts the account's inventory.
	Summary(ctx context.Context, account string) (*SummaryCounts, error)
}

// Service implements the inventory read operations.
type Service struct {
	store  Store
	tokens *pagetoken.Sealer
	log    *slog.Logger
}

// Config configures a Service.
type Config struct {
	Store  Store
	Tokens *pagetoken.Sealer
	Log    *slog.Logger
}

// New returns a Service.
func New(c Config) *Service {
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	return &Service{store: c.Store, tokens: c.Tokens, log: c.Log}
}

// ---- records the store returns ----

// Item is one configuration item of a list; exactly one of the pointers is
// set, matching the query's type.
type Item struct {
	Server      *ServerItem
	Process     *ProcessItem
	Connection  *ConnectionItem
	Application *ApplicationItem
	// Cursor is the item's position in the query's order.
	Cursor Cursor
}

// ServerItem is a server. NICs, Applications and Tags are filled by
// DescribeServers only.
type ServerItem struct {
	ID, AgentID, Source                  string
	HostName, OSName, OSVersion          string
	CPUType, Hypervisor, Type            string
	Created                              time.Time
	NumCPUs, NumCores, NumDisks, NumNICs int64
	TotalRAMMB                           float64
	Perf                                 Perf
	NICs                                 []NIC
	Applications                         []AppRef
	Tags                                 []Tag
	MoreNICs, MoreApplications, MoreTags bool
}

// Perf holds a server's running performance aggregates over Samples samples.
// Sums divided by Samples are averages. RAM is in MB.
type Perf struct {
	Samples                          int64
	CPUSum, CPUMax                   float64
	FreeRAMSum                       float64
	FreeRAMMin                       *float64
	DiskReadKBSum, DiskReadKBMax     float64
	DiskWriteKBSum, DiskWriteKBMax   float64
	DiskReadOpsSum, DiskReadOpsMax   float64
	DiskWriteOpsSum, DiskWriteOpsMax float64
	NetReadKBSum, NetReadKBMax       float64
	NetWriteKBSum, NetWriteKBMax     float64
}

// NIC is one network interface address of a server.
type NIC struct {
	Name, MACAddress, IPAddress, NetMask, Family string
}

// AppRef names an application a server belongs to.
type AppRef struct {
	ID, Name string
}

// Tag is a tag on a configuration item.
type Tag struct {
	Key, Value string
}

// ProcessItem is a process.
type ProcessItem struct {
	ID, ServerID, AgentID   string
	Name, CommandLine, Path string
	Created                 time.Time
}

// ConnectionItem is an aggregated connection. The server and process IDs
// are as intake resolved them ("" for an endpoint it could not resolve);
// host and process names are "" when that item is not in the inventory.
type ConnectionItem struct {
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

// ApplicationItem is an application.
type ApplicationItem struct {
	ID, Name, Description string
	ServerCount           int64
	Created, Modified     time.Time
}

// ---- ListServerNeighbors ----

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

// ---- GetDiscoverySummary ----

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

// errorf is a shorthand for domain errors.
func errorf(code discovery.ErrorCode, format string, args ...any) error {
	return discovery.Errorf(code, format, args...)
}

var errBadToken = discovery.Errorf(discovery.InvalidParameterValue, "The nextToken is not valid for this request.")

func wrap(what string, err error) error {
	return fmt.Errorf("%s: %w", what, err)
}
