// Package imports implements StartImportTask, DescribeImportTasks and
// BatchDeleteImportData: import tasks read the ADS CSV import template off
// the request path and create or match servers, applications and tags.
package imports

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"slices"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/pagetoken"
)

// Store is the persistence the service needs.
type Store interface {
	// CreateImportTask stores t and its import job in one transaction, or
	// returns the existing task of t's client token (created false).
	CreateImportTask(ctx context.Context, t *discovery.ImportTask) (*discovery.ImportTask, bool, error)
	// ImportTaskByToken returns the account's task started with a client
	// request token, or discovery.ErrNotFound.
	ImportTaskByToken(ctx context.Context, account, token string) (*discovery.ImportTask, error)
	FindImportTasks(ctx context.Context, q discovery.ImportTaskQuery) ([]*discovery.ImportTask, error)
	// ImportTask returns a task of the account (also one deleted with its
	// history), or discovery.ErrNotFound.
	ImportTask(ctx context.Context, account, id string) (*discovery.ImportTask, error)
	CountImportRecords(ctx context.Context, account string) (int, error)
	// FinishImportTask stores a task's outcome under the lease of its job,
	// or returns discovery.ErrImportTaskGone if the task is no longer in
	// progress, discovery.ErrLeaseLost if the job was taken over.
	FinishImportTask(ctx context.Context, l discovery.Lease, t *discovery.ImportTask) error
	// ImportTx runs fn in one write transaction of the account: it
	// commits when fn returns nil and rolls back otherwise. ImportRow and
	// DeleteData decide what it reads and writes.
	ImportTx(ctx context.Context, account string, fn func(discovery.ImportTx) error) error
}

// Service is the import use-case layer.
type Service struct {
	Store  Store
	Now    func() time.Time
	Tokens *pagetoken.Sealer
	// Data is the data directory: local buckets live under Data/buckets
	// (see Resolve), errors zips under Data/imports/<account>.
	Data string
	// PerAccount gives each account its own buckets,
	// Data/buckets/<account>/BUCKET (strict mode).
	PerAccount bool
	// AllowDirs are the folders file:// URLs may read under (absolute,
	// symbolic links resolved); none turns file:// off.
	AllowDirs []string
	// Hosts are the hosts http(s):// URLs may fetch from; nil turns
	// http(s) off.
	Hosts *Hosts
	// Wake, if not nil, tells the job queue a task was started.
	Wake func()
	// Log, if not nil, gets the errors of tasks that could not finish.
	Log *slog.Logger
	// Faults, if not nil, are the faults injected through the control API
	// (package faults): an import may be made to fail.
	Faults Faults
}

// Faults are the injected faults an import task consults as it starts
// running.
type Faults interface {
	// ImportFailure tells whether the task must fail, and why: the reason
	// goes to its errors zip, as a file that cannot be read does.
	ImportFailure(ctx context.Context, account, id string) (reason string, fail bool, err error)
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

// Start records an IMPORT_IN_PROGRESS task. A clientRequestToken already
// used is answered first, before the URL is checked: the same name and URL
// get the task it started, other parameters ResourceInUseException.
func (s *Service) Start(ctx context.Context, account, token, name, importURL string) (*discovery.ImportTask, error) {
	if token != "" {
		got, err := s.Store.ImportTaskByToken(ctx, account, token)
		if err == nil {
			return sameRequest(got, token, name, importURL)
		}
		if !errors.Is(err, discovery.ErrNotFound) {
			return nil, err
		}
	}
	if _, err := s.Resolve(account, importURL); err != nil {
		return nil, err
	}
	t := &discovery.ImportTask{AccountID: account, ID: NewID(), ClientToken: token, Name: name, URL: importURL, Status: discovery.ImportInProgress, RequestMS: s.Now().UnixMilli()}
	got, created, err := s.Store.CreateImportTask(ctx, t)
	if err != nil {
		return nil, err
	}
	if !created {
		return sameRequest(got, token, name, importURL)
	}
	if s.Wake != nil {
		s.Wake()
	}
	return got, nil
}

// sameRequest returns the task a token started if name and importURL are
// the ones it was started with, ResourceInUseException otherwise.
func sameRequest(t *discovery.ImportTask, token, name, importURL string) (*discovery.ImportTask, error) {
	if t.Name != name || t.URL != importURL {
		return nil, discovery.Errorf(discovery.ResourceInUse, "The clientRequestToken %s is already in use with different parameters.", token)
	}
	return t, nil
}

// Page is a DescribeImportTasks page.
type Page struct {
	Tasks     []*discovery.ImportTask
	NextToken string
}

// Describe lists the account's tasks (newest history hidden by deleteHistory excluded).
// The values of a filter are alternatives and the filters all hold: several
// filters on one name keep the tasks in all of their value sets. Every task
// is an import template, so a FILE_CLASSIFICATION filter without
// IMPORT_TEMPLATE keeps none.
func (s *Service) Describe(ctx context.Context, account string, filters []discovery.ImportTaskFilter, maxResults int, next string) (*Page, error) {
	if maxResults <= 0 || maxResults > 100 {
		maxResults = 100
	}
	sets := map[string][][]string{}
	none := false
	for _, f := range filters {
		switch f.Name {
		case "IMPORT_TASK_ID", "STATUS", "NAME":
			sets[f.Name] = append(sets[f.Name], f.Values)
		case "FILE_CLASSIFICATION":
			none = none || !slices.Contains(f.Values, "IMPORT_TEMPLATE")
		default:
			return nil, invalid("The filter name %s is not valid.", f.Name)
		}
	}
	binding := pagetoken.Query("DescribeImportTasks", account, filters)
	q := discovery.ImportTaskQuery{Account: account, Limit: maxResults + 1}
	if next != "" {
		if err := s.Tokens.Open(next, binding, &q.After); err != nil {
			return nil, invalid("The nextToken is not valid for this request.")
		}
	}
	if none {
		return &Page{}, nil
	}
	q.IDs, _ = discovery.Intersect(sets["IMPORT_TASK_ID"])
	q.Statuses, _ = discovery.Intersect(sets["STATUS"])
	q.Names, _ = discovery.Intersect(sets["NAME"])
	ts, err := s.Store.FindImportTasks(ctx, q)
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
		err := s.Store.ImportTx(ctx, account, func(tx discovery.ImportTx) error {
			return DeleteData(ctx, tx, id, history, s.Now())
		})
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
	ts, err := s.Store.FindImportTasks(ctx, discovery.ImportTaskQuery{Account: account, IDs: []string{taskID}, Limit: 1})
	if err != nil {
		return "", err
	}
	if len(ts) == 0 || !ts[0].HasErrorsZip || ts[0].DeletedMS != 0 {
		return "", discovery.ErrNotFound
	}
	return s.ErrorsZipPath(account, taskID), nil
}
