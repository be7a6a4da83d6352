package discovery

// Filter is a request filter as sent: the model's Filter (DescribeAgents,
// ListConfigurations) and ExportFilter (StartExportTask,
// DescribeExportTasks), which have the same members. Each operation decides
// which names and conditions it accepts.
type Filter struct {
	Name      string
	Values    []string
	Condition string
}
