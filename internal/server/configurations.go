package server

// Inventory is the inventory read layer.
type Inventory interface{}

// configurationHandlers registers the inventory read operations:
// DescribeConfigurations, ListConfigurations, ListServerNeighbors,
// GetDiscoverySummary.
func (s *Server) configurationHandlers() map[string]handler {
	return map[string]handler{}
}
