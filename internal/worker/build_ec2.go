package worker

import (
	"context"
	"io"

	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/ec2rec"
	"github.com/poseidon-ads/poseidon/internal/exportfile"
)

// buildEC2 writes an EC2 recommendations export: one member,
// EC2InstanceRecommendations.csv at the zip's root, with one row per server
// (docs/exports.md, "EC2 instance recommendations"). The summary files are
// not part of it: the row carries the server's inventory, and a summary
// export is one StartExportTask away.
func (w *Worker) buildEC2(ctx context.Context, t *discovery.ExportTask, p *progress) discovery.ExportResult {
	log := w.log().With("exportId", t.ID)
	if t.EC2 == nil || t.EC2.Validate() != nil { // StartExportTask validated them: the stored task is damaged
		log.ErrorContext(ctx, "the export's EC2 preferences are missing or not valid", "preferences", t.EC2)
		return failed("Export failed: the export's ec2RecommendationsPreferences could not be read.")
	}
	prefs := *t.EC2
	catalog, err := ec2rec.Catalog()
	if err != nil {
		log.ErrorContext(ctx, "instance type catalog", "err", err)
		return failed("Export failed: the EC2 instance type catalog could not be read.")
	}
	prices, err := ec2rec.EmbeddedPrices()
	if err != nil {
		log.ErrorContext(ctx, "price lists", "err", err)
		return failed("Export failed: the EC2 price lists could not be read.")
	}
	sizer := ec2rec.NewSizer(catalog, prefs, prices)
	echo := exportfile.NewEC2PreferenceLabels(&prefs)
	size, err := w.Files.Write(ctx, t.AccountID, t.ID, func(out io.Writer) error {
		a := exportfile.NewArchive(out, t.AccountID, t.RequestTime)
		rec := make([]string, 0, len(exportfile.EC2Layout.Header))
		if _, _, err := a.RootCSV(exportfile.EC2Layout, func(cw *exportfile.CSVWriter) error {
			return w.Store.EC2Servers(ctx, t.AccountID, func(s *discovery.EC2Server) error {
				sizing := ec2rec.ServerOf(s)
				r := sizer.Size(&sizing)
				rec = exportfile.EC2Record(s, &r, echo, rec)
				return cw.Write(rec)
			})
		}); err != nil {
			return err
		}
		p.fileDone(ctx)
		return a.Close()
	})
	if err != nil {
		return w.writeFailed(ctx, log, err)
	}
	return discovery.ExportResult{Status: discovery.ExportSucceeded, Message: discovery.SucceededMessage, FileSize: size}
}
