package exportfile

import "github.com/poseidon-ads/poseidon/internal/ec2rec"

// EC2Layout is {accountId}_EC2InstanceRecommendations.csv: one row per server
// of the account, by configuration ID (docs/exports.md, "EC2 instance
// recommendations").
var EC2Layout = Layout{"EC2InstanceRecommendations", []string{
	"server.configurationId", "server.hostName", "server.osName", "server.agentId",
	"observed.vCPUs", "observed.ramMB", "observed.samples",
	"cpu.basis", "cpu.percentageAdjust", "cpu.observedPct", "cpu.sizedVCPUs",
	"ram.basis", "ram.percentageAdjust", "ram.observedUsedMB", "ram.sizedMB",
	"recommendation.instanceType", "recommendation.vCPUs", "recommendation.memoryMiB",
	"recommendation.tenancy", "recommendation.preferredRegion",
	"recommendation.purchasingOption", "recommendation.offeringClass", "recommendation.termLength",
	"recommendation.reason",
}}

// EC2Server is what an EC2 recommendations export reads about one server:
// its identity and its sizing input (samples in Sizing.CPUPct and
// Sizing.UsedRAMMB).
type EC2Server struct {
	ID, HostName, OSName, AgentID string
	Sizing                        ec2rec.Server
}

// EC2Record returns the server's row for its sizing result r under prefs.
func EC2Record(s *EC2Server, r *ec2rec.Result, prefs *ec2rec.Preferences, dst []string) []string {
	opt := func(v float64, ok bool) string {
		if !ok {
			return ""
		}
		return FormatDouble(v)
	}
	dst = append(dst[:0], s.ID, s.HostName, s.OSName, s.AgentID,
		positiveInt(r.VCPUs), positiveDouble(r.RAMMB), FormatInt(int64(r.Samples)),
		r.CPU.Name, FormatDouble(r.CPU.Adjust), opt(r.CPUPct, r.CPUPctKnown), FormatInt(int64(r.SizedVCPUs)),
		r.RAM.Name, FormatDouble(r.RAM.Adjust), opt(r.UsedRAMMB, r.UsedRAMKnown), FormatInt(r.SizedRAMMB))
	if t := r.Type; t != nil {
		dst = append(dst, t.Name, FormatInt(int64(t.VCPUs)), FormatInt(t.MemoryMiB))
	} else {
		dst = append(dst, "", "", "")
	}
	return append(dst, prefs.Tenancy, prefs.PreferredRegion, prefs.PurchasingOption, prefs.OfferingClass, prefs.TermLength, r.Reason)
}
