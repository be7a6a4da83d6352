package console_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/agentdata"
	"github.com/poseidon-ads/poseidon/internal/agents"
	"github.com/poseidon-ads/poseidon/internal/console"
	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/pagetoken"
	"github.com/poseidon-ads/poseidon/internal/sqlite/sqlitetest"
)

const account = "111111111111"

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func agentID(n int) string { return fmt.Sprintf("o-%017x", n) }
func agentIP(n int) string { return fmt.Sprintf("10.0.0.%d", n) }

// fleet takes in three agents reporting at t0 and t0+15m; agent 1 talks to
// agent 2 and agent 2 to agent 3.
func fleet(t *testing.T) *sqlitetest.Store {
	t.Helper()
	s := sqlitetest.Open(t)
	var rs []agentdata.Report
	for n := 1; n <= 3; n++ {
		for step := range 2 {
			r := agentdata.Report{ReportID: fmt.Sprintf("r-%d-%d", n, step), AgentID: agentID(n),
				Timestamp:         float64(t0.Add(time.Duration(step) * 15 * time.Minute).Unix()),
				Server:            agentdata.ServerInfo{HostName: fmt.Sprintf("host-%d", n), TotalRAMMB: 1024},
				NetworkInterfaces: []agentdata.NetworkInterface{{Name: "eth0", IPAddress: agentIP(n)}},
				Performance:       &agentdata.Performance{CPUUsagePct: float64(10*n + step), FreeRAMMB: 512}}
			if n < 3 {
				r.Connections = []agentdata.Connection{{Direction: "outbound", SourceIP: agentIP(n), DestinationIP: agentIP(n + 1), DestinationPort: 80}}
			}
			rs = append(rs, r)
		}
	}
	svc := agents.New(agents.Config{Store: s, Now: func() time.Time { return t0.Add(time.Hour) }, Tokens: pagetoken.New([]byte("k"))})
	if _, err := svc.Intake(t.Context(), account, &agentdata.Batch{Reports: rs}); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestServerUsageWindows(t *testing.T) {
	s := fleet(t)
	now := t0.Add(time.Hour)
	svc := console.New(s, func() time.Time { return now })
	server := discovery.ServerID(account, agentID(2))
	sec := func(t time.Time) *float64 { v := float64(t.Unix()); return &v }

	u, err := svc.ServerUsage(t.Context(), account, console.UsageInput{ServerID: server})
	if err != nil {
		t.Fatal(err)
	}
	if len(u.Samples) != 2 || u.Samples[0].CPUPct != 20 || u.Samples[1].CPUPct != 21 || u.Truncated {
		t.Errorf("default window: %+v", u)
	}
	if u.EndTime != float64(now.Unix()) || u.StartTime != float64(now.Add(-console.DefaultUsageWindow).Unix()) {
		t.Errorf("default window %v..%v, want the 7 days before now", u.StartTime, u.EndTime)
	}
	// Only the second sample; and a window before the data.
	if u, err := svc.ServerUsage(t.Context(), account, console.UsageInput{ServerID: server, StartTime: sec(t0.Add(time.Minute))}); err != nil || len(u.Samples) != 1 {
		t.Errorf("from t0+1m: %v %+v", err, u)
	}
	if u, err := svc.ServerUsage(t.Context(), account, console.UsageInput{ServerID: server, EndTime: sec(t0.Add(-time.Minute))}); err != nil || len(u.Samples) != 0 {
		t.Errorf("the 7 days before the data: %v %+v", err, u)
	}
	var de *discovery.Error
	if _, err := svc.ServerUsage(t.Context(), "222222222222", console.UsageInput{ServerID: server}); !errors.As(err, &de) || de.Code != discovery.ResourceNotFound {
		t.Errorf("another account: %v, want ResourceNotFoundException", err)
	}
	for _, in := range []console.UsageInput{
		{ServerID: "d-process-0123456789abcdef0"},
		{ServerID: server, StartTime: sec(now.Add(time.Hour))},
		{ServerID: server, StartTime: sec(now.Add(-91 * 24 * time.Hour))},
	} {
		if _, err := svc.ServerUsage(t.Context(), account, in); !errors.As(err, &de) || de.Code != discovery.InvalidParameterValue {
			t.Errorf("%+v: %v, want InvalidParameterValueException", in, err)
		}
	}
}

func TestServerUsageIsBounded(t *testing.T) {
	s := fleet(t)
	// 10,001 samples a minute apart after the fleet's: one more than a read returns.
	s.Exec(t, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
		INSERT INTO perf_samples SELECT ?, ?, ? + i * 60000, 0,0,0,0,0,0, 1,1,1,1,1, 5, 1,1, 1,1 FROM n`,
		console.MaxUsageSamples+1, account, agentID(1), t0.Add(time.Hour).UnixMilli())
	end := t0.Add(time.Hour + time.Duration(console.MaxUsageSamples+1)*time.Minute)
	svc := console.New(s, func() time.Time { return end })
	u, err := svc.ServerUsage(t.Context(), account, console.UsageInput{ServerID: discovery.ServerID(account, agentID(1))})
	if err != nil {
		t.Fatal(err)
	}
	if len(u.Samples) != console.MaxUsageSamples || !u.Truncated || u.Samples[0].TimeMs != t0.UnixMilli() {
		t.Errorf("%d samples from %d, truncated %v; want the oldest %d, truncated", len(u.Samples), u.Samples[0].TimeMs, u.Truncated, console.MaxUsageSamples)
	}
}

func TestNetworkMap(t *testing.T) {
	s := fleet(t)
	svc := console.New(s, time.Now)
	m, err := svc.NetworkMap(t.Context(), account)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Nodes) != 3 || len(m.Edges) != 2 || m.NodesTruncated || m.EdgesTruncated {
		t.Fatalf("map %+v, want 3 nodes and 2 edges", m)
	}
	// A server gone (its row deleted, its connections left): no edge to it.
	s.Exec(t, `DELETE FROM servers WHERE account_id = ? AND server_id = ?`, account, discovery.ServerID(account, agentID(3)))
	if m, err = svc.NetworkMap(t.Context(), account); err != nil || len(m.Nodes) != 2 || len(m.Edges) != 1 {
		t.Errorf("after a server went: %v %+v, want 2 nodes and 1 edge", err, m)
	}
	// More servers than the map holds: the first MaxMapNodes, and only the
	// edges between them.
	s.Exec(t, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
		INSERT INTO servers (account_id, server_id, created_ms, updated_ms) SELECT ?, printf('d-server-0%016x', i), 0, 0 FROM n`,
		console.MaxMapNodes, account)
	m, err = svc.NetworkMap(t.Context(), account)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Nodes) != console.MaxMapNodes || !m.NodesTruncated || len(m.Edges) != 0 {
		t.Errorf("%d nodes (truncated %v), %d edges; want %d, truncated, and no edge to a server not shown",
			len(m.Nodes), m.NodesTruncated, len(m.Edges), console.MaxMapNodes)
	}
}
