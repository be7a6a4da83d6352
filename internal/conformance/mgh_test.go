package conformance

import (
	"strings"
	"testing"
)

func TestCheckMGH(t *testing.T) {
	const ctl = `{"ControlId":"hrc-abcdefghijkl","HomeRegion":"us-west-2","Target":{"Type":"ACCOUNT","Id":"111111111111"},"RequestedTime":1.7e9}`
	tests := []struct {
		name, op string
		status   int
		body     string
		want     string // substring of the single expected violation; "" = conforms
	}{
		{"create", "CreateHomeRegionControl", 200, `{"HomeRegionControl":` + ctl + `}`, ""},
		{"describe", "DescribeHomeRegionControls", 200, `{"HomeRegionControls":[` + ctl + `],"NextToken":"t"}`, ""},
		{"get", "GetHomeRegion", 200, `{"HomeRegion":"us-west-2"}`, ""},
		{"delete", "DeleteHomeRegionControl", 200, `{}`, ""},
		{"ads member case", "GetHomeRegion", 200, `{"homeRegion":"us-west-2"}`, "$.homeRegion: member not in the model"},
		{"target type required", "CreateHomeRegionControl", 200, `{"HomeRegionControl":{"Target":{"Id":"1"}}}`, "$.HomeRegionControl.Target.Type: required member missing"},
		{"bad enum", "CreateHomeRegionControl", 200, `{"HomeRegionControl":{"Target":{"Type":"ORG"}}}`, `"ORG" is not a value of enum TargetType`},
		{"string time", "CreateHomeRegionControl", 200, `{"HomeRegionControl":{"RequestedTime":"now"}}`, "$.HomeRegionControl.RequestedTime: is string, want timestamp"},
		{"modeled error", "GetHomeRegion", 400, `{"__type":"InvalidInputException","Message":"m"}`, ""},
		{"throttling with retry", "GetHomeRegion", 400, `{"__type":"ThrottlingException","Message":"m","RetryAfterSeconds":3}`, ""},
		{"throttling retry type", "GetHomeRegion", 400, `{"__type":"ThrottlingException","Message":"m","RetryAfterSeconds":"3"}`, "$.RetryAfterSeconds: is string, want integer"},
		{"access denied", "CreateHomeRegionControl", 403, `{"__type":"AccessDeniedException","Message":"m"}`, ""},
		{"protocol error", "GetHomeRegion", 400, `{"__type":"SerializationException","Message":"m"}`, ""},
		{"unknown op", "Nope", 400, `{"__type":"UnknownOperationException","Message":"m"}`, ""},
		{"ads validation error", "GetHomeRegion", 400, `{"__type":"InvalidParameterValueException","Message":"m"}`, `"InvalidParameterValueException" is not a modeled error of GetHomeRegion`},
		{"lower-case message", "GetHomeRegion", 400, `{"__type":"InvalidInputException","message":"m"}`, "$.Message: missing"},
		{"dry run is modeled for create only", "GetHomeRegion", 400, `{"__type":"DryRunOperation","Message":"m"}`, "not a modeled error"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := CheckMGH(tc.op, tc.status, []byte(tc.body))
			if tc.want == "" {
				if len(got) != 0 {
					t.Fatalf("violations %q, want none", got)
				}
				return
			}
			if !slicesContainSub(got, tc.want) {
				t.Fatalf("violations %q, want one containing %q", got, tc.want)
			}
		})
	}
}

func TestCheckTargetAndService(t *testing.T) {
	if MGHTargetPrefix() != "AWSMigrationHubMultiAccountService." {
		t.Fatalf("MGHTargetPrefix = %q", MGHTargetPrefix())
	}
	before, _ := ServiceStats(ServiceMGH)
	op, v, ok := CheckTarget(MGHTargetPrefix()+"GetHomeRegion", 200, []byte(`{"HomeRegion":"us-west-2"}`))
	if !ok || op != "GetHomeRegion" || len(v) != 0 {
		t.Fatalf("CheckTarget(MGH) = %q %q %v", op, v, ok)
	}
	if after, _ := ServiceStats(ServiceMGH); after != before+1 {
		t.Fatalf("MGH stats %d -> %d", before, after)
	}
	if _, v, ok := CheckTarget(TargetPrefix()+"GetHomeRegion", 200, []byte(`{}`)); !ok || len(v) != 1 {
		t.Fatalf("an MGH operation under the ADS prefix: %q %v", v, ok)
	}
	if _, _, ok := CheckTarget("Other.GetHomeRegion", 200, []byte(`{}`)); ok {
		t.Fatal("a foreign prefix was checked")
	}
	if v, err := CheckService(ServiceADS, "CreateApplication", 200, []byte(`{"configurationId":"x"}`)); err != nil || len(v) != 0 {
		t.Fatalf("CheckService(ADS) = %q %v", v, err)
	}
	if v, err := CheckService(ServiceMGH, "GetHomeRegion", 400, []byte(`{"__type":"InvalidInputException","message":"m"}`)); err != nil || len(v) != 2 {
		t.Fatalf("CheckService(MGH) = %q %v", v, err)
	}
	if _, err := CheckService("s3", "GetObject", 200, []byte(`{}`)); err == nil {
		t.Fatal("CheckService(s3) did not fail")
	}
}

func slicesContainSub(list []string, sub string) bool {
	for _, s := range list {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
