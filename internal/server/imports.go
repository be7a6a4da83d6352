package server

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/poseidon-ads/poseidon/internal/adsapi"
	"github.com/poseidon-ads/poseidon/internal/auth"
	"github.com/poseidon-ads/poseidon/internal/awsjson"
	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/imports"
	"github.com/poseidon-ads/poseidon/internal/sigv4"
)

// Imports is the import use-case layer. *imports.Service implements it.
type Imports interface {
	Start(ctx context.Context, account, token, name, importURL string) (*discovery.ImportTask, error)
	Describe(ctx context.Context, account string, filters []discovery.ImportTaskFilter, maxResults int, next string) (*imports.Page, error)
	Delete(ctx context.Context, account string, ids []string, history bool) ([]imports.DeleteError, error)
	// ErrorsZip returns the local path of a task's errors-and-failed-entries zip.
	ErrorsZip(ctx context.Context, account, taskID string) (string, error)
}

// importErrorsBucket is the first path segment of errors zip URLs.
const importErrorsBucket = "poseidon-imports"

// importHandlers registers StartImportTask, DescribeImportTasks and
// BatchDeleteImportData.
func (s *Server) importHandlers() map[string]handler {
	if s.cfg.Imports == nil {
		return map[string]handler{}
	}
	s.handle("GET /"+importErrorsBucket+"/{account}/{file}", s.downloadImportErrors)
	return map[string]handler{
		"StartImportTask":       op(s.startImport),
		"DescribeImportTasks":   op(s.describeImports),
		"BatchDeleteImportData": op(s.deleteImports),
	}
}

// downloadImportErrors serves a presigned errors-and-failed-entries zip.
func (s *Server) downloadImportErrors(w http.ResponseWriter, r *http.Request) {
	if !s.verifyDownload(w, r) {
		return
	}
	taskID, ok := strings.CutSuffix(r.PathValue("file"), ".zip")
	path := ""
	var err error
	if ok {
		path, err = s.cfg.Imports.ErrorsZip(r.Context(), r.PathValue("account"), taskID)
	}
	if !ok || err != nil {
		writeS3Error(w, r, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
		return
	}
	w.Header().Set("Content-Type", "application/zip")
	http.ServeFile(w, r, path)
}

func (s *Server) importTaskOut(t *discovery.ImportTask, region string) *adsapi.ImportTask {
	out := importTaskOut(t)
	if t.HasErrorsZip && t.DeletedMS == 0 {
		raw := fmt.Sprintf("%s/%s/%s/%s.zip", s.cfg.PublicURL, importErrorsBucket, url.PathEscape(t.AccountID), url.PathEscape(t.ID))
		if u, err := sigv4.Presign(raw, downloadKeyID, s.urlSecret, region, downloadSigner, s.cfg.Clock.Now(), discovery.URLTTL); err == nil {
			out.ErrorsAndFailedEntriesZip = ptr(u)
		}
	}
	return out
}

func importTaskOut(t *discovery.ImportTask) *adsapi.ImportTask {
	ms := func(v int64) *awsjson.Time { return &awsjson.Time{Time: time.UnixMilli(v).UTC()} }
	out := &adsapi.ImportTask{
		ImportTaskId: ptr(t.ID), Name: ptr(t.Name), ImportUrl: ptr(t.URL), Status: ptr(t.Status),
		ImportRequestTime: ms(t.RequestMS), FileClassification: ptr("IMPORT_TEMPLATE"),
		ServerImportSuccess: ptr(int32(t.ServerSuccess)), ServerImportFailure: ptr(int32(t.ServerFailure)),
		ApplicationImportSuccess: ptr(int32(t.AppSuccess)), ApplicationImportFailure: ptr(int32(t.AppFailure)),
	}
	if t.ClientToken != "" {
		out.ClientRequestToken = ptr(t.ClientToken)
	}
	if t.CompletionMS > 0 {
		out.ImportCompletionTime = ms(t.CompletionMS)
	}
	if t.DeletedMS > 0 {
		out.ImportDeletedTime = ms(t.DeletedMS)
	}
	return out
}

func (s *Server) startImport(ctx context.Context, id auth.Identity, in *adsapi.StartImportTaskRequest) (*adsapi.StartImportTaskResponse, error) {
	t, err := s.cfg.Imports.Start(ctx, id.AccountID, deref(in.ClientRequestToken), deref(in.Name), deref(in.ImportUrl))
	if err != nil {
		return nil, err
	}
	return &adsapi.StartImportTaskResponse{Task: s.importTaskOut(t, id.Region)}, nil
}

func (s *Server) describeImports(ctx context.Context, id auth.Identity, in *adsapi.DescribeImportTasksRequest) (*adsapi.DescribeImportTasksResponse, error) {
	var fs []discovery.ImportTaskFilter
	for _, f := range in.Filters {
		fs = append(fs, discovery.ImportTaskFilter{Name: deref(f.Name), Values: f.Values})
	}
	max := 0
	if in.MaxResults != nil {
		max = int(*in.MaxResults)
	}
	p, err := s.cfg.Imports.Describe(ctx, id.AccountID, fs, max, deref(in.NextToken))
	if err != nil {
		return nil, err
	}
	out := &adsapi.DescribeImportTasksResponse{Tasks: make([]*adsapi.ImportTask, 0, len(p.Tasks))}
	for _, t := range p.Tasks {
		out.Tasks = append(out.Tasks, s.importTaskOut(t, id.Region))
	}
	if p.NextToken != "" {
		out.NextToken = ptr(p.NextToken)
	}
	return out, nil
}

func (s *Server) deleteImports(ctx context.Context, id auth.Identity, in *adsapi.BatchDeleteImportDataRequest) (*adsapi.BatchDeleteImportDataResponse, error) {
	errs, err := s.cfg.Imports.Delete(ctx, id.AccountID, in.ImportTaskIds, in.DeleteHistory != nil && *in.DeleteHistory)
	if err != nil {
		return nil, err
	}
	out := &adsapi.BatchDeleteImportDataResponse{Errors: make([]*adsapi.BatchDeleteImportDataError, 0, len(errs))}
	for _, e := range errs {
		out.Errors = append(out.Errors, &adsapi.BatchDeleteImportDataError{ImportTaskId: ptr(e.TaskID), ErrorCode: ptr(e.Code), ErrorDescription: ptr(e.Description)})
	}
	return out, nil
}
