package storetest

import (
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/inventory"
	"github.com/poseidon-ads/poseidon/internal/tags"
)

// Tags: CreateTags and DeleteTags with their checks, FindTags with its
// filters and keyset cursor.
var tagTests = []test{
	tc("CreateOnEveryItemTypeAndFind", testTagsCreateFind),
	tc("CreateChecksMissingItemsAndCounts", testTagsCreateCheck),
	tc("DeleteChecksAndDeletes", testTagsDelete),
	tc("FindFilters", testTagFilters),
	tc("FindInKeysetPagesStableUnderInserts", testTagPages),
	tc("TagsArePerAccount", testTagsPerAccount),
	tc("ServiceRefusesMissingItemsWhole", testTagServiceMissing),
	tc("ServiceLimitsTagsPerItem", testTagServiceLimit),
	tc("ServiceDescribesInPagesAndRefusesForeignTokens", testTagServiceDescribe),
	tc("TagsOfAnyLength", testTagsOfAnyLength),
}

// tagService is the tags use case on s at now.
func tagService(s tags.Store, now time.Time) *tags.Service {
	return tags.New(s, func() time.Time { return now }, tokens)
}

// wantCode fails unless err is a *discovery.Error of code, and returns it.
func wantCode(t *testing.T, err error, code discovery.ErrorCode) *discovery.Error {
	t.Helper()
	var de *discovery.Error
	if !errors.As(err, &de) || de.Code != code {
		t.Fatalf("error = %v, want %s", err, code)
	}
	return de
}

var errRefused = errors.New("refused by the check")

// tagLines are q's tags as "ID key=value".
func tagLines(t *testing.T, s tags.Store, q discovery.TagQuery) []string {
	t.Helper()
	return keys(ok(s.FindTags(ctx(t), q))(t), tagLine)
}

func tagLine(tg discovery.ConfigurationTag) string {
	return tg.ConfigurationID + " " + tg.Key + "=" + tg.Value
}

// firstConnection is the ID of account's first connection.
func firstConnection(t *testing.T, s inventory.Store, account string) string {
	t.Helper()
	return list(t, s, discovery.ItemQuery{Account: account, Type: discovery.TypeConnection, Limit: 1})[0].Connection.ID
}

func testTagsCreateFind(t *testing.T, s Store) {
	seedFleet(t, s, acctA)
	newApp(t, s, acctA, appID(1), "shop")
	c := ctx(t)
	s1, s2, p1, a1, c1 := serverOf(acctA, 1), serverOf(acctA, 2), processOf(acctA, 1), appID(1), firstConnection(t, s, acctA)
	created := t0.Add(1500 * time.Millisecond)
	tag := func(k, v string) discovery.Tag { return discovery.Tag{Key: k, Value: v} }
	allow := func(missing []string, _ map[string]int) error {
		if len(missing) > 0 {
			return fmt.Errorf("missing %v", missing)
		}
		return nil
	}
	must(t, s.CreateTags(c, acctA, []string{s1, a1}, []discovery.Tag{tag("team", "web"), tag("env", "prod")}, created.UnixMilli(), allow))
	must(t, s.CreateTags(c, acctA, []string{s2, p1, c1}, []discovery.Tag{tag("env", "dev"), tag("env", "prod"), tag("", "")}, created.UnixMilli(), allow))
	got := ok(s.FindTags(c, discovery.TagQuery{Account: acctA}))(t)
	var want []string
	for _, id := range []string{s1, a1} {
		want = append(want, id+" env=prod", id+" team=web")
	}
	for _, id := range []string{s2, p1, c1} {
		want = append(want, id+" =", id+" env=dev", id+" env=prod")
	}
	slices.Sort(want) // by ID, key, value
	sameLines(t, "tags", keys(got, tagLine), want)
	for _, tg := range got {
		typ, _ := discovery.TypeOf(tg.ConfigurationID)
		if tg.Type != typ || !tg.Created.Equal(created) {
			t.Errorf("tag %s: type %s, created %v; want %s, %v", tagLine(tg), tg.Type, tg.Created, typ, created)
		}
	}
}

func testTagsCreateCheck(t *testing.T, s Store) {
	seedFleet(t, s, acctA)
	c := ctx(t)
	s1, s2 := serverOf(acctA, 1), serverOf(acctA, 2)
	env := []discovery.Tag{{Key: "env", Value: "prod"}}
	// Missing items: the check sees them, in request order, and no counts.
	var sawMissing []string
	var sawCounts map[string]int
	err := s.CreateTags(c, acctA, []string{"d-server-unknown", s1, "bogus", discovery.ProcessPrefix + "00000000000000003"}, env, t0.UnixMilli(),
		func(missing []string, counts map[string]int) error {
			sawMissing, sawCounts = missing, counts
			return errRefused
		})
	if !errors.Is(err, errRefused) {
		t.Fatalf("create = %v, want the check's error", err)
	}
	if !slices.Equal(sawMissing, []string{"d-server-unknown", "bogus", discovery.ProcessPrefix + "00000000000000003"}) || sawCounts != nil {
		t.Fatalf("check saw missing %v, counts %v", sawMissing, sawCounts)
	}
	sameLines(t, "tags after a refusal", tagLines(t, s, discovery.TagQuery{Account: acctA}), nil)

	// Counts after the insert; pairs present already are not added again.
	record := func(into *map[string]int) func([]string, map[string]int) error {
		return func(missing []string, counts map[string]int) error {
			if len(missing) > 0 {
				t.Errorf("missing %v", missing)
			}
			*into = maps.Clone(counts)
			return nil
		}
	}
	var counts map[string]int
	must(t, s.CreateTags(c, acctA, []string{s1}, env, t0.UnixMilli(), record(&counts)))
	if !maps.Equal(counts, map[string]int{s1: 1}) {
		t.Fatalf("counts = %v", counts)
	}
	two := []discovery.Tag{{Key: "env", Value: "prod"}, {Key: "team", Value: "web"}}
	must(t, s.CreateTags(c, acctA, []string{s1, s2}, two, t0.Add(time.Hour).UnixMilli(), record(&counts)))
	if !maps.Equal(counts, map[string]int{s1: 2, s2: 2}) {
		t.Fatalf("counts = %v, want 2 each", counts)
	}
	// A pair present keeps its creation time.
	for _, tg := range ok(s.FindTags(c, discovery.TagQuery{Account: acctA, IDs: []string{s1}, Keys: []string{"env"}}))(t) {
		if !tg.Created.Equal(t0) {
			t.Fatalf("re-created pair's time = %v, want %v", tg.Created, t0)
		}
	}
	// A refusal after the insert rolls it back.
	err = s.CreateTags(c, acctA, []string{s1, s2}, []discovery.Tag{{Key: "x", Value: "1"}}, t0.UnixMilli(), func(missing []string, counts map[string]int) error {
		if !maps.Equal(counts, map[string]int{s1: 3, s2: 3}) {
			t.Errorf("counts seen by a refusing check = %v", counts)
		}
		return errRefused
	})
	if !errors.Is(err, errRefused) {
		t.Fatalf("create = %v, want the check's error", err)
	}
	sameLines(t, "tags after a late refusal", tagLines(t, s, discovery.TagQuery{Account: acctA}),
		slices.Sorted(slices.Values([]string{s1 + " env=prod", s1 + " team=web", s2 + " env=prod", s2 + " team=web"})))
}

func testTagsDelete(t *testing.T, s Store) {
	seedFleet(t, s, acctA)
	newApp(t, s, acctA, appID(1), "shop")
	c := ctx(t)
	s1, s2, a1 := serverOf(acctA, 1), serverOf(acctA, 2), appID(1)
	tags := []discovery.Tag{{Key: "env", Value: "prod"}, {Key: "env", Value: "dev"}, {Key: "team", Value: "web"}}
	addTags(t, s, acctA, []string{s1, s2, a1}, tags...)
	all := func() []string { return tagLines(t, s, discovery.TagQuery{Account: acctA}) }
	before := all()
	var saw []string
	err := s.DeleteTags(c, acctA, []string{s1, "d-application-unknown"}, nil, func(missing []string) error {
		saw = missing
		return errRefused
	})
	if !errors.Is(err, errRefused) || !slices.Equal(saw, []string{"d-application-unknown"}) {
		t.Fatalf("delete = %v, check saw %v", err, saw)
	}
	sameLines(t, "tags after a refused delete", all(), before)
	checked := false
	noneMissing := func(missing []string) error {
		checked = true
		if len(missing) > 0 {
			return fmt.Errorf("missing %v", missing)
		}
		return nil
	}
	// Pairs: present ones go, absent ones are ignored.
	must(t, s.DeleteTags(c, acctA, []string{s1, a1}, []discovery.Tag{{Key: "env", Value: "prod"}, {Key: "env", Value: "qa"}}, noneMissing))
	// nil: every tag of the item.
	must(t, s.DeleteTags(c, acctA, []string{s2}, nil, noneMissing))
	if !checked {
		t.Fatal("the check was not called")
	}
	sameLines(t, "tags after deletes", all(), slices.Sorted(slices.Values([]string{
		s1 + " env=dev", s1 + " team=web", a1 + " env=dev", a1 + " team=web"})))
}

func testTagFilters(t *testing.T, s Store) {
	seedFleet(t, s, acctA)
	s1, s2, s3 := serverOf(acctA, 1), serverOf(acctA, 2), serverOf(acctA, 3)
	addTags(t, s, acctA, []string{s1}, discovery.Tag{Key: "env", Value: "prod"}, discovery.Tag{Key: "team", Value: "web"})
	addTags(t, s, acctA, []string{s2}, discovery.Tag{Key: "env", Value: "dev"}, discovery.Tag{Key: "owner", Value: "web"})
	addTags(t, s, acctA, []string{s3}, discovery.Tag{Key: "team", Value: "db"})
	seedFleet(t, s, acctB)
	addTags(t, s, acctB, []string{serverOf(acctB, 1)}, discovery.Tag{Key: "env", Value: "prod"})
	for _, tc := range []struct {
		name string
		q    discovery.TagQuery
		want []string
	}{
		{"a key", discovery.TagQuery{Keys: []string{"env"}}, []string{s1 + " env=prod", s2 + " env=dev"}},
		{"keys OR-ed", discovery.TagQuery{Keys: []string{"env", "owner"}}, []string{s1 + " env=prod", s2 + " env=dev", s2 + " owner=web"}},
		{"key filters AND-ed", discovery.TagQuery{Keys: both([]string{"env", "team"}, []string{"team", "owner"})}, []string{s1 + " team=web", s3 + " team=db"}},
		{"disjoint key filters", discovery.TagQuery{Keys: both([]string{"env"}, []string{"team"})}, nil},
		{"a value", discovery.TagQuery{Values: []string{"web"}}, []string{s1 + " team=web", s2 + " owner=web"}},
		{"a key and a value", discovery.TagQuery{Keys: []string{"team"}, Values: []string{"web", "db"}}, []string{s1 + " team=web", s3 + " team=db"}},
		{"an item", discovery.TagQuery{IDs: []string{s2}}, []string{s2 + " env=dev", s2 + " owner=web"}},
		{"items AND-ed", discovery.TagQuery{IDs: both([]string{s1, s2}, []string{s2, s3})}, []string{s2 + " env=dev", s2 + " owner=web"}},
		{"an item and a key", discovery.TagQuery{IDs: []string{s1, s3}, Keys: []string{"team"}}, []string{s1 + " team=web", s3 + " team=db"}},
		{"values are exact", discovery.TagQuery{Values: []string{"WEB", "we"}}, nil},
		{"no keys (an empty list)", discovery.TagQuery{Keys: []string{}}, nil},
		{"no values", discovery.TagQuery{Values: []string{}}, nil},
		{"no items", discovery.TagQuery{IDs: []string{}, Keys: []string{"env"}}, nil},
		{"another account's item", discovery.TagQuery{IDs: []string{serverOf(acctB, 1)}}, nil},
		{"more items than a statement has parameters", discovery.TagQuery{IDs: longList(s3, s1)}, []string{s1 + " env=prod", s1 + " team=web", s3 + " team=db"}},
	} {
		tc.q.Account = acctA
		got := tagLines(t, s, tc.q)
		if want := slices.Sorted(slices.Values(tc.want)); !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", tc.name, got, want)
		}
	}
}

// tagPages reads q's tags to the end, limit a page.
func tagPages(t *testing.T, s tags.Store, q discovery.TagQuery, limit int) []string {
	t.Helper()
	q.Limit = limit
	first := q.After
	return keys(flat(pages(t, limit, func(after *discovery.TagCursor) ([]discovery.ConfigurationTag, error) {
		q.After = first
		if after != nil {
			q.After = after
		}
		return s.FindTags(ctx(t), q)
	}, func(tg discovery.ConfigurationTag) discovery.TagCursor {
		return discovery.TagCursor{ID: tg.ConfigurationID, Key: tg.Key, Value: tg.Value}
	})), tagLine)
}

func testTagPages(t *testing.T, s Store) {
	seedFleet(t, s, acctA)
	seedFleet(t, s, acctB)
	var ids []string
	for n := 1; n <= fleetAgents; n++ {
		ids = append(ids, serverOf(acctA, n))
	}
	var ts []discovery.Tag
	// Keys and values that share prefixes, so that the order is by key,
	// then value, not by their concatenation; and that a locale would
	// order otherwise than bytes do: upper case before lower case, "a-b"
	// before "ab", "é" after "z".
	for _, kv := range [][2]string{{"a", "b"}, {"a", "bb"}, {"ab", ""}, {"a", ""}, {"b", "a"}, {"", "z"}, {"env", "prod"},
		{"B", "1"}, {"a-b", "1"}, {"é", "1"}, {"z", "É"}, {"z", "e"}} {
		ts = append(ts, discovery.Tag{Key: kv[0], Value: kv[1]})
	}
	addTags(t, s, acctA, ids, ts...)
	addTags(t, s, acctB, []string{serverOf(acctB, 1)}, ts...)
	all := tagLines(t, s, discovery.TagQuery{Account: acctA})
	if len(all) != len(ids)*len(ts) {
		t.Fatalf("%d tags, want %d", len(all), len(ids)*len(ts))
	}
	for _, limit := range []int{1, 6, len(all)} {
		sameLines(t, fmt.Sprintf("pages of %d", limit), tagPages(t, s, discovery.TagQuery{Account: acctA}, limit), all)
	}
	sameLines(t, "filtered pages", tagPages(t, s, discovery.TagQuery{Account: acctA, Keys: []string{"a", "b"}}, 2),
		tagLines(t, s, discovery.TagQuery{Account: acctA, Keys: []string{"a", "b"}}))
	// In the order of (ID, key, value), compared piece by piece.
	got := ok(s.FindTags(ctx(t), discovery.TagQuery{Account: acctA}))(t)
	if !slices.IsSortedFunc(got, func(a, b discovery.ConfigurationTag) int {
		if c := strings.Compare(a.ConfigurationID, b.ConfigurationID); c != 0 {
			return c
		}
		if c := strings.Compare(a.Key, b.Key); c != 0 {
			return c
		}
		return strings.Compare(a.Value, b.Value)
	}) {
		t.Fatalf("tags out of order: %v", all)
	}

	// Stable under inserts: read up to a cursor, tag more, read on.
	q := discovery.TagQuery{Account: acctA, Limit: 9}
	first := tagLines(t, s, q)
	last := ok(s.FindTags(ctx(t), q))(t)[8]
	addTags(t, s, acctA, ids, discovery.Tag{Key: "a", Value: "a"}, discovery.Tag{Key: "zz", Value: "top"})
	q.After = ptr(viaToken(t, discovery.TagCursor{ID: last.ConfigurationID, Key: last.Key, Value: last.Value}))
	rest := tagPages(t, s, q, 5)
	everything := tagLines(t, s, discovery.TagQuery{Account: acctA})
	sameLines(t, "pages after the inserts", rest, everything[slices.Index(everything, tagLine(last))+1:])
	for _, l := range rest {
		if slices.Contains(first, l) {
			t.Fatalf("%s on two pages", l)
		}
	}
}

func testTagsPerAccount(t *testing.T, s Store) {
	seedFleet(t, s, acctA)
	seedFleet(t, s, acctB)
	c := ctx(t)
	a1 := serverOf(acctA, 1)
	addTags(t, s, acctA, []string{a1}, discovery.Tag{Key: "env", Value: "prod"})
	var saw []string
	err := s.CreateTags(c, acctB, []string{a1}, []discovery.Tag{{Key: "x", Value: "y"}}, t0.UnixMilli(), func(missing []string, _ map[string]int) error {
		saw = missing
		return errRefused
	})
	if !errors.Is(err, errRefused) || !slices.Equal(saw, []string{a1}) {
		t.Fatalf("B tagging A's server: %v, missing %v", err, saw)
	}
	saw = nil
	must(t, s.DeleteTags(c, acctB, []string{a1}, nil, func(missing []string) error { saw = missing; return nil }))
	if !slices.Equal(saw, []string{a1}) {
		t.Fatalf("B deleting A's tags: missing %v", saw)
	}
	sameLines(t, "A's tags", tagLines(t, s, discovery.TagQuery{Account: acctA}), []string{a1 + " env=prod"})
	sameLines(t, "B's tags", tagLines(t, s, discovery.TagQuery{Account: acctB}), nil)
	sameLines(t, "B's tags of A's server", tagLines(t, s, discovery.TagQuery{Account: acctB, IDs: []string{a1}}), nil)
}

// CreateTags and DeleteTags through the use case: an unknown ID, another
// account's or one of no item type fails the whole call
// (ResourceNotFound, naming it), storing and deleting nothing; an explicit
// empty tag list deletes nothing.
func testTagServiceMissing(t *testing.T, s Store) {
	seedFleet(t, s, acctA)
	seedFleet(t, s, acctB)
	c := ctx(t)
	svc := tagService(s, t0)
	s1, s2 := serverOf(acctA, 1), serverOf(acctA, 2)
	addTags(t, s, acctA, []string{s1, s2}, discovery.Tag{Key: "env", Value: "prod"})
	before := tagLines(t, s, discovery.TagQuery{Account: acctA})
	for _, bad := range []string{"d-server-ffffffffffffffff", serverOf(acctB, 1), processOf(acctB, 1), "d-application-0000000000009", "i-12345",
		discovery.ConnectionPrefix + "nope"} {
		de := wantCode(t, svc.Create(c, acctA, []string{s1, bad}, []discovery.Tag{{Key: "x", Value: "y"}}), discovery.ResourceNotFound)
		if want := "Configuration item not found: " + bad; de.Message != want {
			t.Errorf("message %q, want %q", de.Message, want)
		}
		wantCode(t, svc.Delete(c, acctA, []string{s1, bad}, nil), discovery.ResourceNotFound)
	}
	must(t, svc.Delete(c, acctA, []string{s2}, []discovery.Tag{}))
	sameLines(t, "tags after refused and empty calls", tagLines(t, s, discovery.TagQuery{Account: acctA}), before)
}

// An item holds at most tags.MaxPerItem tags: a call that would pass it on
// any of its items stores nothing; pairs an item has already do not count
// again.
func testTagServiceLimit(t *testing.T, s Store) {
	seedFleet(t, s, acctA)
	c := ctx(t)
	svc := tagService(s, t0)
	s1, s2 := serverOf(acctA, 1), serverOf(acctA, 2)
	var ts []discovery.Tag
	for i := range tags.MaxPerItem {
		ts = append(ts, discovery.Tag{Key: "k", Value: fmt.Sprint(i)})
	}
	must(t, svc.Create(c, acctA, []string{s1}, ts))
	before := tagLines(t, s, discovery.TagQuery{Account: acctA})
	wantCode(t, svc.Create(c, acctA, []string{s2, s1}, []discovery.Tag{{Key: "one", Value: "more"}}), discovery.InvalidParameterValue)
	sameLines(t, "tags after a refusal", tagLines(t, s, discovery.TagQuery{Account: acctA}), before)
	must(t, svc.Create(c, acctA, []string{s1}, ts[:3]))
}

// DescribeTags pages through the tags in (ID, key, value) order, a filter
// at a time or together, and refuses a token of another account, of
// another query, altered or made up.
func testTagServiceDescribe(t *testing.T, s Store) {
	seedFleet(t, s, acctA)
	seedFleet(t, s, acctB)
	c := ctx(t)
	svc := tagService(s, t0)
	s1, s2, s3 := serverOf(acctA, 1), serverOf(acctA, 2), serverOf(acctA, 3)
	addTags(t, s, acctA, []string{s1, s2}, discovery.Tag{Key: "env", Value: "prod"}, discovery.Tag{Key: "role", Value: "web"})
	addTags(t, s, acctA, []string{s3}, discovery.Tag{Key: "env", Value: "dev"}, discovery.Tag{Key: "tier", Value: "db"})
	addTags(t, s, acctB, []string{serverOf(acctB, 1)}, discovery.Tag{Key: "env", Value: "prod"})
	two := int32(2)
	describe := func(fs ...tags.Filter) []string {
		t.Helper()
		var out []string
		in := tags.DescribeInput{Filters: fs, MaxResults: &two}
		for range 20 {
			p := ok(svc.Describe(c, acctA, in))(t)
			if len(p.Tags) > 2 {
				t.Fatalf("page of %d", len(p.Tags))
			}
			out = append(out, keys(p.Tags, tagLine)...)
			if p.Next == "" {
				return out
			}
			in.NextToken = &p.Next
		}
		t.Fatal("too many pages")
		return nil
	}
	sameLines(t, "all tags", describe(), tagLines(t, s, discovery.TagQuery{Account: acctA}))
	for _, tc := range []struct {
		fs   []tags.Filter
		want []string
	}{
		{[]tags.Filter{{Name: "tagValue", Values: []string{"prod", "db"}}}, []string{s1 + " env=prod", s2 + " env=prod", s3 + " tier=db"}},
		{[]tags.Filter{{Name: "tagKey", Values: []string{"env"}}, {Name: "configurationId", Values: []string{s1, s3, serverOf(acctB, 1)}}},
			[]string{s1 + " env=prod", s3 + " env=dev"}},
		{[]tags.Filter{{Name: "tagKey", Values: []string{"env", "tier"}}, {Name: "tagKey", Values: []string{"tier"}}}, []string{s3 + " tier=db"}},
		{[]tags.Filter{{Name: "configurationId", Values: []string{serverOf(acctB, 1)}}}, nil},
	} {
		sameLines(t, fmt.Sprint(tc.fs), describe(tc.fs...), slices.Sorted(slices.Values(tc.want)))
	}
	one := int32(1)
	p := ok(svc.Describe(c, acctA, tags.DescribeInput{MaxResults: &one}))(t)
	if p.Next == "" {
		t.Fatal("no token after a page of 1")
	}
	for _, tc := range []struct {
		account string
		fs      []tags.Filter
		tok     string
	}{
		{acctB, nil, p.Next},
		{acctA, []tags.Filter{{Name: "tagKey", Values: []string{"env"}}}, p.Next},
		{acctA, nil, p.Next + "x"},
		{acctA, nil, "garbage"},
	} {
		_, err := svc.Describe(c, tc.account, tags.DescribeInput{Filters: tc.fs, NextToken: &tc.tok})
		wantCode(t, err, discovery.InvalidParameterValue)
	}
}

// randomText returns n bytes of random hexadecimal text, which no
// compression shrinks to a small size (PostgreSQL's B-tree entries hold
// 2,704 bytes at most).
func randomText(n int) string {
	b := make([]byte, n/2)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// A tag's key and value have no length bound: pairs of a megabyte each
// are stored, found by item (in key and value order) and by key, not
// doubled by a second CreateTags, and deleted.
func testTagsOfAnyLength(t *testing.T, s Store) {
	seedFleet(t, s, acctA)
	c := ctx(t)
	svc := tagService(s, t0)
	s1 := serverOf(acctA, 1)
	key, value := randomText(1<<20), randomText(1<<20)
	pairs := []discovery.Tag{{Key: key, Value: value}, {Key: key, Value: "short"}, {Key: "short", Value: value}}
	for range 2 {
		must(t, svc.Create(c, acctA, []string{s1}, pairs))
	}
	want := slices.Clone(pairs)
	slices.SortFunc(want, func(a, b discovery.Tag) int {
		return cmp.Or(strings.Compare(a.Key, b.Key), strings.Compare(a.Value, b.Value))
	})
	got := ok(s.FindTags(c, discovery.TagQuery{Account: acctA, IDs: []string{s1}}))(t)
	if len(got) != len(want) {
		t.Fatalf("%d tags of the item, want %d", len(got), len(want))
	}
	for i, tg := range got {
		if tg.Key != want[i].Key || tg.Value != want[i].Value {
			t.Fatalf("tag %d of the item reads back as %.20q=%.20q, want %.20q=%.20q", i, tg.Key, tg.Value, want[i].Key, want[i].Value)
		}
	}
	byKey := ok(s.FindTags(c, discovery.TagQuery{Account: acctA, Keys: []string{key}}))(t)
	if len(byKey) != 2 {
		t.Fatalf("%d tags with the long key, want 2", len(byKey))
	}
	for _, tg := range byKey {
		if tg.Key != key || (tg.Value != value && tg.Value != "short") {
			t.Fatalf("a tag with the long key reads back as %.20q=%.20q", tg.Key, tg.Value)
		}
	}
	must(t, svc.Delete(c, acctA, []string{s1}, []discovery.Tag{{Key: key, Value: value}}))
	if n := len(ok(s.FindTags(c, discovery.TagQuery{Account: acctA, IDs: []string{s1}}))(t)); n != 2 {
		t.Fatalf("%d tags after deleting one, want 2", n)
	}
}
