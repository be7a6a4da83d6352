package server

// applicationHandlers registers the application operations: CreateApplication,
// UpdateApplication, DeleteApplications, AssociateConfigurationItemsToApplication,
// DisassociateConfigurationItemsFromApplication.
func (s *Server) applicationHandlers() map[string]handler {
	return map[string]handler{}
}

// Applications is the application use-case layer.
type Applications interface{}
