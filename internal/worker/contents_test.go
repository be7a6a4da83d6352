package worker_test

import (
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/agentdata"
	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/exportfile"
	"github.com/poseidon-ads/poseidon/internal/storetest/teststore"
)

// Layouts written out here on purpose: the tests do not trust the code's
// formatting helpers.
const (
	resultsLayout = "2006-01-02 15:04:05"
	agentLayout   = "01/02/2006 03:04:05 PM"
)

func fmtResults(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(resultsLayout)
}

// raw opens the fixture's SQLite database beside the store, for inserting
// rows that no store method writes; on another store the test is skipped.
func (f *fixture) raw(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+teststore.SQLiteFile(t, f.db)+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// seedAgent takes in one report of the agent every step from first to last,
// both included (see reportRows for what each holds), as intake applies
// them to the store (an IntakeTx applying a plan of accepted reports; the
// test agent IDs are shorter than intake validation allows): the agent
// registers at first, with that data span.
func (f *fixture) seedAgent(t *testing.T, account, agent string, first, last time.Time, step time.Duration) {
	t.Helper()
	now := f.clock.Now()
	plan := &discovery.IntakePlan{Received: now, Agents: []*discovery.Agent{{AccountID: account, ID: agent, Type: "EC2", HostName: "web-" + agent,
		Health: "HEALTHY", CollectionStatus: discovery.CollectionStarted, Registered: first, LastHealthPing: last, FirstData: first, LastData: last,
		ServerID: discovery.ServerID(account, agent)}}}
	i := 0
	for ts := first; !ts.After(last); ts = ts.Add(step) {
		r := seedReport(account, agent, i, ts)
		plan.Verdicts = append(plan.Verdicts, discovery.ReportVerdict{Report: r, Verdict: discovery.ReportAccepted})
		plan.Observations = append(plan.Observations, r)
		i++
	}
	if err := f.db.Intake(t.Context(), account, func(tx discovery.IntakeTx) error { return tx.Apply(t.Context(), plan) }); err != nil {
		t.Fatal(err)
	}
}

// seedReport is seedAgent's i-th report, at ts, with the defaults and IDs
// the agents service derives.
func seedReport(account, agent string, i int, ts time.Time) *discovery.AgentReport {
	r := &agentdata.Report{
		ReportID: fmt.Sprintf("%s-%d", agent, ts.UnixMilli()), AgentID: agent, Timestamp: float64(ts.UnixMilli()) / 1000,
		Agent: agentdata.AgentInfo{AgentType: "EC2", Health: "HEALTHY"},
		Server: agentdata.ServerInfo{HostName: "web-" + agent, OSName: "Ubuntu", OSVersion: "22.04", CPUType: "x86_64", Hypervisor: "kvm", Type: "OTHER",
			NumCPUs: 2, NumCores: 4, NumLogicalProcessors: 8, TotalRAMMB: 8192, TotalDiskGB: 100, NumDisks: 1},
		NetworkInterfaces: []agentdata.NetworkInterface{
			{Name: "eth0", MACAddress: "02:00:00:00:00:01", IPAddress: "10.0.0.1", NetMask: "255.255.255.0", Family: "IPv4", Gateway: "10.0.0.254"},
			{Name: "lo", IPAddress: "::1", Family: "IPv6"},
		},
		Performance: &agentdata.Performance{CPUUsagePct: float64(10 + i), FreeRAMMB: float64(1024 + i), DiskFreeGB: 50.5,
			DiskReadKBps: float64(i) + 0.5, DiskWriteKBps: float64(2 * i), DiskReadOpsPerSec: 0.25, DiskWriteOpsPerSec: 3,
			NetworkReadKBps: float64(10000000 + i), NetworkWriteKBps: 0.0001},
		Processes: []agentdata.Process{
			{PID: 1, Name: "systemd", Path: "/sbin/init", IsSystem: true},
			{PID: 1000 + i, Name: "java", CommandLine: `java -Dname="a,b" -jar app.jar`, Path: "/usr/bin/java"},
		},
		Connections: []agentdata.Connection{
			{Direction: "outbound", SourceIP: "10.0.0.1", SourcePort: 40000 + i, DestinationIP: "10.0.0.2", DestinationPort: 5432, IPVersion: "IPv4", TransportProtocol: "tcp", PID: 1000 + i},
			{Direction: "inbound", SourceIP: "10.0.0.9", SourcePort: 50000, DestinationIP: "10.0.0.1", DestinationPort: 443, IPVersion: "IPv4", TransportProtocol: "tcp"},
			{Direction: "outbound", SourceIP: "10.0.0.1", SourcePort: 40100, DestinationIP: "10.0.0.53", DestinationPort: 53, IPVersion: "IPv4", TransportProtocol: "udp"},
		},
	}
	server := discovery.ServerID(account, agent)
	ids := make([]string, len(r.Processes))
	for j, p := range r.Processes {
		ids[j] = discovery.ProcessID(account, server, p.Name, p.Path, p.CommandLine)
	}
	return &discovery.AgentReport{Report: r, TimeMs: ts.UnixMilli(), ServerID: server, ProcessIDs: ids}
}

// reportRows is what seedAgent's i-th report, at ts, must give in each file.
func reportRows(account, agent string, i int, ts time.Time) map[string][]string {
	at, apt := ts.UTC().Format(resultsLayout), ts.UTC().Format(agentLayout)
	p := account + "," + agent + ","
	return map[string][]string{
		"systemPerformance": {fmt.Sprintf("%s%d.5,%d.0,0.25,3.0,%d.0,0.0001,8,4,2,1,2,%d.0,100.0,50.5,8192.0,%d.0,%s", p, i, 2*i, 10000000+i, 10+i, 1024+i, at)},
		"osInfo":            {p + "Ubuntu,22.04,x86_64,web-" + agent + ",kvm," + at},
		"networkInterface": {
			p + "eth0,02:00:00:00:00:01,IPv4,10.0.0.1,10.0.0.254,255.255.255.0," + at,
			p + "lo,,IPv6,::1,,," + at,
		},
		"process": {
			p + "1,true,systemd,,/sbin/init," + apt,
			fmt.Sprintf(`%s%d,false,java,"java -Dname=""a,b"" -jar app.jar",/usr/bin/java,%s`, p, 1000+i, apt),
		},
		"sourceProcessConnection": {
			fmt.Sprintf("%s10.0.0.1,%d,10.0.0.2,5432,IPv4,tcp,%d,%s", p, 40000+i, 1000+i, at),
			p + "10.0.0.1,40100,10.0.0.53,53,IPv4,udp,," + at,
		},
		"destinationProcessConnection": {p + "10.0.0.9,50000,10.0.0.1,443,IPv4,tcp,," + at},
	}
}

type results struct {
	CustomerAccount  string
	RequestedFilters []struct {
		Name      string
		Values    []string
		Condition string
	}
	RequestedStartTime     *string
	RequestedEndTime       *string
	ResultFilesGenerated   int
	TotalSizeOfResultFiles int64
	ExportStartedAt        string
	ExportStatus           string
	StatusMessage          string
	ExportSummary          struct {
		IsTruncated     bool   `json:"isTruncated"`
		ActualStartTime string `json:"ActualStartTime"`
		ActualEndTime   string `json:"ActualEndTime"`
	}
}

func parseResults(t *testing.T, body []byte) results {
	t.Helper()
	var r results
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("results.json: %v\n%s", err, body)
	}
	var keys map[string]json.RawMessage
	json.Unmarshal(body, &keys)
	var summary map[string]json.RawMessage
	json.Unmarshal(keys["ExportSummary"], &summary)
	if _, ok := summary["ActualStartTime"]; ok != (r.ExportSummary.ActualStartTime != "") {
		t.Fatalf("ActualStartTime present but empty: %s", body)
	}
	return r
}

func csvRows(t *testing.T, body []byte) [][]string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
	if err != nil {
		t.Fatalf("csv: %v", err)
	}
	return rows[1:]
}

// fileText is a whole CSV member: header, then rows.
func fileText(layout exportfile.Layout, rows []string) string {
	var b strings.Builder
	b.WriteString(strings.Join(layout.Header, ",") + "\n")
	for _, r := range rows {
		b.WriteString(r + "\n")
	}
	return b.String()
}

func (f *fixture) export(t *testing.T, task discovery.ExportTask) (*discovery.ExportTask, map[string][]byte) {
	t.Helper()
	added := f.add(t, task)
	f.drain(t)
	got := f.get(t, added.ID)
	if got.Status != discovery.ExportSucceeded {
		t.Fatalf("export %s: %s", got.Status, got.Message)
	}
	path, _ := f.files.Path(acct, added.ID)
	return got, readZip(t, path)
}

// The six agent files hold exactly the agent's rows with start <= ts <= end,
// oldest first, in reported order within a report.
func TestAgentExportContents(t *testing.T) {
	f := newFixture(t)
	t0 := f.clock.Now().Add(-24 * time.Hour)
	step := 15 * time.Minute
	f.seedAgent(t, acct, "o-1", t0, t0.Add(7*step), step)
	f.seedAgent(t, acct, "o-2", t0, t0.Add(7*step), step)           // another agent
	f.seedAgent(t, "999999999999", "o-1", t0, t0.Add(7*step), step) // another account

	tp := func(t time.Time) *time.Time { return &t }
	for _, tc := range []struct {
		name       string
		start, end time.Time
		first, n   int // reports expected
	}{
		{"edges included", t0.Add(2 * step), t0.Add(5 * step), 2, 4},
		{"start excluded a millisecond after", t0.Add(2*step + time.Millisecond), t0.Add(5 * step), 3, 3},
		{"end excluded a millisecond before", t0.Add(2 * step), t0.Add(5*step - time.Millisecond), 2, 3},
		{"one instant", t0.Add(4 * step), t0.Add(4 * step), 4, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			task, members := f.export(t, discovery.ExportTask{Kind: discovery.KindAgent, AgentID: "o-1", RequestedStart: tp(tc.start), RequestedEnd: tp(tc.end)})
			if task.IsTruncated {
				t.Error("task truncated")
			}
			var total int64
			for _, l := range exportfile.AgentLayouts {
				var want []string
				for i := tc.first; i < tc.first+tc.n; i++ {
					want = append(want, reportRows(acct, "o-1", i, t0.Add(time.Duration(i)*step))[l.Name]...)
				}
				got := string(members[acct+"_"+l.Name+".csv"])
				if exp := fileText(l, want); got != exp {
					t.Errorf("%s:\n%s\nwant\n%s", l.Name, got, exp)
				}
				total += int64(len(got))
			}
			res := parseResults(t, members[acct+"_results.json"])
			first, last := t0.Add(time.Duration(tc.first)*step), t0.Add(time.Duration(tc.first+tc.n-1)*step)
			if res.ExportSummary.IsTruncated || res.ExportSummary.ActualStartTime != fmtResults(first) || res.ExportSummary.ActualEndTime != fmtResults(last) ||
				res.ResultFilesGenerated != 6 || res.TotalSizeOfResultFiles != total || res.ExportStatus != "SUCCEEDED" ||
				res.StatusMessage != discovery.SucceededMessage || res.ExportStartedAt != fmtResults(task.RequestTime) ||
				*res.RequestedStartTime != fmtResults(tc.start) || *res.RequestedEndTime != fmtResults(tc.end) ||
				len(res.RequestedFilters) != 1 || res.RequestedFilters[0].Name != "agentIds" || res.RequestedFilters[0].Values[0] != "o-1" {
				t.Errorf("results.json = %+v (CSV bytes %d)", res, total)
			}
		})
	}
}

// lastCell parses a row's time, which is its last cell in every agent file.
func lastCell(t *testing.T, row []string) time.Time {
	t.Helper()
	s := row[len(row)-1]
	for _, l := range []string{resultsLayout, agentLayout} {
		if ts, err := time.Parse(l, s); err == nil {
			return ts
		}
	}
	t.Fatalf("no time in %q", row)
	return time.Time{}
}

// An export over the size limit keeps, in every file, exactly the reports
// that fit, and says so.
func TestAgentExportSizeLimit(t *testing.T) {
	f := newFixture(t)
	t0 := f.clock.Now().Add(-24 * time.Hour)
	step := 15 * time.Minute
	const reports = 8
	f.seedAgent(t, acct, "o-1", t0, t0.Add((reports-1)*step), step)
	tp := func(t time.Time) *time.Time { return &t }
	start, end := tp(t0), tp(t0.Add(reports*step))

	// The unlimited export, and the CSV bytes of its reports up to each one.
	full, members := f.export(t, discovery.ExportTask{Kind: discovery.KindAgent, AgentID: "o-1", RequestedStart: start, RequestedEnd: end})
	if full.IsTruncated {
		t.Fatal("unlimited export truncated")
	}
	var headers int64
	upTo := make([]int64, reports) // CSV bytes with reports 0..i
	for _, l := range exportfile.AgentLayouts {
		body := string(members[acct+"_"+l.Name+".csv"])
		lines := strings.SplitAfter(body, "\n")
		headers += int64(len(lines[0]))
		for _, line := range lines[1:] {
			if line == "" {
				continue
			}
			rec, err := csv.NewReader(strings.NewReader(line)).Read()
			if err != nil {
				t.Fatal(err)
			}
			i := int(lastCell(t, rec).Sub(t0) / step)
			for j := i; j < reports; j++ {
				upTo[j] += int64(len(line))
			}
		}
	}
	fullSize := headers + upTo[reports-1]
	if res := parseResults(t, members[acct+"_results.json"]); res.TotalSizeOfResultFiles != fullSize {
		t.Fatalf("TotalSizeOfResultFiles = %d, want %d", res.TotalSizeOfResultFiles, fullSize)
	}

	for _, tc := range []struct {
		name  string
		limit int64
		keep  int // reports kept
	}{
		{"exactly the full size", fullSize, reports},
		{"a byte short", fullSize - 1, reports - 1},
		{"four reports and a bit", headers + upTo[3] + 10, 4},
		{"one report", headers + upTo[0], 1},
		{"headers only", headers + upTo[0] - 1, 0},
		{"below the headers", 1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.w.MaxExportBytes = tc.limit
			defer func() { f.w.MaxExportBytes = 0 }()
			task, members := f.export(t, discovery.ExportTask{Kind: discovery.KindAgent, AgentID: "o-1", RequestedStart: start, RequestedEnd: end})
			wantTrunc := tc.keep < reports
			if task.IsTruncated != wantTrunc {
				t.Fatalf("task truncated = %v, want %v", task.IsTruncated, wantTrunc)
			}
			var total int64
			for _, l := range exportfile.AgentLayouts {
				var want []string
				for i := range tc.keep {
					want = append(want, reportRows(acct, "o-1", i, t0.Add(time.Duration(i)*step))[l.Name]...)
				}
				got := string(members[acct+"_"+l.Name+".csv"])
				if exp := fileText(l, want); got != exp {
					t.Errorf("%s:\n%s\nwant\n%s", l.Name, got, exp)
				}
				total += int64(len(got))
			}
			if tc.keep > 0 && total > tc.limit {
				t.Errorf("wrote %d CSV bytes over a limit of %d", total, tc.limit)
			}
			res := parseResults(t, members[acct+"_results.json"])
			wantStart, wantEnd, wantFiles := "", "", 0
			if tc.keep > 0 {
				wantStart, wantEnd, wantFiles = fmtResults(t0), fmtResults(t0.Add(time.Duration(tc.keep-1)*step)), 6
			}
			if res.ExportSummary.IsTruncated != wantTrunc || res.ExportSummary.ActualStartTime != wantStart ||
				res.ExportSummary.ActualEndTime != wantEnd || res.TotalSizeOfResultFiles != total || res.ResultFilesGenerated != wantFiles {
				t.Errorf("results.json = %+v, want truncated %v, %q..%q, %d bytes, %d files", res, wantTrunc, wantStart, wantEnd, total, wantFiles)
			}
		})
	}
}

// The summary export holds the account's inventory, by configuration ID.
func TestSummaryExportContents(t *testing.T) {
	f := newFixture(t)
	db := f.raw(t)
	created := time.Date(2026, 2, 1, 8, 30, 0, 0, time.UTC).UnixMilli()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`INSERT INTO servers (account_id, server_id, agent_id, host_name, os_name, os_version, cpu_type, hypervisor, server_type,
			num_cpus, num_cores, num_logical, total_ram_mb, num_disks, num_nics, created_ms, updated_ms,
			perf_samples, cpu_sum, cpu_max, free_ram_sum, free_ram_min, disk_read_kbps_sum, disk_read_kbps_max, disk_write_kbps_sum, disk_write_kbps_max,
			disk_read_ops_sum, disk_read_ops_max, disk_write_ops_sum, disk_write_ops_max, net_read_kbps_sum, net_read_kbps_max, net_write_kbps_sum, net_write_kbps_max)
		VALUES (?, 'd-server-0b', 'o-2', 'db-1', 'Ubuntu', '22.04', 'x86_64', 'kvm', 'EC2', 2, 4, 8, 16384, 2, 1, ?, ?,
			4, 100, 40, 40000, 9000, 40, 20, 80, 30, 8, 4, 16, 8, 4, 2, 8, 3)`, acct, created, created)
	exec(`INSERT INTO servers (account_id, server_id, agent_id, source, host_name, os_name, server_type, vm_moref_id, vm_name, vcenter_id, vcenter_name, vm_folder_path, vm_host_id, created_ms, updated_ms)
		VALUES (?, 'd-server-0a', '', 'Import', 'web-1', 'Windows', 'VMWARE_VM', 'vm-42', 'web vm', 'vc-1', 'vcenter', '/dc/vm', 'host-7', ?, ?)`, acct, created, created)
	exec(`INSERT INTO servers (account_id, server_id, host_name, created_ms, updated_ms) VALUES ('999999999999', 'd-server-00', 'foreign', 1, 1)`)
	exec(`INSERT INTO network_interfaces VALUES (?, 'd-server-0b', 'eth0', '10.0.0.5', '02:00:00:00:00:05', '255.255.255.0', 'IPv4', '10.0.0.1')`, acct)
	exec(`INSERT INTO network_interfaces VALUES (?, 'd-server-0a', 'eth0', '10.0.1.5', '02:00:00:00:01:05', '', 'IPv4', '')`, acct)
	exec(`INSERT INTO network_interfaces VALUES (?, 'd-server-0a', 'eth0', 'fe80::5', '02:00:00:00:01:05', '', 'IPv6', '')`, acct)
	exec(`INSERT INTO applications VALUES (?, 'd-application-01', 'shop', 'web shop, "v2"', 'wave-1', ?, ?)`, acct, created, created+1500)
	exec(`INSERT INTO applications VALUES (?, 'd-application-02', 'crm', '', '', ?, ?)`, acct, created, created)
	exec(`INSERT INTO application_servers VALUES (?, 'd-application-01', 'd-server-0a')`, acct)
	exec(`INSERT INTO application_servers VALUES (?, 'd-application-01', 'd-server-0b')`, acct)
	exec(`INSERT INTO application_servers VALUES (?, 'd-application-02', 'd-server-0b')`, acct)
	exec(`INSERT INTO tags VALUES (?, 'd-server-0b', 'env', 'prod', ?)`, acct, created)
	exec(`INSERT INTO tags VALUES (?, 'd-server-0b', 'critical', 'yes', ?)`, acct, created)
	exec(`INSERT INTO tags VALUES ('999999999999', 'd-server-00', 'k', 'v', 1)`)

	_, members := f.export(t, discovery.ExportTask{})
	if len(members) != len(exportfile.SummaryLayouts) {
		t.Fatalf("zip has %d members", len(members))
	}
	want := map[string][]string{
		"Application": {
			`d-application-01,shop,"web shop, ""v2""",wave-1,2,2026-02-01 08:30:00.0,2026-02-01 08:30:01.5`,
			`d-application-02,crm,,,1,2026-02-01 08:30:00.0,2026-02-01 08:30:00.0`,
		},
		"ApplicationResourceAssociation": {
			"d-application-01,shop,d-server-0a,web-1",
			"d-application-01,shop,d-server-0b,db-1",
			"d-application-02,crm,d-server-0b,db-1",
		},
		"ImportTemplate": {
			`,,"10.0.1.5, fe80::5",02:00:00:00:01:05,web-1,vm-42,vc-1,,,,Windows,,web vm,,,,,,,,,,,,,,,,,,shop,wave-1,,d-server-0a`,
			`,,10.0.0.5,02:00:00:00:00:05,db-1,,,2,4,8,Ubuntu,22.04,,16384,6384,7384,25,40,10,20,20,30,2,4,4,8,1,2,2,3,"shop, crm",wave-1,"critical:yes, env:prod",d-server-0b`,
		},
		"NetworkInterface": {
			"d-server-0a,web-1,eth0,02:00:00:00:01:05,10.0.1.5,,IPv4,",
			"d-server-0a,web-1,eth0,02:00:00:00:01:05,fe80::5,,IPv6,",
			"d-server-0b,db-1,eth0,02:00:00:00:00:05,10.0.0.5,255.255.255.0,IPv4,10.0.0.1",
		},
		"Server": {
			"d-server-0a,,web-1,Windows,,,,VMWARE_VM,2026-02-01 08:30:00.0",
			"d-server-0b,o-2,db-1,Ubuntu,22.04,x86_64,kvm,EC2,2026-02-01 08:30:00.0",
		},
		"SystemPerformance": {
			"d-server-0a,web-1" + strings.Repeat(",", 21),
			"d-server-0b,db-1,25.0,40.0,2.0,4.0,4.0,8.0,10.0,20.0,20.0,30.0,1.0,2.0,2.0,3.0,10240000.0,9216000.0,16777216.0,2,4,2,1",
		},
		"Tags": {
			"d-server-0b,db-1,critical,yes,2026-02-01 08:30:00.0",
			"d-server-0b,db-1,env,prod,2026-02-01 08:30:00.0",
		},
		"VMwareInfo": {"d-server-0a,web-1,vm-42,web vm,vc-1,vcenter,/dc/vm,host-7"},
	}
	for _, l := range exportfile.SummaryLayouts {
		got := string(members[acct+"_"+l.Name+".csv"])
		if exp := fileText(l, want[l.Name]); got != exp {
			t.Errorf("%s:\n%s\nwant\n%s", l.Name, got, exp)
		}
	}
}
