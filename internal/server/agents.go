package server

import (
	"context"

	"github.com/poseidon-ads/poseidon/internal/adsapi"
	"github.com/poseidon-ads/poseidon/internal/agentdata"
	"github.com/poseidon-ads/poseidon/internal/agents"
	"github.com/poseidon-ads/poseidon/internal/auth"
	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// Agents is the agent use-case layer: intake and the agent operations.
// agents.Service implements it.
type Agents interface {
	Intake(ctx context.Context, account string, b *agentdata.Batch) (*discovery.IntakeResult, error)
	Describe(ctx context.Context, account string, in agents.DescribeInput) (*agents.Page, error)
	StartCollection(ctx context.Context, account string, ids []string) ([]agents.ConfigurationStatus, error)
	StopCollection(ctx context.Context, account string, ids []string) ([]agents.ConfigurationStatus, error)
	Delete(ctx context.Context, account string, reqs []discovery.DeleteAgentRequest) ([]agents.DeleteError, error)
}

// agentHandlers registers the agent operations: DescribeAgents,
// StartDataCollectionByAgentIds, StopDataCollectionByAgentIds, BatchDeleteAgents.
func (s *Server) agentHandlers() map[string]handler {
	if s.cfg.Agents == nil {
		return map[string]handler{}
	}
	return map[string]handler{
		"DescribeAgents":                op(s.describeAgents),
		"StartDataCollectionByAgentIds": op(s.startDataCollection),
		"StopDataCollectionByAgentIds":  op(s.stopDataCollection),
		"BatchDeleteAgents":             op(s.batchDeleteAgents),
	}
}

func (s *Server) describeAgents(ctx context.Context, id auth.Identity, in *adsapi.DescribeAgentsRequest) (*adsapi.DescribeAgentsResponse, error) {
	req := agents.DescribeInput{IDs: in.AgentIds, MaxResults: in.MaxResults, NextToken: in.NextToken}
	for _, f := range in.Filters {
		req.Filters = append(req.Filters, discovery.Filter{Name: deref(f.Name), Values: f.Values, Condition: deref(f.Condition)})
	}
	page, err := s.cfg.Agents.Describe(ctx, id.AccountID, req)
	if err != nil {
		return nil, err
	}
	out := &adsapi.DescribeAgentsResponse{AgentsInfo: make([]*adsapi.AgentInfo, 0, len(page.Agents))}
	for _, a := range page.Agents {
		out.AgentsInfo = append(out.AgentsInfo, agentInfo(a))
	}
	if page.Next != "" {
		out.NextToken = &page.Next
	}
	return out, nil
}

// agentInfo renders an agent; its times are strings (ads-spec §1.4) and an
// empty connectorId is left out.
func agentInfo(a *discovery.Agent) *adsapi.AgentInfo {
	info := &adsapi.AgentInfo{
		AgentId:              ptr(a.ID),
		HostName:             ptr(a.HostName),
		AgentNetworkInfoList: make([]*adsapi.AgentNetworkInfo, 0, len(a.Network)),
		Version:              ptr(a.Version),
		Health:               ptr(a.Health),
		LastHealthPingTime:   ptr(a.LastHealthPing.UTC().Format(agents.TimeLayout)),
		CollectionStatus:     ptr(a.CollectionStatus),
		AgentType:            ptr(a.Type),
		RegisteredTime:       ptr(a.Registered.UTC().Format(agents.TimeLayout)),
	}
	if a.ConnectorID != "" {
		info.ConnectorId = ptr(a.ConnectorID)
	}
	for _, n := range a.Network {
		info.AgentNetworkInfoList = append(info.AgentNetworkInfoList, &adsapi.AgentNetworkInfo{IpAddress: ptr(n.IPAddress), MacAddress: ptr(n.MACAddress)})
	}
	return info
}

func configurationStatus(in []agents.ConfigurationStatus) []*adsapi.AgentConfigurationStatus {
	out := make([]*adsapi.AgentConfigurationStatus, 0, len(in))
	for _, st := range in {
		out = append(out, &adsapi.AgentConfigurationStatus{AgentId: ptr(st.AgentID), OperationSucceeded: ptr(st.OperationSucceeded), Description: ptr(st.Description)})
	}
	return out
}

func (s *Server) startDataCollection(ctx context.Context, id auth.Identity, in *adsapi.StartDataCollectionByAgentIdsRequest) (*adsapi.StartDataCollectionByAgentIdsResponse, error) {
	st, err := s.cfg.Agents.StartCollection(ctx, id.AccountID, in.AgentIds)
	if err != nil {
		return nil, err
	}
	return &adsapi.StartDataCollectionByAgentIdsResponse{AgentsConfigurationStatus: configurationStatus(st)}, nil
}

func (s *Server) stopDataCollection(ctx context.Context, id auth.Identity, in *adsapi.StopDataCollectionByAgentIdsRequest) (*adsapi.StopDataCollectionByAgentIdsResponse, error) {
	st, err := s.cfg.Agents.StopCollection(ctx, id.AccountID, in.AgentIds)
	if err != nil {
		return nil, err
	}
	return &adsapi.StopDataCollectionByAgentIdsResponse{AgentsConfigurationStatus: configurationStatus(st)}, nil
}

func (s *Server) batchDeleteAgents(ctx context.Context, id auth.Identity, in *adsapi.BatchDeleteAgentsRequest) (*adsapi.BatchDeleteAgentsResponse, error) {
	reqs := make([]discovery.DeleteAgentRequest, 0, len(in.DeleteAgents))
	for _, d := range in.DeleteAgents {
		reqs = append(reqs, discovery.DeleteAgentRequest{AgentID: deref(d.AgentId), Force: deref(d.Force)})
	}
	errs, err := s.cfg.Agents.Delete(ctx, id.AccountID, reqs)
	if err != nil {
		return nil, err
	}
	out := &adsapi.BatchDeleteAgentsResponse{Errors: make([]*adsapi.BatchDeleteAgentError, 0, len(errs))}
	for _, e := range errs {
		out.Errors = append(out.Errors, &adsapi.BatchDeleteAgentError{AgentId: ptr(e.AgentID), ErrorCode: ptr(e.Code), ErrorMessage: ptr(e.Message)})
	}
	return out, nil
}
