package postgres

import (
	"context"
	"strings"
	"testing"
	"time"
)

// explainQuery returns the plan of query with args, one line per node.
func explainQuery(t *testing.T, db *DB, query string, args ...any) string {
	t.Helper()
	plan, err := column(context.Background(), db.pool, `EXPLAIN `+query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return strings.Join(plan, "\n")
}

// An agent export reads its window as one range of each series' primary
// key (account, agent, time), not of the time index that retention uses;
// retention finds each table's oldest rows in its time index, never
// scanning a table, whether a few rows or all are past the cutoff. Checked
// with EXPLAIN over two accounts of 50 agents reporting every 15 minutes
// for 10 days, analyzed.
func TestSeriesPlans(t *testing.T) {
	db := openTest(t)
	const every = 15 * time.Minute
	const reports = 10 * 24 * 4
	fill := func(q string) {
		t.Helper()
		exec(t, db, `INSERT INTO `+q+`
			FROM generate_series(0, $1::int - 1) i, generate_series(0, 49) g, unnest($2::text[]) a`,
			reports, []string{acct, "210987654321"}, t0.UnixMilli(), every.Milliseconds())
	}
	fill(`perf_samples SELECT a, 'o-' || g, $3::bigint + i * $4::bigint, 1,2,3,4,5,6, 8,4,1,2,1, 10, 100,40, 4096,1000`)
	fill(`system_observations (account_id, agent_id, ts_ms) SELECT a, 'o-' || g, $3::bigint + i * $4::bigint`)
	fill(`process_observations (account_id, agent_id, ts_ms, seq, pid, name) SELECT a, 'o-' || g, $3::bigint + i * $4::bigint, 0, 1, 'init'`)
	fill(`connection_observations (account_id, agent_id, ts_ms, seq, direction, source_ip, destination_ip, destination_port)
		SELECT a, 'o-' || g, $3::bigint + i * $4::bigint, 0, 'outbound', '10.0.0.1', '10.0.0.2', 443`)
	fill(`agent_reports SELECT a, 'r-' || g || '-' || i, 'o-' || g, $3::bigint + i * $4::bigint, $3::bigint + i * $4::bigint`)
	exec(t, db, `ANALYZE`)

	// A 72-hour window in the middle of agent o-7's data.
	lo, hi := t0.Add(4*24*time.Hour).UnixMilli(), t0.Add(7*24*time.Hour).UnixMilli()
	for _, q := range []string{perfSamplesInWindow, osInfoInWindow, nicsInWindow, processesInWindow, connectionsInWindow} {
		args := []any{acct, "o-7", lo, hi}
		if strings.Contains(q, "$5") {
			args = append(args, "outbound")
		}
		plan := explainQuery(t, db, q, args...)
		if !strings.Contains(plan, "Index Scan on "+strings.Fields(q[strings.Index(q, "FROM "):])[1]+"_pkey") ||
			!strings.Contains(plan, "(agent_id = 'o-7'::text) AND (ts_ms >= ") || strings.Contains(plan, "_by_time") || strings.Contains(plan, "Seq Scan") {
			t.Errorf("window read:\n%s\n%s", q, plan)
		}
		if q == perfSamplesInWindow {
			t.Logf("an agent export's window of performance samples:\n%s", plan)
		}
	}
	for _, cutoff := range []time.Time{t0.Add(6 * time.Hour), t0.Add(11 * 24 * time.Hour)} {
		for _, q := range retentionDeletes {
			table := strings.Fields(q)[2]
			plan := explainQuery(t, db, q, cutoff.UnixMilli(), 1000)
			if !strings.Contains(plan, "Tid Scan on "+table) || !strings.Contains(plan, "Index Scan using "+table+"_by_") ||
				strings.Contains(plan, "Seq Scan") || strings.Contains(plan, "Sort") {
				t.Errorf("cutoff %v: delete from %s:\n%s", cutoff, table, plan)
			}
		}
	}
}
