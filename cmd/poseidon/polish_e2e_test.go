package main

import (
	"slices"
	"sort"
	"testing"
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
