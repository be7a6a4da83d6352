package main

import (
	"log/slog"
	"path/filepath"

	"github.com/poseidon-ads/poseidon/internal/clock"
	"github.com/poseidon-ads/poseidon/internal/continuous"
	"github.com/poseidon-ads/poseidon/internal/pagetoken"
	"github.com/poseidon-ads/poseidon/internal/sqlite"
)

// continuousFiles are the continuous export data files, under
// data/continuous-exports/<s3Bucket>/ (one bucket per account).
func continuousFiles(data string) *continuous.Files {
	return &continuous.Files{Root: filepath.Join(data, "continuous-exports")}
}

// newContinuousExports builds the continuous export use-case layer, writing
// into files.
func newContinuousExports(db *sqlite.DB, clk *clock.Clock, tokens *pagetoken.Sealer, log *slog.Logger, files *continuous.Files) *continuous.Service {
	return continuous.New(continuous.Config{
		Store:  db,
		Files:  files,
		Now:    clk.Now,
		Tokens: tokens,
		Log:    log,
	})
}
