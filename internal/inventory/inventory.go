// Package inventory implements the inventory read operations:
// DescribeConfigurations, ListConfigurations, ListServerNeighbors and
// GetDiscoverySummary. It owns the ListConfigurations filter language: it
// validates filters and sort orders against the attribute tables of the user
// guide, decides what they mean (filters.go) and turns them into a typed
// query (discovery.ItemQuery: typed fields and predicates) that the store
// only translates into its own SQL. It renders configuration items as the
// flat string maps AWS returns (Java number and timestamp formats included).
package inventory

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/pagetoken"
)

// Operation names, as tokens are bound to them.
const (
	OpDescribeConfigurations = "DescribeConfigurations"
	OpListConfigurations     = "ListConfigurations"
	OpListServerNeighbors    = "ListServerNeighbors"
	OpGetDiscoverySummary    = "GetDiscoverySummary"
)

// Store reads the inventory. sqlite.DB implements it. Every method is scoped
// to one account.
type Store interface {
	// ListItems returns the items of q.Type that match q, in q's order,
	// after q.After, at most q.Limit (no limit if 0). Each item carries its
	// keyset cursor.
	ListItems(ctx context.Context, q discovery.ItemQuery) ([]discovery.Item, error)
	// DescribeServers returns the servers with these IDs (unknown ones are
	// left out, in any order), with their interfaces, applications and tags.
	DescribeServers(ctx context.Context, account string, ids []string) ([]discovery.ServerDetail, error)
	// ListNeighbors returns one page of q's neighbor edges.
	ListNeighbors(ctx context.Context, q discovery.NeighborQuery) ([]discovery.Neighbor, error)
	// CountNeighbors counts the distinct servers one hop away under q.
	CountNeighbors(ctx context.Context, q discovery.NeighborQuery) (int64, error)
	// Summary counts the account's inventory.
	Summary(ctx context.Context, account string) (*discovery.SummaryCounts, error)
}

// Service implements the inventory read operations.
type Service struct {
	store  Store
	tokens *pagetoken.Sealer
	log    *slog.Logger
}

// Config configures a Service.
type Config struct {
	Store  Store
	Tokens *pagetoken.Sealer
	Log    *slog.Logger
}

// New returns a Service.
func New(c Config) *Service {
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	return &Service{store: c.Store, tokens: c.Tokens, log: c.Log}
}

// errorf is a shorthand for domain errors.
func errorf(code discovery.ErrorCode, format string, args ...any) error {
	return discovery.Errorf(code, format, args...)
}

var errBadToken = discovery.Errorf(discovery.InvalidParameterValue, "The nextToken is not valid for this request.")

func wrap(what string, err error) error {
	return fmt.Errorf("%s: %w", what, err)
}
