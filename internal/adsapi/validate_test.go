package adsapi

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/poseidon-ads/poseidon/internal/validate"
)

func ptr[T any](v T) *T { return &v }

// check returns the rendered violations of in.Validate() and whether the
// error reports a missing member.
func check(t *testing.T, in Input) ([]string, bool) {
	t.Helper()
	err := in.Validate()
	if err == nil {
		return nil, false
	}
	var ve *validate.Error
	if !errors.As(err, &ve) {
		t.Fatalf("Validate returned %T, not *validate.Error: %v", err, err)
	}
	if len(ve.Violations) == 0 {
		t.Fatalf("*validate.Error without violations")
	}
	var out []string
	for _, v := range ve.Violations {
		out = append(out, v.String())
	}
	return out, ve.Missing()
}

func filter(name, condition string, values ...string) *ExportFilter {
	return &ExportFilter{Name: ptr(name), Condition: ptr(condition), Values: values}
}

func agents(n int) []*DeleteAgent {
	out := make([]*DeleteAgent, n)
	for i := range out {
		out[i] = &DeleteAgent{AgentId: ptr("d-server-0123456789")}
	}
	return out
}

func TestValidateRules(t *testing.T) {
	name127 := strings.Repeat("界", 127) // 127 code points, 381 bytes
	for _, tc := range []struct {
		name    string
		in      Input
		want    []string // exact violation texts; nil = valid
		missing bool
	}{
		// enum (list of enum strings, reported at the list like AWS)
		{"enum ok", &StartExportTaskRequest{ExportDataFormat: []string{ExportDataFormatCsv}}, nil, false},
		{"enum list", &StartExportTaskRequest{ExportDataFormat: []string{"GRAPHML"}},
			[]string{"Value '[GRAPHML]' at 'exportDataFormat' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [CSV]]"}, false},
		{"enum scalar", &ListConfigurationsRequest{ConfigurationType: ptr("DATABASE")},
			[]string{"Value 'DATABASE' at 'configurationType' failed to satisfy constraint: Member must satisfy enum value set: [SERVER, PROCESS, CONNECTION, APPLICATION]"}, false},

		// required, top level and nested in a list
		{"required top", &DescribeBatchDeleteConfigurationTaskRequest{},
			[]string{"Value null at 'taskId' failed to satisfy constraint: Member must not be null"}, true},
		{"required in list", &StartExportTaskRequest{Filters: []*ExportFilter{{Name: ptr("agentIds"), Values: []string{"a"}}}},
			[]string{"Value null at 'filters.1.member.condition' failed to satisfy constraint: Member must not be null"}, true},
		{"empty list is present", &StartExportTaskRequest{Filters: []*ExportFilter{{Name: ptr("agentIds"), Values: []string{}, Condition: ptr("EQUALS")}}}, nil, false},
		{"nil list element", &DescribeExportTasksRequest{Filters: []*ExportFilter{filter("agentIds", "EQUALS", "a"), nil}},
			[]string{"Value null at 'filters.2.member' failed to satisfy constraint: Member must not be null"}, true},

		// pattern, nested path
		{"pattern in list", &StartExportTaskRequest{Filters: []*ExportFilter{filter("agentIds", "EQUALS", "a"), filter("agentIds", "NOT EQUALS", "b")}},
			[]string{`Value 'NOT EQUALS' at 'filters.2.member.condition' failed to satisfy constraint: Member must satisfy regular expression pattern: \S+`}, false},
		{"filter name blank", &DescribeExportTasksRequest{Filters: []*ExportFilter{filter("  ", "EQUALS", "a")}},
			[]string{`Value '  ' at 'filters.1.member.name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\s\S]*\S[\s\S]*`}, false},
		{"filter values element", &DescribeExportTasksRequest{Filters: []*ExportFilter{filter("agentIds", "EQUALS", "a", " ")}},
			[]string{`Value '[a,  ]' at 'filters.1.member.values' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 1000, Member must satisfy regular expression pattern: (^$|[\s\S]*\S[\s\S]*)]`}, false},
		{"wave ok", &CreateApplicationRequest{Name: ptr("app"), Wave: ptr("wave 1")}, nil, false},
		{"wave empty ok", &CreateApplicationRequest{Name: ptr("app"), Wave: ptr("")}, nil, false},
		{"wave double space ok", &CreateApplicationRequest{Name: ptr("app"), Wave: ptr("a  b")}, nil, false},
		{"wave leading space", &CreateApplicationRequest{Name: ptr("app"), Wave: ptr(" wave")},
			[]string{`Value ' wave' at 'wave' failed to satisfy constraint: Member must satisfy regular expression pattern: ^($|[^\s\x00]( *[^\s\x00])*$)`}, false},
		{"wave tab", &UpdateApplicationRequest{ConfigurationId: ptr("d-application-1"), Wave: ptr("a\tb")},
			[]string{`Value 'a	b' at 'wave' failed to satisfy constraint: Member must satisfy regular expression pattern: ^($|[^\s\x00]( *[^\s\x00])*$)`}, false},
		{"wave NUL", &UpdateApplicationRequest{ConfigurationId: ptr("d-application-1"), Wave: ptr("a\x00")},
			[]string{"Value 'a\x00' at 'wave' failed to satisfy constraint: Member must satisfy regular expression pattern: ^($|[^\\s\\x00]( *[^\\s\\x00])*$)"}, false},
		{"import task id pattern", &BatchDeleteImportDataRequest{ImportTaskIds: []string{"import-task-" + strings.Repeat("a", 31)}},
			[]string{"Value '[import-task-" + strings.Repeat("a", 31) + "]' at 'importTaskIds' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 200, Member must satisfy regular expression pattern: ^import-task-[a-fA-F0-9]{32}$]"}, false},

		// string length in code points
		{"127 runes ok", &CreateApplicationRequest{Name: ptr(name127)}, nil, false},
		{"128 runes", &CreateApplicationRequest{Name: ptr(name127 + "x")},
			[]string{"Value '" + name127 + "x' at 'name' failed to satisfy constraint: Member must have length less than or equal to 127"}, false},
		{"min length", &StartImportTaskRequest{Name: ptr("n"), ImportUrl: ptr("s3://b/k"), ClientRequestToken: ptr("")},
			[]string{"Value '' at 'clientRequestToken' failed to satisfy constraint: Member must have length greater than or equal to 1"}, false},
		{"length and pattern", &StartImportTaskRequest{Name: ptr(""), ImportUrl: ptr("s3://b/k")},
			[]string{
				"Value '' at 'name' failed to satisfy constraint: Member must have length greater than or equal to 1",
				`Value '' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\s\S]*\S[\s\S]*`,
			}, false},

		// numeric range
		{"maxResults 1", &DescribeContinuousExportsRequest{MaxResults: ptr(int32(1))}, nil, false},
		{"maxResults 100", &DescribeContinuousExportsRequest{MaxResults: ptr(int32(100))}, nil, false},
		{"maxResults 0", &DescribeContinuousExportsRequest{MaxResults: ptr(int32(0))},
			[]string{"Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1"}, false},
		{"maxResults 101", &DescribeContinuousExportsRequest{MaxResults: ptr(int32(101))},
			[]string{"Value '101' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100"}, false},
		{"unconstrained Integer", &DescribeExportTasksRequest{MaxResults: ptr(int32(-5))}, nil, false},
		{"double range", &StartExportTaskRequest{Preferences: &ExportPreferences{Ec2RecommendationsPreferences: &Ec2RecommendationsExportPreferences{
			CpuPerformanceMetricBasis: &UsageMetricBasis{Name: ptr("p95"), PercentageAdjust: ptr(100.5)},
		}}}, []string{"Value '100.5' at 'preferences.ec2RecommendationsPreferences.cpuPerformanceMetricBasis.percentageAdjust' failed to satisfy constraint: Member must have value less than or equal to 100.0"}, false},

		// list size
		{"agents 1", &BatchDeleteAgentsRequest{DeleteAgents: agents(1)}, nil, false},
		{"agents 50", &BatchDeleteAgentsRequest{DeleteAgents: agents(50)}, nil, false},
		{"agents 0", &BatchDeleteAgentsRequest{DeleteAgents: []*DeleteAgent{}},
			[]string{"Value '[]' at 'deleteAgents' failed to satisfy constraint: Member must have length greater than or equal to 1"}, false},
		{"agents 51", &BatchDeleteAgentsRequest{DeleteAgents: agents(51)},
			[]string{"Value '[" + strings.Repeat("{agentId=d-server-0123456789}, ", 50) + "{agentId=d-server-0123456789}]' at 'deleteAgents' failed to satisfy constraint: Member must have length less than or equal to 50"}, false},
		{"agents missing", &BatchDeleteAgentsRequest{},
			[]string{"Value null at 'deleteAgents' failed to satisfy constraint: Member must not be null"}, true},
		{"agent id short", &BatchDeleteAgentsRequest{DeleteAgents: []*DeleteAgent{{AgentId: ptr("short")}}},
			[]string{"Value 'short' at 'deleteAgents.1.member.agentId' failed to satisfy constraint: Member must have length greater than or equal to 10"}, false},

		// nested structures and their required members
		{"nested enum", &StartExportTaskRequest{Preferences: &ExportPreferences{Ec2RecommendationsPreferences: &Ec2RecommendationsExportPreferences{Tenancy: ptr("HOST")}}},
			[]string{"Value 'HOST' at 'preferences.ec2RecommendationsPreferences.tenancy' failed to satisfy constraint: Member must satisfy enum value set: [DEDICATED, SHARED]"}, false},
		{"nested required", &StartExportTaskRequest{Preferences: &ExportPreferences{Ec2RecommendationsPreferences: &Ec2RecommendationsExportPreferences{
			ReservedInstanceOptions: &ReservedInstanceOptions{PurchasingOption: ptr(PurchasingOptionAllUpfront), TermLength: ptr("TWO_YEAR")},
		}}}, []string{
			"Value null at 'preferences.ec2RecommendationsPreferences.reservedInstanceOptions.offeringClass' failed to satisfy constraint: Member must not be null",
			"Value 'TWO_YEAR' at 'preferences.ec2RecommendationsPreferences.reservedInstanceOptions.termLength' failed to satisfy constraint: Member must satisfy enum value set: [ONE_YEAR, THREE_YEAR]",
		}, true},

		// union: ExportPreferences has a single member, so it can never
		// have two set; empty is allowed. (Two set members are tested on a
		// synthetic model in internal/shapegen/internal/synthapi.)
		{"union empty", &StartExportTaskRequest{Preferences: &ExportPreferences{}}, nil, false},
		{"union one", &StartExportTaskRequest{Preferences: &ExportPreferences{Ec2RecommendationsPreferences: &Ec2RecommendationsExportPreferences{Enabled: ptr(true)}}}, nil, false},

		// several violations, in member order
		{"two errors", &DescribeImportTasksRequest{MaxResults: ptr(int32(0)), Filters: []*ImportTaskFilter{{Name: ptr("OWNER"), Values: []string{}}}},
			[]string{
				"Value 'OWNER' at 'filters.1.member.name' failed to satisfy constraint: Member must satisfy enum value set: [IMPORT_TASK_ID, STATUS, NAME, FILE_CLASSIFICATION]",
				"Value '[]' at 'filters.1.member.values' failed to satisfy constraint: Member must have length greater than or equal to 1",
				"Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1",
			}, false},

		// inputs without constraints
		{"empty input", &GetDiscoverySummaryRequest{}, nil, false},
		{"synthetic input", &ExportConfigurationsRequest{}, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, missing := check(t, tc.in)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("violations:\n got %q\nwant %q", got, tc.want)
			}
			if missing != tc.missing {
				t.Errorf("Missing() = %v, want %v", missing, tc.missing)
			}
		})
	}
}

func TestErrorMessage(t *testing.T) {
	err := (&ExportFilter{Name: ptr("agentIds"), Values: []string{"a"}}).Validate()
	if got, want := err.Error(), "1 validation error detected: Value null at 'condition' failed to satisfy constraint: Member must not be null"; got != want {
		t.Errorf("one:\n got %s\nwant %s", got, want)
	}
	err = (&DescribeContinuousExportsRequest{MaxResults: ptr(int32(101)), ExportIds: []string{"a b"}}).Validate()
	want := "2 validation errors detected: " +
		`Value '[a b]' at 'exportIds' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 200, Member must satisfy regular expression pattern: \S*]; ` +
		"Value '101' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100"
	if err == nil || err.Error() != want {
		t.Errorf("two:\n got %v\nwant %s", err, want)
	}
	var ve *validate.Error
	if !errors.As(err, &ve) || ve.Missing() {
		t.Errorf("Missing() should be false for %v", err)
	}
	// A nil input is valid (absent).
	var nilReq *StartExportTaskRequest
	if err := nilReq.Validate(); err != nil {
		t.Errorf("nil: %v", err)
	}
}

func TestEnumConstants(t *testing.T) {
	if ExportStatusInProgress != "IN_PROGRESS" || ExportStatusSucceeded != "SUCCEEDED" || ExportStatusFailed != "FAILED" {
		t.Error("ExportStatus constants")
	}
	if !reflect.DeepEqual(ExportStatusValues, []string{"FAILED", "SUCCEEDED", "IN_PROGRESS"}) {
		t.Errorf("ExportStatusValues = %v", ExportStatusValues)
	}
	if !reflect.DeepEqual(ExportDataFormatValues, []string{"CSV"}) || ExportDataFormatCsv != "CSV" {
		t.Errorf("ExportDataFormatValues = %v", ExportDataFormatValues)
	}
	if OrderStringAsc != "ASC" || ImportStatusImportCompleteWithErrors != "IMPORT_COMPLETE_WITH_ERRORS" || FileClassificationVmwareNsxExport != "VMWARE_NSX_EXPORT" {
		t.Error("enum constants")
	}
}
