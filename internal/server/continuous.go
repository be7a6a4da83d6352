package server

import (
	"context"
	"time"

	"github.com/poseidon-ads/poseidon/internal/adsapi"
	"github.com/poseidon-ads/poseidon/internal/auth"
	"github.com/poseidon-ads/poseidon/internal/awsjson"
	"github.com/poseidon-ads/poseidon/internal/continuous"
	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// ContinuousExports is the continuous export use-case layer.
// *continuous.Service implements it.
type ContinuousExports interface {
	Start(ctx context.Context, account string) (*discovery.ContinuousExport, error)
	Stop(ctx context.Context, account, id string) (*discovery.ContinuousExport, error)
	Describe(ctx context.Context, account string, in continuous.DescribeInput) (*continuous.Page, error)
	// Fail puts an export into a failure state on purpose (the control
	// API, continuous_faults.go).
	Fail(ctx context.Context, account, id, status, detail string) (*discovery.ContinuousExport, error)
	// Object and Objects read the account's own bucket (buckets.go).
	Object(ctx context.Context, account, bucket, key string) ([]byte, error)
	Objects(ctx context.Context, account, bucket, prefix string) ([]continuous.Object, error)
	Now() time.Time
}

// continuousExportHandlers registers StartContinuousExport,
// DescribeContinuousExports and StopContinuousExport.
func (s *Server) continuousExportHandlers() map[string]handler {
	if s.cfg.ContinuousExports == nil {
		return map[string]handler{}
	}
	return map[string]handler{
		"StartContinuousExport":     op(s.startContinuousExport),
		"DescribeContinuousExports": op(s.describeContinuousExports),
		"StopContinuousExport":      op(s.stopContinuousExport),
	}
}

func (s *Server) startContinuousExport(ctx context.Context, id auth.Identity, _ *adsapi.StartContinuousExportRequest) (*adsapi.StartContinuousExportResponse, error) {
	e, err := s.cfg.ContinuousExports.Start(ctx, id.AccountID)
	if err != nil {
		return nil, err
	}
	return &adsapi.StartContinuousExportResponse{
		ExportId:            ptr(e.ID),
		S3Bucket:            ptr(e.S3Bucket),
		StartTime:           &awsjson.Time{Time: e.Start},
		DataSource:          ptr(continuous.DataSource),
		SchemaStorageConfig: continuous.SchemaStorageConfig(),
	}, nil
}

func (s *Server) stopContinuousExport(ctx context.Context, id auth.Identity, in *adsapi.StopContinuousExportRequest) (*adsapi.StopContinuousExportResponse, error) {
	e, err := s.cfg.ContinuousExports.Stop(ctx, id.AccountID, deref(in.ExportId))
	if err != nil {
		return nil, err
	}
	return &adsapi.StopContinuousExportResponse{StartTime: &awsjson.Time{Time: e.Start}, StopTime: &awsjson.Time{Time: e.Stop}}, nil
}

func (s *Server) describeContinuousExports(ctx context.Context, id auth.Identity, in *adsapi.DescribeContinuousExportsRequest) (*adsapi.DescribeContinuousExportsResponse, error) {
	page, err := s.cfg.ContinuousExports.Describe(ctx, id.AccountID, continuous.DescribeInput{IDs: in.ExportIds, MaxResults: in.MaxResults, NextToken: in.NextToken})
	if err != nil {
		return nil, err
	}
	now := s.cfg.ContinuousExports.Now()
	out := &adsapi.DescribeContinuousExportsResponse{Descriptions: make([]*adsapi.ContinuousExportDescription, 0, len(page.Exports))}
	for _, e := range page.Exports {
		d := &adsapi.ContinuousExportDescription{
			ExportId:            ptr(e.ID),
			Status:              ptr(e.Status(now)),
			S3Bucket:            ptr(e.S3Bucket),
			StartTime:           &awsjson.Time{Time: e.Start},
			DataSource:          ptr(continuous.DataSource),
			SchemaStorageConfig: continuous.SchemaStorageConfig(),
		}
		if !e.Stop.IsZero() {
			d.StopTime = &awsjson.Time{Time: e.Stop}
		}
		if e.StatusDetail != "" {
			d.StatusDetail = ptr(e.StatusDetail)
		}
		out.Descriptions = append(out.Descriptions, d)
	}
	if page.Next != "" {
		out.NextToken = &page.Next
	}
	return out, nil
}
