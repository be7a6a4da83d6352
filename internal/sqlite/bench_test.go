package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/poseidon-ads/poseidon/internal/agentdata"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// BenchmarkFindExportTasks shows that a page costs the same at any depth
// (keyset pagination): compare the ns/op of the first page and of a page
// 45,000 tasks deep, in an account of 50,000 tasks beside another of 50,000.
func BenchmarkFindExportTasks(b *testing.B) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.ReadEveryPage() // the query is measured, not the memory
	const n = 50000
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var deep discovery.ExportCursor
	err = db.tx(ctx, func(tx *sql.Tx) error {
		for _, acct := range []string{"111111111111", "222222222222"} {
			for i := range n {
				at := base.Add(time.Duration(i) * time.Second)
				id := "export-" + uuid.NewString()
				if _, err := tx.ExecContext(ctx, `INSERT INTO export_tasks (`+exportCols+`)
					VALUES (?, ?, 'summary', 'StartExportTask', '', 'SUCCEEDED', 'ok', ?, NULL, NULL, '', 0, ?, ?, 10, 0)`,
					id, acct, ms(at), ms(at), ms(at)); err != nil {
					return err
				}
				if acct == "111111111111" && i == n-45000 {
					deep = discovery.ExportCursor{RequestTimeMs: ms(at), ExportID: id}
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name  string
		after *discovery.ExportCursor
	}{{"first-page", nil}, {"page-45000-deep", &deep}} {
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

// BenchmarkConcurrentWrites runs small write transactions (a job enqueued)
// from 64 goroutines: "commit-each" commits every write on its own (a batch
// of one, as the store did before group commit: one fsync per write),
// "group-commit" lets the writer batch them. It reports acknowledged
// writes/s and the p50/p99 of a write.
func BenchmarkConcurrentWrites(b *testing.B) {
	for _, bc := range []struct {
		name     string
		maxBatch int
	}{{"commit-each", 1}, {"group-commit", maxBatch}} {
		b.Run(bc.name, func(b *testing.B) {
			ctx := context.Background()
			db, err := Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			db.w.maxBatch = bc.maxBatch
			var (
				mu   sync.Mutex
				lats []time.Duration
				seq  atomic.Int64
			)
			b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0)))
			commits := db.w.commits.Load()
			began := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				var mine []time.Duration
				for pb.Next() {
					t0 := time.Now()
					err := db.Enqueue(ctx, &discovery.Job{Kind: "bench", Account: "111111111111", Ref: fmt.Sprint(seq.Add(1)), RunAt: t0})
					if err != nil {
						b.Error(err)
						return
					}
					mine = append(mine, time.Since(t0))
				}
				mu.Lock()
				lats = append(lats, mine...)
				mu.Unlock()
			})
			elapsed := time.Since(began)
			slices.Sort(lats)
			if len(lats) == 0 {
				return
			}
			b.ReportMetric(float64(len(lats))/elapsed.Seconds(), "writes/s")
			b.ReportMetric(float64(lats[len(lats)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lats[min(len(lats)-1, len(lats)*99/100)].Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(len(lats))/float64(max(1, db.w.commits.Load()-commits)), "writes/commit")
		})
	}
}

// BenchmarkConcurrentIntake runs intake batches of 5 reports from 60
// goroutines, one agent each, as the load test's agents do; it reports
// acknowledged batches/s and a batch's p50/p99.
func BenchmarkConcurrentIntake(b *testing.B) {
	db, svc := openTest(b)
	var (
		mu    sync.Mutex
		lats  []time.Duration
		agent atomic.Int64
	)
	b.SetParallelism(max(1, 60/runtime.GOMAXPROCS(0)))
	commits := db.w.commits.Load()
	began := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		n, step := int(agent.Add(1)), 0
		var mine []time.Duration
		for pb.Next() {
			rs := make([]agentdata.Report, 5)
			for i := range rs {
				rs[i] = report(n, step)
				step++
			}
			t0 := time.Now()
			if _, err := svc.Intake(context.Background(), acct, &agentdata.Batch{Reports: rs}); err != nil {
				b.Error(err)
				return
			}
			mine = append(mine, time.Since(t0))
		}
		mu.Lock()
		lats = append(lats, mine...)
		mu.Unlock()
	})
	elapsed := time.Since(began)
	slices.Sort(lats)
	if len(lats) == 0 {
		return
	}
	b.ReportMetric(float64(len(lats))/elapsed.Seconds(), "batches/s")
	b.ReportMetric(float64(lats[len(lats)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lats[min(len(lats)-1, len(lats)*99/100)].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(len(lats))/float64(max(1, db.w.commits.Load()-commits)), "batches/commit")
}
