// Package tags implements the tag operations: CreateTags, DeleteTags and
// DescribeTags. Tags are key/value pairs on configuration items (servers,
// processes, connections, applications) that exist in the account.
package tags

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/pagetoken"
)

// Operation names, as tokens are bound to them.
const (
	OpCreateTags   = "CreateTags"
	OpDeleteTags   = "DeleteTags"
	OpDescribeTags = "DescribeTags"
)

// MaxPerItem is the documented quota of tags per configuration item
// (ads_service_limits: "Tags per server: 30"), counted as distinct
// key/value pairs.
const MaxPerItem = 30

// Store persists tags. sqlite.DB implements it. ids are canonical
// configuration IDs.
type Store interface {
	// CreateTags adds tags (ignoring pairs already present) to the items ids
	// in one transaction. Before committing it calls check with the IDs that
	// name no configuration item of the account and the number of tags of
	// each existing item after the insert; an error from check rolls back.
	CreateTags(ctx context.Context, account string, ids []string, tags []discovery.Tag, createdMs int64,
		check func(missing []string, counts map[string]int) error) error
	// DeleteTags removes tags from the items ids (all their tags when tags is
	// nil) in one transaction, after check approves the missing IDs.
	DeleteTags(ctx context.Context, account string, ids []string, tags []discovery.Tag, check func(missing []string) error) error
	// FindTags returns q's tags in (configuration ID, key, value) order.
	FindTags(ctx context.Context, q discovery.TagQuery) ([]discovery.ConfigurationTag, error)
}

// Service implements the tag use cases.
type Service struct {
	store  Store
	now    func() time.Time
	tokens *pagetoken.Sealer
}

// New returns a Service.
func New(store Store, now func() time.Time, tokens *pagetoken.Sealer) *Service {
	return &Service{store: store, now: now, tokens: tokens}
}

// normalizeIDs checks that every ID is a configuration ID and returns them
// deduplicated, in order of first appearance.
func normalizeIDs(ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, discovery.Errorf(discovery.InvalidParameterValue, "configurationIds must name at least one configuration item.")
	}
	out := make([]string, 0, len(ids))
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if _, ok := discovery.TypeOf(id); !ok {
			return nil, discovery.Errorf(discovery.ResourceNotFound, "Configuration item not found: %s", id)
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out, nil
}

func normalizeTags(in []discovery.Tag, op string) ([]discovery.Tag, error) {
	out := make([]discovery.Tag, 0, len(in))
	seen := make(map[discovery.Tag]bool, len(in))
	for _, t := range in {
		if strings.TrimSpace(t.Key) == "" {
			return nil, discovery.Errorf(discovery.InvalidParameterValue, "%s: a tag key must not be empty.", op)
		}
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out, nil
}

func notFound(missing []string) error {
	if len(missing) == 0 {
		return nil
	}
	return discovery.Errorf(discovery.ResourceNotFound, "Configuration item not found: %s", missing[0])
}

// Create serves CreateTags. Unknown IDs (also those of other accounts) are
// ResourceNotFoundException and nothing is stored; tags already present are
// left as they are (with their creation time).
func (s *Service) Create(ctx context.Context, account string, ids []string, in []discovery.Tag) error {
	ids, err := normalizeIDs(ids)
	if err != nil {
		return err
	}
	if len(in) == 0 {
		return discovery.Errorf(discovery.InvalidParameterValue, "tags must hold at least one tag.")
	}
	ts, err := normalizeTags(in, OpCreateTags)
	if err != nil {
		return err
	}
	return s.store.CreateTags(ctx, account, ids, ts, s.now().UnixMilli(), func(missing []string, counts map[string]int) error {
		if err := notFound(missing); err != nil {
			return err
		}
		for _, id := range ids {
			if n := counts[id]; n > MaxPerItem {
				return discovery.Errorf(discovery.InvalidParameterValue,
					"Configuration item %s would have %d tags; the limit is %d tags per configuration item.", id, n, MaxPerItem)
			}
		}
		return nil
	})
}

// Delete serves DeleteTags: with tags nil (absent) every tag of the items is
// removed, otherwise only the listed key/value pairs; pairs that are not
// present are ignored.
func (s *Service) Delete(ctx context.Context, account string, ids []string, in []discovery.Tag) error {
	ids, err := normalizeIDs(ids)
	if err != nil {
		return err
	}
	var ts []discovery.Tag
	if in != nil {
		if ts, err = normalizeTags(in, OpDeleteTags); err != nil {
			return err
		}
		if len(ts) == 0 {
			// An explicit empty list deletes nothing (but still checks the IDs).
			ts = []discovery.Tag{}
		}
	}
	return s.store.DeleteTags(ctx, account, ids, ts, notFound)
}

// Filter is a TagFilter.
type Filter struct {
	Name   string
	Values []string
}

// Filter names of DescribeTags (API_TagFilter: "Valid names are: tagKey,
// tagValue, configurationId").
const (
	FilterTagKey          = "tagKey"
	FilterTagValue        = "tagValue"
	FilterConfigurationID = "configurationId"
)

// DescribeInput is a DescribeTags request.
type DescribeInput struct {
	Filters    []Filter
	MaxResults *int32
	NextToken  *string
}

// Page is one page of tags; Next is "" on the last page.
type Page struct {
	Tags []discovery.ConfigurationTag
	Next string
}

// Describe serves DescribeTags.
func (s *Service) Describe(ctx context.Context, account string, in DescribeInput) (*Page, error) {
	limit, err := discovery.PageSize(in.MaxResults)
	if err != nil {
		return nil, err
	}
	// The values of a filter are alternatives, and the filters all hold:
	// the sets of one name intersect.
	var keys, values, ids [][]string
	for _, f := range in.Filters {
		if len(f.Values) == 0 {
			return nil, discovery.Errorf(discovery.InvalidParameterValue, "The filter '%s' must have at least one value.", f.Name)
		}
		vals := slices.Clone(f.Values)
		slices.Sort(vals)
		vals = slices.Compact(vals)
		switch f.Name {
		case FilterTagKey:
			keys = append(keys, vals)
		case FilterTagValue:
			values = append(values, vals)
		case FilterConfigurationID:
			ids = append(ids, vals)
		default:
			return nil, discovery.Errorf(discovery.InvalidParameter,
				"Invalid filter name '%s'. Valid filter names are tagKey, tagValue and configurationId.", f.Name)
		}
	}
	q := discovery.TagQuery{Account: account, Limit: limit + 1}
	q.Keys, _ = discovery.Intersect(keys)
	q.Values, _ = discovery.Intersect(values)
	q.IDs, _ = discovery.Intersect(ids)
	binding := pagetoken.Query(OpDescribeTags, account, keys, values, ids)
	if in.NextToken != nil && *in.NextToken != "" {
		var c discovery.TagCursor
		if err := s.tokens.Open(*in.NextToken, binding, &c); err != nil {
			return nil, discovery.Errorf(discovery.InvalidParameterValue, "The nextToken is not valid for this request.")
		}
		q.After = &c
	}
	rows, err := s.store.FindTags(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("find tags: %w", err)
	}
	page := &Page{Tags: rows}
	if len(rows) > limit {
		page.Tags = rows[:limit]
		last := page.Tags[limit-1]
		tok, err := s.tokens.Seal(binding, discovery.TagCursor{ID: last.ConfigurationID, Key: last.Key, Value: last.Value})
		if err != nil {
			return nil, err
		}
		page.Next = tok
	}
	return page, nil
}
