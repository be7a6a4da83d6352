package worker

import (
	"context"
	"io"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// buildEC2 writes an EC2 recommendations export. Until the recommendation
// file exists it writes the summary file set.
func (w *Worker) buildEC2(ctx context.Context, t *discovery.ExportTask) discovery.ExportResult {
	size, err := w.Files.Write(t.AccountID, t.ID, func(out io.Writer) error { return w.writeSummary(ctx, out, t) })
	if err != nil {
		w.Log.ErrorContext(ctx, "write export file", "err", err, "exportId", t.ID)
		return failed("Export failed: the export file could not be written: " + err.Error())
	}
	return discovery.ExportResult{Status: discovery.ExportSucceeded, Message: discovery.SucceededMessage, FileSize: size}
}
