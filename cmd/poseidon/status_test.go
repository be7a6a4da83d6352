package main

import (
	"slices"
	"strings"
	"testing"
)

// TestStatusCommand: "poseidon status" shows the health check, the control
// API's status (every account's counts, the job queue) with the control
// token, and the caller's account through the ADS API; without the token
// it says how to give it and shows the rest.
func TestStatusCommand(t *testing.T) {
	setAWSEnv(t, acctA, "secret")
	s := startServer(t, "", "--control-token", "tok")
	if _, stderr, err := runSeed(t, "--endpoint", s.URL, "--servers", "2", "--hours", "1", "-q", "--control-token", "tok"); err != nil {
		t.Fatalf("seed: %v\n%s", err, stderr)
	}
	awsEnv(t, acctA, "secret")
	c := client(t, s.URL, acctA, "secret")
	summaryExport(t, c)
	if _, err := client(t, s.URL, acctB, "x").DescribeAgents(nil); err != nil {
		t.Fatal(err)
	}

	code, body := control(t, s.URL, "status", "", nil)
	if code != 401 {
		t.Errorf("GET /_poseidon/status without the token: %d %v", code, body)
	}
	code, body = control(t, s.URL, "status", "tok", nil)
	accounts, _ := body["accounts"].([]any)
	if code != 200 || len(accounts) != 2 {
		t.Fatalf("GET /_poseidon/status: %d %v", code, body)
	}
	// The job queue lists every kind, as health and the metrics do.
	var kinds []string
	for _, j := range body["jobs"].([]any) {
		kinds = append(kinds, j.(map[string]any)["kind"].(string))
	}
	for _, k := range []string{"export", "import", "janitor", "retention"} {
		if !slices.Contains(kinds, k) {
			t.Errorf("GET /_poseidon/status lists the job kinds %v, without %s", kinds, k)
		}
	}
	a := accounts[0].(map[string]any)
	if a["accountId"] != acctA || a["agents"] != 2.0 || a["servers"] != 2.0 || a["exports"].(map[string]any)["SUCCEEDED"] != 1.0 {
		t.Errorf("account A in status: %v", a)
	}

	t.Setenv("POSEIDON_CONTROL_TOKEN", "tok")
	out, stderr, err := runCLI(t, "status", "--endpoint-url", s.URL)
	if err != nil {
		t.Fatalf("status: %v\n%s", err, stderr)
	}
	for _, want := range []string{
		"health      ok",
		"accounts    2\n",
		"  " + acctA + "  2 agents, 2 servers, exports 0 IN_PROGRESS, 1 SUCCEEDED, 0 FAILED\n",
		"  " + acctB + "  0 agents, 0 servers, exports 0 IN_PROGRESS, 0 SUCCEEDED, 0 FAILED\n",
		"jobs        ",
		"caller      access key " + acctA,
		"servers     2\n",
		"exports     0 IN_PROGRESS, 1 SUCCEEDED, 0 FAILED\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	// Nobody moved the clock: it is not called virtual.
	if !strings.Contains(out, "clock       ") || strings.Contains(out, "virtual") {
		t.Errorf("status calls an unmoved clock virtual:\n%s", out)
	}
	if code, out := control(t, s.URL, "clock", "tok", map[string]any{"advanceSeconds": 7200}); code != 200 || out["offsetSeconds"] != 7200.0 {
		t.Fatalf("advance the clock: %d %v", code, out)
	}
	if _, st := control(t, s.URL, "status", "tok", nil); st["clock"].(map[string]any)["offsetSeconds"] != 7200.0 {
		t.Errorf("status clock after a move: %v", st["clock"])
	}
	out, stderr, err = runCLI(t, "status", "--endpoint-url", s.URL)
	if err != nil || !strings.Contains(out, " (virtual: +2h0m0s from real time)\n") {
		t.Errorf("status after moving the clock: %v %s\n%s", err, stderr, out)
	}
	t.Setenv("POSEIDON_CONTROL_TOKEN", "")
	out, _, err = runCLI(t, "status", "--endpoint-url", s.URL)
	if err != nil || !strings.Contains(out, "control     GET /_poseidon/status answered 401") || !strings.Contains(out, "set POSEIDON_CONTROL_TOKEN") ||
		!strings.Contains(out, "servers     2\n") {
		t.Errorf("status without the control token: %v\n%s", err, out)
	}
}
