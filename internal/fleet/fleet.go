// Package fleet generates realistic, deterministic fleets of discovered
// servers as agent reports (internal/agentdata), for "poseidon seed" and
// "poseidon serve --demo".
//
// A fleet is a set of multi-tier applications (web → app → db, plus cache and
// queue tiers) whose servers talk to each other over well-known ports. Every
// server reports every 15 minutes: a performance sample on a daily
// utilization curve, the connections it saw and, hourly, its processes.
//
// The same Config always gives byte-identical reports: every random choice
// comes from PCG generators seeded from Config.Seed, in a fixed order, and
// nothing depends on map iteration order or the wall clock. Reports are
// produced in time order (every server at the first slot, then every server
// at the next, …) through a callback, so a consumer holds only what it
// batches.
package fleet

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/poseidon-ads/poseidon/internal/agentdata"
)

// Interval is the time between two reports of one agent.
const Interval = 15 * time.Minute

// Bounds of a Config. Applications have 3 to 12 servers and one /24 each,
// 10.20.0.0 upwards (their databases' backup interfaces 10.120.0.0 upwards),
// so 50,000 servers never need more than 10.85.x.
const (
	MaxServers = 50000
	MaxHours   = 24 * 366
)

// Well-known endpoints that are not servers of the fleet: connections to or
// from them have no neighbor server.
const (
	DNSServerIP   = "10.0.0.2"
	NTPServerIP   = "10.0.0.3"
	EC2NTPIP      = "169.254.169.123" // Amazon Time Sync Service
	BastionIP     = "10.0.1.10"       // SSH jump host
	JumpHostIP    = "10.0.1.11"       // RDP jump host
	lbHostOctet   = 5                 // each application's load balancer: .5 of its subnet
	firstHostByte = 10                // servers start at .10 of their subnet
)

// Ports the fleet's tiers listen on.
const (
	PortHTTP       = 80
	PortHTTPS      = 443
	PortSSH        = 22
	PortRDP        = 3389
	PortDNS        = 53
	PortNTP        = 123
	PortRedis      = 6379
	PortAMQP       = 5672
	PortPostgres   = 5432
	PortMySQL      = 3306
	PortSQLServer  = 1433
	PortOracle     = 1521
	PortAppHTTP    = 8080
	PortAppHTTPS   = 8443
	maxConnections = 8 // per report
)

// Config says which fleet to generate.
type Config struct {
	Servers int       // number of servers (agents), 1..MaxServers
	Hours   int       // hours of reports per server, 1..MaxHours
	Seed    uint64    // same seed, same fleet
	End     time.Time // the last report slot is End rounded down to 15 minutes
}

// Validate checks the bounds of c.
func (c Config) Validate() error {
	switch {
	case c.Servers < 1 || c.Servers > MaxServers:
		return fmt.Errorf("servers must be 1..%d, got %d", MaxServers, c.Servers)
	case c.Hours < 1 || c.Hours > MaxHours:
		return fmt.Errorf("hours must be 1..%d, got %d", MaxHours, c.Hours)
	case c.End.IsZero():
		return errors.New("end time is required")
	}
	first, last := c.Window()
	if first.Unix() < 86400 || last.Unix() > 1e10 {
		return fmt.Errorf("end time %s puts reports outside epoch seconds 86400..1e10", c.End.UTC().Format(time.RFC3339))
	}
	return nil
}

// Slots is the number of reports per server: four per hour.
func (c Config) Slots() int { return c.Hours * int(time.Hour/Interval) }

// ReportCount is the number of reports Generate yields.
func (c Config) ReportCount() int64 { return int64(c.Servers) * int64(c.Slots()) }

// Window returns the first and last report slots. Each server reports a
// fixed 0..119 seconds before each slot (agents are not synchronized), so its
// timestamps lie in (first-2m, last].
func (c Config) Window() (first, last time.Time) {
	last = c.End.UTC().Truncate(Interval)
	first = last.Add(-time.Duration(c.Slots()-1) * Interval)
	return first, last
}

// Role is a server's tier in its application.
type Role string

// The tiers of an application.
const (
	Web   Role = "web"
	App   Role = "app"
	DB    Role = "db"
	Cache Role = "cache"
	Queue Role = "queue"
)

var roles = [...]Role{Web, App, DB, Cache, Queue}

func roleIndex(r Role) int {
	for i, x := range roles {
		if x == r {
			return i
		}
	}
	panic("unknown role " + r)
}

// AgentSummary describes one generated server and its agent.
type AgentSummary struct {
	AgentID     string
	HostName    string
	IPAddress   string // primary interface
	MACAddress  string
	Application string // unique in the fleet, e.g. "billing"
	Environment string // prod, staging, dev or qa
	Role        Role
	OSName      string
	OSVersion   string
	Windows     bool
	Hypervisor  string // "" for physical servers
	ServerType  string // EC2, VMWARE_VM or OTHER
	Health      string
	// ListenPorts are the TCP ports the server's tier serves.
	ListenPorts []int
}

// Fleet is a generated fleet. It is not safe for concurrent use.
type Fleet struct {
	cfg     Config
	first   int64 // unix seconds of the first slot
	apps    []*application
	hosts   []*host
	edges   []edge
	extSeed uint64 // seeds the stateless hash of connection activity
}

// New builds the fleet's servers, applications and connections.
func New(cfg Config) (*Fleet, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	first, _ := cfg.Window()
	f := &Fleet{cfg: cfg, first: first.Unix(), extSeed: mix(cfg.Seed ^ 0x636f6e6e)}
	b := builder{f: f, rng: rand.New(rand.NewPCG(cfg.Seed, 0x706f736569646f6e)), agentIDs: make(map[string]bool, cfg.Servers)}
	b.build()
	return f, nil
}

// Config returns the fleet's configuration.
func (f *Fleet) Config() Config { return f.cfg }

// Agents lists the fleet's servers in generation order.
func (f *Fleet) Agents() []AgentSummary {
	out := make([]AgentSummary, len(f.hosts))
	for i, h := range f.hosts {
		out[i] = h.summary()
	}
	return out
}

// Generate yields every report of the fleet in time order: all servers at
// the first slot, then all at the next, and so on. It stops at the first
// error yield returns and returns it. Generate may be called again and
// yields the same reports.
//
// The reports' NetworkInterfaces and Processes slices are shared between
// reports of the same server: yield must not modify them.
func (f *Fleet) Generate(yield func(agentdata.Report) error) error {
	for _, h := range f.hosts {
		h.resetNoise(f.cfg.Seed)
	}
	slots := f.cfg.Slots()
	for k := range slots {
		slot := f.first + int64(k)*int64(Interval/time.Second)
		for _, h := range f.hosts {
			if err := yield(f.report(h, k, slot)); err != nil {
				return err
			}
		}
	}
	return nil
}

// Generate builds the fleet of cfg and yields its reports (see Fleet.Generate).
func Generate(cfg Config, yield func(agentdata.Report) error) error {
	f, err := New(cfg)
	if err != nil {
		return err
	}
	return f.Generate(yield)
}

// Agents lists the servers of the fleet of cfg.
func Agents(cfg Config) ([]AgentSummary, error) {
	f, err := New(cfg)
	if err != nil {
		return nil, err
	}
	return f.Agents(), nil
}

// mix is SplitMix64's finalizer: a fast, well-distributed 64-bit hash.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// unit maps a hash to [0, 1).
func unit(x uint64) float64 { return float64(x>>11) / (1 << 53) }

// IntakeWindow is how many slots GenerateIntakeOrder regroups agent by agent.
const IntakeWindow = 16

// GenerateIntakeOrder yields the same reports as Generate, in the order that
// intake stores fastest and counts connections right: first every server's
// report of the first slot (first is true for those; a sender should have
// them taken in before the rest, so every agent and its addresses are known
// when connections arrive), then windows of IntakeWindow slots regrouped
// agent by agent (the store keys time series by agent, so runs of one
// agent's reports write far fewer pages). Memory holds one window of
// reports: IntakeWindow × servers.
func (f *Fleet) GenerateIntakeOrder(yield func(r agentdata.Report, first bool) error) error {
	n := len(f.hosts)
	window := make([]agentdata.Report, 0, n*IntakeWindow)
	seen := 0
	emit := func() error {
		slots := len(window) / n
		for i := range n {
			for k := range slots {
				if err := yield(window[k*n+i], false); err != nil {
					return err
				}
			}
		}
		clear(window)
		window = window[:0]
		return nil
	}
	err := f.Generate(func(r agentdata.Report) error {
		if seen < n {
			seen++
			return yield(r, true)
		}
		window = append(window, r)
		if len(window) == cap(window) {
			return emit()
		}
		return nil
	})
	if err == nil && len(window) > 0 {
		err = emit()
	}
	return err
}
