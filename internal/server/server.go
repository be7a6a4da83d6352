// Package server is poseidon's HTTP edge: the AWS JSON 1.1 endpoint for ADS
// and Migration Hub Config, the presigned export downloads, and the control
// API. Errors from every layer are mapped to wire shapes here, once.
package server

import (
	"context"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/poseidon-ads/poseidon/internal/auth"
	"github.com/poseidon-ads/poseidon/internal/clock"
	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/exports"
)

// Store is what the edge reads and writes directly. sqlite.DB implements it.
type Store interface {
	EnsureAccount(ctx context.Context, account string, now time.Time, defaultControl *discovery.HomeRegionControl) error
	HomeRegionControl(ctx context.Context, account string) (*discovery.HomeRegionControl, error)
	CreateHomeRegionControl(ctx context.Context, c *discovery.HomeRegionControl) (*discovery.HomeRegionControl, bool, error)
	DeleteHomeRegionControl(ctx context.Context, account, id string) error
	GetExportTask(ctx context.Context, account, id string) (*discovery.ExportTask, error)
	Reset(ctx context.Context) error
	// ResetAccount deletes all state of one account.
	ResetAccount(ctx context.Context, account string) error
	// Control returns the control state: the virtual clock's offset and
	// the latest resets, numbered by change.
	Control(ctx context.Context) (discovery.Control, error)
	// UpdateControl changes the control state atomically for every
	// process sharing the store: it adds one to the stored Version, calls
	// fn with the state and stores what fn left, and returns it. Changes
	// never interleave. It survives restarts and resets.
	UpdateControl(ctx context.Context, fn func(*discovery.Control)) (discovery.Control, error)
	// JobDepths counts the background jobs of each kind at now (running,
	// queued, scheduled), for the metrics and the health check.
	JobDepths(ctx context.Context, now time.Time) ([]discovery.JobDepth, error)
	// Overview counts each account's agents, servers and export tasks by
	// status, for the control API's status.
	Overview(ctx context.Context) (*discovery.Overview, error)
}

// Exports is the export use-case layer. exports.Service implements it.
type Exports interface {
	Start(ctx context.Context, account string, in exports.StartInput) (*discovery.ExportTask, error)
	ExportConfigurations(ctx context.Context, account string) (*discovery.ExportTask, error)
	Describe(ctx context.Context, account, op string, in exports.DescribeInput) (*exports.Page, error)
}

// Config configures a Server.
type Config struct {
	Store   Store
	Exports Exports
	// Agents serves agent intake and the agent operations (see agents.go).
	Agents Agents
	// Inventory serves the inventory read operations (see configurations.go).
	Inventory Inventory
	// Applications serves the application operations (see applications.go).
	Applications Applications
	// Tags serves the tag operations (see tags.go).
	Tags Tags
	// BatchDeletes serves the batch delete operations (see batchdelete.go).
	BatchDeletes BatchDeletes
	// ContinuousExports serves the continuous export operations (see
	// continuous.go).
	ContinuousExports ContinuousExports
	// Imports serves the import operations (see imports.go).
	Imports Imports
	// Console serves the web console's own reads (see console.go).
	Console Console
	Auth    *auth.Authenticator
	Clock   *clock.Clock
	// Files is the store of export archives that downloads read and
	// resets empty.
	Files Archives
	Log   *slog.Logger
	// PublicURL is the base of download URLs, e.g. "http://127.0.0.1:8480".
	PublicURL string
	// HomeRegion is every new account's home region; "" leaves it unset.
	HomeRegion string
	// ControlToken guards the control API; in strict mode an empty token
	// turns the control API off.
	ControlToken string
	// MaxBodyBytes bounds request bodies.
	MaxBodyBytes int64
	// MaxIntakeBytes bounds agent intake bodies (POST /_poseidon/intake).
	MaxIntakeBytes int64
	// SmithyStatusCodes sends the Smithy model's HTTP statuses (403, 409,
	// 429) instead of the API reference's 400 for three exceptions.
	SmithyStatusCodes bool
	// URLSecret signs download URLs.
	URLSecret []byte
	// OnReset runs after the control API wiped the store (e.g. to clear caches).
	OnReset func()
	// Control is the control state the server starts from (the store's,
	// read at start, which Clock was set from): Follow applies only the
	// changes after it.
	Control discovery.Control
	// CacheHomeRegions lets the server keep the home regions of accounts
	// in memory: set it when the store serves this process alone
	// (SQLite), so that every change of a home region is this server's
	// own. With a store shared by replicas the home region is read for
	// every call (see docs/performance.md, "Read path").
	CacheHomeRegions bool
	// Version is the build's version line, shown by the health check.
	Version string
	// StoreKind names the store ("sqlite", "postgres"), shown by the
	// health check.
	StoreKind string
	// Faults, if not nil, applies the faults injected through the control
	// API (faults.Injector); the control API sets them in the store.
	Faults Faults
	// AccountFiles are the files kept for accounts beside the store and
	// the export files (import buckets and errors zips, continuous export
	// data); a reset removes them.
	AccountFiles []AccountFiles
}

// Archives is the store of export archives: exportfile.Dir (files in the
// data directory) or the PostgreSQL store's archives, which every replica
// serves.
type Archives interface {
	// Open opens an export's archive for reading; discovery.ErrNotFound if
	// there is none. Reads and seeks serve byte ranges.
	Open(ctx context.Context, account, exportID string) (io.ReadSeekCloser, error)
	// RemoveAccount deletes the archives of one account.
	RemoveAccount(ctx context.Context, account string) error
	// RemoveAll deletes every archive.
	RemoveAll(ctx context.Context) error
}

// AccountFiles are files a service keeps for accounts.
type AccountFiles interface {
	// RemoveAccount deletes the files of one account.
	RemoveAccount(account string) error
	// RemoveAll deletes the files of every account.
	RemoveAll() error
}

// Server is the HTTP handler.
type Server struct {
	cfg      Config
	log      *slog.Logger
	mux      *http.ServeMux
	ads      map[string]handler
	mgh      map[string]handler
	accounts sync.Map // account ID → struct{}: accounts known to exist
	// homeRegions are the home regions read from the store (account ID →
	// homeRegion), with Config.CacheHomeRegions; an entry holds while
	// homeGen is the generation it was read in (see homeRegion).
	homeRegions sync.Map
	homeGen     atomic.Int64
	// urlSecret is Config.URLSecret in hexadecimal, the secret key of
	// download URLs.
	urlSecret string
	ready     chan struct{}
	started   time.Time
	// routes are the patterns registered on mux, in order (the control
	// API's OpenAPI file must name each of /_poseidon/: see
	// openapi_test.go).
	routes  []string
	metrics *metrics

	// followMu orders the control changes this server applies (its own
	// and, with Follow, other processes'); followed is the Version of the
	// latest applied.
	followMu sync.Mutex
	followed int64
}

// New returns a Server. Call Ready once the server may answer health checks.
func New(cfg Config) *Server {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.MaxIntakeBytes <= 0 {
		cfg.MaxIntakeBytes = 8 << 20
	}
	s := &Server{cfg: cfg, log: cfg.Log, mux: http.NewServeMux(), ready: make(chan struct{}), followed: cfg.Control.Version,
		urlSecret: hex.EncodeToString(cfg.URLSecret), started: time.Now()}
	s.metrics = newMetrics(s)
	s.ads = s.adsHandlers()
	s.mgh = s.mghHandlers()
	s.handle("POST /{$}", s.serveAPI)
	s.handle("GET /_poseidon/health", s.health)
	// Metrics are aggregates without account or resource IDs: anyone may
	// read them, in strict mode too, as the health check.
	s.handle("GET /_poseidon/metrics", s.serveMetrics)
	s.handle("POST /_poseidon/reset", s.control(s.reset))
	s.handle("GET /_poseidon/clock", s.control(s.getClock))
	s.handle("POST /_poseidon/clock", s.control(s.setClock))
	s.handle("GET /"+downloadBucket+"/{account}/{file}", s.download)
	s.handle("GET /_poseidon/status", s.control(s.status))
	s.handle("POST /_poseidon/continuous-export-failure", s.control(s.failContinuousExport))
	s.handle("GET "+bucketsPath+"/{bucket}", s.listBucket)
	s.handle("GET "+bucketsPath+"/{bucket}/{key...}", s.getBucketObject)
	s.routeIntake()
	s.routeFaults()
	s.routeConsole()
	if cfg.Faults != nil {
		cfg.Faults.Follow(cfg.Control)
	}
	return s
}

// handle registers h for pattern ("METHOD /path").
func (s *Server) handle(pattern string, h http.HandlerFunc) {
	s.routes = append(s.routes, pattern)
	s.mux.HandleFunc(pattern, h)
}

// SetPublicURL sets the base of download URLs once the listener is known.
func (s *Server) SetPublicURL(u string) { s.cfg.PublicURL = strings.TrimSuffix(u, "/") }

// Ready marks the server ready: health checks answer 200 from now on.
func (s *Server) Ready() { close(s.ready) }

// ServeHTTP adds x-amzn-RequestId and panic recovery around every route.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rid := newRequestID()
	w.Header().Set("x-amzn-RequestId", rid)
	ctx := context.WithValue(r.Context(), requestIDKey{}, rid)
	r = r.WithContext(ctx)
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.ErrorContext(ctx, "panic serving request", "requestId", rid, "panic", v)
			s.metrics.panics.Inc()
			s.writeError(w, r, adsService, errors.New("panic"))
		}
	}()
	// Every answer is JSON: ServeMux would answer a path that is not
	// canonical with a 301 redirect and an HTML body, a wrong method and
	// an unknown path with text/plain.
	if !canonicalPath(r.URL.Path) {
		s.notFound(w, r)
		return
	}
	if _, pattern := s.mux.Handler(r); pattern == "" {
		s.unrouted(w, r)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// canonicalPath reports whether p is a path ServeMux would route as is: no
// empty segment ("//") and no "." or ".." segment, also percent-encoded
// (r.URL.Path is decoded). A trailing slash is canonical (and a route of
// its own).
func canonicalPath(p string) bool {
	if !strings.HasPrefix(p, "/") {
		return false
	}
	segs := strings.Split(p[1:], "/")
	for i, seg := range segs {
		if seg == "." || seg == ".." || seg == "" && i < len(segs)-1 {
			return false
		}
	}
	return true
}

// routeMethods are the methods unrouted tries on a path.
var routeMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions}

// unrouted answers a request no route takes: 405 with Allow when the path
// is a route for other methods, else 404; both JSON.
func (s *Server) unrouted(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range routeMethods {
		probe := *r
		probe.Method = m
		if _, pattern := s.mux.Handler(&probe); pattern != "" {
			allow = append(allow, m)
		}
	}
	if len(allow) == 0 {
		s.notFound(w, r)
		return
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	msg := r.URL.Path + " takes " + strings.Join(allow, ", ") + ", not " + r.Method + "."
	if r.URL.Path == "/" {
		msg = "The AWS JSON 1.1 API is served by POST / (give this URL to the AWS CLI or an SDK as --endpoint-url). " + consoleHint
	}
	writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"__type": "MethodNotAllowedException", "message": msg})
}

type requestIDKey struct{}

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	select {
	case <-s.ready:
		writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "strict": s.cfg.Auth.Strict(),
			"version": s.cfg.Version, "store": s.cfg.StoreKind, "uptimeSeconds": int64(time.Since(s.started).Seconds()),
			"queue": s.queueDepths(r.Context())})
	default:
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "starting",
			"version": s.cfg.Version, "store": s.cfg.StoreKind, "uptimeSeconds": int64(time.Since(s.started).Seconds())})
	}
}

// queueDepths are the background jobs by kind and state for the health
// check: {"export": {"running": 1, "queued": 0, "scheduled": 0}, ...}, with
// every known kind present (see jobDepths); {"error": "..."} if the store
// cannot tell (the health check still answers: the process is up).
func (s *Server) queueDepths(ctx context.Context) map[string]any {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	depths, err := s.jobDepths(ctx)
	if err != nil {
		s.log.WarnContext(ctx, "health: count the jobs", "err", err)
		return map[string]any{"error": "the store did not answer"}
	}
	out := map[string]any{}
	for _, d := range depths {
		out[string(d.Kind)] = map[string]int{"running": d.Running, "queued": d.Queued, "scheduled": d.Scheduled}
	}
	return out
}

// jobDepths are the store's job counts with every known kind present,
// zeros included, then any kind the store has that this build does not
// know (a newer replica's), so that the health check and the metrics list
// the same kinds whether or not they have jobs.
func (s *Server) jobDepths(ctx context.Context) ([]discovery.JobDepth, error) {
	depths, err := s.cfg.Store.JobDepths(ctx, s.cfg.Clock.Now())
	if err != nil {
		return nil, err
	}
	out := make([]discovery.JobDepth, 0, len(discovery.JobKinds)+len(depths))
	for _, k := range discovery.JobKinds {
		out = append(out, discovery.JobDepth{Kind: k})
	}
	for _, d := range depths {
		if i := slices.IndexFunc(out, func(o discovery.JobDepth) bool { return o.Kind == d.Kind }); i >= 0 {
			out[i] = d
		} else {
			out = append(out, d)
		}
	}
	return out, nil
}

// notFound answers a path that is no route, or not in canonical form
// (paths are matched as sent, never redirected).
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	msg := "No such route: " + r.Method + " " + r.URL.Path
	if r.URL.Path == "/_poseidon" || r.URL.Path == "/_poseidon/" {
		msg += ". " + consoleHint
	}
	writeJSON(w, http.StatusNotFound, map[string]string{"__type": "NotFoundException", "message": msg})
}

// consoleHint points a browser that lands on the API's or the control
// API's root to the web console and the list of routes.
const consoleHint = "The web console is at " + UIPath + "; every route is in docs/control-api.md."

// control guards a control-API route: with a --control-token set, callers
// must send "Authorization: Bearer <token>"; in strict mode without a token
// the control API is off.
func (s *Server) control(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok := s.cfg.ControlToken
		if tok == "" {
			if s.cfg.Auth.Strict() {
				writeJSON(w, http.StatusForbidden, map[string]string{"__type": "AccessDeniedException",
					"message": "The control API is off: the server runs in strict mode without --control-token."})
				return
			}
			h(w, r)
			return
		}
		// The scheme name is case-insensitive (RFC 9110 §11.1).
		scheme, got, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			w.Header().Set("WWW-Authenticate", `Bearer realm="poseidon"`)
			writeJSON(w, http.StatusUnauthorized, map[string]string{"__type": "UnauthorizedException",
				"message": "The control API needs Authorization: Bearer <control token>."})
			return
		}
		if subtle.ConstantTimeCompare([]byte(got), []byte(tok)) != 1 {
			writeJSON(w, http.StatusForbidden, map[string]string{"__type": "AccessDeniedException", "message": "The control token is not valid."})
			return
		}
		h(w, r)
	}
}
