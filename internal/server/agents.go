package server

// Agents is the agent use-case layer: intake and the agent operations.
type Agents interface{}

// agentHandlers registers the agent operations: DescribeAgents,
// StartDataCollectionByAgentIds, StopDataCollectionByAgentIds, BatchDeleteAgents.
func (s *Server) agentHandlers() map[string]handler {
	return map[string]handler{}
}

// routeIntake registers POST /_poseidon/intake.
func (s *Server) routeIntake() {}
