package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	ads "github.com/aws/aws-sdk-go/service/applicationdiscoveryservice"
)

// startLogged runs a server like startServer, its warn-level log captured.
func startLogged(t *testing.T, extra ...string) (*testServer, *secLog) {
	t.Helper()
	data, logs := t.TempDir(), &secLog{}
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data", data, "--log-level", "warn"}, extra...)
	return runServer(t, data, logs, args), logs
}

// TestReadyLogNamesTheConsole: the "poseidon ready" line gives the web
// console's address, so a newcomer who reads the log finds it.
func TestReadyLogNamesTheConsole(t *testing.T) {
	s, logs := startLogged(t, "--log-level", "info")
	s.Stop(t) // the line is written once serving starts; after the stop, it is there
	if want := "console=" + s.URL + "/_poseidon/ui/"; !strings.Contains(logs.String(), want) {
		t.Errorf("server log lacks %q:\n%s", want, logs.String())
	}
}

// TestSeedDefaultAccountWarning: seed without AWS_ACCESS_KEY_ID says on
// stderr which account it fills and how to choose another; with a key it
// says nothing of it.
func TestSeedDefaultAccountWarning(t *testing.T) {
	s := startServer(t, "")
	setAWSEnv(t, "", "")
	_, stderr, err := runSeed(t, "--endpoint", s.URL, "--servers", "1", "--hours", "1", "-q")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr, "AWS_ACCESS_KEY_ID is not set: the fleet goes to the default account 000000000000") ||
		!strings.Contains(stderr, "set AWS_ACCESS_KEY_ID to its 12-digit ID") {
		t.Errorf("seed without a key said %q", stderr)
	}
	if got := len(allAgents(t, client(t, s.URL, "", ""))); got != 1 {
		t.Errorf("account 000000000000 has %d agents, want 1", got)
	}
	setAWSEnv(t, acctA, "x")
	if _, stderr, err := runSeed(t, "--endpoint", s.URL, "--servers", "1", "--hours", "1", "-q"); err != nil || strings.Contains(stderr, "default account") {
		t.Errorf("seed with a key: %v %q", err, stderr)
	}
}

// TestLimitGuidance: the third agent export within 24 hours is refused
// with the limit's message, which with the log line points to --no-limits
// and the virtual clock; moving the clock a day on, as they say, lifts it.
func TestLimitGuidance(t *testing.T) {
	s, logs := startLogged(t)
	c := client(t, s.URL, acctA, "x")
	for i := range 2 {
		if _, err := c.StartExportTask(&ads.StartExportTaskInput{Filters: agentFilter(fmt.Sprintf("o-11a%013d", i))}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := c.StartExportTask(&ads.StartExportTaskInput{Filters: agentFilter("o-11a0000000000002")})
	rf := wantCode(t, err, "OperationNotPermittedException", 400)
	if msg := rf.Message(); !strings.HasPrefix(msg, "You have reached the limit of 2 agent data exports per 24 hours. Try again later.") ||
		!strings.Contains(msg, "--no-limits") || !strings.Contains(msg, "/_poseidon/clock") {
		t.Errorf("message %q", msg)
	}
	if l := logs.String(); !strings.Contains(l, "--agent-exports-per-day") || !strings.Contains(l, `advanceSeconds\": 86400`) || !strings.Contains(l, "code=OperationNotPermittedException") {
		t.Errorf("server log lacks the guidance:\n%s", l)
	}
	advance(t, s.URL, 24*time.Hour+time.Second)
	if _, err := c.StartExportTask(&ads.StartExportTaskInput{Filters: agentFilter("o-11a0000000000002")}); err != nil {
		t.Errorf("after the clock moved a day on: %v", err)
	}
}

// TestHomeRegionGuidance: a call signed for another region than the home
// region is told the region to use and --home-region; a call from an
// account without a home region keeps AWS's message, and the log points to
// --home-region.
func TestHomeRegionGuidance(t *testing.T) {
	s, logs := startLogged(t)
	_, err := clientIn(t, s.URL, acctA, "x", "eu-west-1").DescribeAgents(&ads.DescribeAgentsInput{})
	rf := wantCode(t, err, "HomeRegionNotSetException", 400)
	if want := "The home region of this account is us-west-2, but the request was sent to eu-west-1. Send requests to the home region (--region us-west-2, or AWS_DEFAULT_REGION=us-west-2 for the AWS CLI and boto3, AWS_REGION=us-west-2 for the other SDKs), or start poseidon with --home-region eu-west-1 for new accounts."; rf.Message() != want {
		t.Errorf("message %q, want %q", rf.Message(), want)
	}
	if l := logs.String(); !strings.Contains(l, "account "+acctA+" called from eu-west-1") {
		t.Errorf("server log lacks the guidance:\n%s", l)
	}

	s, logs = startLogged(t, "--home-region", "none")
	_, err = client(t, s.URL, acctA, "x").DescribeAgents(&ads.DescribeAgentsInput{})
	rf = wantCode(t, err, "HomeRegionNotSetException", 400)
	if rf.Message() != "The home region is not set. Set the home region to continue." {
		t.Errorf("message %q, want AWS's", rf.Message())
	}
	if l := logs.String(); !strings.Contains(l, "account "+acctA+" has no home region: start poseidon with --home-region REGION") {
		t.Errorf("server log lacks the guidance:\n%s", l)
	}
}
