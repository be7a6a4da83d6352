package postgres

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// fillExportTasks gives each account n SUCCEEDED agent exports, one a
// second from t0, over 50 agents, and refreshes the planner's statistics.
func fillExportTasks(t testing.TB, db *DB, n int, accounts ...string) {
	t.Helper()
	exec(t, db, `INSERT INTO export_tasks (export_id, account_id, kind, operation, agent_id, status, status_message, request_time_ms, ready_at_ms)
		SELECT 'export-' || a || '-' || i, a, 'agent', 'StartExportTask', 'o-' || (i % 50), 'SUCCEEDED', 'ok', $2::bigint + i * 1000, 0
		FROM generate_series(1, $1::int) i, unnest($3::text[]) a`, n, t0.UnixMilli(), accounts)
	exec(t, db, `ANALYZE export_tasks`)
}

// explain returns the plan of FindExportTasks' query for q.
func explain(t testing.TB, db *DB, q discovery.ExportQuery) string {
	t.Helper()
	query, args, ok := findExportTasksQuery(q)
	if !ok {
		t.Fatal("empty query")
	}
	plan, err := column(context.Background(), db.pool, `EXPLAIN `+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(plan, "\n")
}

// A page of DescribeExportTasks is one range scan of the account's index,
// starting at the keyset cursor: no sort, no scan of the pages before it,
// whatever its depth.
func TestExportPagePlan(t *testing.T) {
	db := openTest(t)
	fillExportTasks(t, db, 20000, acct, "210987654321")
	deep := &discovery.ExportCursor{RequestTimeMs: t0.Add(1000 * time.Second).UnixMilli(), ExportID: "export-" + acct + "-1000"}
	for _, after := range []*discovery.ExportCursor{nil, deep} {
		plan := explain(t, db, discovery.ExportQuery{AccountID: acct, After: after, Limit: 101})
		if !strings.Contains(plan, "Index Scan using export_tasks_by_account") || strings.Contains(plan, "Sort") {
			t.Errorf("after %v: plan\n%s", after, plan)
		}
		if after != nil && !strings.Contains(plan, "ROW(request_time_ms, export_id) <") {
			t.Errorf("the cursor is not an index condition:\n%s", plan)
		}
	}
	// One agent's page reads that agent's tasks only.
	plan := explain(t, db, discovery.ExportQuery{AccountID: acct, AgentIDs: []string{"o-7"}, After: deep, Limit: 101})
	if !strings.Contains(plan, "export_tasks_by_agent") {
		t.Errorf("agent page plan\n%s", plan)
	}
}

// BenchmarkFindExportTasks shows that a page costs the same at any depth
// (keyset pagination): compare the ns/op of the first page and of a page
// 45,000 tasks deep, in an account of 50,000 tasks beside another of 50,000.
func BenchmarkFindExportTasks(b *testing.B) {
	ctx := context.Background()
	db := openTest(b)
	const n = 50000
	fillExportTasks(b, db, n, "111111111111", "222222222222")
	deep := &discovery.ExportCursor{RequestTimeMs: t0.Add((n - 45000) * time.Second).UnixMilli(), ExportID: fmt.Sprint("export-111111111111-", n-45000)}
	for _, bc := range []struct {
		name  string
		after *discovery.ExportCursor
	}{{"first-page", nil}, {"page-45000-deep", deep}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				tasks, err := db.FindExportTasks(ctx, discovery.ExportQuery{AccountID: "111111111111", After: bc.after, Limit: 101})
				if err != nil || len(tasks) != 101 {
					b.Fatal(err, len(tasks))
				}
			}
		})
	}
	b.Run("by-agent", func(b *testing.B) {
		for b.Loop() {
			if _, err := db.FindExportTasks(ctx, discovery.ExportQuery{AccountID: "111111111111", AgentIDs: []string{"o-1"}, Limit: 101}); err != nil {
				b.Fatal(err)
			}
		}
	})
	fmt.Fprintln(b.Output(), "tasks per account:", n)
}
