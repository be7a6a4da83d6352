package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go/aws"
	ads "github.com/aws/aws-sdk-go/service/applicationdiscoveryservice"

	"github.com/poseidon-ads/poseidon/internal/agentdata"
)

// The EC2 recommendations file's header, written out: the test does not trust
// the code's layout.
var ec2Header = []string{
	"server.configurationId", "server.hostName", "server.osName", "server.agentId",
	"observed.vCPUs", "observed.ramMB", "observed.samples",
	"cpu.basis", "cpu.percentageAdjust", "cpu.observedPct", "cpu.sizedVCPUs",
	"ram.basis", "ram.percentageAdjust", "ram.observedUsedMB", "ram.sizedMB",
	"recommendation.instanceType", "recommendation.vCPUs", "recommendation.memoryMiB",
	"recommendation.tenancy", "recommendation.preferredRegion",
	"recommendation.purchasingOption", "recommendation.offeringClass", "recommendation.termLength",
	"recommendation.reason",
}

// StartExportTask with ec2RecommendationsPreferences gives the summary files
// plus EC2InstanceRecommendations.csv, one row per server of the account.
func TestEC2RecommendationsExport(t *testing.T) {
	s := startServer(t, "", "--no-limits")
	c := client(t, s.URL, acctA, "x")
	_, agents, t0 := postExportFleet(t, s.URL)
	const reports = exportFleetReports
	other := agentdata.Batch{Reports: []agentdata.Report{exportReport("o-0a1b2c3d4e5f60799", 1, 2, t0, "intruder")}}
	postAgentBatch(t, s.URL, acctB, &other)

	_, members := exportZip(t, c, &ads.StartExportTaskInput{Preferences: &ads.ExportPreferences{
		Ec2RecommendationsPreferences: &ads.Ec2RecommendationsExportPreferences{
			Enabled:                   aws.Bool(true),
			CpuPerformanceMetricBasis: &ads.UsageMetricBasis{Name: aws.String("p95"), PercentageAdjust: aws.Float64(10)},
			RamPerformanceMetricBasis: &ads.UsageMetricBasis{Name: aws.String("MAX")},
			Tenancy:                   aws.String("DEDICATED"),
			ExcludedInstanceTypes:     []*string{aws.String("m5"), aws.String("c5.large")},
			PreferredRegion:           aws.String("us-west-2"),
			ReservedInstanceOptions: &ads.ReservedInstanceOptions{PurchasingOption: aws.String("ALL_UPFRONT"),
				OfferingClass: aws.String("CONVERTIBLE"), TermLength: aws.String("THREE_YEAR")},
		},
	}})
	body, ok := members[acctA+"_EC2InstanceRecommendations.csv"]
	if !ok {
		t.Fatalf("no EC2InstanceRecommendations.csv in %d members", len(members))
	}
	if _, ok := members[acctA+"_Server.csv"]; !ok || len(members) != 9 {
		t.Fatalf("zip has %d members, want the 8 summary files and the recommendations", len(members))
	}
	header, rows := parseCSV(t, body)
	if !slices.Equal(header, ec2Header) {
		t.Fatalf("header %q", header)
	}
	_, servers := parseCSV(t, members[acctA+"_Server.csv"])
	if len(rows) != len(servers) || len(rows) != len(agents) {
		t.Fatalf("%d rows for %d servers", len(rows), len(servers))
	}
	for i, r := range rows {
		col := map[string]string{}
		for j, h := range header {
			col[h] = r[j]
		}
		if col["server.configurationId"] != servers[i][0] || col["server.agentId"] != agents[i] && col["server.agentId"] != agents[1-i] {
			t.Errorf("row %d is server %s (agent %s), Server.csv has %s", i, col["server.configurationId"], col["server.agentId"], servers[i][0])
		}
		// Samples: CPU 10..15 % of 8 vCPUs; p95 is 15 → 1.2 × 1.1 = 1.32 → 2 vCPUs. RAM: 8192 − (4096..4146) → MAX 4096 MB.
		want := map[string]string{"observed.vCPUs": "8", "observed.ramMB": "8192.0", "observed.samples": "6",
			"cpu.basis": "p95", "cpu.percentageAdjust": "10.0", "cpu.observedPct": "15.0", "cpu.sizedVCPUs": "2",
			"ram.basis": "MAX", "ram.percentageAdjust": "0.0", "ram.observedUsedMB": "4096.0", "ram.sizedMB": "4096",
			"recommendation.tenancy": "DEDICATED", "recommendation.preferredRegion": "us-west-2",
			"recommendation.purchasingOption": "ALL_UPFRONT", "recommendation.offeringClass": "CONVERTIBLE", "recommendation.termLength": "THREE_YEAR"}
		for k, v := range want {
			if col[k] != v {
				t.Errorf("row %d %s = %q, want %q", i, k, col[k], v)
			}
		}
		typ := col["recommendation.instanceType"]
		if typ == "" || strings.HasPrefix(typ, "t") || strings.HasPrefix(typ, "m5.") || typ == "c5.large" ||
			!strings.Contains(col["recommendation.reason"], "dedicated tenancy") {
			t.Errorf("row %d recommends %q: %s", i, typ, col["recommendation.reason"])
		}
	}
}
