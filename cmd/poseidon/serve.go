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
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/alecthomas/kong"

	"github.com/poseidon-ads/poseidon/internal/auth"
	"github.com/poseidon-ads/poseidon/internal/clock"
	"github.com/poseidon-ads/poseidon/internal/exportfile"
	"github.com/poseidon-ads/poseidon/internal/exports"
	"github.com/poseidon-ads/poseidon/internal/pagetoken"
	"github.com/poseidon-ads/poseidon/internal/server"
	"github.com/poseidon-ads/poseidon/internal/sqlite"
	"github.com/poseidon-ads/poseidon/internal/worker"
)

// DefaultAddr is where poseidon listens unless told otherwise.
const DefaultAddr = "127.0.0.1:8470"

type serveCmd struct {
	Addr         string        `default:"127.0.0.1:8470" env:"POSEIDON_ADDR" help:"Listen address HOST:PORT (port 0 picks a free one)."`
	Data         string        `default:"./poseidon-data" env:"POSEIDON_DATA" help:"Data directory: the embedded SQLite store and the export files. Created if missing."`
	Credentials  string        `env:"POSEIDON_CREDENTIALS" help:"Strict mode: a JSON credentials file; every request must then carry a valid SigV4 signature."`
	HomeRegion   string        `default:"us-west-2" env:"POSEIDON_HOME_REGION" help:"Home region of every new account, or 'none' to leave it unset."`
	ControlToken string        `env:"POSEIDON_CONTROL_TOKEN" help:"Bearer token for the control API under /_poseidon/ (required in strict mode)."`
	ExportDelay  time.Duration `default:"0s" env:"POSEIDON_EXPORT_DELAY" help:"Hold each export IN_PROGRESS for at least this long, as AWS takes minutes."`
	PublicURL    string        `env:"POSEIDON_PUBLIC_URL" help:"Base URL of download links (default: http://ADDR)."`

	ImportAllowDir  []string `name:"import-allow-dir" env:"POSEIDON_IMPORT_ALLOW_DIR" placeholder:"DIR" help:"Let file:// import URLs read files under DIR (repeatable, or comma-separated). Every account may read them. Without it file:// is off."`
	ImportAllowHost []string `name:"import-allow-host" env:"POSEIDON_IMPORT_ALLOW_HOST" placeholder:"HOST:PORT" help:"Let http(s):// import URLs fetch from HOST:PORT (repeatable, or comma-separated); a name is resolved once, at start. Every account may fetch from it. Without it http(s) is off."`

	MaxBodyBytes        int64  `default:"1048576" env:"POSEIDON_MAX_BODY_BYTES" help:"Largest accepted API request body, in bytes."`
	AgentExportsRunning int    `default:"${agentExportsRunning}" env:"POSEIDON_LIMIT_AGENT_EXPORTS_RUNNING" help:"Agent-data exports running at once per account (0: no limit)."`
	AgentExportsPerDay  int    `default:"${agentExportsPerDay}" env:"POSEIDON_LIMIT_AGENT_EXPORTS_PER_DAY" help:"Agent-data exports per rolling 24 hours per account (0: no limit)."`
	ConfigExportsPer6h  int    `name:"config-exports-per-6h" default:"${configExportsPer6h}" env:"POSEIDON_LIMIT_CONFIG_EXPORTS_PER_6H" help:"ExportConfigurations calls per rolling 6 hours per account (0: no limit)."`
	NoLimits            bool   `env:"POSEIDON_NO_LIMITS" help:"Turn every export limit off (for tests)."`
	SmithyStatusCodes   bool   `env:"POSEIDON_SMITHY_STATUS_CODES" help:"Use the Smithy model's HTTP statuses (403/409/429) instead of the API reference's 400."`
	Workers             int    `default:"2" env:"POSEIDON_WORKERS" help:"Export worker goroutines."`
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

// app is a poseidon server assembled from its flags: the HTTP handler over
// an open store, and the background loops that serve it.
type app struct {
	srv   *server.Server
	authn *auth.Authenticator
	db    *sqlite.DB
	// work are the background loops (export workers, janitor, batch
	// deletes, imports); each runs until its context ends.
	work []func(context.Context)
}

// assemble opens the data directory and the store and builds the handler.
// The caller closes a.db.
func (c *serveCmd) assemble(ctx context.Context, log *slog.Logger) (*app, error) {
	homeRegion := c.HomeRegion
	if strings.EqualFold(homeRegion, "none") {
		homeRegion = ""
	}
	if err := os.MkdirAll(c.Data, 0o755); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	clk := clock.New(time.Now)
	authn := auth.Open()
	if c.Credentials != "" {
		var err error
		if authn, err = auth.LoadStrict(c.Credentials, time.Now); err != nil {
			return nil, err
		}
	}

	db, err := sqlite.Open(ctx, filepath.Join(c.Data, "poseidon.db"))
	if err != nil {
		return nil, err
	}
	offset, err := db.ClockOffset(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	clk.SetOffset(offset)
	a, err := c.build(ctx, log, db, clk, authn, homeRegion)
	if err != nil {
		db.Close()
		return nil, err
	}
	return a, nil
}

func (c *serveCmd) build(ctx context.Context, log *slog.Logger, db *sqlite.DB, clk *clock.Clock, authn *auth.Authenticator, homeRegion string) (*app, error) {
	tokenSecret, err := db.Secret(ctx, "pagetoken")
	if err != nil {
		return nil, err
	}
	urlSecret, err := db.Secret(ctx, "download")
	if err != nil {
		return nil, err
	}

	files := exportfile.Dir{Root: filepath.Join(c.Data, "exports")}
	w := &worker.Worker{Queue: db, Files: files, Now: clk.Now, Log: log, Workers: c.Workers, Changed: clk.Changed(), MaxExportBytes: c.ExportSizeLimit}
	if err := w.Recover(ctx); err != nil {
		return nil, err
	}
	tokens := pagetoken.New(tokenSecret)
	svc := exports.New(exports.Config{Store: db, Now: clk.Now, Delay: c.ExportDelay, Limits: c.limits(), Tokens: tokens, Wake: w.Wake})
	sources, err := c.importSourcesOf(ctx, authn.Strict())
	if err != nil {
		return nil, err
	}
	for _, d := range sources.dirs {
		log.Info("file:// import URLs may read files under a directory, for every account", "dir", d)
	}
	for _, h := range c.ImportAllowHost {
		log.Info("http(s):// import URLs may fetch from a host, for every account", "host", h)
	}
	importer := newImports(db, clk, tokens, c.Data, sources)
	cfiles := continuousFiles(c.Data)
	cont := newContinuousExports(db, clk, tokens, log, cfiles)
	srv := server.New(server.Config{
		Store: db, Exports: svc, Auth: authn, Clock: clk, Files: files, Log: log,
		Agents:            newAgents(db, clk, tokens, log, cont),
		Inventory:         newInventory(db, clk, tokens, log),
		Applications:      newApplications(db, clk, tokens, log),
		Tags:              newTags(db, clk, tokens, log),
		BatchDeletes:      newBatchDeletes(db, clk, tokens, log),
		ContinuousExports: cont,
		Imports:           importer,
		AccountFiles:      []server.AccountFiles{importer, cfiles},
		HomeRegion:        homeRegion, ControlToken: c.ControlToken, MaxBodyBytes: c.MaxBodyBytes, MaxIntakeBytes: c.MaxIntakeBytes,
		SmithyStatusCodes: c.SmithyStatusCodes, URLSecret: urlSecret,
	})
	janitor := &worker.Janitor{Store: db, Files: files, Now: clk.Now, Log: log, Changed: clk.Changed()}
	return &app{srv: srv, authn: authn, db: db, work: []func(context.Context){
		func(ctx context.Context) { w.Run(ctx) },
		func(ctx context.Context) { janitor.Run(ctx) },
		func(ctx context.Context) { runBatchDeletes(ctx, db, clk, log) },
		func(ctx context.Context) { importer.Run(ctx, log) },
	}}, nil
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

func (c *serveCmd) Run(ctx context.Context, stdout io.Writer, g *globals) error {
	log := newLogger(g.stderr, c.LogLevel, c.LogFormat)
	if c.ReadHeaderTimeout < 0 || c.ReadTimeout < 0 || c.WriteTimeout < 0 || c.IdleTimeout < 0 {
		return errors.New("timeouts must not be negative")
	}
	if c.MaxConnections < 0 {
		return errors.New("--max-connections must not be negative")
	}
	a, err := c.assemble(ctx, log)
	if err != nil {
		return err
	}
	defer a.db.Close()
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

	serveErr := make(chan error, 1)
	go func() { serveErr <- hs.Serve(ln) }()
	srv.Ready()
	mode := "open mode"
	if authn.Strict() {
		mode = "strict mode"
	}
	fmt.Fprintf(stdout, "poseidon listening on http://%s (%s, data %s)\n", addr, mode, c.Data)
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
