package main

import (
	"log/slog"

	"github.com/poseidon-ads/poseidon/internal/clock"
	"github.com/poseidon-ads/poseidon/internal/pagetoken"
	"github.com/poseidon-ads/poseidon/internal/server"
	"github.com/poseidon-ads/poseidon/internal/sqlite"
)

// newBatchDeletes builds the batch delete use-case layer.
func newBatchDeletes(db *sqlite.DB, clk *clock.Clock, tokens *pagetoken.Sealer, log *slog.Logger) server.BatchDeletes {
	return nil
}
