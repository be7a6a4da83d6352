package server

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/poseidon-ads/poseidon/internal/adsapi"
	"github.com/poseidon-ads/poseidon/internal/mghapi"
)

// metrics are the server's Prometheus metrics, in a registry of its own so
// that several servers in one process do not collide. Labels never hold
// account or resource IDs: only operation names, statuses and error codes,
// bounded sets (see docs/behavior.md, "Metrics").
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	exports  *prometheus.CounterVec
	exportD  *prometheus.HistogramVec
	reports  *prometheus.CounterVec
	panics   prometheus.Counter
	handler  http.Handler
}

// jobsDesc describes the queue depths, read from the store at each scrape.
var jobsDesc = prometheus.NewDesc("poseidon_jobs",
	"Background jobs in the store (every replica's), by kind (export, import, ...) and state: running (leased), queued (due, waiting for a worker), scheduled (not due yet).",
	[]string{"kind", "state"}, nil)

// queueCollector reads the queue depths from the store when scraped.
type queueCollector struct{ s *Server }

func (q queueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- jobsDesc }

func (q queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	depths, err := q.s.jobDepths(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(jobsDesc, err)
		return
	}
	for _, d := range depths {
		for state, n := range map[string]int{"running": d.Running, "queued": d.Queued, "scheduled": d.Scheduled} {
			ch <- prometheus.MustNewConstMetric(jobsDesc, prometheus.GaugeValue, float64(n), string(d.Kind), state)
		}
	}
}

func newMetrics(s *Server) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "poseidon_requests_total",
			Help: "Requests answered, by operation, HTTP status and error code (\"\" on success).",
		}, []string{"operation", "status", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "poseidon_request_duration_seconds",
			Help:    "Time to answer a request, by operation.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}, []string{"operation"}),
		exports: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "poseidon_exports_finished_total",
			Help: "Exports this process finished, by final status (SUCCEEDED, FAILED).",
		}, []string{"status"}),
		exportD: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "poseidon_export_build_seconds",
			Help:    "Time to build an export, by final status.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2, 14),
		}, []string{"status"}),
		reports: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "poseidon_intake_reports_total",
			Help: "Agent reports posted to the intake, by outcome (accepted, duplicate, dropped).",
		}, []string{"outcome"}),
		panics: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "poseidon_http_panics_total",
			Help: "Requests whose handler panicked (answered 500 ServerInternalErrorException).",
		}),
	}
	m.reg.MustRegister(m.requests, m.latency, m.exports, m.exportD, m.reports, m.panics, queueCollector{s},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// A collector that fails (the store not answering the queue depths)
	// leaves its metrics out; the others are still served.
	m.handler = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError,
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)})
	return m
}

// request counts one answered request.
func (m *metrics) request(operation string, status int, code string, took time.Duration) {
	m.requests.WithLabelValues(operation, strconv.Itoa(status), code).Inc()
	m.latency.WithLabelValues(operation).Observe(took.Seconds())
}

// operationName is the operation label of an API call: the operation's
// name if the target names one, else "unknown" (targets are the client's
// and would make the label set unbounded).
func operationName(prefix, name string) string {
	switch prefix {
	case adsapi.TargetPrefix:
		if _, ok := adsapi.Operations[name]; ok {
			return name
		}
	case mghapi.TargetPrefix:
		if _, ok := mghapi.Operations[name]; ok {
			return name
		}
	}
	return "unknown"
}

// ExportFinished records an export's outcome (status SUCCEEDED or FAILED)
// and how long it took to build; the export worker calls it.
func (s *Server) ExportFinished(status string, took time.Duration) {
	s.metrics.exports.WithLabelValues(status).Inc()
	s.metrics.exportD.WithLabelValues(status).Observe(took.Seconds())
}

// ExportGivenUp records an export that the job queue failed after its
// attempts were spent (its builds were interrupted, or kept failing): it
// ends FAILED without a build time.
func (s *Server) ExportGivenUp() {
	s.metrics.exports.WithLabelValues("FAILED").Inc()
}

// serveMetrics answers GET /_poseidon/metrics in the Prometheus text format.
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	s.metrics.handler.ServeHTTP(w, r)
}
