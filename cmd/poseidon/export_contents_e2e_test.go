package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	ads "github.com/aws/aws-sdk-go/service/applicationdiscoveryservice"

	"github.com/poseidon-ads/poseidon/internal/agentdata"
)

const exportStep = 15 * time.Minute

// exportReport is the i-th report of agent n (1 or 2) of the test fleet.
func exportReport(agent string, n, i int, t0 time.Time, host string) agentdata.Report {
	ts := t0.Add(time.Duration(i) * exportStep)
	ip := fmt.Sprintf("10.0.0.%d", n)
	return agentdata.Report{
		ReportID:  fmt.Sprintf("%s-%d", agent, i),
		AgentID:   agent,
		Timestamp: float64(ts.Unix()),
		Agent:     agentdata.AgentInfo{Version: "2.0.1"},
		Server: agentdata.ServerInfo{HostName: host, OSName: "Ubuntu", OSVersion: "22.04", CPUType: "x86_64", Hypervisor: "kvm", Type: "EC2",
			NumCPUs: 2, NumCores: 4, NumLogicalProcessors: 8, TotalRAMMB: 8192, TotalDiskGB: 100, NumDisks: 1},
		NetworkInterfaces: []agentdata.NetworkInterface{
			{Name: "eth0", MACAddress: fmt.Sprintf("02:00:00:00:00:0%d", n), IPAddress: ip, NetMask: "255.255.255.0", Gateway: "10.0.0.254"},
			{Name: "eth1", IPAddress: fmt.Sprintf("fe80::%d", n)},
		},
		Performance: &agentdata.Performance{CPUUsagePct: float64(10 + i), FreeRAMMB: float64(4096 + 10*i), DiskFreeGB: 50.5,
			DiskReadKBps: 1.5 + float64(i), DiskWriteKBps: float64(2 * i), DiskReadOpsPerSec: 0.25, DiskWriteOpsPerSec: 3,
			NetworkReadKBps: float64(10000000 + i), NetworkWriteKBps: 0.0001},
		Processes: []agentdata.Process{
			{PID: 1, Name: "systemd", Path: "/sbin/init", IsSystem: true},
			{PID: 1000 + i, Name: "java", CommandLine: `java -Dname="a,b" -jar app.jar`, Path: "/usr/bin/java"},
		},
		Connections: []agentdata.Connection{
			{Direction: "outbound", SourceIP: ip, SourcePort: 40000 + i, DestinationIP: "10.0.0.99", DestinationPort: 5432, PID: 1000 + i},
			{Direction: "inbound", SourceIP: "10.9.9.9", SourcePort: 50000, DestinationIP: ip, DestinationPort: 443},
		},
	}
}

// javaDouble is the export's number form: shortest decimal, ".0" on whole numbers.
func javaDouble(v float64) string {
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// wantAgentRows is what a report must give in each agent file.
func wantAgentRows(account string, r *agentdata.Report) map[string][][]string {
	ts := time.Unix(int64(r.Timestamp), 0).UTC()
	at, apt := ts.Format("2006-01-02 15:04:05"), ts.Format("01/02/2006 03:04:05 PM")
	p, s := r.Performance, r.Server
	out := map[string][][]string{
		"systemPerformance": {{account, r.AgentID, javaDouble(p.DiskReadKBps), javaDouble(p.DiskWriteKBps), javaDouble(p.DiskReadOpsPerSec),
			javaDouble(p.DiskWriteOpsPerSec), javaDouble(p.NetworkReadKBps), javaDouble(p.NetworkWriteKBps),
			strconv.Itoa(s.NumLogicalProcessors), strconv.Itoa(s.NumCores), strconv.Itoa(s.NumCPUs), strconv.Itoa(s.NumDisks),
			strconv.Itoa(len(r.NetworkInterfaces)), javaDouble(p.CPUUsagePct), javaDouble(s.TotalDiskGB), javaDouble(p.DiskFreeGB),
			javaDouble(s.TotalRAMMB), javaDouble(p.FreeRAMMB), at}},
		"osInfo": {{account, r.AgentID, s.OSName, s.OSVersion, s.CPUType, s.HostName, s.Hypervisor, at}},
	}
	for _, n := range r.NetworkInterfaces {
		family := "IPv4"
		if strings.Contains(n.IPAddress, ":") {
			family = "IPv6"
		}
		out["networkInterface"] = append(out["networkInterface"], []string{account, r.AgentID, n.Name, n.MACAddress, family, n.IPAddress, n.Gateway, n.NetMask, at})
	}
	for _, pr := range r.Processes {
		out["process"] = append(out["process"], []string{account, r.AgentID, strconv.Itoa(pr.PID), strconv.FormatBool(pr.IsSystem), pr.Name, pr.CommandLine, pr.Path, apt})
	}
	for _, c := range r.Connections {
		pid := ""
		if c.PID != 0 {
			pid = strconv.Itoa(c.PID)
		}
		file := "sourceProcessConnection"
		if c.Direction == "inbound" {
			file = "destinationProcessConnection"
		}
		out[file] = append(out[file], []string{account, r.AgentID, c.SourceIP, strconv.Itoa(c.SourcePort), c.DestinationIP,
			strconv.Itoa(c.DestinationPort), "IPv4", "tcp", pid, at})
	}
	return out
}

var agentFiles = []string{"destinationProcessConnection", "networkInterface", "osInfo", "process", "sourceProcessConnection", "systemPerformance"}

// parseCSV returns a member's header and rows.
func parseCSV(t *testing.T, body string) ([]string, [][]string) {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || len(rows) == 0 {
		t.Fatalf("csv: %v (%q)", err, body)
	}
	return rows[0], rows[1:]
}

// exportZip starts an export, waits for it and returns the zip's members.
func exportZip(t *testing.T, c *ads.ApplicationDiscoveryService, in *ads.StartExportTaskInput) (*ads.ExportInfo, map[string]string) {
	t.Helper()
	out, err := c.StartExportTask(in)
	if err != nil {
		t.Fatal(err)
	}
	info := waitExport(t, c, aws.StringValue(out.ExportId))
	if aws.StringValue(info.ExportStatus) != ads.ExportStatusSucceeded {
		t.Fatalf("export %s: %s", aws.StringValue(info.ExportStatus), aws.StringValue(info.StatusMessage))
	}
	code, body := download(t, aws.StringValue(info.ConfigurationsDownloadUrl))
	if code != http.StatusOK {
		t.Fatalf("download: HTTP %d", code)
	}
	return info, unzip(t, body)
}

// Agent data posted through intake comes back, row by row, in agent exports
// and the summary export.
func TestExportContentsFromIntake(t *testing.T) {
	s := startServer(t, "", "--no-limits")
	c := client(t, s.URL, acctA, "x")
	fleet, agents, t0 := postExportFleet(t, s.URL)
	const reports = exportFleetReports
	// The same agent ID in another account must not leak into account A's exports.
	other := agentdata.Batch{Reports: []agentdata.Report{exportReport(agents[0], 1, 2, t0, "intruder")}}
	postAgentBatch(t, s.URL, acctB, &other)

	agentExport := func(agent string, start, end *time.Time) (*ads.ExportInfo, map[string]string) {
		in := &ads.StartExportTaskInput{Filters: []*ads.ExportFilter{{Name: aws.String("agentIds"), Values: []*string{aws.String(agent)}, Condition: aws.String("EQUALS")}}}
		in.StartTime, in.EndTime = start, end
		return exportZip(t, c, in)
	}
	check := func(t *testing.T, members map[string]string, agent string, first, n int) {
		t.Helper()
		if len(members) != len(agentFiles)+1 {
			t.Fatalf("zip has %d members", len(members))
		}
		want := map[string][][]string{}
		for _, r := range fleet.Reports {
			i := int(time.Unix(int64(r.Timestamp), 0).Sub(t0) / exportStep)
			if r.AgentID != agent || i < first || i >= first+n {
				continue
			}
			for f, rows := range wantAgentRows(acctA, &r) {
				want[f] = append(want[f], rows...)
			}
		}
		var total int
		for _, f := range agentFiles {
			body, ok := members[acctA+"_"+f+".csv"]
			if !ok {
				t.Fatalf("no %s", f)
			}
			total += len(body)
			_, rows := parseCSV(t, body)
			if len(rows) != len(want[f]) {
				t.Errorf("%s: %d rows, want %d", f, len(rows), len(want[f]))
				continue
			}
			for k := range rows {
				if !slices.Equal(rows[k], want[f][k]) {
					t.Errorf("%s row %d:\n got %q\nwant %q", f, k+1, rows[k], want[f][k])
				}
			}
		}
		var res struct {
			CustomerAccount        string
			ResultFilesGenerated   int
			TotalSizeOfResultFiles int
			ExportSummary          struct {
				IsTruncated                    bool `json:"isTruncated"`
				ActualStartTime, ActualEndTime string
			}
		}
		if err := json.Unmarshal([]byte(members[acctA+"_results.json"]), &res); err != nil {
			t.Fatal(err)
		}
		layout := "2006-01-02 15:04:05"
		if res.CustomerAccount != acctA || res.ExportSummary.IsTruncated || res.ResultFilesGenerated != 6 || res.TotalSizeOfResultFiles != total ||
			res.ExportSummary.ActualStartTime != t0.Add(time.Duration(first)*exportStep).Format(layout) ||
			res.ExportSummary.ActualEndTime != t0.Add(time.Duration(first+n-1)*exportStep).Format(layout) {
			t.Errorf("results.json = %s", members[acctA+"_results.json"])
		}
	}

	t.Run("window, edges included", func(t *testing.T) {
		start, end := t0.Add(exportStep), t0.Add(4*exportStep)
		info, members := agentExport(agents[0], &start, &end)
		if aws.BoolValue(info.IsTruncated) {
			t.Error("isTruncated")
		}
		check(t, members, agents[0], 1, 4)
	})
	t.Run("whole data of the other agent", func(t *testing.T) {
		_, members := agentExport(agents[1], nil, nil)
		check(t, members, agents[1], 0, reports)
	})

	t.Run("summary", func(t *testing.T) {
		_, members := exportZip(t, c, &ads.StartExportTaskInput{})
		header, servers := parseCSV(t, members[acctA+"_Server.csv"])
		if len(servers) != 2 {
			t.Fatalf("Server.csv: %d rows: %q", len(servers), servers)
		}
		col := func(header []string, name string) int {
			i := slices.Index(header, name)
			if i < 0 {
				t.Fatalf("no column %s in %q", name, header)
			}
			return i
		}
		ids := map[string]string{} // agent → server ID
		for _, r := range servers {
			ids[r[col(header, "server.agentId")]] = r[col(header, "server.configurationId")]
			if r[col(header, "server.osName")] != "Ubuntu" || r[col(header, "server.type")] != "EC2" {
				t.Errorf("server row %q", r)
			}
		}
		if len(ids) != 2 || ids[agents[0]] == "" || ids[agents[1]] == "" {
			t.Fatalf("servers by agent: %v", ids)
		}
		if ids[agents[0]] > ids[agents[1]] != (servers[0][col(header, "server.agentId")] == agents[1]) {
			t.Errorf("Server.csv is not ordered by configuration ID: %q", servers)
		}

		_, nics := parseCSV(t, members[acctA+"_NetworkInterface.csv"])
		if len(nics) != 4 {
			t.Errorf("NetworkInterface.csv: %d rows", len(nics))
		}

		// SystemPerformance shows the numbers DescribeConfigurations shows.
		ph, perf := parseCSV(t, members[acctA+"_SystemPerformance.csv"])
		if len(perf) != 2 {
			t.Fatalf("SystemPerformance.csv: %d rows", len(perf))
		}
		out, err := c.DescribeConfigurations(&ads.DescribeConfigurationsInput{ConfigurationIds: []*string{aws.String(ids[agents[0]])}})
		if err != nil {
			t.Fatal(err)
		}
		attrs := out.Configurations[0]
		for _, row := range perf {
			if row[0] != ids[agents[0]] {
				continue
			}
			if got := row[col(ph, "server.performance.avgCpuUsagePct")]; got != "12.5" {
				t.Errorf("avgCpuUsagePct = %s, want 12.5 (mean of 10..15)", got)
			}
			for k, name := range ph {
				if !strings.HasPrefix(name, "server.performance.") {
					continue
				}
				want, err := strconv.ParseFloat(aws.StringValue(attrs[name]), 64)
				if err != nil {
					t.Errorf("DescribeConfigurations %s = %q", name, aws.StringValue(attrs[name]))
					continue
				}
				got, err := strconv.ParseFloat(row[k], 64)
				if err != nil || math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) || strings.ContainsAny(row[k], "eE") {
					t.Errorf("%s: export %q, DescribeConfigurations %v", name, row[k], want)
				}
			}
		}

		ih, imp := parseCSV(t, members[acctA+"_ImportTemplate.csv"])
		for _, r := range imp {
			if r[col(ih, "ServerId")] != ids[agents[0]] {
				continue
			}
			if r[col(ih, "IPAddress")] != "10.0.0.1, fe80::1" || r[col(ih, "MACAddress")] != "02:00:00:00:00:01" ||
				r[col(ih, "HostName")] != "web-1.example.com" || r[col(ih, "CPU.UsagePct.Avg")] != "12.5" || r[col(ih, "RAM.TotalSizeInMB")] != "8192" {
				t.Errorf("ImportTemplate row %q", r)
			}
		}
		if len(imp) != 2 {
			t.Errorf("ImportTemplate.csv: %d rows", len(imp))
		}
	})
}

// --export-size-limit cuts an agent export at a report boundary, in every
// file, and says so.
func TestExportSizeLimitFlag(t *testing.T) {
	s := startServer(t, "", "--no-limits", "--export-size-limit", "3000")
	c := client(t, s.URL, acctA, "x")
	t0 := time.Now().UTC().Truncate(time.Hour).Add(-6 * time.Hour)
	const agent = "o-0a1b2c3d4e5f60701"
	var b agentdata.Batch
	for i := range 6 {
		b.Reports = append(b.Reports, exportReport(agent, 1, i, t0, "web-1"))
	}
	postAgentBatch(t, s.URL, acctA, &b)
	info, members := exportZip(t, c, &ads.StartExportTaskInput{Filters: []*ads.ExportFilter{
		{Name: aws.String("agentIds"), Values: []*string{aws.String(agent)}, Condition: aws.String("EQUALS")}}})
	if !aws.BoolValue(info.IsTruncated) {
		t.Fatal("DescribeExportTasks: isTruncated is false")
	}
	var res struct {
		TotalSizeOfResultFiles int
		ExportSummary          struct {
			IsTruncated   bool `json:"isTruncated"`
			ActualEndTime string
		}
	}
	if err := json.Unmarshal([]byte(members[acctA+"_results.json"]), &res); err != nil {
		t.Fatal(err)
	}
	end, err := time.Parse("2006-01-02 15:04:05", res.ExportSummary.ActualEndTime)
	if err != nil || !res.ExportSummary.IsTruncated || res.TotalSizeOfResultFiles > 3000 || !end.Before(t0.Add(5*exportStep)) {
		t.Fatalf("results.json = %s", members[acctA+"_results.json"])
	}
	kept := int(end.Sub(t0)/exportStep) + 1
	var total int
	for _, f := range agentFiles {
		body := members[acctA+"_"+f+".csv"]
		total += len(body)
		_, rows := parseCSV(t, body)
		var want int
		for _, r := range b.Reports[:kept] {
			want += len(wantAgentRows(acctA, &r)[f])
		}
		if len(rows) != want {
			t.Errorf("%s: %d rows, want the %d rows of the first %d reports", f, len(rows), want, kept)
		}
	}
	if total != res.TotalSizeOfResultFiles {
		t.Errorf("CSV bytes %d, TotalSizeOfResultFiles %d", total, res.TotalSizeOfResultFiles)
	}
}

// exportFleetReports is how many reports each agent of postExportFleet sends.
const exportFleetReports = 6

// postExportFleet posts two agents' reports, 15 minutes apart from t0 (six
// hours ago), as account A, and returns the batch, the agent IDs and t0.
func postExportFleet(t *testing.T, url string) (agentdata.Batch, []string, time.Time) {
	t.Helper()
	t0 := time.Now().UTC().Truncate(time.Hour).Add(-6 * time.Hour)
	agents := []string{"o-0a1b2c3d4e5f60701", "o-0a1b2c3d4e5f60702"}
	var fleet agentdata.Batch
	for n, agent := range agents {
		for i := range exportFleetReports {
			fleet.Reports = append(fleet.Reports, exportReport(agent, n+1, i, t0, fmt.Sprintf("web-%d.example.com", n+1)))
		}
	}
	postAgentBatch(t, url, acctA, &fleet)
	return fleet, agents, t0
}
