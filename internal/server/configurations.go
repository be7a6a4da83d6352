package server

import (
	"context"

	"github.com/poseidon-ads/poseidon/internal/adsapi"
	"github.com/poseidon-ads/poseidon/internal/auth"
	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/inventory"
)

// Inventory is the inventory read layer. inventory.Service implements it.
type Inventory interface {
	DescribeConfigurations(ctx context.Context, account string, ids []string) ([]map[string]string, error)
	ListConfigurations(ctx context.Context, account string, in inventory.ListInput) (*inventory.ListPage, error)
	ListServerNeighbors(ctx context.Context, account string, in inventory.NeighborsInput) (*inventory.NeighborsPage, error)
	GetDiscoverySummary(ctx context.Context, account string) (*inventory.DiscoverySummary, error)
}

// configurationHandlers registers the inventory read operations:
// DescribeConfigurations, ListConfigurations, ListServerNeighbors,
// GetDiscoverySummary.
func (s *Server) configurationHandlers() map[string]handler {
	if s.cfg.Inventory == nil {
		return map[string]handler{}
	}
	return map[string]handler{
		"DescribeConfigurations": op(s.describeConfigurations),
		"ListConfigurations":     op(s.listConfigurations),
		"ListServerNeighbors":    op(s.listServerNeighbors),
		"GetDiscoverySummary":    op(s.getDiscoverySummary),
	}
}

func (s *Server) describeConfigurations(ctx context.Context, id auth.Identity, in *adsapi.DescribeConfigurationsRequest) (*adsapi.DescribeConfigurationsResponse, error) {
	cs, err := s.cfg.Inventory.DescribeConfigurations(ctx, id.AccountID, in.ConfigurationIds)
	if err != nil {
		return nil, err
	}
	return &adsapi.DescribeConfigurationsResponse{Configurations: cs}, nil
}

func (s *Server) listConfigurations(ctx context.Context, id auth.Identity, in *adsapi.ListConfigurationsRequest) (*adsapi.ListConfigurationsResponse, error) {
	req := inventory.ListInput{Type: deref(in.ConfigurationType), MaxResults: in.MaxResults, NextToken: in.NextToken}
	for _, f := range in.Filters {
		req.Filters = append(req.Filters, discovery.Filter{Name: deref(f.Name), Values: f.Values, Condition: deref(f.Condition)})
	}
	for _, o := range in.OrderBy {
		req.OrderBy = append(req.OrderBy, inventory.Order{FieldName: deref(o.FieldName), SortOrder: deref(o.SortOrder)})
	}
	page, err := s.cfg.Inventory.ListConfigurations(ctx, id.AccountID, req)
	if err != nil {
		return nil, err
	}
	out := &adsapi.ListConfigurationsResponse{Configurations: page.Configurations}
	if page.Next != "" {
		out.NextToken = &page.Next
	}
	return out, nil
}

func (s *Server) listServerNeighbors(ctx context.Context, id auth.Identity, in *adsapi.ListServerNeighborsRequest) (*adsapi.ListServerNeighborsResponse, error) {
	page, err := s.cfg.Inventory.ListServerNeighbors(ctx, id.AccountID, inventory.NeighborsInput{
		ConfigurationID:       deref(in.ConfigurationId),
		PortInformationNeeded: deref(in.PortInformationNeeded),
		NeighborIDs:           in.NeighborConfigurationIds,
		MaxResults:            in.MaxResults,
		NextToken:             in.NextToken,
	})
	if err != nil {
		return nil, err
	}
	out := &adsapi.ListServerNeighborsResponse{
		Neighbors:            make([]*adsapi.NeighborConnectionDetail, 0, len(page.Neighbors)),
		KnownDependencyCount: ptr(page.KnownDependencyCount),
	}
	for _, n := range page.Neighbors {
		d := &adsapi.NeighborConnectionDetail{
			SourceServerId:      ptr(n.Source),
			DestinationServerId: ptr(n.Destination),
			ConnectionsCount:    ptr(n.Count),
		}
		if n.Port >= 0 {
			d.DestinationPort = ptr(int32(n.Port))
			d.TransportProtocol = ptr(n.Protocol)
		}
		out.Neighbors = append(out.Neighbors, d)
	}
	if page.Next != "" {
		out.NextToken = &page.Next
	}
	return out, nil
}

func (s *Server) getDiscoverySummary(ctx context.Context, id auth.Identity, _ *adsapi.GetDiscoverySummaryRequest) (*adsapi.GetDiscoverySummaryResponse, error) {
	sum, err := s.cfg.Inventory.GetDiscoverySummary(ctx, id.AccountID)
	if err != nil {
		return nil, err
	}
	a, c, m, g := sum.Agents, sum.Connectors, sum.MeCollectors, sum.AgentlessCollectors
	return &adsapi.GetDiscoverySummaryResponse{
		Servers:                     ptr(sum.Servers),
		Applications:                ptr(sum.Applications),
		ServersMappedToApplications: ptr(sum.ServersMappedToApplications),
		ServersMappedtoTags:         ptr(sum.ServersMappedToTags),
		AgentSummary: &adsapi.CustomerAgentInfo{
			ActiveAgents: ptr(a.Active), HealthyAgents: ptr(a.Healthy), BlackListedAgents: ptr(a.DenyListed),
			ShutdownAgents: ptr(a.Shutdown), UnhealthyAgents: ptr(a.Unhealthy), TotalAgents: ptr(a.Total), UnknownAgents: ptr(a.Unknown),
		},
		ConnectorSummary: &adsapi.CustomerConnectorInfo{
			ActiveConnectors: ptr(c.Active), HealthyConnectors: ptr(c.Healthy), BlackListedConnectors: ptr(c.DenyListed),
			ShutdownConnectors: ptr(c.Shutdown), UnhealthyConnectors: ptr(c.Unhealthy), TotalConnectors: ptr(c.Total), UnknownConnectors: ptr(c.Unknown),
		},
		MeCollectorSummary: &adsapi.CustomerMeCollectorInfo{
			ActiveMeCollectors: ptr(m.Active), HealthyMeCollectors: ptr(m.Healthy), DenyListedMeCollectors: ptr(m.DenyListed),
			ShutdownMeCollectors: ptr(m.Shutdown), UnhealthyMeCollectors: ptr(m.Unhealthy), TotalMeCollectors: ptr(m.Total), UnknownMeCollectors: ptr(m.Unknown),
		},
		AgentlessCollectorSummary: &adsapi.CustomerAgentlessCollectorInfo{
			ActiveAgentlessCollectors: ptr(g.Active), HealthyAgentlessCollectors: ptr(g.Healthy), DenyListedAgentlessCollectors: ptr(g.DenyListed),
			ShutdownAgentlessCollectors: ptr(g.Shutdown), UnhealthyAgentlessCollectors: ptr(g.Unhealthy), TotalAgentlessCollectors: ptr(g.Total), UnknownAgentlessCollectors: ptr(g.Unknown),
		},
	}, nil
}
