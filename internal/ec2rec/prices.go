package ec2rec

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Operating systems of the price lists, as EC2InstanceRecommendations.csv
// names them in Recommendation.EC2.Instance.OSType.
const (
	Linux   = "Linux"
	Windows = "Windows"
)

// The embedded price lists are copies of ../shared/data/ec2-ondemand-prices.csv
// and ec2-ondemand-prices-karpenter.csv with AWS Regions only, made by
// scripts/gen-ec2-prices.sh. Both hold public EC2 On-Demand list prices in
// USD per hour for shared tenancy and no pre-installed software, with the
// columns region,instanceType,operatingSystem,usdPerHour:
//
//   - ec2-ondemand-prices.csv: 34 Regions, Linux and Windows (licence
//     included), from github.com/cristim/ec2-instances-info
//     v0.0.0-20250528091325-32acf84f42eb, data/instances.json as of commit
//     f9eafba8 (2025-04-24 13:17:44 UTC), a copy of the ec2instances.info
//     dataset built from the AWS Price List API. MIT licence (data of
//     ec2instances.info, Copyright (c) 2013 Garret Heaton).
//   - ec2-ondemand-prices-karpenter.csv: Linux in us-east-1 (generated
//     2026-07-20 13:44:30 UTC), us-gov-west-1 and us-gov-east-1 (generated
//     2026-08-24 13:29:56 UTC), from github.com/aws/karpenter-provider-aws
//     v1.15.2, pkg/providers/pricing/zz_generated.pricing_aws*.go. Apache-2.0.
//     Where it has a (region, type, Linux) price, that price is used.
//
//go:embed ec2-ondemand-prices.csv.gz
var pricesGz []byte

//go:embed ec2-ondemand-prices-karpenter.csv.gz
var karpenterPricesGz []byte

// PriceSource is one price list: where its numbers come from and when they
// were taken, which EC2InstanceRecommendations.csv gives as the price's
// effective date.
type PriceSource struct {
	Name      string
	Effective time.Time
}

// The sources of the embedded lists; karpenter's us-east-1 and GovCloud files
// were generated on different days.
var (
	sourceInstancesInfo = &PriceSource{"ec2-instances-info data/instances.json (commit f9eafba8)",
		time.Date(2025, 4, 24, 13, 17, 44, 0, time.UTC)}
	sourceKarpenterUSEast1 = &PriceSource{"karpenter-provider-aws v1.15.2 zz_generated.pricing_aws.go",
		time.Date(2026, 7, 20, 13, 44, 30, 0, time.UTC)}
	sourceKarpenterGov = &PriceSource{"karpenter-provider-aws v1.15.2 zz_generated.pricing_aws_us_gov.go",
		time.Date(2026, 8, 24, 13, 29, 56, 0, time.UTC)}
)

// Price is an hourly On-Demand rate and its source.
type Price struct {
	USDPerHour float64
	Source     *PriceSource
}

// typePrices are one instance type's rates in one Region: Linux, Windows.
type typePrices [2]Price

// Prices is an On-Demand price table by Region, instance type and OS.
type Prices struct {
	regions map[string]map[string]typePrices
}

var embeddedPrices = sync.OnceValues(func() (*Prices, error) {
	p := &Prices{regions: map[string]map[string]typePrices{}}
	if err := p.add(pricesGz, func(string) *PriceSource { return sourceInstancesInfo }); err != nil {
		return nil, fmt.Errorf("price list ec2-ondemand-prices.csv: %w", err)
	}
	err := p.add(karpenterPricesGz, func(region string) *PriceSource {
		if region == "us-east-1" {
			return sourceKarpenterUSEast1
		}
		return sourceKarpenterGov
	})
	if err != nil {
		return nil, fmt.Errorf("price list ec2-ondemand-prices-karpenter.csv: %w", err)
	}
	return p, nil
})

// EmbeddedPrices returns the embedded price table, parsed once per process.
// Callers must not modify it.
func EmbeddedPrices() (*Prices, error) { return embeddedPrices() }

// ParsePrices reads price lists in the embedded format (uncompressed CSV),
// all from one source; a later list's prices replace earlier ones.
func ParsePrices(src *PriceSource, lists ...[]byte) (*Prices, error) {
	p := &Prices{regions: map[string]map[string]typePrices{}}
	for _, b := range lists {
		if err := p.read(bytes.NewReader(b), func(string) *PriceSource { return src }); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func (p *Prices) add(gz []byte, source func(region string) *PriceSource) error {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return err
	}
	return p.read(zr, source)
}

func (p *Prices) read(r io.Reader, source func(region string) *PriceSource) error {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return err
	}
	if !slices.Equal(head, []string{"region", "instanceType", "operatingSystem", "usdPerHour"}) {
		return fmt.Errorf("header %q is not region,instanceType,operatingSystem,usdPerHour", head)
	}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		usd, err := strconv.ParseFloat(rec[3], 64)
		if err != nil || usd <= 0 {
			return fmt.Errorf("line %d: price %q is not a positive number", line, rec[3])
		}
		var os int
		switch rec[2] {
		case Linux:
		case Windows:
			os = 1
		default:
			return fmt.Errorf("line %d: operating system %q is not Linux or Windows", line, rec[2])
		}
		types := p.regions[rec[0]]
		if types == nil {
			types = map[string]typePrices{}
			p.regions[rec[0]] = types
		}
		tp := types[rec[1]]
		tp[os] = Price{USDPerHour: usd, Source: source(rec[0])}
		types[rec[1]] = tp
	}
}

// HasRegion reports whether the table has prices for the Region.
func (p *Prices) HasRegion(region string) bool {
	if p == nil {
		return false
	}
	_, ok := p.regions[region]
	return ok
}

// Lookup returns the hourly On-Demand rate of the instance type in the
// Region for the OS (Linux or Windows).
func (p *Prices) Lookup(region, instanceType, os string) (Price, bool) {
	if p == nil {
		return Price{}, false
	}
	tp := p.regions[region][instanceType]
	i := 0
	if os == Windows {
		i = 1
	}
	return tp[i], tp[i].Source != nil
}

// RegionName returns a Region's long name as botocore's endpoint data gives
// it ("US West (Oregon)" for us-west-2), or the code itself if it is unknown.
func RegionName(code string) string {
	if n, ok := regionNames[code]; ok {
		return n
	}
	return code
}
