package adsapi

import (
	"encoding/json"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/awsjson"
)

func TestDecodeStartExportTask(t *testing.T) {
	body := `{
	  "exportDataFormat": ["CSV"],
	  "filters": [{"name": "agentIds", "values": ["o-0123456789abcdef0", "o-1"], "condition": "EQUALS"}],
	  "startTime": 1700000000.123,
	  "endTime": 1700003600,
	  "preferences": {"ec2RecommendationsPreferences": {
	    "enabled": true,
	    "cpuPerformanceMetricBasis": {"name": "p95", "percentageAdjust": 12.5},
	    "ramPerformanceMetricBasis": {"name": "MAX"},
	    "tenancy": "SHARED",
	    "excludedInstanceTypes": ["t2.micro"],
	    "preferredRegion": "us-east-1",
	    "reservedInstanceOptions": {"purchasingOption": "NO_UPFRONT", "offeringClass": "STANDARD", "termLength": "ONE_YEAR"}
	  }},
	  "unknownMember": 1
	}`
	var r StartExportTaskRequest
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	if err := r.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if got, want := r.StartTime.Time, time.UnixMilli(1700000000123).UTC(); !got.Equal(want) {
		t.Errorf("startTime = %v, want %v", got, want)
	}
	if got := r.EndTime.Unix(); got != 1700003600 {
		t.Errorf("endTime = %d", got)
	}
	p := r.Preferences.Ec2RecommendationsPreferences
	if !reflect.DeepEqual(r.ExportDataFormat, []string{"CSV"}) || len(r.Filters) != 1 ||
		*r.Filters[0].Name != "agentIds" || *r.Filters[0].Condition != "EQUALS" || len(r.Filters[0].Values) != 2 ||
		!*p.Enabled || *p.CpuPerformanceMetricBasis.Name != "p95" || *p.CpuPerformanceMetricBasis.PercentageAdjust != 12.5 ||
		p.RamPerformanceMetricBasis.PercentageAdjust != nil || *p.Tenancy != TenancyShared ||
		p.ExcludedInstanceTypes[0] != "t2.micro" || *p.PreferredRegion != "us-east-1" ||
		*p.ReservedInstanceOptions.TermLength != TermLengthOneYear {
		t.Errorf("decoded %+v / %+v", r, p)
	}

	// A string timestamp is a type error (SerializationException upstream).
	if err := json.Unmarshal([]byte(`{"startTime":"2023-11-14T22:13:20Z"}`), &r); err == nil {
		t.Error("string timestamp accepted")
	}
}

func TestMarshalExportInfo(t *testing.T) {
	info := ExportInfo{
		ExportId:          ptr("export-123a4b56-7c8d-9e01-2f34-5a6b7c8d9e0f"),
		ExportStatus:      ptr(ExportStatusSucceeded),
		StatusMessage:     ptr("Data export completed"),
		ExportRequestTime: awsjson.NewTime(time.UnixMilli(1700000000123)),
		IsTruncated:       ptr(false),
		RequestedEndTime:  awsjson.NewTime(time.Unix(1700003600, 0)),
	}
	b, err := json.Marshal(DescribeExportTasksResponse{ExportsInfo: []*ExportInfo{&info}})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"exportsInfo":[{"exportId":"export-123a4b56-7c8d-9e01-2f34-5a6b7c8d9e0f","exportStatus":"SUCCEEDED",` +
		`"statusMessage":"Data export completed","exportRequestTime":1700000000.123,"isTruncated":false,"requestedEndTime":1700003600}]}`
	if string(b) != want {
		t.Errorf("marshal:\n got %s\nwant %s", b, want)
	}
	// Empty output structures marshal as {}.
	b, _ = json.Marshal(StopDataCollectionByAgentIdsResponse{})
	if string(b) != `{}` {
		t.Errorf("empty response = %s", b)
	}
	b, _ = json.Marshal(ExportConfigurationsRequest{})
	if string(b) != `{}` {
		t.Errorf("synthetic input = %s", b)
	}
}

// modelOperations lists the model's operations with their input shapes, read
// from the committed model independently of the generator.
func modelOperations(t *testing.T) map[string]string {
	t.Helper()
	var m struct {
		Operations map[string]struct {
			Input *struct {
				Shape string `json:"shape"`
			} `json:"input"`
		} `json:"operations"`
	}
	b, err := readModel()
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for name, op := range m.Operations {
		if op.Input != nil {
			out[name] = op.Input.Shape
		} else {
			out[name] = name + "Request"
		}
	}
	return out
}

func TestOperations(t *testing.T) {
	ops := modelOperations(t)
	if len(ops) != 28 || len(Operations) != 28 || len(OperationNames) != 28 {
		t.Fatalf("model %d, Operations %d, OperationNames %d; want 28", len(ops), len(Operations), len(OperationNames))
	}
	if !sort.StringsAreSorted(OperationNames) {
		t.Error("OperationNames not sorted")
	}
	for _, name := range OperationNames {
		if _, ok := ops[name]; !ok {
			t.Errorf("OperationNames has %s, not in the model", name)
		}
	}
	for name, input := range ops {
		op, ok := Operations[name]
		if !ok {
			t.Errorf("operation %s missing", name)
			continue
		}
		if op.Name != name {
			t.Errorf("%s: Name %q", name, op.Name)
		}
		in := op.NewInput()
		typ := reflect.TypeOf(in)
		if typ.Kind() != reflect.Pointer || typ.Elem().Name() != input {
			t.Errorf("%s: NewInput() is %v, want *%s", name, typ, input)
		}
		// (Pointers to distinct zero-size values may be equal in Go.)
		if typ.Elem().Size() > 0 && in == op.NewInput() {
			t.Errorf("%s: NewInput returns a shared value", name)
		}
		if len(op.Errors) == 0 {
			t.Errorf("%s: no errors", name)
		}
		for _, e := range op.Errors {
			if !strings.HasSuffix(e, "Exception") {
				t.Errorf("%s: error %q", name, e)
			}
		}
	}
	if TargetPrefix != "AWSPoseidonService_V2015_11_01" || SigningName != "discovery" {
		t.Errorf("TargetPrefix %q SigningName %q", TargetPrefix, SigningName)
	}
	for name, op := range Operations {
		wantDep := name == "ExportConfigurations" || name == "DescribeExportConfigurations"
		if op.Deprecated != wantDep {
			t.Errorf("%s: Deprecated = %v", name, op.Deprecated)
		}
	}
	var paginated []string
	for _, name := range OperationNames {
		if Operations[name].Paginated {
			paginated = append(paginated, name)
		}
	}
	wantPag := []string{"DescribeAgents", "DescribeContinuousExports", "DescribeExportConfigurations", "DescribeExportTasks",
		"DescribeImportTasks", "DescribeTags", "ListConfigurations", "ListServerNeighbors"}
	if !reflect.DeepEqual(paginated, wantPag) {
		t.Errorf("paginated = %v", paginated)
	}
	if got := Operations["StartBatchDeleteConfigurationTask"].Errors; !reflect.DeepEqual(got, []string{
		"LimitExceededException", "AuthorizationErrorException", "ServerInternalErrorException", "HomeRegionNotSetException",
		"OperationNotPermittedException", "InvalidParameterValueException", "InvalidParameterException"}) {
		t.Errorf("errors not in model order: %v", got)
	}
	if _, ok := Operations["ExportConfigurations"].NewInput().(*ExportConfigurationsRequest); !ok {
		t.Error("ExportConfigurations input")
	}
}

func readModel() ([]byte, error) { return os.ReadFile("../../api/models/discovery-2015-11-01.json") }
