package storetest

import (
	"cmp"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/poseidon-ads/poseidon/internal/agentdata"
	"github.com/poseidon-ads/poseidon/internal/agents"
	"github.com/poseidon-ads/poseidon/internal/applications"
	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/inventory"
	"github.com/poseidon-ads/poseidon/internal/tags"
)

// The inventory read side: ListItems (each item type, each filter field and
// condition, orders and keyset cursors), DescribeServers, ListNeighbors,
// CountNeighbors and Summary.
var inventoryTests = []test{
	tc("ListEachItemType", testListItemTypes),
	tc("ServerFilters", testServerFilters),
	tc("ProcessConnectionAndApplicationFilters", testOtherFilters),
	tc("ListInKeysetPagesOfEveryOrder", testItemPages),
	tc("ListPagesStableUnderInserts", testItemPagesUnderInserts),
	tc("ListAndFindLongValues", testItemsOfLongValues),
	tc("DescribeServers", testDescribeServers),
	tc("DescribeServersCapsLists", testDescribeServersCap),
	tc("Neighbors", testNeighbors),
	tc("Summary", testSummary),
	tc("InventoryIsPerAccount", testInventoryPerAccount),
}

// inventoryFleet is the fleet of account with three applications (shop: the
// servers of agents 1 and 2; crm: agent 2's; empty) and tags (agent 1's
// server env=prod and team=web, agent 2's env=dev, shop's owner=me).
func inventoryFleet(t *testing.T, s fleetStore, account string) {
	t.Helper()
	seedFleet(t, s, account)
	c := ctx(t)
	newApp(t, s, account, appID(1), "shop")
	newApp(t, s, account, appID(2), "crm")
	newApp(t, s, account, appID(3), "empty")
	must(t, s.AssociateServers(c, account, appID(1), []string{serverOf(account, 1), serverOf(account, 2)}, t0, allowMembership))
	must(t, s.AssociateServers(c, account, appID(2), []string{serverOf(account, 2)}, t0, allowMembership))
	addTags(t, s, account, []string{serverOf(account, 1)}, discovery.Tag{Key: "env", Value: "prod"}, discovery.Tag{Key: "team", Value: "web"})
	addTags(t, s, account, []string{serverOf(account, 2)}, discovery.Tag{Key: "env", Value: "dev"})
	addTags(t, s, account, []string{appID(1)}, discovery.Tag{Key: "owner", Value: "me"})
}

// itemIDs are the configuration IDs of items, each of its type's field.
func itemIDs(items []discovery.Item) []string {
	return keys(items, func(it discovery.Item) string {
		switch {
		case it.Server != nil:
			return it.Server.ID
		case it.Process != nil:
			return it.Process.ID
		case it.Connection != nil:
			return it.Connection.ID
		case it.Application != nil:
			return it.Application.ID
		}
		return "<empty item>"
	})
}

// connKey names a connection by its ends: "source>destination:port".
func connKey(c *discovery.Connection) string {
	return fmt.Sprintf("%s>%s:%d", c.SourceIP, c.DestinationIP, c.DestinationPort)
}

func list(t *testing.T, s inventory.Store, q discovery.ItemQuery) []discovery.Item {
	t.Helper()
	return ok(s.ListItems(ctx(t), q))(t)
}

func testListItemTypes(t *testing.T, s Store) {
	inventoryFleet(t, s, acctA)
	s1, s2, s3, s4 := serverOf(acctA, 1), serverOf(acctA, 2), serverOf(acctA, 3), serverOf(acctA, 4)
	p1, p2 := processOf(acctA, 1), processOf(acctA, 2)

	servers := list(t, s, discovery.ItemQuery{Account: acctA, Type: discovery.TypeServer})
	sameLines(t, "servers by ID", itemIDs(servers), slices.Sorted(slices.Values([]string{s1, s2, s3, s4})))
	for _, it := range servers {
		v := it.Server
		n := map[string]int{s1: 1, s2: 2, s3: 3, s4: 4}[v.ID]
		os, typ := "Linux", "OTHER"
		switch n {
		case 3:
			typ = "VMWARE_VM"
		case 4:
			os = "Windows"
		}
		if v.AgentID != agentID(n) || v.HostName != hostName(n) || v.OSName != os || v.OSVersion != "6.1" || v.Type != typ || !v.Created.Equal(at(0)) {
			t.Errorf("server %d = %+v", n, *v)
		}
		if it.Cursor.ID != v.ID || len(it.Cursor.Keys) != 0 {
			t.Errorf("server %d cursor = %+v", n, it.Cursor)
		}
	}

	procs := list(t, s, discovery.ItemQuery{Account: acctA, Type: discovery.TypeProcess})
	sameLines(t, "processes by ID", itemIDs(procs), slices.Sorted(slices.Values([]string{p1, p2})))
	for _, it := range procs {
		v := it.Process
		want := discovery.Process{ID: p1, ServerID: s1, AgentID: agentID(1), Name: "nginx", CommandLine: nginxCmd, Path: "/usr/sbin/nginx"}
		if v.ID == p2 {
			want = discovery.Process{ID: p2, ServerID: s2, AgentID: agentID(2), Name: "postgres", CommandLine: postgresCmd, Path: "/usr/lib/postgresql/bin/postgres"}
		}
		want.Created = v.Created
		if *v != want || !v.Created.Equal(at(0)) {
			t.Errorf("process = %+v, want %+v created %v", *v, want, at(0))
		}
	}

	type conn = discovery.Connection
	wantConns := map[string]conn{
		agentIP(1) + ">" + agentIP(2) + ":5432": {SourceIP: agentIP(1), DestinationIP: agentIP(2), DestinationPort: 5432, TransportProtocol: "tcp",
			SourceServerID: s1, SourceServerHost: hostName(1), DestServerID: s2, DestServerHost: hostName(2), SourceProcessID: p1, SourceProcessName: "nginx"},
		agentIP(1) + ">" + agentIP(2) + ":8080": {SourceIP: agentIP(1), DestinationIP: agentIP(2), DestinationPort: 8080, TransportProtocol: "tcp",
			SourceServerID: s1, SourceServerHost: hostName(1), DestServerID: s2, DestServerHost: hostName(2), SourceProcessID: p1, SourceProcessName: "nginx"},
		agentIP(1) + ">10.9.9.9:53": {SourceIP: agentIP(1), DestinationIP: "10.9.9.9", DestinationPort: 53, TransportProtocol: "udp",
			SourceServerID: s1, SourceServerHost: hostName(1)},
		agentIP(2) + ">" + agentIP(3) + ":6379": {SourceIP: agentIP(2), DestinationIP: agentIP(3), DestinationPort: 6379, TransportProtocol: "tcp",
			SourceServerID: s2, SourceServerHost: hostName(2), DestServerID: s3, DestServerHost: hostName(3), SourceProcessID: p2, SourceProcessName: "postgres"},
		"10.8.8.8>" + agentIP(3) + ":22": {SourceIP: "10.8.8.8", DestinationIP: agentIP(3), DestinationPort: 22, TransportProtocol: "tcp",
			DestServerID: s3, DestServerHost: hostName(3)},
	}
	conns := list(t, s, discovery.ItemQuery{Account: acctA, Type: discovery.TypeConnection})
	if len(conns) != len(wantConns) {
		t.Fatalf("%d connections, want %d", len(conns), len(wantConns))
	}
	var ids []string
	for _, it := range conns {
		v := *it.Connection
		ids = append(ids, v.ID)
		if !strings.HasPrefix(v.ID, discovery.ConnectionPrefix) {
			t.Errorf("connection ID %q", v.ID)
		}
		want, found := wantConns[connKey(&v)]
		want.ID, want.IPVersion, want.Occurrence, want.Latest = v.ID, "IPv4", 2, v.Latest
		if !found || v != want || !v.Latest.Equal(at(1)) {
			t.Errorf("connection %s =\n  %+v\nwant %+v latest %v", connKey(&v), v, want, at(1))
		}
	}
	if !slices.IsSorted(ids) {
		t.Errorf("connections not in ID order: %v", ids)
	}
	// A connection is found by its configuration ID.
	one := list(t, s, discovery.ItemQuery{Account: acctA, Type: discovery.TypeConnection, IDs: []string{ids[2]}})
	sameLines(t, "a connection by ID", itemIDs(one), ids[2:3])

	apps := list(t, s, discovery.ItemQuery{Account: acctA, Type: discovery.TypeApplication})
	sameLines(t, "applications by ID", itemIDs(apps), []string{appID(1), appID(2), appID(3)})
	for i, it := range apps {
		v := it.Application
		name := []string{"shop", "crm", "empty"}[i]
		if v.Name != name || v.Description != "about "+name || v.ServerCount != []int64{2, 1, 0}[i] || !v.Created.Equal(t0) || !v.Updated.Equal(t0) {
			t.Errorf("application %d = %+v", i+1, *v)
		}
	}
}

// filterCase is a query's predicates and the items it keeps, by short
// name.
type filterCase struct {
	name  string
	where []discovery.Predicate
	ids   []string // IDs to keep only (nil: all)
	want  []string
}

type pred = discovery.Predicate

// multiFields are the fields with a list of values per item (query.go
// marks them "(list)").
var multiFields = map[discovery.Field]bool{
	discovery.FieldServerNICIPAddress: true, discovery.FieldServerNICMACAddress: true,
	discovery.FieldServerTagValue: true, discovery.FieldServerTagKey: true,
	discovery.FieldServerApplicationName: true, discovery.FieldServerApplicationDescription: true, discovery.FieldServerApplicationID: true,
	discovery.FieldServerProcessID: true, discovery.FieldServerProcessName: true, discovery.FieldServerProcessCommandLine: true,
	discovery.FieldApplicationServerID: true,
}

// text is the predicate "one value (AnyMatch) or none (NoMatch) of f
// matches one of vals".
func text(f discovery.Field, m discovery.Match, q discovery.Quantifier, fold bool, vals ...string) pred {
	if vals == nil {
		vals = []string{}
	}
	return pred{Field: f, Multi: multiFields[f], Match: m, Quant: q, Fold: fold, Text: vals}
}

// is, isNot, has and hasNot are the predicates of ListConfigurations'
// EQUALS (exact), NOT_EQUALS, CONTAINS (ignoring case) and NOT_CONTAINS.
func is(f discovery.Field, vals ...string) pred {
	return text(f, discovery.MatchEqual, discovery.AnyMatch, false, vals...)
}
func isNot(f discovery.Field, vals ...string) pred {
	return text(f, discovery.MatchEqual, discovery.NoMatch, false, vals...)
}
func has(f discovery.Field, vals ...string) pred {
	return text(f, discovery.MatchContains, discovery.AnyMatch, true, vals...)
}
func hasNot(f discovery.Field, vals ...string) pred {
	return text(f, discovery.MatchContains, discovery.NoMatch, true, vals...)
}

// folded and exact set whether p ignores the case of ASCII letters.
func folded(p pred) pred { p.Fold = true; return p }
func exact(p pred) pred  { p.Fold = false; return p }

// num compares f as a number with x.
func num(f discovery.Field, m discovery.Match, x float64) pred {
	return pred{Field: f, Match: m, Quant: discovery.AnyMatch, Nums: []float64{x}}
}

// none negates p.
func none(p pred) pred { p.Quant = discovery.NoMatch; return p }

// ints compares f as an integer with vals.
func ints(f discovery.Field, m discovery.Match, q discovery.Quantifier, vals ...int64) pred {
	return pred{Field: f, Match: m, Quant: q, Ints: vals}
}

// where is a list of predicates.
func where(ps ...pred) []pred { return ps }

// times repeats p n times.
func times(n int, p pred) []pred {
	out := make([]pred, n)
	for i := range out {
		out[i] = p
	}
	return out
}

// runFilters lists typ under each case and compares the short names of
// the items (name maps an item's configuration ID to it), in ID order.
func runFilters(t *testing.T, s inventory.Store, typ discovery.ItemType, name func(discovery.Item) string, cases []filterCase) {
	t.Helper()
	for _, tc := range cases {
		items, err := s.ListItems(ctx(t), discovery.ItemQuery{Account: acctA, Type: typ, Where: tc.where, IDs: tc.ids})
		if err != nil {
			t.Errorf("%s %s: %v", typ, tc.name, err)
			continue
		}
		got := keys(items, name)
		slices.Sort(got)
		want := slices.Sorted(slices.Values(tc.want))
		if !slices.Equal(got, want) {
			t.Errorf("%s %s: got %v, want %v", typ, tc.name, got, want)
		}
	}
}

func testServerFilters(t *testing.T, s Store) {
	inventoryFleet(t, s, acctA)
	inventoryFleet(t, s, acctB) // matches nothing of A's lists
	srv := func(it discovery.Item) string { return it.Server.HostName }
	const (
		host = discovery.FieldServerHostName
		cpu  = discovery.FieldServerAvgCPUPct
		ram  = discovery.FieldServerAvgFreeRAMKB
		disk = discovery.FieldServerDiskFreeKB
		key  = discovery.FieldServerTagKey
		ge   = discovery.MatchAtLeast
		le   = discovery.MatchAtMost
		gt   = discovery.MatchAbove
		lt   = discovery.MatchBelow
	)
	h1, h2, h3, h4 := hostName(1), hostName(2), hostName(3), hostName(4)
	all := []string{h1, h2, h3, h4}
	var absent []string
	for i := range 1200 {
		absent = append(absent, fmt.Sprintf("absent-%d", i))
	}
	// Average CPU use is 10n + 0.5 percent (samples 10n and 10n + 1), free
	// RAM 1000.5 MB, free disk 100 GB.
	runFilters(t, s, discovery.TypeServer, srv, []filterCase{
		{"no predicate", nil, nil, all},
		{"configuration ID", where(is(discovery.FieldServerID, serverOf(acctA, 2))), nil, []string{h2}},
		{"equal, values OR-ed", where(is(host, h1, h3)), nil, []string{h1, h3}},
		{"equal is exact", where(is(host, "HOST-01")), nil, nil},
		{"equal, folded", where(folded(is(host, "HOST-01", "Host-03"))), nil, []string{h1, h3}},
		{"no value equal", where(isNot(host, h1)), nil, []string{h2, h3, h4}},
		{"no value equal, none of the values", where(isNot(host, h1, h4)), nil, []string{h2, h3}},
		{"contains, folded", where(has(host, "HOST-0")), nil, all},
		{"contains, exact", where(exact(has(host, "HOST-0"))), nil, nil},
		{"contains, exact, matching", where(exact(has(host, "st-0"))), nil, all},
		{"contains, values OR-ed", where(has(host, "-01", "-04")), nil, []string{h1, h4}},
		{"contains takes values literally", where(has(host, "host_0", "%", "host-0*", "[h]")), nil, nil},
		{"contains nothing takes values literally", where(hasNot(host, "host_0", "%")), nil, all},
		{"contains nothing", where(hasNot(discovery.FieldServerOSName, "WIN")), nil, []string{h1, h2, h3}},
		{"no values: AnyMatch never holds", where(is(host)), nil, nil},
		{"no values: NoMatch always holds", where(isNot(host)), nil, all},
		{"no values on a list: AnyMatch never holds", where(has(key)), nil, nil},
		{"no values on a list: NoMatch always holds", where(hasNot(key)), nil, all},
		{"os version", where(is(discovery.FieldServerOSVersion, "6.1")), nil, all},
		{"type", where(is(discovery.FieldServerType, "VMWARE_VM")), nil, []string{h3}},
		{"agent", where(is(discovery.FieldServerAgentID, agentID(4))), nil, []string{h4}},
		{"connector", where(is(discovery.FieldServerConnectorID, "conn-1")), nil, []string{h3}},
		{"no connector", where(isNot(discovery.FieldServerConnectorID, "conn-1")), nil, []string{h1, h2, h4}},
		{"VMware moref", where(is(discovery.FieldServerVMMoRefID, "vm-3")), nil, []string{h3}},
		{"VMware vCenter", where(has(discovery.FieldServerVCenterID, "VC")), nil, []string{h3}},
		{"VMware host", where(is(discovery.FieldServerVMHostID, "host-9")), nil, []string{h3}},
		{"port group (not collected)", where(is(discovery.FieldServerPortGroupName, "")), nil, all},
		{"port group ID (not collected)", where(is(discovery.FieldServerPortGroupID, "")), nil, all},
		{"virtual switch (not collected)", where(isNot(discovery.FieldServerVirtualSwitchName, "")), nil, nil},
		{"an interface's IP", where(is(discovery.FieldServerNICIPAddress, agentIP(2), "10.99.0.1")), nil, []string{h2}},
		{"no interface's IP", where(hasNot(discovery.FieldServerNICIPAddress, agentIP(1))), nil, []string{h2, h3, h4}},
		{"an interface's MAC", where(has(discovery.FieldServerNICMACAddress, ":00:03")), nil, []string{h3}},
		{"tag key", where(is(key, "env")), nil, []string{h1, h2}},
		{"tag value", where(is(discovery.FieldServerTagValue, "prod")), nil, []string{h1}},
		{"tag value, folded", where(folded(is(discovery.FieldServerTagValue, "PROD"))), nil, []string{h1}},
		{"no tag key", where(isNot(key, "team")), nil, []string{h2, h3, h4}},
		{"application name", where(is(discovery.FieldServerApplicationName, "crm")), nil, []string{h2}},
		{"application description", where(has(discovery.FieldServerApplicationDescription, "SHOP")), nil, []string{h1, h2}},
		{"application ID", where(is(discovery.FieldServerApplicationID, appID(1))), nil, []string{h1, h2}},
		{"no application", where(isNot(discovery.FieldServerApplicationID, appID(1), appID(2))), nil, []string{h3, h4}},
		{"process ID", where(is(discovery.FieldServerProcessID, processOf(acctA, 2))), nil, []string{h2}},
		{"process name", where(is(discovery.FieldServerProcessName, "nginx")), nil, []string{h1}},
		{"process command line", where(has(discovery.FieldServerProcessCommandLine, "-d /VAR")), nil, []string{h2}},
		{"CPU >= 20", where(num(cpu, ge, 20)), nil, []string{h2, h3, h4}},
		{"CPU >= 20.5", where(num(cpu, ge, 20.5)), nil, []string{h2, h3, h4}},
		{"CPU > 20.5", where(num(cpu, gt, 20.5)), nil, []string{h3, h4}},
		{"CPU <= 20.5", where(num(cpu, le, 20.5)), nil, []string{h1, h2}},
		{"CPU < 20.5", where(num(cpu, lt, 20.5)), nil, []string{h1}},
		{"CPU not > 20.5", where(none(num(cpu, gt, 20.5))), nil, []string{h1, h2}},
		{"free RAM >= its average", where(num(ram, ge, 1000.5*1024)), nil, all},
		{"free RAM > its average", where(num(ram, gt, 1000.5*1024)), nil, nil},
		{"free disk <= 100 GB", where(num(disk, le, 100.0*1024*1024)), nil, all},
		{"free disk < 100 GB", where(num(disk, lt, 100.0*1024*1024)), nil, nil},
		{"predicates AND-ed", where(has(host, "host"), is(key, "env")), nil, []string{h1, h2}},
		{"two equals on one field: both hold", where(is(host, h1, h2), is(host, h2, h3)), nil, []string{h2}},
		{"two disjoint equals", where(is(host, h1), is(host, h2)), nil, nil},
		{"two contains on one field", where(has(host, "HOST"), has(host, "-01", "-02")), nil, []string{h1, h2}},
		{"two no-value-equal on one field", where(isNot(host, h1), isNot(host, h2)), nil, []string{h3, h4}},
		{"two lower bounds: both hold", where(num(cpu, ge, 15), num(cpu, ge, 25)), nil, []string{h3, h4}},
		{"two upper bounds: both hold", where(num(cpu, lt, 45), num(cpu, lt, 25)), nil, []string{h1, h2}},
		{"a range", where(num(cpu, gt, 15), num(cpu, lt, 35)), nil, []string{h2, h3}},
		{"two equals on a list: each its own value", where(is(key, "env"), is(key, "team")), nil, []string{h1}},
		{"a predicate repeated", where(is(host, h1, h2), is(host, h1, h2)), nil, []string{h1, h2}},
		{"more values than a statement has parameters", where(is(host, longList(h2)...)), nil, []string{h2}},
		{"more values on a list than a statement has parameters", where(is(discovery.FieldServerNICIPAddress, longList(agentIP(3))...)), nil, []string{h3}},
		{"more predicates than SQLite nests expressions", append(times(1200, has(host, "HOST")), isNot(host, h4)), nil, []string{h1, h2, h3}},
		{"as many different predicates", func() []pred {
			var ps []pred
			for _, v := range absent {
				ps = append(ps, isNot(host, v), hasNot(key, v))
			}
			return append(ps, is(host, h1, h3))
		}(), nil, []string{h1, h3}},
		{"IDs and a predicate", where(has(host, "host")), []string{serverOf(acctA, 1), serverOf(acctA, 3), serverOf(acctB, 2)}, []string{h1, h3}},
		{"no IDs", nil, []string{}, nil},
		{"more IDs than a statement has parameters", nil, longList(serverOf(acctA, 4)), []string{h4}},
	})
}

func testOtherFilters(t *testing.T, s Store) {
	inventoryFleet(t, s, acctA)
	inventoryFleet(t, s, acctB)
	proc := func(it discovery.Item) string { return it.Process.Name }
	runFilters(t, s, discovery.TypeProcess, proc, []filterCase{
		{"no predicate", nil, nil, []string{"nginx", "postgres"}},
		{"ID", where(is(discovery.FieldProcessID, processOf(acctA, 2))), nil, []string{"postgres"}},
		{"name", where(is(discovery.FieldProcessName, "postgres")), nil, []string{"postgres"}},
		{"command line", where(has(discovery.FieldProcessCommandLine, "DAEMON")), nil, []string{"nginx"}},
		{"not command line", where(hasNot(discovery.FieldProcessCommandLine, "daemon")), nil, []string{"postgres"}},
		{"server", where(is(discovery.FieldProcessServerID, serverOf(acctA, 1))), nil, []string{"nginx"}},
		{"server host", where(is(discovery.FieldProcessServerHostName, hostName(2))), nil, []string{"postgres"}},
		{"server OS", where(has(discovery.FieldProcessServerOSName, "linux")), nil, []string{"nginx", "postgres"}},
		{"server OS version", where(isNot(discovery.FieldProcessServerOSVersion, "6.1")), nil, nil},
		{"server agent", where(is(discovery.FieldProcessAgentID, agentID(1))), nil, []string{"nginx"}},
		{"IDs", nil, []string{processOf(acctA, 1), processOf(acctB, 2)}, []string{"nginx"}},
	})
	conn := func(it discovery.Item) string { return connKey(it.Connection) }
	c12, c12b, c1x, c23, cx3 := conn12, conn12b, conn1x, conn23, connX3
	const (
		port = discovery.FieldConnectionDestinationPort
		some = discovery.AnyMatch
		no   = discovery.NoMatch
	)
	runFilters(t, s, discovery.TypeConnection, conn, []filterCase{
		{"no predicate", nil, nil, []string{c12, c12b, c1x, c23, cx3}},
		{"port", where(ints(port, discovery.MatchEqual, some, 5432, 22)), nil, []string{c12, cx3}},
		{"not port", where(ints(port, discovery.MatchEqual, no, 5432, 8080)), nil, []string{c1x, c23, cx3}},
		{"port at least", where(ints(port, discovery.MatchAtLeast, some, 6379)), nil, []string{c12b, c23}},
		{"port below", where(ints(port, discovery.MatchBelow, some, 53)), nil, []string{cx3}},
		{"no ports", where(ints(port, discovery.MatchEqual, some)), nil, nil},
		{"source IP", where(is(discovery.FieldConnectionSourceIP, agentIP(1))), nil, []string{c12, c12b, c1x}},
		{"destination IP", where(has(discovery.FieldConnectionDestinationIP, "10.9.")), nil, []string{c1x}},
		{"source server", where(is(discovery.FieldConnectionSourceServerID, serverOf(acctA, 2))), nil, []string{c23}},
		{"source server host", where(is(discovery.FieldConnectionSourceServerHostName, hostName(1))), nil, []string{c12, c12b, c1x}},
		{"source server agent", where(is(discovery.FieldConnectionSourceServerAgentID, agentID(2))), nil, []string{c23}},
		{"source server OS", where(is(discovery.FieldConnectionSourceServerOSName, "")), nil, []string{cx3}},
		{"source server OS version", where(has(discovery.FieldConnectionSourceServerOSVersion, "6.")), nil, []string{c12, c12b, c1x, c23}},
		{"destination server", where(is(discovery.FieldConnectionDestinationServerID, serverOf(acctA, 3))), nil, []string{c23, cx3}},
		{"destination server host", where(isNot(discovery.FieldConnectionDestinationServerHostName, "")), nil, []string{c12, c12b, c23, cx3}},
		{"destination server OS", where(is(discovery.FieldConnectionDestinationServerOSName, "Linux")), nil, []string{c12, c12b, c23, cx3}},
		{"destination server OS version", where(is(discovery.FieldConnectionDestinationServerOSVersion, "6.1")), nil, []string{c12, c12b, c23, cx3}},
		{"destination server agent", where(is(discovery.FieldConnectionDestinationServerAgentID, agentID(2))), nil, []string{c12, c12b}},
		{"source process", where(is(discovery.FieldConnectionSourceProcessID, processOf(acctA, 2))), nil, []string{c23}},
		{"source process name", where(is(discovery.FieldConnectionSourceProcessName, "nginx")), nil, []string{c12, c12b}},
		{"source process command line", where(has(discovery.FieldConnectionSourceProcessCommandLine, "postgres")), nil, []string{c23}},
		{"destination process", where(is(discovery.FieldConnectionDestinationProcessID, "")), nil, []string{c12, c12b, c1x, c23, cx3}},
		{"destination process name", where(isNot(discovery.FieldConnectionDestinationProcessName, "")), nil, nil},
		{"destination process command line", where(has(discovery.FieldConnectionDestinationProcessCommandLine, "x")), nil, nil},
		{"port and source", where(ints(port, discovery.MatchEqual, some, 8080), is(discovery.FieldConnectionSourceIP, agentIP(1))), nil, []string{c12b}},
	})
	app := func(it discovery.Item) string { return it.Application.Name }
	runFilters(t, s, discovery.TypeApplication, app, []filterCase{
		{"no predicate", nil, nil, []string{"shop", "crm", "empty"}},
		{"ID", where(is(discovery.FieldApplicationID, appID(2))), nil, []string{"crm"}},
		{"name", where(has(discovery.FieldApplicationName, "SH")), nil, []string{"shop"}},
		{"description", where(hasNot(discovery.FieldApplicationDescription, "crm")), nil, []string{"shop", "empty"}},
		{"a server", where(is(discovery.FieldApplicationServerID, serverOf(acctA, 2))), nil, []string{"shop", "crm"}},
		{"not a server", where(isNot(discovery.FieldApplicationServerID, serverOf(acctA, 1))), nil, []string{"crm", "empty"}},
		{"IDs", nil, []string{appID(3), appID(1), appID(9)}, []string{"shop", "empty"}},
	})
}

// itemCursor returns c as it comes back from a page token: the inventory
// service turns integral JSON numbers back into int64.
func itemCursor(t *testing.T, c discovery.ItemCursor) discovery.ItemCursor {
	t.Helper()
	out := viaToken(t, c)
	for i, k := range out.Keys {
		if f, ok := k.(float64); ok && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			out.Keys[i] = int64(f)
		}
	}
	return out
}

// itemPages reads q to the end, limit items a page.
func itemPages(t *testing.T, s inventory.Store, q discovery.ItemQuery, limit int) []discovery.Item {
	t.Helper()
	q.Limit = limit
	var out []discovery.Item
	for range 1000 {
		p := list(t, s, q)
		if len(p) > limit {
			t.Fatalf("page of %d, limit %d", len(p), limit)
		}
		out = append(out, p...)
		if len(p) < limit {
			return out
		}
		c := itemCursor(t, p[len(p)-1].Cursor)
		q.After = &c
	}
	t.Fatal("the list did not end")
	return nil
}

// itemRow is an item's ID and sort keys.
type itemRow struct {
	id   string
	keys []any
}

// sortRows orders rows as ListItems does: by the keys in their directions,
// then by ID in the direction of the last key.
func sortRows(rows []itemRow, desc []bool) []string {
	rows = slices.Clone(rows)
	slices.SortFunc(rows, func(a, b itemRow) int {
		for i := range a.keys {
			var c int
			switch x := a.keys[i].(type) {
			case string:
				c = strings.Compare(x, b.keys[i].(string))
			case int64:
				c = cmp.Compare(x, b.keys[i].(int64))
			}
			if desc[i] {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		c := strings.Compare(a.id, b.id)
		if len(desc) > 0 && desc[len(desc)-1] {
			c = -c
		}
		return c
	})
	return keys(rows, func(r itemRow) string { return r.id })
}

// pageServers takes in 24 agents whose host names repeat every 5 (h-0 to
// h-4) and whose OS alternates.
func pageServers(t *testing.T, s agents.Store, account string, ns ...int) []itemRow {
	t.Helper()
	var rs []agentdata.Report
	var rows []itemRow
	for _, n := range ns {
		r := report(n, 0)
		r.Server.HostName, r.Server.OSName = fmt.Sprintf("h-%d", n%5), []string{"Linux", "Windows"}[n%2]
		rs = append(rs, r)
		rows = append(rows, itemRow{id: serverOf(account, n), keys: []any{r.Server.HostName, r.Server.OSName}})
	}
	intake(t, s, account, rs...)
	return rows
}

func seq(from, to int) []int {
	var out []int
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

func testItemPages(t *testing.T, s Store) {
	c := ctx(t)
	rows := pageServers(t, s, acctA, seq(1, 24)...)
	pageServers(t, s, acctB, seq(1, 6)...)
	host := discovery.OrderKey{Field: discovery.FieldServerHostName}
	osDesc := discovery.OrderKey{Field: discovery.FieldServerOSName, Desc: true}
	for _, tc := range []struct {
		name  string
		order []discovery.OrderKey
		want  []string
	}{
		{"by ID", nil, sortRows(keysOnly(rows, 0), nil)},
		{"by host", []discovery.OrderKey{host}, sortRows(keysOnly(rows, 1), []bool{false})},
		{"by host, descending", []discovery.OrderKey{{Field: discovery.FieldServerHostName, Desc: true}}, sortRows(keysOnly(rows, 1), []bool{true})},
		{"by host, then OS descending", []discovery.OrderKey{host, osDesc}, sortRows(rows, []bool{false, true})},
		{"by OS descending, then host", []discovery.OrderKey{osDesc, host}, sortRows(swapped(rows), []bool{true, false})},
	} {
		all := list(t, s, discovery.ItemQuery{Account: acctA, Type: discovery.TypeServer, Order: tc.order})
		sameLines(t, tc.name+": one list", itemIDs(all), tc.want)
		for _, limit := range []int{1, 5, 24} {
			got := itemPages(t, s, discovery.ItemQuery{Account: acctA, Type: discovery.TypeServer, Order: tc.order}, limit)
			sameLines(t, fmt.Sprintf("%s: pages of %d", tc.name, limit), itemIDs(got), tc.want)
		}
	}

	// Numeric keys: applications by server count, descending, then name.
	var apps []itemRow
	for i := 1; i <= 12; i++ {
		name := fmt.Sprintf("app-%d", i%4)
		newApp(t, s, acctA, appID(i), name)
		var members []string
		for n := 1; n <= i%5; n++ {
			members = append(members, serverOf(acctA, n))
		}
		if len(members) > 0 {
			must(t, s.AssociateServers(c, acctA, appID(i), members, t0, allowMembership))
		}
		apps = append(apps, itemRow{id: appID(i), keys: []any{int64(len(members)), name}})
	}
	order := []discovery.OrderKey{{Field: discovery.FieldApplicationServerCount, Desc: true}, {Field: discovery.FieldApplicationName}}
	want := sortRows(apps, []bool{true, false})
	for _, limit := range []int{1, 5} {
		got := itemPages(t, s, discovery.ItemQuery{Account: acctA, Type: discovery.TypeApplication, Order: order}, limit)
		sameLines(t, fmt.Sprintf("applications by server count: pages of %d", limit), itemIDs(got), want)
	}
	// Times: by creation, newest first (all made at t0: the ID decides).
	got := itemPages(t, s, discovery.ItemQuery{Account: acctA, Type: discovery.TypeApplication,
		Order: []discovery.OrderKey{{Field: discovery.FieldApplicationCreated, Desc: true}}}, 5)
	sameLines(t, "applications by creation", itemIDs(got), sortRows(keysOnly(apps, 0), []bool{true}))
}

// keysOnly keeps the first n keys of each row.
func keysOnly(rows []itemRow, n int) []itemRow {
	out := make([]itemRow, len(rows))
	for i, r := range rows {
		out[i] = itemRow{id: r.id, keys: r.keys[:n]}
	}
	return out
}

// swapped swaps the two keys of each row.
func swapped(rows []itemRow) []itemRow {
	out := make([]itemRow, len(rows))
	for i, r := range rows {
		out[i] = itemRow{id: r.id, keys: []any{r.keys[1], r.keys[0]}}
	}
	return out
}

func testItemPagesUnderInserts(t *testing.T, s Store) {
	rows := pageServers(t, s, acctA, seq(1, 10)...)
	q := discovery.ItemQuery{Account: acctA, Type: discovery.TypeServer, Order: []discovery.OrderKey{{Field: discovery.FieldServerHostName}}, Limit: 4}
	first := list(t, s, q)
	sameLines(t, "first page", itemIDs(first), sortRows(keysOnly(rows, 1), []bool{false})[:4])
	// New servers on both sides of the cursor, and of its host name.
	rows = append(rows, pageServers(t, s, acctA, seq(11, 20)...)...)
	c := itemCursor(t, first[3].Cursor)
	q.After = &c
	rest := itemPages(t, s, q, 4)
	all := sortRows(keysOnly(rows, 1), []bool{false})
	sameLines(t, "pages after the inserts", itemIDs(rest), all[slices.Index(all, first[3].Cursor.ID)+1:])
}

// nicsOf drops the gateways, which DescribeServers need not fill.
func nicsOf(ns []discovery.NIC) []discovery.NIC {
	out := slices.Clone(ns)
	for i := range out {
		out[i].Gateway = ""
	}
	return out
}

func testDescribeServers(t *testing.T, s Store) {
	inventoryFleet(t, s, acctA)
	inventoryFleet(t, s, acctB)
	c := ctx(t)
	s1, s2, s3 := serverOf(acctA, 1), serverOf(acctA, 2), serverOf(acctA, 3)
	got := ok(s.DescribeServers(c, acctA, []string{s2, s1, "d-server-unknown", serverOf(acctB, 3), s1}))(t)
	got = sorted(got, func(d discovery.ServerDetail) string { return d.ID })
	if ids := keys(got, func(d discovery.ServerDetail) string { return d.ID }); !slices.Equal(ids, slices.Sorted(slices.Values([]string{s1, s2}))) {
		t.Fatalf("described %v, want %s and %s", ids, s1, s2)
	}
	for _, d := range got {
		n := map[string]int{s1: 1, s2: 2}[d.ID]
		if d.AgentID != agentID(n) || d.Source != "Agent" || d.HostName != hostName(n) || d.OSName != "Linux" || d.OSVersion != "6.1" ||
			d.CPUType != "x86_64" || d.Hypervisor != "kvm" || d.Type != "OTHER" || !d.Created.Equal(at(0)) ||
			d.NumCPUs != 2 || d.NumCores != 4 || d.NumDisks != 1 || d.NumNICs != 1 || d.TotalRAMMB != 16384 {
			t.Errorf("server %d = %+v", n, d.Server)
		}
		cpu := float64(n % 9 * 10)
		want := discovery.PerfAggregate{Samples: 2, CPUSum: 2*cpu + 1, CPUMax: cpu + 1, FreeRAMSum: 2001, FreeRAMMin: 1000, FreeRAMMinKnown: true,
			DiskReadKBpsSum: 10, DiskReadKBpsMax: 5, DiskWriteKBpsSum: 1, DiskWriteKBpsMax: 1, DiskReadOpsSum: 2, DiskReadOpsMax: 1,
			DiskWriteOpsSum: 4, DiskWriteOpsMax: 2, NetReadKBpsSum: 6, NetReadKBpsMax: 3, NetWriteKBpsSum: 8, NetWriteKBpsMax: 4}
		if d.Perf != want {
			t.Errorf("server %d performance = %+v\nwant %+v", n, d.Perf, want)
		}
		wantNICs := []discovery.NIC{{Name: "eth0", MACAddress: agentMAC(n), IPAddress: agentIP(n), NetMask: "255.255.255.0", Family: "IPv4"}}
		if !slices.Equal(nicsOf(d.NICs), wantNICs) {
			t.Errorf("server %d interfaces = %+v", n, d.NICs)
		}
		wantApps := map[int][]discovery.ApplicationRef{1: {{ID: appID(1), Name: "shop"}}, 2: {{ID: appID(2), Name: "crm"}, {ID: appID(1), Name: "shop"}}}[n]
		if !slices.Equal(d.Applications, wantApps) {
			t.Errorf("server %d applications = %+v, want %+v", n, d.Applications, wantApps)
		}
		wantTags := map[int][]discovery.Tag{1: {{Key: "env", Value: "prod"}, {Key: "team", Value: "web"}}, 2: {{Key: "env", Value: "dev"}}}[n]
		if !slices.Equal(d.Tags, wantTags) {
			t.Errorf("server %d tags = %+v, want %+v", n, d.Tags, wantTags)
		}
		if d.MoreNICs || d.MoreApplications || d.MoreTags {
			t.Errorf("server %d has more: %v %v %v", n, d.MoreNICs, d.MoreApplications, d.MoreTags)
		}
	}
	// Lists are empty, not nil, without entries.
	d3 := ok(s.DescribeServers(c, acctA, []string{s3}))(t)
	if len(d3) != 1 || d3[0].Applications == nil || len(d3[0].Applications) != 0 || d3[0].Tags == nil || len(d3[0].Tags) != 0 {
		t.Fatalf("server 3 = %+v", d3)
	}
	if got := ok(s.DescribeServers(c, acctA, []string{}))(t); len(got) != 0 {
		t.Fatalf("no IDs described %d servers", len(got))
	}
	if got := ok(s.DescribeServers(c, acctB, []string{s1, s2}))(t); len(got) != 0 {
		t.Fatalf("B described %d of A's servers", len(got))
	}
}

func testDescribeServersCap(t *testing.T, s Store) {
	c := ctx(t)
	r1, r2 := report(1, 0), report(2, 0)
	r1.NetworkInterfaces, r2.NetworkInterfaces = nil, nil
	for i := range 11 {
		r1.NetworkInterfaces = append(r1.NetworkInterfaces, agentdata.NetworkInterface{Name: fmt.Sprintf("eth%02d", i), IPAddress: fmt.Sprintf("10.1.0.%d", i+1)})
		if i < 10 {
			r2.NetworkInterfaces = append(r2.NetworkInterfaces, agentdata.NetworkInterface{Name: fmt.Sprintf("eth%02d", i), IPAddress: fmt.Sprintf("10.2.0.%d", i+1)})
		}
	}
	intake(t, s, acctA, r1, r2)
	s1, s2 := serverOf(acctA, 1), serverOf(acctA, 2)
	for i := range 11 {
		newApp(t, s, acctA, appID(i+1), fmt.Sprintf("app-%02d", i))
		ids := []string{s1}
		if i < 10 {
			ids = append(ids, s2)
		}
		must(t, s.AssociateServers(c, acctA, appID(i+1), ids, t0, allowMembership))
		addTags(t, s, acctA, ids, discovery.Tag{Key: fmt.Sprintf("k%02d", i), Value: "v"})
	}
	got := sorted(ok(s.DescribeServers(c, acctA, []string{s1, s2}))(t), func(d discovery.ServerDetail) string { return d.HostName })
	if len(got) != 2 {
		t.Fatalf("described %d servers", len(got))
	}
	for i, d := range got {
		more := i == 0
		if len(d.NICs) != 10 || len(d.Applications) != 10 || len(d.Tags) != 10 || d.MoreNICs != more || d.MoreApplications != more || d.MoreTags != more {
			t.Fatalf("%s: %d interfaces, %d applications, %d tags, more %v %v %v", d.HostName, len(d.NICs), len(d.Applications), len(d.Tags),
				d.MoreNICs, d.MoreApplications, d.MoreTags)
		}
		// The first ten, in order.
		if d.NICs[9].Name != "eth09" || d.Applications[9].Name != "app-09" || d.Tags[9].Key != "k09" || d.NumNICs != int64(10+boolInt(more)) {
			t.Fatalf("%s: last shown %s, %s, %s; %d interfaces counted", d.HostName, d.NICs[9].Name, d.Applications[9].Name, d.Tags[9].Key, d.NumNICs)
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func testNeighbors(t *testing.T, s Store) {
	inventoryFleet(t, s, acctA)
	inventoryFleet(t, s, acctB)
	c := ctx(t)
	s1, s2, s3 := serverOf(acctA, 1), serverOf(acctA, 2), serverOf(acctA, 3)
	edge := func(src, dst string, port int64, proto string, n int64) discovery.Neighbor {
		return discovery.Neighbor{Source: src, Destination: dst, Port: port, Protocol: proto, Count: n}
	}
	order := func(ns []discovery.Neighbor) []discovery.Neighbor {
		out := slices.Clone(ns)
		slices.SortFunc(out, func(a, b discovery.Neighbor) int {
			return cmp.Or(strings.Compare(a.Source, b.Source), strings.Compare(a.Destination, b.Destination), cmp.Compare(a.Port, b.Port), strings.Compare(a.Protocol, b.Protocol))
		})
		return out
	}
	for _, tc := range []struct {
		name  string
		q     discovery.NeighborQuery
		want  []discovery.Neighbor
		count int64
	}{
		{"server 1", discovery.NeighborQuery{ServerID: s1}, []discovery.Neighbor{edge(s1, s2, -1, "", 4)}, 1},
		{"server 2", discovery.NeighborQuery{ServerID: s2}, []discovery.Neighbor{edge(s1, s2, -1, "", 4), edge(s2, s3, -1, "", 2)}, 2},
		{"server 2 by port", discovery.NeighborQuery{ServerID: s2, Ports: true},
			[]discovery.Neighbor{edge(s1, s2, 5432, "tcp", 2), edge(s1, s2, 8080, "tcp", 2), edge(s2, s3, 6379, "tcp", 2)}, 2},
		{"server 2, only 3", discovery.NeighborQuery{ServerID: s2, Only: []string{s3}}, []discovery.Neighbor{edge(s2, s3, -1, "", 2)}, 1},
		{"server 3 (the unknown source is no neighbor)", discovery.NeighborQuery{ServerID: s3}, []discovery.Neighbor{edge(s2, s3, -1, "", 2)}, 1},
		{"server 4", discovery.NeighborQuery{ServerID: serverOf(acctA, 4)}, nil, 0},
		{"an unknown server", discovery.NeighborQuery{ServerID: "d-server-unknown"}, nil, 0},
	} {
		tc.q.Account = acctA
		got := ok(s.ListNeighbors(c, tc.q))(t)
		if !slices.Equal(got, order(tc.want)) {
			t.Errorf("%s: neighbors %+v, want %+v", tc.name, got, order(tc.want))
		}
		if n := ok(s.CountNeighbors(c, tc.q))(t); n != tc.count {
			t.Errorf("%s: count %d, want %d", tc.name, n, tc.count)
		}
		// Pages of one.
		q := tc.q
		q.Limit = 1
		paged := flat(pages(t, 1, func(after *discovery.NeighborCursor) ([]discovery.Neighbor, error) {
			q.After = after
			return s.ListNeighbors(c, q)
		}, func(n discovery.Neighbor) discovery.NeighborCursor {
			return discovery.NeighborCursor{Source: n.Source, Destination: n.Destination, Port: n.Port, Protocol: n.Protocol}
		}))
		if !slices.Equal(paged, order(tc.want)) {
			t.Errorf("%s: pages %+v, want %+v", tc.name, paged, order(tc.want))
		}
	}
	// B sees none of A's edges.
	for _, q := range []discovery.NeighborQuery{{Account: acctB, ServerID: s2}, {Account: acctB, ServerID: s2, Ports: true}} {
		if got := ok(s.ListNeighbors(c, q))(t); len(got) != 0 {
			t.Errorf("B's neighbors of A's server: %+v", got)
		}
		if n := ok(s.CountNeighbors(c, q))(t); n != 0 {
			t.Errorf("B's count of A's server's neighbors: %d", n)
		}
	}
}

func testSummary(t *testing.T, s Store) {
	inventoryFleet(t, s, acctA)
	seedAgentsN(t, s, acctB, 1)
	got := ok(s.Summary(ctx(t), acctA))(t)
	agentsSorted := sorted(got.Agents, func(a discovery.AgentCount) string { return a.Type + a.Health + a.CollectionStatus })
	count := func(typ, health, status string, n int64) discovery.AgentCount {
		return discovery.AgentCount{Type: typ, Health: health, CollectionStatus: status, Count: n}
	}
	want := []discovery.AgentCount{count("EC2", "HEALTHY", "STARTED", 2), count("EC2", "UNHEALTHY", "STARTED", 1), count("VMWARE", "HEALTHY", "STARTED", 1)}
	if got.Servers != 4 || got.Applications != 3 || got.ServersInApplications != 2 || got.ServersWithTags != 2 || !reflect.DeepEqual(agentsSorted, want) {
		t.Fatalf("summary = %+v, want 4 servers, 3 applications, 2 in applications, 2 tagged, agents %v", *got, want)
	}
	ok(s.SetCollectionStatus(ctx(t), acctA, []string{agentID(4)}, discovery.CollectionStopped))(t)
	got = ok(s.Summary(ctx(t), acctA))(t)
	want[1].CollectionStatus = "STOPPED"
	if agentsSorted := sorted(got.Agents, func(a discovery.AgentCount) string { return a.Type + a.Health + a.CollectionStatus }); !reflect.DeepEqual(agentsSorted, want) {
		t.Fatalf("agents after a stop = %v, want %v", agentsSorted, want)
	}
	b := ok(s.Summary(ctx(t), acctB))(t)
	if b.Servers != 1 || b.Applications != 0 || len(b.Agents) != 1 || b.Agents[0].Count != 1 {
		t.Fatalf("B's summary = %+v", *b)
	}
}

func testInventoryPerAccount(t *testing.T, s Store) {
	inventoryFleet(t, s, acctA)
	c := ctx(t)
	var ids []string
	for _, typ := range discovery.ItemTypes() {
		ids = append(ids, itemIDs(list(t, s, discovery.ItemQuery{Account: acctA, Type: typ}))...)
	}
	for _, typ := range discovery.ItemTypes() {
		for _, q := range []discovery.ItemQuery{
			{Account: acctB, Type: typ},
			{Account: acctB, Type: typ, IDs: ids},
		} {
			if got := list(t, s, q); len(got) != 0 {
				t.Errorf("B lists %d of A's %s items", len(got), typ)
			}
		}
	}
	if got := list(t, s, discovery.ItemQuery{Account: acctB, Type: discovery.TypeServer,
		Where: where(has(discovery.FieldServerHostName, "host"))}); len(got) != 0 {
		t.Errorf("B's filter finds %d of A's servers", len(got))
	}
	if got := ok(s.DescribeServers(c, acctB, ids))(t); len(got) != 0 {
		t.Errorf("B describes %d of A's servers", len(got))
	}
	if sum := ok(s.Summary(c, acctB))(t); sum.Servers != 0 || sum.Applications != 0 || len(sum.Agents) != 0 {
		t.Errorf("B's summary = %+v", *sum)
	}
}

// fleetStore is what the fleet with applications and tags is written with.
type fleetStore interface {
	agents.Store
	applications.Store
	tags.Store
}

// testItemsOfLongValues sorts, pages and finds servers by host and OS names
// of up to 1,000 bytes, the intake's bound: long names that share their
// first 300 characters (of which multibyte ones) and differ after them,
// a long name twice, short names that are prefixes of the long ones, and
// names that sort among them. (A store may keep only a prefix of a value
// in an index; the order and the matches are those of the whole values.)
func testItemsOfLongValues(t *testing.T, s Store) {
	common := strings.Repeat("é", 100) + strings.Repeat("x", 200) // 300 characters, 400 bytes
	names := []string{
		common + strings.Repeat("b", 500), common + "a", common + strings.Repeat("b", 500), common + "c" + strings.Repeat("z", 590),
		common, common[:200], "a-short", "zz", common[:399] + "y", common + strings.Repeat("b", 499),
		strings.Repeat("é", 100) + "w", strings.Repeat("é", 99) + "f",
	}
	var rs []agentdata.Report
	var rows []itemRow
	for i, name := range names {
		r := report(i+1, 0)
		r.Server.HostName, r.Server.OSName = name, names[len(names)-1-i]
		rs = append(rs, r)
		rows = append(rows, itemRow{id: serverOf(acctA, i+1), keys: []any{name, r.Server.OSName}})
	}
	intake(t, s, acctA, rs...)
	host := discovery.OrderKey{Field: discovery.FieldServerHostName}
	for _, tc := range []struct {
		name  string
		order []discovery.OrderKey
		want  []string
	}{
		{"by host", []discovery.OrderKey{host}, sortRows(keysOnly(rows, 1), []bool{false})},
		{"by host, descending", []discovery.OrderKey{{Field: discovery.FieldServerHostName, Desc: true}}, sortRows(keysOnly(rows, 1), []bool{true})},
		{"by OS descending, then host", []discovery.OrderKey{{Field: discovery.FieldServerOSName, Desc: true}, host}, sortRows(swapped(rows), []bool{true, false})},
		{"by OS version", []discovery.OrderKey{{Field: discovery.FieldServerOSVersion}}, sortRows(keysOnly(rows, 0), nil)},
	} {
		all := list(t, s, discovery.ItemQuery{Account: acctA, Type: discovery.TypeServer, Order: tc.order})
		sameLines(t, tc.name+": one list", itemIDs(all), tc.want)
		for _, limit := range []int{1, 2, 5} {
			got := itemPages(t, s, discovery.ItemQuery{Account: acctA, Type: discovery.TypeServer, Order: tc.order}, limit)
			sameLines(t, fmt.Sprintf("%s: pages of %d", tc.name, limit), itemIDs(got), tc.want)
		}
	}
	srv := func(it discovery.Item) string { return it.Server.ID }
	runFilters(t, s, discovery.TypeServer, srv, []filterCase{
		{"a long name twice", where(is(discovery.FieldServerHostName, names[0])), nil, []string{serverOf(acctA, 1), serverOf(acctA, 3)}},
		{"a long name and a short one", where(is(discovery.FieldServerHostName, names[3], names[5])), nil, []string{serverOf(acctA, 4), serverOf(acctA, 6)}},
		{"a long name, exact", where(exact(is(discovery.FieldServerHostName, names[9]))), nil, []string{serverOf(acctA, 10)}},
		{"a long OS name", where(exact(is(discovery.FieldServerOSName, names[1], common+"d"))), nil, []string{serverOf(acctA, 11)}},
		{"no long name", where(exact(is(discovery.FieldServerHostName, common+strings.Repeat("b", 501)))), nil, nil},
	})
}
