package main

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/postgres/pgtestdb"
)

// TestCrashLoopReplicas is the crash loop on two replicas of the real binary
// sharing one PostgreSQL (each with a data directory and an address of its
// own): requests and checks go to each replica in turn, as behind a load
// balancer. A rolling restart kill -9s one replica at a random moment (A,
// then B, alternately, POSEIDON_CRASH_KILLS times, default 5) while the
// workload goes on against both, lets the workload run on the survivor
// alone, restarts the killed replica on its data directory and address,
// lets the workload run on both again, then stops it and checks that
// nothing acknowledged was lost, nothing is stuck and nothing was doubled.
// The killed replica takes its own jobs over when it restarts; the
// survivor takes over those whose lease (--job-lease 2s) passes first.
func TestCrashLoopReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the real binary; skipped with -short")
	}
	kills := loopKills(t)
	dbURL := pgtestdb.Schema(t)
	rs := startReplicas(t, dbURL, 2, "--no-limits", "--export-delay", "150ms", "--workers", "2", "--job-lease", "2s")
	hc := loopHTTPClient(16)
	var targets []loopTarget
	for _, rep := range rs {
		targets = append(targets, loopTarget{rep.URL, loopADS(t, rep.URL, acctA, "x", hc)})
	}
	r := newLoopRun(t, hc, targets)
	r.seed()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 11))
	began := time.Now()
	pause := func(minMs, spreadMs int) { time.Sleep(time.Duration(minMs+rng.IntN(spreadMs)) * time.Millisecond) }
	for kill := 1; kill <= kills; kill++ {
		victim := rs[(kill-1)%len(rs)]
		ctx, cancel := context.WithCancel(context.Background())
		wg := r.workload(ctx, rng)
		pause(150, 1100)
		victim.kill(t)
		pause(100, 600) // the survivor alone
		url := victim.URL
		victim.start(t)
		if victim.URL != url {
			t.Fatalf("%s restarted on %s, want %s", victim.name, victim.URL, url)
		}
		pause(100, 400) // both again
		cancel()
		wg.Wait()
		r.check(kill == kills)
		if t.Failed() && r.violations > 20 {
			break
		}
	}
	r.finalExports()
	r.report("crashloop-replicas", kills, began)
}
