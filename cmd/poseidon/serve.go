package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/alecthomas/kong"

	"github.com/poseidon-ads/poseidon/internal/exports"
	"github.com/poseidon-ads/poseidon/internal/launch"
	"github.com/poseidon-ads/poseidon/internal/server"
)

// serveGCPercent is the garbage collector's target while serving, unless
// GOGC is set: the live heap of a server is a few MiB, and letting it grow
// to five times that before a collection, rather than twice, takes about a
// fifth of the CPU off a polled DescribeExportTasks page (docs/performance.md,
// "Read path") for some tens of MiB of memory.
const serveGCPercent = 400

// DefaultAddr is where poseidon listens unless told otherwise.
const DefaultAddr = launch.DefaultAddr

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

// config is the launch.Config the flags set.
func (c *serveCmd) config() launch.Config {
	return launch.Config{
		Addr: c.Addr, Data: c.Data, DatabaseURL: c.DatabaseURL, Credentials: c.Credentials,
		HomeRegion: c.HomeRegion, ControlToken: c.ControlToken, ExportDelay: c.ExportDelay, JobLease: c.JobLease,
		PublicURL: c.PublicURL, ImportAllowDir: c.ImportAllowDir, ImportAllowHost: c.ImportAllowHost,
		MaxBodyBytes: c.MaxBodyBytes, MaxIntakeBytes: c.MaxIntakeBytes, ExportSizeLimit: c.ExportSizeLimit,
		Limits: c.limits(), SmithyStatusCodes: c.SmithyStatusCodes, Workers: c.Workers,
		ReadHeaderTimeout: c.ReadHeaderTimeout, ReadTimeout: c.ReadTimeout, WriteTimeout: c.WriteTimeout,
		IdleTimeout: c.IdleTimeout, MaxConnections: c.MaxConnections,
		PprofAddr: c.PprofAddr, Version: versionString(),
		ContinuousBufferInterval: c.ContinuousBufferInterval, S3Endpoint: c.S3Endpoint, S3Region: c.S3Region,
		S3AccessKeyID: c.S3AccessKeyID, S3SecretAccessKey: c.S3SecretAccessKey,
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
	if c.Data == ":memory:" && !c.Ephemeral {
		// SQLite's name for an in-memory database; poseidon's --data is a
		// directory (database, export and import files), so this would be
		// a folder named ":memory:" that outlives the server.
		return errors.New(`--data :memory: would make a folder named ":memory:": poseidon has no in-memory store (its export files live beside the database). Use --ephemeral to serve from a temporary directory removed when the server stops`)
	}
	if c.Ephemeral {
		remove, err := c.ephemeralData(kctx)
		if err != nil {
			return err
		}
		defer remove()
	}
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(serveGCPercent)
	}
	r, err := launch.Start(ctx, c.config(), log)
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("%w: another process listens there (another poseidon? `poseidon health --url http://%s` tells); stop it, or give another --addr (POSEIDON_ADDR), e.g. --addr 127.0.0.1:0 for a free port", err, c.Addr)
	}
	if err != nil {
		return err
	}
	mode := "open mode"
	if r.Auth.Strict() {
		mode = "strict mode"
	}
	data := "data " + c.Data
	if c.Ephemeral {
		data = "ephemeral data " + c.Data
	}
	fmt.Fprintf(stdout, "poseidon listening on http://%s (%s, %s)\n", r.Addr, mode, data)
	if c.Demo {
		go func() {
			if err := seedDemo(ctx, "http://"+r.Addr, log); err != nil {
				log.Error("demo fleet", "err", err)
			}
		}()
	}
	log.Info("poseidon ready", "addr", r.Addr, "data", c.Data, "strict", r.Auth.Strict(), "homeRegion", c.HomeRegion,
		"console", strings.TrimSuffix(r.URL, "/")+server.UIPath)

	select {
	case err = <-r.Serving():
	case <-ctx.Done():
		log.Info("shutting down: draining requests")
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err = r.Shutdown(sctx)
		cancel()
	}
	r.Close()
	log.Info("poseidon stopped")
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
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
