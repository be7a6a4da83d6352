package exportfile

import (
	"bytes"
	"encoding/csv"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

func TestFormatDouble(t *testing.T) {
	tenth, fifth := 0.1, 0.2
	for _, tc := range []struct {
		v    float64
		want string
	}{
		{0, "0.0"},
		{math.Copysign(0, -1), "0.0"},
		{1, "1.0"},
		{1694732, "1694732.0"},
		{14.733333333333338, "14.733333333333338"},
		{tenth + fifth, "0.30000000000000004"},
		{-2.5, "-2.5"},
		{1e21, "1000000000000000000000.0"},
		{1.5e-7, "0.00000015"},
		{123456789.125, "123456789.125"},
		{math.NaN(), ""},
		{math.Inf(1), ""},
	} {
		if got := FormatDouble(tc.v); got != tc.want {
			t.Errorf("FormatDouble(%v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}

func TestFormatNumber(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		want string
	}{
		{0, "0"}, {64, "64"}, {23.9, "23.9"}, {16384, "16384"}, {1e22, "10000000000000000000000"}, {2.5e-8, "0.000000025"},
	} {
		if got := FormatNumber(tc.v); got != tc.want {
			t.Errorf("FormatNumber(%v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}

func TestFormatTimes(t *testing.T) {
	base := time.Date(2026, 3, 1, 14, 5, 9, 0, time.UTC)
	for _, tc := range []struct {
		got, want string
	}{
		{FormatTimestamp(base), "2026-03-01 14:05:09"},
		{FormatTimestamp(base.Add(999 * time.Millisecond)), "2026-03-01 14:05:09"},
		{FormatTimestamp(base.In(time.FixedZone("x", 3600))), "2026-03-01 14:05:09"},
		{FormatAgentTime(base), "03/01/2026 02:05:09 PM"},
		{FormatAgentTime(time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)), "12/31/2026 12:00:00 AM"},
		{FormatAgentTime(time.Date(2026, 1, 2, 12, 30, 0, 0, time.UTC)), "01/02/2026 12:30:00 PM"},
		{FormatConfigTime(base), "2026-03-01 14:05:09.0"},
		{FormatConfigTime(base.Add(250 * time.Millisecond)), "2026-03-01 14:05:09.25"},
		{FormatConfigTime(base.Add(120 * time.Millisecond)), "2026-03-01 14:05:09.12"},
		{FormatConfigTime(base.Add(5 * time.Millisecond)), "2026-03-01 14:05:09.005"},
		{FormatConfigTime(base.Add(5*time.Millisecond + 999*time.Microsecond)), "2026-03-01 14:05:09.005"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

var csvCases = [][]string{
	{"plain", "", "a b", "x"},
	{"comma,inside", `quote"inside`, "line\nbreak", "cr\rreturn", "crlf\r\nend"},
	{" leading space", "\tleading tab", "trailing ", `\.`, `\.x`},
	{"\u00a0nbsp", "\u2028sep", "ünïcödé", "日本語", "emoji 🙂"},
	{"", "", ""},
	{`""`, `"`, ",", "\n"},
}

// csvLine is what encoding/csv writes for one record.
func csvLine(fields []string) string {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(fields)
	w.Flush()
	return b.String()
}

func checkRow(t *testing.T, fields []string) {
	t.Helper()
	got := string(AppendRow(nil, fields))
	if want := csvLine(fields); got != want {
		t.Fatalf("AppendRow(%q) = %q, encoding/csv writes %q", fields, got, want)
	}
	if len(fields) == 1 && fields[0] == "" {
		return // an empty line, which readers skip
	}
	r := csv.NewReader(strings.NewReader(got))
	back, err := r.Read()
	if err != nil {
		t.Fatalf("read back %q: %v", got, err)
	}
	// encoding/csv's reader turns \r\n inside quotes into \n.
	norm := make([]string, len(fields))
	for i, f := range fields {
		norm[i] = strings.ReplaceAll(f, "\r\n", "\n")
	}
	if !slices.Equal(back, norm) {
		t.Fatalf("read back %q, want %q", back, norm)
	}
}

func TestAppendRowMatchesEncodingCSV(t *testing.T) {
	for _, c := range csvCases {
		checkRow(t, c)
	}
}

func FuzzAppendRow(f *testing.F) {
	for _, c := range csvCases {
		f.Add(c[0], c[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if strings.ContainsRune(a+b, '\r') {
			return // encoding/csv's reader drops bare \r inside quotes; the writers still agree
		}
		checkRow(t, []string{a, b, "z"})
	})
}

// Every record has exactly its layout's columns.
func TestRecordsMatchLayouts(t *testing.T) {
	header := func(layouts []Layout, name string) []string {
		for _, l := range layouts {
			if l.Name == name {
				return l.Header
			}
		}
		t.Fatalf("no layout %s", name)
		return nil
	}
	ts := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	srv := discovery.Server{ID: "d-server-1", Perf: discovery.PerfAggregate{Samples: 2}}
	for _, tc := range []struct {
		layouts []Layout
		name    string
		rec     []string
	}{
		{AgentLayouts, "systemPerformance", PerfSampleRecord("1", &discovery.PerfSample{Time: ts}, nil)},
		{AgentLayouts, "osInfo", OSInfoRecord("1", &discovery.OSInfo{Time: ts}, nil)},
		{AgentLayouts, "networkInterface", NICSampleRecord("1", &discovery.NICSample{Time: ts}, nil)},
		{AgentLayouts, "process", ProcessSampleRecord("1", &discovery.ProcessSample{Time: ts}, nil)},
		{AgentLayouts, "sourceProcessConnection", ConnectionSampleRecord("1", &discovery.ConnectionSample{Time: ts}, nil)},
		{AgentLayouts, "destinationProcessConnection", ConnectionSampleRecord("1", &discovery.ConnectionSample{Time: ts}, nil)},
		{SummaryLayouts, "Application", ApplicationRecord(&discovery.Application{}, nil)},
		{SummaryLayouts, "ApplicationResourceAssociation", ApplicationServerRecord(&discovery.ApplicationServer{}, nil)},
		{SummaryLayouts, "ImportTemplate", ImportTemplateRecord(&discovery.ImportTemplateRow{Server: srv}, nil)},
		{SummaryLayouts, "ImportTemplate", ImportTemplateRecord(&discovery.ImportTemplateRow{}, nil)},
		{SummaryLayouts, "NetworkInterface", ServerNICRecord(&discovery.ServerNIC{}, nil)},
		{SummaryLayouts, "Server", ServerRecord(&srv, nil)},
		{SummaryLayouts, "SystemPerformance", PerformanceRecord(&srv, nil)},
		{SummaryLayouts, "SystemPerformance", PerformanceRecord(&discovery.Server{}, nil)},
		{SummaryLayouts, "Tags", ServerTagRecord(&discovery.ServerTag{}, nil)},
		{SummaryLayouts, "VMwareInfo", VMwareRecord(&srv, nil)},
	} {
		if h := header(tc.layouts, tc.name); len(tc.rec) != len(h) {
			t.Errorf("%s: record has %d cells, header %d", tc.name, len(tc.rec), len(h))
		}
	}
}

func TestAgentRecords(t *testing.T) {
	ts := time.Date(2026, 3, 1, 13, 15, 0, 0, time.UTC)
	p := discovery.PerfSample{AgentID: "o-1", Time: ts, DiskReadKBps: 1.5, DiskWriteKBps: 2, DiskReadOps: 3, DiskWriteOps: 4.25, NetReadKBps: 5, NetWriteKBps: 6,
		NumLogical: 8, NumCores: 4, NumCPUs: 1, NumDisks: 2, NumNICs: 1, CPUPct: 12.5, DiskSizeGB: 100, DiskFreeGB: 40.5, TotalRAMMB: 16384, FreeRAMMB: 1e7}
	want := "123456789012,o-1,1.5,2.0,3.0,4.25,5.0,6.0,8,4,1,2,1,12.5,100.0,40.5,16384.0,10000000.0,2026-03-01 13:15:00\n"
	if got := string(AppendRow(nil, PerfSampleRecord("123456789012", &p, nil))); got != want {
		t.Errorf("perf row = %q\nwant       %q", got, want)
	}
	pr := discovery.ProcessSample{AgentID: "o-1", Time: ts, PID: 4242, IsSystem: true, Name: "java", CommandLine: `java -Dx="a,b" -jar app.jar`, Path: "/usr/bin/java"}
	want = "123456789012,o-1,4242,true,java,\"java -Dx=\"\"a,b\"\" -jar app.jar\",/usr/bin/java,03/01/2026 01:15:00 PM\n"
	if got := string(AppendRow(nil, ProcessSampleRecord("123456789012", &pr, nil))); got != want {
		t.Errorf("process row = %q\nwant          %q", got, want)
	}
	c := discovery.ConnectionSample{AgentID: "o-1", Time: ts, SourceIP: "10.0.0.1", SourcePort: 50000, DestinationIP: "10.0.0.2", DestinationPort: 5432}
	want = "123456789012,o-1,10.0.0.1,50000,10.0.0.2,5432,IPv4,tcp,,2026-03-01 13:15:00\n"
	if got := string(AppendRow(nil, ConnectionSampleRecord("123456789012", &c, nil))); got != want {
		t.Errorf("connection row = %q\nwant             %q", got, want)
	}
	c.PID, c.IPVersion, c.TransportProtocol = 77, "IPv6", "udp"
	if got := ConnectionSampleRecord("1", &c, nil); got[6] != "IPv6" || got[7] != "udp" || got[8] != "77" {
		t.Errorf("connection row = %q", got)
	}
	n := discovery.NICSample{AgentID: "o-1", Time: ts, Name: "eth0", IPAddress: "fe80::1"}
	if got := NICSampleRecord("1", &n, nil); got[4] != "IPv6" {
		t.Errorf("derived family = %q, want IPv6", got[4])
	}
	n.IPAddress, n.Family = "10.0.0.1", ""
	if got := NICSampleRecord("1", &n, nil); got[4] != "IPv4" {
		t.Errorf("derived family = %q, want IPv4", got[4])
	}
}

func TestSummaryRecords(t *testing.T) {
	created := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s := discovery.Server{ID: "d-server-0a", AgentID: "o-1", HostName: "web-1", OSName: "Linux", NumCPUs: 2, NumCores: 4, NumLogical: 8, NumDisks: 1, NumNICs: 2,
		TotalRAMMB: 4096, Created: created,
		Perf: discovery.PerfAggregate{Samples: 4, CPUSum: 50, CPUMax: 30, FreeRAMSum: 4000, FreeRAMMin: 512, FreeRAMMinKnown: true, DiskReadKBpsSum: 10, DiskReadKBpsMax: 5,
			DiskWriteKBpsSum: 20, DiskWriteKBpsMax: 9, DiskReadOpsSum: 2, DiskReadOpsMax: 1, DiskWriteOpsSum: 6, DiskWriteOpsMax: 3,
			NetReadKBpsSum: 1, NetReadKBpsMax: 0.5, NetWriteKBpsSum: 3, NetWriteKBpsMax: 1}}
	got := strings.Join(PerformanceRecord(&s, nil), ",")
	want := "d-server-0a,web-1,12.5,30.0,0.5,1.0,1.5,3.0,2.5,5.0,5.0,9.0,0.25,0.5,0.75,1.0,1024000.0,524288.0,4194304.0,2,4,1,2"
	if got != want {
		t.Errorf("performance = %s\nwant          %s", got, want)
	}
	empty := discovery.Server{ID: "d-server-0b"}
	if got := strings.Join(PerformanceRecord(&empty, nil), ","); got != "d-server-0b,"+strings.Repeat(",", 21) {
		t.Errorf("performance without samples = %q", got)
	}
	r := discovery.ImportTemplateRow{Server: s, IPAddresses: []string{"10.0.0.1", "10.0.1.1"}, MACAddresses: []string{"02:00:00:00:00:01"},
		Applications: []string{"shop", "crm"}, Wave: "2", Tags: []discovery.Tag{{Key: "env", Value: "prod"}, {Key: "zone", Value: "1"}}}
	rec := ImportTemplateRecord(&r, nil)
	cell := func(name string) string {
		i := slices.Index(ImportTemplateHeader, name)
		if i < 0 {
			t.Fatalf("no column %s", name)
		}
		return rec[i]
	}
	for name, want := range map[string]string{
		"ExternalId": "", "IPAddress": "10.0.0.1, 10.0.1.1", "MACAddress": "02:00:00:00:00:01", "HostName": "web-1",
		"CPU.NumberOfProcessors": "2", "CPU.NumberOfCores": "4", "CPU.NumberOfLogicalCores": "8", "OS.Name": "Linux",
		"RAM.TotalSizeInMB": "4096", "RAM.UsedSizeInMB.Avg": "3096", "RAM.UsedSizeInMB.Max": "3584",
		"CPU.UsagePct.Avg": "12.5", "CPU.UsagePct.Max": "30", "DiskReadsPerSecondInKB.Avg": "2.5", "DiskWritesPerSecondInKB.Max": "9",
		"DiskReadsOpsPerSecond.Avg": "0.5", "DiskWritesOpsPerSecond.Max": "3", "NetworkReadsPerSecondInKB.Avg": "0.25",
		"NetworkWritesPerSecondInKB.Max": "1", "Applications": "shop, crm", "ApplicationWave": "2", "Tags": "env:prod, zone:1",
		"ServerId": "d-server-0a",
	} {
		if got := cell(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if got := strings.Join(ServerRecord(&s, nil), ","); got != "d-server-0a,o-1,web-1,Linux,,,,,2026-03-01 12:00:00.0" {
		t.Errorf("server = %s", got)
	}
	if s.IsVMware() {
		t.Error("a server without VMware identity is VMware")
	}
}
