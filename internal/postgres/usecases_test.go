package postgres

import (
	"github.com/poseidon-ads/poseidon/internal/agents"
	"github.com/poseidon-ads/poseidon/internal/applications"
	"github.com/poseidon-ads/poseidon/internal/batchdelete"
	"github.com/poseidon-ads/poseidon/internal/continuous"
	"github.com/poseidon-ads/poseidon/internal/exports"
	"github.com/poseidon-ads/poseidon/internal/imports"
	"github.com/poseidon-ads/poseidon/internal/inventory"
	"github.com/poseidon-ads/poseidon/internal/server"
	"github.com/poseidon-ads/poseidon/internal/tags"
)

// The store implements the store interfaces of these use cases and of the
// HTTP edge (a test may import them; the store must not). The worker's
// interfaces (worker.Queue, worker.Retention) are left to the job queue's
// work.
var (
	_ server.Store       = (*DB)(nil)
	_ exports.Store      = (*DB)(nil)
	_ agents.Store       = (*DB)(nil)
	_ inventory.Store    = (*DB)(nil)
	_ applications.Store = (*DB)(nil)
	_ tags.Store         = (*DB)(nil)
	_ continuous.Store   = (*DB)(nil)
	_ imports.Store      = (*DB)(nil)
	_ batchdelete.Store  = (*DB)(nil)
)
