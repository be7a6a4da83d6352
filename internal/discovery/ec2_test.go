package discovery

import (
	"errors"
	"math"
	"testing"
)

func TestEC2Preferences(t *testing.T) {
	p := DefaultEC2Preferences()
	if p.CPU != DefaultMetricBasis || p.RAM != DefaultMetricBasis || p.Tenancy != TenancyShared || p.PurchasingOption != PurchaseOnDemand {
		t.Fatalf("defaults: %+v", p)
	}
	if err := p.Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	good := p
	good.CPU, good.RAM, good.Tenancy = MetricBasis{"p100", 100}, MetricBasis{"SPEC", 0}, TenancyDedicated
	if err := good.Validate(); err != nil {
		t.Fatalf("%+v: %v", good, err)
	}
	for _, bad := range []func(*EC2Preferences){
		func(p *EC2Preferences) { p.CPU.Name = "p101" },
		func(p *EC2Preferences) { p.RAM.Name = "" },
		func(p *EC2Preferences) { p.RAM.Adjust = 101 },
		func(p *EC2Preferences) { p.CPU.Adjust = -1 },
		func(p *EC2Preferences) { p.CPU.Adjust = math.NaN() },
		func(p *EC2Preferences) { p.Tenancy = "HOST" },
	} {
		q := DefaultEC2Preferences()
		bad(&q)
		var e *Error
		if err := q.Validate(); !errors.As(err, &e) || e.Code != InvalidParameterValue {
			t.Errorf("%+v: %v, want InvalidParameterValueException", q, err)
		}
	}
}

func TestMetricBasisPercentile(t *testing.T) {
	for name, want := range map[string]int{"p0": 0, "p5": 5, "p95": 95, "p100": 100} {
		if n, ok := (MetricBasis{Name: name}).Percentile(); !ok || n != want {
			t.Errorf("%s: %d, %v", name, n, ok)
		}
	}
	for _, name := range []string{"AVG", "p101", "p", "p-1", "P5", "p050"} {
		if _, ok := (MetricBasis{Name: name}).Percentile(); ok {
			t.Errorf("%s is a percentile", name)
		}
	}
}
