package discovery

// Overview is what a store holds, counted: each account's agents, servers
// and export tasks by status. The control API's status (GET
// /_poseidon/status) shows it, with the job queue's JobDepths.
type Overview struct {
	Accounts []AccountOverview
}

// AccountOverview counts one account's records.
type AccountOverview struct {
	AccountID string
	Agents    int
	Servers   int
	// Exports counts the account's export tasks by status.
	Exports map[ExportStatus]int
}

// ExportCounts is the map of AccountOverview.Exports for these counts.
func ExportCounts(inProgress, succeeded, failed int) map[ExportStatus]int {
	return map[ExportStatus]int{ExportInProgress: inProgress, ExportSucceeded: succeeded, ExportFailed: failed}
}
