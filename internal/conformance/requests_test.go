package conformance

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/poseidon-ads/poseidon/internal/adsapi"
	"github.com/poseidon-ads/poseidon/internal/validate"
)

// TestRequestCasesAgainstValidators decodes every generated case into the
// generated input struct and runs its validator: valid cases must pass,
// invalid ones must fail with exactly the expected violations at the
// expected path. The generator and shapegen read the model independently.
func TestRequestCasesAgainstValidators(t *testing.T) {
	ops, err := Operations()
	if err != nil {
		t.Fatal(err)
	}
	if len(ops) != 28 || len(adsapi.Operations) != 28 {
		t.Fatalf("model has %d operations, adsapi %d; want 28", len(ops), len(adsapi.Operations))
	}
	for _, op := range ops {
		cases, err := RequestCases(op, nil)
		if err != nil {
			t.Fatalf("%s: %v", op, err)
		}
		names := map[string]bool{}
		for _, c := range cases {
			if names[c.Name] {
				t.Errorf("%s: duplicate case name %q", op, c.Name)
			}
			names[c.Name] = true
			if c.Inapplicable != "" {
				if c.Body != nil || c.WantStatus != 0 {
					t.Errorf("%s %s: inapplicable case has a body or status", op, c.Name)
				}
				continue
			}
			in := adsapi.Operations[op].NewInput()
			if err := json.Unmarshal(c.Body, in); err != nil {
				t.Errorf("%s %s: %s does not decode: %v", op, c.Name, c.Body, err)
				continue
			}
			verr := in.Validate()
			if c.Kind.Valid() {
				if c.WantStatus != 200 || verr != nil {
					t.Errorf("%s %s: status %d, Validate(%s) = %v; want 200, nil", op, c.Name, c.WantStatus, c.Body, verr)
				}
				continue
			}
			var ve *validate.Error
			if !errors.As(verr, &ve) {
				t.Errorf("%s %s: Validate(%.300s) = %v, want a validation error", op, c.Name, c.Body, verr)
				continue
			}
			if c.WantStatus != 400 || c.WantViolations < 1 || len(ve.Violations) != c.WantViolations {
				t.Errorf("%s %s: status %d, %d violations (%v); want 400, %d", op, c.Name, c.WantStatus, len(ve.Violations), ve, c.WantViolations)
			}
			found := false
			for _, v := range ve.Violations {
				if v.Path != c.WantPath || v.Missing != (c.Kind == Missing) {
					t.Errorf("%s %s: violation %v, want one at %q (missing %v)", op, c.Name, v, c.WantPath, c.Kind == Missing)
				}
				found = found || v.Constraint == c.WantConstraint
			}
			if !found || c.WantConstraint == "" {
				t.Errorf("%s %s: violations %v, want constraint %q", op, c.Name, ve, c.WantConstraint)
			}
			wantCode := "InvalidParameterValueException"
			if c.Kind == Missing && op != "DescribeBatchDeleteConfigurationTask" {
				wantCode = "InvalidParameterException"
			}
			if c.WantCode != wantCode {
				t.Errorf("%s %s: code %s, want %s", op, c.Name, c.WantCode, wantCode)
			}
		}
	}
}

// TestRequestCasesCoverEveryConstraint walks the model independently of the
// generator and checks that each constraint of each input member has a case.
func TestRequestCasesCoverEveryConstraint(t *testing.T) {
	m, err := reqLoad()
	if err != nil {
		t.Fatal(err)
	}
	ops, _ := Operations()
	total := 0
	for _, op := range ops {
		cases, err := RequestCases(op, nil)
		if err != nil {
			t.Fatal(err)
		}
		have := map[string]bool{}
		for _, c := range cases {
			have[c.Name] = true
		}
		var want []string
		var walk func(shape, path string)
		walk = func(name, path string) {
			s := m.Shapes[name]
			switch s.Type {
			case "structure":
				if s.Union {
					want = append(want, string(UnionTwo)+" "+path)
				}
				for mn, r := range s.Members {
					mp := reqJoinPath(path, mn)
					if reqContains(s.Required, mn) {
						want = append(want, string(Missing)+" "+mp)
					}
					walk(r.Shape, mp)
				}
			case "list":
				if s.Min != nil {
					want = append(want, string(TooFew)+" "+path)
				}
				if s.Max != nil {
					want = append(want, string(TooMany)+" "+path)
				}
				walk(s.Member.Shape, path+".1.member")
			case "string":
				if s.Max != nil {
					want = append(want, string(TooLong)+" "+path)
				}
				if s.Min != nil {
					want = append(want, string(TooShort)+" "+path)
				}
				if s.Pattern != nil {
					want = append(want, string(PatternMismatch)+" "+path)
				}
				if s.Enum != nil {
					want = append(want, string(EnumMismatch)+" "+path)
				}
			case "integer", "long", "double", "float":
				if s.Min != nil {
					want = append(want, string(TooSmall)+" "+path)
				}
				if s.Max != nil {
					want = append(want, string(TooLarge)+" "+path)
				}
			}
		}
		if in := m.Operations[op].Input; in != nil {
			walk(in.Shape, "")
		}
		for _, w := range want {
			if !have[w] {
				t.Errorf("%s: no case %q", op, w)
			}
		}
		if !have[string(ValidMinimal)] || !have[string(ValidMaximal)] {
			t.Errorf("%s: valid cases missing: %v", op, have)
		}
		total += len(want)
	}
	if total < 100 {
		t.Errorf("only %d constraints found in the model", total)
	}
}

// TestRequestCasesValues checks particular generated values.
func TestRequestCasesValues(t *testing.T) {
	find := func(op, name string) Case {
		t.Helper()
		cases, err := RequestCases(op, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cases {
			if c.Name == name {
				return c
			}
		}
		t.Fatalf("%s: no case %q", op, name)
		return Case{}
	}
	body := func(c Case) map[string]any {
		var m map[string]any
		if err := json.Unmarshal(c.Body, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	// Maximal: strings at their max length, lists with items.
	c := find("CreateApplication", string(ValidMaximal))
	b := body(c)
	if len(b["name"].(string)) != 127 || len(b["description"].(string)) != 1000 || len(b["wave"].(string)) != 256 {
		t.Errorf("CreateApplication maximal lengths: %s", c.Body)
	}
	// Minimal: required members only.
	if b := body(find("CreateApplication", string(ValidMinimal))); len(b) != 1 || b["name"] == nil {
		t.Errorf("CreateApplication minimal: %v", b)
	}
	// Patterns that fix the form still yield valid values.
	b = body(find("StartExportTask", string(ValidMaximal)))
	ec2 := b["preferences"].(map[string]any)["ec2RecommendationsPreferences"].(map[string]any)
	if ec2["preferredRegion"] == nil || len(ec2["preferredRegion"].(string)) != 30 || ec2["cpuPerformanceMetricBasis"].(map[string]any)["name"] != "AVG" {
		t.Errorf("StartExportTask maximal preferences: %v", ec2)
	}
	// A string too long for a fixed-form pattern also breaks the pattern.
	if c := find("BatchDeleteImportData", "too-long importTaskIds.1.member"); c.WantPath != "importTaskIds" || c.WantViolations != 1 {
		t.Errorf("element of a string list: %+v", c)
	}
	if c := find("DescribeBatchDeleteConfigurationTask", "missing taskId"); c.WantCode != "InvalidParameterValueException" {
		t.Errorf("DescribeBatchDeleteConfigurationTask missing: %+v", c)
	}
	if c := find("StartExportTask", "union-two-members preferences"); c.Inapplicable == "" {
		t.Errorf("one-member union: %+v", c)
	}
	if c := find("StartExportTask", "valid-empty-union preferences"); !strings.Contains(string(c.Body), `"preferences":{}`) {
		t.Errorf("empty union: %s", c.Body)
	}
	if c := find("DescribeImportTasks", "too-many filters.1.member.values"); !strings.Contains(string(c.Body), strings.Repeat(`"a",`, 99)) &&
		strings.Count(string(c.Body), `",`) < 100 {
		t.Errorf("too-many: %s", c.Body)
	}
	// Variants replace the maximal request and leave members out.
	cases, err := RequestCases("StartExportTask", nil, Variant{Name: "agent", Omit: []string{"preferences"}}, Variant{Name: "ec2", Omit: []string{"filters"}})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range cases {
		if c.Kind.Valid() {
			names = append(names, c.Name)
			if c.Name == "valid-maximal/agent" && strings.Contains(string(c.Body), "preferences") ||
				c.Name == "valid-maximal/ec2" && strings.Contains(string(c.Body), "filters") {
				t.Errorf("%s: %s", c.Name, c.Body)
			}
		}
	}
	if got := fmt.Sprint(names); got != "[valid-minimal valid-maximal/agent valid-maximal/ec2 valid-empty-union preferences]" {
		t.Errorf("valid cases %s", got)
	}
	// A filler's values are used.
	cases, err = RequestCases("DeleteApplications", func(op string, kind Kind, path string) (any, bool) {
		if path == "configurationIds" {
			return []string{"d-application-" + string(kind)}, true
		}
		return nil, false
	})
	if err != nil {
		t.Fatal(err)
	}
	var filled []string
	for _, c := range cases {
		filled = append(filled, c.Name)
		if c.Kind == ValidMinimal && string(c.Body) != `{"configurationIds":["d-application-valid-minimal"]}` {
			t.Errorf("filled: %s", c.Body)
		}
		if c.Name == "too-long configurationIds.1.member" && string(c.Body) != `{"configurationIds":["`+strings.Repeat("a", 201)+`"]}` {
			t.Errorf("mutated filled list: %s", c.Body)
		}
	}
	// Filling a whole list keeps the cases of its elements.
	if got := strings.Join(filled, ","); got != "valid-minimal,valid-maximal,missing configurationIds,too-long configurationIds.1.member,pattern configurationIds.1.member" {
		t.Errorf("cases with a filled list: %s", got)
	}
}
