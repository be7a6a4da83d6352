package discovery

import (
	"errors"
	"time"
)

// Continuous export statuses (model ContinuousExportStatus). poseidon
// reaches START_IN_PROGRESS, ACTIVE, STOP_IN_PROGRESS and INACTIVE on its
// own, START_FAILED and STOP_FAILED when a transition's job fails for good,
// and each failure state (ERROR too) when the control API puts it on an
// export (ContinuousFailure).
const (
	ContinuousStartInProgress = "START_IN_PROGRESS"
	ContinuousStartFailed     = "START_FAILED"
	ContinuousActive          = "ACTIVE"
	ContinuousError           = "ERROR"
	ContinuousStopInProgress  = "STOP_IN_PROGRESS"
	ContinuousStopFailed      = "STOP_FAILED"
	ContinuousInactive        = "INACTIVE"
)

// ContinuousTransitionTime is how long (virtual clock) START_IN_PROGRESS and
// STOP_IN_PROGRESS last before ACTIVE and INACTIVE. A job of the queue
// (JobContinuousStart, JobContinuousStop) records each transition when its
// time comes.
const ContinuousTransitionTime = 10 * time.Second

// ErrContinuousExportStopped is returned by a store asked to stop a
// continuous export that was stopped before.
var ErrContinuousExportStopped = errors.New("continuous export already stopped")

// ContinuousExport is one continuous export.
type ContinuousExport struct {
	AccountID string
	ID        string
	S3Bucket  string
	Start     time.Time
	// Stop is zero while the export runs.
	Stop time.Time
	// State is the status the store recorded: START_IN_PROGRESS at the
	// start, STOP_IN_PROGRESS at the stop, ACTIVE and INACTIVE once the
	// transition's job ran, START_FAILED or STOP_FAILED if it failed for
	// good. "" is read as the status its times give.
	State string
	// StatusDetail says why a transition failed; "" otherwise.
	StatusDetail string
}

// Status is the export's status at now: a failure or INACTIVE as recorded,
// otherwise the status the start and stop times give, so that a transition
// shows as soon as its time has come, also before its job has recorded it.
func (e *ContinuousExport) Status(now time.Time) string {
	switch e.State {
	case ContinuousStartFailed, ContinuousStopFailed, ContinuousError, ContinuousInactive:
		return e.State
	}
	if e.Stop.IsZero() {
		if e.State != ContinuousActive && now.Before(e.Start.Add(ContinuousTransitionTime)) {
			return ContinuousStartInProgress
		}
		return ContinuousActive
	}
	if now.Before(e.Stop.Add(ContinuousTransitionTime)) {
		return ContinuousStopInProgress
	}
	return ContinuousInactive
}

// ContinuousExportCursor is the keyset position of a page: exports come
// newest first.
type ContinuousExportCursor struct {
	StartMs int64  `json:"s"`
	ID      string `json:"i"`
}

// ContinuousExportQuery selects continuous exports of one account, newest
// first (start time, then ID, descending).
type ContinuousExportQuery struct {
	AccountID string
	// IDs, when not nil, keeps only these export IDs.
	IDs   []string
	After *ContinuousExportCursor
	// Limit 0 means no limit.
	Limit int
}

// ContinuousFailure is a failure state put on a continuous export on
// purpose (the control API's continuous export faults): the export takes
// State and Detail if its recorded state is one of From and it runs (Stop
// zero) exactly when Running; Stop, if not zero, becomes its stop time (a
// failed start no longer counts as running).
type ContinuousFailure struct {
	From    []string
	Running bool
	State   string
	Detail  string
	Stop    time.Time
}

// StoredObject describes an object of a continuous export bucket.
type StoredObject struct {
	Key      string
	Size     int64
	Modified time.Time
}
