package server

import (
	"context"

	"github.com/poseidon-ads/poseidon/internal/adsapi"
	"github.com/poseidon-ads/poseidon/internal/auth"
	"github.com/poseidon-ads/poseidon/internal/awsjson"
	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// BatchDeletes is the batch delete use-case layer. *batchdelete.Service
// implements it.
type BatchDeletes interface {
	Start(ctx context.Context, account, configurationType string, ids []string) (string, error)
	Describe(ctx context.Context, account, id string) (*discovery.BatchDeleteTask, error)
}

// batchDeleteHandlers registers StartBatchDeleteConfigurationTask and
// DescribeBatchDeleteConfigurationTask.
func (s *Server) batchDeleteHandlers() map[string]handler {
	return map[string]handler{
		"StartBatchDeleteConfigurationTask":    op(s.startBatchDelete),
		"DescribeBatchDeleteConfigurationTask": op(s.describeBatchDelete),
	}
}

func (s *Server) startBatchDelete(ctx context.Context, id auth.Identity, in *adsapi.StartBatchDeleteConfigurationTaskRequest) (*adsapi.StartBatchDeleteConfigurationTaskResponse, error) {
	taskID, err := s.cfg.BatchDeletes.Start(ctx, id.AccountID, deref(in.ConfigurationType), in.ConfigurationIds)
	if err != nil {
		return nil, err
	}
	return &adsapi.StartBatchDeleteConfigurationTaskResponse{TaskId: &taskID}, nil
}

func (s *Server) describeBatchDelete(ctx context.Context, id auth.Identity, in *adsapi.DescribeBatchDeleteConfigurationTaskRequest) (*adsapi.DescribeBatchDeleteConfigurationTaskResponse, error) {
	t, err := s.cfg.BatchDeletes.Describe(ctx, id.AccountID, deref(in.TaskId))
	if err != nil {
		return nil, err
	}
	out := &adsapi.BatchDeleteConfigurationTask{
		TaskId:                  ptr(t.ID),
		Status:                  ptr(string(t.Status)),
		StartTime:               &awsjson.Time{Time: t.Start},
		ConfigurationType:       ptr(t.ConfigurationType),
		RequestedConfigurations: nonNilIDs(t.Requested),
		DeletedConfigurations:   nonNilIDs(t.Deleted),
		FailedConfigurations:    make([]*adsapi.FailedConfiguration, 0, len(t.Failures)),
		DeletionWarnings:        make([]*adsapi.DeletionWarning, 0, len(t.Warnings)),
	}
	if !t.End.IsZero() {
		out.EndTime = &awsjson.Time{Time: t.End}
	}
	for _, f := range t.Failures {
		out.FailedConfigurations = append(out.FailedConfigurations, &adsapi.FailedConfiguration{
			ConfigurationId: ptr(f.ConfigurationID), ErrorStatusCode: ptr(int32(f.StatusCode)), ErrorMessage: ptr(f.Message),
		})
	}
	for _, w := range t.Warnings {
		out.DeletionWarnings = append(out.DeletionWarnings, &adsapi.DeletionWarning{
			ConfigurationId: ptr(w.ConfigurationID), WarningCode: ptr(int32(w.Code)), WarningText: ptr(w.Text),
		})
	}
	return &adsapi.DescribeBatchDeleteConfigurationTaskResponse{Task: out}, nil
}

func nonNilIDs(ids []string) []string {
	if ids == nil {
		return []string{}
	}
	return ids
}
