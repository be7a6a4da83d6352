package discovery

import "errors"

// Import task statuses (model ImportStatus).
const (
	ImportInProgress         = "IMPORT_IN_PROGRESS"
	ImportComplete           = "IMPORT_COMPLETE"
	ImportCompleteWithErrors = "IMPORT_COMPLETE_WITH_ERRORS"
	ImportFailed             = "IMPORT_FAILED"
	ImportDeleteComplete     = "DELETE_COMPLETE"
)

// Import limits per account.
const (
	MaxImportRecords = 25000
	MaxImportServers = 5000
)

// ErrImportTaskGone is returned by a store when an import task is no longer
// in progress (a reset or BatchDeleteImportData removed it): its runner
// stops and writes nothing more.
var ErrImportTaskGone = errors.New("import task is no longer in progress")

// ImportTask is one import task.
type ImportTask struct {
	AccountID, ID, ClientToken, Name, URL, Status string
	RequestMS, CompletionMS, DeletedMS            int64
	ServerSuccess, ServerFailure                  int
	AppSuccess, AppFailure                        int
	HasErrorsZip                                  bool
}

// ImportRow is one parsed row of an import file: a server with its
// applications and tags.
type ImportRow struct {
	ExternalID, HostName, OSName, OSVersion, VMName, MoRefID, VCenterID, ServerID string
	IPs, MACs                                                                     []string
	CPUs, Cores, Logical                                                          int
	RAMMB                                                                         float64
	Applications                                                                  []string
	Wave                                                                          string
	Tags                                                                          [][2]string
}

// ImportTaskFilter is an ImportTaskFilter of DescribeImportTasks.
type ImportTaskFilter struct {
	Name   string
	Values []string
}

// ImportTaskQuery selects the visible import tasks of one account, in task
// ID order. IDs, Statuses and Names, when not nil, keep the tasks whose
// attribute is one of their values (none when empty).
type ImportTaskQuery struct {
	Account              string
	IDs, Statuses, Names []string
	After                string // keyset cursor: task IDs after this one; "" from the start
	Limit                int    // 0: no limit
}
