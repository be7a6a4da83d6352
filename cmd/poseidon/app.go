package main

import (
	"context"
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
	"github.com/poseidon-ads/poseidon/internal/continuous"
	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/exportfile"
	"github.com/poseidon-ads/poseidon/internal/exports"
	"github.com/poseidon-ads/poseidon/internal/imports"
	"github.com/poseidon-ads/poseidon/internal/inventory"
	"github.com/poseidon-ads/poseidon/internal/pagetoken"
	"github.com/poseidon-ads/poseidon/internal/queue"
	"github.com/poseidon-ads/poseidon/internal/server"
	"github.com/poseidon-ads/poseidon/internal/sqlite"
	"github.com/poseidon-ads/poseidon/internal/tags"
	"github.com/poseidon-ads/poseidon/internal/worker"
)

// Store is what poseidon needs of its store: the Store interfaces that the
// HTTP edge, the use cases and the background runners each declare, and the
// server's own settings. A store is one implementation of all of them; it is
// opened in newApp.
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
	imports.Store
	worker.Store
	worker.Retention
	queue.Store

	// Secret returns the named server secret, made the first time and kept
	// across restarts and resets.
	Secret(ctx context.Context, name string) ([]byte, error)
	// ClockOffset returns the virtual clock's stored offset (see
	// server.Store.SetClockOffset).
	ClockOffset(ctx context.Context) (time.Duration, error)
	Close() error
}

// The stores poseidon can open.
var _ Store = (*sqlite.DB)(nil)

// app is a poseidon server assembled from its flags: the HTTP handler over an
// open store, and the background loops that serve it.
type app struct {
	srv   *server.Server
	authn *auth.Authenticator
	store Store
	// work are the background loops (the job queue's runner); each runs
	// until its context ends.
	work []func(context.Context)
	// release gives back the owner slot of the job runner (see ownerSlot).
	release func()
}

// close closes the store and gives the owner slot back; the work must have
// ended.
func (a *app) close() error {
	err := a.store.Close()
	a.release()
	return err
}

// newApp is the one place that opens the store and wires poseidon: from the
// parsed serve flags it opens the data directory and the store, and builds
// every service, runner and the HTTP server. "poseidon serve" and the tests'
// in-process servers use it. The caller calls a.close.
func newApp(ctx context.Context, c *serveCmd, log *slog.Logger) (*app, error) {
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
	db, err := sqlite.Open(ctx, filepath.Join(c.Data, "poseidon.db"))
	if err != nil {
		release()
		return nil, err
	}
	a, err := wire(ctx, c, log, db, authn, homeRegion, sources, slot)
	if err != nil {
		db.Close()
		release()
		return nil, err
	}
	a.release = release
	return a, nil
}

// wire builds the services, runners and HTTP server over an open store.
// slot is the owner prefix of the job runner (see ownerSlot), "" for none.
func wire(ctx context.Context, c *serveCmd, log *slog.Logger, store Store, authn *auth.Authenticator, homeRegion string, sources importSources, slot string) (*app, error) {
	clk := clock.New(time.Now)
	offset, err := store.ClockOffset(ctx)
	if err != nil {
		return nil, err
	}
	clk.SetOffset(offset)
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

	// Exports: the worker builds what the service queues, the janitor
	// deletes what has expired.
	files := exportfile.Dir{Root: filepath.Join(c.Data, "exports")}
	w := &worker.Worker{Store: store, Files: files, Now: clk.Now, Log: log, MaxExportBytes: c.ExportSizeLimit}
	janitor := &worker.Janitor{Store: store, Files: files, Now: clk.Now, Log: log}
	exporter := exports.New(exports.Config{Store: store, Now: clk.Now, Delay: c.ExportDelay, Limits: c.limits(), Tokens: tokens, Wake: runner.Wake})

	// Continuous exports write under data/continuous-exports/<s3Bucket>/
	// (one bucket per account); agent intake forwards accepted data to them.
	cfiles := &continuous.Files{Root: filepath.Join(c.Data, "continuous-exports")}
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
		PerAccount: sources.perAccount, AllowDirs: sources.dirs, Hosts: sources.hosts}

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
		AccountFiles:      []server.AccountFiles{importer, cfiles},
		HomeRegion:        homeRegion, ControlToken: c.ControlToken, MaxBodyBytes: c.MaxBodyBytes, MaxIntakeBytes: c.MaxIntakeBytes,
		SmithyStatusCodes: c.SmithyStatusCodes, URLSecret: urlSecret,
	})
	return &app{srv: srv, authn: authn, store: store, work: []func(context.Context){
		func(ctx context.Context) { runner.Run(ctx) },
	}}, nil
}
