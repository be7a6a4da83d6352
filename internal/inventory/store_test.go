package inventory_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/inventory"
	"github.com/poseidon-ads/poseidon/internal/pagetoken"
	"github.com/poseidon-ads/poseidon/internal/postgres/pgtest"
	"github.com/poseidon-ads/poseidon/internal/sqlite/fixture"
	"github.com/poseidon-ads/poseidon/internal/sqlite/sqlitetest"
)

// The inventory against each real store filled with fixture.Inventory:
// what each filter, sort order and attribute means, end to end. Each test
// runs on SQLite and on PostgreSQL (skipped when its test server is
// unreachable, unless CI=true).

// invStore is a real store with a plain handle on its database for more
// rows.
type invStore interface {
	inventory.Store
	fixture.DB
}

// eachStore runs test in a subtest per store.
func eachStore(t *testing.T, test func(t *testing.T, st invStore)) {
	t.Run("sqlite", func(t *testing.T) { test(t, sqlitetest.Open(t)) })
	t.Run("postgres", func(t *testing.T) { test(t, pgtest.Open(t)) })
}

// invFixture fills the store with fixture.Inventory and returns it and its
// handle for more rows.
func invFixture(t testing.TB, st invStore) (inventory.Store, fixture.DB) {
	t.Helper()
	fixture.Inventory(t, st)
	return st, st
}

func invPtr32(v int32) *int32 { return &v }

func invService(db inventory.Store) *inventory.Service {
	return inventory.New(inventory.Config{Store: db, Tokens: pagetoken.New([]byte("secret"))})
}

// ids lists the configuration IDs of a page, in order.
func invIDs(typ discovery.ItemType, items []map[string]string) []string {
	key := map[discovery.ItemType]string{discovery.TypeServer: "server.configurationId", discovery.TypeProcess: "process.configurationId",
		discovery.TypeApplication: "application.configurationId"}[typ]
	out := []string{}
	for _, m := range items {
		if typ == discovery.TypeConnection {
			out = append(out, m["connection.sourceIp"]+">"+m["connection.destinationIp"]+":"+m["connection.destinationPort"]+"/"+m["sourceProcess.configurationId"])
			continue
		}
		out = append(out, m[key])
	}
	return out
}

func invF(name, cond string, values ...string) discovery.Filter {
	return discovery.Filter{Name: name, Values: values, Condition: cond}
}

// Every filter name of every type, each condition kind, OR within a filter,
// AND across filters, and the NOT_ semantics.
func TestListConfigurationsFilters(t *testing.T) {
	eachStore(t, func(t *testing.T, st invStore) {
		db, _ := invFixture(t, st)
		svc := invService(db)
		S, P, C, A := discovery.TypeServer, discovery.TypeProcess, discovery.TypeConnection, discovery.TypeApplication
		for _, tc := range []struct {
			name    string
			typ     discovery.ItemType
			filters []discovery.Filter
			want    []string
		}{
			{"all servers", S, nil, []string{fixture.Srv1, fixture.Srv2, fixture.Srv3, fixture.Srv4}},
			{"server.configurationId EQUALS, OR", S, []discovery.Filter{invF("server.configurationId", "EQUALS", fixture.Srv2, fixture.Srv4, fixture.SrvB)}, []string{fixture.Srv2, fixture.Srv4}},
			{"server.configurationId NOT_EQUALS", S, []discovery.Filter{invF("server.configurationId", "NOT_EQUALS", fixture.Srv2, fixture.Srv4)}, []string{fixture.Srv1, fixture.Srv3}},
			{"server.hostName CONTAINS, CLI example", S, []discovery.Filter{invF("server.hostName", "CONTAINS", "web-", "cache"), invF("server.osName", "NOT_CONTAINS", "Ubuntu")}, []string{fixture.Srv1, fixture.Srv4}},
			{"server.hostName CONTAINS is case-insensitive", S, []discovery.Filter{invF("server.hostName", "CONTAINS", "WEB-1")}, []string{fixture.Srv1}},
			{"server.hostName EQUALS is exact", S, []discovery.Filter{invF("server.hostName", "EQUALS", "WEB-1.example.com")}, []string{}},
			{"server.hostName EQ", S, []discovery.Filter{invF("server.hostName", "EQ", "db-1.example.com")}, []string{fixture.Srv2}},
			{"server.hostName NOT_CONTAINS with two values matches neither", S, []discovery.Filter{invF("server.hostName", "NOT_CONTAINS", "web", "db")}, []string{fixture.Srv3}},
			{"server.osName EQUALS", S, []discovery.Filter{invF("server.osName", "EQUALS", "Ubuntu")}, []string{fixture.Srv3}},
			{"server.osVersion CONTAINS", S, []discovery.Filter{invF("server.osVersion", "CONTAINS", "amzn1")}, []string{fixture.Srv1, fixture.Srv4}},
			{"server.agentId NE", S, []discovery.Filter{invF("server.agentId", "NE", "o-agent0000000001")}, []string{fixture.Srv2, fixture.Srv3, fixture.Srv4}},
			{"server.agentId EQUALS", S, []discovery.Filter{invF("server.agentId", "EQUALS", "o-agent0000000003")}, []string{fixture.Srv4}},
			{"server.connectorId", S, []discovery.Filter{invF("server.connectorId", "EQUALS", "c-connector1")}, []string{fixture.Srv2}},
			{"server.type", S, []discovery.Filter{invF("server.type", "EQUALS", "EC2", "OTHER")}, []string{fixture.Srv1, fixture.Srv3, fixture.Srv4}},
			{"server.vmWareInfo.morefId", S, []discovery.Filter{invF("server.vmWareInfo.morefId", "CONTAINS", "vm-")}, []string{fixture.Srv1, fixture.Srv2}},
			{"server.vmWareInfo.vcenterId", S, []discovery.Filter{invF("server.vmWareInfo.vcenterId", "EQUALS", "vc-west")}, []string{fixture.Srv2}},
			{"server.vmWareInfo.hostId", S, []discovery.Filter{invF("server.vmWareInfo.hostId", "NOT_EQUALS", "host-7")}, []string{fixture.Srv2, fixture.Srv3, fixture.Srv4}},
			{"portGroupId is never collected", S, []discovery.Filter{invF("server.networkInterfaceInfo.portGroupId", "EQUALS", "pg-1")}, []string{}},
			{"portGroupName NOT_EQUALS", S, []discovery.Filter{invF("server.networkInterfaceInfo.portGroupName", "NOT_EQUALS", "pg")}, []string{fixture.Srv1, fixture.Srv2, fixture.Srv3, fixture.Srv4}},
			{"virtualSwitchName", S, []discovery.Filter{invF("server.networkInterfaceInfo.virtualSwitchName", "CONTAINS", "vs")}, []string{}},
			{"nic ipAddress EQUALS", S, []discovery.Filter{invF("server.networkInterfaceInfo.ipAddress", "EQUALS", "10.0.0.2", "10.0.0.4")}, []string{fixture.Srv2, fixture.Srv4}},
			{"nic ipAddress NOT_CONTAINS: no interface matches", S, []discovery.Filter{invF("server.networkInterfaceInfo.ipAddress", "NOT_CONTAINS", "fe80")}, []string{fixture.Srv2, fixture.Srv3, fixture.Srv4}},
			{"nic macAddress CONTAINS", S, []discovery.Filter{invF("server.networkInterfaceInfo.macAddress", "CONTAINS", "06:4a")}, []string{fixture.Srv4}},
			{"avgCpuUsagePct GT", S, []discovery.Filter{invF("server.performance.avgCpuUsagePct", "GT", "14.733333333333333")}, []string{fixture.Srv2}},
			{"avgCpuUsagePct GE the shown value", S, []discovery.Filter{invF("server.performance.avgCpuUsagePct", "GE", "14.733333333333333")}, []string{fixture.Srv1, fixture.Srv2}},
			{"avgCpuUsagePct LT, OR of values", S, []discovery.Filter{invF("server.performance.avgCpuUsagePct", "LT", "5", "11")}, []string{fixture.Srv4}},
			{"avgCpuUsagePct LE: servers without samples never match", S, []discovery.Filter{invF("server.performance.avgCpuUsagePct", "LE", "100")}, []string{fixture.Srv1, fixture.Srv2, fixture.Srv4}},
			{"totalDiskFreeSizeInKB", S, []discovery.Filter{invF("server.performance.totalDiskFreeSizeInKB", "GE", "1048576")}, []string{fixture.Srv1, fixture.Srv2}},
			{"avgFreeRAMInKB", S, []discovery.Filter{invF("server.performance.avgFreeRAMInKB", "LT", "2100000")}, []string{fixture.Srv1, fixture.Srv4}},
			{"numeric AND numeric", S, []discovery.Filter{invF("server.performance.avgFreeRAMInKB", "GT", "1"), invF("server.performance.avgCpuUsagePct", "LT", "20")}, []string{fixture.Srv1, fixture.Srv4}},
			{"server.tag.key", S, []discovery.Filter{invF("server.tag.key", "EQUALS", "tier")}, []string{fixture.Srv1}},
			{"server.tag.key NOT_EQUALS: no such tag", S, []discovery.Filter{invF("server.tag.key", "NOT_EQUALS", "tier")}, []string{fixture.Srv2, fixture.Srv3, fixture.Srv4}},
			{"server.tag.value", S, []discovery.Filter{invF("server.tag.value", "CONTAINS", "PRO", "de")}, []string{fixture.Srv1, fixture.Srv2}},
			{"server.application.name", S, []discovery.Filter{invF("server.application.name", "EQUALS", "Web Store")}, []string{fixture.Srv1}},
			{"server.application.description", S, []discovery.Filter{invF("server.application.description", "CONTAINS", "card")}, []string{fixture.Srv1, fixture.Srv2}},
			{"server.application.configurationId NOT_EQUALS", S, []discovery.Filter{invF("server.application.configurationId", "NOT_EQUALS", fixture.App1)}, []string{fixture.Srv3, fixture.Srv4}},
			{"server.process.configurationId", S, []discovery.Filter{invF("server.process.configurationId", "EQUALS", fixture.ProcPG, fixture.ProcB)}, []string{fixture.Srv2}},
			{"server.process.name", S, []discovery.Filter{invF("server.process.name", "EQUALS", "nginx")}, []string{fixture.Srv1}},
			{"server.process.commandLine", S, []discovery.Filter{invF("server.process.commandLine", "CONTAINS", "-D")}, []string{fixture.Srv1, fixture.Srv2}},

			{"all processes", P, nil, []string{fixture.ProcNginx, fixture.ProcSSHD, fixture.ProcPG}},
			{"process.configurationId", P, []discovery.Filter{invF("process.configurationId", "EQUALS", fixture.ProcSSHD, fixture.ProcB)}, []string{fixture.ProcSSHD}},
			{"process.name", P, []discovery.Filter{invF("process.name", "NOT_EQUALS", "sshd")}, []string{fixture.ProcNginx, fixture.ProcPG}},
			{"process.commandLine", P, []discovery.Filter{invF("process.commandLine", "CONTAINS", "daemon")}, []string{fixture.ProcNginx}},
			{"process server.configurationId", P, []discovery.Filter{invF("server.configurationId", "EQUALS", fixture.Srv1)}, []string{fixture.ProcNginx, fixture.ProcSSHD}},
			{"process server.hostName", P, []discovery.Filter{invF("server.hostName", "CONTAINS", "db")}, []string{fixture.ProcPG}},
			{"process server.osName", P, []discovery.Filter{invF("server.osName", "NOT_CONTAINS", "windows")}, []string{fixture.ProcNginx, fixture.ProcSSHD}},
			{"process server.osVersion", P, []discovery.Filter{invF("server.osVersion", "EQUALS", "10.0.17763")}, []string{fixture.ProcPG}},
			{"process server.agentId", P, []discovery.Filter{invF("server.agentId", "CONTAINS", "0000000002")}, []string{fixture.ProcPG}},

			{"all connections", C, nil, []string{
				"10.0.0.1>10.0.0.2:5432/" + fixture.ProcNginx, "10.0.0.1>10.0.0.2:5432/" + fixture.ProcSSHD, "10.0.0.1>10.0.0.2:6379/",
				"10.0.0.4>10.0.0.1:443/", "10.0.0.1>8.8.8.8:53/", "10.0.0.1>10.0.0.1:8080/", "10.0.0.3>10.0.0.1:80/"}},
			{"connection.sourceIp", C, []discovery.Filter{invF("connection.sourceIp", "EQUALS", "10.0.0.4", "10.0.0.3")}, []string{"10.0.0.4>10.0.0.1:443/", "10.0.0.3>10.0.0.1:80/"}},
			{"connection.destinationIp", C, []discovery.Filter{invF("connection.destinationIp", "CONTAINS", "8.8")}, []string{"10.0.0.1>8.8.8.8:53/"}},
			{"connection.destinationPort", C, []discovery.Filter{invF("connection.destinationPort", "EQUALS", "53", "80")}, []string{"10.0.0.1>8.8.8.8:53/", "10.0.0.3>10.0.0.1:80/"}},
			{"connection.destinationPort NE", C, []discovery.Filter{invF("connection.destinationPort", "NE", "5432", "6379", "8080"), invF("connection.sourceIp", "EQUALS", "10.0.0.1")}, []string{"10.0.0.1>8.8.8.8:53/"}},
			{"sourceServer.configurationId", C, []discovery.Filter{invF("sourceServer.configurationId", "EQUALS", fixture.Srv4)}, []string{"10.0.0.4>10.0.0.1:443/"}},
			{"sourceServer.hostName", C, []discovery.Filter{invF("sourceServer.hostName", "CONTAINS", "cache")}, []string{"10.0.0.3>10.0.0.1:80/"}},
			{"sourceServer.osName", C, []discovery.Filter{invF("sourceServer.osName", "EQUALS", "Ubuntu")}, []string{"10.0.0.3>10.0.0.1:80/"}},
			{"sourceServer.osVersion", C, []discovery.Filter{invF("sourceServer.osVersion", "EQUALS", "20.04")}, []string{"10.0.0.3>10.0.0.1:80/"}},
			{"sourceServer.agentId", C, []discovery.Filter{invF("sourceServer.agentId", "CONTAINS", "0003")}, []string{"10.0.0.4>10.0.0.1:443/"}},
			{"destinationServer.configurationId", C, []discovery.Filter{invF("destinationServer.configurationId", "EQUALS", "")}, []string{"10.0.0.1>8.8.8.8:53/"}},
			{"destinationServer.hostName", C, []discovery.Filter{invF("destinationServer.hostName", "EQUALS", "db-1.example.com")}, []string{
				"10.0.0.1>10.0.0.2:5432/" + fixture.ProcNginx, "10.0.0.1>10.0.0.2:5432/" + fixture.ProcSSHD, "10.0.0.1>10.0.0.2:6379/"}},
			{"destinationServer.osName", C, []discovery.Filter{invF("destinationServer.osName", "CONTAINS", "windows"), invF("connection.destinationPort", "EQUALS", "6379")}, []string{"10.0.0.1>10.0.0.2:6379/"}},
			{"destinationServer.osVersion", C, []discovery.Filter{invF("destinationServer.osVersion", "CONTAINS", "amzn")}, []string{
				"10.0.0.4>10.0.0.1:443/", "10.0.0.1>10.0.0.1:8080/", "10.0.0.3>10.0.0.1:80/"}},
			{"destinationServer.agentId", C, []discovery.Filter{invF("destinationServer.agentId", "NOT_CONTAINS", "o-agent")}, []string{"10.0.0.1>8.8.8.8:53/"}},
			{"sourceProcess.configurationId", C, []discovery.Filter{invF("sourceProcess.configurationId", "EQUALS", fixture.ProcSSHD)}, []string{"10.0.0.1>10.0.0.2:5432/" + fixture.ProcSSHD}},
			{"sourceProcess.name", C, []discovery.Filter{invF("sourceProcess.name", "EQUALS", "nginx")}, []string{"10.0.0.1>10.0.0.2:5432/" + fixture.ProcNginx}},
			{"sourceProcess.commandLine", C, []discovery.Filter{invF("sourceProcess.commandLine", "CONTAINS", "sshd")}, []string{"10.0.0.1>10.0.0.2:5432/" + fixture.ProcSSHD}},
			{"destinationProcess.configurationId", C, []discovery.Filter{invF("destinationProcess.configurationId", "EQUALS", fixture.ProcNginx)}, []string{"10.0.0.4>10.0.0.1:443/"}},
			{"destinationProcess.name", C, []discovery.Filter{invF("destinationProcess.name", "EQUALS", "postgres"), invF("sourceProcess.name", "NOT_EQUALS", "sshd")}, []string{
				"10.0.0.1>10.0.0.2:5432/" + fixture.ProcNginx}},
			{"destinationprocess.commandLine (guide spelling)", C, []discovery.Filter{invF("destinationprocess.commandLine", "CONTAINS", "pgsql")}, []string{
				"10.0.0.1>10.0.0.2:5432/" + fixture.ProcNginx, "10.0.0.1>10.0.0.2:5432/" + fixture.ProcSSHD}},

			{"all applications", A, nil, []string{fixture.App1, fixture.App2, fixture.App3}},
			{"application.configurationId", A, []discovery.Filter{invF("application.configurationId", "NOT_EQUALS", fixture.App2)}, []string{fixture.App1, fixture.App3}},
			{"application.name", A, []discovery.Filter{invF("application.name", "CONTAINS", "store", "EMPTY")}, []string{fixture.App2, fixture.App3}},
			{"application.description", A, []discovery.Filter{invF("application.description", "EQUALS", "")}, []string{fixture.App2}},
			{"application server.configurationId", A, []discovery.Filter{invF("server.configurationId", "EQUALS", fixture.Srv1)}, []string{fixture.App1, fixture.App2}},
			{"application server.configurationId NOT_EQUALS", A, []discovery.Filter{invF("server.configurationId", "NOT_EQUALS", fixture.Srv2)}, []string{fixture.App2, fixture.App3}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				page, err := svc.ListConfigurations(context.Background(), fixture.A, inventory.ListInput{Type: string(tc.typ), Filters: tc.filters})
				if err != nil {
					t.Fatal(err)
				}
				got := invIDs(tc.typ, page.Configurations)
				if !reflect.DeepEqual(got, tc.want) {
					t.Fatalf("got  %q\nwant %q", got, tc.want)
				}
			})
		}
	})
}

// listAll pages through ListConfigurations with page size n.
func invListAll(t *testing.T, svc *inventory.Service, account string, in inventory.ListInput, n int32) [][]map[string]string {
	t.Helper()
	var pages [][]map[string]string
	in.MaxResults = &n
	var prev string
	for {
		page, err := svc.ListConfigurations(context.Background(), account, in)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, page.Configurations)
		if page.Next == "" {
			return pages
		}
		if page.Next == prev {
			t.Fatal("same token twice")
		}
		prev = page.Next
		in.NextToken = &page.Next
		if len(pages) > 100 {
			t.Fatal("too many pages")
		}
	}
}

// Sorted pagination with page size 2: every item once, in order, across
// ties, for mixed directions.
func TestListConfigurationsOrderAndPagination(t *testing.T) {
	eachStore(t, func(t *testing.T, st invStore) {
		db, raw := invFixture(t, st)
		// Ties: more servers with the same OS name and version.
		for i := 5; i <= 9; i++ {
			fixture.InsertServer(t, raw, fixture.Server{Account: fixture.A, ID: fmt.Sprintf("d-server-0000000000000000%d", i), Host: fmt.Sprintf("web-%d.example.com", i%3),
				OSName: []string{"Ubuntu", "Linux - Amazon Linux AMI release 2015.03"}[i%2], OSVersion: "20.04", Type: "OTHER", Created: fixture.At(time.Duration(i) * time.Minute)})
		}
		svc := invService(db)
		for _, tc := range []struct {
			typ   discovery.ItemType
			order []inventory.Order
			key   func(m map[string]string) []string
			desc  []bool
		}{
			{discovery.TypeServer, nil, func(m map[string]string) []string { return []string{m["server.configurationId"]} }, []bool{false}},
			{discovery.TypeServer, []inventory.Order{{FieldName: "server.osName", SortOrder: "DESC"}},
				func(m map[string]string) []string { return []string{m["server.osName"], m["server.configurationId"]} }, []bool{true, true}},
			{discovery.TypeServer, []inventory.Order{{FieldName: "server.osName"}, {FieldName: "server.hostName", SortOrder: "DESC"}},
				func(m map[string]string) []string {
					return []string{m["server.osName"], m["server.hostName"], m["server.configurationId"]}
				}, []bool{false, true, true}},
			{discovery.TypeServer, []inventory.Order{{FieldName: "server.osVersion", SortOrder: "ASC"}, {FieldName: "server.osName", SortOrder: "DESC"}, {FieldName: "server.hostName", SortOrder: "ASC"}},
				func(m map[string]string) []string {
					return []string{m["server.osVersion"], m["server.osName"], m["server.hostName"], m["server.configurationId"]}
				}, []bool{false, true, false, false}},
			{discovery.TypeApplication, []inventory.Order{{FieldName: "application.serverCount", SortOrder: "DESC"}, {FieldName: "application.name"}},
				func(m map[string]string) []string {
					return []string{fmt.Sprintf("%09s", m["application.serverCount"]), m["application.name"], m["application.configurationId"]}
				}, []bool{true, false, false}},
			{discovery.TypeApplication, []inventory.Order{{FieldName: "application.lastModifiedTime", SortOrder: "DESC"}},
				func(m map[string]string) []string {
					return []string{m["application.lastModifiedTime"], m["application.configurationId"]}
				}, []bool{true, true}},
			{discovery.TypeProcess, []inventory.Order{{FieldName: "server.hostName"}, {FieldName: "process.name", SortOrder: "DESC"}},
				func(m map[string]string) []string {
					host := map[string]string{fixture.Srv1: "web-1.example.com", fixture.Srv2: "db-1.example.com"}[m["server.configurationId"]]
					return []string{host, m["process.name"], m["process.configurationId"]}
				}, []bool{false, true, true}},
			{discovery.TypeConnection, []inventory.Order{{FieldName: "connection.destinationPort", SortOrder: "DESC"}},
				func(m map[string]string) []string {
					return []string{fmt.Sprintf("%05s", m["connection.destinationPort"]), m["connection.sourceIp"] + m["sourceProcess.configurationId"]}
				}, nil},
			{discovery.TypeConnection, []inventory.Order{{FieldName: "sourceServer.hostName"}, {FieldName: "connection.destinationIp", SortOrder: "DESC"}},
				func(m map[string]string) []string {
					return []string{m["sourceServer.hostName"], m["connection.destinationIp"]}
				}, nil},
		} {
			name := fmt.Sprint(tc.typ, tc.order)
			t.Run(name, func(t *testing.T) {
				all, err := svc.ListConfigurations(context.Background(), fixture.A, inventory.ListInput{Type: string(tc.typ), OrderBy: tc.order})
				if err != nil {
					t.Fatal(err)
				}
				var paged []map[string]string
				for i, p := range invListAll(t, svc, fixture.A, inventory.ListInput{Type: string(tc.typ), OrderBy: tc.order}, 2) {
					if len(p) > 2 || (len(p) == 0 && i > 0) {
						t.Fatalf("page %d has %d items", i, len(p))
					}
					paged = append(paged, p...)
				}
				if !reflect.DeepEqual(paged, all.Configurations) {
					t.Fatalf("paged %v\nall   %v", paged, all.Configurations)
				}
				seen := map[string]bool{}
				for _, m := range paged {
					k := strings.Join(slices.Sorted(func(yield func(string) bool) {
						for k, v := range m {
							if !yield(k + "=" + v) {
								return
							}
						}
					}), ",")
					if seen[k] {
						t.Fatalf("item twice: %v", m)
					}
					seen[k] = true
				}
				// Order check (string keys; numbers were zero-padded).
				if tc.desc != nil {
					for i := 1; i < len(paged); i++ {
						a, b := tc.key(paged[i-1]), tc.key(paged[i])
						if c := invCompare(a, b, tc.desc); c >= 0 {
							t.Fatalf("out of order at %d: %v then %v", i, a, b)
						}
					}
				} else {
					// Sorted by the first key only (the ID tie-breaker is not shown).
					for i := 1; i < len(paged); i++ {
						a, b := tc.key(paged[i-1]), tc.key(paged[i])
						first := tc.order[0]
						desc := strings.EqualFold(first.SortOrder, "DESC")
						if (!desc && a[0] > b[0]) || (desc && a[0] < b[0]) {
							t.Fatalf("out of order at %d: %v then %v", i, a, b)
						}
					}
				}
				if n := map[discovery.ItemType]int{discovery.TypeServer: 9, discovery.TypeApplication: 3, discovery.TypeProcess: 3, discovery.TypeConnection: 7}[tc.typ]; len(paged) != n {
					t.Fatalf("%d items, want %d", len(paged), n)
				}
			})
		}
	})
}

func invCompare(a, b []string, desc []bool) int {
	for i := range a {
		c := strings.Compare(a[i], b[i])
		if desc[i] {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

func TestListConfigurationsOrderValues(t *testing.T) {
	eachStore(t, func(t *testing.T, st invStore) {
		db, _ := invFixture(t, st)
		svc := invService(db)
		page, err := svc.ListConfigurations(context.Background(), fixture.A, inventory.ListInput{Type: "SERVER",
			OrderBy: []inventory.Order{{FieldName: "server.hostName", SortOrder: "DESC"}}})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := invIDs(discovery.TypeServer, page.Configurations), []string{fixture.Srv4, fixture.Srv1, fixture.Srv2, fixture.Srv3}; !reflect.DeepEqual(got, want) {
			t.Fatalf("hostName DESC: %v, want %v", got, want)
		}
		page, err = svc.ListConfigurations(context.Background(), fixture.A, inventory.ListInput{Type: "APPLICATION",
			OrderBy: []inventory.Order{{FieldName: "application.serverCount"}, {FieldName: "application.timeOfCreation", SortOrder: "DESC"}}})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := invIDs(discovery.TypeApplication, page.Configurations), []string{fixture.App3, fixture.App2, fixture.App1}; !reflect.DeepEqual(got, want) {
			t.Fatalf("serverCount ASC: %v, want %v", got, want)
		}
	})
}

// The exact attribute maps of the fixture server, process, connection and
// application.
func TestAttributeMaps(t *testing.T) {
	eachStore(t, func(t *testing.T, st invStore) {
		db, _ := invFixture(t, st)
		svc := invService(db)
		ctx := context.Background()
		got, err := svc.DescribeConfigurations(ctx, fixture.A, []string{fixture.Srv1})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{
			"server.agentId":                                   "o-agent0000000001",
			"server.applications":                              `[{"name":"Payments","configurationId":"d-application-0000000000001"},{"name":"Web Store","configurationId":"d-application-0000000000002"}]`,
			"server.applications.hasMoreValues":                "false",
			"server.configurationId":                           fixture.Srv1,
			"server.cpuType":                                   "x64",
			"server.hostName":                                  "web-1.example.com",
			"server.hypervisor":                                "xen",
			"server.networkInterfaceInfo":                      `[{"name":"eth0","macAddress":"06:A7:7D:3F:54:57","ipAddress":"10.0.0.1","netMask":"255.255.240.0"},{"name":"eth0","macAddress":"06:A7:7D:3F:54:57","ipAddress":"fe80::4a7:7dff:fe3f:5457"},{"name":"lo","macAddress":"00:00:00:00:00:00","ipAddress":"127.0.0.1","netMask":"255.0.0.0"}]`,
			"server.networkInterfaceInfo.hasMoreValues":        "false",
			"server.osName":                                    "Linux - Amazon Linux AMI release 2015.03",
			"server.osVersion":                                 "3.14.48-33.39.amzn1.x86_64",
			"server.tags":                                      `[{"key":"env","value":"prod"},{"key":"tier","value":"web"}]`,
			"server.tags.hasMoreValues":                        "false",
			"server.timeOfCreation":                            "2016-10-28 23:44:00.0",
			"server.type":                                      "EC2",
			"server.performance.avgCpuUsagePct":                "14.733333333333333",
			"server.performance.avgDiskReadIOPS":               "0.0",
			"server.performance.avgDiskReadsPerSecondInKB":     "0.0",
			"server.performance.avgDiskWriteIOPS":              "0.13333333333333333",
			"server.performance.avgDiskWritesPerSecondInKB":    "0.5333333333333333",
			"server.performance.avgFreeRAMInKB":                "1536000.0",
			"server.performance.avgNetworkReadsPerSecondInKB":  "2.8720052083333334",
			"server.performance.avgNetworkWritesPerSecondInKB": "1.7977864583333334",
			"server.performance.maxCpuUsagePct":                "100.0",
			"server.performance.maxDiskReadIOPS":               "0.0",
			"server.performance.maxDiskReadsPerSecondInKB":     "0.0",
			"server.performance.maxDiskWriteIOPS":              "1.0",
			"server.performance.maxDiskWritesPerSecondInKB":    "4.0",
			"server.performance.maxNetworkReadsPerSecondInKB":  "13.400390625",
			"server.performance.maxNetworkWritesPerSecondInKB": "12.271484375",
			"server.performance.minFreeRAMInKB":                "1529896.0",
			"server.performance.numCores":                      "1",
			"server.performance.numCpus":                       "1",
			"server.performance.numDisks":                      "1",
			"server.performance.numNetworkCards":               "2",
			"server.performance.totalRAMInKB":                  "1694732.0",
		}
		if len(want) != 36 {
			t.Fatalf("the golden map has %d keys, the guide 36", len(want))
		}
		if len(got) != 1 || !reflect.DeepEqual(got[0], want) {
			t.Fatalf("server:\n%s", invDiff(got[0], want))
		}
		for _, v := range []string{"server.applications", "server.tags", "server.networkInterfaceInfo"} {
			var x []map[string]string
			if err := json.Unmarshal([]byte(got[0][v]), &x); err != nil {
				t.Errorf("%s is not a JSON array of objects: %v", v, err)
			}
		}

		// An imported server without samples or lists.
		got, err = svc.DescribeConfigurations(ctx, fixture.A, []string{fixture.Srv3})
		if err != nil {
			t.Fatal(err)
		}
		want = map[string]string{
			"server.configurationId": fixture.Srv3, "server.hostName": "cache-1.example.com", "server.osName": "Ubuntu", "server.osVersion": "20.04",
			"server.type": "OTHER", "server.timeOfCreation": "2016-10-28 23:45:00.0",
			"server.applications": "[]", "server.applications.hasMoreValues": "false", "server.tags": "[]", "server.tags.hasMoreValues": "false",
			"server.networkInterfaceInfo": "[]", "server.networkInterfaceInfo.hasMoreValues": "false",
		}
		if !reflect.DeepEqual(got[0], want) {
			t.Fatalf("imported server:\n%s", invDiff(got[0], want))
		}

		// ListConfigurations SERVER: the seven keys.
		page, err := svc.ListConfigurations(ctx, fixture.A, inventory.ListInput{Type: "SERVER", Filters: []discovery.Filter{invF("server.configurationId", "EQUALS", fixture.Srv1)}})
		if err != nil {
			t.Fatal(err)
		}
		want = map[string]string{"server.configurationId": fixture.Srv1, "server.agentId": "o-agent0000000001", "server.hostName": "web-1.example.com",
			"server.osName": "Linux - Amazon Linux AMI release 2015.03", "server.osVersion": "3.14.48-33.39.amzn1.x86_64",
			"server.timeOfCreation": "2016-10-28 23:44:00.0", "server.type": "EC2"}
		if !reflect.DeepEqual(page.Configurations[0], want) {
			t.Fatalf("list server:\n%s", invDiff(page.Configurations[0], want))
		}

		// PROCESS.
		wantProc := map[string]string{"process.configurationId": fixture.ProcNginx, "process.name": "nginx", "process.commandLine": "/usr/sbin/nginx -g daemon off;",
			"process.path": "/usr/sbin/nginx", "process.timeOfCreation": "2016-10-29 00:44:00.0"}
		got, err = svc.DescribeConfigurations(ctx, fixture.A, []string{fixture.ProcNginx, fixture.ProcB})
		if err != nil || len(got) != 1 || !reflect.DeepEqual(got[0], wantProc) {
			t.Fatalf("describe process: %v %v", got, err)
		}
		page, err = svc.ListConfigurations(ctx, fixture.A, inventory.ListInput{Type: "PROCESS", MaxResults: invPtr32(1)})
		if err != nil {
			t.Fatal(err)
		}
		wantProc["server.configurationId"], wantProc["server.agentId"] = fixture.Srv1, "o-agent0000000001"
		if !reflect.DeepEqual(page.Configurations[0], wantProc) {
			t.Fatalf("list process:\n%s", invDiff(page.Configurations[0], wantProc))
		}

		// CONNECTION: the 15 keys of the guide; DescribeConfigurations adds the ID.
		page, err = svc.ListConfigurations(ctx, fixture.A, inventory.ListInput{Type: "CONNECTION", MaxResults: invPtr32(1)})
		if err != nil {
			t.Fatal(err)
		}
		wantConn := map[string]string{
			"connection.destinationIp": "10.0.0.2", "connection.destinationPort": "5432", "connection.ipVersion": "IPv4",
			"connection.latestTimestamp": "2016-10-29 04:44:00.0", "connection.occurrence": "10", "connection.sourceIp": "10.0.0.1",
			"connection.transportProtocol":       "tcp",
			"destinationProcess.configurationId": fixture.ProcPG, "destinationProcess.name": "postgres",
			"destinationServer.configurationId": fixture.Srv2, "destinationServer.hostName": "db-1.example.com",
			"sourceProcess.configurationId": fixture.ProcNginx, "sourceProcess.name": "nginx",
			"sourceServer.configurationId": fixture.Srv1, "sourceServer.hostName": "web-1.example.com",
		}
		if len(wantConn) != 15 || !reflect.DeepEqual(page.Configurations[0], wantConn) {
			t.Fatalf("list connection:\n%s", invDiff(page.Configurations[0], wantConn))
		}
		got, err = svc.DescribeConfigurations(ctx, fixture.A, []string{"d-connection-" + fixture.Conn7, "d-connection-" + fixture.Conn1, "d-connection-ffff"})
		if err != nil {
			t.Fatal(err)
		}
		wantConn["connection.configurationId"] = "d-connection-" + fixture.Conn1
		if len(got) != 2 || !reflect.DeepEqual(got[1], wantConn) {
			t.Fatalf("describe connections: %v", got)
		}
		if got[0]["connection.latestTimestamp"] != "2016-10-29 10:44:00.25" || got[0]["connection.transportProtocol"] != "udp" {
			t.Fatalf("conn7 = %v", got[0])
		}
		if _, ok := got[0]["destinationProcess.configurationId"]; ok {
			t.Fatalf("unknown endpoint process shown: %v", got[0])
		}

		// APPLICATION, both operations.
		wantApp := map[string]string{"application.configurationId": fixture.App2, "application.name": "Web Store", "application.description": "",
			"application.serverCount": "1", "application.timeOfCreation": "2016-10-30 01:44:00.0", "application.lastModifiedTime": "2016-10-30 01:44:00.0"}
		got, err = svc.DescribeConfigurations(ctx, fixture.A, []string{fixture.App2, fixture.App2})
		if err != nil || len(got) != 1 || !reflect.DeepEqual(got[0], wantApp) {
			t.Fatalf("describe application: %v %v", got, err)
		}
		page, err = svc.ListConfigurations(ctx, fixture.A, inventory.ListInput{Type: "APPLICATION", Filters: []discovery.Filter{invF("application.configurationId", "EQUALS", fixture.App2)}})
		if err != nil || !reflect.DeepEqual(page.Configurations, []map[string]string{wantApp}) {
			t.Fatalf("list application: %v %v", page, err)
		}
	})
}

func invDiff(got, want map[string]string) string {
	var b strings.Builder
	keys := map[string]bool{}
	for k := range got {
		keys[k] = true
	}
	for k := range want {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		g, gok := got[k]
		w, wok := want[k]
		if g != w || gok != wok {
			fmt.Fprintf(&b, "  %s: got %q (%v), want %q (%v)\n", k, g, gok, w, wok)
		}
	}
	return b.String()
}

func TestDescribeConfigurationsAccountsAndOrder(t *testing.T) {
	eachStore(t, func(t *testing.T, st invStore) {
		db, _ := invFixture(t, st)
		svc := invService(db)
		ctx := context.Background()
		// Request order, duplicates once, unknown and foreign IDs left out.
		got, err := svc.DescribeConfigurations(ctx, fixture.A, []string{fixture.Srv4, fixture.SrvB, fixture.Srv1, fixture.Srv4, "d-server-unknown"})
		if err != nil {
			t.Fatal(err)
		}
		if g := invIDs(discovery.TypeServer, got); !reflect.DeepEqual(g, []string{fixture.Srv4, fixture.Srv1}) {
			t.Fatalf("got %v", g)
		}
		// B sees its own server with the same host name, never A's data.
		got, err = svc.DescribeConfigurations(ctx, fixture.B, []string{fixture.SrvB, fixture.Srv1})
		if err != nil || len(got) != 1 || got[0]["server.configurationId"] != fixture.SrvB || got[0]["server.tags"] != "[]" {
			t.Fatalf("B: %v %v", got, err)
		}
		// B's application has fixture.Srv3 (an ID of A) as a member: counted for B, but
		// A's fixture.Srv3 does not show B's application.
		got, _ = svc.DescribeConfigurations(ctx, fixture.A, []string{fixture.Srv3})
		if got[0]["server.applications"] != "[]" || got[0]["server.tags"] != "[]" {
			t.Fatalf("A's fixture.Srv3 shows B's data: %v", got[0])
		}
	})
}

func TestDescribeServersListCap(t *testing.T) {
	eachStore(t, func(t *testing.T, st invStore) {
		db, raw := invFixture(t, st)
		for i := range 12 {
			fixture.Exec(t, raw, `INSERT INTO tags (account_id, configuration_id, key, value, created_ms) VALUES (?, ?, ?, 'v', 0)`, fixture.A, fixture.Srv4, fmt.Sprintf("k%02d", i))
			fixture.Exec(t, raw, `INSERT INTO network_interfaces (account_id, server_id, name, ip_address) VALUES (?, ?, ?, '10.1.1.1')`, fixture.A, fixture.Srv4, fmt.Sprintf("eth%02d", i+1))
		}
		got, err := invService(db).DescribeConfigurations(context.Background(), fixture.A, []string{fixture.Srv4})
		if err != nil {
			t.Fatal(err)
		}
		var tags, nics []map[string]string
		json.Unmarshal([]byte(got[0]["server.tags"]), &tags)
		json.Unmarshal([]byte(got[0]["server.networkInterfaceInfo"]), &nics)
		if len(tags) != 10 || got[0]["server.tags.hasMoreValues"] != "true" || tags[9]["key"] != "k09" {
			t.Fatalf("tags %v %s", tags, got[0]["server.tags.hasMoreValues"])
		}
		if len(nics) != 10 || got[0]["server.networkInterfaceInfo.hasMoreValues"] != "true" || got[0]["server.applications.hasMoreValues"] != "false" {
			t.Fatalf("nics %v", got[0])
		}
		if got[0]["server.performance.numNetworkCards"] != "1" {
			t.Fatalf("numNetworkCards = %q (the stored count)", got[0]["server.performance.numNetworkCards"])
		}
	})
}

func TestListServerNeighbors(t *testing.T) {
	eachStore(t, func(t *testing.T, st invStore) {
		db, _ := invFixture(t, st)
		svc := invService(db)
		ctx := context.Background()
		type edge struct {
			S, D  string
			P     int64
			T     string
			Count int64
		}
		collect := func(in inventory.NeighborsInput, size int32) ([]edge, int64) {
			t.Helper()
			var out []edge
			var count int64 = -1
			in.MaxResults = &size
			for range 20 {
				page, err := svc.ListServerNeighbors(ctx, fixture.A, in)
				if err != nil {
					t.Fatal(err)
				}
				if count >= 0 && page.KnownDependencyCount != count {
					t.Fatalf("knownDependencyCount changed between pages: %d, %d", count, page.KnownDependencyCount)
				}
				count = page.KnownDependencyCount
				if len(page.Neighbors) > int(size) {
					t.Fatalf("page of %d", len(page.Neighbors))
				}
				for _, n := range page.Neighbors {
					out = append(out, edge{n.Source, n.Destination, n.Port, n.Protocol, n.Count})
				}
				if page.Next == "" {
					return out, count
				}
				in.NextToken = &page.Next
			}
			t.Fatal("too many pages")
			return nil, 0
		}
		for _, size := range []int32{1, 2, 100} {
			got, count := collect(inventory.NeighborsInput{ConfigurationID: fixture.Srv1}, size)
			want := []edge{{fixture.Srv1, fixture.Srv2, -1, "", 18}, {fixture.Srv3, fixture.Srv1, -1, "", 1}, {fixture.Srv4, fixture.Srv1, -1, "", 7}}
			if !reflect.DeepEqual(got, want) || count != 3 {
				t.Fatalf("size %d: %v (%d)\nwant %v (3)", size, got, count, want)
			}
			got, count = collect(inventory.NeighborsInput{ConfigurationID: fixture.Srv1, PortInformationNeeded: true}, size)
			want = []edge{{fixture.Srv1, fixture.Srv2, 5432, "tcp", 15}, {fixture.Srv1, fixture.Srv2, 6379, "tcp", 3}, {fixture.Srv3, fixture.Srv1, 80, "udp", 1}, {fixture.Srv4, fixture.Srv1, 443, "tcp", 7}}
			if !reflect.DeepEqual(got, want) || count != 3 {
				t.Fatalf("size %d ports: %v (%d)\nwant %v", size, got, count, want)
			}
		}
		got, count := collect(inventory.NeighborsInput{ConfigurationID: fixture.Srv1, NeighborIDs: []string{fixture.Srv2, fixture.Srv4, fixture.SrvB}}, 1)
		if want := []edge{{fixture.Srv1, fixture.Srv2, -1, "", 18}, {fixture.Srv4, fixture.Srv1, -1, "", 7}}; !reflect.DeepEqual(got, want) || count != 2 {
			t.Fatalf("restricted: %v (%d)", got, count)
		}
		got, count = collect(inventory.NeighborsInput{ConfigurationID: fixture.Srv2}, 5)
		if want := []edge{{fixture.Srv1, fixture.Srv2, -1, "", 18}}; !reflect.DeepEqual(got, want) || count != 1 {
			t.Fatalf("srv2: %v (%d)", got, count)
		}
		// Unknown, foreign and isolated servers: no neighbors.
		for _, id := range []string{"d-server-unknown", fixture.SrvB} {
			got, count = collect(inventory.NeighborsInput{ConfigurationID: id}, 5)
			if len(got) != 0 || count != 0 {
				t.Fatalf("%s: %v %d", id, got, count)
			}
		}
		// B sees its own edge to fixture.Srv2 only if fixture.Srv2 is a server of B: it is not.
		page, err := svc.ListServerNeighbors(ctx, fixture.B, inventory.NeighborsInput{ConfigurationID: fixture.SrvB})
		if err != nil || len(page.Neighbors) != 0 {
			t.Fatalf("B: %v %v", page, err)
		}
		// A token of one query is not valid for another.
		one := int32(1)
		p1, _ := svc.ListServerNeighbors(ctx, fixture.A, inventory.NeighborsInput{ConfigurationID: fixture.Srv1, MaxResults: &one})
		for _, in := range []inventory.NeighborsInput{
			{ConfigurationID: fixture.Srv1, PortInformationNeeded: true, NextToken: &p1.Next},
			{ConfigurationID: fixture.Srv2, NextToken: &p1.Next},
			{ConfigurationID: fixture.Srv1, NeighborIDs: []string{fixture.Srv2}, NextToken: &p1.Next},
		} {
			if _, err := svc.ListServerNeighbors(ctx, fixture.A, in); err == nil || !strings.Contains(err.Error(), "nextToken") {
				t.Fatalf("foreign token accepted: %v", err)
			}
		}
	})
}

func TestSummary(t *testing.T) {
	eachStore(t, func(t *testing.T, st invStore) {
		db, _ := invFixture(t, st)
		svc := invService(db)
		got, err := svc.GetDiscoverySummary(context.Background(), fixture.A)
		if err != nil {
			t.Fatal(err)
		}
		want := &inventory.DiscoverySummary{
			Servers: 4, Applications: 3, ServersMappedToApplications: 2, ServersMappedToTags: 2,
			Agents:     inventory.CollectorCounts{Active: 3, Healthy: 1, DenyListed: 1, Shutdown: 1, Unhealthy: 1, Total: 6, Unknown: 1},
			Connectors: inventory.CollectorCounts{Active: 1, Healthy: 1, Total: 1},
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("got  %+v\nwant %+v", got, want)
		}
		// Adds up with ListConfigurations.
		for typ, n := range map[string]int64{"SERVER": got.Servers, "APPLICATION": got.Applications} {
			page, err := svc.ListConfigurations(context.Background(), fixture.A, inventory.ListInput{Type: typ})
			if err != nil || int64(len(page.Configurations)) != n {
				t.Fatalf("%s: %d listed, summary %d (%v)", typ, len(page.Configurations), n, err)
			}
		}
		b, err := svc.GetDiscoverySummary(context.Background(), fixture.B)
		if err != nil {
			t.Fatal(err)
		}
		if b.Servers != 1 || b.Applications != 1 || b.ServersMappedToApplications != 1 || b.ServersMappedToTags != 0 || b.Agents.Total != 1 {
			t.Fatalf("B: %+v", b)
		}
		empty, err := svc.GetDiscoverySummary(context.Background(), "333333333333")
		if err != nil || !reflect.DeepEqual(empty, &inventory.DiscoverySummary{}) {
			t.Fatalf("empty account: %+v %v", empty, err)
		}
	})
}

// TestMergedFiltersMatchEachFilterAlone: several filters on one field and
// condition, which Where merges into one predicate or the store packs into
// one term (so that thousands of filters stay within SQLite's limits), select
// exactly the items that each filter alone selects, for every filter name and
// condition of every type.
func TestMergedFiltersMatchEachFilterAlone(t *testing.T) {
	eachStore(t, func(t *testing.T, st invStore) {
		db, _ := invFixture(t, st)
		svc := invService(db)
		strs := []string{"web", "db-1.example.com", "web-1.example.com", "10.0.0.2", "10.0.0.4", "10.0.0.1", "Ubuntu", "amzn", "tier", "prod",
			"Web Store", "card", "nginx", "postgres", "-D", fixture.Srv1, fixture.Srv2, fixture.Srv4, fixture.ProcPG, fixture.ProcNginx, fixture.App1, fixture.App2, "EC2", "OTHER",
			"o-agent0000000001", "o-agent0000000003", "cache", "", "example", "06:4a", "8.8", "sshd", "pgsql"}
		nums := []string{"0", "5", "11", "14.733333333333333", "20", "100", "1048576", "2100000"}
		ports := []string{"53", "80", "443", "5432", "6379", "8080", "1"}
		rng := rand.New(rand.NewPCG(11, 11))
		list := func(typ discovery.ItemType, fs ...discovery.Filter) []string {
			t.Helper()
			page, err := svc.ListConfigurations(context.Background(), fixture.A, inventory.ListInput{Type: string(typ), Filters: fs})
			if err != nil {
				t.Fatalf("%v: %v", fs, err)
			}
			return invIDs(typ, page.Configurations)
		}
		conds := map[inventory.CondSet][]string{
			inventory.C4: {"EQUALS", "NOT_EQUALS"},
			inventory.C6: {"EQUALS", "NOT_EQUALS", "CONTAINS", "NOT_CONTAINS"},
			inventory.CN: {"GE", "LE", "GT", "LT"},
		}
		checked := 0
		for _, typ := range discovery.ItemTypes() {
			for _, fl := range inventory.Fields(typ) {
				pool := strs
				switch {
				case fl.Kind == inventory.KindNumber:
					pool = nums
				case fl.Kind == inventory.KindInteger:
					pool = ports
				}
				for _, cond := range conds[fl.Conds] {
					var fs []discovery.Filter
					for range 6 {
						var vals []string
						for range 1 + rng.IntN(3) {
							vals = append(vals, pool[rng.IntN(len(pool))])
						}
						fs = append(fs, invF(fl.Name, cond, vals...))
					}
					for _, combo := range [][]int{{0, 1}, {2, 3}, {4, 5}, {0, 2, 4}, {1, 3, 5}, {0, 1, 2, 3, 4, 5}, {0, 0}} {
						var sel []discovery.Filter
						want := list(typ) // every item, narrowed by each filter
						for _, i := range combo {
							sel = append(sel, fs[i])
							alone := list(typ, fs[i])
							want = slices.DeleteFunc(want, func(id string) bool { return !slices.Contains(alone, id) })
						}
						if got := list(typ, sel...); !slices.Equal(got, want) {
							t.Errorf("%s %v: got %q, want %q (each filter alone)", typ, sel, got, want)
						}
						checked++
					}
				}
			}
		}
		if checked < 500 {
			t.Errorf("only %d combinations checked", checked)
		}
	})
}

// The store answers every sort name of every type, each direction, with
// every item of the type once.
func TestEverySort(t *testing.T) {
	eachStore(t, func(t *testing.T, st invStore) {
		db, _ := invFixture(t, st)
		svc := invService(db)
		counts := map[discovery.ItemType]int{discovery.TypeServer: 4, discovery.TypeApplication: 3, discovery.TypeProcess: 3, discovery.TypeConnection: 7}
		for _, typ := range discovery.ItemTypes() {
			for _, f := range inventory.Fields(typ) {
				if !f.Sortable {
					continue
				}
				for _, dir := range []string{"ASC", "DESC"} {
					pages := invListAll(t, svc, fixture.A, inventory.ListInput{Type: string(typ), OrderBy: []inventory.Order{{FieldName: f.Name, SortOrder: dir}}}, 2)
					n := 0
					for _, p := range pages {
						n += len(p)
					}
					if n != counts[typ] {
						t.Errorf("%s by %s %s: %d items, want %d", typ, f.Name, dir, n, counts[typ])
					}
				}
			}
		}
	})
}
