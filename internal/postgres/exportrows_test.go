package postgres

import (
	"errors"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// The export rows both stores give are internal/storetest's; here, what
// this store adds: a stream stopped early gives its connection back.

var rowsT0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const rowsAcct = "123456789012"

func erAt(min int) int64 { return rowsT0.Add(time.Duration(min) * time.Minute).UnixMilli() }

// An error from the callback stops the scan and comes back unchanged, and
// the connection goes back to the pool.
func TestAgentSeriesStopsOnError(t *testing.T) {
	db := openTest(t)
	for _, m := range []int{0, 15, 30} {
		exec(t, db, `INSERT INTO perf_samples VALUES ($1,$2,$3, 0,0,0,0,0,0, 1,1,1,1,1, 0, 1,1, 1,1)`, rowsAcct, "o-1", erAt(m))
	}
	stop := errors.New("stop")
	for range 2 * int(db.pool.Config().MaxConns) {
		n := 0
		err := db.AgentPerfSamples(t.Context(), rowsAcct, "o-1", rowsT0, rowsT0.Add(time.Hour), func(*discovery.PerfSample) error {
			n++
			if n == 2 {
				return stop
			}
			return nil
		})
		if err != stop || n != 2 {
			t.Fatalf("err = %v after %d rows", err, n)
		}
	}
	if _, err := db.GetExportTask(t.Context(), rowsAcct, "nope"); !errors.Is(err, discovery.ErrNotFound) {
		t.Fatal(err)
	}
}
