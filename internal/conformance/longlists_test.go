package conformance

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/poseidon-ads/poseidon/internal/adsapi"
)

// TestLongCases checks the long requests: one per list member and per
// unbounded string of every operation, each valid by the generated
// validators, within the limit and filling it (or reaching the list's max).
func TestLongCases(t *testing.T) {
	const limit = 1 << 20
	ops, err := Operations()
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]Case{}
	for _, op := range ops {
		cases, err := LongCases(op, nil, limit)
		if err != nil {
			t.Fatalf("%s: %v", op, err)
		}
		for _, c := range cases {
			key := op + " " + c.Name
			if _, dup := byName[key]; dup {
				t.Errorf("duplicate case %s", key)
			}
			byName[key] = c
			if !c.Kind.Valid() || c.WantStatus != 200 || len(c.Body) > limit {
				t.Errorf("%s: kind %s, status %d, %d bytes", key, c.Kind, c.WantStatus, len(c.Body))
			}
			in := adsapi.Operations[op].NewInput()
			if err := json.Unmarshal(c.Body, in); err != nil {
				t.Errorf("%s: does not decode: %v", key, err)
				continue
			}
			if err := in.Validate(); err != nil {
				t.Errorf("%s: %v", key, err)
			}
			if strings.Contains(string(c.Body), `"nextToken"`) != strings.HasSuffix(c.Name, " nextToken") {
				t.Errorf("%s: a nextToken in a case that does not grow it, or none in the one that does", key)
			}
		}
	}
	// Every list member of every operation has a case (33 in the model);
	// the unbounded strings are the tag keys and values (4) and the
	// nextToken of 7 operations (ListServerNeighbors' has a max).
	// Lists of enums (exportDataFormat) and of structures without lists
	// of strings (tags, deleteAgents, orderBy) have no distinct case.
	var lists, distinct, strs int
	for _, c := range byName {
		switch c.Kind {
		case LongList:
			lists++
		case LongDistinct:
			distinct++
		case LongString:
			strs++
		}
	}
	if lists != 33 || distinct != 28 || strs != 11 {
		t.Errorf("%d long-list, %d long-distinct and %d long-string cases, want 33, 28 and 11", lists, distinct, strs)
	}
	body := func(key string) map[string]any {
		t.Helper()
		c, ok := byName[key]
		if !ok {
			t.Fatalf("no case %s", key)
		}
		var m map[string]any
		if err := json.Unmarshal(c.Body, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	full := func(key string) {
		t.Helper()
		if n := len(byName[key].Body); n < limit-300 {
			t.Errorf("%s: %d bytes, want the body filled up to %d", key, n, limit)
		}
	}
	// The cases of issue 11: tens of thousands of agent IDs in one
	// filter, export IDs, and hundreds of import filters of 100 values.
	full("DescribeExportTasks long-list filters.1.member.values")
	if vs := body("DescribeExportTasks long-list filters.1.member.values")["filters"].([]any)[0].(map[string]any)["values"].([]any); len(vs) < 30000 {
		t.Errorf("DescribeExportTasks agentIds values: %d", len(vs))
	}
	vs := body("DescribeExportTasks long-distinct filters.1.member.values")["filters"].([]any)[0].(map[string]any)["values"].([]any)
	if len(vs) < 30000 || len(vs) != len(distinctSet(vs)) {
		t.Errorf("DescribeExportTasks distinct agentIds values: %d, %d distinct", len(vs), len(distinctSet(vs)))
	}
	full("DescribeContinuousExports long-list exportIds")
	full("DescribeContinuousExports long-distinct exportIds")
	full("DescribeImportTasks long-list filters")
	fs := body("DescribeImportTasks long-list filters")["filters"].([]any)
	if len(fs) < 300 || len(fs[0].(map[string]any)["values"].([]any)) != 100 {
		t.Errorf("DescribeImportTasks: %d filters of %d values", len(fs), len(fs[0].(map[string]any)["values"].([]any)))
	}
	var all []any
	// The first filter is the request's own; the others are made up.
	for _, f := range body("DescribeImportTasks long-distinct filters")["filters"].([]any)[1:] {
		all = append(all, f.(map[string]any)["values"].([]any)...)
	}
	if len(all) < 30000 || len(distinctSet(all)) != len(all) {
		t.Errorf("DescribeImportTasks distinct filter values: %d, %d distinct", len(all), len(distinctSet(all)))
	}
	// A list with a max stops there.
	if n := len(body("BatchDeleteAgents long-list deleteAgents")["deleteAgents"].([]any)); n != 50 {
		t.Errorf("BatchDeleteAgents: %d items, want the max 50", n)
	}
	full("CreateTags long-string tags.1.member.value")
	// Variants: each member once, from the first variant that sets it.
	cases, err := LongCases("StartExportTask", nil, limit, Variant{Name: "agent", Omit: []string{"preferences"}}, Variant{Name: "ec2", Omit: []string{"filters"}})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range cases {
		names = append(names, c.Name)
	}
	if got := strings.Join(names, ","); got != "long-list exportDataFormat/agent,long-list filters/agent,long-distinct filters/agent,long-list filters.1.member.values/agent,long-distinct filters.1.member.values/agent,"+
		"long-list preferences.ec2RecommendationsPreferences.excludedInstanceTypes/ec2,long-distinct preferences.ec2RecommendationsPreferences.excludedInstanceTypes/ec2" {
		t.Errorf("StartExportTask long cases: %s", got)
	}
}

func distinctSet(vs []any) map[any]bool {
	set := map[any]bool{}
	for _, v := range vs {
		set[v] = true
	}
	return set
}
