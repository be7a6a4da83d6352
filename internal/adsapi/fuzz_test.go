package adsapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/poseidon-ads/poseidon/internal/awsjson"
	"github.com/poseidon-ads/poseidon/internal/mghapi"
	"github.com/poseidon-ads/poseidon/internal/validate"
)

// fuzzOp is one operation input constructor, ADS or Migration Hub Config.
type fuzzOp struct {
	name     string
	newInput func() interface{ Validate() error }
}

// fuzzOps lists every operation of both models in a fixed order, so that a
// corpus entry's op index always names the same operation.
func fuzzOps() []fuzzOp {
	var ops []fuzzOp
	for _, name := range slices.Sorted(mapKeys(Operations)) {
		o := Operations[name]
		ops = append(ops, fuzzOp{name, func() interface{ Validate() error } { return o.NewInput() }})
	}
	for _, name := range slices.Sorted(mapKeys(mghapi.Operations)) {
		o := mghapi.Operations[name]
		ops = append(ops, fuzzOp{"mgh." + name, func() interface{ Validate() error } { return o.NewInput() }})
	}
	return ops
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// FuzzDecodeValidate runs an arbitrary body through what the HTTP edge does
// with it: awsjson.Decode into the operation's input, then Validate. Nothing
// may panic; a decode error is a 400 SerializationException, or a validation
// error for a number out of its member's range; a validation
// error is a *validate.Error with at least one violation, each with a path
// and a constraint. A valid input re-encodes to JSON that decodes and
// validates again (the generated shapes round-trip).
func FuzzDecodeValidate(f *testing.F) {
	ops := fuzzOps()
	index := make(map[string]uint16, len(ops))
	for i, o := range ops {
		index[o.name] = uint16(i)
	}
	for _, s := range []struct{ op, body string }{
		{"DescribeAgents", `{}`},
		{"DescribeAgents", ``},
		{"DescribeAgents", `{"maxResults": 0, "agentIds": ["o-1"], "filters": [{"name": "hostName", "values": ["a"], "condition": "EQUALS"}]}`},
		{"DescribeAgents", `{"maxResults": 1e400}`},
		{"DescribeAgents", `{"maxResults": 2147483648}`},
		{"mgh.DescribeHomeRegionControls", `{"MaxResults": -2147483649}`},
		{"DescribeAgents", `{"nextToken": null, "maxResults": -1}`},
		{"StartExportTask", `{"exportDataFormat": ["CSV"], "startTime": 1700000000.123, "endTime": 1e10,
			"preferences": {"ec2RecommendationsPreferences": {"enabled": true, "cpuPerformanceMetricBasis": {"name": "p95", "percentageAdjust": 100.5}}}}`},
		{"StartExportTask", `{"startTime": "2023-11-14T22:13:20Z"}`},
		{"StartExportTask", `{"startTime": -1e11}`},
		{"CreateTags", `{"configurationIds": ["d-server-1"], "tags": [{"key": "k", "value": "v"}]}`},
		{"CreateTags", `{"configurationIds": [], "tags": [{"key": "", "value": null}]}`},
		{"CreateApplication", `{"name": " ", "description": "\u0000", "wave": "a  b"}`},
		{"StartImportTask", `{"name": "n", "importUrl": "s3://b/k.csv", "clientRequestToken": "t"}`},
		{"StartImportTask", `{"name": "n", "importUrl": "\ud800://x/y"}`},
		{"DescribeImportTasks", `{"filters": [{"name": "STATUS", "values": []}], "maxResults": 101}`},
		{"ListConfigurations", `{"configurationType": "SERVER", "orderBy": [{"fieldName": "x", "sortOrder": "UP"}]}`},
		{"ListServerNeighbors", `{"configurationId": "d-server-1", "neighborConfigurationIds": ["a", "a"], "portInformationNeeded": "yes"}`},
		{"StartBatchDeleteConfigurationTask", `{"configurationType": "SERVER", "configurationIds": ["d-1"]} {}`},
		{"DescribeConfigurations", `[1, 2]`},
		{"DescribeConfigurations", `{"configurationIds": {"a": 1}}`},
		{"BatchDeleteAgents", `{"deleteAgents": [{"agentId": "o-0123456789abcdef0", "force": true}]}`},
		{"mgh.CreateHomeRegionControl", `{"HomeRegion": "us-west-2", "Target": {"Type": "ACCOUNT", "Id": "111111111111"}, "DryRun": true}`},
		{"mgh.DescribeHomeRegionControls", `{"MaxResults": 0, "Target": {"Type": "OU"}}`},
	} {
		i, ok := index[s.op]
		if !ok {
			f.Fatalf("seed names unknown operation %s", s.op)
		}
		f.Add(i, []byte(s.body))
	}

	f.Fuzz(func(t *testing.T, op uint16, body []byte) {
		o := ops[int(op)%len(ops)]
		in := o.newInput()
		err := awsjson.Decode(body, in)
		if err != nil {
			var ae *awsjson.Error
			var ve *validate.Error
			if errors.As(err, &ve) {
				// A number out of its member's range.
				checkValidation(t, o.name, err)
				return
			}
			if !errors.As(err, &ae) || ae.Code != "SerializationException" || ae.Status != http.StatusBadRequest || ae.Message == "" {
				t.Fatalf("%s: Decode error %#v is not a 400 SerializationException", o.name, err)
			}
			return
		}
		verr := in.Validate()
		checkValidation(t, o.name, verr)

		// Round trip: what decoded re-encodes, decodes to the same value and
		// validates the same way.
		b, err := json.Marshal(in)
		if err != nil {
			t.Fatalf("%s: re-encode %+v: %v", o.name, in, err)
		}
		again := o.newInput()
		if err := awsjson.Decode(b, again); err != nil {
			t.Fatalf("%s: re-decode %s: %v", o.name, b, err)
		}
		if !reflect.DeepEqual(in, again) {
			t.Fatalf("%s: round trip changed the input:\n%s\n%+v\n%+v", o.name, b, in, again)
		}
		verr2 := again.Validate()
		if (verr == nil) != (verr2 == nil) || (verr != nil && verr.Error() != verr2.Error()) {
			t.Fatalf("%s: validation changed across a round trip: %v / %v", o.name, verr, verr2)
		}
	})
}

func checkValidation(t *testing.T, op string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var ve *validate.Error
	if !errors.As(err, &ve) {
		t.Fatalf("%s: Validate returned %T %v, want *validate.Error", op, err, err)
	}
	if len(ve.Violations) == 0 {
		t.Fatalf("%s: validation error without violations", op)
	}
	for _, v := range ve.Violations {
		if v.Path == "" || v.Constraint == "" {
			t.Fatalf("%s: incomplete violation %+v", op, v)
		}
	}
	if msg := ve.Error(); msg == "" || !strings.Contains(msg, ve.Violations[0].Path) {
		t.Fatalf("%s: message %q does not name %q", op, msg, ve.Violations[0].Path)
	}
}
