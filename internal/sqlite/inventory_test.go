package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/inventory"
	"github.com/poseidon-ads/poseidon/internal/pagetoken"
)

const (
	invA = "111111111111"
	invB = "222222222222"

	srv1 = "d-server-00000000000000001"
	srv2 = "d-server-00000000000000002"
	srv3 = "d-server-00000000000000003"
	srv4 = "d-server-00000000000000004"
	srvB = "d-server-0000000000000000b"

	procNginx = "d-process-0000000000000001"
	procSSHD  = "d-process-0000000000000002"
	procPG    = "d-process-0000000000000003"
	procB     = "d-process-000000000000000b"

	app1 = "d-application-0000000000001"
	app2 = "d-application-0000000000002"
	app3 = "d-application-0000000000003"

	conn1 = "0000000000000c001" // as intake stores them: no prefix
	conn2 = "0000000000000c002"
	conn3 = "0000000000000c003"
	conn4 = "0000000000000c004"
	conn5 = "0000000000000c005"
	conn6 = "0000000000000c006"
	conn7 = "0000000000000c007"
)

var invT0 = time.Date(2016, 10, 28, 23, 44, 0, 0, time.UTC)

func invAt(d time.Duration) int64 { return invT0.Add(d).UnixMilli() }

// exec runs statements with args; a test helper for fixtures.
func invExec(t testing.TB, db *DB, query string, args ...any) {
	t.Helper()
	if _, err := db.db.Exec(query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// invServer is a server; perf is nil for a server without samples.
type invServer struct {
	account, id, agent, source, host, osName, osVersion, cpu, hyper, typ string
	cpus, cores, disks, nics                                             int
	ramMB                                                                float64
	moref, vcenter, vmHost                                               string
	created                                                              int64
	perf                                                                 *invPerf
}

type invPerf struct {
	n                                int
	cpuSum, cpuMax, freeSum, freeMin float64
	diskFree                         float64
	drKB, drKBMax, dwKB, dwKBMax     float64
	drOps, drOpsMax, dwOps, dwOpsMax float64
	nrKB, nrKBMax, nwKB, nwKBMax     float64
}

func invInsertServer(t testing.TB, db *DB, r invServer) {
	t.Helper()
	p := r.perf
	if p == nil {
		p = &invPerf{}
	}
	var freeMin any
	if r.perf != nil {
		freeMin = p.freeMin
	}
	invExec(t, db, `INSERT INTO servers (account_id, server_id, agent_id, source, host_name, os_name, os_version, cpu_type, hypervisor,
		server_type, num_cpus, num_cores, num_logical, total_ram_mb, total_disk_gb, num_disks, num_nics, vm_moref_id, vcenter_id, vm_host_id,
		created_ms, updated_ms, perf_samples, cpu_sum, cpu_max, free_ram_sum, free_ram_min, disk_free_gb,
		disk_read_kbps_sum, disk_read_kbps_max, disk_write_kbps_sum, disk_write_kbps_max,
		disk_read_ops_sum, disk_read_ops_max, disk_write_ops_sum, disk_write_ops_max,
		net_read_kbps_sum, net_read_kbps_max, net_write_kbps_sum, net_write_kbps_max)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 100, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.account, r.id, r.agent, r.source, r.host, r.osName, r.osVersion, r.cpu, r.hyper, r.typ,
		r.cpus, r.cores, r.cpus*r.cores, r.ramMB, r.disks, r.nics, r.moref, r.vcenter, r.vmHost,
		r.created, r.created, p.n, p.cpuSum, p.cpuMax, p.freeSum, freeMin, p.diskFree,
		p.drKB, p.drKBMax, p.dwKB, p.dwKBMax, p.drOps, p.drOpsMax, p.dwOps, p.dwOpsMax, p.nrKB, p.nrKBMax, p.nwKB, p.nwKBMax)
}

// fixture fills account A with four servers, processes, connections,
// applications, tags and agents, and account B with look-alikes that A must
// never see.
func invFixture(t testing.TB) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "inv.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })

	invInsertServer(t, db, invServer{account: invA, id: srv1, agent: "o-agent0000000001", source: "Agent", host: "web-1.example.com",
		osName: "Linux - Amazon Linux AMI release 2015.03", osVersion: "3.14.48-33.39.amzn1.x86_64", cpu: "x64", hyper: "xen", typ: "EC2",
		cpus: 1, cores: 1, disks: 1, nics: 2, ramMB: 1655.01171875, moref: "vm-101", vcenter: "vc-east", vmHost: "host-7", created: invAt(0),
		perf: &invPerf{n: 15, cpuSum: 221, cpuMax: 100, freeSum: 22500, freeMin: 1494.0390625, diskFree: 20,
			drKB: 0, drKBMax: 0, dwKB: 8, dwKBMax: 4, drOps: 0, drOpsMax: 0, dwOps: 2, dwOpsMax: 1,
			nrKB: 43.080078125, nrKBMax: 13.400390625, nwKB: 26.966796875, nwKBMax: 12.271484375}})
	invInsertServer(t, db, invServer{account: invA, id: srv2, agent: "o-agent0000000002", source: "Agent", host: "db-1.example.com",
		osName: "Windows Server 2019", osVersion: "10.0.17763", cpu: "x64", hyper: "VMware", typ: "VMWARE_VM",
		cpus: 2, cores: 4, disks: 2, nics: 1, ramMB: 16384, moref: "vm-202", vcenter: "vc-west", vmHost: "host-9", created: invAt(30 * time.Second),
		perf: &invPerf{n: 4, cpuSum: 200, cpuMax: 90, freeSum: 16384, freeMin: 1024, diskFree: 100}})
	invInsertServer(t, db, invServer{account: invA, id: srv3, source: "Import", host: "cache-1.example.com", osName: "Ubuntu", osVersion: "20.04",
		typ: "OTHER", created: invAt(time.Minute)})
	invInsertServer(t, db, invServer{account: invA, id: srv4, agent: "o-agent0000000003", source: "Agent", host: "web-2.example.com",
		osName: "Linux - Amazon Linux AMI release 2015.03", osVersion: "3.14.48-33.39.amzn1.x86_64", cpu: "x64", hyper: "xen", typ: "EC2",
		cpus: 1, cores: 2, disks: 1, nics: 1, ramMB: 4096, created: invAt(2 * time.Minute),
		perf: &invPerf{n: 2, cpuSum: 20, cpuMax: 15, freeSum: 4096, freeMin: 1000, diskFree: 0.5}})
	invInsertServer(t, db, invServer{account: invB, id: srvB, agent: "o-agentB00000001", source: "Agent", host: "web-1.example.com",
		osName: "Linux - Amazon Linux AMI release 2015.03", osVersion: "3.14.48-33.39.amzn1.x86_64", typ: "EC2", created: invAt(0),
		perf: &invPerf{n: 1, cpuSum: 99, cpuMax: 99, freeSum: 1, freeMin: 1}})

	for _, n := range [][]string{
		{invA, srv1, "eth0", "10.0.0.1", "06:A7:7D:3F:54:57", "255.255.240.0", "IPv4"},
		{invA, srv1, "eth0", "fe80::4a7:7dff:fe3f:5457", "06:A7:7D:3F:54:57", "", "IPv6"},
		{invA, srv1, "lo", "127.0.0.1", "00:00:00:00:00:00", "255.0.0.0", "IPv4"},
		{invA, srv2, "Ethernet0", "10.0.0.2", "00:50:56:AA:BB:CC", "255.255.255.0", "IPv4"},
		{invA, srv4, "eth0", "10.0.0.4", "06:4A:79:60:75:61", "255.255.240.0", "IPv4"},
		{invB, srvB, "eth0", "10.0.0.1", "06:A7:7D:3F:54:57", "255.255.240.0", "IPv4"},
	} {
		invExec(t, db, `INSERT INTO network_interfaces (account_id, server_id, name, ip_address, mac_address, net_mask, family) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			n[0], n[1], n[2], n[3], n[4], n[5], n[6])
	}
	for _, p := range [][]any{
		{invA, procNginx, srv1, "o-agent0000000001", "nginx", "/usr/sbin/nginx -g daemon off;", "/usr/sbin/nginx", invAt(time.Hour)},
		{invA, procSSHD, srv1, "o-agent0000000001", "sshd", "/usr/sbin/sshd -D", "/usr/sbin/sshd", invAt(2 * time.Hour)},
		{invA, procPG, srv2, "o-agent0000000002", "postgres", "postgres -D /var/lib/pgsql/data", "/usr/bin/postgres", invAt(3 * time.Hour)},
		{invB, procB, srvB, "o-agentB00000001", "nginx", "nginx", "/usr/sbin/nginx", invAt(time.Hour)},
	} {
		invExec(t, db, `INSERT INTO processes (account_id, process_id, server_id, agent_id, name, command_line, path, created_ms, last_seen_ms)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, append(p, p[len(p)-1])...)
	}
	for _, c := range [][]any{
		// id, src server, dst server, src ip, dst ip, port, proto, src proc, dst proc, occurrence, latest
		{invA, conn1, srv1, srv2, "10.0.0.1", "10.0.0.2", 5432, "tcp", procNginx, procPG, 10, invAt(5 * time.Hour)},
		{invA, conn2, srv1, srv2, "10.0.0.1", "10.0.0.2", 5432, "tcp", procSSHD, procPG, 5, invAt(6 * time.Hour)},
		{invA, conn3, srv1, srv2, "10.0.0.1", "10.0.0.2", 6379, "tcp", "", "", 3, invAt(7 * time.Hour)},
		{invA, conn4, srv4, srv1, "10.0.0.4", "10.0.0.1", 443, "tcp", "", procNginx, 7, invAt(8 * time.Hour)},
		{invA, conn5, srv1, "", "10.0.0.1", "8.8.8.8", 53, "udp", "", "", 2, invAt(9 * time.Hour)},
		{invA, conn6, srv1, srv1, "10.0.0.1", "10.0.0.1", 8080, "tcp", "", "", 4, invAt(10 * time.Hour)},
		{invA, conn7, srv3, srv1, "10.0.0.3", "10.0.0.1", 80, "udp", "", "", 1, invAt(11*time.Hour + 250*time.Millisecond)},
		{invB, conn1, srvB, srv2, "10.0.0.1", "10.0.0.2", 5432, "tcp", "", "", 99, invAt(5 * time.Hour)},
	} {
		invExec(t, db, `INSERT INTO connections (account_id, connection_id, source_server_id, destination_server_id, source_ip, destination_ip,
			destination_port, transport_protocol, source_process_id, destination_process_id, occurrence, first_ms, latest_ms)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, append(c, c[len(c)-1])...)
	}
	for _, a := range [][]any{
		{invA, app1, "Payments", "Card payments", invAt(24 * time.Hour), invAt(25 * time.Hour)},
		{invA, app2, "Web Store", "", invAt(26 * time.Hour), invAt(26 * time.Hour)},
		{invA, app3, "Empty", "nothing yet", invAt(27 * time.Hour), invAt(28 * time.Hour)},
		{invB, app1, "Payments B", "", invAt(24 * time.Hour), invAt(24 * time.Hour)},
	} {
		invExec(t, db, `INSERT INTO applications (account_id, application_id, name, description, created_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?)`, a...)
	}
	for _, x := range [][]string{{invA, app1, srv1}, {invA, app1, srv2}, {invA, app2, srv1}, {invB, app1, srvB}, {invB, app1, srv3}} {
		invExec(t, db, `INSERT INTO application_servers (account_id, application_id, server_id) VALUES (?, ?, ?)`, x[0], x[1], x[2])
	}
	for _, x := range [][]string{{invA, srv1, "env", "prod"}, {invA, srv1, "tier", "web"}, {invA, srv2, "env", "dev"}, {invB, srv3, "env", "prod"}} {
		invExec(t, db, `INSERT INTO tags (account_id, configuration_id, key, value, created_ms) VALUES (?, ?, ?, ?, 0)`, x[0], x[1], x[2], x[3])
	}
	for _, a := range [][]string{
		{invA, "o-agent0000000001", "EC2", "", "HEALTHY", "STARTED"},
		{invA, "o-agent0000000002", "EC2", "c-connector1", "UNHEALTHY", "STOPPED"},
		{invA, "o-agent0000000003", "VMWARE", "", "SHUTDOWN", "STOPPED"},
		{invA, "c-connector1", "CONNECTOR", "", "HEALTHY", "STARTED"},
		{invA, "o-agent0000000004", "EC2", "", "BLACKLISTED", "STARTED"},
		{invA, "o-agent0000000005", "EC2", "", "UNKNOWN", "STOPPED"},
		{invA, "o-agent0000000006", "EC2", "", "RUNNING", "STARTED"},
		{invB, "o-agentB00000001", "EC2", "", "HEALTHY", "STARTED"},
	} {
		invExec(t, db, `INSERT INTO agents (account_id, agent_id, agent_type, connector_id, health, collection_status, registered_ms, last_health_ping_ms)
			VALUES (?, ?, ?, ?, ?, ?, 0, 0)`, a[0], a[1], a[2], a[3], a[4], a[5])
	}
	return db
}

func invService(db *DB) *inventory.Service {
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

func TestEveryFieldHasSQL(t *testing.T) {
	for _, typ := range discovery.ItemTypes() {
		names := map[string]bool{}
		for _, fl := range inventory.Fields(typ) {
			names[fl.Name] = true
			s, ok := itemTypes[typ].fields[fl.Name]
			if !ok {
				t.Errorf("%s %s: no SQL", typ, fl.Name)
				continue
			}
			if fl.Multi != (s.from != "") {
				t.Errorf("%s %s: multi %v but SQL %+v", typ, fl.Name, fl.Multi, s)
			}
			if fl.Sortable && s.expr == "" {
				t.Errorf("%s %s: sortable without an expression", typ, fl.Name)
			}
		}
		for name := range itemTypes[typ].fields {
			if !names[name] {
				t.Errorf("%s %s: SQL for a field the inventory does not list", typ, name)
			}
		}
	}
}

// Every filter name of every type, each condition kind, OR within a filter,
// AND across filters, and the NOT_ semantics.
func TestListConfigurationsFilters(t *testing.T) {
	db := invFixture(t)
	svc := invService(db)
	S, P, C, A := discovery.TypeServer, discovery.TypeProcess, discovery.TypeConnection, discovery.TypeApplication
	for _, tc := range []struct {
		name    string
		typ     discovery.ItemType
		filters []discovery.Filter
		want    []string
	}{
		{"all servers", S, nil, []string{srv1, srv2, srv3, srv4}},
		{"server.configurationId EQUALS, OR", S, []discovery.Filter{invF("server.configurationId", "EQUALS", srv2, srv4, srvB)}, []string{srv2, srv4}},
		{"server.configurationId NOT_EQUALS", S, []discovery.Filter{invF("server.configurationId", "NOT_EQUALS", srv2, srv4)}, []string{srv1, srv3}},
		{"server.hostName CONTAINS, CLI example", S, []discovery.Filter{invF("server.hostName", "CONTAINS", "web-", "cache"), invF("server.osName", "NOT_CONTAINS", "Ubuntu")}, []string{srv1, srv4}},
		{"server.hostName CONTAINS is case-insensitive", S, []discovery.Filter{invF("server.hostName", "CONTAINS", "WEB-1")}, []string{srv1}},
		{"server.hostName EQUALS is exact", S, []discovery.Filter{invF("server.hostName", "EQUALS", "WEB-1.example.com")}, []string{}},
		{"server.hostName EQ", S, []discovery.Filter{invF("server.hostName", "EQ", "db-1.example.com")}, []string{srv2}},
		{"server.hostName NOT_CONTAINS with two values matches neither", S, []discovery.Filter{invF("server.hostName", "NOT_CONTAINS", "web", "db")}, []string{srv3}},
		{"server.osName EQUALS", S, []discovery.Filter{invF("server.osName", "EQUALS", "Ubuntu")}, []string{srv3}},
		{"server.osVersion CONTAINS", S, []discovery.Filter{invF("server.osVersion", "CONTAINS", "amzn1")}, []string{srv1, srv4}},
		{"server.agentId NE", S, []discovery.Filter{invF("server.agentId", "NE", "o-agent0000000001")}, []string{srv2, srv3, srv4}},
		{"server.agentId EQUALS", S, []discovery.Filter{invF("server.agentId", "EQUALS", "o-agent0000000003")}, []string{srv4}},
		{"server.connectorId", S, []discovery.Filter{invF("server.connectorId", "EQUALS", "c-connector1")}, []string{srv2}},
		{"server.type", S, []discovery.Filter{invF("server.type", "EQUALS", "EC2", "OTHER")}, []string{srv1, srv3, srv4}},
		{"server.vmWareInfo.morefId", S, []discovery.Filter{invF("server.vmWareInfo.morefId", "CONTAINS", "vm-")}, []string{srv1, srv2}},
		{"server.vmWareInfo.vcenterId", S, []discovery.Filter{invF("server.vmWareInfo.vcenterId", "EQUALS", "vc-west")}, []string{srv2}},
		{"server.vmWareInfo.hostId", S, []discovery.Filter{invF("server.vmWareInfo.hostId", "NOT_EQUALS", "host-7")}, []string{srv2, srv3, srv4}},
		{"portGroupId is never collected", S, []discovery.Filter{invF("server.networkInterfaceInfo.portGroupId", "EQUALS", "pg-1")}, []string{}},
		{"portGroupName NOT_EQUALS", S, []discovery.Filter{invF("server.networkInterfaceInfo.portGroupName", "NOT_EQUALS", "pg")}, []string{srv1, srv2, srv3, srv4}},
		{"virtualSwitchName", S, []discovery.Filter{invF("server.networkInterfaceInfo.virtualSwitchName", "CONTAINS", "vs")}, []string{}},
		{"nic ipAddress EQUALS", S, []discovery.Filter{invF("server.networkInterfaceInfo.ipAddress", "EQUALS", "10.0.0.2", "10.0.0.4")}, []string{srv2, srv4}},
		{"nic ipAddress NOT_CONTAINS: no interface matches", S, []discovery.Filter{invF("server.networkInterfaceInfo.ipAddress", "NOT_CONTAINS", "fe80")}, []string{srv2, srv3, srv4}},
		{"nic macAddress CONTAINS", S, []discovery.Filter{invF("server.networkInterfaceInfo.macAddress", "CONTAINS", "06:4a")}, []string{srv4}},
		{"avgCpuUsagePct GT", S, []discovery.Filter{invF("server.performance.avgCpuUsagePct", "GT", "14.733333333333333")}, []string{srv2}},
		{"avgCpuUsagePct GE the shown value", S, []discovery.Filter{invF("server.performance.avgCpuUsagePct", "GE", "14.733333333333333")}, []string{srv1, srv2}},
		{"avgCpuUsagePct LT, OR of values", S, []discovery.Filter{invF("server.performance.avgCpuUsagePct", "LT", "5", "11")}, []string{srv4}},
		{"avgCpuUsagePct LE: servers without samples never match", S, []discovery.Filter{invF("server.performance.avgCpuUsagePct", "LE", "100")}, []string{srv1, srv2, srv4}},
		{"totalDiskFreeSizeInKB", S, []discovery.Filter{invF("server.performance.totalDiskFreeSizeInKB", "GE", "1048576")}, []string{srv1, srv2}},
		{"avgFreeRAMInKB", S, []discovery.Filter{invF("server.performance.avgFreeRAMInKB", "LT", "2100000")}, []string{srv1, srv4}},
		{"numeric AND numeric", S, []discovery.Filter{invF("server.performance.avgFreeRAMInKB", "GT", "1"), invF("server.performance.avgCpuUsagePct", "LT", "20")}, []string{srv1, srv4}},
		{"server.tag.key", S, []discovery.Filter{invF("server.tag.key", "EQUALS", "tier")}, []string{srv1}},
		{"server.tag.key NOT_EQUALS: no such tag", S, []discovery.Filter{invF("server.tag.key", "NOT_EQUALS", "tier")}, []string{srv2, srv3, srv4}},
		{"server.tag.value", S, []discovery.Filter{invF("server.tag.value", "CONTAINS", "PRO", "de")}, []string{srv1, srv2}},
		{"server.application.name", S, []discovery.Filter{invF("server.application.name", "EQUALS", "Web Store")}, []string{srv1}},
		{"server.application.description", S, []discovery.Filter{invF("server.application.description", "CONTAINS", "card")}, []string{srv1, srv2}},
		{"server.application.configurationId NOT_EQUALS", S, []discovery.Filter{invF("server.application.configurationId", "NOT_EQUALS", app1)}, []string{srv3, srv4}},
		{"server.process.configurationId", S, []discovery.Filter{invF("server.process.configurationId", "EQUALS", procPG, procB)}, []string{srv2}},
		{"server.process.name", S, []discovery.Filter{invF("server.process.name", "EQUALS", "nginx")}, []string{srv1}},
		{"server.process.commandLine", S, []discovery.Filter{invF("server.process.commandLine", "CONTAINS", "-D")}, []string{srv1, srv2}},

		{"all processes", P, nil, []string{procNginx, procSSHD, procPG}},
		{"process.configurationId", P, []discovery.Filter{invF("process.configurationId", "EQUALS", procSSHD, procB)}, []string{procSSHD}},
		{"process.name", P, []discovery.Filter{invF("process.name", "NOT_EQUALS", "sshd")}, []string{procNginx, procPG}},
		{"process.commandLine", P, []discovery.Filter{invF("process.commandLine", "CONTAINS", "daemon")}, []string{procNginx}},
		{"process server.configurationId", P, []discovery.Filter{invF("server.configurationId", "EQUALS", srv1)}, []string{procNginx, procSSHD}},
		{"process server.hostName", P, []discovery.Filter{invF("server.hostName", "CONTAINS", "db")}, []string{procPG}},
		{"process server.osName", P, []discovery.Filter{invF("server.osName", "NOT_CONTAINS", "windows")}, []string{procNginx, procSSHD}},
		{"process server.osVersion", P, []discovery.Filter{invF("server.osVersion", "EQUALS", "10.0.17763")}, []string{procPG}},
		{"process server.agentId", P, []discovery.Filter{invF("server.agentId", "CONTAINS", "0000000002")}, []string{procPG}},

		{"all connections", C, nil, []string{
			"10.0.0.1>10.0.0.2:5432/" + procNginx, "10.0.0.1>10.0.0.2:5432/" + procSSHD, "10.0.0.1>10.0.0.2:6379/",
			"10.0.0.4>10.0.0.1:443/", "10.0.0.1>8.8.8.8:53/", "10.0.0.1>10.0.0.1:8080/", "10.0.0.3>10.0.0.1:80/"}},
		{"connection.sourceIp", C, []discovery.Filter{invF("connection.sourceIp", "EQUALS", "10.0.0.4", "10.0.0.3")}, []string{"10.0.0.4>10.0.0.1:443/", "10.0.0.3>10.0.0.1:80/"}},
		{"connection.destinationIp", C, []discovery.Filter{invF("connection.destinationIp", "CONTAINS", "8.8")}, []string{"10.0.0.1>8.8.8.8:53/"}},
		{"connection.destinationPort", C, []discovery.Filter{invF("connection.destinationPort", "EQUALS", "53", "80")}, []string{"10.0.0.1>8.8.8.8:53/", "10.0.0.3>10.0.0.1:80/"}},
		{"connection.destinationPort NE", C, []discovery.Filter{invF("connection.destinationPort", "NE", "5432", "6379", "8080"), invF("connection.sourceIp", "EQUALS", "10.0.0.1")}, []string{"10.0.0.1>8.8.8.8:53/"}},
		{"sourceServer.configurationId", C, []discovery.Filter{invF("sourceServer.configurationId", "EQUALS", srv4)}, []string{"10.0.0.4>10.0.0.1:443/"}},
		{"sourceServer.hostName", C, []discovery.Filter{invF("sourceServer.hostName", "CONTAINS", "cache")}, []string{"10.0.0.3>10.0.0.1:80/"}},
		{"sourceServer.osName", C, []discovery.Filter{invF("sourceServer.osName", "EQUALS", "Ubuntu")}, []string{"10.0.0.3>10.0.0.1:80/"}},
		{"sourceServer.osVersion", C, []discovery.Filter{invF("sourceServer.osVersion", "EQUALS", "20.04")}, []string{"10.0.0.3>10.0.0.1:80/"}},
		{"sourceServer.agentId", C, []discovery.Filter{invF("sourceServer.agentId", "CONTAINS", "0003")}, []string{"10.0.0.4>10.0.0.1:443/"}},
		{"destinationServer.configurationId", C, []discovery.Filter{invF("destinationServer.configurationId", "EQUALS", "")}, []string{"10.0.0.1>8.8.8.8:53/"}},
		{"destinationServer.hostName", C, []discovery.Filter{invF("destinationServer.hostName", "EQUALS", "db-1.example.com")}, []string{
			"10.0.0.1>10.0.0.2:5432/" + procNginx, "10.0.0.1>10.0.0.2:5432/" + procSSHD, "10.0.0.1>10.0.0.2:6379/"}},
		{"destinationServer.osName", C, []discovery.Filter{invF("destinationServer.osName", "CONTAINS", "windows"), invF("connection.destinationPort", "EQUALS", "6379")}, []string{"10.0.0.1>10.0.0.2:6379/"}},
		{"destinationServer.osVersion", C, []discovery.Filter{invF("destinationServer.osVersion", "CONTAINS", "amzn")}, []string{
			"10.0.0.4>10.0.0.1:443/", "10.0.0.1>10.0.0.1:8080/", "10.0.0.3>10.0.0.1:80/"}},
		{"destinationServer.agentId", C, []discovery.Filter{invF("destinationServer.agentId", "NOT_CONTAINS", "o-agent")}, []string{"10.0.0.1>8.8.8.8:53/"}},
		{"sourceProcess.configurationId", C, []discovery.Filter{invF("sourceProcess.configurationId", "EQUALS", procSSHD)}, []string{"10.0.0.1>10.0.0.2:5432/" + procSSHD}},
		{"sourceProcess.name", C, []discovery.Filter{invF("sourceProcess.name", "EQUALS", "nginx")}, []string{"10.0.0.1>10.0.0.2:5432/" + procNginx}},
		{"sourceProcess.commandLine", C, []discovery.Filter{invF("sourceProcess.commandLine", "CONTAINS", "sshd")}, []string{"10.0.0.1>10.0.0.2:5432/" + procSSHD}},
		{"destinationProcess.configurationId", C, []discovery.Filter{invF("destinationProcess.configurationId", "EQUALS", procNginx)}, []string{"10.0.0.4>10.0.0.1:443/"}},
		{"destinationProcess.name", C, []discovery.Filter{invF("destinationProcess.name", "EQUALS", "postgres"), invF("sourceProcess.name", "NOT_EQUALS", "sshd")}, []string{
			"10.0.0.1>10.0.0.2:5432/" + procNginx}},
		{"destinationprocess.commandLine (guide spelling)", C, []discovery.Filter{invF("destinationprocess.commandLine", "CONTAINS", "pgsql")}, []string{
			"10.0.0.1>10.0.0.2:5432/" + procNginx, "10.0.0.1>10.0.0.2:5432/" + procSSHD}},

		{"all applications", A, nil, []string{app1, app2, app3}},
		{"application.configurationId", A, []discovery.Filter{invF("application.configurationId", "NOT_EQUALS", app2)}, []string{app1, app3}},
		{"application.name", A, []discovery.Filter{invF("application.name", "CONTAINS", "store", "EMPTY")}, []string{app2, app3}},
		{"application.description", A, []discovery.Filter{invF("application.description", "EQUALS", "")}, []string{app2}},
		{"application server.configurationId", A, []discovery.Filter{invF("server.configurationId", "EQUALS", srv1)}, []string{app1, app2}},
		{"application server.configurationId NOT_EQUALS", A, []discovery.Filter{invF("server.configurationId", "NOT_EQUALS", srv2)}, []string{app2, app3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page, err := svc.ListConfigurations(context.Background(), invA, inventory.ListInput{Type: string(tc.typ), Filters: tc.filters})
			if err != nil {
				t.Fatal(err)
			}
			got := invIDs(tc.typ, page.Configurations)
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestFilterValuesAreParameters(t *testing.T) {
	db := invFixture(t)
	svc := invService(db)
	for _, v := range []string{"' OR 1=1 --", `"); DROP TABLE servers; --`, "%", "_", `\`, "web%"} {
		page, err := svc.ListConfigurations(context.Background(), invA, inventory.ListInput{Type: "SERVER",
			Filters: []discovery.Filter{invF("server.hostName", "CONTAINS", v)}})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Configurations) != 0 {
			t.Fatalf("%q matched %v", v, page.Configurations)
		}
	}
	page, err := svc.ListConfigurations(context.Background(), invA, inventory.ListInput{Type: "SERVER"})
	if err != nil || len(page.Configurations) != 4 {
		t.Fatal(err, page)
	}
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
	db := invFixture(t)
	// Ties: more servers with the same OS name and version.
	for i := 5; i <= 9; i++ {
		invInsertServer(t, db, invServer{account: invA, id: fmt.Sprintf("d-server-0000000000000000%d", i), host: fmt.Sprintf("web-%d.example.com", i%3),
			osName: []string{"Ubuntu", "Linux - Amazon Linux AMI release 2015.03"}[i%2], osVersion: "20.04", typ: "OTHER", created: invAt(time.Duration(i) * time.Minute)})
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
				host := map[string]string{srv1: "web-1.example.com", srv2: "db-1.example.com"}[m["server.configurationId"]]
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
			all, err := svc.ListConfigurations(context.Background(), invA, inventory.ListInput{Type: string(tc.typ), OrderBy: tc.order})
			if err != nil {
				t.Fatal(err)
			}
			var paged []map[string]string
			for i, p := range invListAll(t, svc, invA, inventory.ListInput{Type: string(tc.typ), OrderBy: tc.order}, 2) {
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
	db := invFixture(t)
	svc := invService(db)
	page, err := svc.ListConfigurations(context.Background(), invA, inventory.ListInput{Type: "SERVER",
		OrderBy: []inventory.Order{{FieldName: "server.hostName", SortOrder: "DESC"}}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := invIDs(discovery.TypeServer, page.Configurations), []string{srv4, srv1, srv2, srv3}; !reflect.DeepEqual(got, want) {
		t.Fatalf("hostName DESC: %v, want %v", got, want)
	}
	page, err = svc.ListConfigurations(context.Background(), invA, inventory.ListInput{Type: "APPLICATION",
		OrderBy: []inventory.Order{{FieldName: "application.serverCount"}, {FieldName: "application.timeOfCreation", SortOrder: "DESC"}}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := invIDs(discovery.TypeApplication, page.Configurations), []string{app3, app2, app1}; !reflect.DeepEqual(got, want) {
		t.Fatalf("serverCount ASC: %v, want %v", got, want)
	}
}

// The exact attribute maps of the fixture server, process, connection and
// application.
func TestAttributeMaps(t *testing.T) {
	db := invFixture(t)
	svc := invService(db)
	ctx := context.Background()
	got, err := svc.DescribeConfigurations(ctx, invA, []string{srv1})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"server.agentId":                                   "o-agent0000000001",
		"server.applications":                              `[{"name":"Payments","configurationId":"d-application-0000000000001"},{"name":"Web Store","configurationId":"d-application-0000000000002"}]`,
		"server.applications.hasMoreValues":                "false",
		"server.configurationId":                           srv1,
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
	got, err = svc.DescribeConfigurations(ctx, invA, []string{srv3})
	if err != nil {
		t.Fatal(err)
	}
	want = map[string]string{
		"server.configurationId": srv3, "server.hostName": "cache-1.example.com", "server.osName": "Ubuntu", "server.osVersion": "20.04",
		"server.type": "OTHER", "server.timeOfCreation": "2016-10-28 23:45:00.0",
		"server.applications": "[]", "server.applications.hasMoreValues": "false", "server.tags": "[]", "server.tags.hasMoreValues": "false",
		"server.networkInterfaceInfo": "[]", "server.networkInterfaceInfo.hasMoreValues": "false",
	}
	if !reflect.DeepEqual(got[0], want) {
		t.Fatalf("imported server:\n%s", invDiff(got[0], want))
	}

	// ListConfigurations SERVER: the seven keys.
	page, err := svc.ListConfigurations(ctx, invA, inventory.ListInput{Type: "SERVER", Filters: []discovery.Filter{invF("server.configurationId", "EQUALS", srv1)}})
	if err != nil {
		t.Fatal(err)
	}
	want = map[string]string{"server.configurationId": srv1, "server.agentId": "o-agent0000000001", "server.hostName": "web-1.example.com",
		"server.osName": "Linux - Amazon Linux AMI release 2015.03", "server.osVersion": "3.14.48-33.39.amzn1.x86_64",
		"server.timeOfCreation": "2016-10-28 23:44:00.0", "server.type": "EC2"}
	if !reflect.DeepEqual(page.Configurations[0], want) {
		t.Fatalf("list server:\n%s", invDiff(page.Configurations[0], want))
	}

	// PROCESS.
	wantProc := map[string]string{"process.configurationId": procNginx, "process.name": "nginx", "process.commandLine": "/usr/sbin/nginx -g daemon off;",
		"process.path": "/usr/sbin/nginx", "process.timeOfCreation": "2016-10-29 00:44:00.0"}
	got, err = svc.DescribeConfigurations(ctx, invA, []string{procNginx, procB})
	if err != nil || len(got) != 1 || !reflect.DeepEqual(got[0], wantProc) {
		t.Fatalf("describe process: %v %v", got, err)
	}
	page, err = svc.ListConfigurations(ctx, invA, inventory.ListInput{Type: "PROCESS", MaxResults: invPtr32(1)})
	if err != nil {
		t.Fatal(err)
	}
	wantProc["server.configurationId"], wantProc["server.agentId"] = srv1, "o-agent0000000001"
	if !reflect.DeepEqual(page.Configurations[0], wantProc) {
		t.Fatalf("list process:\n%s", invDiff(page.Configurations[0], wantProc))
	}

	// CONNECTION: the 15 keys of the guide; DescribeConfigurations adds the ID.
	page, err = svc.ListConfigurations(ctx, invA, inventory.ListInput{Type: "CONNECTION", MaxResults: invPtr32(1)})
	if err != nil {
		t.Fatal(err)
	}
	wantConn := map[string]string{
		"connection.destinationIp": "10.0.0.2", "connection.destinationPort": "5432", "connection.ipVersion": "IPv4",
		"connection.latestTimestamp": "2016-10-29 04:44:00.0", "connection.occurrence": "10", "connection.sourceIp": "10.0.0.1",
		"connection.transportProtocol":       "tcp",
		"destinationProcess.configurationId": procPG, "destinationProcess.name": "postgres",
		"destinationServer.configurationId": srv2, "destinationServer.hostName": "db-1.example.com",
		"sourceProcess.configurationId": procNginx, "sourceProcess.name": "nginx",
		"sourceServer.configurationId": srv1, "sourceServer.hostName": "web-1.example.com",
	}
	if len(wantConn) != 15 || !reflect.DeepEqual(page.Configurations[0], wantConn) {
		t.Fatalf("list connection:\n%s", invDiff(page.Configurations[0], wantConn))
	}
	got, err = svc.DescribeConfigurations(ctx, invA, []string{"d-connection-" + conn7, "d-connection-" + conn1, "d-connection-ffff"})
	if err != nil {
		t.Fatal(err)
	}
	wantConn["connection.configurationId"] = "d-connection-" + conn1
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
	wantApp := map[string]string{"application.configurationId": app2, "application.name": "Web Store", "application.description": "",
		"application.serverCount": "1", "application.timeOfCreation": "2016-10-30 01:44:00.0", "application.lastModifiedTime": "2016-10-30 01:44:00.0"}
	got, err = svc.DescribeConfigurations(ctx, invA, []string{app2, app2})
	if err != nil || len(got) != 1 || !reflect.DeepEqual(got[0], wantApp) {
		t.Fatalf("describe application: %v %v", got, err)
	}
	page, err = svc.ListConfigurations(ctx, invA, inventory.ListInput{Type: "APPLICATION", Filters: []discovery.Filter{invF("application.configurationId", "EQUALS", app2)}})
	if err != nil || !reflect.DeepEqual(page.Configurations, []map[string]string{wantApp}) {
		t.Fatalf("list application: %v %v", page, err)
	}
}

func invPtr32(v int32) *int32 { return &v }

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
	db := invFixture(t)
	svc := invService(db)
	ctx := context.Background()
	// Request order, duplicates once, unknown and foreign IDs left out.
	got, err := svc.DescribeConfigurations(ctx, invA, []string{srv4, srvB, srv1, srv4, "d-server-unknown"})
	if err != nil {
		t.Fatal(err)
	}
	if g := invIDs(discovery.TypeServer, got); !reflect.DeepEqual(g, []string{srv4, srv1}) {
		t.Fatalf("got %v", g)
	}
	// B sees its own server with the same host name, never A's data.
	got, err = svc.DescribeConfigurations(ctx, invB, []string{srvB, srv1})
	if err != nil || len(got) != 1 || got[0]["server.configurationId"] != srvB || got[0]["server.tags"] != "[]" {
		t.Fatalf("B: %v %v", got, err)
	}
	// B's application has srv3 (an ID of A) as a member: counted for B, but
	// A's srv3 does not show B's application.
	got, _ = svc.DescribeConfigurations(ctx, invA, []string{srv3})
	if got[0]["server.applications"] != "[]" || got[0]["server.tags"] != "[]" {
		t.Fatalf("A's srv3 shows B's data: %v", got[0])
	}
}

func TestDescribeServersListCap(t *testing.T) {
	db := invFixture(t)
	for i := range 12 {
		invExec(t, db, `INSERT INTO tags (account_id, configuration_id, key, value, created_ms) VALUES (?, ?, ?, 'v', 0)`, invA, srv4, fmt.Sprintf("k%02d", i))
		invExec(t, db, `INSERT INTO network_interfaces (account_id, server_id, name, ip_address) VALUES (?, ?, ?, '10.1.1.1')`, invA, srv4, fmt.Sprintf("eth%02d", i+1))
	}
	got, err := invService(db).DescribeConfigurations(context.Background(), invA, []string{srv4})
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
}

func TestListServerNeighbors(t *testing.T) {
	db := invFixture(t)
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
			page, err := svc.ListServerNeighbors(ctx, invA, in)
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
		got, count := collect(inventory.NeighborsInput{ConfigurationID: srv1}, size)
		want := []edge{{srv1, srv2, -1, "", 18}, {srv3, srv1, -1, "", 1}, {srv4, srv1, -1, "", 7}}
		if !reflect.DeepEqual(got, want) || count != 3 {
			t.Fatalf("size %d: %v (%d)\nwant %v (3)", size, got, count, want)
		}
		got, count = collect(inventory.NeighborsInput{ConfigurationID: srv1, PortInformationNeeded: true}, size)
		want = []edge{{srv1, srv2, 5432, "tcp", 15}, {srv1, srv2, 6379, "tcp", 3}, {srv3, srv1, 80, "udp", 1}, {srv4, srv1, 443, "tcp", 7}}
		if !reflect.DeepEqual(got, want) || count != 3 {
			t.Fatalf("size %d ports: %v (%d)\nwant %v", size, got, count, want)
		}
	}
	got, count := collect(inventory.NeighborsInput{ConfigurationID: srv1, NeighborIDs: []string{srv2, srv4, srvB}}, 1)
	if want := []edge{{srv1, srv2, -1, "", 18}, {srv4, srv1, -1, "", 7}}; !reflect.DeepEqual(got, want) || count != 2 {
		t.Fatalf("restricted: %v (%d)", got, count)
	}
	got, count = collect(inventory.NeighborsInput{ConfigurationID: srv2}, 5)
	if want := []edge{{srv1, srv2, -1, "", 18}}; !reflect.DeepEqual(got, want) || count != 1 {
		t.Fatalf("srv2: %v (%d)", got, count)
	}
	// Unknown, foreign and isolated servers: no neighbors.
	for _, id := range []string{"d-server-unknown", srvB} {
		got, count = collect(inventory.NeighborsInput{ConfigurationID: id}, 5)
		if len(got) != 0 || count != 0 {
			t.Fatalf("%s: %v %d", id, got, count)
		}
	}
	// B sees its own edge to srv2 only if srv2 is a server of B: it is not.
	page, err := svc.ListServerNeighbors(ctx, invB, inventory.NeighborsInput{ConfigurationID: srvB})
	if err != nil || len(page.Neighbors) != 0 {
		t.Fatalf("B: %v %v", page, err)
	}
	// A token of one query is not valid for another.
	one := int32(1)
	p1, _ := svc.ListServerNeighbors(ctx, invA, inventory.NeighborsInput{ConfigurationID: srv1, MaxResults: &one})
	for _, in := range []inventory.NeighborsInput{
		{ConfigurationID: srv1, PortInformationNeeded: true, NextToken: &p1.Next},
		{ConfigurationID: srv2, NextToken: &p1.Next},
		{ConfigurationID: srv1, NeighborIDs: []string{srv2}, NextToken: &p1.Next},
	} {
		if _, err := svc.ListServerNeighbors(ctx, invA, in); err == nil || !strings.Contains(err.Error(), "nextToken") {
			t.Fatalf("foreign token accepted: %v", err)
		}
	}
}

func TestSummary(t *testing.T) {
	db := invFixture(t)
	svc := invService(db)
	got, err := svc.GetDiscoverySummary(context.Background(), invA)
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
		page, err := svc.ListConfigurations(context.Background(), invA, inventory.ListInput{Type: typ})
		if err != nil || int64(len(page.Configurations)) != n {
			t.Fatalf("%s: %d listed, summary %d (%v)", typ, len(page.Configurations), n, err)
		}
	}
	b, err := svc.GetDiscoverySummary(context.Background(), invB)
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
}

// keysetAfter builds row-value comparisons, one per run of equal directions.
func TestKeysetAfter(t *testing.T) {
	for _, tc := range []struct {
		desc []bool
		sql  string
		args []any
	}{
		{[]bool{false}, "(a) > (?)", []any{1}},
		{[]bool{true, true}, "(a, b) < (?, ?)", []any{1, 2}},
		{[]bool{false, true}, "((a) > (?) OR ((a) = (?) AND (b) < (?)))", []any{1, 1, 2}},
		{[]bool{false, false, true}, "((a, b) > (?, ?) OR ((a, b) = (?, ?) AND (c) < (?)))", []any{1, 2, 1, 2, 3}},
		{[]bool{true, false, true}, "((a) < (?) OR ((a) = (?) AND ((b) > (?) OR ((b) = (?) AND (c) < (?)))))", []any{1, 1, 2, 2, 3}},
	} {
		exprs := []string{"a", "b", "c"}[:len(tc.desc)]
		vals := []any{1, 2, 3}[:len(tc.desc)]
		sqlText, args := keysetAfter(exprs, tc.desc, vals)
		if sqlText != tc.sql || !reflect.DeepEqual(args, tc.args) {
			t.Errorf("%v: %s %v, want %s %v", tc.desc, sqlText, args, tc.sql, tc.args)
		}
	}
}

// BenchmarkListConfigurations shows that a ListConfigurations page costs the
// same at any depth (keyset pagination), also sorted and filtered: compare
// the first page with a page 9,000 servers deep, in an account of 10,000
// servers beside another of 10,000.
func BenchmarkListConfigurations(b *testing.B) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	const n = 10000
	tx, err := db.db.Begin()
	if err != nil {
		b.Fatal(err)
	}
	for _, acct := range []string{invA, invB} {
		for i := range n {
			// Host names in another order than IDs; a tenth contain "db".
			h := (i * 7919) % n
			role := []string{"web", "app", "cache", "queue", "batch", "api", "auth", "search", "mail", "db"}[h%10]
			_, err := tx.Exec(`INSERT INTO servers (account_id, server_id, agent_id, host_name, os_name, os_version, server_type, created_ms, updated_ms)
				VALUES (?, ?, ?, ?, ?, ?, 'EC2', ?, ?)`, acct, fmt.Sprintf("d-server-%017x", i*2654435761%(1<<40)), fmt.Sprintf("o-%017x", i),
				fmt.Sprintf("%s-%05d.example.com", role, h), []string{"Ubuntu", "Windows Server 2019", "Amazon Linux 2"}[i%3], "1.0", i, i)
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	if _, err := db.db.Exec(`ANALYZE`); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name    string
		filters []discovery.Filter
		order   []inventory.Order
	}{
		{"by-id", nil, nil},
		{"hostName-desc", nil, []inventory.Order{{FieldName: "server.hostName", SortOrder: "DESC"}}},
		{"contains", []discovery.Filter{invF("server.hostName", "CONTAINS", "example")}, nil},
		{"contains-selective", []discovery.Filter{invF("server.hostName", "CONTAINS", "db-")}, nil},
		{"contains-osName-asc", []discovery.Filter{invF("server.hostName", "CONTAINS", "example")}, []inventory.Order{{FieldName: "server.osName"}}},
	} {
		conds, err := inventory.CompileFilters(discovery.TypeServer, bc.filters)
		if err != nil {
			b.Fatal(err)
		}
		order, err := inventory.CompileOrder(discovery.TypeServer, bc.order)
		if err != nil {
			b.Fatal(err)
		}
		q := discovery.ItemQuery{Account: invA, Type: discovery.TypeServer, Conds: conds, Order: order}
		all, err := db.ListItems(ctx, q)
		if err != nil {
			b.Fatal(err)
		}
		deepAt := len(all) * 9 / 10
		deep := all[deepAt].Cursor
		// The cursor survives a token round trip as JSON.
		raw, _ := json.Marshal(deep)
		var back discovery.ItemCursor
		json.Unmarshal(raw, &back)
		for i, k := range back.Keys {
			if f, ok := k.(float64); ok {
				back.Keys[i] = int64(f)
			}
		}
		for _, pc := range []struct {
			name  string
			after *discovery.ItemCursor
		}{{"first-page", nil}, {fmt.Sprintf("page-%d-deep", deepAt), &back}} {
			b.Run(bc.name+"/"+pc.name, func(b *testing.B) {
				q := q
				q.After, q.Limit = pc.after, 101
				want := min(101, len(all))
				if pc.after != nil {
					want = min(101, len(all)-deepAt-1)
				}
				for b.Loop() {
					items, err := db.ListItems(ctx, q)
					if err != nil || len(items) != want {
						b.Fatal(err, len(items), want)
					}
				}
			})
		}
	}
	fmt.Fprintln(b.Output(), "servers per account:", n)
}

// TestMergedFiltersMatchEachFilterAlone: several filters on one field and
// condition, which ListItems merges into one term (so that thousands of
// filters stay within SQLite's limits), select exactly the items that each
// filter alone selects, for every filter name and condition of every type.
func TestMergedFiltersMatchEachFilterAlone(t *testing.T) {
	db := invFixture(t)
	svc := invService(db)
	strs := []string{"web", "db-1.example.com", "web-1.example.com", "10.0.0.2", "10.0.0.4", "10.0.0.1", "Ubuntu", "amzn", "tier", "prod",
		"Web Store", "card", "nginx", "postgres", "-D", srv1, srv2, srv4, procPG, procNginx, app1, app2, "EC2", "OTHER",
		"o-agent0000000001", "o-agent0000000003", "cache", "", "example", "06:4a", "8.8", "sshd", "pgsql"}
	nums := []string{"0", "5", "11", "14.733333333333333", "20", "100", "1048576", "2100000"}
	ports := []string{"53", "80", "443", "5432", "6379", "8080", "1"}
	rng := rand.New(rand.NewPCG(11, 11))
	list := func(typ discovery.ItemType, fs ...discovery.Filter) []string {
		t.Helper()
		page, err := svc.ListConfigurations(context.Background(), invA, inventory.ListInput{Type: string(typ), Filters: fs})
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
}
