package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/agentdata"
	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/exportfile"
)

const rowsAcct = "123456789012"

func erOpen(t *testing.T) *DB {
	t.Helper()
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func erExec(t *testing.T, db *DB, q string, args ...any) {
	t.Helper()
	if _, err := db.db.ExecContext(t.Context(), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

var rowsT0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func erAt(min int) int64 { return rowsT0.Add(time.Duration(min) * time.Minute).UnixMilli() }

func erInsertServer(t *testing.T, db *DB, account, id, host string, extra string, args ...any) {
	t.Helper()
	cols, vals := "account_id, server_id, host_name, created_ms, updated_ms", "?, ?, ?, ?, ?"
	all := []any{account, id, host, erAt(0), erAt(5)}
	if extra != "" {
		for c := range strings.SplitSeq(extra, ",") {
			cols += ", " + strings.TrimSpace(c)
			vals += ", ?"
		}
		all = append(all, args...)
	}
	erExec(t, db, fmt.Sprintf(`INSERT INTO servers (%s) VALUES (%s)`, cols, vals), all...)
}

func TestSummaryRows(t *testing.T) {
	db := erOpen(t)
	ctx := t.Context()
	erInsertServer(t, db, rowsAcct, "d-server-02", "db-1", "agent_id, os_name, num_cpus, total_ram_mb, perf_samples, cpu_sum, cpu_max, free_ram_sum, free_ram_min",
		"o-2", "Linux", 2, 2048.0, 2, 30.0, 20.0, 1000.0, 400.0)
	erInsertServer(t, db, rowsAcct, "d-server-01", "web-1", "agent_id, vm_moref_id, vcenter_id, vm_name, server_type", "o-1", "vm-1", "vc-1", "web-vm", "VMWARE_VM")
	erInsertServer(t, db, rowsAcct, "d-server-03", "imported", "source", "Import")
	erInsertServer(t, db, "999999999999", "d-server-00", "foreign", "")
	erExec(t, db, `INSERT INTO network_interfaces VALUES (?,?,?,?,?,?,?,?)`, rowsAcct, "d-server-01", "eth1", "10.0.1.1", "02:00:00:00:00:02", "", "IPv4", "")
	erExec(t, db, `INSERT INTO network_interfaces VALUES (?,?,?,?,?,?,?,?)`, rowsAcct, "d-server-01", "eth0", "10.0.0.1", "02:00:00:00:00:01", "255.255.255.0", "IPv4", "10.0.0.254")
	erExec(t, db, `INSERT INTO network_interfaces VALUES (?,?,?,?,?,?,?,?)`, rowsAcct, "d-server-01", "eth0", "10.0.0.2", "02:00:00:00:00:01", "255.255.255.0", "IPv4", "10.0.0.254")
	erExec(t, db, `INSERT INTO network_interfaces VALUES (?,?,?,?,?,?,?,?)`, "999999999999", "d-server-00", "eth0", "10.9.9.9", "", "", "IPv4", "")
	erExec(t, db, `INSERT INTO applications VALUES (?,?,?,?,?,?,?)`, rowsAcct, "d-application-b", "crm", "", "", erAt(1), erAt(2))
	erExec(t, db, `INSERT INTO applications VALUES (?,?,?,?,?,?,?)`, rowsAcct, "d-application-a", "shop", "web shop, v2", "3", erAt(1), erAt(3))
	erExec(t, db, `INSERT INTO applications VALUES (?,?,?,?,?,?,?)`, "999999999999", "d-application-z", "foreign", "", "", erAt(1), erAt(3))
	for _, l := range [][2]string{{"d-application-a", "d-server-01"}, {"d-application-a", "d-server-02"}, {"d-application-b", "d-server-01"}} {
		erExec(t, db, `INSERT INTO application_servers VALUES (?,?,?)`, rowsAcct, l[0], l[1])
	}
	erExec(t, db, `INSERT INTO tags VALUES (?,?,?,?,?)`, rowsAcct, "d-server-01", "zone", "1", erAt(4))
	erExec(t, db, `INSERT INTO tags VALUES (?,?,?,?,?)`, rowsAcct, "d-server-01", "env", "prod", erAt(4))
	erExec(t, db, `INSERT INTO tags VALUES (?,?,?,?,?)`, rowsAcct, "d-application-a", "team", "x", erAt(4)) // not a server tag
	erExec(t, db, `INSERT INTO tags VALUES (?,?,?,?,?)`, "999999999999", "d-server-00", "k", "v", erAt(4))

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
		return db.ExportServers(ctx, rowsAcct, func(r *discovery.Server) error { emit(exportfile.ServerRecord(r, nil)); return nil })
	}),
		"d-server-01|o-1|web-1|||||VMWARE_VM|2026-03-01 12:00:00.0",
		"d-server-02|o-2|db-1|Linux||||OTHER|2026-03-01 12:00:00.0",
		"d-server-03||imported|||||OTHER|2026-03-01 12:00:00.0")
	check("SystemPerformance", collect(func(emit func([]string)) error {
		return db.ExportServers(ctx, rowsAcct, func(r *discovery.Server) error {
			if r.ID == "d-server-02" {
				emit(exportfile.PerformanceRecord(r, nil))
			}
			return nil
		})
	}),
		"d-server-02|db-1|15.0|20.0|0.0|0.0|0.0|0.0|0.0|0.0|0.0|0.0|0.0|0.0|0.0|0.0|512000.0|409600.0|2097152.0|2|||")
	check("VMware", collect(func(emit func([]string)) error {
		return db.ExportServers(ctx, rowsAcct, func(r *discovery.Server) error {
			if r.IsVMware() {
				emit(exportfile.VMwareRecord(r, nil))
			}
			return nil
		})
	}), "d-server-01|web-1|vm-1|web-vm|vc-1|||")

	// The narrow per-file streams give the same cells as ExportServers.
	wide := func(record func(*discovery.Server) []string, vmwareOnly bool) []string {
		return collect(func(emit func([]string)) error {
			return db.ExportServers(ctx, rowsAcct, func(r *discovery.Server) error {
				if !vmwareOnly || r.IsVMware() {
					emit(record(r))
				}
				return nil
			})
		})
	}
	serverRec := func(r *discovery.Server) []string { return exportfile.ServerRecord(r, nil) }
	perfRec := func(r *discovery.Server) []string { return exportfile.PerformanceRecord(r, nil) }
	vmwareRec := func(r *discovery.Server) []string { return exportfile.VMwareRecord(r, nil) }
	check("Server (narrow)", collect(func(emit func([]string)) error {
		return db.ExportServerRows(ctx, rowsAcct, func(r *discovery.Server) error { emit(serverRec(r)); return nil })
	}), wide(serverRec, false)...)
	check("SystemPerformance (narrow)", collect(func(emit func([]string)) error {
		return db.ExportServerPerformance(ctx, rowsAcct, func(r *discovery.Server) error { emit(perfRec(r)); return nil })
	}), wide(perfRec, false)...)
	check("VMware (narrow)", collect(func(emit func([]string)) error {
		return db.ExportVMwareServers(ctx, rowsAcct, func(r *discovery.Server) error { emit(vmwareRec(r)); return nil })
	}), wide(vmwareRec, true)...)
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

const exportServerCols = `s.server_id, s.agent_id, s.source, s.host_name, s.os_name, s.os_version, s.cpu_type, s.hypervisor, s.server_type,
	s.num_cpus, s.num_cores, s.num_logical, s.num_disks, s.num_nics, s.total_ram_mb, s.total_disk_gb,
	s.vm_moref_id, s.vm_name, s.vcenter_id, s.vcenter_name, s.vm_folder_path, s.vm_host_id, s.created_ms, s.updated_ms,
	s.perf_samples, s.cpu_sum, s.cpu_max, s.free_ram_sum, s.free_ram_min,
	s.disk_read_kbps_sum, s.disk_read_kbps_max, s.disk_write_kbps_sum, s.disk_write_kbps_max,
	s.disk_read_ops_sum, s.disk_read_ops_max, s.disk_write_ops_sum, s.disk_write_ops_max,
	s.net_read_kbps_sum, s.net_read_kbps_max, s.net_write_kbps_sum, s.net_write_kbps_max`

// exportServerScanner scans exportServerCols into one reused Server.
type exportServerScanner struct {
	created, updated int64
	freeRAMMin       sql.NullFloat64
}

func (sc *exportServerScanner) dest(r *discovery.Server) []any {
	p := &r.Perf
	return []any{&r.ID, &r.AgentID, &r.Source, &r.HostName, &r.OSName, &r.OSVersion, &r.CPUType, &r.Hypervisor, &r.Type,
		&r.NumCPUs, &r.NumCores, &r.NumLogical, &r.NumDisks, &r.NumNICs, &r.TotalRAMMB, &r.TotalDiskGB,
		&r.VMMoRefID, &r.VMName, &r.VCenterID, &r.VCenterName, &r.VMFolderPath, &r.VMHostID, &sc.created, &sc.updated,
		&p.Samples, &p.CPUSum, &p.CPUMax, &p.FreeRAMSum, &sc.freeRAMMin,
		&p.DiskReadKBpsSum, &p.DiskReadKBpsMax, &p.DiskWriteKBpsSum, &p.DiskWriteKBpsMax,
		&p.DiskReadOpsSum, &p.DiskReadOpsMax, &p.DiskWriteOpsSum, &p.DiskWriteOpsMax,
		&p.NetReadKBpsSum, &p.NetReadKBpsMax, &p.NetWriteKBpsSum, &p.NetWriteKBpsMax}
}

func (sc *exportServerScanner) finish(r *discovery.Server) {
	r.Created, r.Updated = fromMs(sc.created), fromMs(sc.updated)
	r.Perf.FreeRAMMin, r.Perf.FreeRAMMinKnown = sc.freeRAMMin.Float64, sc.freeRAMMin.Valid
}

// ExportServers streams the account's servers with every field filled, by
// configuration ID: the reference the narrow per-file streams the worker
// reads (ExportServerRows, ExportServerPerformance, ExportVMwareServers)
// are checked against.
func (s *DB) ExportServers(ctx context.Context, account string, fn func(*discovery.Server) error) error {
	var (
		r  discovery.Server
		sc exportServerScanner
	)
	dest := sc.dest(&r)
	return eachRow(ctx, s.db, `SELECT `+exportServerCols+` FROM servers s WHERE s.account_id = ? ORDER BY s.server_id`,
		[]any{account}, func(rows *sql.Rows) error {
			if err := rows.Scan(dest...); err != nil {
				return err
			}
			sc.finish(&r)
			return fn(&r)
		})
}

// AgentNICs decodes the interface lists intake writes itself and leaves
// any other list to SQLite's JSON functions: either way its rows are those
// that SQLite's json_each gives over the whole window.
func TestAgentNICsLists(t *testing.T) {
	db := erOpen(t)
	ctx := t.Context()
	lists := []string{
		`[{"name":"eth0","macAddress":"02:00:00:00:00:01","ipAddress":"10.0.0.1","netMask":"255.255.255.0","family":"IPv4","gateway":"10.0.0.254"},{"name":"eth1","ipAddress":"fe80::1"}]`,
		`[]`,
		`null`,
		`[{"name":"\u003c\u0026\u003e","ipAddress":"é"}]`, // as intake escapes
		`[{"name":"<&>","ipAddress":"é"}]`,
		`[{"name":"a","ipAddress":"x","gateway":5,"netMask":1.50}]`,
		`{"b":{"name":"second","ipAddress":""},"a":{"name":"first","ipAddress":""}}`,
		`[1,"x",{"NAME":"upper","name":"lower","ipAddress":"","extra":true},{"name":"dup","name":"dup2","ipAddress":""}]`,
		`not json`,
		`[{"name":"eth0","ipAddress":"10.0.0.1"}`,
	}
	// The first four are as intake writes them, read without SQLite's JSON.
	for _, l := range lists[:4] {
		var list []agentdata.NetworkInterface
		if err := json.Unmarshal([]byte(l), &list); err != nil {
			t.Fatal(err)
		}
		if again, _ := json.Marshal(list); string(again) != l {
			t.Fatalf("%s is not as intake writes it: %s", l, again)
		}
	}
	for i, l := range lists {
		erExec(t, db, `INSERT INTO system_observations (account_id, agent_id, ts_ms, nics) VALUES (?, 'o-1', ?, ?)`, rowsAcct, erAt(i), l)
	}
	var got []string
	if err := db.AgentNICs(ctx, rowsAcct, "o-1", rowsT0, rowsT0.Add(time.Hour), func(r *discovery.NICSample) error {
		got = append(got, strings.Join(exportfile.NICSampleRecord(rowsAcct, r, nil), ","))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var want []string
	if err := eachRow(ctx, db.db, `SELECT o.ts_ms, coalesce(j.value ->> 'name', ''), coalesce(j.value ->> 'macAddress', ''),
			coalesce(j.value ->> 'family', ''), coalesce(j.value ->> 'ipAddress', ''), coalesce(j.value ->> 'gateway', ''),
			coalesce(j.value ->> 'netMask', '')
		FROM system_observations o, json_each(CASE WHEN json_valid(o.nics) THEN o.nics ELSE '[]' END) j
		WHERE o.account_id = ? AND o.agent_id = 'o-1' AND j.type = 'object'
		ORDER BY o.ts_ms, j.key`, []any{rowsAcct}, func(rows *sql.Rows) error {
		r := discovery.NICSample{AgentID: "o-1"}
		var ts int64
		if err := rows.Scan(&ts, &r.Name, &r.MACAddress, &r.Family, &r.IPAddress, &r.Gateway, &r.NetMask); err != nil {
			return err
		}
		r.Time = fromMs(ts)
		want = append(want, strings.Join(exportfile.NICSampleRecord(rowsAcct, &r, nil), ","))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(want) != 9 || !slices.Equal(got, want) {
		t.Errorf("networkInterface rows:\n%s\nwant (json_each, 9 rows)\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
