package worker_test

import (
	"testing"

	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/exportfile"
)

const ec2Prefs = `{"ec2RecommendationsPreferences":{"enabled":true,"cpuPerformanceMetricBasis":{"name":"p50","percentageAdjust":20},
	"ramPerformanceMetricBasis":{"name":"MAX","percentageAdjust":0},"tenancy":"SHARED","excludedInstanceTypes":["t2","t3","t3a"],
	"preferredRegion":"eu-west-1","reservedInstanceOptions":{"purchasingOption":"NO_UPFRONT","offeringClass":"STANDARD","termLength":"ONE_YEAR"}}}`

// An EC2 export holds the summary files and one recommendation row per
// server of the account, by configuration ID, sized from the server's samples
// (or its specification when it has none) against the embedded catalog.
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
	exec(`INSERT INTO servers (account_id, server_id, agent_id, host_name, os_name, cpu_type, num_cpus, num_cores, num_logical, total_ram_mb, created_ms, updated_ms)
		VALUES (?, 'd-server-01', 'o-1', 'web-1', 'Ubuntu', 'x64', 1, 2, 4, 8192, 1, 1)`, acct)
	for i, cpu := range []float64{30, 10, 80, 20} {
		exec(`INSERT INTO perf_samples VALUES (?, 'o-1', ?, 0,0,0,0,0,0, 4,2,1,1,1, ?, 100,50, 8192, ?)`, acct, 1000*(i+1), cpu, 8192-1000*float64(i+1))
	}
	// The same agent's samples in another account are not this server's.
	exec(`INSERT INTO perf_samples VALUES ('999999999999', 'o-1', 1, 0,0,0,0,0,0, 4,2,1,1,1, 100, 100,50, 8192, 0)`)
	// Imported, no samples: its specification.
	exec(`INSERT INTO servers (account_id, server_id, source, host_name, os_name, num_cpus, total_ram_mb, created_ms, updated_ms)
		VALUES (?, 'd-server-02', 'Import', 'db-imp', 'Windows', 2, 3000, 1, 1)`, acct)
	// arm64 without samples.
	exec(`INSERT INTO servers (account_id, server_id, agent_id, host_name, os_name, cpu_type, num_logical, total_ram_mb, created_ms, updated_ms)
		VALUES (?, 'd-server-03', 'o-3', 'arm-1', 'Amazon Linux', 'arm64', 8, 16384, 1, 1)`, acct)
	// Nothing known.
	exec(`INSERT INTO servers (account_id, server_id, created_ms, updated_ms) VALUES (?, 'd-server-04', 1, 1)`, acct)
	exec(`INSERT INTO servers (account_id, server_id, host_name, num_logical, total_ram_mb, created_ms, updated_ms) VALUES ('999999999999', 'd-server-00', 'foreign', 2, 2048, 1, 1)`)

	_, members := f.export(t, discovery.ExportTask{Kind: discovery.KindEC2, Preferences: ec2Prefs})
	if len(members) != len(exportfile.SummaryLayouts)+1 {
		t.Fatalf("zip has %d members", len(members))
	}
	for _, l := range exportfile.SummaryLayouts {
		if _, ok := members[acct+"_"+l.Name+".csv"]; !ok {
			t.Errorf("no %s.csv", l.Name)
		}
	}
	const ri = "SHARED,eu-west-1,NO_UPFRONT,STANDARD,ONE_YEAR,"
	const spec = `; no performance samples: sized from the server's specification (all vCPUs, all RAM)."`
	want := []string{
		// p50 of 10, 20, 30, 80 is 20 (nearest rank 2 of 4): 4 × 20% × 1.2 = 0.96 → 1 vCPU; MAX used RAM 4000 MB.
		"d-server-01,web-1,Ubuntu,o-1,4,8192.0,4,p50,20.0,20.0,1,MAX,0.0,4000.0,4000,m7a.medium,1,4096," + ri +
			"Smallest current-generation x86_64 instance type for shared tenancy with at least 1 vCPUs and 4000 MiB; sized from 4 samples.",
		"d-server-02,db-imp,Windows,,2,3000.0,0,SPEC,0.0,100.0,2,SPEC,0.0,3000.0,3000,c5a.large,2,4096," + ri +
			`"Smallest current-generation x86_64 instance type for shared tenancy with at least 2 vCPUs and 3000 MiB` + spec,
		"d-server-03,arm-1,Amazon Linux,o-3,8,16384.0,0,SPEC,0.0,100.0,8,SPEC,0.0,16384.0,16384,c6g.2xlarge,8,16384," + ri +
			`"Smallest current-generation arm64 instance type for shared tenancy with at least 8 vCPUs and 16384 MiB` + spec,
		"d-server-04,,,,,,0,SPEC,0.0,100.0,1,SPEC,0.0,,0,,,," + ri +
			"No recommendation: the server has no performance samples and no known vCPU count or RAM size.",
	}
	got := string(members[acct+"_EC2InstanceRecommendations.csv"])
	if exp := fileText(exportfile.EC2Layout, want); got != exp {
		t.Errorf("EC2InstanceRecommendations:\n%s\nwant\n%s", got, exp)
	}
}

// Dedicated tenancy and no reservedInstanceOptions: no burstable type, and
// the row says ON_DEMAND.
func TestEC2ExportDedicatedOnDemand(t *testing.T) {
	f := newFixture(t)
	db := f.raw(t)
	if _, err := db.Exec(`INSERT INTO servers (account_id, server_id, host_name, num_logical, total_ram_mb, created_ms, updated_ms)
		VALUES (?, 'd-server-01', 'tiny', 1, 512, 1, 1)`, acct); err != nil {
		t.Fatal(err)
	}
	_, members := f.export(t, discovery.ExportTask{Kind: discovery.KindEC2,
		Preferences: `{"ec2RecommendationsPreferences":{"enabled":true,"tenancy":"DEDICATED"}}`})
	rows := csvRows(t, members[acct+"_EC2InstanceRecommendations.csv"])
	if len(rows) != 1 {
		t.Fatalf("%d rows", len(rows))
	}
	col := map[string]string{}
	for i, h := range exportfile.EC2Layout.Header {
		col[h] = rows[0][i]
	}
	// The smallest shared pick would be t2.nano; dedicated hosts exclude T types.
	if typ := col["recommendation.instanceType"]; typ == "" || typ[0] == 't' || col["recommendation.tenancy"] != "DEDICATED" ||
		col["recommendation.purchasingOption"] != "ON_DEMAND" || col["recommendation.offeringClass"] != "" || col["recommendation.preferredRegion"] != "" ||
		col["cpu.basis"] != "SPEC" || col["ram.basis"] != "SPEC" {
		t.Errorf("row %v", col)
	}
}

// The golden fleet's EC2 export, byte for byte.
func TestGoldenEC2Export(t *testing.T) {
	f := newFixture(t)
	seedGolden(t, f)
	_, files, members := exportFixed(t, f, "export-00000000-0000-4000-8000-0000000000e2", discovery.ExportTask{Kind: discovery.KindEC2, Preferences: ec2Prefs})
	if len(files) != len(exportfile.SummaryLayouts)+1 || files[len(files)-1].Name != acct+"_EC2InstanceRecommendations.csv" {
		t.Fatalf("members %d, last %s", len(files), files[len(files)-1].Name)
	}
	if rows := csvRows(t, members[acct+"_EC2InstanceRecommendations.csv"]); len(rows) != goldenFleet(f).Servers {
		t.Fatalf("%d rows for %d servers", len(rows), goldenFleet(f).Servers)
	}
	checkGolden(t, "ec2", files, members)
}
