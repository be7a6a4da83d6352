package exportfile

import (
	"strings"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/ec2rec"
)

// cmfHeader is the header of EC2InstanceRecommendations.csv in AWS Cloud
// Migration Factory's unit test (source/integrations/integration_unit_tests/
// mgh/test_lambda_mgh_common_util.py), copied byte for byte: 57 columns.
const cmfHeader = "ServerId,Server.ExternalId,Server.HostName,Server.VMware.VMname,Recommendation.EC2.Remarks,Server.OS.Name,Server.OS.Version," +
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
	"Server.NetworkWritesPerSecondInKB.Max"

// cmfRow is the first row of that fixture ("d-server-1 ... c6a.4xlarge").
const cmfRow = "d-server-1,,test.hostname.com,,,Linux,2.0.0.11,4,8,16,100,16,12005.376,100,12005.376,c6a.4xlarge,16,32768,0,0.612,0.612," +
	"2024-01-30 22:07:49,Linux,Specification,Specification,US West (Oregon),SHARED,On-Demand,,,,LinuxApp,,,,,,,67.22,98.34,2000.896,6002.688," +
	"16.666666666666668,50,,175.5772253,52.76470577,1175.577225,152.7647058,2.772252841,772.4508703,12.77225284,1031.231092,21.51860774," +
	"26.62745087,121.5186077,225.6274509"

func TestEC2Header(t *testing.T) {
	if got := string(AppendRow(nil, EC2Layout.Header)); got != cmfHeader+"\n" {
		t.Fatalf("header\n%s\nwant\n%s", got, cmfHeader)
	}
	if len(EC2Layout.Header) != 57 {
		t.Fatalf("%d columns", len(EC2Layout.Header))
	}
}

// The server of CMF's fixture row, sized by specification against a price
// list with c6a.4xlarge at 0.612 in us-west-2, gives the fixture's values in
// every column that poseidon derives the same way. The RAM-use columns are
// left out: poseidon derives them from free RAM, so 2000.896 MB used of
// 12005.376 comes out as 2000.8960000000006.
func TestEC2RecordMatchesCMFRow(t *testing.T) {
	cat, err := ec2rec.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	src := &ec2rec.PriceSource{Name: "CMF fixture", Effective: time.Date(2024, 1, 30, 22, 7, 49, 0, time.UTC)}
	prices, err := ec2rec.ParsePrices(src, []byte("region,instanceType,operatingSystem,usdPerHour\nus-west-2,c6a.4xlarge,Linux,0.612\n"))
	if err != nil {
		t.Fatal(err)
	}
	prefs := discovery.EC2Preferences{CPU: discovery.MetricBasis{Name: discovery.BasisSPEC}, RAM: discovery.MetricBasis{Name: discovery.BasisSPEC},
		Tenancy: discovery.TenancyShared, PreferredRegion: "us-west-2", PurchasingOption: discovery.PurchaseOnDemand}
	s := discovery.EC2Server{
		Server: discovery.Server{ID: "d-server-1", HostName: "test.hostname.com", OSName: "Linux", OSVersion: "2.0.0.11",
			NumCPUs: 4, NumCores: 8, NumLogical: 16, TotalRAMMB: 12005.376,
			Perf: discovery.PerfAggregate{Samples: 1, CPUSum: 67.22, CPUMax: 98.34, FreeRAMSum: 12005.376 - 2000.896, FreeRAMMin: 12005.376 - 6002.688, FreeRAMMinKnown: true,
				DiskReadKBpsSum: 175.5772253, DiskWriteKBpsSum: 52.76470577, DiskReadKBpsMax: 1175.577225, DiskWriteKBpsMax: 152.7647058,
				DiskReadOpsSum: 2.772252841, DiskWriteOpsSum: 772.4508703, DiskReadOpsMax: 12.77225284, DiskWriteOpsMax: 1031.231092,
				NetReadKBpsSum: 21.51860774, NetWriteKBpsSum: 26.62745087, NetReadKBpsMax: 121.5186077, NetWriteKBpsMax: 225.6274509}},
		Applications: []string{"LinuxApp"},
	}
	sizing := ec2rec.ServerOf(&s)
	r := ec2rec.NewSizer(cat, prefs, prices).Size(&sizing)
	got := EC2Record(&s, &r, NewEC2PreferenceLabels(&prefs), nil)
	want := strings.Split(cmfRow, ",")
	if len(got) != len(want) {
		t.Fatalf("%d cells, want %d", len(got), len(want))
	}
	ramUse := map[string]bool{"Server.RAM.UsedSizeInMB.Avg": true, "Server.RAM.UsagePct.Avg": true}
	for i, h := range EC2Layout.Header {
		if !ramUse[h] && got[i] != want[i] {
			t.Errorf("%s = %q, want %q", h, got[i], want[i])
		}
	}
}

func TestSizingLabel(t *testing.T) {
	for _, tc := range []struct {
		b    discovery.MetricBasis
		want string
	}{
		{discovery.MetricBasis{Name: "SPEC"}, "Specification"},
		{discovery.MetricBasis{Name: "SPEC", Adjust: 20}, "20% of Specification"},
		{discovery.MetricBasis{Name: "AVG"}, "Average"},
		{discovery.MetricBasis{Name: "MAX", Adjust: 2.5}, "Peak +2.5%"},
		{discovery.MetricBasis{Name: "p0"}, "0th percentile"},
		{discovery.MetricBasis{Name: "p1"}, "1st percentile"},
		{discovery.MetricBasis{Name: "p2"}, "2nd percentile"},
		{discovery.MetricBasis{Name: "p3"}, "3rd percentile"},
		{discovery.MetricBasis{Name: "p11"}, "11th percentile"},
		{discovery.MetricBasis{Name: "p13"}, "13th percentile"},
		{discovery.MetricBasis{Name: "p95"}, "95th percentile"},
		{discovery.MetricBasis{Name: "p100"}, "100th percentile"},
	} {
		if got := SizingLabel(tc.b); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.b, got, tc.want)
		}
	}
}

func TestNewEC2Prefs(t *testing.T) {
	p := NewEC2PreferenceLabels(&discovery.EC2Preferences{CPU: discovery.MetricBasis{Name: "p95"}, RAM: discovery.MetricBasis{Name: "AVG", Adjust: 10}, Tenancy: discovery.TenancyDedicated,
		Excluded: []string{"t3", "m5.large"}, PreferredRegion: "eu-west-1", PurchasingOption: "ALL_UPFRONT", OfferingClass: "STANDARD", TermLength: "ONE_YEAR"})
	want := EC2PreferenceLabels{CPUSizing: "95th percentile", RAMSizing: "Average +10%", Region: "Europe (Ireland)", Tenancy: "DEDICATED",
		PricingModel: "Reserved (Standard)", ContractTerm: "1 year", Payment: "All Upfront", ExcludedInstances: "t3, m5.large"}
	if *p != want {
		t.Errorf("%+v\nwant %+v", *p, want)
	}
}
