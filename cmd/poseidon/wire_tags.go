package main

import (
	"log/slog"

	"github.com/poseidon-ads/poseidon/internal/clock"
	"github.com/poseidon-ads/poseidon/internal/pagetoken"
	"github.com/poseidon-ads/poseidon/internal/server"
	"github.com/poseidon-ads/poseidon/internal/sqlite"
	"github.com/poseidon-ads/poseidon/internal/tags"
)

// newTags builds the tags use-case layer.
func newTags(db *sqlite.DB, clk *clock.Clock, tokens *pagetoken.Sealer, log *slog.Logger) server.Tags {
	return tags.New(db, clk.Now, tokens)
}
