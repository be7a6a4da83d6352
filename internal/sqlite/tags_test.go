package sqlite

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/pagetoken"
	"github.com/poseidon-ads/poseidon/internal/tags"
)

func tagService(db *DB, now time.Time) *tags.Service {
	return tags.New(db, func() time.Time { return now }, pagetoken.New([]byte("secret")))
}

// tagRows lists the account's tags as "id key=value" strings.
func tagRows(t *testing.T, db *DB, account string) []string {
	t.Helper()
	rows, err := db.FindTags(context.Background(), discovery.TagQuery{Account: account})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rows {
		out = append(out, fmt.Sprintf("%s %s=%s", r.ConfigurationID, r.Key, r.Value))
	}
	return out
}

func wantDiscoveryCode(t *testing.T, err error, code discovery.ErrorCode) *discovery.Error {
	t.Helper()
	var de *discovery.Error
	if !errors.As(err, &de) || de.Code != code {
		t.Fatalf("error = %v, want %s", err, code)
	}
	return de
}

func TestCreateDeleteTags(t *testing.T) {
	ctx := context.Background()
	db := invFixture(t)
	now := invT0.Add(48 * time.Hour)
	svc := tagService(db, now)
	connID := discovery.ConnectionPrefix + conn1

	// Every item type that exists can be tagged; the same pair twice is a no-op.
	ids := []string{srv3, procNginx, connID, app3, srv3}
	if err := svc.Create(ctx, invA, ids, []discovery.Tag{{Key: "owner", Value: "ops"}, {Key: "owner", Value: "ops"}, {Key: "owner", Value: "dba"}}); err != nil {
		t.Fatal(err)
	}
	if err := svc.Create(ctx, invA, []string{srv3}, []discovery.Tag{{Key: "owner", Value: "ops"}}); err != nil {
		t.Fatal(err)
	}
	page, err := svc.Describe(ctx, invA, tags.DescribeInput{Filters: []tags.Filter{{Name: "tagKey", Values: []string{"owner"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Tags) != 8 || page.Next != "" {
		t.Fatalf("owner tags = %+v", page)
	}
	types := map[string]discovery.ItemType{}
	for _, tg := range page.Tags {
		types[tg.ConfigurationID] = tg.Type
		if !tg.Created.Equal(now) {
			t.Errorf("created %v, want %v", tg.Created, now)
		}
	}
	want := map[string]discovery.ItemType{srv3: discovery.TypeServer, procNginx: discovery.TypeProcess, connID: discovery.TypeConnection, app3: discovery.TypeApplication}
	if !reflect.DeepEqual(types, want) {
		t.Errorf("types = %v, want %v", types, want)
	}

	// Unknown IDs, other accounts' IDs and unknown prefixes: ResourceNotFound, nothing stored.
	before := tagRows(t, db, invA)
	for _, bad := range []string{"d-server-ffffffffffffffff", srvB, procB, "d-application-0000000000009", "i-12345", discovery.ConnectionPrefix + "nope"} {
		err := svc.Create(ctx, invA, []string{srv1, bad}, []discovery.Tag{{Key: "x", Value: "y"}})
		de := wantDiscoveryCode(t, err, discovery.ResourceNotFound)
		if want := "Configuration item not found: " + bad; de.Message != want {
			t.Errorf("message %q, want %q", de.Message, want)
		}
		wantDiscoveryCode(t, svc.Delete(ctx, invA, []string{srv1, bad}, nil), discovery.ResourceNotFound)
	}
	if got := tagRows(t, db, invA); !reflect.DeepEqual(got, before) {
		t.Fatalf("tags changed by failed calls:\n%v\n%v", got, before)
	}

	// Delete one pair, then all of an item's tags; pairs not present are ignored.
	if err := svc.Delete(ctx, invA, []string{srv3, procNginx}, []discovery.Tag{{Key: "owner", Value: "dba"}, {Key: "nope", Value: "nope"}}); err != nil {
		t.Fatal(err)
	}
	if err := svc.Delete(ctx, invA, []string{connID, app3, srv1}, nil); err != nil {
		t.Fatal(err)
	}
	wantRows := []string{procNginx + " owner=ops", srv2 + " env=dev", srv3 + " owner=ops"}
	if got := tagRows(t, db, invA); !reflect.DeepEqual(got, wantRows) {
		t.Fatalf("after deletes = %v, want %v", got, wantRows)
	}
	if got := tagRows(t, db, invB); !reflect.DeepEqual(got, []string{srv3 + " env=prod"}) {
		t.Fatalf("account B tags changed: %v", got)
	}
	// An explicit empty tag list deletes nothing.
	if err := svc.Delete(ctx, invA, []string{srv2}, []discovery.Tag{}); err != nil {
		t.Fatal(err)
	}
	if got := tagRows(t, db, invA); !reflect.DeepEqual(got, wantRows) {
		t.Fatalf("empty delete changed tags: %v", got)
	}
}

func TestTagsPerItemLimit(t *testing.T) {
	ctx := context.Background()
	db := invFixture(t)
	svc := tagService(db, invT0)
	var ts []discovery.Tag
	for i := range tags.MaxPerItem - 2 { // srv1 has 2 tags
		ts = append(ts, discovery.Tag{Key: "k", Value: fmt.Sprint(i)})
	}
	if err := svc.Create(ctx, invA, []string{srv1}, ts); err != nil {
		t.Fatal(err)
	}
	before := tagRows(t, db, invA)
	err := svc.Create(ctx, invA, []string{srv2, srv1}, []discovery.Tag{{Key: "one", Value: "more"}})
	wantDiscoveryCode(t, err, discovery.InvalidParameterValue)
	if got := tagRows(t, db, invA); !reflect.DeepEqual(got, before) {
		t.Fatal("limit error stored tags")
	}
	// Re-adding existing pairs does not count against the limit.
	if err := svc.Create(ctx, invA, []string{srv1}, ts[:3]); err != nil {
		t.Fatal(err)
	}
}

func TestDescribeTagsFiltersAndPages(t *testing.T) {
	ctx := context.Background()
	db := invFixture(t)
	svc := tagService(db, invT0)
	if err := svc.Create(ctx, invA, []string{srv3, srv4}, []discovery.Tag{{Key: "env", Value: "prod"}, {Key: "role", Value: "cache"}}); err != nil {
		t.Fatal(err)
	}
	describe := func(fs ...tags.Filter) []string {
		t.Helper()
		var out []string
		in := tags.DescribeInput{Filters: fs, MaxResults: invPtr32(2)}
		for pages := 0; ; pages++ {
			if pages > 20 {
				t.Fatal("too many pages")
			}
			p, err := svc.Describe(ctx, invA, in)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Tags) > 2 {
				t.Fatalf("page of %d", len(p.Tags))
			}
			for _, r := range p.Tags {
				out = append(out, fmt.Sprintf("%s %s=%s", r.ConfigurationID, r.Key, r.Value))
			}
			if p.Next == "" {
				return out
			}
			in.NextToken = &p.Next
		}
	}
	all := describe()
	if want := tagRows(t, db, invA); !reflect.DeepEqual(all, want) || len(all) != 7 {
		t.Fatalf("all = %v, want %v", all, want)
	}
	for _, c := range []struct {
		fs   []tags.Filter
		want []string
	}{
		{[]tags.Filter{{Name: "tagValue", Values: []string{"prod", "dev"}}}, []string{srv1 + " env=prod", srv2 + " env=dev", srv3 + " env=prod", srv4 + " env=prod"}},
		{[]tags.Filter{{Name: "tagKey", Values: []string{"env"}}, {Name: "configurationId", Values: []string{srv1, srv4, srvB}}}, []string{srv1 + " env=prod", srv4 + " env=prod"}},
		{[]tags.Filter{{Name: "tagKey", Values: []string{"env", "tier"}}, {Name: "tagKey", Values: []string{"tier"}}}, []string{srv1 + " tier=web"}},
		{[]tags.Filter{{Name: "configurationId", Values: []string{srvB}}}, nil},
	} {
		if got := describe(c.fs...); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%v: got %v, want %v", c.fs, got, c.want)
		}
	}

	// Errors.
	_, err := svc.Describe(ctx, invA, tags.DescribeInput{Filters: []tags.Filter{{Name: "TagKey", Values: []string{"env"}}}})
	wantDiscoveryCode(t, err, discovery.InvalidParameter)
	_, err = svc.Describe(ctx, invA, tags.DescribeInput{Filters: []tags.Filter{{Name: "tagKey", Values: nil}}})
	wantDiscoveryCode(t, err, discovery.InvalidParameterValue)
	_, err = svc.Describe(ctx, invA, tags.DescribeInput{MaxResults: invPtr32(-1)})
	wantDiscoveryCode(t, err, discovery.InvalidParameterValue)
	p, err := svc.Describe(ctx, invA, tags.DescribeInput{MaxResults: invPtr32(1)})
	if err != nil || p.Next == "" {
		t.Fatal(p, err)
	}
	for _, c := range []struct {
		account string
		fs      []tags.Filter
		tok     string
	}{
		{invB, nil, p.Next},
		{invA, []tags.Filter{{Name: "tagKey", Values: []string{"env"}}}, p.Next},
		{invA, nil, p.Next + "x"},
		{invA, nil, "garbage"},
	} {
		_, err := svc.Describe(ctx, c.account, tags.DescribeInput{Filters: c.fs, NextToken: &c.tok})
		wantDiscoveryCode(t, err, discovery.InvalidParameterValue)
	}
	// 0 and >100 mean 100.
	for _, m := range []int32{0, 1000} {
		p, err := svc.Describe(ctx, invA, tags.DescribeInput{MaxResults: invPtr32(m)})
		if err != nil || len(p.Tags) != 7 || p.Next != "" {
			t.Fatalf("maxResults %d: %v %v", m, p, err)
		}
	}
}

// FindTags: Keys, Values and IDs each keep the tags with one of their
// values when not nil (none when empty), lists of any length.
func TestFindTagsLists(t *testing.T) {
	db := invFixture(t)
	long := []string{"tier"}
	for i := range 40000 {
		long = append(long, fmt.Sprintf("k%d", i))
	}
	for _, c := range []struct {
		q    discovery.TagQuery
		want []string
	}{
		{discovery.TagQuery{}, []string{srv1 + " env=prod", srv1 + " tier=web", srv2 + " env=dev"}},
		{discovery.TagQuery{Keys: []string{"env"}, Values: []string{"prod", "dev"}, IDs: []string{srv2, srv3}}, []string{srv2 + " env=dev"}},
		{discovery.TagQuery{Values: []string{}}, nil},
		{discovery.TagQuery{Keys: long}, []string{srv1 + " tier=web"}},
		{discovery.TagQuery{After: &discovery.TagCursor{ID: srv1, Key: "env", Value: "prod"}, Limit: 1}, []string{srv1 + " tier=web"}},
	} {
		q := c.q
		q.Account = invA
		rows, err := db.FindTags(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range rows {
			got = append(got, fmt.Sprintf("%s %s=%s", r.ConfigurationID, r.Key, r.Value))
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%+v: %v, want %v", c.q.Keys[:min(len(c.q.Keys), 3)], got, c.want)
		}
	}
}
