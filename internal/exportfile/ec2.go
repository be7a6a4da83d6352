package exportfile

import (
	"fmt"
	"strings"

	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/ec2rec"
)

// EC2File is the one member of an EC2 instance recommendations export, at
// the zip's root and without the account prefix: the name AWS's Cloud
// Migration Factory finds with glob('EC2InstanceRecommendations*.csv') in its
// extraction folder, and the name of the entry in that project's test zip.
const EC2File = "EC2InstanceRecommendations.csv"

// EC2Layout is EC2InstanceRecommendations.csv: one row per server of the
// account, by configuration ID. The header is the one in Cloud Migration
// Factory's test fixture (source/integrations/integration_unit_tests/mgh/
// test_lambda_mgh_common_util.py), the best public evidence of the real
// file, in its order; docs/exports.md documents every column.
var EC2Layout = Layout{"EC2InstanceRecommendations", []string{
	"ServerId", "Server.ExternalId", "Server.HostName", "Server.VMware.VMname", "Recommendation.EC2.Remarks",
	"Server.OS.Name", "Server.OS.Version",
	"Server.CPU.NumberOfProcessors", "Server.CPU.NumberOfCores", "Server.CPU.NumberOfLogicalCores",
	"Recommendation.EC2.RequestedCPU.UsagePct", "Recommendation.EC2.RequestedvCPU",
	"Server.RAM.TotalSizeInMB", "Recommendation.EC2.RequestedRAM.UsagePct", "Recommendation.EC2.RequestedRAMinMB",
	"Recommendation.EC2.Instance.Model", "Recommendation.EC2.Instance.vCPUCount", "Recommendation.EC2.Instance.RAM.TotalSizeinMB",
	"Recommendation.EC2.Instance.Price.UpfrontCost", "Recommendation.EC2.Instance.Price.HourlyRate",
	"Recommendation.EC2.Instance.Price.AmortizedHourlyRate", "Recommendation.EC2.Instance.Price.EffectiveDate.UTC",
	"Recommendation.EC2.Instance.OSType",
	"UserPreference.Recommendation.CPUSizing", "UserPreference.Recommendation.RAMSizing", "UserPreference.Region",
	"UserPreference.EC2.Tenancy", "UserPreference.EC2.PricingModel", "UserPreference.EC2.PricingModel.ContractTerm",
	"UserPreference.EC2.PricingModel.Payment", "UserPreference.EC2.ExcludedInstances",
	"Applications", "Tags", "Server.SMBiosId",
	"Server.VMware.MoRefId", "Server.VMware.VCenterId", "Server.VMware.vCenterName", "Server.VMware.vmFolderPath",
	"Server.CPU.UsagePct.Avg", "Server.CPU.UsagePct.Max", "Server.RAM.UsedSizeInMB.Avg", "Server.RAM.UsedSizeInMB.Max",
	"Server.RAM.UsagePct.Avg", "Server.RAM.UsagePct.Max", "Server.NumberOfDisks",
	"Server.DiskReadsPerSecondInKB.Avg", "Server.DiskWritesPerSecondInKB.Avg",
	"Server.DiskReadsPerSecondInKB.Max", "Server.DiskWritesPerSecondInKB.Max",
	"Server.DiskReadOpsPerSecond.Avg", "Server.DiskWriteOpsPerSecond.Avg",
	"Server.DiskReadOpsPerSecond.Max", "Server.DiskWriteOpsPerSecond.Max",
	"Server.NetworkReadsPerSecondInKB.Avg", "Server.NetworkWritesPerSecondInKB.Avg",
	"Server.NetworkReadsPerSecondInKB.Max", "Server.NetworkWritesPerSecondInKB.Max",
}}

// EC2PreferenceLabels are an export's preferences as
// EC2InstanceRecommendations.csv echoes them in its UserPreference.*
// columns, formatted once per export.
type EC2PreferenceLabels struct {
	CPUSizing, RAMSizing, Region, Tenancy string
	PricingModel, ContractTerm, Payment   string
	ExcludedInstances                     string
}

// NewEC2PreferenceLabels formats the preferences (docs/exports.md gives the
// labels).
func NewEC2PreferenceLabels(p *discovery.EC2Preferences) *EC2PreferenceLabels {
	out := &EC2PreferenceLabels{
		CPUSizing: SizingLabel(p.CPU), RAMSizing: SizingLabel(p.RAM),
		Region: ec2rec.RegionName(p.PreferredRegion), Tenancy: p.Tenancy,
		ExcludedInstances: strings.Join(p.Excluded, ListSeparator),
	}
	if p.PurchasingOption == discovery.PurchaseOnDemand {
		out.PricingModel = "On-Demand"
		return out
	}
	out.PricingModel = "Reserved (" + label(p.OfferingClass, map[string]string{"STANDARD": "Standard", "CONVERTIBLE": "Convertible"}) + ")"
	out.ContractTerm = label(p.TermLength, map[string]string{"ONE_YEAR": "1 year", "THREE_YEAR": "3 years"})
	out.Payment = label(p.PurchasingOption, map[string]string{"NO_UPFRONT": "No Upfront", "PARTIAL_UPFRONT": "Partial Upfront", "ALL_UPFRONT": "All Upfront"})
	return out
}

func label(v string, labels map[string]string) string {
	if l, ok := labels[v]; ok {
		return l
	}
	return v
}

// SizingLabel names a metric basis as the UserPreference.Recommendation.*Sizing
// columns show it: "Specification", "Average", "Peak" or "95th percentile",
// with " +N%" for a percentageAdjust on a utilization basis, or
// "N% of Specification" for one on SPEC.
func SizingLabel(b discovery.MetricBasis) string {
	var l string
	switch b.Name {
	case discovery.BasisSPEC:
		l = "Specification"
	case discovery.BasisAVG:
		l = "Average"
	case discovery.BasisMAX:
		l = "Peak"
	default:
		if n, ok := b.Percentile(); ok {
			l = ordinal(n) + " percentile"
		} else {
			l = b.Name
		}
	}
	switch {
	case b.Adjust == 0:
	case b.Name == discovery.BasisSPEC:
		l = FormatNumber(b.Adjust) + "% of Specification"
	default:
		l += " +" + FormatNumber(b.Adjust) + "%"
	}
	return l
}

func ordinal(n int) string {
	suffix := "th"
	switch {
	case n%100 >= 11 && n%100 <= 13:
	case n%10 == 1:
		suffix = "st"
	case n%10 == 2:
		suffix = "nd"
	case n%10 == 3:
		suffix = "rd"
	}
	return fmt.Sprintf("%d%s", n, suffix)
}

// EC2Record returns the server's row for its sizing result r under the
// export's preferences. Numbers are written as FormatNumber writes them
// ("100", "12005.376"), as in the real file; an unknown value is empty.
// Percentages of RAM are part × 100 / total, the order of operations that
// gives the real file's 2000.896 of 12005.376 MB as 16.666666666666668.
func EC2Record(s *discovery.EC2Server, r *ec2rec.Result, prefs *EC2PreferenceLabels, dst []string) []string {
	sv, p := &s.Server, &s.Server.Perf
	dst = append(dst[:0], sv.ID, s.ExternalID, sv.HostName, sv.VMName, r.Remarks, sv.OSName, sv.OSVersion,
		positiveInt(sv.NumCPUs), positiveInt(sv.NumCores), positiveInt(sv.NumLogical))
	// The requested CPU and RAM.
	ramPct := ""
	if r.UsedRAMKnown && r.RAMMB > 0 {
		ramPct = FormatNumber(r.RequestedRAMMB * 100 / r.RAMMB)
	}
	requestedRAM := ""
	if r.UsedRAMKnown {
		requestedRAM = FormatNumber(r.RequestedRAMMB)
	}
	dst = append(dst, FormatNumber(r.RequestedCPUPct), FormatInt(int64(r.SizedVCPUs)),
		positiveNumber(r.RAMMB), ramPct, requestedRAM)
	// The instance and its price.
	if t := r.Type; t != nil {
		dst = append(dst, t.Name, FormatInt(int64(t.VCPUs)), FormatInt(t.MemoryMiB))
	} else {
		dst = append(dst, "", "", "")
	}
	if r.Type != nil && r.Priced {
		rate := FormatNumber(r.Price.USDPerHour)
		dst = append(dst, "0", rate, rate, FormatTimestamp(r.Price.Source.Effective))
	} else {
		dst = append(dst, "", "", "", "")
	}
	os := ""
	if r.Type != nil {
		os = r.OSType
	}
	dst = append(dst, os, prefs.CPUSizing, prefs.RAMSizing, prefs.Region, prefs.Tenancy,
		prefs.PricingModel, prefs.ContractTerm, prefs.Payment, prefs.ExcludedInstances)
	// The server's applications, tags and identity.
	dst = append(dst, strings.Join(s.Applications, ListSeparator), joinTags(s.Tags), "",
		sv.VMMoRefID, sv.VCenterID, sv.VCenterName, sv.VMFolderPath)
	// Its performance aggregates.
	var perf [7]string
	if p.Samples > 0 {
		perf[0], perf[1] = FormatNumber(avg(p, p.CPUSum)), FormatNumber(p.CPUMax)
		if ram := r.RAMMB; ram > 0 {
			usedAvg := max(ram-avg(p, p.FreeRAMSum), 0)
			perf[2], perf[4] = FormatNumber(usedAvg), FormatNumber(usedAvg*100/ram)
			if p.FreeRAMMinKnown {
				usedMax := max(ram-p.FreeRAMMin, 0)
				perf[3], perf[5] = FormatNumber(usedMax), FormatNumber(usedMax*100/ram)
			}
		}
	}
	perf[6] = positiveInt(sv.NumDisks)
	return appendRates(p, append(dst, perf[:]...))
}

// joinTags writes tags as the import template does: key:value, joined by
// ListSeparator.
func joinTags(tags []discovery.Tag) string {
	if len(tags) == 0 {
		return ""
	}
	var b strings.Builder
	for i, t := range tags {
		if i > 0 {
			b.WriteString(ListSeparator)
		}
		b.WriteString(t.Key + ":" + t.Value)
	}
	return b.String()
}
