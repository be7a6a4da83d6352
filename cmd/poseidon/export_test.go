package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	ads "github.com/aws/aws-sdk-go/service/applicationdiscoveryservice"
)

// TestExportCommand runs "poseidon export" against a server with a seeded
// fleet: a summary export and an agent export with filters and times end
// unzipped in the output directory; an export that fails exits with an
// error carrying its statusMessage.
func TestExportCommand(t *testing.T) {
	setAWSEnv(t, acctA, "secret")
	s := startServer(t, "", "--no-limits")
	seeded, stderr, err := runSeed(t, "--endpoint", s.URL, "--servers", "2", "--hours", "2", "-q")
	if err != nil {
		t.Fatalf("seed: %v\n%s", err, stderr)
	}
	agentIDs := strings.Fields(seeded)
	awsEnv(t, acctA, "secret")
	t.Setenv("AWS_ENDPOINT_URL_APPLICATION_DISCOVERY_SERVICE", s.URL)

	dir := filepath.Join(t.TempDir(), "summary")
	out, stderr, err := runCLI(t, "export", "-o", dir, "--poll", "20ms")
	if err != nil {
		t.Fatalf("export: %v\n%s", err, stderr)
	}
	server, err := os.ReadFile(filepath.Join(dir, acctA+"_Server.csv"))
	if err != nil {
		t.Fatalf("summary export: %v (stdout %q)", err, out)
	}
	for _, id := range agentIDs {
		if !strings.Contains(string(server), id) {
			t.Errorf("Server.csv lacks agent %s:\n%s", id, server)
		}
	}
	if !strings.Contains(out, filepath.Join(dir, acctA+"_Server.csv")) || !strings.Contains(stderr, "SUCCEEDED") {
		t.Errorf("export said %q and %q", out, stderr)
	}

	// An agent export over the last hour, with the shorthand filter: what
	// StartExportTask got is what DescribeExportTasks echoes.
	now := time.Now().Unix()
	dir = filepath.Join(t.TempDir(), "agent")
	_, stderr, err = runCLI(t, "export", "-o", dir, "--poll", "20ms",
		"--filters", "name=agentIds,values="+agentIDs[0]+",condition=EQUALS",
		"--start-time", strconv.FormatInt(now-3600, 10), "--end-time", time.Unix(now, 0).UTC().Format(time.RFC3339))
	if err != nil {
		t.Fatalf("agent export: %v\n%s", err, stderr)
	}
	files, _ := os.ReadDir(dir)
	if len(files) == 0 {
		t.Fatal("agent export wrote no files")
	}
	c := client(t, s.URL, acctA, "secret")
	tasks, err := c.DescribeExportTasks(&ads.DescribeExportTasksInput{Filters: []*ads.ExportFilter{{Name: aws.String("agentIds"), Values: aws.StringSlice(agentIDs[:1]), Condition: aws.String("EQUALS")}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks.ExportsInfo) != 1 || tasks.ExportsInfo[0].RequestedStartTime == nil || tasks.ExportsInfo[0].RequestedStartTime.Unix() != now-3600 ||
		tasks.ExportsInfo[0].RequestedEndTime == nil || tasks.ExportsInfo[0].RequestedEndTime.Unix() != now {
		t.Errorf("agent export as recorded: %v", tasks.ExportsInfo)
	}

	// JSON filters of an agent the server does not know: FAILED, and the
	// binary exits 1 with the statusMessage.
	cmd := exec.Command(binary(t), "export", "-o", t.TempDir(), "--poll", "20ms", "--filters", `[{"name":"agentIds","values":["o-nosuchagent"],"condition":"EQUALS"}]`)
	b, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(string(b), "FAILED") || !strings.Contains(string(b), "o-nosuchagent") {
		t.Errorf("export of an unknown agent: %v %q, want exit 1 with FAILED and its statusMessage", err, b)
	}

	// Preferences are sent as given; bad ones and bad flags are refused
	// before any call.
	dir = filepath.Join(t.TempDir(), "ec2")
	if _, stderr, err := runCLI(t, "export", "-o", dir, "--poll", "20ms", "--preferences", `{"ec2RecommendationsPreferences":{"enabled":true}}`); err != nil {
		t.Fatalf("export with EC2 preferences: %v\n%s", err, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "EC2InstanceRecommendations.csv")); err != nil {
		t.Errorf("EC2 recommendations export: %v", err)
	}
	for _, args := range [][]string{
		{"--preferences", `{"ec2Preferences":{}}`},
		{"--filters", "name=agentIds"},
		{"--filters", "name=agentIds,values=a,condition=EQUALS,colour=blue"},
		{"--start-time", "yesterday"},
	} {
		if _, _, err := runCLI(t, append([]string{"export"}, args...)...); err == nil || !strings.Contains(err.Error(), args[0]) {
			t.Errorf("export %v: %v, want a refusal naming %s", args, err, args[0])
		}
	}
}
