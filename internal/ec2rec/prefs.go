package ec2rec

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Metric bases of UsageMetricBasis.name.
const (
	BasisAVG  = "AVG"
	BasisMAX  = "MAX"
	BasisSPEC = "SPEC"
)

// Tenancies.
const (
	Shared    = "SHARED"
	Dedicated = "DEDICATED"
)

// OnDemand is the purchasing option recorded when the request has no
// reservedInstanceOptions ("If blank, we assume an On-Demand instance is
// preferred").
const OnDemand = "ON_DEMAND"

// Basis is a metric basis: AVG, MAX, SPEC or pNN (percentile 0..100), and the
// percentage added to the need it gives.
type Basis struct {
	Name   string
	Adjust float64 // percent, 0..100
}

var percentile = regexp.MustCompile(`^p(\d{1,2}|100)$`)

// Percentile returns NN of a pNN basis, and whether the basis is one.
func (b Basis) Percentile() (int, bool) {
	m := percentile.FindStringSubmatch(b.Name)
	if m == nil {
		return 0, false
	}
	n, _ := strconv.Atoi(m[1])
	return n, true
}

func (b Basis) valid() bool {
	_, pct := b.Percentile()
	return pct || b.Name == BasisAVG || b.Name == BasisMAX || b.Name == BasisSPEC
}

// Preferences are an export's ec2RecommendationsPreferences, defaults applied.
type Preferences struct {
	CPU, RAM         Basis
	Tenancy          string   // SHARED or DEDICATED
	Excluded         []string // instance types ("m5.large") or families ("t3")
	PreferredRegion  string   // "" if not given
	PurchasingOption string   // OnDemand if no reservedInstanceOptions
	OfferingClass    string
	TermLength       string
}

// DefaultBasis is the basis of a metric the request does not give one for:
// the mean, with no adjustment.
var DefaultBasis = Basis{Name: BasisAVG}

// ParsePreferences reads the stored preferences JSON of an export (the
// request's ExportPreferences union) and applies the defaults: AVG with a 0%
// adjustment for a missing basis or basis name, SHARED tenancy, no
// exclusions, no region and ON_DEMAND purchasing. "" gives the defaults.
func ParsePreferences(raw string) (Preferences, error) {
	type basis struct {
		Name             *string  `json:"name"`
		PercentageAdjust *float64 `json:"percentageAdjust"`
	}
	var in struct {
		EC2 *struct {
			CPU      *basis   `json:"cpuPerformanceMetricBasis"`
			RAM      *basis   `json:"ramPerformanceMetricBasis"`
			Tenancy  *string  `json:"tenancy"`
			Excluded []string `json:"excludedInstanceTypes"`
			Region   *string  `json:"preferredRegion"`
			Reserved *struct {
				PurchasingOption string `json:"purchasingOption"`
				OfferingClass    string `json:"offeringClass"`
				TermLength       string `json:"termLength"`
			} `json:"reservedInstanceOptions"`
		} `json:"ec2RecommendationsPreferences"`
	}
	p := Preferences{CPU: DefaultBasis, RAM: DefaultBasis, Tenancy: Shared, PurchasingOption: OnDemand}
	if strings.TrimSpace(raw) == "" {
		return p, nil
	}
	if err := json.Unmarshal([]byte(raw), &in); err != nil {
		return p, fmt.Errorf("export preferences: %w", err)
	}
	e := in.EC2
	if e == nil {
		return p, nil
	}
	toBasis := func(b *basis, what string) (Basis, error) {
		out := DefaultBasis
		if b == nil {
			return out, nil
		}
		if b.Name != nil {
			out.Name = *b.Name
		}
		if b.PercentageAdjust != nil {
			out.Adjust = *b.PercentageAdjust
		}
		if !out.valid() {
			return out, fmt.Errorf("export preferences: %s name %q is not AVG, MAX, SPEC or p0..p100", what, out.Name)
		}
		if out.Adjust < 0 || out.Adjust > 100 {
			return out, fmt.Errorf("export preferences: %s percentageAdjust %v is not in 0..100", what, out.Adjust)
		}
		return out, nil
	}
	var err error
	if p.CPU, err = toBasis(e.CPU, "cpuPerformanceMetricBasis"); err != nil {
		return p, err
	}
	if p.RAM, err = toBasis(e.RAM, "ramPerformanceMetricBasis"); err != nil {
		return p, err
	}
	if e.Tenancy != nil {
		switch *e.Tenancy {
		case Shared, Dedicated:
			p.Tenancy = *e.Tenancy
		default:
			return p, fmt.Errorf("export preferences: tenancy %q is not SHARED or DEDICATED", *e.Tenancy)
		}
	}
	p.Excluded = e.Excluded
	if e.Region != nil {
		p.PreferredRegion = *e.Region
	}
	if r := e.Reserved; r != nil {
		p.PurchasingOption, p.OfferingClass, p.TermLength = r.PurchasingOption, r.OfferingClass, r.TermLength
	}
	return p, nil
}
