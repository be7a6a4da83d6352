package ec2rec

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
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

// Aggregate is a server's running performance aggregate, used when it has no
// stored samples (an imported server, for example).
type Aggregate struct {
	Samples         int64
	CPUAvg, CPUMax  float64 // percent
	FreeRAMAvg      float64 // MB
	FreeRAMMin      float64 // MB, if FreeRAMMinKnown
	FreeRAMMinKnown bool
}

// Server is what sizing reads about one server.
type Server struct {
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
	Agg              Aggregate
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
	CPU, RAM     Basis // as applied: SPEC when samples were missing
	CPUPct       float64
	CPUPctKnown  bool
	SizedVCPUs   int
	UsedRAMMB    float64
	UsedRAMKnown bool
	SizedRAMMB   int64
	Type         *InstanceType // nil if nothing fits
	Architecture string
	Reason       string
}

// Sizer picks instance types for one export's preferences.
type Sizer struct {
	Prefs Preferences
	// candidates per architecture, smallest first.
	candidates map[string][]*InstanceType
}

// NewSizer filters the catalog by the preferences: current generation, not
// bare metal, not excluded, and for DEDICATED tenancy dedicated-host capable
// and not burstable. Candidates are ordered smallest first: least memory,
// then fewest vCPUs, then name.
func NewSizer(catalog []InstanceType, p Preferences) *Sizer {
	s := &Sizer{Prefs: p, candidates: map[string][]*InstanceType{}}
	for i := range catalog {
		t := &catalog[i]
		if !t.CurrentGeneration || t.BareMetal || excluded(t, p.Excluded) {
			continue
		}
		if p.Tenancy == Dedicated && (!t.DedicatedHosts || t.Burstable) {
			continue
		}
		for _, arch := range []string{X8664, ARM64} {
			if t.Supports(arch) {
				s.candidates[arch] = append(s.candidates[arch], t)
			}
		}
	}
	for _, c := range s.candidates {
		slices.SortFunc(c, func(a, b *InstanceType) int {
			return cmp.Or(cmp.Compare(a.MemoryMiB, b.MemoryMiB), cmp.Compare(a.VCPUs, b.VCPUs), strings.Compare(a.Name, b.Name))
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
func Stat(b Basis, samples []float64) (v float64, ok bool) {
	if len(samples) == 0 {
		return 0, false
	}
	switch b.Name {
	case BasisAVG:
		var sum float64
		for _, x := range samples {
			sum += x
		}
		return sum / float64(len(samples)), true
	case BasisMAX:
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
func fromAggregate(b Basis, avg, maxV float64) float64 {
	if b.Name == BasisAVG {
		return avg
	}
	return maxV
}

func adjust(v float64, b Basis) float64 { return v * (1 + b.Adjust/100) }

// ceilNeed rounds a need up to a whole number, ignoring float noise below 1e-9.
func ceilNeed(v float64) float64 { return math.Ceil(v - 1e-9) }

// Size sizes one server and picks its instance type.
func (s *Sizer) Size(srv *Server) Result {
	r := Result{VCPUs: srv.VCPUs(), RAMMB: srv.RAMMB(), CPU: s.Prefs.CPU, RAM: s.Prefs.RAM, Architecture: ArchOf(srv.CPUType)}
	var notes []string
	haveSamples := len(srv.CPUPct) > 0
	if haveSamples {
		r.Samples = len(srv.CPUPct)
	}

	// CPU.
	switch {
	case r.CPU.Name == BasisSPEC:
		r.CPUPct, r.CPUPctKnown = 100, true
	case haveSamples:
		r.CPUPct, r.CPUPctKnown = Stat(r.CPU, srv.CPUPct)
	case srv.Agg.Samples > 0:
		r.CPUPct, r.CPUPctKnown = fromAggregate(r.CPU, srv.Agg.CPUAvg, srv.Agg.CPUMax), true
		if _, pct := r.CPU.Percentile(); pct {
			notes = append(notes, fmt.Sprintf("CPU %s taken as the maximum of the aggregate (no samples)", r.CPU.Name))
		}
	default:
		// No usage data: the specification, without the adjustment.
		r.CPU, r.CPUPct, r.CPUPctKnown = Basis{Name: BasisSPEC}, 100, true
	}
	cpuNeed := 0.0
	if r.VCPUs > 0 {
		cpuNeed = adjust(float64(r.VCPUs)*r.CPUPct/100, r.CPU)
	} else {
		notes = append(notes, "vCPU count unknown: sized for 1 vCPU")
	}
	r.SizedVCPUs = int(max(ceilNeed(cpuNeed), 1))

	// RAM.
	switch {
	case r.RAM.Name == BasisSPEC:
		r.UsedRAMMB, r.UsedRAMKnown = r.RAMMB, r.RAMMB > 0
	case len(srv.UsedRAMMB) > 0:
		r.UsedRAMMB, r.UsedRAMKnown = Stat(r.RAM, srv.UsedRAMMB)
	case srv.Agg.Samples > 0 && r.RAMMB > 0:
		minFree := srv.Agg.FreeRAMAvg
		if srv.Agg.FreeRAMMinKnown {
			minFree = srv.Agg.FreeRAMMin
		}
		r.UsedRAMMB = fromAggregate(r.RAM, r.RAMMB-srv.Agg.FreeRAMAvg, r.RAMMB-minFree)
		r.UsedRAMKnown = true
		if _, pct := r.RAM.Percentile(); pct {
			notes = append(notes, fmt.Sprintf("RAM %s taken as the maximum of the aggregate (no samples)", r.RAM.Name))
		}
	default:
		r.RAM = Basis{Name: BasisSPEC}
		r.UsedRAMMB, r.UsedRAMKnown = r.RAMMB, r.RAMMB > 0
	}
	r.UsedRAMMB = max(r.UsedRAMMB, 0)
	if !r.UsedRAMKnown {
		notes = append(notes, "RAM size unknown: no memory need")
	}
	r.SizedRAMMB = int64(ceilNeed(adjust(r.UsedRAMMB, r.RAM)))

	source := fmt.Sprintf("sized from %d samples", r.Samples)
	switch {
	case s.Prefs.CPU.Name == BasisSPEC && s.Prefs.RAM.Name == BasisSPEC:
		source = "sized from the server's specification (SPEC)"
	case r.Samples > 0:
	case srv.Agg.Samples > 0:
		source = fmt.Sprintf("no samples stored: sized from the server's performance aggregate of %d samples", srv.Agg.Samples)
	default:
		source = "no performance samples: sized from the server's specification (all vCPUs, all RAM)"
	}

	if r.VCPUs == 0 && !r.UsedRAMKnown && r.Samples == 0 && srv.Agg.Samples == 0 {
		r.Reason = "No recommendation: the server has no performance samples and no known vCPU count or RAM size."
		return r
	}
	for _, t := range s.candidates[r.Architecture] {
		if int64(t.VCPUs) >= int64(r.SizedVCPUs) && t.MemoryMiB >= r.SizedRAMMB {
			r.Type = t
			break
		}
	}
	tenancy := "shared tenancy"
	if s.Prefs.Tenancy == Dedicated {
		tenancy = "dedicated tenancy (dedicated-host capable, not burstable)"
	}
	if r.Type == nil {
		r.Reason = fmt.Sprintf("No recommendation: no current-generation %s instance type for %s, outside the exclusions, has at least %d vCPUs and %d MiB; %s.",
			r.Architecture, tenancy, r.SizedVCPUs, r.SizedRAMMB, source)
	} else {
		r.Reason = fmt.Sprintf("Smallest current-generation %s instance type for %s with at least %d vCPUs and %d MiB; %s.",
			r.Architecture, tenancy, r.SizedVCPUs, r.SizedRAMMB, source)
	}
	if len(notes) > 0 {
		r.Reason += " " + strings.Join(notes, "; ") + "."
	}
	return r
}
