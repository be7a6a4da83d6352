package discovery

import (
	"regexp"
	"strconv"
)

// Metric bases of UsageMetricBasis.name; pNN (percentile 0..100) is the
// fourth kind.
const (
	BasisAVG  = "AVG"
	BasisMAX  = "MAX"
	BasisSPEC = "SPEC"
)

// Tenancies (model Tenancy).
const (
	TenancyShared    = "SHARED"
	TenancyDedicated = "DEDICATED"
)

// PurchaseOnDemand is the purchasing option of preferences without
// reservedInstanceOptions ("If blank, we assume an On-Demand instance is
// preferred").
const PurchaseOnDemand = "ON_DEMAND"

// MetricBasis is a UsageMetricBasis: AVG, MAX, SPEC or pNN, and the
// percentage (0..100) added to the need it gives.
type MetricBasis struct {
	Name   string
	Adjust float64
}

// DefaultMetricBasis is the basis of a metric the request gives none for:
// the mean, with no adjustment.
var DefaultMetricBasis = MetricBasis{Name: BasisAVG}

var percentile = regexp.MustCompile(`^p(\d{1,2}|100)$`)

// Percentile returns NN of a pNN basis, and whether the basis is one.
func (b MetricBasis) Percentile() (int, bool) {
	m := percentile.FindStringSubmatch(b.Name)
	if m == nil {
		return 0, false
	}
	n, _ := strconv.Atoi(m[1])
	return n, true
}

// EC2Preferences are a StartExportTask's ec2RecommendationsPreferences with
// the defaults applied: AVG with no adjustment for a metric without a basis,
// SHARED tenancy, On-Demand purchasing. An export task of kind KindEC2
// holds them.
type EC2Preferences struct {
	CPU, RAM         MetricBasis
	Tenancy          string   // TenancyShared or TenancyDedicated
	Excluded         []string // instance types ("m5.large") or families ("t3")
	PreferredRegion  string   // "" if not given
	PurchasingOption string   // PurchaseOnDemand without reservedInstanceOptions
	OfferingClass    string
	TermLength       string
}

// DefaultEC2Preferences are the preferences of a request that enables EC2
// recommendations and sets nothing else.
func DefaultEC2Preferences() EC2Preferences {
	return EC2Preferences{CPU: DefaultMetricBasis, RAM: DefaultMetricBasis, Tenancy: TenancyShared, PurchasingOption: PurchaseOnDemand}
}

// Validate reports the first preference that is outside what the model
// allows, as InvalidParameterValueException.
func (p *EC2Preferences) Validate() error {
	for _, b := range []struct {
		member string
		basis  MetricBasis
	}{{"cpuPerformanceMetricBasis", p.CPU}, {"ramPerformanceMetricBasis", p.RAM}} {
		if _, pct := b.basis.Percentile(); !pct && b.basis.Name != BasisAVG && b.basis.Name != BasisMAX && b.basis.Name != BasisSPEC {
			return Errorf(InvalidParameterValue, "The %s name '%s' is not valid: use AVG, MAX, SPEC or p0 to p100.", b.member, b.basis.Name)
		}
		if !(b.basis.Adjust >= 0 && b.basis.Adjust <= 100) {
			return Errorf(InvalidParameterValue, "The %s percentageAdjust %v is not valid: use a value from 0 to 100.", b.member, b.basis.Adjust)
		}
	}
	if p.Tenancy != TenancyShared && p.Tenancy != TenancyDedicated {
		return Errorf(InvalidParameterValue, "The tenancy '%s' is not valid: use SHARED or DEDICATED.", p.Tenancy)
	}
	return nil
}
