// Package continuous implements continuous exports (StartContinuousExport,
// DescribeContinuousExports, StopContinuousExport) over the domain's
// discovery.ContinuousExport records, and the delivery of accepted agent
// data to the account's bucket while an export runs (Forward, called by
// agent intake): buffered, then written as Parquet files, one per table and
// buffering interval, as Firehose writes AWS's. Persistence of the records
// is left to a consumer-owned Store; the data files are written by Files.
package continuous

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/poseidon-ads/poseidon/internal/agentdata"
	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/pagetoken"
	"github.com/poseidon-ads/poseidon/internal/queue"
)

// Fixed values of every export.
const (
	// DataSource is the only model DataSource.
	DataSource = "AGENT"
	// DatabaseName is the Glue/Athena database AWS creates for continuous
	// exports; schemaStorageConfig names it under the key "databaseName".
	DatabaseName = "application_discovery_service_database"
	// BucketPrefix starts every bucket name, as AWS's do.
	BucketPrefix = "aws-application-discovery-service-"
	// OpDescribe is bound into page tokens.
	OpDescribe = "DescribeContinuousExports"
)

// SchemaStorageConfig is the model's schemaStorageConfig.
func SchemaStorageConfig() map[string]string {
	return map[string]string{"databaseName": DatabaseName}
}

// Store persists exports.
type Store interface {
	// StartContinuousExport inserts e, START_IN_PROGRESS, with its
	// discovery.JobContinuousStart job due ContinuousTransitionTime after
	// its start, in one transaction, unless the account has a running
	// export (Stop zero); then it returns that one and inserts nothing.
	StartContinuousExport(ctx context.Context, e *discovery.ContinuousExport) (running *discovery.ContinuousExport, err error)
	// StopContinuousExport sets the stop time of a running export, makes it
	// STOP_IN_PROGRESS and queues its discovery.JobContinuousStop job, due
	// ContinuousTransitionTime after stop, in one transaction, and returns
	// it; discovery.ErrNotFound or discovery.ErrContinuousExportStopped
	// otherwise.
	StopContinuousExport(ctx context.Context, account, id string, stop time.Time) (*discovery.ContinuousExport, error)
	// TransitionContinuousExport sets the state of an export to to if it
	// is one of from (leaves it otherwise), under the lease of the
	// transition's job (discovery.ErrLeaseLost if it was taken over).
	TransitionContinuousExport(ctx context.Context, l discovery.Lease, account, id string, from []string, to string) error
	ContinuousExports(ctx context.Context, q discovery.ContinuousExportQuery) ([]*discovery.ContinuousExport, error)
	// RunningContinuousExport returns the account's running export, or nil.
	RunningContinuousExport(ctx context.Context, account string) (*discovery.ContinuousExport, error)
	// FailContinuousExport puts a failure state on an export if it is as
	// f expects, and reports whether it did; discovery.ErrNotFound if the
	// account has no such export.
	FailContinuousExport(ctx context.Context, account, id string, f discovery.ContinuousFailure) (bool, error)
}

// Config configures a Service.
type Config struct {
	Store  Store
	Files  *Files
	Now    func() time.Time
	Tokens *pagetoken.Sealer
	Log    *slog.Logger
	// NewID makes export IDs; default a random UUID.
	NewID func() string
}

// Service is the continuous export use-case layer.
type Service struct {
	cfg Config
}

// New returns a Service.
func New(cfg Config) *Service {
	if cfg.NewID == nil {
		cfg.NewID = uuid.NewString
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Service{cfg: cfg}
}

// Bucket is the account's bucket name: one per account, reused by every
// continuous export of the account, as AWS does.
func Bucket(account string) string {
	sum := sha256.Sum256([]byte("poseidon-continuous\x00" + account))
	return BucketPrefix + hex.EncodeToString(sum[:8])
}

// Now returns the service's clock reading.
func (s *Service) Now() time.Time { return s.cfg.Now() }

// Start starts a continuous export; a running one (START_IN_PROGRESS or
// ACTIVE) is ConflictErrorException.
func (s *Service) Start(ctx context.Context, account string) (*discovery.ContinuousExport, error) {
	now := s.cfg.Now().Truncate(time.Millisecond)
	e := &discovery.ContinuousExport{AccountID: account, ID: s.cfg.NewID(), S3Bucket: Bucket(account), Start: now}
	running, err := s.cfg.Store.StartContinuousExport(ctx, e)
	if err != nil {
		return nil, err
	}
	if running != nil {
		return nil, discovery.Errorf(discovery.ConflictError,
			"A continuous export is already running for this account: %s (%s). Stop it before starting another.", running.ID, running.Status(now))
	}
	// The bucket's catalogue (the tables' definitions) is there from the
	// start, as AWS creates the Glue tables when it sets the export up.
	if s.cfg.Files != nil {
		if err := s.cfg.Files.WriteCatalogue(ctx, e.S3Bucket); err != nil {
			s.cfg.Log.ErrorContext(ctx, "continuous export: writing the catalogue", "account", account, "exportId", e.ID, "err", err)
		}
	}
	return e, nil
}

// Stop stops a running export.
func (s *Service) Stop(ctx context.Context, account, id string) (*discovery.ContinuousExport, error) {
	now := s.cfg.Now().Truncate(time.Millisecond)
	e, err := s.cfg.Store.StopContinuousExport(ctx, account, id, now)
	switch {
	case errors.Is(err, discovery.ErrNotFound):
		return nil, discovery.Errorf(discovery.ResourceNotFound, "Continuous export %s was not found.", id)
	case errors.Is(err, discovery.ErrContinuousExportStopped):
		return nil, discovery.Errorf(discovery.ResourceInUse, "Continuous export %s is already stopped.", id)
	case err != nil:
		return nil, err
	}
	// What was buffered before the stop is delivered now; what arrives
	// from now on is not buffered (Forward only serves a running export).
	if s.cfg.Files != nil {
		if _, err := s.cfg.Files.Deliver(e.S3Bucket); err != nil {
			s.cfg.Log.ErrorContext(ctx, "continuous export: delivering the buffer at stop", "account", account, "exportId", e.ID, "err", err)
		}
	}
	return e, nil
}

// DescribeInput is a DescribeContinuousExports request.
type DescribeInput struct {
	IDs []string
	// MaxResults is 1..100 (enforced by the model); nil means 100.
	MaxResults *int32
	NextToken  *string
}

// Page is one page of exports.
type Page struct {
	Exports []*discovery.ContinuousExport
	Next    string
}

// Describe lists the account's exports, newest first. Unknown IDs are
// ResourceNotFoundException.
func (s *Service) Describe(ctx context.Context, account string, in DescribeInput) (*Page, error) {
	var ids []string
	if len(in.IDs) > 0 {
		seen := map[string]bool{}
		for _, id := range in.IDs {
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	limit := discovery.MaxPage
	if in.MaxResults != nil && *in.MaxResults > 0 && int(*in.MaxResults) < limit {
		limit = int(*in.MaxResults)
	}
	query := pagetoken.Query(OpDescribe, account, ids)
	q := discovery.ContinuousExportQuery{AccountID: account, IDs: ids, Limit: limit + 1}
	if in.NextToken != nil && *in.NextToken != "" {
		var c discovery.ContinuousExportCursor
		if err := s.cfg.Tokens.Open(*in.NextToken, query, &c); err != nil {
			return nil, discovery.Errorf(discovery.InvalidParameterValue, "The nextToken is not valid for this request.")
		}
		q.After = &c
	} else if ids != nil {
		all, err := s.cfg.Store.ContinuousExports(ctx, discovery.ContinuousExportQuery{AccountID: account, IDs: ids})
		if err != nil {
			return nil, err
		}
		found := map[string]bool{}
		for _, e := range all {
			found[e.ID] = true
		}
		for _, id := range ids {
			if !found[id] {
				return nil, discovery.Errorf(discovery.ResourceNotFound, "Continuous export %s was not found.", id)
			}
		}
	}
	rows, err := s.cfg.Store.ContinuousExports(ctx, q)
	if err != nil {
		return nil, err
	}
	page := &Page{Exports: rows}
	if len(rows) > limit {
		page.Exports = rows[:limit]
		last := page.Exports[limit-1]
		tok, err := s.cfg.Tokens.Seal(query, discovery.ContinuousExportCursor{StartMs: last.Start.UnixMilli(), ID: last.ID})
		if err != nil {
			return nil, err
		}
		page.Next = tok
	}
	return page, nil
}

// Forward buffers the accepted reports of an intake batch for the bucket of
// the account's running export, if any (agents.Forwarder); Files delivers
// them once the buffering interval has passed. Errors are logged, never
// returned: intake has already succeeded.
func (s *Service) Forward(ctx context.Context, account string, b *agentdata.Batch, accepted []string) {
	if len(accepted) == 0 || s.cfg.Files == nil {
		return
	}
	e, err := s.cfg.Store.RunningContinuousExport(ctx, account)
	if err != nil {
		s.cfg.Log.ErrorContext(ctx, "continuous export: finding the running export", "account", account, "err", err)
		return
	}
	// An export in ERROR exports nothing until it is stopped and started
	// again.
	if e == nil || e.Status(s.cfg.Now()) == discovery.ContinuousError {
		return
	}
	ok := make(map[string]bool, len(accepted))
	for _, id := range accepted {
		ok[id] = true
	}
	var reports []*agentdata.Report
	for i := range b.Reports {
		if ok[b.Reports[i].ReportID] {
			reports = append(reports, &b.Reports[i])
		}
	}
	if err := s.cfg.Files.Append(account, e.S3Bucket, reports); err != nil {
		s.cfg.Log.ErrorContext(ctx, "continuous export: appending agent data", "account", account, "exportId", e.ID, "err", err)
	}
}

// ErrAccessDenied is the answer to a read of a bucket that is not the
// caller's: the same whether the bucket exists or not.
var ErrAccessDenied = errors.New("continuous export: access denied")

// owned checks that bucket is account's.
func (s *Service) owned(account, bucket string) error {
	if s.cfg.Files == nil || bucket != Bucket(account) {
		return ErrAccessDenied
	}
	return nil
}

// Object reads an object of the account's bucket: ErrAccessDenied for any
// other bucket, ErrNoSuchKey for a missing key.
func (s *Service) Object(ctx context.Context, account, bucket, key string) ([]byte, error) {
	if err := s.owned(account, bucket); err != nil {
		return nil, err
	}
	return s.cfg.Files.objects().Get(ctx, bucket, key)
}

// Objects lists the objects of the account's bucket under prefix, in key
// order: ErrAccessDenied for any other bucket.
func (s *Service) Objects(ctx context.Context, account, bucket, prefix string) ([]Object, error) {
	if err := s.owned(account, bucket); err != nil {
		return nil, err
	}
	return s.cfg.Files.objects().List(ctx, bucket, prefix)
}

// StatusDetails are the model's statusDetail codes (ContinuousExportDescription).
var StatusDetails = []string{
	"ACCESS_DENIED", "DELIVERY_STREAM_LIMIT_FAILURE", "FIREHOSE_ROLE_MISSING", "FIREHOSE_STREAM_DOES_NOT_EXIST",
	"INTERNAL_FAILURE", "LAKE_FORMATION_ACCESS_DENIED", "S3_BUCKET_LIMIT_FAILURE", "S3_NOT_SIGNED_UP",
}

// Fail puts a failure state on an export on purpose, for testing clients
// (the control API): START_FAILED on a START_IN_PROGRESS export (it stops
// counting as running: Start works again), ERROR on an ACTIVE one (nothing
// is exported until it is stopped; Start is refused until then), STOP_FAILED
// on a STOP_IN_PROGRESS one (Stop works again). detail is one of
// StatusDetails, INTERNAL_FAILURE if "". Errors: discovery.ResourceNotFound
// for an unknown export, discovery.InvalidParameterValue for a status or
// detail out of the model, discovery.ResourceInUse when the export is not
// in the status the failure needs.
func (s *Service) Fail(ctx context.Context, account, id, status, detail string) (*discovery.ContinuousExport, error) {
	if detail == "" {
		detail = "INTERNAL_FAILURE"
	}
	if !slices.Contains(StatusDetails, detail) {
		return nil, discovery.Errorf(discovery.InvalidParameterValue, "statusDetail must be one of %s.", strings.Join(StatusDetails, ", "))
	}
	now := s.cfg.Now().Truncate(time.Millisecond)
	var f discovery.ContinuousFailure
	var needs string
	switch status {
	case discovery.ContinuousStartFailed:
		needs = discovery.ContinuousStartInProgress
		f = discovery.ContinuousFailure{From: []string{discovery.ContinuousStartInProgress}, Running: true, Stop: now}
	case discovery.ContinuousError:
		// The recorded state may still be START_IN_PROGRESS when the
		// status is ACTIVE by the clock (its job not yet run).
		needs = discovery.ContinuousActive
		f = discovery.ContinuousFailure{From: []string{discovery.ContinuousStartInProgress, discovery.ContinuousActive}, Running: true}
	case discovery.ContinuousStopFailed:
		needs = discovery.ContinuousStopInProgress
		f = discovery.ContinuousFailure{From: []string{discovery.ContinuousStopInProgress}}
	default:
		return nil, discovery.Errorf(discovery.InvalidParameterValue, "status must be one of %s, %s, %s.",
			discovery.ContinuousStartFailed, discovery.ContinuousError, discovery.ContinuousStopFailed)
	}
	f.State, f.Detail = status, detail
	all, err := s.cfg.Store.ContinuousExports(ctx, discovery.ContinuousExportQuery{AccountID: account, IDs: []string{id}})
	if err != nil {
		return nil, err
	}
	if len(all) == 0 {
		return nil, discovery.Errorf(discovery.ResourceNotFound, "Continuous export %s was not found.", id)
	}
	if got := all[0].Status(now); got != needs {
		return nil, discovery.Errorf(discovery.ResourceInUse, "Continuous export %s is %s; %s needs %s.", id, got, status, needs)
	}
	done, err := s.cfg.Store.FailContinuousExport(ctx, account, id, f)
	switch {
	case errors.Is(err, discovery.ErrNotFound):
		return nil, discovery.Errorf(discovery.ResourceNotFound, "Continuous export %s was not found.", id)
	case err != nil:
		return nil, err
	case !done:
		return nil, discovery.Errorf(discovery.ResourceInUse, "Continuous export %s changed meanwhile; %s needs %s.", id, status, needs)
	}
	all, err = s.cfg.Store.ContinuousExports(ctx, discovery.ContinuousExportQuery{AccountID: account, IDs: []string{id}})
	if err != nil || len(all) == 0 {
		return nil, err
	}
	return all[0], nil
}

var _ queue.Handler = (*Service)(nil)

// Handle records the transition of a continuous export that a job is for:
// START_IN_PROGRESS to ACTIVE (discovery.JobContinuousStart), or to
// INACTIVE once stopped (discovery.JobContinuousStop). An export that moved
// on meanwhile (stopped before it was ACTIVE, say) is left as it is.
func (s *Service) Handle(ctx context.Context, j *discovery.Job) error {
	switch j.Kind {
	case discovery.JobContinuousStart:
		return s.cfg.Store.TransitionContinuousExport(ctx, j.Lease(), j.Account, j.Ref,
			[]string{discovery.ContinuousStartInProgress}, discovery.ContinuousActive)
	case discovery.JobContinuousStop:
		return s.cfg.Store.TransitionContinuousExport(ctx, j.Lease(), j.Account, j.Ref,
			[]string{discovery.ContinuousStartInProgress, discovery.ContinuousActive, discovery.ContinuousStopInProgress}, discovery.ContinuousInactive)
	}
	return fmt.Errorf("continuous export: no transition for a %s job", j.Kind)
}

// GiveUp returns the statusDetail of an export whose transition failed for
// good; the store makes it START_FAILED or STOP_FAILED.
func (s *Service) GiveUp(_ context.Context, j *discovery.Job, cause error) string {
	what := "start"
	if j.Kind == discovery.JobContinuousStop {
		what = "stop"
	}
	detail := fmt.Sprintf("The continuous export could not %s: %v", what, cause)
	if len(detail) > maxStatusDetail {
		detail = strings.ToValidUTF8(detail[:maxStatusDetail], "")
	}
	return detail
}

// maxStatusDetail is the model's bound on statusDetail.
const maxStatusDetail = 255
