package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/alecthomas/kong"

	"github.com/poseidon-ads/poseidon/internal/exports"
	"github.com/poseidon-ads/poseidon/internal/imports"
)

// serveGCPercent is the garbage collector's target while serving, unless
// GOGC is set: the live heap of a server is a few MiB, and letting it grow
// to five times that before a collection, rather than twice, takes about a
// fifth of the CPU off a polled DescribeExportTasks page (docs/performance.md,
// "Read path") for some tens of MiB of memory.
const serveGCPercent = 400

// DefaultAddr is where poseidon listens unless told otherwise.
const DefaultAddr = "127.0.0.1:8470"

type serveCmd struct {
	Addr         string        `default:"127.0.0.1:8470" env:"POSEIDON_ADDR" help:"Listen address HOST:PORT (port 0 picks a free one)."`
	Data         string        `default:"./poseidon-data" env:"POSEIDON_DATA" help:"Data directory: the embedded SQLite store and the export files (without --database-url), import files, continuous export data. Created if missing."`
	Ephemeral    bool          `env:"POSEIDON_EPHEMERAL" help:"Serve from a new temporary data directory (SQLite), removed when the server stops; not with --data or --database-url."`
	DatabaseURL  string        `name:"database-url" env:"POSEIDON_DATABASE_URL" placeholder:"URL" help:"Keep the state and export archives in this PostgreSQL database (postgres://user@host:5432/db?search_path=schema), shared by every replica given it, instead of SQLite in --data."`
	Credentials  string        `env:"POSEIDON_CREDENTIALS" help:"Strict mode: a JSON credentials file; every request must then carry a valid SigV4 signature."`
	HomeRegion   string        `default:"us-west-2" env:"POSEIDON_HOME_REGION" help:"Home region of every new account, or 'none' to leave it unset."`
	ControlToken string        `env:"POSEIDON_CONTROL_TOKEN" help:"Bearer token for the control API under /_poseidon/ (required in strict mode)."`
	ExportDelay  time.Duration `default:"0s" env:"POSEIDON_EXPORT_DELAY" help:"Hold each export IN_PROGRESS for at least this long, as AWS takes minutes."`
	JobLease     time.Duration `default:"10s" env:"POSEIDON_JOB_LEASE" help:"Lease of a background job (export, import, batch delete, ...) on the virtual clock, renewed every third of it while it runs; the job of a process that died runs again once its lease has passed."`
	PublicURL    string        `env:"POSEIDON_PUBLIC_URL" help:"Base URL of download links (default: http://ADDR)."`

	ImportAllowDir  []string `name:"import-allow-dir" env:"POSEIDON_IMPORT_ALLOW_DIR" placeholder:"DIR" help:"Let file:// import URLs read files under DIR (repeatable, or comma-separated). Every account may read them. Without it file:// is off."`
	ImportAllowHost []string `name:"import-allow-host" env:"POSEIDON_IMPORT_ALLOW_HOST" placeholder:"HOST:PORT" help:"Let http(s):// import URLs fetch from HOST:PORT (repeatable, or comma-separated); a name is resolved once, at start. Every account may fetch from it. Without it http(s) is off."`

	MaxBodyBytes        int64  `default:"1048576" env:"POSEIDON_MAX_BODY_BYTES" help:"Largest accepted API request body, in bytes."`
	AgentExportsRunning int    `default:"${agentExportsRunning}" env:"POSEIDON_LIMIT_AGENT_EXPORTS_RUNNING" help:"Agent-data exports running at once per account (0: no limit)."`
	AgentExportsPerDay  int    `default:"${agentExportsPerDay}" env:"POSEIDON_LIMIT_AGENT_EXPORTS_PER_DAY" help:"Agent-data exports per rolling 24 hours per account (0: no limit)."`
	ConfigExportsPer6h  int    `name:"config-exports-per-6h" default:"${configExportsPer6h}" env:"POSEIDON_LIMIT_CONFIG_EXPORTS_PER_6H" help:"ExportConfigurations calls per rolling 6 hours per account (0: no limit)."`
	NoLimits            bool   `env:"POSEIDON_NO_LIMITS" help:"Turn every export limit off (for tests)."`
	SmithyStatusCodes   bool   `env:"POSEIDON_SMITHY_STATUS_CODES" help:"Use the Smithy model's HTTP statuses (403/409/429) instead of the API reference's 400."`
	Workers             int    `default:"2" env:"POSEIDON_WORKERS" help:"Exports built at once (the other kinds of background jobs run one at a time each)."`
	MaxIntakeBytes      int64  `default:"8388608" env:"POSEIDON_MAX_INTAKE_BYTES" help:"Largest agent intake body (POST /_poseidon/intake), in bytes."`
	ExportSizeLimit     int64  `default:"1073741824" env:"POSEIDON_EXPORT_SIZE_LIMIT" help:"Largest agent export, in uncompressed CSV bytes; a bigger one stops at a report boundary and is truncated."`
	LogLevel            string `default:"info" enum:"debug,info,warn,error" env:"POSEIDON_LOG_LEVEL" help:"Log level: debug, info, warn, error."`
	LogFormat           string `default:"text" enum:"text,json" env:"POSEIDON_LOG_FORMAT" help:"Log format: text or json."`
	Demo                bool   `env:"POSEIDON_DEMO" help:"Seed a small demo fleet through the intake endpoint at start."`

	ReadHeaderTimeout time.Duration `default:"10s" env:"POSEIDON_READ_HEADER_TIMEOUT" help:"Longest time a client may take to send a request's headers (0: no limit)."`
	ReadTimeout       time.Duration `default:"60s" env:"POSEIDON_READ_TIMEOUT" help:"Longest time a client may take to send a whole request, headers and body (0: no limit)."`
	WriteTimeout      time.Duration `default:"10m" env:"POSEIDON_WRITE_TIMEOUT" help:"Longest time from the end of a request's headers to the end of its response (0: no limit)."`
	IdleTimeout       time.Duration `default:"2m" env:"POSEIDON_IDLE_TIMEOUT" help:"Longest time a keep-alive connection may wait for its next request (0: the read timeout)."`
	MaxConnections    int           `default:"1024" env:"POSEIDON_MAX_CONNECTIONS" help:"Most client connections open at once; more wait to be accepted (0: no limit)."`

	PprofAddr string `name:"pprof-addr" env:"POSEIDON_PPROF_ADDR" placeholder:"HOST:PORT" help:"Serve Go's profiles (net/http/pprof, /debug/pprof/) on a listener of their own at HOST:PORT, never on the API's. Off by default."`

	ContinuousBufferInterval time.Duration `default:"300s" env:"POSEIDON_CONTINUOUS_BUFFER_INTERVAL" help:"Buffering interval of continuous exports (virtual clock): buffered agent data is written as Parquet files this long after the buffer's first record, as Firehose does."`
	S3Endpoint               string        `name:"s3-endpoint" env:"POSEIDON_S3_ENDPOINT" placeholder:"URL" help:"Write continuous export buckets to this S3-compatible endpoint (path-style, through the AWS SDK for Go v2) instead of DATA/continuous-exports."`
	S3Region                 string        `name:"s3-region" default:"us-west-2" env:"POSEIDON_S3_REGION" help:"Region of --s3-endpoint."`
	S3AccessKeyID            string        `name:"s3-access-key-id" env:"POSEIDON_S3_ACCESS_KEY_ID" help:"Access key ID for --s3-endpoint (unsigned requests without it)."`
	S3SecretAccessKey        string        `name:"s3-secret-access-key" env:"POSEIDON_S3_SECRET_ACCESS_KEY" help:"Secret access key for --s3-endpoint."`
}

// limitDefaults are the defaults of the export limit flags: AWS's documented
// limits, as exports.DefaultLimits holds them, so that the two cannot drift.
var limitDefaults = kong.Vars{
	"agentExportsRunning": strconv.Itoa(exports.DefaultLimits.AgentConcurrent),
	"agentExportsPerDay":  strconv.Itoa(exports.DefaultLimits.AgentPerDay),
	"configExportsPer6h":  strconv.Itoa(exports.DefaultLimits.ConfigurationExports),
}

// limits are the export limits the flags set.
func (c *serveCmd) limits() exports.Limits {
	return exports.Limits{AgentConcurrent: c.AgentExportsRunning, AgentPerDay: c.AgentExportsPerDay, ConfigurationExports: c.ConfigExportsPer6h, Disabled: c.NoLimits}
}

// maxHeaderBytes bounds a request's header block.
const maxHeaderBytes = 64 << 10

// importSources are where import URLs may read from, from the serve flags.
type importSources struct {
	perAccount bool // strict mode: data/buckets/<account>/BUCKET/KEY
	dirs       []string
	hosts      *imports.Hosts
}

// importSourcesOf checks the --import-allow-dir and --import-allow-host
// flags. An allowed directory must exist, and may neither hold nor lie
// inside the data directory (the store and every account's files), hold
// the credentials file, or be a kernel file system (/proc, /sys, /dev);
// it is kept with its symbolic links resolved. Host names are resolved
// once, here.
func (c *serveCmd) importSourcesOf(ctx context.Context, strict bool) (importSources, error) {
	src := importSources{perAccount: strict}
	data, err := realPath(c.Data)
	if err != nil {
		return src, err
	}
	guarded := []string{data}
	if c.Credentials != "" {
		creds, err := realPath(c.Credentials)
		if err != nil {
			return src, err
		}
		guarded = append(guarded, creds)
	}
	for _, d := range c.ImportAllowDir {
		p, err := realPath(d)
		if err != nil {
			return src, fmt.Errorf("--import-allow-dir %s: %w", d, err)
		}
		if st, err := os.Stat(p); err != nil || !st.IsDir() {
			return src, fmt.Errorf("--import-allow-dir %s: not a directory", d)
		}
		for _, g := range guarded {
			if within(g, p) || within(p, g) {
				return src, fmt.Errorf("--import-allow-dir %s: overlaps %s, which tenants must not read", d, g)
			}
		}
		for _, k := range []string{"/proc", "/sys", "/dev"} {
			if within(p, k) || within(k, p) {
				return src, fmt.Errorf("--import-allow-dir %s: overlaps %s", d, k)
			}
		}
		src.dirs = append(src.dirs, p)
	}
	if src.hosts, err = imports.NewHosts(ctx, c.ImportAllowHost, nil); err != nil {
		return src, fmt.Errorf("--import-allow-host: %w", err)
	}
	return src, nil
}

// realPath is p made absolute with its symbolic links resolved.
func realPath(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(abs)
}

// within reports whether p is dir or lies inside it.
func within(p, dir string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && (rel == "." || filepath.IsLocal(rel))
}

// httpServer is the http.Server for handler with the connection timeouts
// of the flags.
func (c *serveCmd) httpServer(handler http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: c.ReadHeaderTimeout,
		ReadTimeout:       c.ReadTimeout,
		WriteTimeout:      c.WriteTimeout,
		IdleTimeout:       c.IdleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// ephemeralData makes the temporary data directory of --ephemeral, after
// checking that no data directory or database was asked for too (on the
// command line or in the environment); remove deletes it.
func (c *serveCmd) ephemeralData(kctx *kong.Context) (remove func(), err error) {
	for _, f := range []struct{ flag, env string }{{"data", "POSEIDON_DATA"}, {"database-url", "POSEIDON_DATABASE_URL"}} {
		if flagGiven(kctx, f.flag) {
			return nil, fmt.Errorf("--ephemeral serves from a temporary directory: it cannot be used with --%s", f.flag)
		}
		if os.Getenv(f.env) != "" {
			return nil, fmt.Errorf("--ephemeral serves from a temporary directory: it cannot be used with %s (--%s) set", f.env, f.flag)
		}
	}
	dir, err := os.MkdirTemp("", "poseidon-ephemeral-")
	if err != nil {
		return nil, fmt.Errorf("--ephemeral: %w", err)
	}
	c.Data = dir
	return func() { os.RemoveAll(dir) }, nil
}

// flagGiven reports whether the flag named name was given on the command
// line (a default does not count).
func flagGiven(kctx *kong.Context, name string) bool {
	if kctx == nil {
		return false
	}
	for _, p := range kctx.Path {
		if p.Flag != nil && p.Flag.Name == name {
			return true
		}
	}
	return false
}

func (c *serveCmd) Run(ctx context.Context, stdout io.Writer, g *globals, kctx *kong.Context) error {
	log := newLogger(g.stderr, c.LogLevel, c.LogFormat)
	if c.Ephemeral {
		remove, err := c.ephemeralData(kctx)
		if err != nil {
			return err
		}
		defer remove()
	}
	if c.ReadHeaderTimeout < 0 || c.ReadTimeout < 0 || c.WriteTimeout < 0 || c.IdleTimeout < 0 {
		return errors.New("timeouts must not be negative")
	}
	if c.MaxConnections < 0 {
		return errors.New("--max-connections must not be negative")
	}
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(serveGCPercent)
	}
	a, err := newApp(ctx, c, log)
	if err != nil {
		return err
	}
	defer a.close()
	srv, authn := a.srv, a.authn

	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return err
	}
	if c.MaxConnections > 0 {
		ln = limitListener(ln, c.MaxConnections)
	}
	addr := ln.Addr().String()
	public := c.PublicURL
	if public == "" {
		public = "http://" + addr
	}
	srv.SetPublicURL(public)
	if host, _, _ := net.SplitHostPort(addr); !isLoopback(host) && c.Credentials == "" {
		log.Warn("listening beyond loopback without --credentials: anyone who can reach this address can use it", "addr", addr)
	}

	hs := c.httpServer(srv, log)
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	for _, run := range a.work {
		wg.Go(func() { run(workCtx) })
	}

	if c.PprofAddr != "" {
		paddr, closePprof, err := startPprof(c.PprofAddr, log)
		if err != nil {
			stopWork()
			wg.Wait()
			ln.Close()
			return err
		}
		defer closePprof()
		log.Info("profiling endpoint", "addr", "http://"+paddr+"/debug/pprof/")
	}

	serveErr := make(chan error, 1)
	go func() { serveErr <- hs.Serve(ln) }()
	srv.Ready()
	mode := "open mode"
	if authn.Strict() {
		mode = "strict mode"
	}
	data := "data " + c.Data
	if c.Ephemeral {
		data = "ephemeral data " + c.Data
	}
	fmt.Fprintf(stdout, "poseidon listening on http://%s (%s, %s)\n", addr, mode, data)
	if c.Demo {
		go func() {
			if err := seedDemo(ctx, "http://"+addr, log); err != nil {
				log.Error("demo fleet", "err", err)
			}
		}()
	}
	log.Info("poseidon ready", "addr", addr, "data", c.Data, "strict", authn.Strict(), "homeRegion", c.HomeRegion)

	select {
	case err = <-serveErr:
	case <-ctx.Done():
		log.Info("shutting down: draining requests")
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err = hs.Shutdown(sctx)
		cancel()
	}
	stopWork()
	wg.Wait()
	log.Info("poseidon stopped")
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func newLogger(w io.Writer, level, format string) *slog.Logger {
	var lv slog.Level
	lv.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{Level: lv}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
