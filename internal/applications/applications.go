// Package applications implements the application use cases:
// CreateApplication, UpdateApplication, DeleteApplications,
// AssociateConfigurationItemsToApplication and
// DisassociateConfigurationItemsFromApplication. It checks what the model
// cannot express and enforces the per-account limits; the store applies each
// call in one transaction, so a refused call stores nothing.
package applications

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// AWS's documented limits (Application Discovery Service quotas).
const (
	DefaultMaxApplications          = 1000
	DefaultMaxServersPerApplication = 400
)

// maxNamed bounds how many offending IDs an error message lists.
const maxNamed = 10

// Store persists applications. sqlite.DB implements it. Every method is
// scoped to one account and runs in one transaction; when check returns an
// error, the method returns it and changes nothing.
type Store interface {
	// CreateApplication stores a after check approves the account's current
	// application count.
	CreateApplication(ctx context.Context, account string, a *discovery.Application, check func(count int) error) error
	// UpdateApplication applies u and sets the modification time to now. It
	// returns discovery.ErrNotFound for an unknown application.
	UpdateApplication(ctx context.Context, account, id string, u discovery.ApplicationUpdate, now time.Time) error
	// DeleteApplications deletes the applications, their server associations
	// and their tags after check approves the IDs that do not exist.
	DeleteApplications(ctx context.Context, account string, ids []string, check func(missing []string) error) error
	// AssociateServers adds the servers to the application after check
	// approves the membership; the modification time becomes now if
	// anything changed.
	AssociateServers(ctx context.Context, account, appID string, serverIDs []string, now time.Time, check func(discovery.ApplicationMembership) error) error
	// DisassociateServers removes the servers from the application after
	// check approves; the modification time becomes now if anything changed.
	DisassociateServers(ctx context.Context, account, appID string, serverIDs []string, now time.Time, check func(discovery.ApplicationMembership) error) error
}

// Config configures a Service. Zero limits take the AWS defaults.
type Config struct {
	Store                    Store
	Now                      func() time.Time
	Log                      *slog.Logger
	MaxApplications          int
	MaxServersPerApplication int
	// NewID makes application IDs; nil makes random d-application- IDs.
	NewID func() string
}

// Service implements the application use cases.
type Service struct {
	store      Store
	now        func() time.Time
	log        *slog.Logger
	maxApps    int
	maxServers int
	newID      func() string
}

// New returns a Service.
func New(c Config) *Service {
	s := &Service{store: c.Store, now: c.Now, log: c.Log, maxApps: c.MaxApplications, maxServers: c.MaxServersPerApplication, newID: c.NewID}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.maxApps <= 0 {
		s.maxApps = DefaultMaxApplications
	}
	if s.maxServers <= 0 {
		s.maxServers = DefaultMaxServersPerApplication
	}
	if s.newID == nil {
		s.newID = NewID
	}
	return s
}

// NewID returns a random application configuration ID: d-application- and
// 17 hex digits, like AWS's.
func NewID() string {
	var b [9]byte
	rand.Read(b[:])
	return discovery.ApplicationPrefix + hex.EncodeToString(b[:])[:17]
}

func invalid(format string, args ...any) error {
	return discovery.Errorf(discovery.InvalidParameterValue, format, args...)
}

func named(ids []string) string {
	if len(ids) <= maxNamed {
		return strings.Join(ids, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(ids[:maxNamed], ", "), len(ids)-maxNamed)
}

func unknownApp(id string) error {
	return invalid("Invalid application configuration ID: %s. No application with this ID exists.", id)
}

// Create stores a new application and returns its configuration ID.
func (s *Service) Create(ctx context.Context, account, name string, description, wave *string) (string, error) {
	now := s.now()
	a := &discovery.Application{ID: s.newID(), Name: name, Created: now, Updated: now}
	if description != nil {
		a.Description = *description
	}
	if wave != nil {
		a.Wave = *wave
	}
	err := s.store.CreateApplication(ctx, account, a, func(count int) error {
		if count >= s.maxApps {
			return invalid("Application limit exceeded: an account can have at most %d applications.", s.maxApps)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	s.log.InfoContext(ctx, "application created", "account", account, "application", a.ID)
	return a.ID, nil
}

// Update changes an application's name, description or wave.
func (s *Service) Update(ctx context.Context, account, id string, u discovery.ApplicationUpdate) error {
	if !isApp(id) {
		return unknownApp(id)
	}
	err := s.store.UpdateApplication(ctx, account, id, u, s.now())
	if err == discovery.ErrNotFound {
		return unknownApp(id)
	}
	return err
}

// Delete deletes applications, their server associations and their tags.
// Unknown IDs refuse the whole call.
func (s *Service) Delete(ctx context.Context, account string, ids []string) error {
	if len(ids) == 0 {
		return invalid("configurationIds must contain at least one application configuration ID.")
	}
	var bad []string
	for _, id := range ids {
		if !isApp(id) {
			bad = append(bad, id)
		}
	}
	if len(bad) > 0 {
		return invalid("Invalid application configuration IDs: %s.", named(bad))
	}
	return s.store.DeleteApplications(ctx, account, dedup(ids), func(missing []string) error {
		if len(missing) > 0 {
			return invalid("Invalid application configuration IDs: %s. No application with these IDs exists.", named(missing))
		}
		return nil
	})
}

// Associate adds servers to an application, all or nothing.
func (s *Service) Associate(ctx context.Context, account, appID string, ids []string) error {
	ids, err := s.serverIDs(appID, ids)
	if err != nil {
		return err
	}
	return s.store.AssociateServers(ctx, account, appID, ids, s.now(), func(m discovery.ApplicationMembership) error {
		if !m.AppExists {
			return unknownApp(appID)
		}
		if len(m.Unknown) > 0 {
			return invalid("Invalid configuration IDs: %s. No server with these IDs exists.", named(m.Unknown))
		}
		if m.Count > s.maxServers {
			return invalid("Server limit exceeded: an application can have at most %d servers; application %s would have %d.", s.maxServers, appID, m.Count)
		}
		return nil
	})
}

// Disassociate removes servers from an application, all or nothing.
func (s *Service) Disassociate(ctx context.Context, account, appID string, ids []string) error {
	ids, err := s.serverIDs(appID, ids)
	if err != nil {
		return err
	}
	return s.store.DisassociateServers(ctx, account, appID, ids, s.now(), func(m discovery.ApplicationMembership) error {
		if !m.AppExists {
			return unknownApp(appID)
		}
		if len(m.Unknown) > 0 {
			return invalid("Invalid configuration IDs: %s. No server with these IDs exists.", named(m.Unknown))
		}
		return nil
	})
}

// serverIDs checks the application ID and that every ID names a server.
func (s *Service) serverIDs(appID string, ids []string) ([]string, error) {
	if !isApp(appID) {
		return nil, unknownApp(appID)
	}
	if len(ids) == 0 {
		return nil, invalid("configurationIds must contain at least one server configuration ID.")
	}
	var bad []string
	for _, id := range ids {
		if t, _ := discovery.TypeOf(id); t != discovery.TypeServer {
			bad = append(bad, id)
		}
	}
	if len(bad) > 0 {
		return nil, invalid("Invalid configuration IDs: %s. Only servers can be associated with an application.", named(bad))
	}
	return dedup(ids), nil
}

func isApp(id string) bool {
	t, _ := discovery.TypeOf(id)
	return t == discovery.TypeApplication
}

func dedup(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
