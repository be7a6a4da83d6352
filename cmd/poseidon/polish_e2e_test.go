package main

import (
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go/aws"
	ads "github.com/aws/aws-sdk-go/service/applicationdiscoveryservice"
)

// An idle server's health check and metrics list the same job kinds, every
// known kind, zeros included: the metrics listed only the kinds that had
// jobs (the janitor and retention) while health listed export and import.
func TestHealthAndMetricsListTheSameJobKinds(t *testing.T) {
	s := startServer(t, "")
	defer s.Stop(t)
	code, h := control(t, s.URL, "health", "", nil)
	queue, _ := h["queue"].(map[string]any)
	if code != 200 || queue == nil {
		t.Fatalf("health: %d %v", code, h)
	}
	var healthKinds []string
	for k := range queue {
		healthKinds = append(healthKinds, k)
	}
	sort.Strings(healthKinds)
	_, fams := metricsOf(t, s.URL)
	jobs := fams["poseidon_jobs"]
	if jobs == nil {
		t.Fatal("no poseidon_jobs in the metrics")
	}
	states := map[string][]string{}
	for _, m := range jobs.GetMetric() {
		var kind, state string
		for _, l := range m.GetLabel() {
			switch l.GetName() {
			case "kind":
				kind = l.GetValue()
			case "state":
				state = l.GetValue()
			}
		}
		states[kind] = append(states[kind], state)
	}
	var metricKinds []string
	for k, st := range states {
		metricKinds = append(metricKinds, k)
		sort.Strings(st)
		if !slices.Equal(st, []string{"queued", "running", "scheduled"}) {
			t.Errorf("poseidon_jobs{kind=%q} states = %v", k, st)
		}
	}
	sort.Strings(metricKinds)
	want := []string{"batch-delete", "continuous-start", "continuous-stop", "export", "import", "janitor", "retention"}
	if !slices.Equal(healthKinds, want) || !slices.Equal(metricKinds, want) {
		t.Fatalf("job kinds: health %v, metrics %v, want both %v", healthKinds, metricKinds, want)
	}
}

// POST /_poseidon/clock and /_poseidon/reset decode their bodies as the
// fault routes do: member names exactly as documented, no unknown members,
// nothing after the object; each refusal is a 400 InvalidRequestException
// naming what is wrong, and changes nothing.
func TestClockAndResetBodiesAreStrict(t *testing.T) {
	s := startServer(t, "")
	defer s.Stop(t)
	c := client(t, s.URL, keyA, secretA)
	if _, err := c.CreateApplication(&ads.CreateApplicationInput{Name: aws.String("kept")}); err != nil {
		t.Fatal(err)
	}
	_, before := control(t, s.URL, "clock", "", nil)
	for _, tc := range []struct{ path, body, want string }{
		{"clock", `{"AdvanceSeconds": 3600}`, `unknown member "AdvanceSeconds"`},
		{"clock", `{"advanceseconds": 3600}`, `unknown member "advanceseconds"`},
		{"clock", `{"advanceSeconds": 3600, "note": 1}`, `unknown field "note"`},
		{"clock", `{"advanceSeconds": 3600} {"advanceSeconds": 3600}`, "trailing data"},
		{"clock", `{"advanceSeconds": 3600} x`, "trailing data"},
		{"reset", `{"AccountId": "` + acctA + `"}`, `unknown member "AccountId"`},
		{"reset", `{"accountId": "` + acctA + `"} x`, "trailing data"},
		{"reset", `{"accountId": "` + acctA + `", "all": true}`, `unknown field "all"`},
		{"reset", `{"accountId": "12"}`, "12 digits"},
	} {
		code, out := faultCall(t, s.URL, "POST", tc.path, "", rawBody(tc.body))
		msg, _ := out["message"].(string)
		if code != 400 || out["__type"] != "InvalidRequestException" || !strings.Contains(msg, tc.want) {
			t.Errorf("POST %s %s = %d %v, want 400 InvalidRequestException saying %s", tc.path, tc.body, code, out, tc.want)
		}
	}
	if _, after := control(t, s.URL, "clock", "", nil); after["epochSeconds"].(float64)-before["epochSeconds"].(float64) > 600 {
		t.Errorf("a refused clock body moved the clock: %v -> %v", before, after)
	}
	apps, err := c.ListConfigurations(&ads.ListConfigurationsInput{ConfigurationType: aws.String("APPLICATION")})
	if err != nil || len(apps.Configurations) != 1 {
		t.Errorf("a refused reset body reset the account: %v %v", apps, err)
	}
	// The documented bodies still work.
	if code, out := faultCall(t, s.URL, "POST", "clock", "", rawBody(`{"advanceSeconds": 3600}`)); code != 200 {
		t.Errorf("clock: %d %v", code, out)
	}
	if code, out := faultCall(t, s.URL, "POST", "reset", "", rawBody(` {"accountId": "`+acctA+`"} `)); code != 200 || out["accountId"] != acctA {
		t.Errorf("reset one account: %d %v", code, out)
	}
	if code, out := faultCall(t, s.URL, "POST", "reset", "", rawBody("")); code != 200 {
		t.Errorf("reset: %d %v", code, out)
	}
}
