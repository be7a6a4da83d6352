package worker_test

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/flate"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/poseidon-ads/poseidon/internal/agentdata"
	"github.com/poseidon-ads/poseidon/internal/agents"
	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/exportfile"
	"github.com/poseidon-ads/poseidon/internal/fleet"
	"github.com/poseidon-ads/poseidon/internal/queue"
	"github.com/poseidon-ads/poseidon/internal/storetest/teststore"
	"github.com/poseidon-ads/poseidon/internal/worker"
)

// The streaming benchmark (issue 4): exports of a seeded fleet through the
// real worker path (claim, build, write, fsync, rename, complete), compared
// with plain compress/flate over the same uncompressed bytes.
//
//	go test -run XXX -bench BenchmarkExportFleet -benchtime 1x ./internal/worker
//
// The fleet is seeded once through the real intake path (agents.Service.Intake
// with internal/fleet reports) into a database cached under
// $POSEIDON_BENCH_CACHE (default $TMPDIR/poseidon-bench), one store
// directory (teststore.OpenDir) per fleet, keyed by servers,
// hours and seed, and reused by later runs. Seeding is slow (1,500 to 2,500
// reports per second on a 2-CPU VM: 10,000 servers × 6 h took 2.6 minutes,
// 1,000 × 72 h 1.9 minutes; 10,000 × 72 h, 2.88 M reports and about 6 GB,
// takes over 30 minutes), so the Go benchmark defaults to 10,000 servers ×
// 6 h: the summary export has the full fleet's rows whatever the hours. An
// agent export depends on the hours only, so 72 h windows need 72 h of data,
// not 10,000 servers: bench/export.sh defaults to 10,000 × 72 h, and
// SERVERS=1000 bench/export.sh gives the same agent windows in minutes.
// Environment:
//
//	POSEIDON_BENCH_SERVERS  servers in the fleet (10000)
//	POSEIDON_BENCH_HOURS    hours of reports per server (6)
//	POSEIDON_BENCH_SEED     fleet seed (1)
//	POSEIDON_BENCH_AGENTS   agents exported by all-agents, in agent ID order;
//	                        0 means every agent (500)
//	POSEIDON_BENCH_CACHE    cache directory of seeded databases
//	POSEIDON_BENCH_EXPORT_DIR  where the export files go (a fresh directory
//	                        under it); /dev/shm takes the file fsync out
//
// Sub-benchmarks: seed (makes sure the cache exists), summary (the whole
// fleet: one row per server per file), ec2 (the fleet's EC2 recommendations:
// one row per server, sized from all its samples), agent (one agent's window) and
// all-agents (POSEIDON_BENCH_AGENTS agent exports in sequence). Each reports
// rows, rows/s, uncompressed CSV bytes, the export wall time, the time of
// compress/flate at the zip's level over the same bytes, their ratio, the
// sampled peak Go heap and the process's peak RSS during the exports.
func BenchmarkExportFleet(b *testing.B) {
	cfg := benchConfig(b)
	b.Run("seed", func(b *testing.B) {
		for b.Loop() {
			benchFleetDB(b, cfg)
		}
	})
	n := benchEnvInt(b, "POSEIDON_BENCH_AGENTS", 500)
	b.Run("summary", func(b *testing.B) {
		benchExports(b, cfg, func([]string) []discovery.ExportTask { return []discovery.ExportTask{{Kind: discovery.KindSummary}} })
	})
	b.Run("ec2", func(b *testing.B) {
		benchExports(b, cfg, func([]string) []discovery.ExportTask {
			return []discovery.ExportTask{{Kind: discovery.KindEC2, EC2: benchEC2Prefs}}
		})
	})
	b.Run("agent", func(b *testing.B) {
		benchExports(b, cfg, func(ids []string) []discovery.ExportTask {
			return []discovery.ExportTask{{Kind: discovery.KindAgent, AgentID: ids[0]}}
		})
	})
	b.Run("all-agents", func(b *testing.B) {
		benchExports(b, cfg, func(ids []string) []discovery.ExportTask {
			if n > 0 && n < len(ids) {
				ids = ids[:n]
			}
			tasks := make([]discovery.ExportTask, len(ids))
			for i := range tasks {
				tasks[i] = discovery.ExportTask{Kind: discovery.KindAgent, AgentID: ids[i]}
			}
			return tasks
		})
	})
}

const benchAccount = "111122223333"

// benchEC2Prefs are Cloud Migration Factory's percentile preferences: every
// server is sized from its samples and priced in us-west-2.
var benchEC2Prefs = &discovery.EC2Preferences{CPU: discovery.MetricBasis{Name: "p50"}, RAM: discovery.MetricBasis{Name: "p40"},
	Tenancy: discovery.TenancyShared, PreferredRegion: "us-west-2", PurchasingOption: discovery.PurchaseOnDemand}

// benchEnd is the fleet's last report slot; the virtual clock stands an hour later.
var benchEnd = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

func benchEnvInt(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		b.Fatalf("%s: %v", name, err)
	}
	return n
}

func benchConfig(b *testing.B) fleet.Config {
	cfg := fleet.Config{
		Servers: benchEnvInt(b, "POSEIDON_BENCH_SERVERS", 10000),
		Hours:   benchEnvInt(b, "POSEIDON_BENCH_HOURS", 6),
		Seed:    uint64(benchEnvInt(b, "POSEIDON_BENCH_SEED", 1)),
		End:     benchEnd,
	}
	if err := cfg.Validate(); err != nil {
		b.Fatal(err)
	}
	return cfg
}

// benchFleetDB returns the directory of the cached store of cfg's fleet,
// seeding it first if needed.
func benchFleetDB(b *testing.B, cfg fleet.Config) string {
	dir := os.Getenv("POSEIDON_BENCH_CACHE")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "poseidon-bench")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(dir, fmt.Sprintf("fleet-s%d-h%d-seed%d", cfg.Servers, cfg.Hours, cfg.Seed))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	// Seed into a fresh directory and rename it into place when complete,
	// so an interrupted seeding is never reused.
	tmp := path + ".seeding"
	if err := os.RemoveAll(tmp); err != nil {
		b.Fatal(err)
	}
	if err := os.Mkdir(tmp, 0o755); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	db := teststore.OpenDir(b, tmp)
	f, err := fleet.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	now := func() time.Time { return benchEnd.Add(time.Hour) }
	svc := agents.New(agents.Config{Store: db, Now: now})
	const batchSize = 500
	batch := &agentdata.Batch{Reports: make([]agentdata.Report, 0, batchSize)}
	start := time.Now()
	var done int64
	flush := func() error {
		if len(batch.Reports) == 0 {
			return nil
		}
		if _, err := svc.Intake(ctx, benchAccount, batch); err != nil {
			return err
		}
		done += int64(len(batch.Reports))
		batch.Reports = batch.Reports[:0]
		return nil
	}
	// Intake order: the first slot of every agent in batches as large as
	// intake takes, then the rest in runs of one agent (see
	// fleet.GenerateIntakeOrder), as "poseidon seed" sends them.
	wasFirst := true
	err = f.GenerateIntakeOrder(func(r agentdata.Report, first bool) error {
		if wasFirst && !first {
			if err := flush(); err != nil {
				return err
			}
		}
		wasFirst = first
		batch.Reports = append(batch.Reports, r)
		if (first && len(batch.Reports) < agentdata.MaxReports) || (!first && len(batch.Reports) < batchSize) {
			return nil
		}
		return flush()
	})
	if err == nil {
		err = flush()
	}
	if err == nil {
		// Closed, the store is whole in its directory.
		err = db.Close()
	} else {
		db.Close()
	}
	if err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
	took := time.Since(start)
	fmt.Fprintf(b.Output(), "seeded %d servers × %d h: %d reports in %s (%.0f reports/s) into %s\n",
		cfg.Servers, cfg.Hours, done, took.Round(time.Millisecond), float64(done)/took.Seconds(), path)
	return path
}

// benchAgentIDs lists the fleet's agents in ID order, read from the store
// (regenerating the fleet would cost the process memory the exports do not).
func benchAgentIDs(b *testing.B, db teststore.Store) []string {
	var ids []string
	for after := ""; ; {
		page, err := db.FindAgents(b.Context(), discovery.AgentQuery{AccountID: benchAccount, After: after, Limit: 1000})
		if err != nil {
			b.Fatal(err)
		}
		for _, a := range page {
			ids = append(ids, a.ID)
		}
		if len(page) < 1000 {
			break
		}
		after = page[len(page)-1].ID
	}
	if len(ids) == 0 {
		b.Fatal("no agents in the cached fleet")
	}
	return ids
}

// benchExports runs, per iteration, the tasks made by tasks through the
// worker, one after another, then measures compress/flate over the CSV bytes
// they wrote and reports the figures of the last iteration.
func benchExports(b *testing.B, cfg fleet.Config, tasks func(agentIDs []string) []discovery.ExportTask) {
	ctx := context.Background()
	db := teststore.OpenDir(b, benchFleetDB(b, cfg))
	ids := benchAgentIDs(b, db)
	now := benchEnd.Add(time.Hour)
	root := b.TempDir()
	if dir := os.Getenv("POSEIDON_BENCH_EXPORT_DIR"); dir != "" {
		var err error
		if root, err = os.MkdirTemp(dir, "poseidon-bench-exports-"); err != nil {
			b.Fatal(err)
		}
		defer os.RemoveAll(root)
	}
	files := exportfile.Dir{Root: root}
	q := &timedQueue{Store: db}
	clock := func() time.Time { return now }
	w := &worker.Worker{Store: q, Files: files, Now: clock, ProgressEvery: worker.DefaultProgressEvery} // as poseidon's
	r := &queue.Runner{Store: q, Now: clock, Kinds: map[discovery.JobKind]queue.Kind{discovery.JobExport: {Handler: w}}}

	var m benchMeasure
	for b.Loop() {
		b.StopTimer()
		list := tasks(ids)
		for i := range list {
			t := &list[i]
			t.AccountID = benchAccount
			t.ID = "export-" + uuid.NewString()
			t.Operation = "StartExportTask"
			t.Status = discovery.ExportInProgress
			t.Message = discovery.InProgressMessage
			t.RequestTime, t.ReadyAt = now, now
			if _, err := db.CreateExportTask(ctx, t, discovery.ExportAdmission{}); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		peak := startPeakSampler()
		resetHWM()
		b.StartTimer()

		q.took = 0
		cpu0 := cpuTime()
		start := time.Now()
		for range list {
			if ran, err := r.Step(ctx); err != nil || !ran {
				b.Fatal("no task to claim", err)
			}
		}
		took := time.Since(start)
		cpu := cpuTime() - cpu0

		b.StopTimer()
		heap := peak()
		hwm := readHWM()
		m = benchMeasure{exports: len(list), took: took, cpu: cpu, queue: q.took, peakHeap: heap, peakRSS: hwm}
		for i := range list {
			got, err := db.GetExportTask(ctx, benchAccount, list[i].ID)
			if err != nil {
				b.Fatal(err)
			}
			if got.Status != discovery.ExportSucceeded {
				b.Fatalf("export %s: %s: %s", got.ID, got.Status, got.Message)
			}
			m.zipBytes += got.FileSize
			zpath, err := files.Path(benchAccount, got.ID)
			if err != nil {
				b.Fatal(err)
			}
			if err := m.flateArchive(zpath); err != nil {
				b.Fatal(err)
			}
			files.Remove(ctx, benchAccount, got.ID)
		}
		b.StartTimer()
	}
	m.report(b)
}

// timedQueue adds up the time the worker spends on the queue's bookkeeping:
// claiming jobs, storing their progress, recording their outcome and
// completing them (write transactions, each synced), so that the build of
// the archive can be told apart from it.
type timedQueue struct {
	teststore.Store
	took time.Duration
}

func (q *timedQueue) Claim(ctx context.Context, owner string, kinds []discovery.JobKind, now, leaseUntil time.Time) (*discovery.Job, error) {
	defer q.time(time.Now())
	return q.Store.Claim(ctx, owner, kinds, now, leaseUntil)
}

func (q *timedQueue) FinishExportTask(ctx context.Context, l discovery.Lease, account, id string, r discovery.ExportResult, now time.Time) error {
	defer q.time(time.Now())
	return q.Store.FinishExportTask(ctx, l, account, id, r, now)
}

func (q *timedQueue) FinishExportJob(ctx context.Context, l discovery.Lease, account, id string, r discovery.ExportResult, now time.Time) error {
	defer q.time(time.Now())
	return q.Store.FinishExportJob(ctx, l, account, id, r, now)
}

func (q *timedQueue) Complete(ctx context.Context, l discovery.Lease) error {
	defer q.time(time.Now())
	return q.Store.Complete(ctx, l)
}

func (q *timedQueue) ReportExportProgress(ctx context.Context, l discovery.Lease, account, id, msg string) error {
	defer q.time(time.Now())
	return q.Store.ReportExportProgress(ctx, l, account, id, msg)
}

func (q *timedQueue) time(start time.Time) { q.took += time.Since(start) }

type benchMeasure struct {
	exports           int
	took              time.Duration // export wall time: claim, build, write, sync, complete
	queue             time.Duration // of took, claiming and completing tasks
	cpu               time.Duration // user and system CPU time of the process during the exports
	flate             time.Duration // compress/flate alone over the same bytes
	rows, csvBytes    int64
	zipBytes          int64
	peakHeap, peakRSS uint64
	buf               bytes.Buffer
	fw                *flate.Writer
}

// flateArchive reads back every CSV member of the zip at path, counts its
// data rows and bytes, and times compress/flate over its bytes at the
// level archive/zip uses (5), into io.Discard.
func (m *benchMeasure) flateArchive(path string) error {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return err
	}
	defer zr.Close()
	for _, zf := range zr.File {
		if !strings.HasSuffix(zf.Name, ".csv") {
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			return err
		}
		m.buf.Reset()
		_, err = m.buf.ReadFrom(rc)
		rc.Close()
		if err != nil {
			return err
		}
		data := m.buf.Bytes()
		m.csvBytes += int64(len(data))
		m.rows += csvDataRows(data)
		if m.fw == nil {
			if m.fw, err = flate.NewWriter(io.Discard, 5); err != nil {
				return err
			}
			// Warm up once, untimed, so a single small export is not
			// compared with a cold compressor.
			m.fw.Write(data)
			m.fw.Close()
		}
		start := time.Now()
		m.fw.Reset(io.Discard)
		if _, err := m.fw.Write(data); err != nil {
			return err
		}
		if err := m.fw.Close(); err != nil {
			return err
		}
		m.flate += time.Since(start)
	}
	return nil
}

// csvDataRows counts the records of a CSV file after its header: line ends
// outside quoted fields.
func csvDataRows(data []byte) int64 {
	var n int64
	quoted := false
	for _, c := range data {
		switch c {
		case '"':
			quoted = !quoted
		case '\n':
			if !quoted {
				n++
			}
		}
	}
	return n - 1
}

func (m *benchMeasure) report(b *testing.B) {
	secs := m.took.Seconds()
	ratio := m.took.Seconds() / m.flate.Seconds()
	b.ReportMetric(float64(m.exports), "exports")
	b.ReportMetric(float64(m.rows), "rows")
	b.ReportMetric(float64(m.rows)/secs, "rows/s")
	b.ReportMetric(float64(m.csvBytes)/(1<<20), "csv-MiB")
	b.ReportMetric(float64(m.csvBytes)/(1<<20)/secs, "csv-MiB/s")
	b.ReportMetric(float64(m.zipBytes)/(1<<20), "zip-MiB")
	b.ReportMetric(secs*1000, "export-ms")
	b.ReportMetric(m.flate.Seconds()*1000, "flate-ms")
	b.ReportMetric(ratio, "export/flate")
	build := m.took - m.queue
	b.ReportMetric(build.Seconds()*1000, "build-ms")
	b.ReportMetric(build.Seconds()/m.flate.Seconds(), "build/flate")
	b.ReportMetric(m.cpu.Seconds()*1000, "cpu-ms")
	b.ReportMetric(m.cpu.Seconds()/m.flate.Seconds(), "cpu/flate")
	b.ReportMetric(float64(m.peakHeap)/(1<<20), "peak-heap-MiB")
	if m.peakRSS > 0 {
		b.ReportMetric(float64(m.peakRSS)/(1<<20), "peak-RSS-MiB")
	}
	fmt.Fprintf(b.Output(), "%-40s exports=%d rows=%d rows/s=%.0f csv=%.1f MiB zip=%.1f MiB export=%s (build %s, queue %s, CPU %s) flate=%s ratio=%.2f (build/flate %.2f, cpu/flate %.2f) peak-heap=%.1f MiB peak-RSS=%.1f MiB\n",
		b.Name(), m.exports, m.rows, float64(m.rows)/secs, float64(m.csvBytes)/(1<<20), float64(m.zipBytes)/(1<<20),
		m.took.Round(time.Millisecond), build.Round(time.Millisecond), m.queue.Round(time.Millisecond),
		m.cpu.Round(time.Millisecond), m.flate.Round(time.Millisecond), ratio, build.Seconds()/m.flate.Seconds(), m.cpu.Seconds()/m.flate.Seconds(),
		float64(m.peakHeap)/(1<<20), float64(m.peakRSS)/(1<<20))
}

// startPeakSampler samples the Go heap in use (objects and free space of
// in-use spans) every millisecond until the returned function is called,
// which returns the peak seen.
func startPeakSampler() func() uint64 {
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"}}
	var peak atomic.Uint64
	read := func() {
		metrics.Read(samples)
		if v := samples[0].Value.Uint64() + samples[1].Value.Uint64(); v > peak.Load() {
			peak.Store(v)
		}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			read()
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	})
	return func() uint64 {
		close(stop)
		wg.Wait()
		read()
		return peak.Load()
	}
}

// cpuTime is the user and system CPU time the process used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// resetHWM resets the process's peak RSS (Linux: clear_refs 5), so that
// readHWM gives the peak since then. Elsewhere both do nothing useful.
func resetHWM() { os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// readHWM returns VmHWM of /proc/self/status in bytes, or 0.
func readHWM() uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
