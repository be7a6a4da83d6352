package worker_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/exportfile"
)

// ec2Prefs: On-Demand in us-west-2, CPU p50 +20 %, RAM MAX, no T2/T3/T3a.
var ec2Prefs = &discovery.EC2Preferences{CPU: discovery.MetricBasis{Name: "p50", Adjust: 20}, RAM: discovery.MetricBasis{Name: "MAX"},
	Tenancy: discovery.TenancyShared, Excluded: []string{"t2", "t3", "t3a"}, PreferredRegion: "us-west-2", PurchasingOption: discovery.PurchaseOnDemand}

// An EC2 export is one root member, EC2InstanceRecommendations.csv, with one
// row per server of the account by configuration ID: the server's inventory,
// the type picked for its samples (or its aggregate, or its specification)
// as the cheapest fitting On-Demand type for its OS in the preferred Region,
// and that type's price.
func TestEC2ExportContents(t *testing.T) {
	f := newFixture(t)
	db := f.raw(t)
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	// With samples: 4 vCPUs, 8 GiB; CPU 10, 20, 30, 80 %; used RAM 1000..4000 MB.
	exec(`INSERT INTO servers (account_id, server_id, agent_id, host_name, os_name, os_version, cpu_type, num_cpus, num_cores, num_logical,
			total_ram_mb, num_disks, perf_samples, cpu_sum, cpu_max, free_ram_sum, free_ram_min,
			disk_read_kbps_sum, disk_read_kbps_max, disk_write_kbps_sum, disk_write_kbps_max, disk_read_ops_sum, disk_read_ops_max,
			disk_write_ops_sum, disk_write_ops_max, net_read_kbps_sum, net_read_kbps_max, net_write_kbps_sum, net_write_kbps_max, created_ms, updated_ms)
		VALUES (?, 'd-server-01', 'o-1', 'web-1', 'Ubuntu', '22.04', 'x64', 1, 2, 4, 8192, 2, 4, 140, 80, 22768, 4192,
			4, 2, 8, 4, 1, 0.5, 2, 1, 40, 20, 12, 6, 1, 1)`, acct)
	for i, cpu := range []float64{30, 10, 80, 20} {
		exec(`INSERT INTO perf_samples VALUES (?, 'o-1', ?, 0,0,0,0,0,0, 4,2,1,1,1, ?, 100,50, 8192, ?)`, acct, 1000*(i+1), cpu, 8192-1000*float64(i+1))
	}
	// The same agent's samples in another account are not this server's.
	exec(`INSERT INTO perf_samples VALUES ('999999999999', 'o-1', 1, 0,0,0,0,0,0, 4,2,1,1,1, 100, 100,50, 8192, 0)`)
	// Imported Windows VM with utilisation figures, applications and tags.
	exec(`INSERT INTO servers (account_id, server_id, source, external_id, host_name, os_name, os_version, num_cpus, total_ram_mb,
			vm_moref_id, vm_name, vcenter_id, vcenter_name, vm_folder_path, perf_samples, cpu_sum, cpu_max, free_ram_sum, free_ram_min, created_ms, updated_ms)
		VALUES (?, 'd-server-02', 'Import', 'ext-42', 'db-imp', 'Windows Server 2019', '10.0', 2, 3000,
			'vm-7', 'db-imp-vm', 'vc-1', 'vcenter-a', '/dc/db', 2, 100, 70, 4000, 1500, 1, 1)`, acct)
	exec(`INSERT INTO applications VALUES (?, 'd-application-02', 'billing', '', '', 1, 1)`, acct)
	exec(`INSERT INTO applications VALUES (?, 'd-application-01', 'shop, "v2"', '', '', 1, 1)`, acct)
	exec(`INSERT INTO application_servers VALUES (?, 'd-application-02', 'd-server-02')`, acct)
	exec(`INSERT INTO application_servers VALUES (?, 'd-application-01', 'd-server-02')`, acct)
	exec(`INSERT INTO tags VALUES (?, 'd-server-02', 'owner', 'team a', 1)`, acct)
	exec(`INSERT INTO tags VALUES (?, 'd-server-02', 'env', 'prod', 1)`, acct)
	// arm64 without samples: its specification.
	exec(`INSERT INTO servers (account_id, server_id, agent_id, host_name, os_name, cpu_type, num_logical, total_ram_mb, created_ms, updated_ms)
		VALUES (?, 'd-server-03', 'o-3', 'arm-1', 'Amazon Linux', 'arm64', 8, 16384, 1, 1)`, acct)
	// Nothing known.
	exec(`INSERT INTO servers (account_id, server_id, created_ms, updated_ms) VALUES (?, 'd-server-04', 1, 1)`, acct)
	// An OS that EC2 does not run.
	exec(`INSERT INTO servers (account_id, server_id, host_name, os_name, num_logical, total_ram_mb, created_ms, updated_ms)
		VALUES (?, 'd-server-05', 'legacy', 'AIX 7.2', 4, 2048, 1, 1)`, acct)
	// Larger than any type.
	exec(`INSERT INTO servers (account_id, server_id, host_name, os_name, num_logical, total_ram_mb, created_ms, updated_ms)
		VALUES (?, 'd-server-06', 'huge', 'Linux', 4096, 2048, 1, 1)`, acct)
	exec(`INSERT INTO servers (account_id, server_id, host_name, num_logical, total_ram_mb, created_ms, updated_ms) VALUES ('999999999999', 'd-server-00', 'foreign', 2, 2048, 1, 1)`)

	_, members := f.export(t, discovery.ExportTask{Kind: discovery.KindEC2, EC2: ec2Prefs})
	if names := slices.Collect(mapKeys(members)); len(names) != 1 || names[0] != "EC2InstanceRecommendations.csv" {
		t.Fatalf("members %q, want only EC2InstanceRecommendations.csv", names)
	}
	const (
		prefs  = ",50th percentile +20%,Peak,US West (Oregon),SHARED,On-Demand,,," + `"t2, t3, t3a"`
		linux  = ",2025-04-24 13:17:44,Linux"
		noPerf = ",,,,,,,,,,,,,,,,,,,,,,,,,," // Applications, Tags, SMBiosId, 4 VMware, 19 performance
	)
	want := []string{
		// p50 of 10, 20, 30, 80 is 20 (nearest rank 2 of 4), +20 % = 24 %: 4 × 24 % = 0.96 → 1 vCPU. MAX used RAM 4000 MB, 48.828125 % of 8192.
		// The cheapest Linux type in us-west-2 with 1 vCPU and 4000 MiB: m7a.medium at 0.05796.
		"d-server-01,,web-1,,,Ubuntu,22.04,1,2,4,24,1,8192,48.828125,4000,m7a.medium,1,4096,0,0.05796,0.05796" + linux + prefs +
			",,,,,,,," + // Applications, Tags, SMBiosId, VMware
			"35,80,2500,4000,30.517578125,48.828125,2,1,2,2,4,0.25,0.5,0.5,1,10,3,20,6",
		// No samples: the aggregate. CPU p50 is its maximum, 70 % +20 % = 84 % of 2 → 2 vCPUs; RAM MAX = 3000 − 1500 MB free.
		// The cheapest Windows type with 2 vCPUs and 1500 MiB: c6a.large at 0.1685.
		`d-server-02,ext-42,db-imp,db-imp-vm,"No samples are stored: sized from the server's performance aggregate of 2 samples. ` +
			`CPU p50 is the maximum of the aggregate, which keeps no distribution.",Windows Server 2019,10.0,2,,,84,2,3000,50,1500,` +
			"c6a.large,2,4096,0,0.1685,0.1685,2025-04-24 13:17:44,Windows" + prefs +
			`,"shop, ""v2"", billing","env:prod, owner:team a",,vm-7,vc-1,vcenter-a,/dc/db,50,70,1000,1500,33.333333333333336,50,,0,0,0,0,0,0,0,0,0,0,0,0`,
		// arm64, no data at all: its specification. t4g.2xlarge (8 vCPUs, 32 GiB) is cheaper than c6g.2xlarge.
		`d-server-03,,arm-1,,"No performance data: sized from the server's specification (all vCPUs, all RAM).",Amazon Linux,,,,8,100,8,16384,100,16384,` +
			"t4g.2xlarge,8,32768,0,0.2688,0.2688" + linux + prefs + noPerf,
		`d-server-04,,,,No recommendation: the server has no performance data and no known vCPU count or RAM size.,,,,,,100,1,,,,,,,,,,,` + prefs + noPerf,
		`d-server-05,,legacy,,"No performance data: sized from the server's specification (all vCPUs, all RAM). ` +
			`The operating system ""AIX 7.2"" does not run on Amazon EC2: Linux prices apply.",AIX 7.2,,,,4,100,4,2048,100,2048,` +
			"c6a.xlarge,4,8192,0,0.153,0.153" + linux + prefs + noPerf,
		`d-server-06,,huge,,"No recommendation: no current-generation x86_64 instance type for shared tenancy, outside the exclusions, has at least 4096 vCPUs and 2048 MiB. ` +
			`No performance data: sized from the server's specification (all vCPUs, all RAM).",Linux,,,,4096,100,4096,2048,100,2048,,,,,,,,` + prefs + noPerf,
	}
	got := string(members["EC2InstanceRecommendations.csv"])
	if exp := fileText(exportfile.EC2Layout, want); got != exp {
		gl, wl := strings.Split(got, "\n"), strings.Split(exp, "\n")
		for i := range min(len(gl), len(wl)) {
			if gl[i] != wl[i] {
				t.Errorf("line %d:\n got  %s\n want %s", i+1, gl[i], wl[i])
			}
		}
		if len(gl) != len(wl) {
			t.Errorf("%d lines, want %d:\n%s", len(gl), len(wl), got)
		}
	}
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// Dedicated tenancy and reserved instances: the pick follows the shared
// On-Demand prices, the price cells stay empty with a remark saying why, and
// the preferences are echoed in their labels.
func TestEC2ExportDedicatedReserved(t *testing.T) {
	f := newFixture(t)
	db := f.raw(t)
	if _, err := db.Exec(`INSERT INTO servers (account_id, server_id, host_name, os_name, num_logical, total_ram_mb, created_ms, updated_ms)
		VALUES (?, 'd-server-01', 'tiny', 'Red Hat Enterprise Linux', 1, 512, 1, 1)`, acct); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		prefs *discovery.EC2Preferences
		want  map[string]string
	}{
		{"dedicated", &discovery.EC2Preferences{CPU: discovery.DefaultMetricBasis, RAM: discovery.DefaultMetricBasis, Tenancy: discovery.TenancyDedicated,
			PreferredRegion: "eu-west-1", PurchasingOption: discovery.PurchaseOnDemand}, map[string]string{
			"UserPreference.EC2.Tenancy": "DEDICATED", "UserPreference.EC2.PricingModel": "On-Demand", "UserPreference.Region": "Europe (Ireland)",
			"UserPreference.Recommendation.CPUSizing": "Average", "UserPreference.Recommendation.RAMSizing": "Average",
			"Recommendation.EC2.Remarks": "No performance data: sized from the server's specification (all vCPUs, all RAM). " +
				"Prices are known for shared tenancy only: picked by shared-tenancy On-Demand price; the price cells are empty for DEDICATED tenancy."}},
		{"reserved", &discovery.EC2Preferences{CPU: discovery.MetricBasis{Name: "SPEC"}, RAM: discovery.MetricBasis{Name: "p95", Adjust: 12.5},
			Tenancy: discovery.TenancyShared, Excluded: []string{"m5.large"}, PreferredRegion: "ap-east-2",
			PurchasingOption: "PARTIAL_UPFRONT", OfferingClass: "CONVERTIBLE", TermLength: "THREE_YEAR"}, map[string]string{
			"UserPreference.EC2.Tenancy": "SHARED", "UserPreference.EC2.PricingModel": "Reserved (Convertible)", "UserPreference.Region": "Asia Pacific (Taipei)",
			"UserPreference.EC2.PricingModel.ContractTerm": "3 years", "UserPreference.EC2.PricingModel.Payment": "Partial Upfront",
			"UserPreference.EC2.ExcludedInstances":    "m5.large",
			"UserPreference.Recommendation.CPUSizing": "Specification", "UserPreference.Recommendation.RAMSizing": "95th percentile +12.5%",
			"Recommendation.EC2.Remarks": "No performance data: sized from the server's specification (all vCPUs, all RAM). " +
				"No On-Demand prices for Asia Pacific (Taipei) (ap-east-2) in poseidon's price data: the smallest fitting type was picked and the price cells are empty."}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, members := f.export(t, discovery.ExportTask{Kind: discovery.KindEC2, EC2: tc.prefs})
			rows := csvRows(t, members["EC2InstanceRecommendations.csv"])
			if len(rows) != 1 {
				t.Fatalf("%d rows", len(rows))
			}
			col := map[string]string{}
			for i, h := range exportfile.EC2Layout.Header {
				col[h] = rows[0][i]
			}
			for k, v := range tc.want {
				if col[k] != v {
					t.Errorf("%s = %q, want %q", k, col[k], v)
				}
			}
			typ := col["Recommendation.EC2.Instance.Model"]
			if typ == "" || (tc.name == "dedicated" && typ[0] == 't') || col["Recommendation.EC2.Instance.OSType"] != "Linux" {
				t.Errorf("recommends %q (%s)", typ, col["Recommendation.EC2.Instance.OSType"])
			}
			for _, k := range []string{"UpfrontCost", "HourlyRate", "AmortizedHourlyRate", "EffectiveDate.UTC"} {
				if v := col["Recommendation.EC2.Instance.Price."+k]; v != "" {
					t.Errorf("Price.%s = %q, want empty", k, v)
				}
			}
		})
	}
}

// The golden fleet's EC2 export, byte for byte.
func TestGoldenEC2Export(t *testing.T) {
	f := newFixture(t)
	seedGolden(t, f)
	_, files, members := exportFixed(t, f, "export-00000000-0000-4000-8000-0000000000e2", discovery.ExportTask{Kind: discovery.KindEC2, EC2: ec2Prefs})
	if len(files) != 1 || files[0].Name != "EC2InstanceRecommendations.csv" {
		t.Fatalf("members %d, first %s", len(files), files[0].Name)
	}
	rows := csvRows(t, members["EC2InstanceRecommendations.csv"])
	if len(rows) != goldenFleet(f).Servers {
		t.Fatalf("%d rows for %d servers", len(rows), goldenFleet(f).Servers)
	}
	for _, r := range rows {
		if r[15] == "" || r[19] == "" {
			t.Errorf("server %s has no priced recommendation: %q", r[0], r[4])
		}
	}
	checkGolden(t, "ec2", files, members)
}
