// Package scale is the scale benchmark of issue 13: on each store it fills
// one account with 1,000,000 export tasks, 100,000 servers with their
// agents and 10,000,000 performance samples (with as many system
// observations, one per report), then prints p50 and p99 of a shallow and a
// deep page of the reads that page (FindExportTasks for DescribeExportTasks,
// ListItems of SERVER for ListConfigurations, FindAgents for
// DescribeAgents), the deep/shallow p99 ratio, the time of one agent
// export's row read (72 hours of one agent through worker.RowSource), the
// fill rates and, last, the rate of a retention sweep that deletes a tenth
// of the samples. Figures are printed, never asserted.
//
// It runs only when POSEIDON_SCALE is set (the scale: 1 for the figures
// above, 0.1 for a tenth); bench/scale.sh runs it:
//
//	bench/scale.sh [sqlite|postgres|both] [SCALE]
//
// The rows are written with bulk SQL on the store's own database (SQLite:
// recursive CTEs on a second connection; PostgreSQL: generate_series), not
// through intake, which would take hours for this much data; the reads go
// through the stores' methods, as the use cases call them.
package scale

import (
	"context"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/agents"
	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/postgres/pgtest"
	"github.com/poseidon-ads/poseidon/internal/sqlite/sqlitetest"
	"github.com/poseidon-ads/poseidon/internal/worker"
)

const (
	account  = "111111111111"
	neighbor = "222222222222" // 1% of the account's rows, to page past
	// perAgent is the samples of each agent that reports: every 10
	// minutes for 69 days, inside the 90 days kept.
	perAgent = 10000
	sampleMs = 10 * 60 * 1000
	pageSize = 100 // DescribeExportTasks, ListConfigurations and DescribeAgents pages
)

// base is the time of the first export task and of every agent's first sample.
var base = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// store is what the benchmark reads through: the stores' methods behind
// DescribeExportTasks, ListConfigurations and DescribeAgents, and an agent
// export's row source.
type store interface {
	FindExportTasks(ctx context.Context, q discovery.ExportQuery) ([]*discovery.ExportTask, error)
	ListItems(ctx context.Context, q discovery.ItemQuery) ([]discovery.Item, error)
	FindAgents(ctx context.Context, q discovery.AgentQuery) ([]*discovery.Agent, error)
	worker.RowSource
	agents.RetentionStore
}

// sizes are the row counts of one run.
type sizes struct {
	exports, servers, samples, sampled int
}

func sizesOf(scale float64) sizes {
	n := func(v float64) int { return max(1, int(math.Round(v*scale))) }
	s := sizes{exports: n(1e6), servers: n(1e5), samples: n(1e7)}
	s.sampled = max(1, s.samples/perAgent)
	s.samples = s.sampled * perAgent
	s.servers = max(s.servers, s.sampled)
	return s
}

// The IDs of row i, alike in both stores' SQL (hex, zero-padded, so that
// the text order is the numeric order).
func exportID(i int) string           { return fmt.Sprintf("export-%08x-bench", i) }
func exportTime(i int) int64          { return base.UnixMilli() + int64(i)*1000 }
func agentID(j int) string            { return fmt.Sprintf("o-%017x", j) }
func serverID(j int) string           { return fmt.Sprintf("d-server-%017x", j) }
func hostName(j int) string           { return fmt.Sprintf("host-%07x.example.com", j) }
func sampleTime(k int) time.Time      { return base.Add(time.Duration(k) * sampleMs * time.Millisecond) }
func sampleSpan() time.Duration       { return time.Duration(perAgent) * sampleMs * time.Millisecond }
func ratio(a, b time.Duration) string { return strconv.FormatFloat(float64(a)/float64(b), 'f', 2, 64) }

// filler writes the rows of one store in its SQL dialect.
type filler interface {
	// exportTasks writes export tasks [from, to) of acct.
	exportTasks(ctx context.Context, acct string, from, to int) error
	// servers writes servers and agents [from, to) of acct; the first
	// sampled agents have data.
	servers(ctx context.Context, acct string, from, to, sampled int) error
	// samples writes samples and system observations [from, to) of each
	// of the first agents of acct, in time order (as reports arrive):
	// one per agent at each time.
	samples(ctx context.Context, acct string, agents, from, to int) error
	// settle brings the database to its steady state after a bulk load
	// (statistics, visibility map, WAL checkpoint), as it would be in
	// service.
	settle(ctx context.Context) error
	about(ctx context.Context) string
}

func TestScale(t *testing.T) {
	v := os.Getenv("POSEIDON_SCALE")
	if v == "" {
		t.Skip("set POSEIDON_SCALE (1 for 1,000,000 exports and 10,000,000 samples; 0.1 for a tenth) to run the scale benchmark; see bench/scale.sh")
	}
	scale, err := strconv.ParseFloat(v, 64)
	if err != nil || scale <= 0 {
		t.Fatalf("POSEIDON_SCALE=%q: want a positive number", v)
	}
	reps := 1000
	if v := os.Getenv("POSEIDON_SCALE_REPS"); v != "" {
		if reps, err = strconv.Atoi(v); err != nil || reps < 10 {
			t.Fatalf("POSEIDON_SCALE_REPS=%q: want a number of at least 10", v)
		}
	}
	which := os.Getenv("POSEIDON_SCALE_STORE")
	if which == "" {
		which = "both"
	}
	sz := sizesOf(scale)
	fmt.Printf("scale: %g: %d export tasks, %d servers and agents, %d samples (%d agents × %d) and as many system observations in account %s; "+
		"1%% of the tasks and servers in account %s; %d timed calls per figure\n",
		scale, sz.exports, sz.servers, sz.samples, sz.sampled, perAgent, account, neighbor, reps)
	if which == "sqlite" || which == "both" {
		t.Run("sqlite", func(t *testing.T) {
			s := sqlitetest.Open(t)
			f, err := newSQLiteFiller(t.Context(), s.Raw)
			if err != nil {
				t.Fatal(err)
			}
			defer f.close()
			run(t, "sqlite", s, f, sz, reps)
		})
	}
	if which == "postgres" || which == "both" {
		t.Run("postgres", func(t *testing.T) {
			s := pgtest.Open(t)
			run(t, "postgres", s, newPGFiller(s.Raw), sz, reps)
		})
	}
}

// run fills one store and measures it.
func run(t *testing.T, name string, st store, f filler, sz sizes, reps int) {
	ctx := t.Context()
	fill(t, name, f, sz)

	// Deep pages start 90% into the list (or a full page before its end).
	deep := func(n int) int { return max(0, min(n*9/10, n-pageSize-2)) }
	deepExport := sz.exports - 1 - deep(sz.exports) // newest first
	deepServer := deep(sz.servers)
	pages := []struct {
		name          string
		shallow, deep func() (int, error)
	}{
		{"FindExportTasks (DescribeExportTasks)",
			func() (int, error) {
				r, err := st.FindExportTasks(ctx, discovery.ExportQuery{AccountID: account, Limit: pageSize + 1})
				return len(r), err
			},
			func() (int, error) {
				r, err := st.FindExportTasks(ctx, discovery.ExportQuery{AccountID: account, Limit: pageSize + 1,
					After: &discovery.ExportCursor{RequestTimeMs: exportTime(deepExport), ExportID: exportID(deepExport)}})
				return len(r), err
			}},
		{"ListItems SERVER (ListConfigurations)",
			func() (int, error) {
				r, err := st.ListItems(ctx, discovery.ItemQuery{Account: account, Type: discovery.TypeServer, Limit: pageSize + 1})
				return len(r), err
			},
			func() (int, error) {
				r, err := st.ListItems(ctx, discovery.ItemQuery{Account: account, Type: discovery.TypeServer, Limit: pageSize + 1,
					After: &discovery.ItemCursor{ID: serverID(deepServer)}})
				return len(r), err
			}},
		{"ListItems SERVER by hostName",
			func() (int, error) {
				r, err := st.ListItems(ctx, discovery.ItemQuery{Account: account, Type: discovery.TypeServer, Limit: pageSize + 1,
					Order: []discovery.OrderKey{{Field: discovery.FieldServerHostName}}})
				return len(r), err
			},
			func() (int, error) {
				r, err := st.ListItems(ctx, discovery.ItemQuery{Account: account, Type: discovery.TypeServer, Limit: pageSize + 1,
					Order: []discovery.OrderKey{{Field: discovery.FieldServerHostName}},
					After: &discovery.ItemCursor{Keys: []any{hostName(deepServer)}, ID: serverID(deepServer)}})
				return len(r), err
			}},
		{"FindAgents (DescribeAgents)",
			func() (int, error) {
				r, err := st.FindAgents(ctx, discovery.AgentQuery{AccountID: account, Limit: pageSize + 1})
				return len(r), err
			},
			func() (int, error) {
				r, err := st.FindAgents(ctx, discovery.AgentQuery{AccountID: account, Limit: pageSize + 1, After: agentID(deepServer)})
				return len(r), err
			}},
	}
	for _, p := range pages {
		s50, s99, d50, d99 := timePages(t, reps, pageSize+1, p.shallow, p.deep)
		fmt.Printf("scale: %s: %-38s shallow p50 %8s p99 %8s | deep (90%%) p50 %8s p99 %8s | deep/shallow p99 %s\n",
			name, p.name, ms(s50), ms(s99), ms(d50), ms(d99), ratio(d99, s99))
	}

	// Agent exports: 72 hours of one agent, in the middle of its data,
	// every series an agent export writes; one agent after another.
	read := min(sz.sampled, 10)
	var took []time.Duration
	rows := 0
	for a := range read {
		from := sampleTime(0).Add(sampleSpan() / 2)
		start := time.Now()
		n, err := readAgent(ctx, st, agentID(a*sz.sampled/read), from, from.Add(discovery.MaxAgentWindow))
		if err != nil {
			t.Fatal(err)
		}
		took = append(took, time.Since(start))
		rows = n
	}
	slices.Sort(took)
	fmt.Printf("scale: %s: agent export row read (72 h, worker.RowSource): %d rows; %d agents: min %s, median %s, max %s\n",
		name, rows, read, ms(took[0]), ms(took[len(took)/2]), ms(took[len(took)-1]))

	// Retention, last as it deletes: the clock 90 days after the 7th day
	// of the samples, so that one sweep deletes the first 7 days of every
	// agent (a tenth of the samples and observations).
	now := sampleTime(0).Add(agents.DataRetention + 7*24*time.Hour)
	r := &agents.Retention{Store: st, Now: func() time.Time { return now }}
	start := time.Now()
	n, err := r.Sweep(ctx)
	if err != nil {
		t.Fatal(err)
	}
	took1 := time.Since(start)
	fmt.Printf("scale: %s: retention sweep (batches of %d rows per series): %d rows in %.1fs: %.0f rows/s\n",
		name, agents.DefaultRetentionBatch, n, took1.Seconds(), float64(n)/took1.Seconds())
}

// fill writes the rows of sz with f and settles the store, printing the
// fill rates.
func fill(t *testing.T, name string, f filler, sz sizes) {
	ctx := t.Context()
	step := func(what string, rows int, fn func() error) {
		t.Helper()
		start := time.Now()
		if err := fn(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		took := time.Since(start)
		if rows == 0 {
			fmt.Printf("scale: %s: %-43s %27.1fs\n", name, what, took.Seconds())
			return
		}
		fmt.Printf("scale: %s: fill %-38s %10d rows in %8.1fs: %9.0f rows/s\n", name, what, rows, took.Seconds(), float64(rows)/took.Seconds())
	}
	total := time.Now()
	chunks := func(n, size int, fn func(from, to int) error) error {
		for from := 0; from < n; from += size {
			if err := fn(from, min(n, from+size)); err != nil {
				return err
			}
		}
		return nil
	}
	step("export tasks", sz.exports+sz.exports/100, func() error {
		if err := chunks(sz.exports, 100000, func(a, b int) error { return f.exportTasks(ctx, account, a, b) }); err != nil {
			return err
		}
		return f.exportTasks(ctx, neighbor, 0, sz.exports/100)
	})
	step("servers and agents (2 rows each)", 2*(sz.servers+sz.servers/100), func() error {
		if err := chunks(sz.servers, 50000, func(a, b int) error { return f.servers(ctx, account, a, b, sz.sampled) }); err != nil {
			return err
		}
		return f.servers(ctx, neighbor, 0, sz.servers/100, 0)
	})
	step("samples and system observations", 2*sz.samples, func() error {
		return chunks(perAgent, max(1, 200000/sz.sampled), func(a, b int) error { return f.samples(ctx, account, sz.sampled, a, b) })
	})
	step("settle (vacuum, analyze; checkpoint)", 0, func() error { return f.settle(ctx) })
	fmt.Printf("scale: %s: fill total %.1fs; %s\n", name, time.Since(total).Seconds(), f.about(ctx))
}

// readAgent reads what an agent export writes of one agent's window and
// returns how many rows.
func readAgent(ctx context.Context, st worker.RowSource, agent string, from, to time.Time) (int, error) {
	n := 0
	err := st.AgentPerfSamples(ctx, account, agent, from, to, func(*discovery.PerfSample) error { n++; return nil })
	if err == nil {
		err = st.AgentOSInfo(ctx, account, agent, from, to, func(*discovery.OSInfo) error { n++; return nil })
	}
	if err == nil {
		err = st.AgentNICs(ctx, account, agent, from, to, func(*discovery.NICSample) error { n++; return nil })
	}
	if err == nil {
		err = st.AgentProcesses(ctx, account, agent, from, to, func(*discovery.ProcessSample) error { n++; return nil })
	}
	for _, dir := range []string{discovery.Outbound, discovery.Inbound} {
		if err == nil {
			err = st.AgentConnections(ctx, account, agent, dir, from, to, func(*discovery.ConnectionSample) error { n++; return nil })
		}
	}
	return n, err
}

// timePages calls shallow and deep reps times each, alternately, after a
// few warm-up calls (so that both see the same load of the machine),
// checks that each call returned want rows, and returns the p50 and p99 of
// each.
func timePages(t *testing.T, reps, want int, shallow, deep func() (int, error)) (s50, s99, d50, d99 time.Duration) {
	t.Helper()
	call := func(fn func() (int, error)) time.Duration {
		start := time.Now()
		n, err := fn()
		d := time.Since(start)
		if err != nil || n != want {
			t.Fatalf("%d rows, %v; want %d rows", n, err, want)
		}
		return d
	}
	for range 10 {
		call(shallow)
		call(deep)
	}
	s, d := make([]time.Duration, reps), make([]time.Duration, reps)
	for i := range reps {
		s[i] = call(shallow)
		d[i] = call(deep)
	}
	p := func(v []time.Duration) (time.Duration, time.Duration) {
		slices.Sort(v)
		return v[reps/2], v[int(math.Ceil(float64(reps)*0.99))-1]
	}
	s50, s99 = p(s)
	d50, d99 = p(d)
	return s50, s99, d50, d99
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 3, 64) + "ms"
}

// nics is the network interface list of every system observation.
const nics = `[{"name":"eth0","ipAddress":"10.0.0.1","macAddress":"02:00:00:00:00:01","netMask":"255.255.255.0","family":"IPv4"}]`
