// Package batchdelete implements StartBatchDeleteConfigurationTask and
// DescribeBatchDeleteConfigurationTask. Start validates and records a task
// (INITIALIZING) with its job; a Runner, the job's handler, deletes the
// servers later, off the request path, each task in one store transaction,
// and completes it.
package batchdelete

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// MaxIDs is the documented limit of configuration IDs per request.
const MaxIDs = 200

// Messages of the use case's errors.
const (
	unknownTaskMessage   = "The task ID %s was not found."
	limitExceededMessage = "The limit of 200 configuration IDs per request has been exceeded."
)

// Store persists tasks and applies them. sqlite.DB implements it.
type Store interface {
	// InsertBatchDeleteTask stores t and its batch delete job, in one
	// transaction.
	InsertBatchDeleteTask(ctx context.Context, t *discovery.BatchDeleteTask) error
	// BatchDeleteTask returns discovery.ErrNotFound for an unknown task.
	BatchDeleteTask(ctx context.Context, account, id string) (*discovery.BatchDeleteTask, error)
	// BatchDeleteTx runs fn in one write transaction of the account under
	// the lease of the task's job, checked in the transaction before fn
	// runs and held until it commits (discovery.ErrLeaseLost if the job was
	// taken over): it commits when fn returns nil and rolls back
	// otherwise. Execute decides what it reads and deletes.
	BatchDeleteTx(ctx context.Context, l discovery.Lease, account string, fn func(discovery.BatchDeleteTx) error) error
}

// Service is the use-case layer of the two operations.
type Service struct {
	store Store
	now   func() time.Time
	wake  func()
}

// New returns a Service; wake (may be nil) tells a Runner a task is waiting.
func New(store Store, now func() time.Time, wake func()) *Service {
	if wake == nil {
		wake = func() {}
	}
	return &Service{store: store, now: now, wake: wake}
}

// Start records a task deleting ids and returns its ID.
func (s *Service) Start(ctx context.Context, account, configurationType string, ids []string) (string, error) {
	if configurationType != string(discovery.TypeServer) {
		return "", discovery.Errorf(discovery.InvalidParameterValue, "The configuration type %q is not supported; supported types are: SERVER.", configurationType)
	}
	if len(ids) == 0 {
		return "", discovery.Errorf(discovery.InvalidParameterValue, "configurationIds must name at least one configuration item.")
	}
	if len(ids) > MaxIDs {
		return "", discovery.Errorf(discovery.LimitExceeded, limitExceededMessage)
	}
	seen := make(map[string]bool, len(ids))
	requested := make([]string, 0, len(ids))
	for _, id := range ids {
		if id == "" {
			return "", discovery.Errorf(discovery.InvalidParameterValue, "configurationIds must not contain an empty ID.")
		}
		if !seen[id] {
			seen[id] = true
			requested = append(requested, id)
		}
	}
	t := &discovery.BatchDeleteTask{
		ID: uuid.NewString(), AccountID: account, ConfigurationType: configurationType,
		Status: discovery.BatchDeleteInitializing, Start: s.now(), Requested: requested,
	}
	if err := s.store.InsertBatchDeleteTask(ctx, t); err != nil {
		return "", err
	}
	s.wake()
	return t.ID, nil
}

// Describe returns the account's task id.
func (s *Service) Describe(ctx context.Context, account, id string) (*discovery.BatchDeleteTask, error) {
	t, err := s.store.BatchDeleteTask(ctx, account, id)
	if errors.Is(err, discovery.ErrNotFound) {
		return nil, discovery.Errorf(discovery.InvalidParameterValue, unknownTaskMessage, id)
	}
	return t, err
}
