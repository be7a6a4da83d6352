package main

import (
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/alecthomas/kong"
	"github.com/aws/aws-sdk-go/aws"
	ads "github.com/aws/aws-sdk-go/service/applicationdiscoveryservice"

	"github.com/poseidon-ads/poseidon/internal/exports"
)

// TestLimitFlagDefaults: the serve flags' defaults are exports.DefaultLimits
// (AWS's documented limits), and flags still override them.
func TestLimitFlagDefaults(t *testing.T) {
	parse := func(args ...string) exports.Limits {
		t.Helper()
		var c cli
		p, err := newParser(&c, kong.Writers(io.Discard, io.Discard))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Parse(append([]string{"serve"}, args...)); err != nil {
			t.Fatal(err)
		}
		return c.Serve.limits()
	}
	if got := parse(); got != exports.DefaultLimits {
		t.Errorf("serve defaults %+v, want exports.DefaultLimits %+v", got, exports.DefaultLimits)
	}
	want := exports.Limits{AgentConcurrent: 7, AgentPerDay: 0, ConfigurationExports: 1, Disabled: true}
	if got := parse("--agent-exports-running", "7", "--agent-exports-per-day", "0", "--config-exports-per-6h", "1", "--no-limits"); got != want {
		t.Errorf("with flags %+v, want %+v", got, want)
	}
}

// TestRunningExportsLimit reaches the limit of 5 running agent exports,
// which the daily limit (2) hides under default flags: with the daily limit
// off and --export-delay holding exports IN_PROGRESS, the sixth agent export
// is refused with AWS's observed message until one finishes; summary
// exports and other accounts are not limited.
func TestRunningExportsLimit(t *testing.T) {
	s := startServer(t, "", "--agent-exports-per-day", "0", "--export-delay", "1h")
	c := client(t, s.URL, acctA, "x")
	start := func(c *ads.ApplicationDiscoveryService, agent string) (string, error) {
		out, err := c.StartExportTask(&ads.StartExportTaskInput{Filters: agentFilter(agent)})
		return aws.StringValue(out.ExportId), err
	}
	var running []string
	for i := range 5 {
		id, err := start(c, fmt.Sprintf("o-5e%014d", i))
		if err != nil {
			t.Fatalf("agent export %d: %v", i+1, err)
		}
		running = append(running, id)
	}
	out, err := c.DescribeExportTasks(&ads.DescribeExportTasksInput{ExportIds: aws.StringSlice(running)})
	if err != nil || len(out.ExportsInfo) != 5 {
		t.Fatalf("describe: %v %v", out, err)
	}
	for _, e := range out.ExportsInfo {
		if aws.StringValue(e.ExportStatus) != ads.ExportStatusInProgress {
			t.Fatalf("%s is %s, want it held IN_PROGRESS", aws.StringValue(e.ExportId), aws.StringValue(e.ExportStatus))
		}
	}
	_, err = start(c, "o-5e99999999999999")
	rf := wantCode(t, err, ads.ErrCodeOperationNotPermittedException, 400)
	if want := "You have reached limit of maximum allowed concurrent exports. Please wait for current export tasks to finish before starting another."; rf.Message() != want {
		t.Errorf("message %q, want %q", rf.Message(), want)
	}
	// Summary exports have no limit; another account has its own five.
	if _, err := c.StartExportTask(&ads.StartExportTaskInput{}); err != nil {
		t.Errorf("summary export at the agent limit: %v", err)
	}
	if _, err := start(client(t, s.URL, acctB, "x"), "o-5e99999999999999"); err != nil {
		t.Errorf("account B at A's limit: %v", err)
	}
	// Once the exports end (an hour later on the virtual clock), there is
	// room again.
	advance(t, s.URL, time.Hour+time.Minute)
	for _, id := range running {
		if info := waitExport(t, c, id); aws.StringValue(info.ExportStatus) == ads.ExportStatusInProgress {
			t.Fatalf("%s still running", id)
		}
	}
	if _, err := start(c, "o-5e99999999999999"); err != nil {
		t.Fatalf("after the running exports ended: %v", err)
	}
}
