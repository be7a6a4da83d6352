package discovery

import (
	"fmt"
	"time"
)

// ExportStatus is the wire value of ExportInfo.exportStatus.
type ExportStatus string

// Export statuses (model enum ExportStatus).
const (
	ExportInProgress ExportStatus = "IN_PROGRESS"
	ExportSucceeded  ExportStatus = "SUCCEEDED"
	ExportFailed     ExportStatus = "FAILED"
)

// ExportKind says which file set an export writes.
type ExportKind string

// Export kinds. A summary export has no agent filter and no preferences; an
// agent export has one agentIds filter; an EC2 export enables
// ec2RecommendationsPreferences.
const (
	KindSummary ExportKind = "summary"
	KindAgent   ExportKind = "agent"
	KindEC2     ExportKind = "ec2"
)

// Status messages that clients see. SucceededMessage is AWS's own text.
const (
	SucceededMessage  = "Data export ran successfully and is accessible from the download URL. The URL will expire in 24 hours. The export data expires in 10 days."
	InProgressMessage = "Export in progress. Poll DescribeExportTasks until the status is SUCCEEDED or FAILED."
	ExpiredMessage    = "Data export ran successfully, but the export data expired 10 days after the export finished and is no longer available for download."
)

// ProgressMessage is the statusMessage of an export being built, after done
// of its total files were written: "Export in progress: 40% (12 of 30 files)".
// The percentage is rounded down.
func ProgressMessage(done, total int) string {
	pct := 0
	if total > 0 {
		pct = done * 100 / total
	}
	return fmt.Sprintf("Export in progress: %d%% (%d of %d files)", pct, done, total)
}

// Retention is how long export data is kept after an export finishes, and
// URLTTL how long a download URL stays valid (AWS: 10 days and 24 hours).
const (
	Retention = 10 * 24 * time.Hour
	URLTTL    = 24 * time.Hour
)

// MaxAgentWindow is the longest window of detailed agent data one export holds.
const MaxAgentWindow = 72 * time.Hour

// ExportTask is one export, made by StartExportTask or ExportConfigurations.
type ExportTask struct {
	AccountID string
	ID        string
	Kind      ExportKind
	// Operation is the call that made the task: StartExportTask or ExportConfigurations.
	Operation string
	AgentID   string // agent exports only
	Status    ExportStatus
	Message   string
	// RequestTime is exportRequestTime.
	RequestTime time.Time
	// RequestedStart and RequestedEnd echo the caller's startTime and
	// endTime; nil when the caller sent none.
	RequestedStart, RequestedEnd *time.Time
	// EC2 are the validated EC2 recommendation preferences of a KindEC2
	// export; nil for the other kinds.
	EC2         *EC2Preferences
	IsTruncated bool
	// ReadyAt is the earliest time the task may finish (--export-delay):
	// its job is not claimed before.
	ReadyAt time.Time
	// FinishedAt is set once the task is SUCCEEDED or FAILED.
	FinishedAt time.Time
	// FileSize is the size of the zip of a SUCCEEDED task.
	FileSize int64
	// Expired is set once the janitor deleted the data.
	Expired bool
}

// DataExpired reports whether the task's data is gone at time now.
func (t *ExportTask) DataExpired(now time.Time) bool {
	return t.Expired || (t.Status == ExportSucceeded && !t.FinishedAt.IsZero() && !now.Before(t.FinishedAt.Add(Retention)))
}

// ExportResult is what a worker records when it ends a task.
type ExportResult struct {
	Status      ExportStatus
	Message     string
	IsTruncated bool
	FileSize    int64
}

// HomeRegionControl is a Migration Hub home region setting for one account.
type HomeRegionControl struct {
	ID            string
	AccountID     string
	HomeRegion    string
	RequestedTime time.Time
}

// ExportQuery selects export tasks of one account, newest first (ties by
// export ID, descending).
type ExportQuery struct {
	AccountID string
	// IDs, when not nil, keeps only these export IDs.
	IDs []string
	// AgentIDs, when not nil, keeps tasks whose agent is one of these (none
	// when empty).
	AgentIDs []string
	// After is the keyset cursor of the last task of the previous page.
	After *ExportCursor
	Limit int // 0: no limit
}

// ExportCursor is a position in the newest-first order of export tasks.
type ExportCursor struct {
	RequestTimeMs int64  `json:"t"`
	ExportID      string `json:"i"`
}

// ExportAdmission is what a store checks, in the write that creates an
// export task and atomically with it, against the account's other tasks.
// Checks that pass in one call cannot be invalidated by a concurrent call:
// two tasks never both pass a limit that only one of them fits.
type ExportAdmission struct {
	// RefuseDuplicate refuses an agent export when the account has a
	// SUCCEEDED agent export of the same agent and requested window.
	RefuseDuplicate bool
	// Limits are checked in order; the first one reached refuses the task.
	Limits []ExportLimit
}

// ExportLimit is reached when the account has Max tasks or more that match:
// made by Operation (any if ""), of Kind (any if ""), requested at or after
// Since, and still IN_PROGRESS if Running.
type ExportLimit struct {
	Operation string
	Kind      ExportKind
	Since     time.Time
	Running   bool
	Max       int
}

// ExportRefusal says why a store did not create an export task: a duplicate
// (DuplicateOf is set) or a limit (Limit is its index in
// ExportAdmission.Limits).
type ExportRefusal struct {
	// DuplicateOf is the ID of the SUCCEEDED agent export of the same agent
	// and requested window.
	DuplicateOf string
	Limit       int
}

// ArchiveError is a failure of a store of export archives other than files
// (a database) while writing an archive: a lost connection, a full disk on
// the database server, a write refused. It is what exportfile.FileError is
// for files: an error of the store, as opposed to one of the content being
// rendered, recognizable after it passed through the zip writer. Op is what
// was being done: "create", "write" or "commit".
type ArchiveError struct {
	Op  string
	Err error
}

func (e *ArchiveError) Error() string { return e.Op + " export archive: " + e.Err.Error() }

func (e *ArchiveError) Unwrap() error { return e.Err }
