// Package imports implements StartImportTask, DescribeImportTasks and
// BatchDeleteImportData: import tasks read the ADS CSV import template off
// the request path and create or match servers, applications and tags.
package imports

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/pagetoken"
)

// Statuses (model ImportStatus).
const (
	InProgress         = "IMPORT_IN_PROGRESS"
	Complete           = "IMPORT_COMPLETE"
	CompleteWithErrors = "IMPORT_COMPLETE_WITH_ERRORS"
	Failed             = "IMPORT_FAILED"
	DeleteComplete     = "DELETE_COMPLETE"
)

// ErrTaskGone is returned by a store's ImportRow when the task is no longer
// in progress (a reset or BatchDeleteImportData removed it): its runner stops
// and writes nothing more.
var ErrTaskGone = errors.New("import task is no longer in progress")

// Limits per account.
const (
	MaxRecords = 25000
	MaxServers = 5000
)

// Task is one import task.
type Task struct {
	AccountID, ID, ClientToken, Name, URL, Status string
	RequestMS, CompletionMS, DeletedMS            int64
	ServerSuccess, ServerFailure                  int
	AppSuccess, AppFailure                        int
	HasErrorsZip                                  bool
}

// Row is one validated template record.
type Row struct {
	ExternalID, HostName, OSName, OSVersion, VMName, MoRefID, VCenterID, ServerID string
	IPs, MACs                                                                     []string
	CPUs, Cores, Logical                                                          int
	RAMMB                                                                         float64
	Applications                                                                  []string
	Wave                                                                          string
	Tags                                                                          [][2]string
}

// RowResult is what storing a row did.
type RowResult struct {
	ServerID     string
	AppsCreated  int
	AppsAssoc    int
	LimitReached bool
}

// Filter is a DescribeImportTasks filter.
type Filter struct {
	Name   string
	Values []string
}

// Store is the persistence the service needs.
type Store interface {
	CreateImportTask(ctx context.Context, t *Task) (*Task, bool, error) // existing task for the token, created?
	FindImportTasks(ctx context.Context, account string, f []Filter, after string, limit int) ([]*Task, error)
	PendingImportTasks(ctx context.Context, limit int) ([]*Task, error)
	ImportRow(ctx context.Context, account, taskID string, r *Row, nowMS int64) (*RowResult, error)
	CountImportRecords(ctx context.Context, account string) (int, error)
	FinishImportTask(ctx context.Context, t *Task) error
	DeleteImportData(ctx context.Context, account, taskID string, history bool, nowMS int64) error
}

// Service is the import use-case layer.
type Service struct {
	Store  Store
	Now    func() time.Time
	Tokens *pagetoken.Sealer
	Data   string // buckets live under Data/buckets/BUCKET/KEY; errors zips under Data/imports
	Wake   chan struct{}
}

func invalid(format string, args ...any) error {
	return discovery.Errorf(discovery.InvalidParameterValue, format, args...)
}

// NewID returns an import task ID (import-task- + 32 hex digits).
func NewID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "import-task-" + hex.EncodeToString(b)
}

// Start validates the URL and records an IMPORT_IN_PROGRESS task.
func (s *Service) Start(ctx context.Context, account, token, name, importURL string) (*Task, error) {
	if _, err := s.Resolve(importURL); err != nil {
		return nil, err
	}
	t := &Task{AccountID: account, ID: NewID(), ClientToken: token, Name: name, URL: importURL, Status: InProgress, RequestMS: s.Now().UnixMilli()}
	got, created, err := s.Store.CreateImportTask(ctx, t)
	if err != nil {
		return nil, err
	}
	if !created {
		if got.Name != name || got.URL != importURL {
			return nil, discovery.Errorf(discovery.ResourceInUse, "The clientRequestToken %s is already in use with different parameters.", token)
		}
		return got, nil
	}
	if s.Wake != nil {
		select {
		case s.Wake <- struct{}{}:
		default:
		}
	}
	return got, nil
}

// Location is where an import URL points.
type Location struct {
	Path string // local file
	HTTP string // loopback http(s) URL
}

// Resolve maps importUrl to a local file or a loopback URL.
func (s *Service) Resolve(raw string) (*Location, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, invalid("The importUrl %s is not valid.", raw)
	}
	switch strings.ToLower(u.Scheme) {
	case "s3":
		key := strings.TrimPrefix(u.Path, "/")
		if u.Host == "" || key == "" || strings.ContainsAny(u.Host, `/\`) || u.Host == "." || u.Host == ".." {
			return nil, invalid("The importUrl %s is not valid.", raw)
		}
		root := filepath.Join(s.Data, "buckets", u.Host)
		p := filepath.Join(root, filepath.FromSlash(key))
		if rel, err := filepath.Rel(root, p); err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return nil, invalid("The importUrl %s is not valid.", raw)
		}
		return &Location{Path: p}, nil
	case "file":
		if u.Host != "" && u.Host != "localhost" || !filepath.IsAbs(u.Path) || filepath.Clean(u.Path) != u.Path {
			return nil, invalid("The importUrl %s is not valid.", raw)
		}
		return &Location{Path: u.Path}, nil
	case "http", "https":
		h := u.Hostname()
		if h == "localhost" {
			return &Location{HTTP: raw}, nil
		}
		if ip := net.ParseIP(h); ip != nil && ip.IsLoopback() {
			return &Location{HTTP: raw}, nil
		}
		return nil, invalid("The importUrl %s is not valid: only loopback http(s) hosts are allowed.", raw)
	}
	return nil, invalid("The importUrl %s is not valid.", raw)
}

// Page is a DescribeImportTasks page.
type Page struct {
	Tasks     []*Task
	NextToken string
}

// Describe lists the account's tasks (newest history hidden by deleteHistory excluded).
func (s *Service) Describe(ctx context.Context, account string, filters []Filter, maxResults int, next string) (*Page, error) {
	if maxResults <= 0 || maxResults > 100 {
		maxResults = 100
	}
	for _, f := range filters {
		switch f.Name {
		case "IMPORT_TASK_ID", "STATUS", "NAME", "FILE_CLASSIFICATION":
		default:
			return nil, invalid("The filter name %s is not valid.", f.Name)
		}
	}
	binding := pagetoken.Query("DescribeImportTasks", account, filters)
	after := ""
	if next != "" {
		if err := s.Tokens.Open(next, binding, &after); err != nil {
			return nil, invalid("The nextToken is not valid for this request.")
		}
	}
	ts, err := s.Store.FindImportTasks(ctx, account, filters, after, maxResults+1)
	if err != nil {
		return nil, err
	}
	p := &Page{Tasks: ts}
	if len(ts) > maxResults {
		p.Tasks = ts[:maxResults]
		tok, err := s.Tokens.Seal(binding, p.Tasks[maxResults-1].ID)
		if err != nil {
			return nil, err
		}
		p.NextToken = tok
	}
	return p, nil
}

// DeleteError is a per-task BatchDeleteImportData error.
type DeleteError struct{ TaskID, Code, Description string }

// Delete removes the data of up to 10 tasks.
func (s *Service) Delete(ctx context.Context, account string, ids []string, history bool) ([]DeleteError, error) {
	var out []DeleteError
	for _, id := range ids {
		err := s.Store.DeleteImportData(ctx, account, id, history, s.Now().UnixMilli())
		switch {
		case errors.Is(err, discovery.ErrNotFound):
			out = append(out, DeleteError{id, "NOT_FOUND", "The import task " + id + " was not found."})
		case err != nil:
			return nil, err
		}
	}
	return out, nil
}

// ErrorsZip returns the path of a task's errors zip, or discovery.ErrNotFound.
func (s *Service) ErrorsZip(ctx context.Context, account, taskID string) (string, error) {
	ts, err := s.Store.FindImportTasks(ctx, account, []Filter{{Name: "IMPORT_TASK_ID", Values: []string{taskID}}}, "", 1)
	if err != nil {
		return "", err
	}
	if len(ts) == 0 || !ts[0].HasErrorsZip || ts[0].DeletedMS != 0 {
		return "", discovery.ErrNotFound
	}
	return s.ErrorsZipPath(account, taskID), nil
}
