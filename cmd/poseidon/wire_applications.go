package main

import (
	"log/slog"

	"github.com/poseidon-ads/poseidon/internal/clock"
	"github.com/poseidon-ads/poseidon/internal/pagetoken"
	"github.com/poseidon-ads/poseidon/internal/server"
	"github.com/poseidon-ads/poseidon/internal/sqlite"
)

// newApplications builds the applications use-case layer.
func newApplications(db *sqlite.DB, clk *clock.Clock, tokens *pagetoken.Sealer, log *slog.Logger) server.Applications {
	return nil
}
