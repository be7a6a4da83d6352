// Package console serves the web console's reads that ADS's API does not
// offer: a server's utilization samples over time, for its charts, and the
// account's whole network map (servers, the traffic between them, their
// applications) in one bounded answer. Every other page of the console
// calls the ADS API itself. Like the API, each read is scoped to the
// caller's account, which the HTTP edge takes from the request's signature.
package console

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// Bounds of what one read returns.
const (
	// MaxUsageWindow is the longest window of samples one read covers (the
	// agent data retention: 90 days, 8,640 samples of 15 minutes).
	MaxUsageWindow = 90 * 24 * time.Hour
	// DefaultUsageWindow is the window read when none is given: the 7 days
	// before now.
	DefaultUsageWindow = 7 * 24 * time.Hour
	// MaxUsageSamples bounds the samples of one read; agents reporting more
	// often than every 15 minutes fill it before the window ends, and the
	// answer says it was truncated.
	MaxUsageSamples = 10000
	// MaxMapNodes and MaxMapEdges bound the network map: the servers with
	// the smallest IDs, and the edges with the most traffic.
	MaxMapNodes = 10000
	MaxMapEdges = 50000
)

// Store reads what the console shows. sqlite.DB and postgres.DB implement
// it. Every method is scoped to one account.
type Store interface {
	// UsageSamples returns the samples of q's server's agent in q's window,
	// oldest first, at most q.Limit; none for a server without an agent;
	// discovery.ErrNotFound if the account has no such server.
	UsageSamples(ctx context.Context, q discovery.UsageQuery) ([]discovery.UsageSample, error)
	// MapNodes returns the account's servers in server ID order, at most
	// limit.
	MapNodes(ctx context.Context, account string, limit int) ([]discovery.MapNode, error)
	// MapEdges returns the account's server-to-server edges, most traffic
	// first (ties by source, then destination), at most limit.
	MapEdges(ctx context.Context, account string, limit int) ([]discovery.MapEdge, error)
}

// Service implements the console's reads.
type Service struct {
	store Store
	now   func() time.Time
}

// New returns a Service reading store, with now the (virtual) clock.
func New(store Store, now func() time.Time) *Service {
	return &Service{store: store, now: now}
}

// UsageInput is a GetServerUsage request: a server and a window in epoch
// seconds (To defaults to now, From to 7 days before To).
type UsageInput struct {
	ServerID  string   `json:"serverId"`
	StartTime *float64 `json:"startTime,omitempty"`
	EndTime   *float64 `json:"endTime,omitempty"`
}

// Usage is a GetServerUsage answer.
type Usage struct {
	ServerID  string                  `json:"serverId"`
	StartTime float64                 `json:"startTime"`
	EndTime   float64                 `json:"endTime"`
	Samples   []discovery.UsageSample `json:"-"`
	Truncated bool                    `json:"truncated"`
}

func invalid(format string, args ...any) error {
	return discovery.Errorf(discovery.InvalidParameterValue, format, args...)
}

func serverNotFound(id string) error {
	return discovery.Errorf(discovery.ResourceNotFound, "The server %s was not found.", id)
}

// ServerUsage reads one server's samples in a window.
func (s *Service) ServerUsage(ctx context.Context, account string, in UsageInput) (*Usage, error) {
	if t, ok := discovery.TypeOf(in.ServerID); !ok || t != discovery.TypeServer {
		return nil, invalid("The configuration ID '%s' is not a server configuration ID (d-server-...).", in.ServerID)
	}
	end := s.now()
	if in.EndTime != nil {
		if !validSeconds(*in.EndTime) {
			return nil, invalid("endTime must be epoch seconds.")
		}
		end = fromSeconds(*in.EndTime)
	}
	start := end.Add(-DefaultUsageWindow)
	if in.StartTime != nil {
		if !validSeconds(*in.StartTime) {
			return nil, invalid("startTime must be epoch seconds.")
		}
		start = fromSeconds(*in.StartTime)
	}
	switch {
	case start.After(end):
		return nil, invalid("startTime must not be after endTime.")
	case end.Sub(start) > MaxUsageWindow:
		return nil, invalid("The window from startTime to endTime must not be longer than %d days.", int(MaxUsageWindow/(24*time.Hour)))
	}
	// An ID of another form names no server (and is not sent to the store:
	// PostgreSQL refuses text with a NUL byte).
	if !discovery.WellFormedServerID(in.ServerID) {
		return nil, serverNotFound(in.ServerID)
	}
	samples, err := s.store.UsageSamples(ctx, discovery.UsageQuery{Account: account, ServerID: in.ServerID,
		From: start.UnixMilli(), To: end.UnixMilli(), Limit: MaxUsageSamples + 1})
	if errors.Is(err, discovery.ErrNotFound) {
		return nil, serverNotFound(in.ServerID)
	}
	if err != nil {
		return nil, fmt.Errorf("usage samples: %w", err)
	}
	u := &Usage{ServerID: in.ServerID, StartTime: seconds(start), EndTime: seconds(end), Samples: samples}
	if len(samples) > MaxUsageSamples {
		u.Samples, u.Truncated = samples[:MaxUsageSamples], true
	}
	return u, nil
}

// Map is a GetNetworkMap answer: nodes in server ID order, edges most
// traffic first, only between listed nodes.
type Map struct {
	Nodes          []discovery.MapNode
	Edges          []discovery.MapEdge
	NodesTruncated bool
	EdgesTruncated bool
}

// NetworkMap reads the account's network map, bounded by MaxMapNodes and
// MaxMapEdges.
func (s *Service) NetworkMap(ctx context.Context, account string) (*Map, error) {
	nodes, err := s.store.MapNodes(ctx, account, MaxMapNodes+1)
	if err != nil {
		return nil, fmt.Errorf("map nodes: %w", err)
	}
	edges, err := s.store.MapEdges(ctx, account, MaxMapEdges+1)
	if err != nil {
		return nil, fmt.Errorf("map edges: %w", err)
	}
	m := &Map{Nodes: nodes, Edges: edges}
	if len(nodes) > MaxMapNodes {
		m.Nodes, m.NodesTruncated = nodes[:MaxMapNodes], true
	}
	if len(edges) > MaxMapEdges {
		m.Edges, m.EdgesTruncated = edges[:MaxMapEdges], true
	}
	// Keep only the edges between the nodes shown (the map is bounded, and
	// a connection may outlive a deleted server).
	{
		shown := make(map[string]bool, len(m.Nodes))
		for _, n := range m.Nodes {
			shown[n.ServerID] = true
		}
		kept := m.Edges[:0]
		for _, e := range m.Edges {
			if shown[e.Source] && shown[e.Destination] {
				kept = append(kept, e)
			}
		}
		m.Edges = kept
	}
	return m, nil
}

func validSeconds(v float64) bool { return v >= 0 && v <= 1e11 && v == v }

func fromSeconds(v float64) time.Time { return time.UnixMilli(int64(v * 1000)) }

func seconds(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }
