package main

import (
	"log/slog"

	"github.com/poseidon-ads/poseidon/internal/applications"
	"github.com/poseidon-ads/poseidon/internal/clock"
	"github.com/poseidon-ads/poseidon/internal/pagetoken"
	"github.com/poseidon-ads/poseidon/internal/server"
	"github.com/poseidon-ads/poseidon/internal/sqlite"
)

// newApplications builds the applications use-case layer.
func newApplications(db *sqlite.DB, clk *clock.Clock, _ *pagetoken.Sealer, log *slog.Logger) server.Applications {
	return applications.New(applications.Config{Store: db, Now: clk.Now, Log: log})
}
