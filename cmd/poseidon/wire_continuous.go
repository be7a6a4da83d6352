package main

import (
	"log/slog"

	"github.com/poseidon-ads/poseidon/internal/clock"
	"github.com/poseidon-ads/poseidon/internal/pagetoken"
	"github.com/poseidon-ads/poseidon/internal/server"
	"github.com/poseidon-ads/poseidon/internal/sqlite"
)

// newContinuousExports builds the continuous export use-case layer; its
// files go under data.
func newContinuousExports(db *sqlite.DB, clk *clock.Clock, tokens *pagetoken.Sealer, log *slog.Logger, data string) server.ContinuousExports {
	return nil
}
