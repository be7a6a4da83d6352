// Package ec2rec sizes servers for EC2: it turns a server's observed CPU and
// RAM use into a need, by the export's metric bases and adjustments, and
// picks the smallest fitting instance type from an embedded catalog.
// docs/exports.md ("EC2 instance recommendations") documents the method.
package ec2rec

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// catalogCSV is a copy of ../shared/data/ec2-instance-types.csv: the facts
// EC2's DescribeInstanceTypes reports, without prices.
//
//go:embed instance-types.csv
var catalogCSV []byte

// InstanceType is one row of the catalog.
type InstanceType struct {
	Name              string
	VCPUs             int
	Cores             int
	MemoryMiB         int64
	CurrentGeneration bool
	Architectures     []string // x86_64, i386, arm64, x86_64_mac, arm64_mac
	BareMetal         bool
	Burstable         bool
	DedicatedHosts    bool
}

// Family is the part of the name before the first dot ("m5" of "m5.large").
func (t *InstanceType) Family() string {
	family, _, _ := strings.Cut(t.Name, ".")
	return family
}

// Supports reports whether the type runs the architecture.
func (t *InstanceType) Supports(arch string) bool { return slices.Contains(t.Architectures, arch) }

var catalog = sync.OnceValues(func() ([]InstanceType, error) { return ParseCatalog(catalogCSV) })

// Catalog returns the embedded catalog, in file order. Callers must not modify it.
func Catalog() ([]InstanceType, error) { return catalog() }

// ParseCatalog reads a catalog in the embedded file's format: a header row,
// then instanceType,vcpus,cores,memoryMiB,currentGeneration,architectures
// (separated by |),bareMetal,burstable,dedicatedHosts, and further columns
// that are ignored.
func ParseCatalog(b []byte) ([]InstanceType, error) {
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("instance type catalog: %w", err)
	}
	want := []string{"instanceType", "vcpus", "cores", "memoryMiB", "currentGeneration", "architectures", "bareMetal", "burstable", "dedicatedHosts"}
	if len(rows) == 0 || len(rows[0]) < len(want) || !slices.Equal(rows[0][:len(want)], want) {
		return nil, fmt.Errorf("instance type catalog: header must start with %s", strings.Join(want, ","))
	}
	out := make([]InstanceType, 0, len(rows)-1)
	for i, r := range rows[1:] {
		var (
			t    = InstanceType{Name: r[0], Architectures: strings.Split(r[5], "|")}
			errs []error
		)
		atoi := func(s string) int {
			v, err := strconv.Atoi(s)
			errs = append(errs, err)
			return v
		}
		bool_ := func(s string) bool {
			v, err := strconv.ParseBool(s)
			errs = append(errs, err)
			return v
		}
		t.VCPUs, t.Cores, t.MemoryMiB = atoi(r[1]), atoi(r[2]), int64(atoi(r[3]))
		t.CurrentGeneration, t.BareMetal, t.Burstable, t.DedicatedHosts = bool_(r[4]), bool_(r[6]), bool_(r[7]), bool_(r[8])
		for _, err := range errs {
			if err != nil {
				return nil, fmt.Errorf("instance type catalog line %d (%s): %w", i+2, t.Name, err)
			}
		}
		out = append(out, t)
	}
	return out, nil
}
