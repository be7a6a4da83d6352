package inventory

import (
	"context"
	"math"
	"slices"
	"strings"

	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/pagetoken"
)

// Order is an orderBy element as sent; SortOrder "" means ASC.
type Order struct {
	FieldName string
	SortOrder string
}

// ListInput is a ListConfigurations request.
type ListInput struct {
	Type       string
	Filters    []discovery.Filter
	OrderBy    []Order
	MaxResults *int32
	NextToken  *string
}

// ListPage is one page of configurations; Next is "" on the last page.
type ListPage struct {
	Configurations []map[string]string
	Next           string
}

// SortKey is one validated orderBy element: Field is the canonical name.
type SortKey struct {
	Field string `json:"f"`
	Desc  bool   `json:"d"`
}

// CompileOrder validates orderBy for item type t.
func CompileOrder(t discovery.ItemType, in []Order) ([]SortKey, error) {
	keys := make([]SortKey, 0, len(in))
	seen := map[string]bool{}
	for _, o := range in {
		field, ok := lookupField(t, o.FieldName)
		if !ok || !field.Sortable {
			return nil, errorf(discovery.InvalidParameterValue,
				"The field '%s' cannot be used in orderBy for configurationType %s. Sortable fields: %s.", o.FieldName, t, sortNames(t))
		}
		if seen[field.Name] {
			return nil, errorf(discovery.InvalidParameterValue, "The field '%s' appears more than once in orderBy.", field.Name)
		}
		seen[field.Name] = true
		var desc bool
		switch strings.ToUpper(o.SortOrder) {
		case "", "ASC":
		case "DESC":
			desc = true
		default:
			return nil, errorf(discovery.InvalidParameterValue, "The sortOrder '%s' is not valid; use ASC or DESC.", o.SortOrder)
		}
		keys = append(keys, SortKey{Field: field.Name, Desc: desc})
	}
	return keys, nil
}

// orderKeys are the store's sort keys of validated keys of item type t.
func orderKeys(t discovery.ItemType, keys []SortKey) []discovery.OrderKey {
	out := make([]discovery.OrderKey, len(keys))
	for i, k := range keys {
		field, _ := lookupField(t, k.Field)
		out[i] = discovery.OrderKey{Field: field.Key, Desc: k.Desc}
	}
	return out
}

// ListConfigurations serves ListConfigurations.
func (s *Service) ListConfigurations(ctx context.Context, account string, in ListInput) (*ListPage, error) {
	t := discovery.ItemType(in.Type)
	if !slices.Contains(discovery.ItemTypes(), t) {
		return nil, errorf(discovery.InvalidParameterValue,
			"1 validation error detected: Value '%s' at 'configurationType' failed to satisfy constraint: Member must satisfy enum value set: [SERVER, PROCESS, CONNECTION, APPLICATION]", in.Type)
	}
	limit, err := discovery.PageSize(in.MaxResults)
	if err != nil {
		return nil, err
	}
	conds, err := CompileFilters(t, in.Filters)
	if err != nil {
		return nil, err
	}
	order, err := CompileOrder(t, in.OrderBy)
	if err != nil {
		return nil, err
	}
	q := discovery.ItemQuery{Account: account, Type: t, Where: Where(t, conds), Order: orderKeys(t, order), Limit: limit + 1}
	binding := pagetoken.Query(OpListConfigurations, account, t, conds, order)
	if in.NextToken != nil && *in.NextToken != "" {
		var c discovery.ItemCursor
		if err := s.tokens.Open(*in.NextToken, binding, &c); err != nil || len(c.Keys) != len(order) {
			return nil, errBadToken
		}
		for i, k := range c.Keys {
			c.Keys[i] = normalizeKey(k)
		}
		q.After = &c
	}
	items, err := s.store.ListItems(ctx, q)
	if err != nil {
		return nil, wrap("list configurations", err)
	}
	page := &ListPage{Configurations: make([]map[string]string, 0, min(len(items), limit))}
	if len(items) > limit {
		items = items[:limit]
		tok, err := s.tokens.Seal(binding, items[limit-1].Cursor)
		if err != nil {
			return nil, err
		}
		page.Next = tok
	}
	for _, it := range items {
		page.Configurations = append(page.Configurations, listAttributes(it))
	}
	return page, nil
}

// normalizeKey turns a JSON-decoded cursor key back into what the store
// compares: integral numbers become int64.
func normalizeKey(k any) any {
	if f, ok := k.(float64); ok && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return int64(f)
	}
	return k
}

// DescribeConfigurations serves DescribeConfigurations. All IDs must be of
// one item type; unknown IDs (and other accounts' IDs) are left out. The
// result follows the order of the request, each ID once.
func (s *Service) DescribeConfigurations(ctx context.Context, account string, ids []string) ([]map[string]string, error) {
	out := make([]map[string]string, 0, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var t discovery.ItemType
	for _, id := range ids {
		it, ok := discovery.TypeOf(id)
		if !ok {
			return nil, errorf(discovery.InvalidParameterValue,
				"The configuration ID '%s' is not valid. Configuration IDs start with d-server-, d-process-, d-connection- or d-application-.", id)
		}
		if t == "" {
			t = it
		} else if it != t {
			return nil, errorf(discovery.InvalidParameterValue,
				"All configuration IDs of one call must be of the same type; '%s' is a %s and '%s' a %s.", ids[0], t, id, it)
		}
	}
	uniq := slices.Clone(ids)
	slices.Sort(uniq)
	uniq = slices.Compact(uniq)
	byID := make(map[string]map[string]string, len(uniq))
	if t == discovery.TypeServer {
		servers, err := s.store.DescribeServers(ctx, account, uniq)
		if err != nil {
			return nil, wrap("describe servers", err)
		}
		for i := range servers {
			byID[servers[i].ID] = serverDetail(&servers[i])
		}
	} else {
		items, err := s.store.ListItems(ctx, discovery.ItemQuery{Account: account, Type: t, IDs: uniq})
		if err != nil {
			return nil, wrap("describe configurations", err)
		}
		for _, it := range items {
			switch {
			case it.Process != nil:
				byID[it.Process.ID] = processDetail(it.Process)
			case it.Connection != nil:
				byID[it.Connection.ID] = connectionDetail(it.Connection)
			case it.Application != nil:
				byID[it.Application.ID] = applicationAttributes(it.Application)
			}
		}
	}
	done := make(map[string]bool, len(byID))
	for _, id := range ids {
		if m, ok := byID[id]; ok && !done[id] {
			out = append(out, m)
			done[id] = true
		}
	}
	return out, nil
}
