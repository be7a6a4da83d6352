package agents_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/agentdata"
	"github.com/poseidon-ads/poseidon/internal/agents"
	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// TestIntakeConcurrentBatches sends batches at once from many goroutines:
// Intake takes no lock of its own, so the store must serialize them. Each
// moment (agent, time) is sent three times: one batch twice (same report
// IDs) and once under other report IDs. Whatever the order, exactly one of
// the three is accepted, one is a duplicate and one is dropped.
func TestIntakeConcurrentBatches(t *testing.T) {
	eachStore(t, func(t *testing.T, st *testStore) {
		s := newService(t, st)
		const agentsN, rounds = 6, 8
		batch := func(round int, prefix string) *agentdata.Batch {
			b := &agentdata.Batch{}
			for n := 1; n <= agentsN; n++ {
				b.Reports = append(b.Reports, agentdata.Report{
					ReportID: fmt.Sprintf("%s-%d-%d", prefix, n, round), AgentID: id(n),
					Timestamp: float64(t0.Unix() + int64(round)),
					Agent:     agentdata.AgentInfo{Version: fmt.Sprintf("2.0.%d", round)},
					Server:    agentdata.ServerInfo{HostName: fmt.Sprintf("host-%d", n)},
					NetworkInterfaces: []agentdata.NetworkInterface{
						{Name: "eth0", IPAddress: fmt.Sprintf("10.2.0.%d", n), MACAddress: fmt.Sprintf("0a:00:00:00:01:%02x", n)}},
					Connections: []agentdata.Connection{{Direction: "outbound", SourceIP: fmt.Sprintf("10.2.0.%d", n),
						SourcePort: 40000 + round, DestinationIP: fmt.Sprintf("10.2.0.%d", n%agentsN+1), DestinationPort: 443}},
				})
			}
			return b
		}
		type sent struct {
			res *discovery.IntakeResult
			err error
		}
		var (
			wg  sync.WaitGroup
			mu  sync.Mutex
			all []sent
		)
		start := make(chan struct{})
		for r := range rounds {
			for _, prefix := range []string{"a", "a", "b"} {
				b := batch(r, prefix)
				wg.Go(func() {
					<-start
					res, err := s.Intake(context.Background(), acct, b)
					mu.Lock()
					all = append(all, sent{res, err})
					mu.Unlock()
				})
			}
		}
		close(start)
		wg.Wait()

		var accepted, duplicates, dropped int
		for _, x := range all {
			if x.err != nil {
				t.Fatalf("intake: %v", x.err)
			}
			if x.res.Accepted+x.res.Duplicates+x.res.Dropped != agentsN || len(x.res.AcceptedIDs) != x.res.Accepted {
				t.Fatalf("result %+v does not account for the batch's %d reports", x.res, agentsN)
			}
			accepted += x.res.Accepted
			duplicates += x.res.Duplicates
			dropped += x.res.Dropped
		}
		if moments := agentsN * rounds; accepted != moments || duplicates != moments || dropped != moments {
			t.Fatalf("accepted %d, duplicates %d, dropped %d; want %d each", accepted, duplicates, dropped, moments)
		}
		p, err := s.Describe(context.Background(), acct, agents.DescribeInput{})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Agents) != agentsN {
			t.Fatalf("%d agents, want %d", len(p.Agents), agentsN)
		}
		last := t0.Add(time.Duration(rounds-1) * time.Second)
		for _, a := range p.Agents {
			// The newest report sets the agent's health ping and version,
			// whichever batch came last.
			if !a.LastHealthPing.Equal(last) || a.Version != fmt.Sprintf("2.0.%d", rounds-1) {
				t.Fatalf("agent %s: last health ping %s version %s, want %s and 2.0.%d", a.ID, a.LastHealthPing, a.Version, last, rounds-1)
			}
		}
	})
}
