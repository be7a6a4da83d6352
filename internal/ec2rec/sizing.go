package ec2rec

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// Architectures a server can be matched to.
const (
	X8664 = "x86_64"
	ARM64 = "arm64"
)

// ArchOf maps a server's cpuType to a catalog architecture: arm64 for
// "arm64" and "aarch64" (any case, anywhere in the text), x86_64 otherwise.
func ArchOf(cpuType string) string {
	s := strings.ToLower(cpuType)
	if strings.Contains(s, "arm64") || strings.Contains(s, "aarch64") {
		return ARM64
	}
	return X8664
}

// Server is what sizing reads about one server.
type Server struct {
	OSName     string
	CPUType    string
	NumCPUs    int64
	NumCores   int64
	NumLogical int64
	TotalRAMMB float64
	// CPUPct and UsedRAMMB are the server's samples: CPU use in percent of
	// the whole server, and total minus free RAM in MB. Size sorts them in
	// place.
	CPUPct, UsedRAMMB []float64
	// SampleTotalRAMMB is the largest totalRAM of the samples, used when the
	// server has no totalRAM of its own.
	SampleTotalRAMMB float64
	// Perf is the server's performance aggregate, used when it has no
	// stored samples (an imported server, for example).
	Perf discovery.PerfAggregate
}

// ServerOf is the sizing input of a server an EC2 recommendations export
// reads: its specification, its performance aggregate and its agent's
// samples (shared with s, not copied: Size sorts them in place).
func ServerOf(s *discovery.EC2Server) Server {
	sv, p := &s.Server, &s.Server.Perf
	return Server{OSName: sv.OSName, CPUType: sv.CPUType, NumCPUs: sv.NumCPUs, NumCores: sv.NumCores, NumLogical: sv.NumLogical,
		TotalRAMMB: sv.TotalRAMMB, CPUPct: s.CPUPct, UsedRAMMB: s.UsedRAMMB, SampleTotalRAMMB: s.SampleTotalRAMMB, Perf: *p}
}

// VCPUs is the server's vCPU count: logical processors, else cores, else CPUs.
func (s *Server) VCPUs() int64 {
	for _, n := range []int64{s.NumLogical, s.NumCores, s.NumCPUs} {
		if n > 0 {
			return n
		}
	}
	return 0
}

// RAMMB is the server's RAM: its totalRAM, else that of its samples.
func (s *Server) RAMMB() float64 {
	if s.TotalRAMMB > 0 {
		return s.TotalRAMMB
	}
	return s.SampleTotalRAMMB
}

// Result is one server's recommendation.
type Result struct {
	Samples      int // samples the sizing read (0 if it used the specification or the aggregate)
	VCPUs        int64
	RAMMB        float64
	CPU, RAM     discovery.MetricBasis // as applied: SPEC when samples were missing
	CPUPct       float64
	CPUPctKnown  bool
	UsedRAMMB    float64
	UsedRAMKnown bool
	// RequestedCPUPct and RequestedRAMMB are the needs with the adjustment
	// applied: CPUPct × (1 + adjust/100) and UsedRAMMB × (1 + adjust/100).
	RequestedCPUPct float64
	RequestedRAMMB  float64
	SizedVCPUs      int           // ceil(VCPUs × RequestedCPUPct/100), at least 1
	SizedRAMMB      int64         // ceil(RequestedRAMMB)
	Type            *InstanceType // nil if nothing fits
	Architecture    string
	OSType          string // Linux or Windows: whose prices apply
	Price           Price  // the On-Demand rate of Type, if Priced
	Priced          bool
	// Remarks explain what is not plain: no recommendation and why, data
	// that was missing, prices that are not given. Empty for a server sized
	// from its samples and priced.
	Remarks string
}

// Sizer picks instance types for one export's preferences.
type Sizer struct {
	Prefs  discovery.EC2Preferences
	prices *Prices
	// candidates per architecture and OS: the types with a price in the
	// preferred Region, cheapest first, then those without, smallest first.
	candidates map[candidateKey][]*InstanceType
	regionName string
}

type candidateKey struct{ arch, os string }

// NewSizer filters the catalog by the preferences: current generation, not
// bare metal, not excluded, and for DEDICATED tenancy dedicated-host capable
// and not burstable. Candidates with an On-Demand price in the preferred
// Region (for the server's OS) come first, cheapest first; then those
// without one, smallest first. Ties are broken by least memory, then fewest
// vCPUs, then name. prices may be nil: candidates are then ordered by size.
func NewSizer(catalog []InstanceType, p discovery.EC2Preferences, prices *Prices) *Sizer {
	s := &Sizer{Prefs: p, prices: prices, candidates: map[candidateKey][]*InstanceType{}, regionName: RegionName(p.PreferredRegion)}
	for i := range catalog {
		t := &catalog[i]
		if !t.CurrentGeneration || t.BareMetal || excluded(t, p.Excluded) {
			continue
		}
		if p.Tenancy == discovery.TenancyDedicated && (!t.DedicatedHosts || t.Burstable) {
			continue
		}
		for _, arch := range []string{X8664, ARM64} {
			if t.Supports(arch) {
				for _, os := range []string{Linux, Windows} {
					k := candidateKey{arch, os}
					s.candidates[k] = append(s.candidates[k], t)
				}
			}
		}
	}
	for k, c := range s.candidates {
		price := func(t *InstanceType) (float64, bool) {
			pr, ok := prices.Lookup(p.PreferredRegion, t.Name, k.os)
			return pr.USDPerHour, ok
		}
		slices.SortFunc(c, func(a, b *InstanceType) int {
			pa, oka := price(a)
			pb, okb := price(b)
			if oka != okb {
				if oka {
					return -1
				}
				return 1
			}
			return cmp.Or(cmp.Compare(pa, pb), cmp.Compare(a.MemoryMiB, b.MemoryMiB), cmp.Compare(a.VCPUs, b.VCPUs), strings.Compare(a.Name, b.Name))
		})
	}
	return s
}

// excluded reports whether an exclusion names the type or its family
// (case-insensitively): "m5.large" excludes that type, "t3" every t3 type.
func excluded(t *InstanceType, list []string) bool {
	for _, x := range list {
		if strings.EqualFold(x, t.Name) || strings.EqualFold(x, t.Family()) {
			return true
		}
	}
	return false
}

// Stat applies a basis to samples, sorting them: AVG the mean, MAX the
// largest, pNN the nearest-rank percentile (the smallest sample with at
// least NN% of the samples at or below it; p0 is the smallest). ok is false
// for SPEC or no samples.
func Stat(b discovery.MetricBasis, samples []float64) (v float64, ok bool) {
	if len(samples) == 0 {
		return 0, false
	}
	switch b.Name {
	case discovery.BasisAVG:
		var sum float64
		for _, x := range samples {
			sum += x
		}
		return sum / float64(len(samples)), true
	case discovery.BasisMAX:
		return slices.Max(samples), true
	}
	p, isPct := b.Percentile()
	if !isPct {
		return 0, false
	}
	slices.Sort(samples)
	rank := int(math.Ceil(float64(p) / 100 * float64(len(samples))))
	return samples[max(rank, 1)-1], true
}

// fromAggregate applies a basis to a server's aggregate: AVG the mean, MAX
// and pNN the largest (the aggregate keeps no distribution).
func fromAggregate(b discovery.MetricBasis, avg, maxV float64) float64 {
	if b.Name == discovery.BasisAVG {
		return avg
	}
	return maxV
}

// adjust applies a basis' percentageAdjust to the need it gives. On SPEC it
// is the share of the specification to provision (Cloud Migration Factory
// sends it as "percent of CPU specification"; 0 means all of it); on a
// utilization basis it is headroom added to the measured use.
func adjust(v float64, b discovery.MetricBasis) float64 {
	if b.Name == discovery.BasisSPEC {
		if b.Adjust == 0 {
			return v
		}
		return v * b.Adjust / 100
	}
	return v * (1 + b.Adjust/100)
}

// ceilNeed rounds a need up to a whole number, ignoring float noise below 1e-9.
func ceilNeed(v float64) float64 { return math.Ceil(v - 1e-9) }

// unsupportedOS names operating systems that Amazon EC2 does not run, as
// they appear in osName (lower case).
var unsupportedOS = []string{"aix", "hp-ux", "hpux", "solaris", "sunos", "z/os", "os/400", "openvms", "ibm i"}

// OSType returns the OS whose prices apply to a server: Windows when its
// osName contains "windows" (any case), Linux otherwise. The remark says so
// when the name is empty or names an OS that Amazon EC2 does not run
// (Migration Hub: "If the operating system for a server is not supported by
// Amazon EC2, that server's returned recommendation will be Linux").
func OSType(osName string) (os, remark string) {
	lower := strings.ToLower(osName)
	switch {
	case strings.Contains(lower, "windows"):
		return Windows, ""
	case strings.TrimSpace(osName) == "":
		return Linux, "The operating system is unknown: Linux prices apply."
	}
	for _, u := range unsupportedOS {
		if strings.Contains(lower, u) {
			return Linux, fmt.Sprintf("The operating system %q does not run on Amazon EC2: Linux prices apply.", osName)
		}
	}
	return Linux, ""
}

// Size sizes one server, picks its instance type and prices it.
func (s *Sizer) Size(srv *Server) Result {
	r := Result{VCPUs: srv.VCPUs(), RAMMB: srv.RAMMB(), CPU: s.Prefs.CPU, RAM: s.Prefs.RAM, Architecture: ArchOf(srv.CPUType)}
	var notes []string
	note := func(format string, args ...any) { notes = append(notes, fmt.Sprintf(format, args...)) }
	haveSamples := len(srv.CPUPct) > 0
	agg := &srv.Perf
	if haveSamples {
		r.Samples = len(srv.CPUPct)
	}
	aggregateUsed := false

	// CPU.
	switch {
	case r.CPU.Name == discovery.BasisSPEC:
		r.CPUPct, r.CPUPctKnown = 100, true
	case haveSamples:
		r.CPUPct, r.CPUPctKnown = Stat(r.CPU, srv.CPUPct)
	case agg.Samples > 0:
		r.CPUPct, r.CPUPctKnown, aggregateUsed = fromAggregate(r.CPU, agg.CPUSum/float64(agg.Samples), agg.CPUMax), true, true
		if _, pct := r.CPU.Percentile(); pct {
			note("CPU %s is the maximum of the aggregate, which keeps no distribution.", r.CPU.Name)
		}
	default:
		// No usage data: the specification, without the adjustment.
		r.CPU, r.CPUPct, r.CPUPctKnown = discovery.MetricBasis{Name: discovery.BasisSPEC}, 100, true
	}
	r.RequestedCPUPct = adjust(r.CPUPct, r.CPU)
	cpuNeed := 0.0
	if r.VCPUs > 0 {
		cpuNeed = float64(r.VCPUs) * r.RequestedCPUPct / 100
	}
	r.SizedVCPUs = int(max(ceilNeed(cpuNeed), 1))

	// RAM.
	switch {
	case r.RAM.Name == discovery.BasisSPEC:
		r.UsedRAMMB, r.UsedRAMKnown = r.RAMMB, r.RAMMB > 0
	case len(srv.UsedRAMMB) > 0:
		r.UsedRAMMB, r.UsedRAMKnown = Stat(r.RAM, srv.UsedRAMMB)
	case agg.Samples > 0 && r.RAMMB > 0:
		avgFree := agg.FreeRAMSum / float64(agg.Samples)
		minFree := avgFree
		if agg.FreeRAMMinKnown {
			minFree = agg.FreeRAMMin
		}
		r.UsedRAMMB = fromAggregate(r.RAM, r.RAMMB-avgFree, r.RAMMB-minFree)
		r.UsedRAMKnown, aggregateUsed = true, true
		if _, pct := r.RAM.Percentile(); pct {
			note("RAM %s is the maximum of the aggregate, which keeps no distribution.", r.RAM.Name)
		}
	default:
		r.RAM = discovery.MetricBasis{Name: discovery.BasisSPEC}
		r.UsedRAMMB, r.UsedRAMKnown = r.RAMMB, r.RAMMB > 0
	}
	r.UsedRAMMB = max(r.UsedRAMMB, 0)
	if r.UsedRAMKnown {
		r.RequestedRAMMB = adjust(r.UsedRAMMB, r.RAM)
	}
	r.SizedRAMMB = int64(ceilNeed(r.RequestedRAMMB))

	r.OSType, _ = OSType(srv.OSName)
	if r.VCPUs == 0 && !r.UsedRAMKnown && r.Samples == 0 && agg.Samples == 0 {
		r.Remarks = "No recommendation: the server has no performance data and no known vCPU count or RAM size."
		return r
	}
	bySpec := s.Prefs.CPU.Name == discovery.BasisSPEC && s.Prefs.RAM.Name == discovery.BasisSPEC
	switch {
	case bySpec || r.Samples > 0:
	case aggregateUsed:
		notes = append([]string{fmt.Sprintf("No samples are stored: sized from the server's performance aggregate of %d samples.", agg.Samples)}, notes...)
	default:
		notes = append([]string{"No performance data: sized from the server's specification (all vCPUs, all RAM)."}, notes...)
	}
	if r.VCPUs == 0 {
		note("The vCPU count is unknown: sized for 1 vCPU.")
	}
	if !r.UsedRAMKnown {
		note("The RAM size is unknown: no memory need.")
	}
	if _, remark := OSType(srv.OSName); remark != "" {
		note("%s", remark)
	}

	for _, t := range s.candidates[candidateKey{r.Architecture, r.OSType}] {
		if int64(t.VCPUs) >= int64(r.SizedVCPUs) && t.MemoryMiB >= r.SizedRAMMB {
			r.Type = t
			break
		}
	}
	if r.Type == nil {
		tenancy := "shared tenancy"
		if s.Prefs.Tenancy == discovery.TenancyDedicated {
			tenancy = "dedicated tenancy (dedicated-host capable, not burstable)"
		}
		notes = append([]string{fmt.Sprintf("No recommendation: no current-generation %s instance type for %s, outside the exclusions, has at least %d vCPUs and %d MiB.",
			r.Architecture, tenancy, r.SizedVCPUs, r.SizedRAMMB)}, notes...)
	} else if remark := s.price(&r); remark != "" {
		note("%s", remark)
	}
	r.Remarks = strings.Join(notes, " ")
	return r
}

// price fills r's price, or returns why the price cells stay empty.
func (s *Sizer) price(r *Result) string {
	p, ok := s.prices.Lookup(s.Prefs.PreferredRegion, r.Type.Name, r.OSType)
	switch {
	case s.Prefs.PreferredRegion == "":
		return "The export has no preferred Region: the smallest fitting type was picked and the price cells are empty."
	case !s.prices.HasRegion(s.Prefs.PreferredRegion):
		return fmt.Sprintf("No On-Demand prices for %s (%s) in poseidon's price data: the smallest fitting type was picked and the price cells are empty.",
			s.regionName, s.Prefs.PreferredRegion)
	case !ok:
		return fmt.Sprintf("No fitting instance type has a %s On-Demand price for %s in poseidon's price data: the smallest fitting type was picked and the price cells are empty.",
			r.OSType, s.regionName)
	case s.Prefs.Tenancy == discovery.TenancyDedicated:
		return "Prices are known for shared tenancy only: picked by shared-tenancy On-Demand price; the price cells are empty for DEDICATED tenancy."
	case s.Prefs.PurchasingOption != discovery.PurchaseOnDemand:
		return "Reserved Instance prices are not in poseidon's price data: picked by On-Demand price; the price cells are empty."
	}
	r.Price, r.Priced = p, true
	return ""
}
