package server

// tagHandlers registers the tag operations: CreateTags, DeleteTags, DescribeTags.
func (s *Server) tagHandlers() map[string]handler {
	return map[string]handler{}
}

// Tags is the tag use-case layer.
type Tags interface{}
