package main

import (
	"compress/gzip"
	"encoding/csv"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go/aws"
	ads "github.com/aws/aws-sdk-go/service/applicationdiscoveryservice"

	"github.com/poseidon-ads/poseidon/internal/agentdata"
)

// The EC2 recommendations file's header, written out (it is the header of
// AWS Cloud Migration Factory's test fixture): the test does not trust the
// code's layout.
const ec2Header = "ServerId,Server.ExternalId,Server.HostName,Server.VMware.VMname,Recommendation.EC2.Remarks,Server.OS.Name,Server.OS.Version," +
	"Server.CPU.NumberOfProcessors,Server.CPU.NumberOfCores,Server.CPU.NumberOfLogicalCores,Recommendation.EC2.RequestedCPU.UsagePct," +
	"Recommendation.EC2.RequestedvCPU,Server.RAM.TotalSizeInMB,Recommendation.EC2.RequestedRAM.UsagePct,Recommendation.EC2.RequestedRAMinMB," +
	"Recommendation.EC2.Instance.Model,Recommendation.EC2.Instance.vCPUCount,Recommendation.EC2.Instance.RAM.TotalSizeinMB," +
	"Recommendation.EC2.Instance.Price.UpfrontCost,Recommendation.EC2.Instance.Price.HourlyRate,Recommendation.EC2.Instance.Price.AmortizedHourlyRate," +
	"Recommendation.EC2.Instance.Price.EffectiveDate.UTC,Recommendation.EC2.Instance.OSType,UserPreference.Recommendation.CPUSizing," +
	"UserPreference.Recommendation.RAMSizing,UserPreference.Region,UserPreference.EC2.Tenancy,UserPreference.EC2.PricingModel," +
	"UserPreference.EC2.PricingModel.ContractTerm,UserPreference.EC2.PricingModel.Payment,UserPreference.EC2.ExcludedInstances,Applications,Tags," +
	"Server.SMBiosId,Server.VMware.MoRefId,Server.VMware.VCenterId,Server.VMware.vCenterName,Server.VMware.vmFolderPath,Server.CPU.UsagePct.Avg," +
	"Server.CPU.UsagePct.Max,Server.RAM.UsedSizeInMB.Avg,Server.RAM.UsedSizeInMB.Max,Server.RAM.UsagePct.Avg,Server.RAM.UsagePct.Max," +
	"Server.NumberOfDisks,Server.DiskReadsPerSecondInKB.Avg,Server.DiskWritesPerSecondInKB.Avg,Server.DiskReadsPerSecondInKB.Max," +
	"Server.DiskWritesPerSecondInKB.Max,Server.DiskReadOpsPerSecond.Avg,Server.DiskWriteOpsPerSecond.Avg,Server.DiskReadOpsPerSecond.Max," +
	"Server.DiskWriteOpsPerSecond.Max,Server.NetworkReadsPerSecondInKB.Avg,Server.NetworkWritesPerSecondInKB.Avg,Server.NetworkReadsPerSecondInKB.Max," +
	"Server.NetworkWritesPerSecondInKB.Max\n"

// ec2Export runs an EC2 recommendations export and returns its one member's
// text, failing unless the zip holds exactly EC2InstanceRecommendations.csv
// at its root.
func ec2Export(t *testing.T, c *ads.ApplicationDiscoveryService, p *ads.Ec2RecommendationsExportPreferences) string {
	t.Helper()
	p.Enabled = aws.Bool(true)
	_, members := exportZip(t, c, &ads.StartExportTaskInput{Preferences: &ads.ExportPreferences{Ec2RecommendationsPreferences: p}})
	body, ok := members["EC2InstanceRecommendations.csv"]
	if !ok || len(members) != 1 {
		names := make([]string, 0, len(members))
		for n := range members {
			names = append(names, n)
		}
		t.Fatalf("zip members %q, want only EC2InstanceRecommendations.csv", names)
	}
	if !strings.HasPrefix(body, ec2Header) {
		t.Fatalf("header\n%s\nwant\n%s", strings.SplitN(body, "\n", 2)[0], ec2Header)
	}
	return body
}

// ec2Rows parses the file into one map per row, by header name.
func ec2Rows(t *testing.T, body string) []map[string]string {
	t.Helper()
	header, rows := parseCSV(t, body)
	out := make([]map[string]string, len(rows))
	for i, r := range rows {
		out[i] = map[string]string{}
		for j, h := range header {
			out[i][h] = r[j]
		}
	}
	return out
}

// listPrice reads the embedded On-Demand list (region, type, OS → USD per
// hour) on its own, to check the file's prices against.
func listPrice(t *testing.T, region, typ, osName string) string {
	t.Helper()
	for _, name := range []string{"ec2-ondemand-prices-karpenter.csv.gz", "ec2-ondemand-prices.csv.gz"} {
		f, err := os.Open("../../internal/ec2rec/" + name)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(zr).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if r[0] == region && r[1] == typ && r[2] == osName {
				return r[3]
			}
		}
	}
	return ""
}

// Cloud Migration Factory's preferences (percentiles of utilisation, shared
// tenancy, its target Region) give one priced recommendation per server of
// the account, by configuration ID.
func TestEC2RecommendationsExport(t *testing.T) {
	s := startServer(t, "", "--no-limits")
	c := client(t, s.URL, acctA, "x")
	_, agents, t0 := postExportFleet(t, s.URL)
	other := agentdata.Batch{Reports: []agentdata.Report{exportReport("o-0a1b2c3d4e5f60799", 1, 2, t0, "intruder")}}
	postAgentBatch(t, s.URL, acctB, &other)

	body := ec2Export(t, c, &ads.Ec2RecommendationsExportPreferences{
		PreferredRegion:           aws.String("eu-west-1"),
		Tenancy:                   aws.String("SHARED"),
		CpuPerformanceMetricBasis: &ads.UsageMetricBasis{Name: aws.String("p95"), PercentageAdjust: aws.Float64(10)},
		RamPerformanceMetricBasis: &ads.UsageMetricBasis{Name: aws.String("MAX")},
		ExcludedInstanceTypes:     []*string{aws.String("t3"), aws.String("t3a"), aws.String("c5.large")},
	})
	servers, err := c.ListConfigurations(&ads.ListConfigurationsInput{ConfigurationType: aws.String("SERVER")})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{} // configuration ID → agent ID
	for _, cfg := range servers.Configurations {
		ids[aws.StringValue(cfg["server.configurationId"])] = aws.StringValue(cfg["server.agentId"])
	}
	rows := ec2Rows(t, body)
	if len(rows) != len(agents) || len(ids) != len(agents) {
		t.Fatalf("%d rows for %d servers", len(rows), len(ids))
	}
	for i, r := range rows {
		if _, ok := ids[r["ServerId"]]; !ok {
			t.Errorf("row %d: ServerId %q is not a server of the account", i, r["ServerId"])
		}
		if h := r["Server.HostName"]; h != "web-1.example.com" && h != "web-2.example.com" {
			t.Errorf("row %d: host %q", i, h)
		}
		if i > 0 && r["ServerId"] <= rows[i-1]["ServerId"] {
			t.Errorf("rows are not in configuration ID order")
		}
		// Samples: CPU 10..15 % of 8 vCPUs; p95 is 15 % +10 % = 16.5 % → 2 vCPUs. RAM: 8192 − (4096..4146) → MAX 4096 MB = 50 %.
		want := map[string]string{"Server.OS.Name": "Ubuntu", "Server.OS.Version": "22.04",
			"Server.CPU.NumberOfProcessors": "2", "Server.CPU.NumberOfCores": "4", "Server.CPU.NumberOfLogicalCores": "8",
			"Recommendation.EC2.RequestedvCPU": "2", "Server.RAM.TotalSizeInMB": "8192",
			"Recommendation.EC2.RequestedRAM.UsagePct": "50", "Recommendation.EC2.RequestedRAMinMB": "4096",
			"Recommendation.EC2.Remarks": "", "Recommendation.EC2.Instance.OSType": "Linux", "Recommendation.EC2.Instance.Price.UpfrontCost": "0",
			"Recommendation.EC2.Instance.Price.EffectiveDate.UTC": "2025-04-24 13:17:44",
			"UserPreference.Recommendation.CPUSizing":             "95th percentile +10%", "UserPreference.Recommendation.RAMSizing": "Peak",
			"UserPreference.Region": "Europe (Ireland)", "UserPreference.EC2.Tenancy": "SHARED", "UserPreference.EC2.PricingModel": "On-Demand",
			"UserPreference.EC2.PricingModel.ContractTerm": "", "UserPreference.EC2.PricingModel.Payment": "",
			"UserPreference.EC2.ExcludedInstances": "t3, t3a, c5.large",
			"Server.CPU.UsagePct.Avg":              "12.5", "Server.CPU.UsagePct.Max": "15", "Server.NumberOfDisks": "1"}
		for k, v := range want {
			if r[k] != v {
				t.Errorf("row %d %s = %q, want %q", i, k, r[k], v)
			}
		}
		if p, _ := strconv.ParseFloat(r["Recommendation.EC2.RequestedCPU.UsagePct"], 64); p < 16.49 || p > 16.51 {
			t.Errorf("row %d RequestedCPU.UsagePct %s, want 16.5", i, r["Recommendation.EC2.RequestedCPU.UsagePct"])
		}
		typ := r["Recommendation.EC2.Instance.Model"]
		vcpus, _ := strconv.Atoi(r["Recommendation.EC2.Instance.vCPUCount"])
		mem, _ := strconv.Atoi(r["Recommendation.EC2.Instance.RAM.TotalSizeinMB"])
		if typ == "" || vcpus < 2 || mem < 4096 || strings.HasPrefix(typ, "t3.") || strings.HasPrefix(typ, "t3a.") || typ == "c5.large" {
			t.Errorf("row %d recommends %q (%d vCPUs, %d MiB)", i, typ, vcpus, mem)
		}
		if price := listPrice(t, "eu-west-1", typ, "Linux"); price == "" || r["Recommendation.EC2.Instance.Price.HourlyRate"] != price ||
			r["Recommendation.EC2.Instance.Price.AmortizedHourlyRate"] != price {
			t.Errorf("row %d: %s at %q/%q, list price %q", i, typ, r["Recommendation.EC2.Instance.Price.HourlyRate"],
				r["Recommendation.EC2.Instance.Price.AmortizedHourlyRate"], price)
		}
	}
	if strings.Contains(body, "intruder") {
		t.Error("another account's server is in the file")
	}
}

// Without preferredRegion the recommendations are for the Region the request
// was signed for (the home Region, us-west-2 here); dedicated tenancy and reserved instances are echoed in
// their labels and leave the price cells empty.
func TestEC2RecommendationsDefaultsAndReserved(t *testing.T) {
	s := startServer(t, "", "--no-limits")
	postExportFleet(t, s.URL)
	c := client(t, s.URL, acctA, "x")
	for _, r := range ec2Rows(t, ec2Export(t, c, &ads.Ec2RecommendationsExportPreferences{})) {
		if r["UserPreference.Region"] != "US West (Oregon)" || r["UserPreference.Recommendation.CPUSizing"] != "Average" ||
			r["UserPreference.EC2.Tenancy"] != "SHARED" || r["UserPreference.EC2.PricingModel"] != "On-Demand" ||
			r["Recommendation.EC2.Instance.Price.HourlyRate"] == "" || r["Recommendation.EC2.Instance.Price.HourlyRate"] != listPrice(t, "us-west-2", r["Recommendation.EC2.Instance.Model"], "Linux") {
			t.Errorf("defaults: %v", r)
		}
	}
	body := ec2Export(t, c, &ads.Ec2RecommendationsExportPreferences{
		PreferredRegion:           aws.String("eu-west-1"),
		Tenancy:                   aws.String("DEDICATED"),
		CpuPerformanceMetricBasis: &ads.UsageMetricBasis{Name: aws.String("SPEC")},
		RamPerformanceMetricBasis: &ads.UsageMetricBasis{Name: aws.String("SPEC"), PercentageAdjust: aws.Float64(25)},
		ReservedInstanceOptions: &ads.ReservedInstanceOptions{PurchasingOption: aws.String("ALL_UPFRONT"),
			OfferingClass: aws.String("CONVERTIBLE"), TermLength: aws.String("THREE_YEAR")},
	})
	for i, r := range ec2Rows(t, body) {
		want := map[string]string{"UserPreference.Region": "Europe (Ireland)", "UserPreference.EC2.Tenancy": "DEDICATED",
			"UserPreference.EC2.PricingModel": "Reserved (Convertible)", "UserPreference.EC2.PricingModel.ContractTerm": "3 years",
			"UserPreference.EC2.PricingModel.Payment": "All Upfront", "UserPreference.Recommendation.CPUSizing": "Specification",
			"UserPreference.Recommendation.RAMSizing":  "25% of Specification",
			"Recommendation.EC2.RequestedCPU.UsagePct": "100", "Recommendation.EC2.RequestedvCPU": "8",
			"Recommendation.EC2.RequestedRAM.UsagePct": "25", "Recommendation.EC2.RequestedRAMinMB": "2048",
			"Recommendation.EC2.Instance.Price.UpfrontCost": "", "Recommendation.EC2.Instance.Price.HourlyRate": "",
			"Recommendation.EC2.Instance.Price.AmortizedHourlyRate": "", "Recommendation.EC2.Instance.Price.EffectiveDate.UTC": "",
			"Recommendation.EC2.Remarks": "Prices are known for shared tenancy only: picked by shared-tenancy On-Demand price; the price cells are empty for DEDICATED tenancy."}
		for k, v := range want {
			if r[k] != v {
				t.Errorf("row %d %s = %q, want %q", i, k, r[k], v)
			}
		}
		if typ := r["Recommendation.EC2.Instance.Model"]; typ == "" || typ[0] == 't' {
			t.Errorf("row %d: dedicated tenancy recommends %q", i, typ)
		}
	}
}
