package ec2rec

import (
	"strings"
	"testing"
)

const testCatalog = `instanceType,vcpus,cores,memoryMiB,currentGeneration,architectures,bareMetal,burstable,dedicatedHosts,hypervisor,networkPerformance
t3.nano,2,1,512,true,x86_64,false,true,true,nitro,x
t3.small,2,1,2048,true,x86_64,false,true,true,nitro,x
t2.micro,1,1,1024,true,i386|x86_64,false,true,false,xen,x
c5.large,2,1,4096,true,x86_64,false,false,true,nitro,x
c6i.large,2,1,4096,true,x86_64,false,false,true,nitro,x
m5.large,2,1,8192,true,x86_64,false,false,false,nitro,x
m5.xlarge,4,2,16384,true,x86_64,false,false,true,nitro,x
m4.xlarge,4,2,16384,false,x86_64,false,false,true,xen,x
c5.2xlarge,8,4,16384,true,x86_64,false,false,true,nitro,x
m5.metal,96,48,393216,true,x86_64,true,false,true,,x
m6g.large,2,2,8192,true,arm64,false,false,true,nitro,x
m6g.xlarge,4,4,16384,true,arm64,false,false,true,nitro,x
mac2.metal,8,4,16384,true,arm64_mac,true,false,true,,x
`

func testSizer(t *testing.T, p Preferences) *Sizer {
	t.Helper()
	cat, err := ParseCatalog([]byte(testCatalog))
	if err != nil {
		t.Fatal(err)
	}
	if p.Tenancy == "" {
		p.Tenancy = Shared
	}
	if p.CPU.Name == "" {
		p.CPU = DefaultBasis
	}
	if p.RAM.Name == "" {
		p.RAM = DefaultBasis
	}
	return NewSizer(cat, p)
}

// ten samples 10..100 (CPU %) and 100..1000 (used MB).
func tenSamples() ([]float64, []float64) {
	var cpu, ram []float64
	for i := 10; i >= 1; i-- { // unsorted on purpose
		cpu = append(cpu, float64(10*i))
		ram = append(ram, float64(100*i))
	}
	return cpu, ram
}

func TestStat(t *testing.T) {
	for _, tc := range []struct {
		basis string
		want  float64
		ok    bool
	}{
		{"AVG", 55, true}, {"MAX", 100, true}, {"p0", 10, true}, {"p1", 10, true}, {"p10", 10, true}, {"p11", 20, true},
		{"p50", 50, true}, {"p95", 100, true}, {"p90", 90, true}, {"p100", 100, true}, {"SPEC", 0, false},
	} {
		cpu, _ := tenSamples()
		got, ok := Stat(Basis{Name: tc.basis}, cpu)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s = %v, %v; want %v, %v", tc.basis, got, ok, tc.want, tc.ok)
		}
	}
	if _, ok := Stat(Basis{Name: "AVG"}, nil); ok {
		t.Error("AVG of no samples is known")
	}
}

func TestSize(t *testing.T) {
	for _, tc := range []struct {
		name       string
		prefs      Preferences
		srv        Server // samples filled from tenSamples unless noSamples
		noSamples  bool
		wantVCPUs  int
		wantRAM    int64
		wantType   string // "" for no recommendation
		wantReason string // substring
	}{
		// 4 vCPUs, 8192 MB; CPU 10..100%, used RAM 100..1000 MB.
		{name: "AVG", prefs: Preferences{CPU: Basis{Name: "AVG"}, RAM: Basis{Name: "AVG"}}, srv: Server{NumLogical: 4, TotalRAMMB: 8192},
			wantVCPUs: 3, wantRAM: 550, wantType: "m5.xlarge", wantReason: "sized from 10 samples"},
		{name: "MAX", prefs: Preferences{CPU: Basis{Name: "MAX"}, RAM: Basis{Name: "MAX"}}, srv: Server{NumLogical: 4, TotalRAMMB: 8192},
			wantVCPUs: 4, wantRAM: 1000, wantType: "m5.xlarge"},
		{name: "p50", prefs: Preferences{CPU: Basis{Name: "p50"}, RAM: Basis{Name: "p50"}}, srv: Server{NumLogical: 4, TotalRAMMB: 8192},
			wantVCPUs: 2, wantRAM: 500, wantType: "t3.nano"},
		{name: "p95", prefs: Preferences{CPU: Basis{Name: "p95"}, RAM: Basis{Name: "p95"}}, srv: Server{NumLogical: 4, TotalRAMMB: 8192},
			wantVCPUs: 4, wantRAM: 1000, wantType: "m5.xlarge"},
		{name: "p100", prefs: Preferences{CPU: Basis{Name: "p100"}, RAM: Basis{Name: "p0"}}, srv: Server{NumLogical: 4, TotalRAMMB: 8192},
			wantVCPUs: 4, wantRAM: 100, wantType: "m5.xlarge"},
		{name: "SPEC", prefs: Preferences{CPU: Basis{Name: "SPEC"}, RAM: Basis{Name: "SPEC"}}, srv: Server{NumLogical: 4, TotalRAMMB: 8192},
			wantVCPUs: 4, wantRAM: 8192, wantType: "m5.xlarge", wantReason: "specification (SPEC)"},
		{name: "percentageAdjust", prefs: Preferences{CPU: Basis{Name: "p50", Adjust: 50}, RAM: Basis{Name: "AVG", Adjust: 10}},
			srv: Server{NumLogical: 4, TotalRAMMB: 8192}, wantVCPUs: 3, wantRAM: 605, wantType: "m5.xlarge"},
		{name: "small need gets one vCPU", prefs: Preferences{CPU: Basis{Name: "p0"}, RAM: Basis{Name: "p0"}}, srv: Server{NumLogical: 1, TotalRAMMB: 1024},
			wantVCPUs: 1, wantRAM: 100, wantType: "t3.nano"},
		{name: "cores when no logical count", prefs: Preferences{CPU: Basis{Name: "SPEC"}, RAM: Basis{Name: "p0"}}, srv: Server{NumCores: 8, NumCPUs: 2},
			wantVCPUs: 8, wantRAM: 100, wantType: "c5.2xlarge"},
		{name: "exclusions by type and family", prefs: Preferences{Excluded: []string{"T3", "t2", "c5.large"}, RAM: Basis{Name: "SPEC"}},
			srv: Server{NumLogical: 2, TotalRAMMB: 1000}, wantVCPUs: 2, wantRAM: 1000, wantType: "c6i.large"},
		{name: "dedicated excludes burstable and no dedicated hosts", prefs: Preferences{Tenancy: Dedicated, CPU: Basis{Name: "p0"}, RAM: Basis{Name: "SPEC"}},
			srv: Server{NumLogical: 2, TotalRAMMB: 5000}, wantVCPUs: 1, wantRAM: 5000, wantType: "m5.xlarge", wantReason: "dedicated tenancy"},
		{name: "shared allows burstable", prefs: Preferences{CPU: Basis{Name: "p0"}, RAM: Basis{Name: "SPEC"}},
			srv: Server{NumLogical: 2, TotalRAMMB: 1024}, wantVCPUs: 1, wantRAM: 1024, wantType: "t2.micro"},
		{name: "arm64", prefs: Preferences{CPU: Basis{Name: "SPEC"}, RAM: Basis{Name: "SPEC"}}, srv: Server{CPUType: "aarch64", NumLogical: 2, TotalRAMMB: 4096},
			wantVCPUs: 2, wantRAM: 4096, wantType: "m6g.large", wantReason: "arm64"},
		{name: "nothing fits", prefs: Preferences{CPU: Basis{Name: "SPEC"}, RAM: Basis{Name: "SPEC"}}, srv: Server{NumLogical: 64, TotalRAMMB: 8192},
			wantVCPUs: 64, wantRAM: 8192, wantType: "", wantReason: "No recommendation: no current-generation x86_64"},
		{name: "no samples uses the specification, unadjusted", prefs: Preferences{CPU: Basis{Name: "p95", Adjust: 50}, RAM: Basis{Name: "AVG", Adjust: 50}}, srv: Server{NumLogical: 2, TotalRAMMB: 3000},
			noSamples: true, wantVCPUs: 2, wantRAM: 3000, wantType: "c5.large", wantReason: "no performance samples"},
		{name: "no samples uses the aggregate", prefs: Preferences{CPU: Basis{Name: "AVG"}, RAM: Basis{Name: "MAX"}},
			srv:       Server{NumLogical: 4, TotalRAMMB: 8192, Agg: Aggregate{Samples: 3, CPUAvg: 25, CPUMax: 90, FreeRAMAvg: 7000, FreeRAMMin: 6000, FreeRAMMinKnown: true}},
			noSamples: true, wantVCPUs: 1, wantRAM: 2192, wantType: "c5.large", wantReason: "aggregate of 3 samples"},
		{name: "nothing known", srv: Server{}, noSamples: true, wantVCPUs: 1, wantRAM: 0, wantReason: "no known vCPU count or RAM size"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := tc.srv
			if !tc.noSamples {
				srv.CPUPct, srv.UsedRAMMB = tenSamples()
			}
			r := testSizer(t, tc.prefs).Size(&srv)
			got := ""
			if r.Type != nil {
				got = r.Type.Name
			}
			if r.SizedVCPUs != tc.wantVCPUs || r.SizedRAMMB != tc.wantRAM || got != tc.wantType || !strings.Contains(r.Reason, tc.wantReason) {
				t.Errorf("got %d vCPUs, %d MiB, %q (%s); want %d, %d, %q (%q)", r.SizedVCPUs, r.SizedRAMMB, got, r.Reason,
					tc.wantVCPUs, tc.wantRAM, tc.wantType, tc.wantReason)
			}
		})
	}
}

func TestParsePreferences(t *testing.T) {
	p, err := ParsePreferences("")
	if err != nil || p.CPU != DefaultBasis || p.RAM != DefaultBasis || p.Tenancy != Shared || p.PurchasingOption != OnDemand {
		t.Fatalf("defaults: %+v, %v", p, err)
	}
	p, err = ParsePreferences(`{"ec2RecommendationsPreferences":{"enabled":true,"cpuPerformanceMetricBasis":{"name":"p95","percentageAdjust":20},
		"ramPerformanceMetricBasis":{"percentageAdjust":5},"tenancy":"DEDICATED","excludedInstanceTypes":["t3"],"preferredRegion":"eu-west-1",
		"reservedInstanceOptions":{"purchasingOption":"NO_UPFRONT","offeringClass":"STANDARD","termLength":"ONE_YEAR"}}}`)
	if err != nil {
		t.Fatal(err)
	}
	if p.CPU != (Basis{"p95", 20}) || p.RAM != (Basis{"AVG", 5}) || p.Tenancy != Dedicated || len(p.Excluded) != 1 || p.PreferredRegion != "eu-west-1" ||
		p.PurchasingOption != "NO_UPFRONT" || p.OfferingClass != "STANDARD" || p.TermLength != "ONE_YEAR" {
		t.Fatalf("%+v", p)
	}
	for _, bad := range []string{`{`, `{"ec2RecommendationsPreferences":{"cpuPerformanceMetricBasis":{"name":"p101"}}}`,
		`{"ec2RecommendationsPreferences":{"tenancy":"HOST"}}`, `{"ec2RecommendationsPreferences":{"ramPerformanceMetricBasis":{"percentageAdjust":101}}}`} {
		if _, err := ParsePreferences(bad); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

// The embedded catalog parses, and the real data give sensible picks.
func TestEmbeddedCatalog(t *testing.T) {
	cat, err := Catalog()
	if err != nil {
		t.Fatal(err)
	}
	if len(cat) != 1263 {
		t.Fatalf("%d types", len(cat))
	}
	s := NewSizer(cat, Preferences{CPU: Basis{Name: "SPEC"}, RAM: Basis{Name: "SPEC"}, Tenancy: Dedicated})
	for _, ts := range s.candidates {
		for _, c := range ts {
			if c.Burstable || !c.DedicatedHosts || c.BareMetal || !c.CurrentGeneration {
				t.Fatalf("candidate %+v", c)
			}
		}
	}
	r := s.Size(&Server{NumLogical: 4, TotalRAMMB: 16384})
	if r.Type == nil || r.Type.VCPUs < 4 || r.Type.MemoryMiB < 16384 || r.Type.Burstable {
		t.Fatalf("%+v", r)
	}
}
