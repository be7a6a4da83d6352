package discovery

// Overview is what a store holds, counted: each account's agents, servers
// and export tasks by status, and the job queue by kind. The control API's
// status (GET /_poseidon/status) shows it.
type Overview struct {
	Accounts []AccountOverview
	Jobs     []JobQueue
}

// AccountOverview counts one account's records.
type AccountOverview struct {
	AccountID string
	Agents    int
	Servers   int
	// Exports counts the account's export tasks by status.
	Exports map[ExportStatus]int
}

// JobQueue counts the jobs of one kind: Running are held under a lease
// that has not passed; Waiting are the others (due or not).
type JobQueue struct {
	Kind    JobKind
	Waiting int
	Running int
}

// ExportCounts is the map of AccountOverview.Exports for these counts.
func ExportCounts(inProgress, succeeded, failed int) map[ExportStatus]int {
	return map[ExportStatus]int{ExportInProgress: inProgress, ExportSucceeded: succeeded, ExportFailed: failed}
}
