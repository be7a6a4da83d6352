package main

import (
	"log/slog"
	"path/filepath"

	"github.com/poseidon-ads/poseidon/internal/clock"
	"github.com/poseidon-ads/poseidon/internal/continuous"
	"github.com/poseidon-ads/poseidon/internal/pagetoken"
	"github.com/poseidon-ads/poseidon/internal/server"
	"github.com/poseidon-ads/poseidon/internal/sqlite"
)

// newContinuousExports builds the continuous export use-case layer; its
// files go under data/continuous-exports/<s3Bucket>/.
func newContinuousExports(db *sqlite.DB, clk *clock.Clock, tokens *pagetoken.Sealer, log *slog.Logger, data string) server.ContinuousExports {
	return continuous.New(continuous.Config{
		Store:  db,
		Files:  &continuous.Files{Root: filepath.Join(data, "continuous-exports")},
		Now:    clk.Now,
		Tokens: tokens,
		Log:    log,
	})
}
