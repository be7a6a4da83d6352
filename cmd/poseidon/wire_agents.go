package main

import (
	"log/slog"

	"github.com/poseidon-ads/poseidon/internal/agents"
	"github.com/poseidon-ads/poseidon/internal/clock"
	"github.com/poseidon-ads/poseidon/internal/pagetoken"
	"github.com/poseidon-ads/poseidon/internal/server"
	"github.com/poseidon-ads/poseidon/internal/sqlite"
)

// newAgents builds the agent use-case layer; intake forwards accepted
// reports to forward.
func newAgents(db *sqlite.DB, clk *clock.Clock, tokens *pagetoken.Sealer, log *slog.Logger, forward agents.Forwarder) server.Agents {
	return agents.New(agents.Config{Store: db, Now: clk.Now, Tokens: tokens, Forward: forward})
}
