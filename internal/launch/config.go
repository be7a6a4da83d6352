package launch

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/poseidon-ads/poseidon/internal/exports"
	"github.com/poseidon-ads/poseidon/internal/imports"
)

// Config is what a poseidon server is made from. Each field is the setting
// of the "poseidon serve" flag of the same name (see its help for the
// details); DefaultConfig holds the flags' defaults.
type Config struct {
	// Addr is the listen address HOST:PORT (port 0 picks a free one).
	Addr string
	// Data is the data directory, created if missing: the SQLite store and
	// the export files (without DatabaseURL), import files, continuous
	// export data.
	Data string
	// DatabaseURL, if set, keeps the state and the export archives in this
	// PostgreSQL database instead of SQLite in Data.
	DatabaseURL string
	// Credentials, if set, is a JSON credentials file: strict mode.
	Credentials string
	// HomeRegion is the home region of every new account ("none": unset).
	HomeRegion string
	// ControlToken is the bearer token of the control API under
	// /_poseidon/ (required in strict mode).
	ControlToken string
	// ExportDelay holds each export IN_PROGRESS for at least this long.
	ExportDelay time.Duration
	// JobLease is the lease of a background job on the virtual clock.
	JobLease time.Duration
	// PublicURL is the base URL of download links (default: http://ADDR).
	PublicURL string

	// ImportAllowDir are the directories file:// import URLs may read;
	// ImportAllowHost the HOST:PORTs http(s):// import URLs may fetch from.
	ImportAllowDir  []string
	ImportAllowHost []string

	// MaxBodyBytes bounds an API request body, MaxIntakeBytes an agent
	// intake body, ExportSizeLimit an agent export's uncompressed CSV.
	MaxBodyBytes    int64
	MaxIntakeBytes  int64
	ExportSizeLimit int64
	// Limits are the export limits.
	Limits exports.Limits
	// SmithyStatusCodes uses the Smithy model's HTTP statuses.
	SmithyStatusCodes bool
	// Workers is how many exports are built at once.
	Workers int

	// The connection timeouts (0: no limit) and the most client
	// connections open at once (0: no limit).
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	MaxConnections    int

	// PprofAddr, if set, serves Go's profiles on a listener of their own.
	PprofAddr string

	// ContinuousBufferInterval is how long continuous exports buffer agent
	// data before writing it as Parquet (virtual clock), as Firehose does.
	ContinuousBufferInterval time.Duration
	// S3Endpoint, if set, is the S3-compatible store continuous export
	// buckets are written to (path-style), with its region and keys.
	S3Endpoint, S3Region, S3AccessKeyID, S3SecretAccessKey string

	// Version is the version the health check reports.
	Version string
}

// DefaultAddr is where poseidon listens unless told otherwise.
const DefaultAddr = "127.0.0.1:8470"

// DefaultConfig is the Config of "poseidon serve" without flags (the
// defaults of its flags, which a test of cmd/poseidon holds to these).
func DefaultConfig() Config {
	return Config{
		Addr:              DefaultAddr,
		Data:              "./poseidon-data",
		HomeRegion:        "us-west-2",
		JobLease:          10 * time.Second,
		MaxBodyBytes:      1 << 20,
		MaxIntakeBytes:    8 << 20,
		ExportSizeLimit:   1 << 30,
		Limits:            exports.DefaultLimits,
		Workers:           2,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      10 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxConnections:    1024,

		ContinuousBufferInterval: 300 * time.Second,
		S3Region:                 "us-west-2",
	}
}

// maxHeaderBytes bounds a request's header block.
const maxHeaderBytes = 64 << 10

// importSources are where import URLs may read from, from the Config.
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
func (c *Config) importSourcesOf(ctx context.Context, strict bool) (importSources, error) {
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
// of the Config.
func (c *Config) httpServer(handler http.Handler, log *slog.Logger) *http.Server {
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
