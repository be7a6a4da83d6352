package launch

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
)

// Running is a poseidon server serving on its listener, with its
// background loops running, as Start made it.
type Running struct {
	*App
	// Addr is the address listened on (HOST:PORT, the port chosen when
	// Config.Addr asked for port 0).
	Addr string
	// URL is the base URL of download links: Config.PublicURL, else
	// http://Addr.
	URL string

	hs         *http.Server
	serveErr   chan error
	stopWork   context.CancelFunc
	wg         sync.WaitGroup
	closePprof func()
}

// Start assembles poseidon from c (New), listens on c.Addr, starts the
// background loops and the profiling listener (c.PprofAddr), and serves
// until Shutdown. The background loops run until Close, whatever becomes
// of ctx. The caller calls Shutdown (to drain requests) and then Close.
func Start(ctx context.Context, c Config, log *slog.Logger) (*Running, error) {
	if c.ReadHeaderTimeout < 0 || c.ReadTimeout < 0 || c.WriteTimeout < 0 || c.IdleTimeout < 0 {
		return nil, errors.New("timeouts must not be negative")
	}
	if c.MaxConnections < 0 {
		return nil, errors.New("--max-connections must not be negative")
	}
	a, err := New(ctx, &c, log)
	if err != nil {
		return nil, err
	}
	srv := a.Server

	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		a.Close()
		return nil, err
	}
	if c.MaxConnections > 0 {
		ln = limitListener(ln, c.MaxConnections)
	}
	r := &Running{App: a, Addr: ln.Addr().String(), URL: c.PublicURL, serveErr: make(chan error, 1), closePprof: func() {}}
	if r.URL == "" {
		r.URL = "http://" + r.Addr
	}
	srv.SetPublicURL(r.URL)
	if host, _, _ := net.SplitHostPort(r.Addr); !isLoopback(host) && c.Credentials == "" {
		log.Warn("listening beyond loopback without --credentials: anyone who can reach this address can use it", "addr", r.Addr)
	}

	r.hs = c.httpServer(srv, log)
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	r.stopWork = stopWork
	for _, run := range a.Work {
		r.wg.Go(func() { run(workCtx) })
	}

	if c.PprofAddr != "" {
		paddr, closePprof, err := startPprof(c.PprofAddr, log)
		if err != nil {
			stopWork()
			r.wg.Wait()
			ln.Close()
			a.Close()
			return nil, err
		}
		r.closePprof = closePprof
		log.Info("profiling endpoint", "addr", "http://"+paddr+"/debug/pprof/")
	}

	go func() { r.serveErr <- r.hs.Serve(ln) }()
	srv.Ready()
	return r, nil
}

// Serving yields the error that ended serving if the listener fails before
// Shutdown.
func (r *Running) Serving() <-chan error { return r.serveErr }

// Shutdown stops listening and waits, until ctx ends, for the requests in
// flight to finish (http.Server.Shutdown).
func (r *Running) Shutdown(ctx context.Context) error {
	err := r.hs.Shutdown(ctx)
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// Close ends the background loops and waits for them, closes the
// profiling listener, closes the store and gives the owner slot back. It
// closes the listener too if Shutdown did not.
func (r *Running) Close() error {
	r.hs.Close()
	r.stopWork()
	r.wg.Wait()
	r.closePprof()
	return r.App.Close()
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
