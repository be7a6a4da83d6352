package postgres

import (
	"github.com/poseidon-ads/poseidon/internal/batchdelete"
	"github.com/poseidon-ads/poseidon/internal/imports"
)

// The store implements the store interfaces of these use cases (a test may
// import them; the store must not).
var (
	_ imports.Store     = (*DB)(nil)
	_ batchdelete.Store = (*DB)(nil)
)
