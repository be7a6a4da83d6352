package discovery

import (
	"fmt"
	"time"
)

// BatchDeleteStatus is a batch delete task's wire status (model enum
// BatchDeleteConfigurationTaskStatus).
type BatchDeleteStatus string

// Batch delete task statuses.
const (
	BatchDeleteInitializing BatchDeleteStatus = "INITIALIZING"
	BatchDeleteValidating   BatchDeleteStatus = "VALIDATING"
	BatchDeleteDeleting     BatchDeleteStatus = "DELETING"
	BatchDeleteCompleted    BatchDeleteStatus = "COMPLETED"
	BatchDeleteFailed       BatchDeleteStatus = "FAILED"
)

// BatchDeleteTask is a batch delete task
// (StartBatchDeleteConfigurationTask).
type BatchDeleteTask struct {
	ID                string
	AccountID         string
	ConfigurationType string
	Status            BatchDeleteStatus
	Start             time.Time
	End               time.Time // zero until the task ends
	Requested         []string
	Deleted           []string
	Failures          []BatchDeleteFailure
	Warnings          []BatchDeleteWarning
}

// BatchDeleteFailure is an ID a batch delete task could not delete.
type BatchDeleteFailure struct {
	ConfigurationID string
	StatusCode      int
	Message         string
}

// BatchDeleteWarning is an ID a batch delete task deleted, with a caveat.
type BatchDeleteWarning struct {
	ConfigurationID string
	Code            int
	Text            string
}

// Batch delete failure and warning codes.
const (
	BatchDeleteNotFoundCode        = 404
	BatchDeleteCollectingAgentCode = 409
)

// BatchDeleteNotFound is the failure of an ID that names no server of the
// account.
func BatchDeleteNotFound(id string) BatchDeleteFailure {
	return BatchDeleteFailure{ConfigurationID: id, StatusCode: BatchDeleteNotFoundCode,
		Message: fmt.Sprintf("The configuration ID %s was not found, or it is not a server.", id)}
}

// BatchDeleteStillCollecting is the warning for a deleted server whose agent
// still collects.
func BatchDeleteStillCollecting(id, agentID string) BatchDeleteWarning {
	return BatchDeleteWarning{ConfigurationID: id, Code: BatchDeleteCollectingAgentCode,
		Text: fmt.Sprintf("The server was discovered by agent %s, which is still collecting data; its next report discovers the server again.", agentID)}
}
