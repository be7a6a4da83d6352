package exportfile

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// TestLineMatchesRecords: the agent rows encoded by Line are byte for byte
// AppendRow of their records, over cells that need quoting (commas, quotes,
// line breaks, leading spaces, `\.`), odd numbers and times.
func TestLineMatchesRecords(t *testing.T) {
	texts := []string{"", "a", "a,b", `say "hi"`, "two\nlines", "cr\r", " lead", "\tlead", "\u00a0nbsp", `\.`, "ünï", "trail ", "C:\\Program Files\\x.exe --flag=\"1,2\""}
	floats := []float64{0, math.Copysign(0, -1), 1, -1, 0.1, 14.733333333333338, 1694732, 1e21, 1e-7, -2.5e-300, math.MaxFloat64,
		math.SmallestNonzeroFloat64, math.NaN(), math.Inf(1), math.Inf(-1)}
	ints := []int64{0, 1, -1, 65535, math.MaxInt64, math.MinInt64}
	times := []time.Time{time.Date(2026, 3, 1, 14, 5, 9, 999999999, time.UTC), time.Date(2026, 12, 31, 0, 0, 0, 0, time.FixedZone("x", 3600)),
		time.Date(1, 1, 1, 12, 0, 0, 0, time.UTC), time.UnixMilli(0)}
	rng := rand.New(rand.NewPCG(1, 2))
	text := func() string { return texts[rng.IntN(len(texts))] }
	num := func() float64 {
		if rng.IntN(3) == 0 {
			return floats[rng.IntN(len(floats))]
		}
		return rng.NormFloat64() * math.Pow(10, float64(rng.IntN(20)-10))
	}
	integer := func() int64 {
		if rng.IntN(2) == 0 {
			return ints[rng.IntN(len(ints))]
		}
		return rng.Int64N(1<<20) - 1<<19
	}
	when := func() time.Time {
		return times[rng.IntN(len(times))].Add(time.Duration(rng.Int64N(int64(100 * 24 * time.Hour))))
	}
	var l Line
	check := func(kind string, got []byte, rec []string) {
		t.Helper()
		if want := string(AppendRow(nil, rec)); string(got) != want {
			t.Fatalf("%s: Line gives %q, AppendRow of the record %q", kind, got, want)
		}
	}
	for range 5000 {
		acct := text()
		p := discovery.PerfSample{AgentID: text(), DiskReadKBps: num(), DiskWriteKBps: num(), DiskReadOps: num(), DiskWriteOps: num(),
			NetReadKBps: num(), NetWriteKBps: num(), NumLogical: integer(), NumCores: integer(), NumCPUs: integer(), NumDisks: integer(),
			NumNICs: integer(), CPUPct: num(), DiskSizeGB: num(), DiskFreeGB: num(), TotalRAMMB: num(), FreeRAMMB: num(), Time: when()}
		check("perf", l.PerfSample(acct, &p), PerfSampleRecord(acct, &p, nil))
		o := discovery.OSInfo{AgentID: text(), OSName: text(), OSVersion: text(), CPUType: text(), HostName: text(), Hypervisor: text(), Time: when()}
		check("osInfo", l.OSInfo(acct, &o), OSInfoRecord(acct, &o, nil))
		n := discovery.NICSample{AgentID: text(), Name: text(), MACAddress: text(), Family: []string{"", "IPv4", "IPv6", text()}[rng.IntN(4)],
			IPAddress: []string{"10.0.0.1", "fe80::1", text()}[rng.IntN(3)], Gateway: text(), NetMask: text(), Time: when()}
		check("nic", l.NICSample(acct, &n), NICSampleRecord(acct, &n, nil))
		pr := discovery.ProcessSample{AgentID: text(), PID: integer(), IsSystem: rng.IntN(2) == 0, Name: text(), CommandLine: text(), Path: text(), Time: when()}
		check("process", l.ProcessSample(acct, &pr), ProcessSampleRecord(acct, &pr, nil))
		c := discovery.ConnectionSample{AgentID: text(), SourceIP: text(), SourcePort: integer(), DestinationIP: text(), DestinationPort: integer(),
			IPVersion: text(), TransportProtocol: text(), PID: []int64{0, integer()}[rng.IntN(2)], Time: when()}
		check("connection", l.ConnectionSample(acct, &c), ConnectionSampleRecord(acct, &c, nil))
	}
}
