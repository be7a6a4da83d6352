package main

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	ads "github.com/aws/aws-sdk-go/service/applicationdiscoveryservice"

	"github.com/poseidon-ads/poseidon/internal/agentdata"
)

// The fleet of the end-to-end tests: web-1 talks to db-1 (5432, 6379) and to
// a DNS server outside the inventory; web-2 talks to web-1 (443).
const (
	agentWeb1 = "o-1000000000000001"
	agentDB1  = "o-2000000000000002"
	agentWeb2 = "o-3000000000000003"
	agentB    = "o-b000000000000001"
)

func fleetBatch(base time.Time) agentdata.Batch {
	ts := func(d time.Duration) float64 { return float64(base.Add(d).Unix()) }
	web1 := agentdata.ServerInfo{HostName: "web-1.example.com", OSName: "Linux - Amazon Linux AMI release 2015.03", OSVersion: "3.14.48-33.39.amzn1.x86_64",
		CPUType: "x64", Hypervisor: "xen", Type: "EC2", NumCPUs: 1, NumCores: 1, NumLogicalProcessors: 1, TotalRAMMB: 1655.01171875, TotalDiskGB: 8, NumDisks: 1}
	web1NICs := []agentdata.NetworkInterface{
		{Name: "eth0", MACAddress: "06:A7:7D:3F:54:57", IPAddress: "10.0.0.1", NetMask: "255.255.240.0"},
		{Name: "lo", MACAddress: "00:00:00:00:00:00", IPAddress: "127.0.0.1", NetMask: "255.0.0.0"},
	}
	web1Procs := []agentdata.Process{
		{PID: 100, Name: "nginx", CommandLine: "/usr/sbin/nginx -g daemon off;", Path: "/usr/sbin/nginx"},
		{PID: 22, Name: "sshd", CommandLine: "/usr/sbin/sshd -D", Path: "/usr/sbin/sshd"},
	}
	var reports []agentdata.Report
	for i, cpu := range []float64{10, 20, 30} {
		reports = append(reports, agentdata.Report{
			ReportID: fmt.Sprintf("web1-%d", i), AgentID: agentWeb1, Timestamp: ts(time.Duration(i) * 15 * time.Minute),
			Agent: agentdata.AgentInfo{Version: "2.0.1", Health: "HEALTHY"}, Server: web1, NetworkInterfaces: web1NICs, Processes: web1Procs,
			Performance: &agentdata.Performance{CPUUsagePct: cpu, FreeRAMMB: []float64{1500, 1400, 1600}[i], DiskFreeGB: 4,
				DiskReadKBps: 1, DiskWriteKBps: 2, DiskReadOpsPerSec: 0.5, DiskWriteOpsPerSec: float64(i), NetworkReadKBps: 3, NetworkWriteKBps: 4},
			Connections: []agentdata.Connection{
				{Direction: "outbound", SourceIP: "10.0.0.1", SourcePort: 40000 + i, DestinationIP: "10.0.0.2", DestinationPort: 5432, PID: 100},
				{Direction: "outbound", SourceIP: "10.0.0.1", SourcePort: 41000 + i, DestinationIP: "10.0.0.2", DestinationPort: 6379},
				{Direction: "outbound", SourceIP: "10.0.0.1", SourcePort: 42000 + i, DestinationIP: "8.8.8.8", DestinationPort: 53, TransportProtocol: "udp"},
				{Direction: "inbound", SourceIP: "10.0.0.4", SourcePort: 50000 + i, DestinationIP: "10.0.0.1", DestinationPort: 443, PID: 100},
			},
		})
	}
	reports = append(reports,
		agentdata.Report{ReportID: "db1-0", AgentID: agentDB1, Timestamp: ts(0), Agent: agentdata.AgentInfo{Version: "2.0.1"},
			Server: agentdata.ServerInfo{HostName: "db-1.example.com", OSName: "Windows Server 2019", OSVersion: "10.0.17763", CPUType: "x64",
				Hypervisor: "VMware", Type: "VMWARE_VM", NumCPUs: 2, NumCores: 4, TotalRAMMB: 16384, NumDisks: 2},
			NetworkInterfaces: []agentdata.NetworkInterface{{Name: "Ethernet0", MACAddress: "00:50:56:AA:BB:CC", IPAddress: "10.0.0.2", NetMask: "255.255.255.0"}},
			Processes:         []agentdata.Process{{PID: 200, Name: "postgres", CommandLine: "postgres -D /var/lib/pgsql/data", Path: "/usr/bin/postgres"}},
			Performance:       &agentdata.Performance{CPUUsagePct: 50, FreeRAMMB: 4096, DiskFreeGB: 100},
			Connections: []agentdata.Connection{
				{Direction: "inbound", SourceIP: "10.0.0.1", SourcePort: 40000, DestinationIP: "10.0.0.2", DestinationPort: 5432, PID: 200},
			}},
		agentdata.Report{ReportID: "web2-0", AgentID: agentWeb2, Timestamp: ts(0), Agent: agentdata.AgentInfo{Version: "2.0.1", Health: "UNHEALTHY"},
			Server:            agentdata.ServerInfo{HostName: "web-2.example.com", OSName: "Linux - Amazon Linux AMI release 2015.03", OSVersion: "3.14.48-33.39.amzn1.x86_64", Type: "EC2"},
			NetworkInterfaces: []agentdata.NetworkInterface{{Name: "eth0", MACAddress: "06:4A:79:60:75:61", IPAddress: "10.0.0.4", NetMask: "255.255.240.0"}},
			Connections: []agentdata.Connection{
				{Direction: "outbound", SourceIP: "10.0.0.4", SourcePort: 50000, DestinationIP: "10.0.0.1", DestinationPort: 443},
			}},
	)
	return agentdata.Batch{Reports: reports}
}

// seedFleet fills account A with the fleet and account B with one server of
// the same host name and IP, and returns A's server IDs by host name.
func seedFleet(t *testing.T, s *testServer) map[string]string {
	t.Helper()
	base := time.Now().Add(-2 * time.Hour).Truncate(time.Minute)
	fb := fleetBatch(base)
	postAgentBatch(t, s.URL, acctA, &fb)
	postAgentBatch(t, s.URL, acctB, &agentdata.Batch{Reports: []agentdata.Report{{ReportID: "b-0", AgentID: agentB, Timestamp: float64(base.Unix()),
		Server:            agentdata.ServerInfo{HostName: "web-1.example.com", OSName: "Linux"},
		NetworkInterfaces: []agentdata.NetworkInterface{{Name: "eth0", IPAddress: "10.0.0.1"}},
		Connections:       []agentdata.Connection{{Direction: "outbound", SourceIP: "10.0.0.1", DestinationIP: "10.0.0.2", DestinationPort: 5432}}}}})
	out, err := client(t, s.URL, acctA, "x").ListConfigurations(&ads.ListConfigurationsInput{ConfigurationType: aws.String("SERVER")})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for _, m := range out.Configurations {
		ids[aws.StringValue(m["server.hostName"])] = aws.StringValue(m["server.configurationId"])
	}
	if len(ids) != 3 {
		t.Fatalf("servers after intake: %v", out.Configurations)
	}
	return ids
}

// insertAppsAndTags adds applications and tags straight into the store:
// they have no write API yet.
func insertAppsAndTags(t *testing.T, s *testServer, srv map[string]string) {
	t.Helper()
	db, q := storeDB(t, s.Data)
	ms := time.Date(2016, 12, 13, 23, 53, 27, 0, time.UTC).UnixMilli()
	for _, st := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO applications (account_id, application_id, name, description, created_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?)`,
			[]any{acctA, "d-application-0ac39bc0e4fad0e42", "Payments", "Card payments", ms, ms}},
		{`INSERT INTO applications (account_id, application_id, name, description, created_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?)`,
			[]any{acctA, "d-application-02444a45288013764", "Web Store", "", ms + 6000, ms + 6000}},
		{`INSERT INTO application_servers (account_id, application_id, server_id) VALUES (?, ?, ?), (?, ?, ?), (?, ?, ?)`,
			[]any{acctA, "d-application-0ac39bc0e4fad0e42", srv["web-1.example.com"], acctA, "d-application-0ac39bc0e4fad0e42", srv["db-1.example.com"],
				acctA, "d-application-02444a45288013764", srv["web-1.example.com"]}},
		{`INSERT INTO tags (account_id, configuration_id, key, value, created_ms) VALUES (?, ?, 'env', 'prod', 0)`, []any{acctA, srv["web-1.example.com"]}},
	} {
		if _, err := db.Exec(q(st.sql), st.args...); err != nil {
			t.Fatal(err)
		}
	}
}

func strs(m map[string]*string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = aws.StringValue(v)
	}
	return out
}

func keys(m map[string]*string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func filter(name, cond string, values ...string) *ads.Filter {
	return &ads.Filter{Name: aws.String(name), Condition: aws.String(cond), Values: aws.StringSlice(values)}
}

// listAllConfigurations pages with ListConfigurationsPages, page size n.
func listAllConfigurations(t *testing.T, c *ads.ApplicationDiscoveryService, in *ads.ListConfigurationsInput, n int64) ([]map[string]string, int) {
	t.Helper()
	in.MaxResults = aws.Int64(n)
	var out []map[string]string
	pages := 0
	err := c.ListConfigurationsPages(in, func(p *ads.ListConfigurationsOutput, last bool) bool {
		pages++
		if int64(len(p.Configurations)) > n {
			t.Errorf("page of %d > %d", len(p.Configurations), n)
		}
		for _, m := range p.Configurations {
			out = append(out, strs(m))
		}
		return pages < 100
	})
	if err != nil {
		t.Fatal(err)
	}
	return out, pages
}

func TestInventoryReadOperations(t *testing.T) {
	s := startServer(t, "")
	srv := seedFleet(t, s)
	insertAppsAndTags(t, s, srv)
	web1, db1, web2 := srv["web-1.example.com"], srv["db-1.example.com"], srv["web-2.example.com"]
	c := client(t, s.URL, acctA, "x")
	cb := client(t, s.URL, acctB, "x")

	t.Run("ListConfigurations SERVER", func(t *testing.T) {
		all, pages := listAllConfigurations(t, c, &ads.ListConfigurationsInput{ConfigurationType: aws.String("SERVER")}, 2)
		if len(all) != 3 || pages != 2 {
			t.Fatalf("%d servers in %d pages", len(all), pages)
		}
		for _, m := range all {
			got := slices.Sorted(func(yield func(string) bool) {
				for k := range m {
					if !yield(k) {
						return
					}
				}
			})
			want := []string{"server.agentId", "server.configurationId", "server.hostName", "server.osName", "server.osVersion", "server.timeOfCreation", "server.type"}
			if !slices.Equal(got, want) {
				t.Fatalf("keys %v", got)
			}
		}
		if all[0]["server.configurationId"] >= all[1]["server.configurationId"] {
			t.Fatalf("default order is not by ID: %v", all)
		}
		// orderBy hostName DESC, one per page.
		sorted, _ := listAllConfigurations(t, c, &ads.ListConfigurationsInput{ConfigurationType: aws.String("SERVER"),
			OrderBy: []*ads.OrderByElement{{FieldName: aws.String("server.hostName"), SortOrder: aws.String("DESC")}}}, 1)
		var hosts []string
		for _, m := range sorted {
			hosts = append(hosts, m["server.hostName"])
		}
		if want := []string{"web-2.example.com", "web-1.example.com", "db-1.example.com"}; !slices.Equal(hosts, want) {
			t.Fatalf("hostName DESC: %v", hosts)
		}
		// The user guide's CLI example: CONTAINS either, AND NOT_CONTAINS.
		out, err := c.ListConfigurations(&ads.ListConfigurationsInput{ConfigurationType: aws.String("SERVER"), Filters: []*ads.Filter{
			filter("server.hostName", "CONTAINS", "web-1", "db-1"), filter("server.osName", "NOT_CONTAINS", "Windows")}})
		if err != nil || len(out.Configurations) != 1 || aws.StringValue(out.Configurations[0]["server.configurationId"]) != web1 || out.NextToken != nil {
			t.Fatalf("filtered: %v %v", out, err)
		}
		for _, tc := range []struct {
			f    *ads.Filter
			want []string
		}{
			{filter("server.performance.avgCpuUsagePct", "GE", "20"), []string{web1, db1}},
			{filter("server.performance.avgCpuUsagePct", "LT", "20"), nil},
			{filter("server.agentId", "EQUALS", agentDB1), []string{db1}},
			{filter("server.networkInterfaceInfo.ipAddress", "EQUALS", "10.0.0.4"), []string{web2}},
			{filter("server.process.name", "EQUALS", "postgres"), []string{db1}},
			{filter("server.application.name", "CONTAINS", "store"), []string{web1}},
			{filter("server.tag.key", "NOT_EQUALS", "env"), []string{db1, web2}},
		} {
			out, err := c.ListConfigurations(&ads.ListConfigurationsInput{ConfigurationType: aws.String("SERVER"), Filters: []*ads.Filter{tc.f}})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range out.Configurations {
				got = append(got, aws.StringValue(m["server.configurationId"]))
			}
			want := slices.Clone(tc.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("%s %s %v: %v, want %v", *tc.f.Name, *tc.f.Condition, aws.StringValueSlice(tc.f.Values), got, want)
			}
		}
		// Account B sees only its own server.
		out, err = cb.ListConfigurations(&ads.ListConfigurationsInput{ConfigurationType: aws.String("SERVER")})
		if err != nil || len(out.Configurations) != 1 || aws.StringValue(out.Configurations[0]["server.configurationId"]) == web1 {
			t.Fatalf("B: %v %v", out, err)
		}
	})

	t.Run("DescribeConfigurations", func(t *testing.T) {
		out, err := c.DescribeConfigurations(&ads.DescribeConfigurationsInput{ConfigurationIds: aws.StringSlice([]string{web1, "d-server-0000000000000dead"})})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Configurations) != 1 {
			t.Fatalf("configurations: %v", out.Configurations)
		}
		m := out.Configurations[0]
		if k := keys(m); len(k) != 36 {
			t.Fatalf("%d keys: %v", len(k), k)
		}
		got := strs(m)
		for k, want := range map[string]string{
			"server.configurationId":                          web1,
			"server.agentId":                                  agentWeb1,
			"server.hostName":                                 "web-1.example.com",
			"server.type":                                     "EC2",
			"server.cpuType":                                  "x64",
			"server.hypervisor":                               "xen",
			"server.performance.avgCpuUsagePct":               "20.0",
			"server.performance.maxCpuUsagePct":               "30.0",
			"server.performance.avgFreeRAMInKB":               "1536000.0",
			"server.performance.minFreeRAMInKB":               "1433600.0",
			"server.performance.totalRAMInKB":                 "1694732.0",
			"server.performance.avgDiskWriteIOPS":             "1.0",
			"server.performance.maxDiskWriteIOPS":             "2.0",
			"server.performance.avgDiskReadIOPS":              "0.5",
			"server.performance.avgNetworkReadsPerSecondInKB": "3.0",
			"server.performance.numCpus":                      "1",
			"server.performance.numNetworkCards":              "2",
			"server.applications":                             `[{"name":"Payments","configurationId":"d-application-0ac39bc0e4fad0e42"},{"name":"Web Store","configurationId":"d-application-02444a45288013764"}]`,
			"server.tags":                                     `[{"key":"env","value":"prod"}]`,
			"server.tags.hasMoreValues":                       "false",
			"server.networkInterfaceInfo":                     `[{"name":"eth0","macAddress":"06:A7:7D:3F:54:57","ipAddress":"10.0.0.1","netMask":"255.255.240.0"},{"name":"lo","macAddress":"00:00:00:00:00:00","ipAddress":"127.0.0.1","netMask":"255.0.0.0"}]`,
		} {
			if got[k] != want {
				t.Errorf("%s = %q, want %q", k, got[k], want)
			}
		}
		if _, err := time.Parse("2006-01-02 15:04:05.0", got["server.timeOfCreation"]); err != nil {
			t.Errorf("timeOfCreation %q: %v", got["server.timeOfCreation"], err)
		}
		// Another account's ID is unknown here.
		out, err = cb.DescribeConfigurations(&ads.DescribeConfigurationsInput{ConfigurationIds: aws.StringSlice([]string{web1})})
		if err != nil || out.Configurations == nil || len(out.Configurations) != 0 {
			t.Fatalf("B describing A's server: %v %v", out, err)
		}
		// Applications, in request order.
		out, err = c.DescribeConfigurations(&ads.DescribeConfigurationsInput{ConfigurationIds: aws.StringSlice([]string{"d-application-02444a45288013764", "d-application-0ac39bc0e4fad0e42"})})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"application.serverCount": "1", "application.name": "Web Store", "application.lastModifiedTime": "2016-12-13 23:53:33.0",
			"application.description": "", "application.timeOfCreation": "2016-12-13 23:53:33.0", "application.configurationId": "d-application-02444a45288013764"}
		if len(out.Configurations) != 2 || !reflect.DeepEqual(strs(out.Configurations[0]), want) || aws.StringValue(out.Configurations[1]["application.serverCount"]) != "2" {
			t.Fatalf("applications: %v", out.Configurations)
		}
	})

	t.Run("PROCESS and APPLICATION", func(t *testing.T) {
		procs, _ := listAllConfigurations(t, c, &ads.ListConfigurationsInput{ConfigurationType: aws.String("PROCESS"),
			Filters: []*ads.Filter{filter("server.configurationId", "EQUALS", web1)},
			OrderBy: []*ads.OrderByElement{{FieldName: aws.String("process.name"), SortOrder: aws.String("DESC")}}}, 1)
		if len(procs) != 2 || procs[0]["process.name"] != "sshd" || procs[1]["process.name"] != "nginx" {
			t.Fatalf("processes: %v", procs)
		}
		p := procs[1]
		if p["server.configurationId"] != web1 || p["server.agentId"] != agentWeb1 || p["process.commandLine"] != "/usr/sbin/nginx -g daemon off;" || p["process.path"] != "/usr/sbin/nginx" {
			t.Fatalf("nginx: %v", p)
		}
		out, err := c.DescribeConfigurations(&ads.DescribeConfigurationsInput{ConfigurationIds: aws.StringSlice([]string{p["process.configurationId"]})})
		if err != nil || len(out.Configurations) != 1 || len(out.Configurations[0]) != 5 {
			t.Fatalf("describe process: %v %v", out, err)
		}
		apps, _ := listAllConfigurations(t, c, &ads.ListConfigurationsInput{ConfigurationType: aws.String("APPLICATION"),
			OrderBy: []*ads.OrderByElement{{FieldName: aws.String("application.serverCount")}}}, 1)
		if len(apps) != 2 || apps[0]["application.name"] != "Web Store" || apps[1]["application.serverCount"] != "2" {
			t.Fatalf("applications: %v", apps)
		}
		out2, err := c.ListConfigurations(&ads.ListConfigurationsInput{ConfigurationType: aws.String("APPLICATION"),
			Filters: []*ads.Filter{filter("server.configurationId", "EQUALS", db1)}})
		if err != nil || len(out2.Configurations) != 1 || aws.StringValue(out2.Configurations[0]["application.name"]) != "Payments" {
			t.Fatalf("applications of db-1: %v %v", out2, err)
		}
	})

	t.Run("CONNECTION and ListServerNeighbors agree", func(t *testing.T) {
		conns, _ := listAllConfigurations(t, c, &ads.ListConfigurationsInput{ConfigurationType: aws.String("CONNECTION")}, 2)
		if len(conns) == 0 {
			t.Fatal("no connections")
		}
		type pair struct{ s, d string }
		type quad struct {
			s, d string
			p    int64
			t    string
		}
		wantPairs, wantQuads := map[pair]int64{}, map[quad]int64{}
		var sawDNS, saw5432 bool
		for _, m := range conns {
			for _, k := range []string{"connection.destinationIp", "connection.destinationPort", "connection.ipVersion", "connection.latestTimestamp", "connection.occurrence", "connection.sourceIp"} {
				if m[k] == "" {
					t.Fatalf("connection without %s: %v", k, m)
				}
			}
			if _, ok := m["connection.configurationId"]; ok {
				t.Fatalf("ListConfigurations CONNECTION has an ID key: %v", m)
			}
			src, dst := m["sourceServer.configurationId"], m["destinationServer.configurationId"]
			if m["connection.destinationIp"] == "8.8.8.8" {
				sawDNS = dst == "" && src == web1
			}
			if m["connection.destinationPort"] == "5432" && src == web1 && dst == db1 && m["destinationServer.hostName"] == "db-1.example.com" {
				saw5432 = true
			}
			if src == "" || dst == "" || src == dst || (src != web1 && dst != web1) {
				continue
			}
			n, _ := strconv.ParseInt(m["connection.occurrence"], 10, 64)
			port, _ := strconv.ParseInt(m["connection.destinationPort"], 10, 64)
			wantPairs[pair{src, dst}] += n
			wantQuads[quad{src, dst, port, m["connection.transportProtocol"]}] += n
		}
		if !sawDNS || !saw5432 {
			t.Fatalf("connections: %v", conns)
		}
		gotPairs, gotQuads := map[pair]int64{}, map[quad]int64{}
		var order []string
		for _, ports := range []bool{false, true} {
			in := &ads.ListServerNeighborsInput{ConfigurationId: aws.String(web1), PortInformationNeeded: aws.Bool(ports), MaxResults: aws.Int64(1)}
			for range 20 {
				out, err := c.ListServerNeighbors(in)
				if err != nil {
					t.Fatal(err)
				}
				if aws.Int64Value(out.KnownDependencyCount) != 2 {
					t.Fatalf("knownDependencyCount = %d", aws.Int64Value(out.KnownDependencyCount))
				}
				for _, n := range out.Neighbors {
					s, d, cnt := aws.StringValue(n.SourceServerId), aws.StringValue(n.DestinationServerId), aws.Int64Value(n.ConnectionsCount)
					if ports {
						if n.DestinationPort == nil || n.TransportProtocol == nil {
							t.Fatalf("no port information: %v", n)
						}
						gotQuads[quad{s, d, aws.Int64Value(n.DestinationPort), aws.StringValue(n.TransportProtocol)}] += cnt
					} else {
						if n.DestinationPort != nil || n.TransportProtocol != nil {
							t.Fatalf("port information not asked for: %v", n)
						}
						gotPairs[pair{s, d}] += cnt
						order = append(order, s+" "+d)
					}
				}
				if out.NextToken == nil {
					break
				}
				in.NextToken = out.NextToken
			}
		}
		if !reflect.DeepEqual(gotPairs, wantPairs) || !reflect.DeepEqual(gotQuads, wantQuads) {
			t.Fatalf("neighbors %v / %v\nconnections say %v / %v", gotPairs, gotQuads, wantPairs, wantQuads)
		}
		if len(wantPairs) != 2 || wantPairs[pair{web1, db1}] == 0 || wantPairs[pair{web2, web1}] == 0 || !slices.IsSorted(order) {
			t.Fatalf("pairs %v, order %v", wantPairs, order)
		}
		out, err := c.ListServerNeighbors(&ads.ListServerNeighborsInput{ConfigurationId: aws.String(web1), NeighborConfigurationIds: aws.StringSlice([]string{web2})})
		if err != nil || len(out.Neighbors) != 1 || aws.StringValue(out.Neighbors[0].SourceServerId) != web2 || aws.Int64Value(out.KnownDependencyCount) != 1 {
			t.Fatalf("restricted to web-2: %v %v", out, err)
		}
		// An unknown server has no neighbors; "neighbors" is always a list.
		resp := rawCall(t, s.URL, "ListServerNeighbors", `{"configurationId":"d-server-0000000000000dead"}`)
		if string(resp) != `{"neighbors":[],"knownDependencyCount":0}` {
			t.Fatalf("unknown server: %s", resp)
		}
	})

	t.Run("GetDiscoverySummary adds up", func(t *testing.T) {
		sum, err := c.GetDiscoverySummary(&ads.GetDiscoverySummaryInput{})
		if err != nil {
			t.Fatal(err)
		}
		if aws.Int64Value(sum.Servers) != 3 || aws.Int64Value(sum.Applications) != 2 || aws.Int64Value(sum.ServersMappedToApplications) != 2 || aws.Int64Value(sum.ServersMappedtoTags) != 1 {
			t.Fatalf("summary %v", sum)
		}
		agents, err := c.DescribeAgents(&ads.DescribeAgentsInput{})
		if err != nil {
			t.Fatal(err)
		}
		health := map[string]int64{}
		var started int64
		for _, a := range agents.AgentsInfo {
			health[aws.StringValue(a.Health)]++
			if aws.StringValue(a.CollectionStatus) == "STARTED" {
				started++
			}
		}
		a := sum.AgentSummary
		if aws.Int64Value(a.TotalAgents) != int64(len(agents.AgentsInfo)) || aws.Int64Value(a.TotalAgents) != 3 ||
			aws.Int64Value(a.HealthyAgents) != health["HEALTHY"] || aws.Int64Value(a.UnhealthyAgents) != health["UNHEALTHY"] || health["UNHEALTHY"] != 1 ||
			aws.Int64Value(a.ActiveAgents) != started || aws.Int64Value(a.ShutdownAgents) != 0 || aws.Int64Value(a.BlackListedAgents) != 0 || aws.Int64Value(a.UnknownAgents) != 0 {
			t.Fatalf("agent summary %v vs DescribeAgents %v", a, agents.AgentsInfo)
		}
		// Every required member is sent, zeros included.
		resp := rawCall(t, s.URL, "GetDiscoverySummary", `{}`)
		var raw map[string]any
		json.Unmarshal(resp, &raw)
		for member, n := range map[string]int{"agentSummary": 7, "connectorSummary": 7, "meCollectorSummary": 7, "agentlessCollectorSummary": 7} {
			if m, ok := raw[member].(map[string]any); !ok || len(m) != n {
				t.Fatalf("%s: %v", member, raw[member])
			}
		}
		sb, err := cb.GetDiscoverySummary(&ads.GetDiscoverySummaryInput{})
		if err != nil || aws.Int64Value(sb.Servers) != 1 || aws.Int64Value(sb.Applications) != 0 || aws.Int64Value(sb.AgentSummary.TotalAgents) != 1 {
			t.Fatalf("B summary %v %v", sb, err)
		}
	})
}

// rawCall sends an ADS call with a plain HTTP client and returns the body.
func rawCall(t *testing.T, url, op, body string) []byte {
	t.Helper()
	status, b := rawADS(t, url, op, body)
	if status != 200 {
		t.Fatalf("%s: %d %s", op, status, b)
	}
	return []byte(b)
}

func TestInventoryModeledErrors(t *testing.T) {
	s := startServer(t, "")
	srv := seedFleet(t, s)
	c := client(t, s.URL, acctA, "x")
	server := aws.String("SERVER")

	_, err := c.ListConfigurations(&ads.ListConfigurationsInput{})
	wantCode(t, err, ads.ErrCodeInvalidParameterException, 400)
	_, err = c.ListConfigurations(&ads.ListConfigurationsInput{ConfigurationType: aws.String("DATABASE")})
	wantCode(t, err, ads.ErrCodeInvalidParameterValueException, 400)
	_, err = c.ListConfigurations(&ads.ListConfigurationsInput{ConfigurationType: server, Filters: []*ads.Filter{filter("server.nope", "EQUALS", "x")}})
	wantCode(t, err, ads.ErrCodeInvalidParameterException, 400)
	_, err = c.ListConfigurations(&ads.ListConfigurationsInput{ConfigurationType: server, Filters: []*ads.Filter{filter("server.agentId", "CONTAINS", "x")}})
	wantCode(t, err, ads.ErrCodeInvalidParameterValueException, 400)
	_, err = c.ListConfigurations(&ads.ListConfigurationsInput{ConfigurationType: server, Filters: []*ads.Filter{filter("server.performance.avgCpuUsagePct", "GT", "high")}})
	wantCode(t, err, ads.ErrCodeInvalidParameterValueException, 400)
	_, err = c.ListConfigurations(&ads.ListConfigurationsInput{ConfigurationType: server, Filters: []*ads.Filter{{Name: aws.String("server.hostName"), Values: aws.StringSlice([]string{"x"})}}})
	wantCode(t, err, ads.ErrCodeInvalidParameterException, 400) // condition missing
	_, err = c.ListConfigurations(&ads.ListConfigurationsInput{ConfigurationType: server, OrderBy: []*ads.OrderByElement{{FieldName: aws.String("server.agentId")}}})
	wantCode(t, err, ads.ErrCodeInvalidParameterValueException, 400)
	_, err = c.ListConfigurations(&ads.ListConfigurationsInput{ConfigurationType: server, MaxResults: aws.Int64(-1)})
	rf := wantCode(t, err, ads.ErrCodeInvalidParameterValueException, 400)
	if rf.Message() != "1 validation error detected: Value '-1' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 0" {
		t.Fatalf("message %q", rf.Message())
	}
	// Tokens: tampered, or from another query.
	page, err := c.ListConfigurations(&ads.ListConfigurationsInput{ConfigurationType: server, MaxResults: aws.Int64(1)})
	if err != nil || page.NextToken == nil {
		t.Fatal(err, page)
	}
	for _, in := range []*ads.ListConfigurationsInput{
		{ConfigurationType: aws.String("PROCESS"), NextToken: page.NextToken},
		{ConfigurationType: server, NextToken: page.NextToken, Filters: []*ads.Filter{filter("server.hostName", "CONTAINS", "web")}},
		{ConfigurationType: server, NextToken: page.NextToken, OrderBy: []*ads.OrderByElement{{FieldName: aws.String("server.hostName")}}},
		{ConfigurationType: server, NextToken: aws.String(*page.NextToken + "x")},
	} {
		_, err := c.ListConfigurations(in)
		rf := wantCode(t, err, ads.ErrCodeInvalidParameterValueException, 400)
		if rf.Message() != "The nextToken is not valid for this request." {
			t.Fatalf("message %q", rf.Message())
		}
	}
	_, err = client(t, s.URL, acctB, "x").ListConfigurations(&ads.ListConfigurationsInput{ConfigurationType: server, NextToken: page.NextToken})
	wantCode(t, err, ads.ErrCodeInvalidParameterValueException, 400)

	_, err = c.DescribeConfigurations(&ads.DescribeConfigurationsInput{})
	wantCode(t, err, ads.ErrCodeInvalidParameterException, 400)
	_, err = c.DescribeConfigurations(&ads.DescribeConfigurationsInput{ConfigurationIds: aws.StringSlice([]string{srv["web-1.example.com"], "d-application-0ac39bc0e4fad0e42"})})
	wantCode(t, err, ads.ErrCodeInvalidParameterValueException, 400)

	_, err = c.ListServerNeighbors(&ads.ListServerNeighborsInput{})
	wantCode(t, err, ads.ErrCodeInvalidParameterException, 400)
	_, err = c.ListServerNeighbors(&ads.ListServerNeighborsInput{ConfigurationId: aws.String("d-process-0123456789abcdef0")})
	wantCode(t, err, ads.ErrCodeInvalidParameterValueException, 400)
	_, err = c.ListServerNeighbors(&ads.ListServerNeighborsInput{ConfigurationId: aws.String(srv["web-1.example.com"]), MaxResults: aws.Int64(-3)})
	wantCode(t, err, ads.ErrCodeInvalidParameterValueException, 400)
	_, err = c.ListServerNeighbors(&ads.ListServerNeighborsInput{ConfigurationId: aws.String(srv["web-1.example.com"]), NextToken: page.NextToken})
	wantCode(t, err, ads.ErrCodeInvalidParameterValueException, 400)

	t.Run("HomeRegionNotSet", func(t *testing.T) {
		s := startServer(t, "", "--home-region", "none")
		c := client(t, s.URL, acctA, "x")
		_, err := c.ListConfigurations(&ads.ListConfigurationsInput{ConfigurationType: server})
		wantCode(t, err, ads.ErrCodeHomeRegionNotSetException, 400)
		_, err = c.DescribeConfigurations(&ads.DescribeConfigurationsInput{ConfigurationIds: aws.StringSlice([]string{"d-server-0000000000000dead"})})
		wantCode(t, err, ads.ErrCodeHomeRegionNotSetException, 400)
		_, err = c.ListServerNeighbors(&ads.ListServerNeighborsInput{ConfigurationId: aws.String("d-server-0000000000000dead")})
		wantCode(t, err, ads.ErrCodeHomeRegionNotSetException, 400)
		_, err = c.GetDiscoverySummary(&ads.GetDiscoverySummaryInput{})
		wantCode(t, err, ads.ErrCodeHomeRegionNotSetException, 400)
	})
}
