package server

// BatchDeletes is the batch delete use-case layer.
type BatchDeletes interface{}

// batchDeleteHandlers registers StartBatchDeleteConfigurationTask and
// DescribeBatchDeleteConfigurationTask.
func (s *Server) batchDeleteHandlers() map[string]handler {
	return map[string]handler{}
}
