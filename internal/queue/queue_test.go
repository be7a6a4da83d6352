package queue_test

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/batchdelete"
	"github.com/poseidon-ads/poseidon/internal/clock"
	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/queue"
	"github.com/poseidon-ads/poseidon/internal/queue/queuetest"
	"github.com/poseidon-ads/poseidon/internal/sqlite"
)

const acct = "111111111111"

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// open opens n connections (as n processes would) to one SQLite file.
func open(t *testing.T, n int) []*sqlite.DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "p.db")
	var dbs []*sqlite.DB
	for range n {
		db, err := sqlite.Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs = append(dbs, db)
	}
	return dbs
}

func stores(dbs []*sqlite.DB) []queuetest.Store {
	out := make([]queuetest.Store, len(dbs))
	for i, db := range dbs {
		out[i] = db
	}
	return out
}

// The queue's conformance suite on SQLite: stores of one file are the
// processes sharing it.
func TestSQLiteQueue(t *testing.T) {
	queuetest.Run(t, func(t *testing.T, n int) []queuetest.Store { return stores(open(t, n)) })
}

// Two runners on two connections to one SQLite file run every real batch
// delete task, started through its service, exactly once (and test jobs
// along with them).
func TestTwoRunnersRunEachBatchDeleteOnce(t *testing.T) {
	dbs := open(t, 2)
	clk := clock.New(func() time.Time { return t0 })
	svc := batchdelete.New(dbs[1], clk.Now, nil)
	queuetest.EachJobOnce(t, stores(dbs), clk, queuetest.Tasks{
		Kind: discovery.JobBatchDelete, Count: 40, Workers: 2,
		Start: func(t *testing.T, i int) string {
			id, err := svc.Start(t.Context(), acct, string(discovery.TypeServer), []string{fmt.Sprintf("d-server-%017d", i)})
			if err != nil {
				t.Fatal(err)
			}
			return id
		},
		Handler: func(i int) queue.Handler { return &batchdelete.Runner{Store: dbs[i], Now: clk.Now} },
		Check: func(t *testing.T, id string) {
			task, err := svc.Describe(t.Context(), acct, id)
			if err != nil || task.Status != discovery.BatchDeleteCompleted || len(task.Failures) != 1 {
				t.Errorf("batch delete %s: %+v %v", id, task, err)
			}
		},
	})
}
