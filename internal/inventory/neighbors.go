package inventory

import (
	"context"
	"slices"

	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/pagetoken"
)

// NeighborsInput is a ListServerNeighbors request.
type NeighborsInput struct {
	ConfigurationID       string
	PortInformationNeeded bool
	NeighborIDs           []string
	MaxResults            *int32
	NextToken             *string
}

// NeighborsPage is one page of neighbor edges.
type NeighborsPage struct {
	Neighbors []discovery.Neighbor
	// KnownDependencyCount counts the distinct servers one hop away (within
	// NeighborIDs when given), on every page.
	KnownDependencyCount int64
	Next                 string
}

// ListServerNeighbors serves ListServerNeighbors. Edges come from the
// connections whose other end is a known server of the account (never the
// server itself); they are grouped per (source, destination), or per
// (source, destination, destination port, protocol) when port information
// is needed, and connectionsCount adds up their occurrences.
func (s *Service) ListServerNeighbors(ctx context.Context, account string, in NeighborsInput) (*NeighborsPage, error) {
	if t, ok := discovery.TypeOf(in.ConfigurationID); !ok || t != discovery.TypeServer {
		return nil, errorf(discovery.InvalidParameterValue,
			"The configuration ID '%s' is not a server configuration ID (d-server-...).", in.ConfigurationID)
	}
	for _, id := range in.NeighborIDs {
		if t, ok := discovery.TypeOf(id); !ok || t != discovery.TypeServer {
			return nil, errorf(discovery.InvalidParameterValue,
				"The neighbor configuration ID '%s' is not a server configuration ID (d-server-...).", id)
		}
	}
	limit, err := discovery.PageSize(in.MaxResults)
	if err != nil {
		return nil, err
	}
	q := discovery.NeighborQuery{Account: account, ServerID: in.ConfigurationID, Ports: in.PortInformationNeeded, Limit: limit + 1}
	if len(in.NeighborIDs) > 0 { // an empty list restricts nothing
		q.Only = slices.Clone(in.NeighborIDs)
		slices.Sort(q.Only)
		q.Only = slices.Compact(q.Only)
	}
	binding := pagetoken.Query(OpListServerNeighbors, account, q.ServerID, q.Ports, q.Only)
	if in.NextToken != nil && *in.NextToken != "" {
		var c discovery.NeighborCursor
		if err := s.tokens.Open(*in.NextToken, binding, &c); err != nil {
			return nil, errBadToken
		}
		q.After = &c
	}
	edges, err := s.store.ListNeighbors(ctx, q)
	if err != nil {
		return nil, wrap("list neighbors", err)
	}
	count, err := s.store.CountNeighbors(ctx, q)
	if err != nil {
		return nil, wrap("count neighbors", err)
	}
	page := &NeighborsPage{Neighbors: edges, KnownDependencyCount: count}
	if len(edges) > limit {
		page.Neighbors = edges[:limit]
		last := page.Neighbors[limit-1]
		tok, err := s.tokens.Seal(binding, discovery.NeighborCursor{Source: last.Source, Destination: last.Destination, Port: last.Port, Protocol: last.Protocol})
		if err != nil {
			return nil, err
		}
		page.Next = tok
	}
	return page, nil
}
