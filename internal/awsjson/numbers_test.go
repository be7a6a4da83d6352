package awsjson_test

import (
	"errors"
	"testing"

	"github.com/poseidon-ads/poseidon/internal/adsapi"
	"github.com/poseidon-ads/poseidon/internal/awsjson"
	"github.com/poseidon-ads/poseidon/internal/validate"
)

// TestDecodeOutOfRange: a number the member's type cannot hold is a range
// violation, with the model's range when the shape has one; a fraction for
// an integer member stays a wrong JSON type.
func TestDecodeOutOfRange(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   any
		body string
		want string // the violation, or "" for a SerializationException
	}{
		{"int past Java int", &adsapi.DescribeExportTasksRequest{}, `{"maxResults":2147483648}`,
			"Value '2147483648' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 2147483647"},
		{"int below Java int", &adsapi.DescribeExportTasksRequest{}, `{"maxResults":-2147483649}`,
			"Value '-2147483649' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to -2147483648"},
		{"huge int", &adsapi.DescribeTagsRequest{}, `{"maxResults":123456789012345678901234567890}`,
			"Value '123456789012345678901234567890' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 2147483647"},
		{"modeled range wins", &adsapi.DescribeContinuousExportsRequest{}, `{"maxResults":2147483648}`,
			"Value '2147483648' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100"},
		{"modeled minimum", &adsapi.DescribeImportTasksRequest{}, `{"maxResults":-9999999999}`,
			"Value '-9999999999' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{"nested double", &adsapi.StartExportTaskRequest{}, `{"preferences":{"ec2RecommendationsPreferences":{"cpuPerformanceMetricBasis":{"percentageAdjust":1e400}}}}`,
			"Value '1e400' at 'preferences.ec2RecommendationsPreferences.cpuPerformanceMetricBasis.percentageAdjust' failed to satisfy constraint: Member must have value less than or equal to 100.0"},
		{"negative double", &adsapi.StartExportTaskRequest{}, `{"preferences":{"ec2RecommendationsPreferences":{"ramPerformanceMetricBasis":{"percentageAdjust":-1e400}}}}`,
			"Value '-1e400' at 'preferences.ec2RecommendationsPreferences.ramPerformanceMetricBasis.percentageAdjust' failed to satisfy constraint: Member must have value greater than or equal to 0.0"},
		{"timestamp", &adsapi.StartExportTaskRequest{}, `{"startTime":99999999999999999999}`,
			"Value '99999999999999999999' at 'startTime' failed to satisfy constraint: Member must have value less than or equal to 10000000000"},
		{"timestamp below", &adsapi.StartExportTaskRequest{}, `{"endTime":-1e400}`,
			"Value '-1e400' at 'endTime' failed to satisfy constraint: Member must have value greater than or equal to -10000000000"},
		{"fraction for an integer", &adsapi.DescribeExportTasksRequest{}, `{"maxResults":1.5}`, ""},
		{"exponent for an integer", &adsapi.DescribeExportTasksRequest{}, `{"maxResults":1e400}`, ""},
		{"string for an integer", &adsapi.DescribeExportTasksRequest{}, `{"maxResults":"5"}`, ""},
		{"string timestamp", &adsapi.StartExportTaskRequest{}, `{"startTime":"99999999999999999999"}`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := awsjson.Decode([]byte(tc.body), tc.in)
			var ve *validate.Error
			var pe *awsjson.Error
			switch {
			case tc.want == "":
				if !errors.As(err, &pe) || pe.Code != "SerializationException" {
					t.Fatalf("Decode(%s) = %v, want a SerializationException", tc.body, err)
				}
			case !errors.As(err, &ve) || len(ve.Violations) != 1 || ve.Violations[0].String() != tc.want || ve.Missing():
				t.Fatalf("Decode(%s) = %v\nwant 1 validation error detected: %s", tc.body, err, tc.want)
			}
		})
	}
}
