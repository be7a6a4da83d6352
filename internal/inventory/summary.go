package inventory

import (
	"context"
	"strings"
)

// CollectorCounts are the seven counts of one summary member
// (CustomerAgentInfo and its connector and collector siblings). DenyListed is
// blackListed* for agents and connectors.
type CollectorCounts struct {
	Active, Healthy, DenyListed, Shutdown, Unhealthy, Total, Unknown int32
}

// DiscoverySummary is GetDiscoverySummary's answer.
type DiscoverySummary struct {
	Servers, Applications       int64
	ServersMappedToApplications int64
	ServersMappedToTags         int64
	Agents                      CollectorCounts
	Connectors                  CollectorCounts
	MeCollectors                CollectorCounts
	AgentlessCollectors         CollectorCounts
}

// Collector kinds of the summary.
const (
	kindAgent = iota
	kindConnector
	kindMeCollector
	kindAgentless
)

// collectorKind maps an agent's agentType to the summary member that counts
// it: CONNECTOR → connectorSummary; ME_COLLECTOR or
// MIGRATION_EVALUATOR_COLLECTOR → meCollectorSummary; AGENTLESS_COLLECTOR or
// COLLECTOR → agentlessCollectorSummary; any other type is a discovery agent.
// Case, '-' and '_' are ignored.
func collectorKind(agentType string) int {
	t := strings.NewReplacer("_", "", "-", "", " ", "").Replace(strings.ToUpper(agentType))
	switch t {
	case "CONNECTOR", "AGENTLESSCONNECTOR", "DISCOVERYCONNECTOR":
		return kindConnector
	case "MECOLLECTOR", "MIGRATIONEVALUATORCOLLECTOR":
		return kindMeCollector
	case "AGENTLESSCOLLECTOR", "COLLECTOR":
		return kindAgentless
	}
	return kindAgent
}

// GetDiscoverySummary serves GetDiscoverySummary. servers counts every
// server of the account (as ListConfigurations SERVER lists them);
// applications every application; serversMappedToApplications the servers in
// at least one application; serversMappedtoTags the servers with at least one
// tag. An agent is active when its collection status is STARTED; the other
// counts follow its health.
func (s *Service) GetDiscoverySummary(ctx context.Context, account string) (*DiscoverySummary, error) {
	c, err := s.store.Summary(ctx, account)
	if err != nil {
		return nil, wrap("discovery summary", err)
	}
	out := &DiscoverySummary{
		Servers:                     c.Servers,
		Applications:                c.Applications,
		ServersMappedToApplications: c.ServersInApplications,
		ServersMappedToTags:         c.ServersWithTags,
	}
	for _, a := range c.Agents {
		var k *CollectorCounts
		switch collectorKind(a.Type) {
		case kindConnector:
			k = &out.Connectors
		case kindMeCollector:
			k = &out.MeCollectors
		case kindAgentless:
			k = &out.AgentlessCollectors
		default:
			k = &out.Agents
		}
		n := int32(a.Count)
		k.Total += n
		if a.CollectionStatus == "STARTED" {
			k.Active += n
		}
		switch a.Health {
		case "HEALTHY":
			k.Healthy += n
		case "UNHEALTHY":
			k.Unhealthy += n
		case "BLACKLISTED":
			k.DenyListed += n
		case "SHUTDOWN":
			k.Shutdown += n
		case "UNKNOWN":
			k.Unknown += n
		}
	}
	return out, nil
}
