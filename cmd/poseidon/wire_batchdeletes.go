package main

import (
	"context"
	"log/slog"

	"github.com/poseidon-ads/poseidon/internal/batchdelete"
	"github.com/poseidon-ads/poseidon/internal/clock"
	"github.com/poseidon-ads/poseidon/internal/pagetoken"
	"github.com/poseidon-ads/poseidon/internal/server"
	"github.com/poseidon-ads/poseidon/internal/sqlite"
)

// newBatchDeletes builds the batch delete use-case layer. It only records
// tasks; runBatchDeletes executes them.
func newBatchDeletes(db *sqlite.DB, clk *clock.Clock, _ *pagetoken.Sealer, _ *slog.Logger) server.BatchDeletes {
	return batchdelete.New(db, clk.Now, nil)
}

// runBatchDeletes executes pending batch delete tasks until ctx ends; it
// polls the store (every 100ms and whenever the virtual clock moves), so a
// task completes within about 100ms of its start.
func runBatchDeletes(ctx context.Context, db *sqlite.DB, clk *clock.Clock, log *slog.Logger) {
	r := &batchdelete.Runner{Store: db, Now: clk.Now, Log: log, Changed: clk.Changed()}
	r.Run(ctx)
}
