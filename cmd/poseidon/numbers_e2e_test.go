package main

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go/aws"
	ads "github.com/aws/aws-sdk-go/service/applicationdiscoveryservice"
)

// TestNumbersOutOfRange: aws-sdk-go v1 models maxResults as int64, so it
// sends numbers a Java int cannot hold; they get AWS's range wording (the
// model's range where the shape has one), not a wrong-type error. Numeric
// filter values are plain decimal numbers only.
func TestNumbersOutOfRange(t *testing.T) {
	s := startServer(t, "")
	c := client(t, s.URL, acctA, "x")
	check := func(err error, code, msg string) {
		t.Helper()
		rf := wantCode(t, err, code, 400)
		if !strings.Contains(rf.Message(), msg) {
			t.Errorf("message %q, want it to contain %q", rf.Message(), msg)
		}
	}
	_, err := c.DescribeExportTasks(&ads.DescribeExportTasksInput{MaxResults: aws.Int64(2147483648)})
	check(err, ads.ErrCodeInvalidParameterValueException,
		"1 validation error detected: Value '2147483648' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 2147483647")
	_, err = c.ListConfigurations(&ads.ListConfigurationsInput{ConfigurationType: aws.String("SERVER"), MaxResults: aws.Int64(-1 << 40)})
	check(err, ads.ErrCodeInvalidParameterValueException,
		"Value '-1099511627776' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to -2147483648")
	_, err = c.DescribeContinuousExports(&ads.DescribeContinuousExportsInput{MaxResults: aws.Int64(1 << 40)})
	check(err, ads.ErrCodeInvalidParameterValueException,
		"Value '1099511627776' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100")

	for _, v := range []string{"1_000", "0x1p4", " 5", "5 ", "+5", "1e3", "Infinity", "NaN"} {
		_, err := c.ListConfigurations(&ads.ListConfigurationsInput{ConfigurationType: aws.String("SERVER"), Filters: []*ads.Filter{{
			Name: aws.String("server.performance.avgCpuUsagePct"), Condition: aws.String("GE"), Values: aws.StringSlice([]string{v})}}})
		check(err, ads.ErrCodeInvalidParameterValueException, "The value '"+v+"' of the filter 'server.performance.avgCpuUsagePct' is not a number")
	}
	for _, v := range []string{"0x1BB", "4_43", " 443", "443.0"} {
		_, err := c.ListConfigurations(&ads.ListConfigurationsInput{ConfigurationType: aws.String("CONNECTION"), Filters: []*ads.Filter{{
			Name: aws.String("connection.destinationPort"), Condition: aws.String("EQUALS"), Values: aws.StringSlice([]string{v})}}})
		check(err, ads.ErrCodeInvalidParameterValueException, "The value '"+v+"' of the filter 'connection.destinationPort' is not an integer")
	}
	_, err = c.ListConfigurations(&ads.ListConfigurationsInput{ConfigurationType: aws.String("SERVER"), Filters: []*ads.Filter{{
		Name: aws.String("server.performance.avgCpuUsagePct"), Condition: aws.String("LT"), Values: aws.StringSlice([]string{"-12.5", "100"})}}})
	if err != nil {
		t.Fatalf("plain decimals: %v", err)
	}
}
