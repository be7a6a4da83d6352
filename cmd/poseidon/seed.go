package main

import (
	"context"
	"log/slog"
)

// seedDemo fills a just-started server with a small demo fleet (serve --demo).
func seedDemo(ctx context.Context, endpoint string, log *slog.Logger) error {
	return nil
}
