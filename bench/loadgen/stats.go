package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// percentile is the q-th quantile (0 < q <= 1) of sorted by the nearest-rank
// method: the smallest value with at least q of the values at or below it.
// It is 0 for no values.
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(q * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// ms is d in milliseconds, rounded to the microsecond.
func ms(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 }

// recorder is one client's record of its requests (used from its goroutine
// only; merged after the run).
type recorder struct {
	lat       map[string][]time.Duration // by class (an operation, or "read"/"write")
	status    map[int]int
	codes     map[string]int // X-Amzn-ErrorType (or __type) of non-2xx answers
	ok        map[string]int // 2xx answers by class
	transport int
	firstErr  string
}

func newRecorder() *recorder {
	return &recorder{lat: map[string][]time.Duration{}, status: map[int]int{}, codes: map[string]int{}, ok: map[string]int{}}
}

func (r *recorder) merge(o *recorder) {
	for k, v := range o.lat {
		r.lat[k] = append(r.lat[k], v...)
	}
	for k, v := range o.status {
		r.status[k] += v
	}
	for k, v := range o.codes {
		r.codes[k] += v
	}
	for k, v := range o.ok {
		r.ok[k] += v
	}
	r.transport += o.transport
	if r.firstErr == "" {
		r.firstErr = o.firstErr
	}
}

// Result is one measurement, printed as a JSON line.
type Result struct {
	Label      string             `json:"label"`
	Kind       string             `json:"kind"` // load, mixed, startup
	URL        string             `json:"url,omitempty"`
	Conns      int                `json:"conns,omitempty"`
	Seconds    float64            `json:"seconds,omitempty"`
	Requests   int                `json:"requests,omitempty"`
	RPS        float64            `json:"rps,omitempty"`
	P50        float64            `json:"p50_ms,omitempty"`
	P99        float64            `json:"p99_ms,omitempty"`
	Status     map[string]int     `json:"status,omitempty"`
	Errors     map[string]int     `json:"errors,omitempty"`
	Transport  int                `json:"transport_errors"`
	FirstError string             `json:"first_error,omitempty"`
	BodyBytes  int                `json:"body_bytes,omitempty"`
	RSSPeakMiB float64            `json:"rss_peak_mib,omitempty"`
	HWMMiB     float64            `json:"hwm_mib,omitempty"`
	Ops        map[string]OpStats `json:"ops,omitempty"`
	// mixed
	WritesPerS float64 `json:"writes_per_s,omitempty"`
	WriteP50   float64 `json:"write_p50_ms,omitempty"`
	WriteP99   float64 `json:"write_p99_ms,omitempty"`
	ReadP50    float64 `json:"read_p50_ms,omitempty"`
	ReadP99    float64 `json:"read_p99_ms,omitempty"`
	// startup
	Runs     int       `json:"runs,omitempty"`
	Median   float64   `json:"median_ms,omitempty"`
	Min      float64   `json:"min_ms,omitempty"`
	Max      float64   `json:"max_ms,omitempty"`
	AllTimes []float64 `json:"times_ms,omitempty"`
	Note     string    `json:"note,omitempty"`
	// Ref names a reference start-up (e.g. moto) measured in the same run,
	// RefMs its median and RefRatio RefMs / Median.
	Ref      string  `json:"ref,omitempty"`
	RefMs    float64 `json:"ref_ms,omitempty"`
	RefRatio float64 `json:"ref_ratio,omitempty"`
}

// OpStats are the figures of one class of requests.
type OpStats struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50_ms"`
	P99 float64 `json:"p99_ms"`
}

func opStats(ds []time.Duration) OpStats {
	s := slices.Clone(ds)
	slices.Sort(s)
	return OpStats{N: len(s), P50: ms(percentile(s, 0.5)), P99: ms(percentile(s, 0.99))}
}

// fill sets the common figures of r from rec over elapsed.
func (r *Result) fill(rec *recorder, elapsed time.Duration) {
	var all []time.Duration
	for _, k := range slices.Sorted(maps.Keys(rec.lat)) {
		all = append(all, rec.lat[k]...)
	}
	slices.Sort(all)
	r.Seconds = math.Round(elapsed.Seconds()*1000) / 1000
	r.Requests = len(all)
	r.RPS = math.Round(float64(len(all))/elapsed.Seconds()*10) / 10
	r.P50, r.P99 = ms(percentile(all, 0.5)), ms(percentile(all, 0.99))
	r.Status = map[string]int{}
	for k, v := range rec.status {
		r.Status[strconv.Itoa(k)] = v
	}
	r.Errors = rec.codes
	r.Transport = rec.transport
	r.FirstError = rec.firstErr
}

// print writes r as a human line and a JSON line.
func (r *Result) print(w io.Writer) {
	switch r.Kind {
	case "startup":
		fmt.Fprintf(w, "%s: start-up to first 200: median %.1f ms, min %.1f ms, max %.1f ms over %d runs", r.Label, r.Median, r.Min, r.Max, r.Runs)
		if r.Ref != "" {
			fmt.Fprintf(w, "; %s %.1f ms is %.1fx slower", r.Ref, r.RefMs, r.RefRatio)
		}
		fmt.Fprintln(w)
	default:
		fmt.Fprintf(w, "%s: %d conns, %.1fs: %d requests, %.0f req/s, p50 %.3f ms, p99 %.3f ms, status %s, errors %s, transport errors %d",
			r.Label, r.Conns, r.Seconds, r.Requests, r.RPS, r.P50, r.P99, formatCounts(r.Status), formatCounts(r.Errors), r.Transport)
		if r.RSSPeakMiB > 0 {
			fmt.Fprintf(w, ", server RSS peak %.1f MiB (VmHWM %.1f MiB)", r.RSSPeakMiB, r.HWMMiB)
		}
		fmt.Fprintln(w)
		if r.Kind == "mixed" {
			fmt.Fprintf(w, "%s: acknowledged writes %.0f/s, write p50 %.3f ms p99 %.3f ms, read p50 %.3f ms p99 %.3f ms\n",
				r.Label, r.WritesPerS, r.WriteP50, r.WriteP99, r.ReadP50, r.ReadP99)
			for _, op := range slices.Sorted(maps.Keys(r.Ops)) {
				o := r.Ops[op]
				fmt.Fprintf(w, "%s:   %-22s %7d  p50 %8.3f ms  p99 %8.3f ms\n", r.Label, op, o.N, o.P50, o.P99)
			}
		}
		if r.FirstError != "" {
			fmt.Fprintf(w, "%s: first error: %s\n", r.Label, r.FirstError)
		}
	}
	b, _ := json.Marshal(r)
	fmt.Fprintf(w, "%s\n", b)
}

func formatCounts(m map[string]int) string {
	if len(m) == 0 {
		return "(none)"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s=%d", k, m[k]))
	}
	return strings.Join(parts, " ")
}

// memStatus reads VmRSS and VmHWM (MiB) of process pid.
func memStatus(pid int) (rss, hwm float64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	return parseMemStatus(string(b))
}

func parseMemStatus(s string) (rss, hwm float64) {
	for _, line := range strings.Split(s, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		n, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			continue
		}
		switch k {
		case "VmRSS":
			rss = math.Round(n/1024*10) / 10
		case "VmHWM":
			hwm = math.Round(n/1024*10) / 10
		}
	}
	return rss, hwm
}

// rssSampler samples a process's VmRSS every 100 ms until stopped.
type rssSampler struct {
	pid  int
	stop chan struct{}
	done chan struct{}
	mu   sync.Mutex
	peak float64
}

func startRSS(pid int) *rssSampler {
	s := &rssSampler{pid: pid, stop: make(chan struct{}), done: make(chan struct{})}
	if pid <= 0 {
		close(s.done)
		return s
	}
	go func() {
		defer close(s.done)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			rss, _ := memStatus(pid)
			s.mu.Lock()
			s.peak = max(s.peak, rss)
			s.mu.Unlock()
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// end stops the sampler and sets r's RSS figures.
func (s *rssSampler) end(r *Result) {
	if s.pid <= 0 {
		return
	}
	close(s.stop)
	<-s.done
	rss, hwm := memStatus(s.pid)
	r.RSSPeakMiB, r.HWMMiB = max(s.peak, rss), hwm
}
