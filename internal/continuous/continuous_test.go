package continuous

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/poseidon-ads/poseidon/internal/agentdata"
	"github.com/poseidon-ads/poseidon/internal/clock"
	"github.com/poseidon-ads/poseidon/internal/discovery"
)

func newFiles(t *testing.T, dir string, clk *clock.Clock) *Files {
	return &Files{Root: filepath.Join(dir, "buckets"), Spool: filepath.Join(dir, "spool"), Interval: time.Minute, Now: clk.Now}
}

// parquetFiles lists the data files under a bucket's table (not its schema
// file), relative to the bucket, failing on any other file.
func parquetFiles(t *testing.T, root, bucket, table string) []string {
	t.Helper()
	var out []string
	dir := filepath.Join(root, bucket, table)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if os.IsNotExist(err) && p == dir {
			return filepath.SkipDir
		}
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(filepath.Join(root, bucket), p)
		if d.Name() == SchemaFile {
			return nil
		}
		if !strings.HasSuffix(rel, ".parquet") || strings.Contains(rel, ".tmp") {
			t.Errorf("unexpected file %s", rel)
		}
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func readRows[T any](t *testing.T, path string) []T {
	t.Helper()
	rows, err := parquet.ReadFile[T](path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rows
}

func report(id, agent string, at time.Time) *agentdata.Report {
	return &agentdata.Report{ReportID: id, AgentID: agent, Timestamp: float64(at.UnixMilli()) / 1000,
		Server:            agentdata.ServerInfo{HostName: "h-" + agent, OSName: "Linux", NumCores: 4, TotalRAMMB: 8192, TotalDiskGB: 100},
		NetworkInterfaces: []agentdata.NetworkInterface{{Name: "eth0", IPAddress: "10.0.0.1", Family: "IPv4"}},
		Performance:       &agentdata.Performance{CPUUsagePct: 12.5, FreeRAMMB: 1024, DiskFreeGB: 40},
		Processes:         []agentdata.Process{{PID: 42, Name: "nginx"}},
		Connections: []agentdata.Connection{
			{Direction: "outbound", SourceIP: "10.0.0.1", DestinationIP: "10.0.0.2", DestinationPort: 5432, IPVersion: "IPv4", TransportProtocol: "tcp", PID: 42},
			{Direction: "inbound", SourceIP: "10.0.0.3", DestinationIP: "10.0.0.1", DestinationPort: 443, IPVersion: "IPv4", TransportProtocol: "tcp"},
		}}
}

// Rows are buffered until the buffering interval has passed since the first
// one arrived; then each table gets one Parquet file at Firehose's key, with
// the table's columns.
func TestDeliverAfterInterval(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 13, 5, 0, 0, time.UTC)
	clk := clock.New(func() time.Time { return t0 })
	dir := t.TempDir()
	f := newFiles(t, dir, clk)
	const bucket = "aws-application-discovery-service-x"
	if err := f.Append("111111111111", bucket, []*agentdata.Report{report("r1", "o-1", t0.Add(-time.Hour))}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(30 * time.Second)
	if err := f.Append("111111111111", bucket, []*agentdata.Report{report("r2", "o-1", t0.Add(-45*time.Minute))}); err != nil {
		t.Fatal(err)
	}
	if n, err := f.Deliver(""); err != nil || n != 0 {
		t.Fatalf("deliver before the interval: %d %v", n, err)
	}
	if got := parquetFiles(t, f.Root, bucket, TableOSInfo); len(got) != 0 {
		t.Fatalf("files before the interval: %v", got)
	}
	clk.Advance(30 * time.Second)
	if n, err := f.Deliver(""); err != nil || n != 1 {
		t.Fatalf("deliver at the interval: %d %v", n, err)
	}
	for _, table := range Tables {
		got := parquetFiles(t, f.Root, bucket, table)
		if len(got) != 1 || !strings.HasPrefix(got[0], table+"/2026/03/01/13/aws-application-discovery-service-"+table+"-1-2026-03-01-13-05-00-") {
			t.Fatalf("%s files: %v", table, got)
		}
	}
	p := func(table string) string {
		return filepath.Join(f.Root, bucket, filepath.FromSlash(parquetFiles(t, f.Root, bucket, table)[0]))
	}
	os := readRows[OSInfoRow](t, p(TableOSInfo))
	if len(os) != 2 || os[0].AccountNumber != 111111111111 || os[0].HostName != "h-o-1" || os[0].Timestamp != t0.Add(-time.Hour).UnixMilli() {
		t.Fatalf("os_info_agent rows %+v", os)
	}
	perf := readRows[SysPerformanceRow](t, p(TableSysPerformance))
	if len(perf) != 2 || perf[0].TotalCPUUsagePct != 12.5 || perf[0].FreeRAMInMB != 1024 || perf[0].TotalFreeRAMInMB != 1024 ||
		perf[0].TotalRAMInMB != 8192 || perf[0].TotalNumCores != 4 || perf[0].TotalNumNetworkCards != 1 {
		t.Fatalf("sys_performance_agent rows %+v", perf)
	}
	out := readRows[ConnectionRow](t, p(TableOutbound))
	in := readRows[ConnectionRow](t, p(TableInbound))
	if len(out) != 2 || out[0].DestinationPort != 5432 || out[0].AgentAssignedProcessID == nil || *out[0].AgentAssignedProcessID != "42" ||
		len(in) != 2 || in[0].DestinationPort != 443 || in[0].AgentAssignedProcessID != nil {
		t.Fatalf("connections out %+v in %+v", out, in)
	}
	ids := readRows[IDMappingRow](t, p(TableIDMapping))
	if len(ids) != 1 || ids[0].AgentID != "o-1" || !strings.HasPrefix(ids[0].ServerID, discovery.ServerPrefix) {
		t.Fatalf("id_mapping_agent rows %+v", ids)
	}
	// The buffer is gone once delivered: nothing is delivered twice.
	if n, err := f.Deliver(""); err != nil || n != 0 {
		t.Fatalf("second delivery: %d %v", n, err)
	}
}

// A buffer left by a process that died is delivered by the next one, at the
// same keys a delivery interrupted half-way had used.
func TestBufferSurvivesRestart(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 13, 5, 0, 0, time.UTC)
	clk := clock.New(func() time.Time { return t0 })
	dir := t.TempDir()
	const bucket = "b"
	f1 := newFiles(t, dir, clk)
	if err := f1.Append("111111111111", bucket, []*agentdata.Report{report("r1", "o-1", t0)}); err != nil {
		t.Fatal(err)
	}
	// Restart: a new Files over the same folders.
	f2 := newFiles(t, dir, clk)
	if err := f2.Append("111111111111", bucket, []*agentdata.Report{report("r2", "o-2", t0)}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	if n, err := f2.Deliver(""); err != nil || n != 2 {
		t.Fatalf("deliveries after restart: %d %v", n, err)
	}
	files := parquetFiles(t, f2.Root, bucket, TableOSInfo)
	var agents []string
	for _, p := range files {
		for _, r := range readRows[OSInfoRow](t, filepath.Join(f2.Root, bucket, p)) {
			agents = append(agents, r.AgentID)
		}
	}
	slices.Sort(agents)
	if len(files) != 2 || !slices.Equal(agents, []string{"o-1", "o-2"}) {
		t.Fatalf("files %v agents %v", files, agents)
	}
}

// Deliver(bucket) delivers a bucket's buffer whatever its age (a stop), and
// no other bucket's.
func TestDeliverBucketNow(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 13, 5, 0, 0, time.UTC)
	clk := clock.New(func() time.Time { return t0 })
	f := newFiles(t, t.TempDir(), clk)
	for _, b := range []string{"a", "b"} {
		if err := f.Append("111111111111", b, []*agentdata.Report{report("r1", "o-1", t0)}); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := f.Deliver("a"); err != nil || n != 1 {
		t.Fatalf("deliver a: %d %v", n, err)
	}
	if len(parquetFiles(t, f.Root, "a", TableOSInfo)) != 1 || len(parquetFiles(t, f.Root, "b", TableOSInfo)) != 0 {
		t.Fatal("deliver a wrote the wrong buckets")
	}
	// a's next data starts a new buffer.
	if err := f.Append("111111111111", "a", []*agentdata.Report{report("r2", "o-1", t0)}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	if n, err := f.Deliver(""); err != nil || n != 2 {
		t.Fatalf("deliver all: %d %v", n, err)
	}
	if len(parquetFiles(t, f.Root, "a", TableOSInfo)) != 2 {
		t.Fatal("a's second buffer")
	}
}

// The catalogue's column types are the ones AWS's queries need, and the
// schema files hold the same schema as the data.
func TestCatalogue(t *testing.T) {
	want := map[string]map[string]string{
		TableOutbound:       {"destination_port": "int", "source_ip": "string", "ip_version": "string", "agent_assigned_process_id": "string", "account_number": "bigint"},
		TableSysPerformance: {"total_num_cores": "int", "total_ram_in_mb": "double", "free_ram_in_mb": "double", "timestamp": "timestamp"},
		TableOSInfo:         {"timestamp": "timestamp", "host_name": "string"},
		TableProcesses:      {"is_system": "boolean"},
		TableIDMapping:      {"agent_id": "string", "server_id": "string"},
	}
	for table, cols := range want {
		got := map[string]string{}
		for _, c := range Columns(table) {
			got[c.Name] = c.Type
		}
		for name, typ := range cols {
			if got[name] != typ {
				t.Errorf("%s.%s: %q, want %q", table, name, got[name], typ)
			}
		}
	}
	clk := clock.New(nil)
	f := newFiles(t, t.TempDir(), clk)
	if err := f.WriteCatalogue(t.Context(), "bkt"); err != nil {
		t.Fatal(err)
	}
	ddl, err := os.ReadFile(filepath.Join(f.Root, "bkt", AthenaDDLKey))
	if err != nil || !strings.Contains(string(ddl), "CREATE EXTERNAL TABLE IF NOT EXISTS application_discovery_service_database.id_mapping_agent (") ||
		!strings.Contains(string(ddl), "LOCATION 's3://bkt/outbound_connection_agent/'") || !strings.Contains(string(ddl), "`destination_port` int,") {
		t.Fatalf("athena DDL %s %v", ddl, err)
	}
	for _, table := range Tables {
		b, err := os.ReadFile(filepath.Join(f.Root, "bkt", table, SchemaFile))
		if err != nil {
			t.Fatal(err)
		}
		pf, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b)))
		if err != nil || pf.NumRows() != 0 || !parquet.EqualNodes(pf.Schema(), schemas[table]) {
			t.Fatalf("%s schema file: %v %v", table, pf.Schema(), err)
		}
	}
}
