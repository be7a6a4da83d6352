package storetest

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/agentdata"
	"github.com/poseidon-ads/poseidon/internal/agents"
	"github.com/poseidon-ads/poseidon/internal/applications"
	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/exports"
	"github.com/poseidon-ads/poseidon/internal/tags"
)

// Agent data reaches a store through the agents service's intake, the path
// it takes in poseidon; the suite's fixtures do the same, so that they hold
// what a store gets in production.

// agentID, agentIP and agentMAC are test agent n's ID and address.
func agentID(n int) string  { return fmt.Sprintf("o-%017x", n) }
func agentIP(n int) string  { return fmt.Sprintf("10.0.%d.%d", n/250, n%250+1) }
func agentMAC(n int) string { return fmt.Sprintf("02:00:00:00:%02x:%02x", n/256, n%256) }
func hostName(n int) string { return fmt.Sprintf("host-%02d", n) }

// serverOf is the configuration ID of agent n's server.
func serverOf(account string, n int) string { return discovery.ServerID(account, agentID(n)) }

// at is the time of report step: t0 + step × 15 minutes.
func at(step int) time.Time { return t0.Add(time.Duration(step) * 15 * time.Minute) }

// report is agent n's report at step: a Linux server with one interface and
// a performance sample whose CPU use is 10(n mod 9) + (step mod 10) percent and free RAM
// 1000 + step MB.
func report(n, step int) agentdata.Report {
	return agentdata.Report{
		ReportID:  fmt.Sprintf("r-%d-%d", n, step),
		AgentID:   agentID(n),
		Timestamp: float64(at(step).Unix()),
		Agent:     agentdata.AgentInfo{Version: "2.0.1"},
		Server: agentdata.ServerInfo{HostName: hostName(n), OSName: "Linux", OSVersion: "6.1", CPUType: "x86_64", Hypervisor: "kvm",
			NumCPUs: 2, NumCores: 4, NumLogicalProcessors: 8, TotalRAMMB: 16384, TotalDiskGB: 200, NumDisks: 1},
		NetworkInterfaces: []agentdata.NetworkInterface{{Name: "eth0", IPAddress: agentIP(n), MACAddress: agentMAC(n),
			NetMask: "255.255.255.0", Gateway: "10.0.0.254"}},
		Performance: &agentdata.Performance{CPUUsagePct: float64(n%9*10 + step%10), FreeRAMMB: float64(1000 + step), DiskFreeGB: 100,
			DiskReadKBps: 5, DiskWriteKBps: float64(step), DiskReadOpsPerSec: 1, DiskWriteOpsPerSec: 2, NetworkReadKBps: 3, NetworkWriteKBps: 4},
	}
}

// intakeAt takes reports in for account through the agents service, as
// received at now.
func intakeAt(t *testing.T, s agents.Store, account string, now time.Time, rs ...agentdata.Report) *discovery.IntakeResult {
	t.Helper()
	svc := agents.New(agents.Config{Store: s, Now: func() time.Time { return now }, Tokens: tokens})
	res, err := svc.Intake(ctx(t), account, &agentdata.Batch{Reports: rs})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// intake takes reports in, received a day after t0.
func intake(t *testing.T, s agents.Store, account string, rs ...agentdata.Report) *discovery.IntakeResult {
	t.Helper()
	return intakeAt(t, s, account, t0.Add(24*time.Hour), rs...)
}

// agents seeds agents 1..n of account, one report each at step 0.
func seedAgents(t *testing.T, s agents.Store, account string, n int) {
	t.Helper()
	var rs []agentdata.Report
	for i := 1; i <= n; i++ {
		rs = append(rs, report(i, 0))
	}
	intake(t, s, account, rs...)
}

// The fleet: four agents with processes and traffic between them, taken in
// in two batches: agents 1, 3 and 4, then agent 2.
//
//	agent 1 (host-01): process nginx (pid 100); outbound to agent 2's IP on
//	    ports 5432 and 8080 from nginx (agent 2's server is known from the
//	    second batch on, and then resolves); outbound to 10.9.9.9:53/udp
//	    (no server there).
//	agent 2 (host-02): process postgres (pid 200); inbound from agent 1 on
//	    5432 (agent 1 reports it: not counted again); outbound to agent 3's
//	    IP on port 6379 from postgres.
//	agent 3 (host-03): a VMware VM of a VMWARE collector (connector conn-1),
//	    inbound from 10.8.8.8 on port 22 (no server there).
//	agent 4 (host-04): Windows, UNHEALTHY, no traffic.
//
// Each agent reports at steps 0 and 1, so each connection occurs twice.
const fleetAgents = 4

// Fleet process and host facts the tests assert.
const (
	nginxCmd    = "nginx -g daemon off;"
	postgresCmd = "postgres -D /var/lib/postgresql"
)

func fleetReports(n, step int) agentdata.Report {
	r := report(n, step)
	switch n {
	case 1:
		r.Processes = []agentdata.Process{{PID: 100, Name: "nginx", Path: "/usr/sbin/nginx", CommandLine: nginxCmd}}
		r.Connections = []agentdata.Connection{
			{Direction: "outbound", SourceIP: agentIP(1), SourcePort: 40000 + step, DestinationIP: agentIP(2), DestinationPort: 5432, PID: 100},
			{Direction: "outbound", SourceIP: agentIP(1), SourcePort: 40100 + step, DestinationIP: agentIP(2), DestinationPort: 8080, PID: 100},
			{Direction: "outbound", SourceIP: agentIP(1), SourcePort: 41000, DestinationIP: "10.9.9.9", DestinationPort: 53, TransportProtocol: "udp"},
		}
	case 2:
		r.Processes = []agentdata.Process{{PID: 200, Name: "postgres", Path: "/usr/lib/postgresql/bin/postgres", CommandLine: postgresCmd}}
		r.Connections = []agentdata.Connection{
			{Direction: "inbound", SourceIP: agentIP(1), SourcePort: 40000 + step, DestinationIP: agentIP(2), DestinationPort: 5432, PID: 200},
			{Direction: "outbound", SourceIP: agentIP(2), SourcePort: 42000 + step, DestinationIP: agentIP(3), DestinationPort: 6379, PID: 200},
		}
	case 3:
		r.Agent.AgentType, r.Agent.ConnectorID = "VMWARE", "conn-1"
		r.Server.Type = "VMWARE_VM"
		r.Server.VMware = &agentdata.VMware{MoRefID: "vm-3", VMName: "vm three", VCenterID: "vc-1", VCenterName: "vcenter", VMFolderPath: "/dc/vm", HostID: "host-9"}
		r.Connections = []agentdata.Connection{
			{Direction: "inbound", SourceIP: "10.8.8.8", SourcePort: 50000, DestinationIP: agentIP(3), DestinationPort: 22},
		}
	case 4:
		r.Agent.Health = "UNHEALTHY"
		r.Server.OSName = "Windows"
	}
	return r
}

// seedFleet takes the fleet in for account.
func seedFleet(t *testing.T, s agents.Store, account string) {
	t.Helper()
	var first, rest []agentdata.Report
	for n := 1; n <= fleetAgents; n++ {
		for step := range 2 {
			if n != 2 {
				first = append(first, fleetReports(n, step))
			} else {
				rest = append(rest, fleetReports(n, step))
			}
		}
	}
	intake(t, s, account, first...)
	intake(t, s, account, rest...)
}

// processOf is the configuration ID of a fleet process.
func processOf(account string, n int) string {
	r := fleetReports(n, 0)
	p := r.Processes[0]
	return discovery.ProcessID(account, serverOf(account, n), p.Name, p.Path, p.CommandLine)
}

// appID is the suite's n-th application ID.
func appID(n int) string { return fmt.Sprintf("%s%017x", discovery.ApplicationPrefix, n) }

// newApp creates an application at t0 without a count check.
func newApp(t *testing.T, s applications.Store, account, id, name string) *discovery.Application {
	t.Helper()
	a := &discovery.Application{ID: id, Name: name, Description: "about " + name, Wave: "wave-1", Created: t0, Updated: t0}
	must(t, s.CreateApplication(ctx(t), account, a, func(int) error { return nil }))
	return a
}

func allowMembership(discovery.ApplicationMembership) error { return nil }

// addTags tags items, allowing everything.
func addTags(t *testing.T, s tags.Store, account string, ids []string, ts ...discovery.Tag) {
	t.Helper()
	must(t, s.CreateTags(ctx(t), account, ids, ts, t0.UnixMilli(), func([]string, map[string]int) error { return nil }))
}

// exportTask is an IN_PROGRESS summary export of account, requested at
// req and ready then.
func exportTask(account, id string, req time.Time) *discovery.ExportTask {
	return &discovery.ExportTask{AccountID: account, ID: id, Kind: discovery.KindSummary, Operation: "StartExportTask",
		Status: discovery.ExportInProgress, Message: discovery.InProgressMessage, RequestTime: req, ReadyAt: req}
}

// agentExport is an IN_PROGRESS agent export of account.
func agentExport(account, id, agent string, req time.Time) *discovery.ExportTask {
	e := exportTask(account, id, req)
	e.Kind, e.AgentID = discovery.KindAgent, agent
	return e
}

// create stores e with no admission check.
func create(t *testing.T, s exports.Store, e *discovery.ExportTask) {
	t.Helper()
	if r, err := s.CreateExportTask(ctx(t), e, discovery.ExportAdmission{}); err != nil || r != nil {
		t.Fatalf("create export %s: refusal %+v, %v", e.ID, r, err)
	}
}

// populated names what populate wrote.
type populated struct {
	control, app, continuous, importDone, importRunning, batchDelete string
	exports                                                          []string
}

// populate writes some of every kind of state for account: a home region
// control, the fleet, an application with two servers, tags, two export
// tasks (never ready), a running continuous export, a finished import that
// created a server, a running import and a pending batch delete.
func populate(t *testing.T, s Store, account string) populated {
	t.Helper()
	c := ctx(t)
	p := populated{control: "hrc-" + account, app: appID(1), continuous: "cx-" + account,
		importDone: "imp-done", importRunning: "imp-running", batchDelete: "bd-1",
		exports: []string{"export-summary-" + account, "export-agent-" + account}}
	must(t, s.EnsureAccount(c, account, t0, &discovery.HomeRegionControl{ID: p.control, AccountID: account, HomeRegion: "us-west-2", RequestedTime: t0}))
	seedFleet(t, s, account)
	newApp(t, s, account, p.app, "shop")
	must(t, s.AssociateServers(c, account, p.app, []string{serverOf(account, 1), serverOf(account, 2)}, t0, allowMembership))
	addTags(t, s, account, []string{serverOf(account, 1), p.app}, discovery.Tag{Key: "env", Value: "prod"})
	never := t0.Add(1000 * time.Hour)
	for i, id := range p.exports {
		e := exportTask(account, id, t0.Add(time.Duration(i)*time.Minute))
		if i == 1 {
			e = agentExport(account, id, agentID(1), t0.Add(time.Minute))
		}
		e.ReadyAt = never
		create(t, s, e)
	}
	if running, err := s.StartContinuousExport(c, &discovery.ContinuousExport{AccountID: account, ID: p.continuous, S3Bucket: "bucket-" + account, Start: t0}); err != nil || running != nil {
		t.Fatalf("start continuous export: %v, %v", running, err)
	}
	for _, id := range []string{p.importDone, p.importRunning} {
		if _, created, err := s.CreateImportTask(c, &discovery.ImportTask{AccountID: account, ID: id, ClientToken: "tok-" + id, Name: id,
			URL: "s3://b/" + id + ".csv", Status: discovery.ImportInProgress, RequestMS: t0.UnixMilli()}); err != nil || !created {
			t.Fatalf("create import task %s: %v, %v", id, created, err)
		}
	}
	ok(importRow(t, s, account, p.importDone, &discovery.ImportRow{ExternalID: "ext-1", HostName: "imported-1", IPs: []string{"192.168.1.1"},
		MACs: []string{"02:aa:00:00:00:01"}, Applications: []string{"crm"}, Tags: [][2]string{{"src", "import"}}}, t0))(t)
	finishImport(t, s, &discovery.ImportTask{AccountID: account, ID: p.importDone, Status: discovery.ImportComplete,
		CompletionMS: t0.Add(time.Minute).UnixMilli(), ServerSuccess: 1, AppSuccess: 1})
	must(t, s.InsertBatchDeleteTask(c, &discovery.BatchDeleteTask{ID: p.batchDelete, AccountID: account, ConfigurationType: "SERVER",
		Status: discovery.BatchDeleteInitializing, Start: t0, Requested: []string{discovery.ServerPrefix + "00000000000000000"}}))
	return p
}

// view lists, one line per record, everything account's reads show: the
// lists of every kind of record, the summary counts, the control, the
// records populate wrote by ID with their jobs, and the rows of export
// files.
func view(t *testing.T, s Store, account string, p populated) []string {
	t.Helper()
	c := ctx(t)
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	if hrc, err := s.HomeRegionControl(c, account); err == nil {
		add("control %s %s %s", hrc.ID, hrc.HomeRegion, hrc.RequestedTime.Format(time.RFC3339Nano))
	}
	for _, a := range ok(s.FindAgents(c, discovery.AgentQuery{AccountID: account, Limit: 1000}))(t) {
		add("agent %s %s %s %s %s", a.ID, a.HostName, a.Health, a.CollectionStatus, a.LastData.Format(time.RFC3339Nano))
	}
	for _, typ := range discovery.ItemTypes() {
		for _, it := range ok(s.ListItems(c, discovery.ItemQuery{Account: account, Type: typ}))(t) {
			add("item %s %s", typ, it.Cursor.ID)
		}
	}
	for _, tg := range ok(s.FindTags(c, discovery.TagQuery{Account: account}))(t) {
		add("tag %s %s=%s", tg.ConfigurationID, tg.Key, tg.Value)
	}
	for _, e := range ok(s.FindExportTasks(c, discovery.ExportQuery{AccountID: account, Limit: 1000}))(t) {
		add("export %s %s %s", e.ID, e.Kind, e.Status)
	}
	for _, e := range ok(s.ContinuousExports(c, discovery.ContinuousExportQuery{AccountID: account}))(t) {
		add("continuous %s %s stopped=%v", e.ID, e.S3Bucket, !e.Stop.IsZero())
	}
	if e := ok(s.RunningContinuousExport(c, account))(t); e != nil {
		add("running continuous %s", e.ID)
	}
	for _, it := range ok(s.FindImportTasks(c, discovery.ImportTaskQuery{Account: account, Limit: 1000}))(t) {
		add("import %s %s", it.ID, it.Status)
	}
	add("import records %d", ok(s.CountImportRecords(c, account))(t))
	sum := ok(s.Summary(c, account))(t)
	add("summary servers=%d apps=%d inApps=%d tagged=%d", sum.Servers, sum.Applications, sum.ServersInApplications, sum.ServersWithTags)
	for _, a := range sorted(sum.Agents, func(a discovery.AgentCount) string { return a.Type + a.Health + a.CollectionStatus }) {
		add("agents %s %s %s %d", a.Type, a.Health, a.CollectionStatus, a.Count)
	}
	for _, id := range p.exports {
		if e, err := s.GetExportTask(c, account, id); err == nil {
			add("get export %s", e.ID)
		}
	}
	if b, err := s.BatchDeleteTask(c, account, p.batchDelete); err == nil {
		add("batch delete %s %s", b.ID, b.Status)
	}
	if it, err := s.ImportTaskByToken(c, account, "tok-"+p.importDone); err == nil {
		add("import by token %s", it.ID)
	}
	for _, j := range []struct {
		kind discovery.JobKind
		refs []string
	}{
		{discovery.JobExport, p.exports}, {discovery.JobImport, []string{p.importDone, p.importRunning}},
		{discovery.JobBatchDelete, []string{p.batchDelete}}, {discovery.JobContinuousStart, []string{p.continuous}},
		{discovery.JobContinuousStop, []string{p.continuous}},
	} {
		for _, ref := range j.refs {
			if job, err := s.Job(c, j.kind, account, ref); err == nil {
				add("job %s %s due %s attempts %d owner %q", job.Kind, job.Ref, job.RunAt.Format(time.RFC3339Nano), job.Attempts, job.Owner)
			}
		}
	}
	for n := 1; n <= fleetAgents; n++ {
		if a, err := s.GetAgent(c, account, agentID(n)); err == nil {
			add("get agent %s", a.ID)
		}
	}
	add("rows %s", strings.Join(rowCounts(t, s, account), " "))
	return out
}

// rowCounts counts the rows of every export file source for account (the
// agent series of agents 1 and 2, over all time).
func rowCounts(t *testing.T, s Store, account string) []string {
	t.Helper()
	c := ctx(t)
	from, to := time.Unix(0, 0), t0.Add(1000*time.Hour)
	a1, a2 := agentID(1), agentID(2)
	return []string{
		countRows(t, "perf", func(fn func(*discovery.PerfSample) error) error {
			return s.AgentPerfSamples(c, account, a1, from, to, fn)
		}),
		countRows(t, "os", func(fn func(*discovery.OSInfo) error) error { return s.AgentOSInfo(c, account, a1, from, to, fn) }),
		countRows(t, "nics", func(fn func(*discovery.NICSample) error) error { return s.AgentNICs(c, account, a1, from, to, fn) }),
		countRows(t, "procs", func(fn func(*discovery.ProcessSample) error) error {
			return s.AgentProcesses(c, account, a1, from, to, fn)
		}),
		countRows(t, "out", func(fn func(*discovery.ConnectionSample) error) error {
			return s.AgentConnections(c, account, a1, discovery.Outbound, from, to, fn)
		}),
		countRows(t, "in", func(fn func(*discovery.ConnectionSample) error) error {
			return s.AgentConnections(c, account, a2, discovery.Inbound, from, to, fn)
		}),
		countRows(t, "apps", func(fn func(*discovery.Application) error) error { return s.ExportApplications(c, account, fn) }),
		countRows(t, "appServers", func(fn func(*discovery.ApplicationServer) error) error {
			return s.ExportApplicationServers(c, account, fn)
		}),
		countRows(t, "servers", func(fn func(*discovery.Server) error) error { return s.ExportServerRows(c, account, fn) }),
		countRows(t, "perfServers", func(fn func(*discovery.Server) error) error { return s.ExportServerPerformance(c, account, fn) }),
		countRows(t, "vmware", func(fn func(*discovery.Server) error) error { return s.ExportVMwareServers(c, account, fn) }),
		countRows(t, "ec2", func(fn func(*discovery.EC2Server) error) error { return s.EC2Servers(c, account, fn) }),
		countRows(t, "serverNICs", func(fn func(*discovery.ServerNIC) error) error { return s.ExportServerNICs(c, account, fn) }),
		countRows(t, "serverTags", func(fn func(*discovery.ServerTag) error) error { return s.ExportServerTags(c, account, fn) }),
		countRows(t, "template", func(fn func(*discovery.ImportTemplateRow) error) error {
			return s.ExportImportTemplateRows(c, account, fn)
		}),
	}
}

// countRows counts the rows read streams, as "name=count".
func countRows[T any](t *testing.T, name string, read func(fn func(T) error) error) string {
	t.Helper()
	n := 0
	must(t, read(func(T) error { n++; return nil }))
	return fmt.Sprintf("%s=%d", name, n)
}

// collectRows returns copies of the rows read streams (a store refills one
// struct per row).
func collectRows[T any](t *testing.T, read func(fn func(*T) error) error) []T {
	t.Helper()
	var out []T
	must(t, read(func(r *T) error { out = append(out, *r); return nil }))
	return out
}

// emptyView is the view of an account without state.
var emptyView = []string{
	"import records 0",
	"summary servers=0 apps=0 inApps=0 tagged=0",
	"rows perf=0 os=0 nics=0 procs=0 out=0 in=0 apps=0 appServers=0 servers=0 perfServers=0 vmware=0 ec2=0 serverNICs=0 serverTags=0 template=0",
}

// sameLines fails the test unless got and want hold the same lines.
func sameLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s:\n  got  %s\n  want %s", what, strings.Join(got, "\n       "), strings.Join(want, "\n       "))
	}
}

// sorted returns a copy of v sorted by key.
func sorted[T any](v []T, key func(T) string) []T {
	out := slices.Clone(v)
	slices.SortFunc(out, func(a, b T) int { return strings.Compare(key(a), key(b)) })
	return out
}

// near reports whether a and b are equal but for rounding.
func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }
