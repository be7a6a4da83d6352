package server

import (
	"context"
	"net/url"
	"time"

	"github.com/poseidon-ads/poseidon/internal/adsapi"
	"github.com/poseidon-ads/poseidon/internal/auth"
	"github.com/poseidon-ads/poseidon/internal/awsjson"
	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/exports"
	"github.com/poseidon-ads/poseidon/internal/sigv4"
)

// adsHandlers gathers the ADS operations that are built; each area of the
// API registers its own in its file.
func (s *Server) adsHandlers() map[string]handler {
	all := map[string]handler{}
	for _, m := range []map[string]handler{s.exportHandlers(), s.agentHandlers(), s.configurationHandlers(), s.applicationHandlers(), s.tagHandlers(), s.batchDeleteHandlers(), s.continuousExportHandlers(), s.importHandlers()} {
		for name, h := range m {
			if _, dup := all[name]; dup {
				panic("server: operation registered twice: " + name)
			}
			all[name] = h
		}
	}
	return all
}

func (s *Server) exportHandlers() map[string]handler {
	return map[string]handler{
		"StartExportTask":              op(s.startExportTask),
		"DescribeExportTasks":          op(s.describeExportTasks),
		"ExportConfigurations":         op(s.exportConfigurations),
		"DescribeExportConfigurations": op(s.describeExportConfigurations),
	}
}

func filters(in []*adsapi.ExportFilter) []discovery.Filter {
	out := make([]discovery.Filter, 0, len(in))
	for _, f := range in {
		out = append(out, discovery.Filter{Name: deref(f.Name), Values: f.Values, Condition: deref(f.Condition)})
	}
	return out
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func ptr[T any](v T) *T { return &v }

func timePtr(t *awsjson.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := t.Time.UTC()
	return &v
}

func (s *Server) startExportTask(ctx context.Context, id auth.Identity, in *adsapi.StartExportTaskRequest) (*adsapi.StartExportTaskResponse, error) {
	req := exports.StartInput{
		Formats: in.ExportDataFormat,
		Filters: filters(in.Filters),
		Start:   timePtr(in.StartTime),
		End:     timePtr(in.EndTime),
	}
	if p := in.Preferences; p != nil && p.Ec2RecommendationsPreferences != nil && deref(p.Ec2RecommendationsPreferences.Enabled) {
		req.EC2 = ec2Preferences(p.Ec2RecommendationsPreferences, id.Region)
	}
	t, err := s.cfg.Exports.Start(ctx, id.AccountID, req)
	if err != nil {
		return nil, err
	}
	return &adsapi.StartExportTaskResponse{ExportId: &t.ID}, nil
}

// ec2Preferences are the request's ec2RecommendationsPreferences in domain
// terms: what the request leaves out takes the defaults, and the Region is
// the one the request was sent to unless the caller names another
// (docs/behavior.md).
func ec2Preferences(in *adsapi.Ec2RecommendationsExportPreferences, region string) *discovery.EC2Preferences {
	p := discovery.DefaultEC2Preferences()
	basis := func(b *adsapi.UsageMetricBasis, into *discovery.MetricBasis) {
		if b == nil {
			return
		}
		if b.Name != nil {
			into.Name = *b.Name
		}
		if b.PercentageAdjust != nil {
			into.Adjust = *b.PercentageAdjust
		}
	}
	basis(in.CpuPerformanceMetricBasis, &p.CPU)
	basis(in.RamPerformanceMetricBasis, &p.RAM)
	if in.Tenancy != nil {
		p.Tenancy = *in.Tenancy
	}
	p.Excluded = in.ExcludedInstanceTypes
	p.PreferredRegion = region
	if in.PreferredRegion != nil {
		p.PreferredRegion = *in.PreferredRegion
	}
	if r := in.ReservedInstanceOptions; r != nil {
		p.PurchasingOption, p.OfferingClass, p.TermLength = deref(r.PurchasingOption), deref(r.OfferingClass), deref(r.TermLength)
	}
	return &p
}

func (s *Server) exportConfigurations(ctx context.Context, id auth.Identity, _ *adsapi.ExportConfigurationsRequest) (*adsapi.ExportConfigurationsResponse, error) {
	t, err := s.cfg.Exports.ExportConfigurations(ctx, id.AccountID)
	if err != nil {
		return nil, err
	}
	return &adsapi.ExportConfigurationsResponse{ExportId: &t.ID}, nil
}

func (s *Server) describeExportTasks(ctx context.Context, id auth.Identity, in *adsapi.DescribeExportTasksRequest) (*adsapi.DescribeExportTasksResponse, error) {
	page, err := s.cfg.Exports.Describe(ctx, id.AccountID, exports.OpDescribeExportTasks, exports.DescribeInput{
		IDs: in.ExportIds, Filters: filters(in.Filters), MaxResults: in.MaxResults, NextToken: in.NextToken,
	})
	if err != nil {
		return nil, err
	}
	out := &adsapi.DescribeExportTasksResponse{ExportsInfo: s.exportInfos(id, page.Tasks)}
	if page.Next != "" {
		out.NextToken = &page.Next
	}
	return out, nil
}

func (s *Server) describeExportConfigurations(ctx context.Context, id auth.Identity, in *adsapi.DescribeExportConfigurationsRequest) (*adsapi.DescribeExportConfigurationsResponse, error) {
	page, err := s.cfg.Exports.Describe(ctx, id.AccountID, exports.OpDescribeExportConfigurations, exports.DescribeInput{
		IDs: in.ExportIds, MaxResults: in.MaxResults, NextToken: in.NextToken,
	})
	if err != nil {
		return nil, err
	}
	out := &adsapi.DescribeExportConfigurationsResponse{ExportsInfo: s.exportInfos(id, page.Tasks)}
	if page.Next != "" {
		out.NextToken = &page.Next
	}
	return out, nil
}

// exportInfos renders tasks as ExportInfo, with a fresh download URL for
// every SUCCEEDED task whose data has not expired.
func (s *Server) exportInfos(id auth.Identity, tasks []*discovery.ExportTask) []*adsapi.ExportInfo {
	now := s.cfg.Clock.Now()
	out := make([]*adsapi.ExportInfo, 0, len(tasks))
	// One allocation for the infos, their statuses and request times; the
	// other members point into the tasks, which are the caller's to drop.
	infos := make([]adsapi.ExportInfo, len(tasks))
	statuses := make([]string, len(tasks))
	times := make([]awsjson.Time, len(tasks))
	var presigner *sigv4.Presigner // the page's URLs share their key, time and region
	for i, t := range tasks {
		info := &infos[i]
		statuses[i] = string(t.Status)
		*info = adsapi.ExportInfo{
			ExportId:           &t.ID,
			ExportStatus:       &statuses[i],
			StatusMessage:      &t.Message,
			IsTruncated:        &t.IsTruncated,
			RequestedStartTime: optTime(t.RequestedStart),
			RequestedEndTime:   optTime(t.RequestedEnd),
		}
		if !t.RequestTime.IsZero() { // as awsjson.NewTime
			times[i] = awsjson.Time{Time: t.RequestTime}
			info.ExportRequestTime = &times[i]
		}
		if t.Status == discovery.ExportSucceeded {
			if t.DataExpired(now) {
				info.StatusMessage = ptr(discovery.ExpiredMessage)
			} else if u, err := s.downloadURL(&presigner, t, id.Region, now); err == nil {
				info.ConfigurationsDownloadUrl = &u
			} else {
				s.log.Error("presign download URL", "exportId", t.ID, "err", err)
			}
		}
		out = append(out, info)
	}
	return out
}

func optTime(t *time.Time) *awsjson.Time {
	if t == nil {
		return nil
	}
	return &awsjson.Time{Time: *t}
}

// downloadBucket is the first path segment of download URLs, S3 path-style.
const (
	downloadBucket = "poseidon-exports"
	downloadKeyID  = "POSEIDONEXPORTS"
	downloadSigner = "s3"
)

// downloadURL presigns the export's file URL for discovery.URLTTL, with
// *p, made the first time (the URLs of one page share it).
func (s *Server) downloadURL(p **sigv4.Presigner, t *discovery.ExportTask, region string, now time.Time) (string, error) {
	path := "/" + downloadBucket + "/" + url.PathEscape(t.AccountID) + "/" + url.PathEscape(t.ID) + ".zip"
	if *p == nil {
		var err error
		if *p, err = sigv4.NewPresigner(s.cfg.PublicURL, downloadKeyID, s.urlSecret, region, downloadSigner, now, discovery.URLTTL); err != nil {
			// A public URL a Presigner does not take (one with a query):
			// each URL on its own.
			return sigv4.Presign(s.cfg.PublicURL+path, downloadKeyID, s.urlSecret, region, downloadSigner, now, discovery.URLTTL)
		}
	}
	return (*p).Presign(path)
}
