package main

import (
	"log/slog"

	"github.com/poseidon-ads/poseidon/internal/clock"
	"github.com/poseidon-ads/poseidon/internal/inventory"
	"github.com/poseidon-ads/poseidon/internal/pagetoken"
	"github.com/poseidon-ads/poseidon/internal/server"
	"github.com/poseidon-ads/poseidon/internal/sqlite"
)

// newInventory builds the inventory read layer.
func newInventory(db *sqlite.DB, _ *clock.Clock, tokens *pagetoken.Sealer, log *slog.Logger) server.Inventory {
	return inventory.New(inventory.Config{Store: db, Tokens: tokens, Log: log})
}
