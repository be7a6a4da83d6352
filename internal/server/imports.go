package server

// Imports is the import use-case layer.
type Imports interface{}

// importHandlers registers StartImportTask, DescribeImportTasks and
// BatchDeleteImportData.
func (s *Server) importHandlers() map[string]handler {
	return map[string]handler{}
}
