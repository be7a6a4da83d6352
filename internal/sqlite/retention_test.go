package sqlite

import (
	"strings"
	"testing"
)

// planOf returns the details of q's query plan, one line each.
func planOf(t *testing.T, db *DB, q string, args ...any) string {
	t.Helper()
	rows, err := db.db.QueryContext(t.Context(), `EXPLAIN QUERY PLAN `+q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}

// Retention finds each table's old rows in its index on time and deletes
// them by primary key, never scanning a table; agent exports still read
// their window as one range of the primary key (account, agent, time), not
// of the time index. Both hold on a new database and once ANALYZE has
// statistics of 50 agents' data.
func TestRetentionPlans(t *testing.T) {
	db := erOpen(t)
	check := func(stage string) {
		t.Helper()
		for _, q := range retentionDeletes {
			table := strings.Fields(q)[2]
			plan := planOf(t, db, q, 1, 10)
			if strings.Contains(plan, "SCAN "+table) || !strings.Contains(plan, "SEARCH "+table+" USING PRIMARY KEY") ||
				!strings.Contains(plan, "SEARCH "+table+" USING COVERING INDEX "+table+"_by_") || strings.Contains(plan, "TEMP B-TREE") {
				t.Errorf("%s: delete from %s:\n%s", stage, table, plan)
			}
		}
		for _, q := range []string{perfSamplesInWindow, osInfoInWindow, nicsInWindow, processesInWindow, connectionsInWindow} {
			args := []any{rowsAcct, "o-1", 1, 2}
			if strings.Count(q, "?") == 5 {
				args = append(args, "outbound")
			}
			plan := planOf(t, db, q, args...)
			if !strings.Contains(plan, "USING PRIMARY KEY (account_id=? AND agent_id=? AND ts_ms>? AND ts_ms<?)") || strings.Contains(plan, "_by_time") {
				t.Errorf("%s: window read:\n%s\n%s", stage, q, plan)
			}
		}
	}
	check("new database")
	// 50 agents reporting every 15 minutes for 4 days.
	const n = `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 19199) `
	erExec(t, db, n+`INSERT INTO perf_samples SELECT ?, 'o-' || (i % 50), ? + (i / 50) * 900000, 1,2,3,4,5,6, 8,4,1,2,1, 10, 100,40, 4096,1000 FROM n`, rowsAcct, rowsT0.UnixMilli())
	erExec(t, db, n+`INSERT INTO system_observations (account_id, agent_id, ts_ms) SELECT ?, 'o-' || (i % 50), ? + (i / 50) * 900000 FROM n`, rowsAcct, rowsT0.UnixMilli())
	erExec(t, db, n+`INSERT INTO process_observations (account_id, agent_id, ts_ms, seq, pid, name) SELECT ?, 'o-' || (i % 50), ? + (i / 50) * 900000, 0, 1, 'init' FROM n`, rowsAcct, rowsT0.UnixMilli())
	erExec(t, db, n+`INSERT INTO connection_observations (account_id, agent_id, ts_ms, seq, direction, source_ip, destination_ip, destination_port)
		SELECT ?, 'o-' || (i % 50), ? + (i / 50) * 900000, 0, 'outbound', '10.0.0.1', '10.0.0.2', 443 FROM n`, rowsAcct, rowsT0.UnixMilli())
	erExec(t, db, n+`INSERT INTO agent_reports SELECT ?, 'r-' || i, 'o-' || (i % 50), ? + (i / 50) * 900000, ? FROM n`, rowsAcct, rowsT0.UnixMilli(), rowsT0.UnixMilli())
	erExec(t, db, `ANALYZE`)
	check("analyzed")
}
