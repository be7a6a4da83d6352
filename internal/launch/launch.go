// Package launch assembles a running poseidon from a Config: it opens the
// store (SQLite in the data directory, or PostgreSQL), wires every use case,
// background runner and the HTTP edge over it (New), and serves it on a
// listener (Start). "poseidon serve" maps its flags to a Config; the
// poseidontest fixture builds one of its own.
package launch

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/poseidon-ads/poseidon/internal/agents"
	"github.com/poseidon-ads/poseidon/internal/applications"
	"github.com/poseidon-ads/poseidon/internal/auth"
	"github.com/poseidon-ads/poseidon/internal/batchdelete"
	"github.com/poseidon-ads/poseidon/internal/clock"
	"github.com/poseidon-ads/poseidon/internal/console"
	"github.com/poseidon-ads/poseidon/internal/continuous"
	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/exportfile"
	"github.com/poseidon-ads/poseidon/internal/exports"
	"github.com/poseidon-ads/poseidon/internal/faults"
	"github.com/poseidon-ads/poseidon/internal/imports"
	"github.com/poseidon-ads/poseidon/internal/inventory"
	"github.com/poseidon-ads/poseidon/internal/pagetoken"
	"github.com/poseidon-ads/poseidon/internal/postgres"
	"github.com/poseidon-ads/poseidon/internal/queue"
	"github.com/poseidon-ads/poseidon/internal/server"
	"github.com/poseidon-ads/poseidon/internal/sqlite"
	"github.com/poseidon-ads/poseidon/internal/tags"
	"github.com/poseidon-ads/poseidon/internal/worker"
)

// Store is what poseidon needs of its store: the Store interfaces that the
// HTTP edge, the use cases and the background runners each declare, and the
// server's own settings. A store is one implementation of all of them; it is
// opened in New.
type Store interface {
	server.Store
	exports.Store
	agents.Store
	agents.RetentionStore
	inventory.Store
	applications.Store
	tags.Store
	batchdelete.Store
	continuous.Store
	continuous.ObjectStore
	imports.Store
	console.Store
	worker.Store
	worker.Retention
	queue.Store

	// Secret returns the named server secret, made the first time and kept
	// across restarts and resets.
	Secret(ctx context.Context, name string) ([]byte, error)
	// ControlChanges signals, until ctx ends, the changes of the control
	// state (server.Store.UpdateControl) that other processes sharing the
	// store make; nil when none can (SQLite serves one process).
	ControlChanges(ctx context.Context) <-chan struct{}
	Close() error
}

// The stores poseidon can open.
var (
	_ Store = (*sqlite.DB)(nil)
	_ Store = (*postgres.DB)(nil)
)

// Archives is where poseidon keeps export archives: what the worker writes
// and the janitor deletes, and what the server serves and resets.
type Archives interface {
	worker.Archives
	server.Archives
}

// The archive stores: files in the data directory beside SQLite, the
// database's with PostgreSQL.
var (
	_ Archives = exportfile.Dir{}
	_ Archives = (*postgres.Archives)(nil)
)

// App is a poseidon server assembled from its Config: the HTTP handler over
// an open store, and the background loops that serve it.
type App struct {
	Server *server.Server
	Auth   *auth.Authenticator
	Store  Store
	// Work are the background loops (the job queue's runner); each runs
	// until its context ends.
	Work []func(context.Context)
	// release gives back the owner slot of the job runner (see ownerSlot).
	release func()
}

// Close closes the store and gives the owner slot back; the work must have
// ended.
func (a *App) Close() error {
	err := a.Store.Close()
	a.release()
	return err
}

// New is the one place that opens the store and wires poseidon: from c it
// opens the data directory and the store (PostgreSQL at c.DatabaseURL, with
// the export archives in it; else SQLite in the data directory, with the
// archives beside it), and builds every service, runner and the HTTP
// server. Start (so "poseidon serve" and poseidontest) and the tests'
// in-process handlers use it. The caller runs a.Work and calls a.Close.
func New(ctx context.Context, c *Config, log *slog.Logger) (*App, error) {
	homeRegion := c.HomeRegion
	if strings.EqualFold(homeRegion, "none") {
		homeRegion = ""
	}
	if err := os.MkdirAll(c.Data, 0o755); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	authn := auth.Open()
	if c.Credentials != "" {
		var err error
		if authn, err = auth.LoadStrict(c.Credentials, time.Now); err != nil {
			return nil, err
		}
	}
	sources, err := c.importSourcesOf(ctx, authn.Strict())
	if err != nil {
		return nil, err
	}
	slot, release, err := ownerSlot(c.Data)
	if err != nil {
		return nil, err
	}
	db, files, slot, err := c.openStore(ctx, slot)
	if err != nil {
		release()
		return nil, err
	}
	a, err := wire(ctx, c, log, db, files, authn, homeRegion, sources, slot)
	if err != nil {
		db.Close()
		release()
		return nil, err
	}
	a.release = release
	return a, nil
}

// openStore opens the store and the archive store: PostgreSQL at
// c.DatabaseURL, with the archives in it, else SQLite in the data
// directory, with the archives beside it. It returns the owner prefix of
// the job runner for slot: with PostgreSQL the slot's lock tells that the
// slot's previous holder is dead only among the processes of this data
// directory (replicas on others share the database, and their slots), so
// the prefix names the data directory too.
func (c *Config) openStore(ctx context.Context, slot string) (Store, Archives, string, error) {
	if c.DatabaseURL == "" {
		db, err := sqlite.Open(ctx, filepath.Join(c.Data, "poseidon.db"))
		if err != nil {
			return nil, nil, "", err
		}
		return db, exportfile.Dir{Root: filepath.Join(c.Data, "exports")}, slot, nil
	}
	if slot != "" {
		dir, err := dataDirID(c.Data)
		if err != nil {
			return nil, nil, "", err
		}
		slot = dir + "/" + slot
	}
	db, files, err := openPostgres(ctx, c.DatabaseURL)
	return db, files, slot, err
}

// openPostgres opens the PostgreSQL store at url and its archive store.
func openPostgres(ctx context.Context, url string) (Store, Archives, error) {
	db, err := postgres.Open(ctx, url)
	if err != nil {
		return nil, nil, err
	}
	return db, db.Archives(), nil
}

// dataDirID returns the random ID of the data directory, made the first
// time (data/poseidon-dir-id), so that the job owners of processes on
// different data directories sharing one database differ.
func dataDirID(data string) (string, error) {
	path := filepath.Join(data, "poseidon-dir-id")
	for range 3 {
		b, err := os.ReadFile(path)
		if err == nil && len(bytes.TrimSpace(b)) == 32 {
			return string(bytes.TrimSpace(b)), nil
		}
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("data directory ID: %w", err)
		}
		// Written whole under another name, then linked into place: a
		// process starting at the same time reads one ID or none.
		id := make([]byte, 16)
		rand.Read(id)
		tmp, err := os.CreateTemp(data, ".poseidon-dir-id-*")
		if err != nil {
			return "", fmt.Errorf("data directory ID: %w", err)
		}
		_, err = tmp.WriteString(hex.EncodeToString(id) + "\n")
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			if err = os.Link(tmp.Name(), path); errors.Is(err, os.ErrExist) {
				err = nil
			}
		}
		os.Remove(tmp.Name())
		if err != nil {
			return "", fmt.Errorf("data directory ID: %w", err)
		}
	}
	return "", errors.New("data directory ID: poseidon-dir-id is not a 32-digit hexadecimal ID")
}

// servesAlone reports whether the store serves this process alone: SQLite
// does, PostgreSQL is shared with the replicas on it.
func servesAlone(store Store) bool {
	_, ok := store.(*sqlite.DB)
	return ok
}

// storeKind names the store for the health check.
func storeKind(store Store) string {
	if servesAlone(store) {
		return "sqlite"
	}
	return "postgres"
}

// wire builds the services, runners and HTTP server over an open store and
// archive store. slot is the owner prefix of the job runner (see
// ownerSlot), "" for none.
func wire(ctx context.Context, c *Config, log *slog.Logger, store Store, files Archives, authn *auth.Authenticator, homeRegion string, sources importSources, slot string) (*App, error) {
	// The virtual clock starts at the stored offset; the server applies
	// later changes (see the server's Follow, below).
	clk := clock.New(time.Now)
	control, err := store.Control(ctx)
	if err != nil {
		return nil, err
	}
	clk.SetOffset(control.ClockOffset)
	tokenSecret, err := store.Secret(ctx, "pagetoken")
	if err != nil {
		return nil, err
	}
	urlSecret, err := store.Secret(ctx, "download")
	if err != nil {
		return nil, err
	}
	tokens := pagetoken.New(tokenSecret)

	// One job queue runs all background work: the use cases create each
	// task with its job, in one store transaction, and wake the runner;
	// the runner hands each job to its kind's handler, below. Leases are
	// on the virtual clock. The jobs a dead process held in the same owner
	// slot are taken over at once; those of other dead owners once their
	// lease has passed.
	runner := &queue.Runner{Store: store, Now: clk.Now, Changed: clk.Changed(), Log: log, Lease: c.JobLease,
		Owner: slot + queue.NewOwner(), Succeeds: slot}

	// Exports: the worker builds what the service queues into the archive
	// store, the janitor deletes what has expired.
	// Faults injected through the control API live in the store's control
	// state, shared by replicas (docs/control-api.md).
	inj := &faults.Injector{Store: store, Now: clk.Now}
	w := &worker.Worker{Store: store, Files: files, Now: clk.Now, Log: log, MaxExportBytes: c.ExportSizeLimit,
		ProgressEvery: worker.DefaultProgressEvery, Faults: inj}
	janitor := &worker.Janitor{Store: store, Files: files, Now: clk.Now, Log: log}
	exporter := exports.New(exports.Config{Store: store, Now: clk.Now, Delay: c.ExportDelay, Limits: c.Limits, Tokens: tokens, Wake: runner.Wake})

	// Continuous exports write Parquet under data/continuous-exports/<s3Bucket>/
	// (one bucket per account), buffered in data/continuous-buffer/; agent
	// intake forwards accepted data to them.
	cfiles := &continuous.Files{Root: filepath.Join(c.Data, "continuous-exports"), Spool: filepath.Join(c.Data, "continuous-buffer"),
		Interval: c.ContinuousBufferInterval, Now: clk.Now, Log: log}
	if cfiles.Objects, err = c.continuousObjects(store, clk.Now); err != nil {
		return nil, err
	}
	cont := continuous.New(continuous.Config{Store: store, Files: cfiles, Now: clk.Now, Tokens: tokens, Log: log})
	agentSvc := agents.New(agents.Config{Store: store, Now: clk.Now, Tokens: tokens, Forward: cont})
	// Agent data older than 90 days goes (agents.Retention).
	retention := &agents.Retention{Store: store, Now: clk.Now, Log: log}

	// Imports serve their operations and run their tasks; local buckets
	// live under data/buckets/BUCKET/KEY (open mode) or
	// data/buckets/<account>/BUCKET/KEY (strict mode).
	for _, d := range sources.dirs {
		log.Info("file:// import URLs may read files under a directory, for every account", "dir", d)
	}
	for _, h := range c.ImportAllowHost {
		log.Info("http(s):// import URLs may fetch from a host, for every account", "host", h)
	}
	importer := &imports.Service{Store: store, Now: clk.Now, Tokens: tokens, Data: c.Data, Wake: runner.Wake, Log: log,
		PerAccount: sources.perAccount, AllowDirs: sources.dirs, Hosts: sources.hosts, Faults: inj}

	// Batch deletes are recorded by the service and executed by their
	// job's handler.
	deleter := &batchdelete.Runner{Store: store, Now: clk.Now}

	runner.Kinds = map[discovery.JobKind]queue.Kind{
		discovery.JobExport:          {Handler: w, Workers: c.Workers},
		discovery.JobJanitor:         {Handler: janitor, Every: worker.JanitorEvery},
		discovery.JobRetention:       {Handler: retention, Every: agents.RetentionEvery},
		discovery.JobImport:          {Handler: importer},
		discovery.JobBatchDelete:     {Handler: deleter},
		discovery.JobContinuousStart: {Handler: cont},
		discovery.JobContinuousStop:  {Handler: cont},
	}

	srv := server.New(server.Config{
		Store: store, Exports: exporter, Auth: authn, Clock: clk, Files: files, Log: log,
		Agents:            agentSvc,
		Inventory:         inventory.New(inventory.Config{Store: store, Tokens: tokens, Log: log}),
		Applications:      applications.New(applications.Config{Store: store, Now: clk.Now, Log: log}),
		Tags:              tags.New(store, clk.Now, tokens),
		BatchDeletes:      batchdelete.New(store, clk.Now, runner.Wake),
		ContinuousExports: cont,
		Imports:           importer,
		Console:           console.New(store, clk.Now),
		AccountFiles:      []server.AccountFiles{importer, cfiles},
		HomeRegion:        homeRegion, ControlToken: c.ControlToken, MaxBodyBytes: c.MaxBodyBytes, MaxIntakeBytes: c.MaxIntakeBytes,
		SmithyStatusCodes: c.SmithyStatusCodes, URLSecret: urlSecret, Control: control,
		// SQLite serves this process alone; PostgreSQL is shared with the
		// replicas, whose home region changes this one must see at once.
		CacheHomeRegions: servesAlone(store),
		Version:          c.Version, StoreKind: storeKind(store), Faults: inj,
	})
	w.OnFinish, w.OnGiveUp = srv.ExportFinished, srv.ExportGivenUp
	return &App{Server: srv, Auth: authn, Store: store, Work: []func(context.Context){
		func(ctx context.Context) { runner.Run(ctx) },
		func(ctx context.Context) { cfiles.Run(ctx, clk.Changed()) },
		// Replicas sharing the store follow each other's clock moves
		// and resets: told at once by the store, and read every
		// server.FollowEvery regardless. No request reads them from the
		// store.
		func(ctx context.Context) {
			if changes := store.ControlChanges(ctx); changes != nil {
				srv.Follow(ctx, server.FollowEvery, changes)
			}
		},
	}}, nil
}
