package agents_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/agentdata"
	"github.com/poseidon-ads/poseidon/internal/agentdata/agentdatatest"
	"github.com/poseidon-ads/poseidon/internal/agents"
	"github.com/poseidon-ads/poseidon/internal/clock"
	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/pagetoken"
	"github.com/poseidon-ads/poseidon/internal/queue"
)

const (
	day   = 24 * time.Hour
	acct2 = "222222222222"
)

// seriesTables are the agent time series retention deletes from.
var seriesTables = []string{"perf_samples", "system_observations", "process_observations", "connection_observations"}

// seriesReport is a report of agent n at ts with a row in every series:
// a performance sample, the system facts, two processes, one connection.
func seriesReport(rid string, n int, ts time.Time) agentdata.Report {
	r := agentdatatest.Report(ts, n, 0)
	r.ReportID = rid
	r.Processes = []agentdata.Process{{PID: 1, Name: "nginx"}, {PID: 2, Name: "sshd"}}
	r.Connections = []agentdata.Connection{{Direction: "outbound", SourceIP: agentdatatest.HostIP(n), DestinationIP: "10.9.9.9", DestinationPort: 443, PID: 1}}
	return r
}

func take(t *testing.T, s *agents.Service, account string, rs ...agentdata.Report) *discovery.IntakeResult {
	t.Helper()
	res, err := s.Intake(context.Background(), account, &agentdata.Batch{Reports: rs})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// seriesTimes returns, per series table, the times of the account's rows
// (one per row, ascending), as offsets from t0 in whole days when whole.
func seriesTimes(t *testing.T, st *testStore, account string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, table := range seriesTables {
		for _, v := range st.Strings(t, `SELECT CAST(ts_ms AS TEXT) FROM `+table+` WHERE account_id = ? ORDER BY ts_ms`, account) {
			ms, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			d := time.UnixMilli(ms).Sub(t0)
			if d%day == 0 {
				out[table] = append(out[table], fmt.Sprintf("%dd", d/day))
			} else {
				out[table] = append(out[table], d.String())
			}
		}
	}
	return out
}

// wantTimes is seriesTimes of reports at these times (seriesReport).
func wantTimes(times ...string) map[string][]string {
	out := map[string][]string{}
	for _, ts := range times {
		out["perf_samples"] = append(out["perf_samples"], ts)
		out["system_observations"] = append(out["system_observations"], ts)
		out["process_observations"] = append(out["process_observations"], ts, ts)
		out["connection_observations"] = append(out["connection_observations"], ts)
	}
	return out
}

func equalTimes(a, b map[string][]string) bool {
	for _, table := range seriesTables {
		if !slices.Equal(a[table], b[table]) {
			return false
		}
	}
	return true
}

func firstData(t *testing.T, st *testStore, account, agent string) time.Time {
	t.Helper()
	a, err := st.GetAgent(context.Background(), account, agent)
	if err != nil {
		t.Fatal(err)
	}
	return a.FirstData
}

// A sweep deletes the series rows older than 90 days by the virtual clock,
// of every account, each row by its own age (exactly 90 days old is kept),
// in batches; agents, servers and export tasks stay, and an agent's first
// data moves to its oldest kept report. The intake ledger is kept 90 days
// after intake: a report re-sent before then is a duplicate even once its
// data is gone, one re-sent later is taken in anew.
func TestRetentionSweep(t *testing.T) {
	eachStore(t, func(t *testing.T, st *testStore) {
		ctx := context.Background()
		clk := clock.New(func() time.Time { return t0 })
		s := agents.New(agents.Config{Store: st, Now: clk.Now, Tokens: pagetoken.New([]byte("secret"))})
		agent := agentdatatest.AgentID(1)
		// The same agent ID in two accounts, with data of different ages.
		take(t, s, acct,
			seriesReport("a-91", 1, t0.Add(-91*day)),
			seriesReport("a-90.1s", 1, t0.Add(-90*day-time.Second)),
			seriesReport("a-90", 1, t0.Add(-90*day)),
			seriesReport("a-89", 1, t0.Add(-89*day)))
		take(t, s, acct2,
			seriesReport("b-95", 1, t0.Add(-95*day)),
			seriesReport("b-89", 1, t0.Add(-89*day)),
			seriesReport("b-10", 1, t0.Add(-10*day)))
		st.Exec(t, `INSERT INTO export_tasks (export_id, account_id, kind, operation, agent_id, status, status_message, request_time_ms, ready_at_ms)
			VALUES ('export-old', ?, 'agent', 'StartExportTask', ?, 'SUCCEEDED', 'ok', ?, 0)`, acct, agent, t0.Add(-100*day).UnixMilli())
		if got := seriesTimes(t, st, acct); !equalTimes(got, wantTimes("-91d", "-2160h0m1s", "-90d", "-89d")) {
			t.Fatalf("before the sweep: %v", got)
		}
		if got := firstData(t, st, acct, agent); !got.Equal(t0.Add(-91 * day)) {
			t.Fatalf("first data before the sweep: %v", got)
		}

		r := &agents.Retention{Store: st, Now: clk.Now, Batch: 2}
		n, err := r.Sweep(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n != 3*5 { // three reports of five series rows each
			t.Fatalf("swept %d rows", n)
		}
		if got := seriesTimes(t, st, acct); !equalTimes(got, wantTimes("-90d", "-89d")) {
			t.Errorf("account %s after the sweep: %v", acct, got)
		}
		if got := seriesTimes(t, st, acct2); !equalTimes(got, wantTimes("-89d", "-10d")) {
			t.Errorf("account %s after the sweep: %v", acct2, got)
		}
		if got := firstData(t, st, acct, agent); !got.Equal(t0.Add(-90 * day)) {
			t.Errorf("first data in %s: %v", acct, got)
		}
		if got := firstData(t, st, acct2, agent); !got.Equal(t0.Add(-89 * day)) {
			t.Errorf("first data in %s: %v", acct2, got)
		}
		if n, err := r.Sweep(ctx); err != nil || n != 0 {
			t.Fatalf("second sweep: %d, %v", n, err)
		}
		// The ledger still knows the reports whose data went.
		if res := take(t, s, acct, seriesReport("a-91", 1, t0.Add(-91*day))); res.Duplicates != 1 {
			t.Fatalf("re-sent report: %+v", res)
		}

		// 90 days after the intake, the rest of the data and the ledger go.
		clk.Advance(90*day + time.Millisecond)
		n, err = r.Sweep(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n != 4*5+7 { // four reports left, seven ledger entries
			t.Fatalf("swept %d rows", n)
		}
		for _, a := range []string{acct, acct2} {
			if got := seriesTimes(t, st, a); !equalTimes(got, wantTimes()) {
				t.Errorf("account %s after the ledger's retention: %v", a, got)
			}
			if got := st.Strings(t, `SELECT report_id FROM agent_reports WHERE account_id = ?`, a); len(got) != 0 {
				t.Errorf("ledger of %s: %v", a, got)
			}
			if got := firstData(t, st, a, agent); !got.IsZero() {
				t.Errorf("first data in %s with none left: %v", a, got)
			}
			if got := st.Strings(t, `SELECT server_id FROM servers WHERE account_id = ?`, a); len(got) != 1 {
				t.Errorf("servers of %s: %v", a, got)
			}
		}
		if got := st.Strings(t, `SELECT export_id FROM export_tasks`); !slices.Equal(got, []string{"export-old"}) {
			t.Errorf("export tasks: %v", got)
		}
		if res := take(t, s, acct, seriesReport("a-89", 1, t0.Add(-89*day))); res.Accepted != 1 {
			t.Fatalf("report re-sent after the ledger's retention: %+v", res)
		}
	})
}

// The retention job is periodic: it runs when the runner starts, again
// after RetentionEvery, and at once when the clock moves, so that moving
// the clock past a row's 90 days removes the row without waiting.
func TestRetentionJobRunsPeriodically(t *testing.T) {
	eachStore(t, func(t *testing.T, st *testStore) {
		clk := clock.New(func() time.Time { return t0 })
		s := agents.New(agents.Config{Store: st, Now: clk.Now, Tokens: pagetoken.New([]byte("secret"))})
		take(t, s, acct, seriesReport("r-1", 1, t0.Add(-day)), seriesReport("r-2", 1, t0))
		r := &queue.Runner{Store: st, Now: clk.Now, Changed: clk.Changed(), Poll: time.Hour,
			Kinds: map[discovery.JobKind]queue.Kind{discovery.JobRetention: {
				Handler: &agents.Retention{Store: st, Now: clk.Now}, Every: agents.RetentionEvery}}}
		ctx, cancel := context.WithCancel(t.Context())
		ran := make(chan struct{})
		go func() { r.Run(ctx); close(ran) }()
		defer func() { cancel(); <-ran }()
		// round waits for the round of the clock's now to end: the job is
		// free again, due RetentionEvery later.
		round := func() {
			t.Helper()
			next := clk.Now().Add(agents.RetentionEvery)
			for {
				j, err := st.Job(t.Context(), discovery.JobRetention, "", "")
				switch {
				case errors.Is(err, discovery.ErrNotFound): // not enqueued yet
				case err != nil:
					t.Fatal(err)
				case j.Owner == "" && j.RunAt.Equal(next):
					return
				case j.RunAt.After(next):
					t.Fatalf("job %+v after the round of %v", j, clk.Now())
				}
				time.Sleep(time.Millisecond)
			}
		}
		round()
		if got := seriesTimes(t, st, acct); !equalTimes(got, wantTimes("-1d", "0d")) {
			t.Fatalf("after the first round: %v", got)
		}
		clk.Advance(89 * day) // the first report is 90 days old: kept
		round()
		if got := seriesTimes(t, st, acct); !equalTimes(got, wantTimes("-1d", "0d")) {
			t.Fatalf("at 90 days: %v", got)
		}
		clk.Advance(time.Millisecond)
		round()
		if got := seriesTimes(t, st, acct); !equalTimes(got, wantTimes("0d")) {
			t.Fatalf("past 90 days: %v", got)
		}
	})
}
