package main

import (
	"github.com/poseidon-ads/poseidon/internal/clock"
	"github.com/poseidon-ads/poseidon/internal/imports"
	"github.com/poseidon-ads/poseidon/internal/pagetoken"
	"github.com/poseidon-ads/poseidon/internal/sqlite"
)

// newImports builds the import use-case layer, which serves the import
// operations and runs their tasks (Run); its local buckets live under
// data/buckets/BUCKET/KEY (s3:// import URLs).
func newImports(db *sqlite.DB, clk *clock.Clock, tokens *pagetoken.Sealer, data string) *imports.Service {
	return &imports.Service{Store: db, Now: clk.Now, Tokens: tokens, Data: data, Wake: make(chan struct{}, 1)}
}
