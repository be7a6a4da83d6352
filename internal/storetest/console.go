package storetest

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/poseidon-ads/poseidon/internal/console"
	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// The console's reads: UsageSamples, MapNodes and MapEdges.
var consoleTests = []test{
	tc("UsageSamples", testUsageSamples),
	tc("MapNodesAndEdges", testMapNodesAndEdges),
	tc("ConsoleReadsArePerAccount", testConsolePerAccount),
}

// consoleStore is what the console tests use: the fleet's intake and
// applications, and the console's reads.
type consoleStore interface {
	Accounts
	fleetStore
	console.Store
}

func testUsageSamples(t *testing.T, s consoleStore) {
	seedFleet(t, s, acctA)
	c := ctx(t)
	s1 := serverOf(acctA, 1)
	whole := discovery.UsageQuery{Account: acctA, ServerID: s1, From: at(0).UnixMilli(), To: at(1).UnixMilli()}
	got := ok(s.UsageSamples(c, whole))(t)
	want := []discovery.UsageSample{sampleOf(1, 0), sampleOf(1, 1)}
	if !slices.Equal(got, want) {
		t.Fatalf("samples %+v, want %+v", got, want)
	}
	for _, tc := range []struct {
		name string
		q    discovery.UsageQuery
		want []discovery.UsageSample
	}{
		{"the first step alone", discovery.UsageQuery{From: at(-4).UnixMilli(), To: at(0).UnixMilli()}, want[:1]},
		{"the second step alone", discovery.UsageQuery{From: at(0).UnixMilli() + 1, To: at(9).UnixMilli()}, want[1:]},
		{"limit 1", discovery.UsageQuery{From: whole.From, To: whole.To, Limit: 1}, want[:1]},
		{"before the data", discovery.UsageQuery{From: at(-9).UnixMilli(), To: at(-1).UnixMilli()}, nil},
	} {
		tc.q.Account, tc.q.ServerID = acctA, s1
		if got := ok(s.UsageSamples(c, tc.q))(t); !slices.Equal(got, tc.want) {
			t.Errorf("%s: samples %+v, want %+v", tc.name, got, tc.want)
		}
	}
	if _, err := s.UsageSamples(c, discovery.UsageQuery{Account: acctA, ServerID: "d-server-unknown", From: whole.From, To: whole.To}); !errors.Is(err, discovery.ErrNotFound) {
		t.Errorf("an unknown server: err %v, want ErrNotFound", err)
	}
}

// sampleOf is the sample of agent n's report at step (report's Performance).
func sampleOf(n, step int) discovery.UsageSample {
	r := report(n, step)
	p := r.Performance
	return discovery.UsageSample{TimeMs: at(step).UnixMilli(), CPUPct: p.CPUUsagePct, TotalRAMMB: r.Server.TotalRAMMB,
		FreeRAMMB: p.FreeRAMMB, DiskSizeGB: r.Server.TotalDiskGB, DiskFreeGB: p.DiskFreeGB, DiskReadKBps: p.DiskReadKBps,
		DiskWriteKBps: p.DiskWriteKBps, NetReadKBps: p.NetworkReadKBps, NetWriteKBps: p.NetworkWriteKBps}
}

func testMapNodesAndEdges(t *testing.T, s consoleStore) {
	inventoryFleet(t, s, acctA)
	c := ctx(t)
	node := func(n int, app, name string) discovery.MapNode {
		return discovery.MapNode{ServerID: serverOf(acctA, n), HostName: hostName(n), ApplicationID: app, ApplicationName: name}
	}
	// Server 2 is in shop and crm: it is grouped under the smaller ID, shop's.
	want := []discovery.MapNode{node(1, appID(1), "shop"), node(2, appID(1), "shop"), node(3, "", ""), node(4, "", "")}
	slices.SortFunc(want, func(a, b discovery.MapNode) int { return strings.Compare(a.ServerID, b.ServerID) })
	if got := ok(s.MapNodes(c, acctA, 10))(t); !slices.Equal(got, want) {
		t.Errorf("nodes %+v, want %+v", got, want)
	}
	if got := ok(s.MapNodes(c, acctA, 2))(t); !slices.Equal(got, want[:2]) {
		t.Errorf("nodes, limit 2: %+v, want %+v", got, want[:2])
	}
	// 1 -> 2 on 5432 and 8080, twice each; 2 -> 3 on 6379, twice. The
	// connections to and from addresses of no server are no edges.
	s1, s2, s3 := serverOf(acctA, 1), serverOf(acctA, 2), serverOf(acctA, 3)
	edges := []discovery.MapEdge{{Source: s1, Destination: s2, Traffic: 4, Ports: 2}, {Source: s2, Destination: s3, Traffic: 2, Ports: 1}}
	if got := ok(s.MapEdges(c, acctA, 10))(t); !slices.Equal(got, edges) {
		t.Errorf("edges %+v, want %+v", got, edges)
	}
	if got := ok(s.MapEdges(c, acctA, 1))(t); !slices.Equal(got, edges[:1]) {
		t.Errorf("edges, limit 1: %+v, want %+v (the most traffic first)", got, edges[:1])
	}
}

func testConsolePerAccount(t *testing.T, s consoleStore) {
	inventoryFleet(t, s, acctA)
	c := ctx(t)
	if got := ok(s.MapNodes(c, acctB, 10))(t); len(got) != 0 {
		t.Errorf("B's map has %d of A's servers", len(got))
	}
	if got := ok(s.MapEdges(c, acctB, 10))(t); len(got) != 0 {
		t.Errorf("B's map has %d of A's edges", len(got))
	}
	_, err := s.UsageSamples(c, discovery.UsageQuery{Account: acctB, ServerID: serverOf(acctA, 1), From: at(0).UnixMilli(), To: at(1).UnixMilli()})
	if !errors.Is(err, discovery.ErrNotFound) {
		t.Errorf("B reads A's server's samples: err %v, want ErrNotFound", err)
	}
}
