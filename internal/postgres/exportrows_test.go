package postgres

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/exportfile"
)

var rowsT0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// The export row tests of internal/sqlite, on this store.

const rowsAcct = "123456789012"

func erAt(min int) int64 { return rowsT0.Add(time.Duration(min) * time.Minute).UnixMilli() }

func TestAgentSeriesRows(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	// Agent o-1 reports at 0, 15, 30 and 45 minutes; another agent and
	// another account report at the same times.
	for _, who := range [][2]string{{rowsAcct, "o-1"}, {rowsAcct, "o-2"}, {"999999999999", "o-1"}} {
		for i, m := range []int{0, 15, 30, 45} {
			exec(t, db, `INSERT INTO perf_samples VALUES ($1,$2,$3, 1.5,2,3,4,5,6, 8,4,1,2,1, $4, 100,40, 4096,$5)`, who[0], who[1], erAt(m), float64(10*i), float64(1000+i))
			exec(t, db, `INSERT INTO system_observations VALUES ($1,$2,$3, 'Linux','5.10','x86_64',$4,'kvm',$5)`, who[0], who[1], erAt(m), "host-"+who[1],
				`[{"name":"eth0","macAddress":"02:00:00:00:00:01","ipAddress":"10.0.0.1","netMask":"255.255.255.0","gateway":"10.0.0.254"},{"name":"eth1","ipAddress":"fe80::1","family":"IPv6"}]`)
			// Processes inserted out of sequence order.
			exec(t, db, `INSERT INTO process_observations VALUES ($1,$2,$3,1, 200,false,'nginx','nginx -g daemon','/usr/sbin/nginx')`, who[0], who[1], erAt(m))
			exec(t, db, `INSERT INTO process_observations VALUES ($1,$2,$3,0, 1,true,'systemd','','/sbin/init')`, who[0], who[1], erAt(m))
			exec(t, db, `INSERT INTO connection_observations VALUES ($1,$2,$3,0,'outbound','10.0.0.1',50000,'10.0.0.2',5432,'IPv4','tcp',200)`, who[0], who[1], erAt(m))
			exec(t, db, `INSERT INTO connection_observations VALUES ($1,$2,$3,1,'inbound','10.0.0.9',40000,'10.0.0.1',443,'IPv4','tcp',0)`, who[0], who[1], erAt(m))
			exec(t, db, `INSERT INTO connection_observations VALUES ($1,$2,$3,2,'outbound','10.0.0.1',50001,'10.0.0.3',53,'IPv4','udp',0)`, who[0], who[1], erAt(m))
		}
	}
	from, to := rowsT0.Add(15*time.Minute), rowsT0.Add(30*time.Minute)

	var perf []string
	if err := db.AgentPerfSamples(ctx, rowsAcct, "o-1", from, to, func(r *discovery.PerfSample) error {
		perf = append(perf, strings.Join(exportfile.PerfSampleRecord(rowsAcct, r, nil), ","))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"123456789012,o-1,1.5,2.0,3.0,4.0,5.0,6.0,8,4,1,2,1,10.0,100.0,40.0,4096.0,1001.0,2026-03-01 12:15:00",
		"123456789012,o-1,1.5,2.0,3.0,4.0,5.0,6.0,8,4,1,2,1,20.0,100.0,40.0,4096.0,1002.0,2026-03-01 12:30:00",
	}
	if !slices.Equal(perf, want) {
		t.Errorf("perf rows:\n%s\nwant\n%s", strings.Join(perf, "\n"), strings.Join(want, "\n"))
	}

	var os []string
	if err := db.AgentOSInfo(ctx, rowsAcct, "o-1", from, to, func(r *discovery.OSInfo) error {
		os = append(os, strings.Join(exportfile.OSInfoRecord(rowsAcct, r, nil), ","))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if want := []string{
		"123456789012,o-1,Linux,5.10,x86_64,host-o-1,kvm,2026-03-01 12:15:00",
		"123456789012,o-1,Linux,5.10,x86_64,host-o-1,kvm,2026-03-01 12:30:00",
	}; !slices.Equal(os, want) {
		t.Errorf("osInfo rows: %q", os)
	}

	var nics []string
	if err := db.AgentNICs(ctx, rowsAcct, "o-1", from, to, func(r *discovery.NICSample) error {
		nics = append(nics, strings.Join(exportfile.NICSampleRecord(rowsAcct, r, nil), ","))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if want := []string{
		"123456789012,o-1,eth0,02:00:00:00:00:01,IPv4,10.0.0.1,10.0.0.254,255.255.255.0,2026-03-01 12:15:00",
		"123456789012,o-1,eth1,,IPv6,fe80::1,,,2026-03-01 12:15:00",
		"123456789012,o-1,eth0,02:00:00:00:00:01,IPv4,10.0.0.1,10.0.0.254,255.255.255.0,2026-03-01 12:30:00",
		"123456789012,o-1,eth1,,IPv6,fe80::1,,,2026-03-01 12:30:00",
	}; !slices.Equal(nics, want) {
		t.Errorf("networkInterface rows:\n%s", strings.Join(nics, "\n"))
	}

	var procs []string
	if err := db.AgentProcesses(ctx, rowsAcct, "o-1", from, from, func(r *discovery.ProcessSample) error {
		procs = append(procs, strings.Join(exportfile.ProcessSampleRecord(rowsAcct, r, nil), ","))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if want := []string{
		"123456789012,o-1,1,true,systemd,,/sbin/init,03/01/2026 12:15:00 PM",
		"123456789012,o-1,200,false,nginx,nginx -g daemon,/usr/sbin/nginx,03/01/2026 12:15:00 PM",
	}; !slices.Equal(procs, want) {
		t.Errorf("process rows (one instant window):\n%s", strings.Join(procs, "\n"))
	}

	conns := func(dir string) []string {
		var out []string
		if err := db.AgentConnections(ctx, rowsAcct, "o-1", dir, from, from, func(r *discovery.ConnectionSample) error {
			out = append(out, strings.Join(exportfile.ConnectionSampleRecord(rowsAcct, r, nil), ","))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	if got, want := conns(discovery.Outbound), []string{
		"123456789012,o-1,10.0.0.1,50000,10.0.0.2,5432,IPv4,tcp,200,2026-03-01 12:15:00",
		"123456789012,o-1,10.0.0.1,50001,10.0.0.3,53,IPv4,udp,,2026-03-01 12:15:00",
	}; !slices.Equal(got, want) {
		t.Errorf("outbound rows:\n%s", strings.Join(got, "\n"))
	}
	if got, want := conns(discovery.Inbound), []string{
		"123456789012,o-1,10.0.0.9,40000,10.0.0.1,443,IPv4,tcp,,2026-03-01 12:15:00",
	}; !slices.Equal(got, want) {
		t.Errorf("inbound rows:\n%s", strings.Join(got, "\n"))
	}
	if err := db.AgentConnections(ctx, rowsAcct, "o-1", "sideways", from, to, nil); err == nil {
		t.Error("an unknown direction was accepted")
	}
}

// Window bounds are inclusive at millisecond precision; a sub-millisecond
// start rounds up, a sub-millisecond end rounds down.
func TestAgentSeriesWindowEdges(t *testing.T) {
	db := openTest(t)
	for _, m := range []int{0, 15, 30} {
		exec(t, db, `INSERT INTO perf_samples VALUES ($1,$2,$3, 0,0,0,0,0,0, 1,1,1,1,1, 0, 1,1, 1,1)`, rowsAcct, "o-1", erAt(m))
	}
	count := func(from, to time.Time) int {
		n := 0
		if err := db.AgentPerfSamples(t.Context(), rowsAcct, "o-1", from, to, func(*discovery.PerfSample) error { n++; return nil }); err != nil {
			t.Fatal(err)
		}
		return n
	}
	t15 := rowsT0.Add(15 * time.Minute)
	for _, tc := range []struct {
		name     string
		from, to time.Time
		want     int
	}{
		{"all", rowsT0, rowsT0.Add(30 * time.Minute), 3},
		{"instant", t15, t15, 1},
		{"start just after", t15.Add(time.Millisecond), rowsT0.Add(30 * time.Minute), 1},
		{"start a nanosecond after", t15.Add(time.Nanosecond), rowsT0.Add(30 * time.Minute), 1},
		{"end just before", rowsT0, t15.Add(-time.Millisecond), 1},
		{"end a nanosecond after", rowsT0, t15.Add(time.Nanosecond), 2},
		{"empty", rowsT0.Add(time.Minute), rowsT0.Add(14 * time.Minute), 0},
		{"reversed", rowsT0.Add(30 * time.Minute), rowsT0, 0},
	} {
		if got := count(tc.from, tc.to); got != tc.want {
			t.Errorf("%s: %d rows, want %d", tc.name, got, tc.want)
		}
	}
}

// An error from the callback stops the scan and comes back unchanged, and
// the connection goes back to the pool.
func TestAgentSeriesStopsOnError(t *testing.T) {
	db := openTest(t)
	for _, m := range []int{0, 15, 30} {
		exec(t, db, `INSERT INTO perf_samples VALUES ($1,$2,$3, 0,0,0,0,0,0, 1,1,1,1,1, 0, 1,1, 1,1)`, rowsAcct, "o-1", erAt(m))
	}
	stop := errors.New("stop")
	for range 2 * int(db.pool.Config().MaxConns) {
		n := 0
		err := db.AgentPerfSamples(t.Context(), rowsAcct, "o-1", rowsT0, rowsT0.Add(time.Hour), func(*discovery.PerfSample) error {
			n++
			if n == 2 {
				return stop
			}
			return nil
		})
		if err != stop || n != 2 {
			t.Fatalf("err = %v after %d rows", err, n)
		}
	}
	if _, err := db.GetExportTask(t.Context(), rowsAcct, "nope"); !errors.Is(err, discovery.ErrNotFound) {
		t.Fatal(err)
	}
}

func erInsertServer(t *testing.T, db *DB, account, id, host string, extra string, args ...any) {
	t.Helper()
	cols, vals := "account_id, server_id, host_name, created_ms, updated_ms", "$1, $2, $3, $4, $5"
	all := []any{account, id, host, erAt(0), erAt(5)}
	if extra != "" {
		for c := range strings.SplitSeq(extra, ",") {
			cols += ", " + strings.TrimSpace(c)
			vals += fmt.Sprintf(", $%d", len(all)+1)
			all = append(all, args[len(all)-5])
		}
	}
	exec(t, db, fmt.Sprintf(`INSERT INTO servers (%s) VALUES (%s)`, cols, vals), all...)
}

// summaryFixture is internal/sqlite's fixture of summary exports: three
// servers of the account (one with samples, one VMware, one imported),
// their interfaces, applications and tags, and another account's look-alikes.
func summaryFixture(t *testing.T) *DB {
	db := openTest(t)
	erInsertServer(t, db, rowsAcct, "d-server-02", "db-1", "agent_id, os_name, num_cpus, total_ram_mb, perf_samples, cpu_sum, cpu_max, free_ram_sum, free_ram_min",
		"o-2", "Linux", 2, 2048.0, 2, 30.0, 20.0, 1000.0, 400.0)
	erInsertServer(t, db, rowsAcct, "d-server-01", "web-1", "agent_id, vm_moref_id, vcenter_id, vm_name, server_type", "o-1", "vm-1", "vc-1", "web-vm", "VMWARE_VM")
	erInsertServer(t, db, rowsAcct, "d-server-03", "imported", "source, external_id", "Import", "ext-3")
	erInsertServer(t, db, "999999999999", "d-server-00", "foreign", "")
	nic := `INSERT INTO network_interfaces VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`
	exec(t, db, nic, rowsAcct, "d-server-01", "eth1", "10.0.1.1", "02:00:00:00:00:02", "", "IPv4", "")
	exec(t, db, nic, rowsAcct, "d-server-01", "eth0", "10.0.0.1", "02:00:00:00:00:01", "255.255.255.0", "IPv4", "10.0.0.254")
	exec(t, db, nic, rowsAcct, "d-server-01", "eth0", "10.0.0.2", "02:00:00:00:00:01", "255.255.255.0", "IPv4", "10.0.0.254")
	exec(t, db, nic, "999999999999", "d-server-00", "eth0", "10.9.9.9", "", "", "IPv4", "")
	app := `INSERT INTO applications VALUES ($1,$2,$3,$4,$5,$6,$7)`
	exec(t, db, app, rowsAcct, "d-application-b", "crm", "", "", erAt(1), erAt(2))
	exec(t, db, app, rowsAcct, "d-application-a", "shop", "web shop, v2", "3", erAt(1), erAt(3))
	exec(t, db, app, "999999999999", "d-application-z", "foreign", "", "", erAt(1), erAt(3))
	for _, l := range [][2]string{{"d-application-a", "d-server-01"}, {"d-application-a", "d-server-02"}, {"d-application-b", "d-server-01"}} {
		exec(t, db, `INSERT INTO application_servers VALUES ($1,$2,$3)`, rowsAcct, l[0], l[1])
	}
	tag := `INSERT INTO tags VALUES ($1,$2,$3,$4,$5)`
	exec(t, db, tag, rowsAcct, "d-server-01", "zone", "1", erAt(4))
	exec(t, db, tag, rowsAcct, "d-server-01", "env", "prod", erAt(4))
	exec(t, db, tag, rowsAcct, "d-application-a", "team", "x", erAt(4)) // not a server tag
	exec(t, db, tag, "999999999999", "d-server-00", "k", "v", erAt(4))
	return db
}

func TestSummaryRows(t *testing.T) {
	db := summaryFixture(t)
	ctx := t.Context()
	collect := func(run func(emit func([]string)) error) []string {
		var out []string
		if err := run(func(rec []string) { out = append(out, strings.Join(rec, "|")) }); err != nil {
			t.Fatal(err)
		}
		return out
	}
	check := func(name string, got []string, want ...string) {
		t.Helper()
		if !slices.Equal(got, want) {
			t.Errorf("%s rows:\n%s\nwant\n%s", name, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
	check("Application", collect(func(emit func([]string)) error {
		return db.ExportApplications(ctx, rowsAcct, func(r *discovery.Application) error { emit(exportfile.ApplicationRecord(r, nil)); return nil })
	}),
		"d-application-a|shop|web shop, v2|3|2|2026-03-01 12:01:00.0|2026-03-01 12:03:00.0",
		"d-application-b|crm|||1|2026-03-01 12:01:00.0|2026-03-01 12:02:00.0")
	check("ApplicationResourceAssociation", collect(func(emit func([]string)) error {
		return db.ExportApplicationServers(ctx, rowsAcct, func(r *discovery.ApplicationServer) error {
			emit(exportfile.ApplicationServerRecord(r, nil))
			return nil
		})
	}),
		"d-application-a|shop|d-server-01|web-1", "d-application-a|shop|d-server-02|db-1", "d-application-b|crm|d-server-01|web-1")
	check("Server", collect(func(emit func([]string)) error {
		return db.ExportServerRows(ctx, rowsAcct, func(r *discovery.Server) error { emit(exportfile.ServerRecord(r, nil)); return nil })
	}),
		"d-server-01|o-1|web-1|||||VMWARE_VM|2026-03-01 12:00:00.0",
		"d-server-02|o-2|db-1|Linux||||OTHER|2026-03-01 12:00:00.0",
		"d-server-03||imported|||||OTHER|2026-03-01 12:00:00.0")
	check("SystemPerformance", collect(func(emit func([]string)) error {
		return db.ExportServerPerformance(ctx, rowsAcct, func(r *discovery.Server) error {
			if r.ID == "d-server-02" {
				emit(exportfile.PerformanceRecord(r, nil))
			}
			return nil
		})
	}),
		"d-server-02|db-1|15.0|20.0|0.0|0.0|0.0|0.0|0.0|0.0|0.0|0.0|0.0|0.0|0.0|0.0|512000.0|409600.0|2097152.0|2|||")
	check("VMware", collect(func(emit func([]string)) error {
		return db.ExportVMwareServers(ctx, rowsAcct, func(r *discovery.Server) error { emit(exportfile.VMwareRecord(r, nil)); return nil })
	}), "d-server-01|web-1|vm-1|web-vm|vc-1|||")
	check("NetworkInterface", collect(func(emit func([]string)) error {
		return db.ExportServerNICs(ctx, rowsAcct, func(r *discovery.ServerNIC) error { emit(exportfile.ServerNICRecord(r, nil)); return nil })
	}),
		"d-server-01|web-1|eth0|02:00:00:00:00:01|10.0.0.1|255.255.255.0|IPv4|10.0.0.254",
		"d-server-01|web-1|eth0|02:00:00:00:00:01|10.0.0.2|255.255.255.0|IPv4|10.0.0.254",
		"d-server-01|web-1|eth1|02:00:00:00:00:02|10.0.1.1||IPv4|")
	check("Tags", collect(func(emit func([]string)) error {
		return db.ExportServerTags(ctx, rowsAcct, func(r *discovery.ServerTag) error { emit(exportfile.ServerTagRecord(r, nil)); return nil })
	}),
		"d-server-01|web-1|env|prod|2026-03-01 12:04:00.0", "d-server-01|web-1|zone|1|2026-03-01 12:04:00.0")

	type imp struct {
		id, ips, macs, apps, wave, tags string
	}
	var got []imp
	if err := db.ExportImportTemplateRows(ctx, rowsAcct, func(r *discovery.ImportTemplateRow) error {
		var tags []string
		for _, tg := range r.Tags {
			tags = append(tags, tg.Key+":"+tg.Value)
		}
		got = append(got, imp{r.Server.ID, strings.Join(r.IPAddresses, ","), strings.Join(r.MACAddresses, ","), strings.Join(r.Applications, ","), r.Wave, strings.Join(tags, ",")})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	wantImp := []imp{
		{"d-server-01", "10.0.0.1,10.0.0.2,10.0.1.1", "02:00:00:00:00:01,02:00:00:00:00:02", "shop,crm", "3", "env:prod,zone:1"},
		{"d-server-02", "", "", "shop", "3", ""},
		{"d-server-03", "", "", "", "", ""},
	}
	if !slices.Equal(got, wantImp) {
		t.Errorf("import records:\n%+v\nwant\n%+v", got, wantImp)
	}
}

// EC2Servers gives each server its agent's samples, applications and tags;
// a server without an agent gets no samples, even if an agent ID ” had
// samples.
func TestEC2Servers(t *testing.T) {
	db := summaryFixture(t)
	sample := `INSERT INTO perf_samples VALUES ($1,$2,$3, 0,0,0,0,0,0, 1,1,1,1,1, $4, 1,1, $5,$6)`
	exec(t, db, sample, rowsAcct, "o-2", erAt(0), 10.0, 2048.0, 1024.0)
	exec(t, db, sample, rowsAcct, "o-2", erAt(15), 30.0, 4096.0, 5000.0) // more free than total: used 0
	exec(t, db, sample, rowsAcct, "", erAt(0), 99.0, 1.0, 1.0)
	exec(t, db, sample, "999999999999", "o-2", erAt(0), 77.0, 1.0, 1.0)
	type ec2 struct {
		id, ext      string
		cpu, used    []float64
		total        float64
		apps         []string
		tags         []discovery.Tag
		freeMinKnown bool
	}
	var got []ec2
	if err := db.EC2Servers(t.Context(), rowsAcct, func(r *discovery.EC2Server) error {
		got = append(got, ec2{r.Server.ID, r.ExternalID, slices.Clone(r.CPUPct), slices.Clone(r.UsedRAMMB), r.SampleTotalRAMMB,
			slices.Clone(r.Applications), slices.Clone(r.Tags), r.Server.Perf.FreeRAMMinKnown})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := []ec2{
		{id: "d-server-01", apps: []string{"shop", "crm"}, tags: []discovery.Tag{{Key: "env", Value: "prod"}, {Key: "zone", Value: "1"}}},
		{id: "d-server-02", cpu: []float64{10, 30}, used: []float64{1024, 0}, total: 4096, apps: []string{"shop"}, freeMinKnown: true},
		{id: "d-server-03", ext: "ext-3"},
	}
	norm := func(v []ec2) {
		for i := range v {
			for _, s := range []*[]float64{&v[i].cpu, &v[i].used} {
				if len(*s) == 0 {
					*s = nil
				}
			}
			if len(v[i].apps) == 0 {
				v[i].apps = nil
			}
			if len(v[i].tags) == 0 {
				v[i].tags = nil
			}
		}
	}
	norm(got)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("EC2 servers:\n%+v\nwant\n%+v", got, want)
	}
}

// An account with nothing yields no rows, and no error.
func TestSummaryRowsEmpty(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	n := 0
	for _, err := range []error{
		db.ExportApplications(ctx, rowsAcct, func(*discovery.Application) error { n++; return nil }),
		db.ExportApplicationServers(ctx, rowsAcct, func(*discovery.ApplicationServer) error { n++; return nil }),
		db.ExportServerNICs(ctx, rowsAcct, func(*discovery.ServerNIC) error { n++; return nil }),
		db.ExportServerTags(ctx, rowsAcct, func(*discovery.ServerTag) error { n++; return nil }),
		db.ExportImportTemplateRows(ctx, rowsAcct, func(*discovery.ImportTemplateRow) error { n++; return nil }),
		db.ExportServerRows(ctx, rowsAcct, func(*discovery.Server) error { n++; return nil }),
		db.ExportServerPerformance(ctx, rowsAcct, func(*discovery.Server) error { n++; return nil }),
		db.ExportVMwareServers(ctx, rowsAcct, func(*discovery.Server) error { n++; return nil }),
		db.EC2Servers(ctx, rowsAcct, func(*discovery.EC2Server) error { n++; return nil }),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n != 0 {
		t.Fatalf("%d rows from an empty account", n)
	}
}
