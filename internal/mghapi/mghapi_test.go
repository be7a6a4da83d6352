package mghapi

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/awsjson"
	"github.com/poseidon-ads/poseidon/internal/validate"
)

func ptr[T any](v T) *T { return &v }

func TestOperations(t *testing.T) {
	if TargetPrefix != "AWSMigrationHubMultiAccountService" || SigningName != "mgh" {
		t.Errorf("TargetPrefix %q SigningName %q", TargetPrefix, SigningName)
	}
	want := map[string]Input{
		"CreateHomeRegionControl":    &CreateHomeRegionControlRequest{},
		"DeleteHomeRegionControl":    &DeleteHomeRegionControlRequest{},
		"DescribeHomeRegionControls": &DescribeHomeRegionControlsRequest{},
		"GetHomeRegion":              &GetHomeRegionRequest{},
	}
	if len(Operations) != len(want) || !reflect.DeepEqual(OperationNames, []string{"CreateHomeRegionControl", "DeleteHomeRegionControl", "DescribeHomeRegionControls", "GetHomeRegion"}) {
		t.Fatalf("Operations %d, OperationNames %v", len(Operations), OperationNames)
	}
	for name, in := range want {
		op := Operations[name]
		if op.Name != name || reflect.TypeOf(op.NewInput()) != reflect.TypeOf(in) || op.Deprecated {
			t.Errorf("%s: %+v", name, op)
		}
	}
	if got := Operations["CreateHomeRegionControl"].Errors; !reflect.DeepEqual(got, []string{
		"InternalServerError", "ServiceUnavailableException", "AccessDeniedException", "ThrottlingException", "DryRunOperation", "InvalidInputException"}) {
		t.Errorf("errors = %v", got)
	}
	if !Operations["DescribeHomeRegionControls"].Paginated || Operations["GetHomeRegion"].Paginated {
		t.Error("Paginated")
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   Input
		want []string
	}{
		{"ok", &CreateHomeRegionControlRequest{HomeRegion: ptr("us-west-2"), Target: &Target{Type: ptr(TargetTypeAccount), Id: ptr("123456789012")}, DryRun: ptr(true)}, nil},
		{"missing", &CreateHomeRegionControlRequest{Target: &Target{}}, []string{
			"Value null at 'homeRegion' failed to satisfy constraint: Member must not be null",
			"Value null at 'target.type' failed to satisfy constraint: Member must not be null",
		}},
		{"bad values", &CreateHomeRegionControlRequest{HomeRegion: ptr("useast1"), Target: &Target{Type: ptr("ORG"), Id: ptr("12345678901a")}}, []string{
			"Value 'useast1' at 'homeRegion' failed to satisfy constraint: Member must satisfy regular expression pattern: ^([a-z]+)-([a-z]+)-([0-9]+)$",
			"Value 'ORG' at 'target.type' failed to satisfy constraint: Member must satisfy enum value set: [ACCOUNT]",
			"Value '12345678901a' at 'target.id' failed to satisfy constraint: Member must satisfy regular expression pattern: ^\\d{12}$",
		}},
		{"control id", &DeleteHomeRegionControlRequest{ControlId: ptr("hrc-ABC")}, []string{
			"Value 'hrc-ABC' at 'controlId' failed to satisfy constraint: Member must satisfy regular expression pattern: ^hrc-[a-z0-9]{12}$",
		}},
		{"token 2048 ok", &DescribeHomeRegionControlsRequest{NextToken: ptr(strings.Repeat("A", 2048)), MaxResults: ptr(int32(100))}, nil},
		{"token 2049", &DescribeHomeRegionControlsRequest{NextToken: ptr(strings.Repeat("A", 2049))}, []string{
			"Value '" + strings.Repeat("A", 2049) + "' at 'nextToken' failed to satisfy constraint: Member must have length less than or equal to 2048",
			"Value '" + strings.Repeat("A", 2049) + "' at 'nextToken' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9\\/\\+\\=]{0,2048}$",
		}},
		{"max results", &DescribeHomeRegionControlsRequest{MaxResults: ptr(int32(0))}, []string{
			"Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1",
		}},
		{"empty", &GetHomeRegionRequest{}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			if err := tc.in.Validate(); err != nil {
				var ve *validate.Error
				if !errors.As(err, &ve) {
					t.Fatalf("%T", err)
				}
				for _, v := range ve.Violations {
					got = append(got, v.String())
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("violations:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestWire(t *testing.T) {
	var r CreateHomeRegionControlRequest
	if err := json.Unmarshal([]byte(`{"HomeRegion":"eu-west-1","Target":{"Type":"ACCOUNT","Id":"123456789012"},"DryRun":false}`), &r); err != nil {
		t.Fatal(err)
	}
	if *r.HomeRegion != "eu-west-1" || *r.Target.Id != "123456789012" || *r.DryRun {
		t.Errorf("decoded %+v", r)
	}
	out, err := json.Marshal(CreateHomeRegionControlResult{HomeRegionControl: &HomeRegionControl{
		ControlId: ptr("hrc-abcdefghijkl"), HomeRegion: ptr("eu-west-1"), Target: &Target{Type: ptr("ACCOUNT")},
		RequestedTime: awsjson.NewTime(time.Unix(1700000000, 5e8)),
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"HomeRegionControl":{"ControlId":"hrc-abcdefghijkl","HomeRegion":"eu-west-1","Target":{"Type":"ACCOUNT"},"RequestedTime":1700000000.5}}`
	if string(out) != want {
		t.Errorf("marshal:\n got %s\nwant %s", out, want)
	}
}
