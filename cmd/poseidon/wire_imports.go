package main

import (
	"log/slog"

	"github.com/poseidon-ads/poseidon/internal/clock"
	"github.com/poseidon-ads/poseidon/internal/pagetoken"
	"github.com/poseidon-ads/poseidon/internal/server"
	"github.com/poseidon-ads/poseidon/internal/sqlite"
)

// newImports builds the import use-case layer; its local buckets live under data.
func newImports(db *sqlite.DB, clk *clock.Clock, tokens *pagetoken.Sealer, log *slog.Logger, data string) server.Imports {
	return nil
}
