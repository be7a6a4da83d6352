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
	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// The inventory read side: ListItems (each item type, each filter field and
// condition, orders and keyset cursors), DescribeServers, ListNeighbors,
// CountNeighbors and Summary.
var inventoryTests = []test{
	{"ListEachItemType", testListItemTypes},
	{"ServerFilters", testServerFilters},
	{"ProcessConnectionAndApplicationFilters", testOtherFilters},
	{"ListInKeysetPagesOfEveryOrder", testItemPages},
	{"ListPagesStableUnderInserts", testItemPagesUnderInserts},
	{"DescribeServers", testDescribeServers},
	{"DescribeServersCapsLists", testDescribeServersCap},
	{"Neighbors", testNeighbors},
	{"Summary", testSummary},
	{"InventoryIsPerAccount", testInventoryPerAccount},
}

// inventoryFleet is the fleet of account with three applications (shop: the
// servers of agents 1 and 2; crm: agent 2's; empty) and tags (agent 1's
// server env=prod and team=web, agent 2's env=dev, shop's owner=me).
func inventoryFleet(t *testing.T, s Store, account string) {
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

func list(t *testing.T, s Store, q discovery.ItemQuery) []discovery.Item {
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

// filterCase is a condition and the items it keeps, by short name.
type filterCase struct {
	name  string
	conds []discovery.Condition
	ids   []string // IDs to keep only (nil: all)
	want  []string
}

func cond(field string, op discovery.Operator, values ...any) discovery.Condition {
	return discovery.Condition{Field: field, Op: op, Values: values}
}

// runFilters lists typ under each case and compares the short names of
// the items (name maps an item's configuration ID to it), in ID order.
func runFilters(t *testing.T, s Store, typ discovery.ItemType, name func(discovery.Item) string, cases []filterCase) {
	t.Helper()
	for _, tc := range cases {
		items := list(t, s, discovery.ItemQuery{Account: acctA, Type: typ, Conds: tc.conds, IDs: tc.ids})
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
		host  = "server.hostName"
		cpu   = "server.performance.avgCpuUsagePct"
		ram   = "server.performance.avgFreeRAMInKB"
		disk  = "server.performance.totalDiskFreeSizeInKB"
		eq    = discovery.Equals
		ne    = discovery.NotEquals
		has   = discovery.Contains
		hasnt = discovery.NotContains
	)
	h1, h2, h3, h4 := hostName(1), hostName(2), hostName(3), hostName(4)
	all := []string{h1, h2, h3, h4}
	// Average CPU use is 10n + 0.5 percent (samples 10n and 10n + 1), free
	// RAM 1000.5 MB, free disk 100 GB.
	runFilters(t, s, discovery.TypeServer, srv, []filterCase{
		{"no condition", nil, nil, all},
		{"configuration ID", []discovery.Condition{cond("server.configurationId", eq, serverOf(acctA, 2))}, nil, []string{h2}},
		{"equals, values OR-ed", []discovery.Condition{cond(host, eq, h1, h3)}, nil, []string{h1, h3}},
		{"equals is exact", []discovery.Condition{cond(host, eq, "HOST-01")}, nil, nil},
		{"not equals", []discovery.Condition{cond(host, ne, h1)}, nil, []string{h2, h3, h4}},
		{"not equals, none of the values", []discovery.Condition{cond(host, ne, h1, h4)}, nil, []string{h2, h3}},
		{"contains ignores case", []discovery.Condition{cond(host, has, "HOST-0")}, nil, all},
		{"contains, values OR-ed", []discovery.Condition{cond(host, has, "-01", "-04")}, nil, []string{h1, h4}},
		{"contains takes values literally", []discovery.Condition{cond(host, has, "host_0", "%", "host-0*", "[h]")}, nil, nil},
		{"not contains takes values literally", []discovery.Condition{cond(host, hasnt, "host_0", "%")}, nil, all},
		{"not contains", []discovery.Condition{cond("server.osName", hasnt, "WIN")}, nil, []string{h1, h2, h3}},
		{"os version", []discovery.Condition{cond("server.osVersion", eq, "6.1")}, nil, all},
		{"type", []discovery.Condition{cond("server.type", eq, "VMWARE_VM")}, nil, []string{h3}},
		{"agent", []discovery.Condition{cond("server.agentId", eq, agentID(4))}, nil, []string{h4}},
		{"connector", []discovery.Condition{cond("server.connectorId", eq, "conn-1")}, nil, []string{h3}},
		{"no connector", []discovery.Condition{cond("server.connectorId", ne, "conn-1")}, nil, []string{h1, h2, h4}},
		{"VMware moref", []discovery.Condition{cond("server.vmWareInfo.morefId", eq, "vm-3")}, nil, []string{h3}},
		{"VMware vCenter", []discovery.Condition{cond("server.vmWareInfo.vcenterId", has, "VC")}, nil, []string{h3}},
		{"VMware host", []discovery.Condition{cond("server.vmWareInfo.hostId", eq, "host-9")}, nil, []string{h3}},
		{"port group (not collected)", []discovery.Condition{cond("server.networkInterfaceInfo.portGroupName", eq, "")}, nil, all},
		{"an interface's IP", []discovery.Condition{cond("server.networkInterfaceInfo.ipAddress", eq, agentIP(2), "10.99.0.1")}, nil, []string{h2}},
		{"no interface's IP", []discovery.Condition{cond("server.networkInterfaceInfo.ipAddress", hasnt, agentIP(1))}, nil, []string{h2, h3, h4}},
		{"an interface's MAC", []discovery.Condition{cond("server.networkInterfaceInfo.macAddress", has, ":00:03")}, nil, []string{h3}},
		{"tag key", []discovery.Condition{cond("server.tag.key", eq, "env")}, nil, []string{h1, h2}},
		{"tag value", []discovery.Condition{cond("server.tag.value", eq, "prod")}, nil, []string{h1}},
		{"no tag key", []discovery.Condition{cond("server.tag.key", ne, "team")}, nil, []string{h2, h3, h4}},
		{"application name", []discovery.Condition{cond("server.application.name", eq, "crm")}, nil, []string{h2}},
		{"application description", []discovery.Condition{cond("server.application.description", has, "SHOP")}, nil, []string{h1, h2}},
		{"application ID", []discovery.Condition{cond("server.application.configurationId", eq, appID(1))}, nil, []string{h1, h2}},
		{"no application", []discovery.Condition{cond("server.application.configurationId", ne, appID(1), appID(2))}, nil, []string{h3, h4}},
		{"process ID", []discovery.Condition{cond("server.process.configurationId", eq, processOf(acctA, 2))}, nil, []string{h2}},
		{"process name", []discovery.Condition{cond("server.process.name", eq, "nginx")}, nil, []string{h1}},
		{"process command line", []discovery.Condition{cond("server.process.commandLine", has, "-d /VAR")}, nil, []string{h2}},
		{"CPU >= 20", []discovery.Condition{cond(cpu, discovery.GE, 20.0)}, nil, []string{h2, h3, h4}},
		{"CPU >= 20.5", []discovery.Condition{cond(cpu, discovery.GE, 20.5)}, nil, []string{h2, h3, h4}},
		{"CPU > 20.5", []discovery.Condition{cond(cpu, discovery.GT, 20.5)}, nil, []string{h3, h4}},
		{"CPU <= 20.5", []discovery.Condition{cond(cpu, discovery.LE, 20.5)}, nil, []string{h1, h2}},
		{"CPU < 20.5", []discovery.Condition{cond(cpu, discovery.LT, 20.5)}, nil, []string{h1}},
		{"free RAM >= its average", []discovery.Condition{cond(ram, discovery.GE, 1000.5*1024)}, nil, all},
		{"free RAM > its average", []discovery.Condition{cond(ram, discovery.GT, 1000.5*1024)}, nil, nil},
		{"free disk <= 100 GB", []discovery.Condition{cond(disk, discovery.LE, 100.0*1024*1024)}, nil, all},
		{"free disk < 100 GB", []discovery.Condition{cond(disk, discovery.LT, 100.0*1024*1024)}, nil, nil},
		{"conditions AND-ed", []discovery.Condition{cond(host, has, "host"), cond("server.tag.key", eq, "env")}, nil, []string{h1, h2}},
		{"two equals on one field intersect", []discovery.Condition{cond(host, eq, h1, h2), cond(host, eq, h2, h3)}, nil, []string{h2}},
		{"two disjoint equals", []discovery.Condition{cond(host, eq, h1), cond(host, eq, h2)}, nil, nil},
		{"two contains on one field", []discovery.Condition{cond(host, has, "HOST"), cond(host, has, "-01", "-02")}, nil, []string{h1, h2}},
		{"two not equals on one field", []discovery.Condition{cond(host, ne, h1), cond(host, ne, h2)}, nil, []string{h3, h4}},
		{"two lower bounds: the tighter", []discovery.Condition{cond(cpu, discovery.GE, 15.0), cond(cpu, discovery.GE, 25.0)}, nil, []string{h3, h4}},
		{"two upper bounds: the tighter", []discovery.Condition{cond(cpu, discovery.LT, 45.0), cond(cpu, discovery.LT, 25.0)}, nil, []string{h1, h2}},
		{"a range", []discovery.Condition{cond(cpu, discovery.GT, 15.0), cond(cpu, discovery.LT, 35.0)}, nil, []string{h2, h3}},
		{"two equals on a list: both", []discovery.Condition{cond("server.tag.key", eq, "env"), cond("server.tag.key", eq, "team")}, nil, []string{h1}},
		{"a condition repeated", []discovery.Condition{cond(host, eq, h1, h2), cond(host, eq, h1, h2)}, nil, []string{h1, h2}},
		{"IDs and a condition", []discovery.Condition{cond(host, has, "host")}, []string{serverOf(acctA, 1), serverOf(acctA, 3), serverOf(acctB, 2)}, []string{h1, h3}},
		{"no IDs", nil, []string{}, nil},
	})
}

func testOtherFilters(t *testing.T, s Store) {
	inventoryFleet(t, s, acctA)
	inventoryFleet(t, s, acctB)
	const eq, ne, has, hasnt = discovery.Equals, discovery.NotEquals, discovery.Contains, discovery.NotContains
	proc := func(it discovery.Item) string { return it.Process.Name }
	runFilters(t, s, discovery.TypeProcess, proc, []filterCase{
		{"no condition", nil, nil, []string{"nginx", "postgres"}},
		{"ID", []discovery.Condition{cond("process.configurationId", eq, processOf(acctA, 2))}, nil, []string{"postgres"}},
		{"name", []discovery.Condition{cond("process.name", eq, "postgres")}, nil, []string{"postgres"}},
		{"command line", []discovery.Condition{cond("process.commandLine", has, "DAEMON")}, nil, []string{"nginx"}},
		{"not command line", []discovery.Condition{cond("process.commandLine", hasnt, "daemon")}, nil, []string{"postgres"}},
		{"server", []discovery.Condition{cond("server.configurationId", eq, serverOf(acctA, 1))}, nil, []string{"nginx"}},
		{"server host", []discovery.Condition{cond("server.hostName", eq, hostName(2))}, nil, []string{"postgres"}},
		{"server OS", []discovery.Condition{cond("server.osName", has, "linux")}, nil, []string{"nginx", "postgres"}},
		{"server OS version", []discovery.Condition{cond("server.osVersion", ne, "6.1")}, nil, nil},
		{"server agent", []discovery.Condition{cond("server.agentId", eq, agentID(1))}, nil, []string{"nginx"}},
	})
	conn := func(it discovery.Item) string { return connKey(it.Connection) }
	c12, c12b := agentIP(1)+">"+agentIP(2)+":5432", agentIP(1)+">"+agentIP(2)+":8080"
	c1x, c23, cx3 := agentIP(1)+">10.9.9.9:53", agentIP(2)+">"+agentIP(3)+":6379", "10.8.8.8>"+agentIP(3)+":22"
	runFilters(t, s, discovery.TypeConnection, conn, []filterCase{
		{"no condition", nil, nil, []string{c12, c12b, c1x, c23, cx3}},
		{"port", []discovery.Condition{cond("connection.destinationPort", eq, int64(5432), int64(22))}, nil, []string{c12, cx3}},
		{"not port", []discovery.Condition{cond("connection.destinationPort", ne, int64(5432), int64(8080))}, nil, []string{c1x, c23, cx3}},
		{"source IP", []discovery.Condition{cond("connection.sourceIp", eq, agentIP(1))}, nil, []string{c12, c12b, c1x}},
		{"destination IP", []discovery.Condition{cond("connection.destinationIp", has, "10.9.")}, nil, []string{c1x}},
		{"source server", []discovery.Condition{cond("sourceServer.configurationId", eq, serverOf(acctA, 2))}, nil, []string{c23}},
		{"source server host", []discovery.Condition{cond("sourceServer.hostName", eq, hostName(1))}, nil, []string{c12, c12b, c1x}},
		{"source server agent", []discovery.Condition{cond("sourceServer.agentId", eq, agentID(2))}, nil, []string{c23}},
		{"source server OS", []discovery.Condition{cond("sourceServer.osName", eq, "")}, nil, []string{cx3}},
		{"destination server", []discovery.Condition{cond("destinationServer.configurationId", eq, serverOf(acctA, 3))}, nil, []string{c23, cx3}},
		{"destination server host", []discovery.Condition{cond("destinationServer.hostName", ne, "")}, nil, []string{c12, c12b, c23, cx3}},
		{"destination server OS version", []discovery.Condition{cond("destinationServer.osVersion", eq, "6.1")}, nil, []string{c12, c12b, c23, cx3}},
		{"destination server agent", []discovery.Condition{cond("destinationServer.agentId", eq, agentID(2))}, nil, []string{c12, c12b}},
		{"source process", []discovery.Condition{cond("sourceProcess.configurationId", eq, processOf(acctA, 2))}, nil, []string{c23}},
		{"source process name", []discovery.Condition{cond("sourceProcess.name", eq, "nginx")}, nil, []string{c12, c12b}},
		{"source process command line", []discovery.Condition{cond("sourceProcess.commandLine", has, "postgres")}, nil, []string{c23}},
		{"destination process", []discovery.Condition{cond("destinationProcess.configurationId", eq, "")}, nil, []string{c12, c12b, c1x, c23, cx3}},
		{"destination process name", []discovery.Condition{cond("destinationProcess.name", ne, "")}, nil, nil},
		{"port and source", []discovery.Condition{cond("connection.destinationPort", eq, int64(8080)), cond("connection.sourceIp", eq, agentIP(1))}, nil, []string{c12b}},
	})
	app := func(it discovery.Item) string { return it.Application.Name }
	runFilters(t, s, discovery.TypeApplication, app, []filterCase{
		{"no condition", nil, nil, []string{"shop", "crm", "empty"}},
		{"ID", []discovery.Condition{cond("application.configurationId", eq, appID(2))}, nil, []string{"crm"}},
		{"name", []discovery.Condition{cond("application.name", has, "SH")}, nil, []string{"shop"}},
		{"description", []discovery.Condition{cond("application.description", hasnt, "crm")}, nil, []string{"shop", "empty"}},
		{"a server", []discovery.Condition{cond("server.configurationId", eq, serverOf(acctA, 2))}, nil, []string{"shop", "crm"}},
		{"not a server", []discovery.Condition{cond("server.configurationId", ne, serverOf(acctA, 1))}, nil, []string{"crm", "empty"}},
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
func itemPages(t *testing.T, s Store, q discovery.ItemQuery, limit int) []discovery.Item {
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
func pageServers(t *testing.T, s Store, account string, ns ...int) []itemRow {
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
	host := discovery.OrderKey{Field: "server.hostName"}
	osDesc := discovery.OrderKey{Field: "server.osName", Desc: true}
	for _, tc := range []struct {
		name  string
		order []discovery.OrderKey
		want  []string
	}{
		{"by ID", nil, sortRows(keysOnly(rows, 0), nil)},
		{"by host", []discovery.OrderKey{host}, sortRows(keysOnly(rows, 1), []bool{false})},
		{"by host, descending", []discovery.OrderKey{{Field: "server.hostName", Desc: true}}, sortRows(keysOnly(rows, 1), []bool{true})},
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
	order := []discovery.OrderKey{{Field: "application.serverCount", Desc: true}, {Field: "application.name"}}
	want := sortRows(apps, []bool{true, false})
	for _, limit := range []int{1, 5} {
		got := itemPages(t, s, discovery.ItemQuery{Account: acctA, Type: discovery.TypeApplication, Order: order}, limit)
		sameLines(t, fmt.Sprintf("applications by server count: pages of %d", limit), itemIDs(got), want)
	}
	// Times: by creation, newest first (all made at t0: the ID decides).
	got := itemPages(t, s, discovery.ItemQuery{Account: acctA, Type: discovery.TypeApplication,
		Order: []discovery.OrderKey{{Field: "application.timeOfCreation", Desc: true}}}, 5)
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
	q := discovery.ItemQuery{Account: acctA, Type: discovery.TypeServer, Order: []discovery.OrderKey{{Field: "server.hostName"}}, Limit: 4}
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
		Conds: []discovery.Condition{cond("server.hostName", discovery.Contains, "host")}}); len(got) != 0 {
		t.Errorf("B's filter finds %d of A's servers", len(got))
	}
	if got := ok(s.DescribeServers(c, acctB, ids))(t); len(got) != 0 {
		t.Errorf("B describes %d of A's servers", len(got))
	}
	if sum := ok(s.Summary(c, acctB))(t); sum.Servers != 0 || sum.Applications != 0 || len(sum.Agents) != 0 {
		t.Errorf("B's summary = %+v", *sum)
	}
}
