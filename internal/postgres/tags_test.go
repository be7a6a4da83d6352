package postgres

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/pagetoken"
	"github.com/poseidon-ads/poseidon/internal/tags"
)

// The tag tests of internal/sqlite, on this store.

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

// Replicas adding different tags to one item at once cannot together pass
// the limit: each count includes the tags committed before it.
func TestTagsPerItemLimitAcrossReplicas(t *testing.T) {
	db := invFixture(t)
	dbs := replicas(t, withSearchPath(t, testURL(), schemaOf(t, db)), 6)
	var (
		mu       sync.Mutex
		accepted int
	)
	atOnce(len(dbs), func(i int) {
		var ts []discovery.Tag
		for j := range 10 {
			ts = append(ts, discovery.Tag{Key: fmt.Sprint("r", i), Value: fmt.Sprint(j)})
		}
		err := tagService(dbs[i], invT0).Create(t.Context(), invA, []string{srv3}, ts)
		mu.Lock()
		defer mu.Unlock()
		var de *discovery.Error
		switch {
		case err == nil:
			accepted++
		case !errors.As(err, &de) || de.Code != discovery.InvalidParameterValue:
			t.Errorf("replica %d: %v", i, err)
		}
	})
	if n := count(t, db, `SELECT count(*) FROM tags WHERE account_id = $1 AND configuration_id = $2`, invA, srv3); accepted != 3 || n != 30 {
		t.Fatalf("%d calls accepted, %d tags stored; want 3 and %d", accepted, n, tags.MaxPerItem)
	}
}

// schemaOf returns the schema db's tables are in.
func schemaOf(t *testing.T, db *DB) string {
	t.Helper()
	var schema string
	if err := db.pool.QueryRow(t.Context(), `SELECT current_schema()`).Scan(&schema); err != nil {
		t.Fatal(err)
	}
	return schema
}

func invPtr32(v int32) *int32 { return &v }

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
	// A token from another account or query is refused.
	p, err := svc.Describe(ctx, invA, tags.DescribeInput{MaxResults: invPtr32(1)})
	if err != nil || p.Next == "" {
		t.Fatal(p, err)
	}
	_, err = svc.Describe(ctx, invB, tags.DescribeInput{NextToken: &p.Next})
	wantDiscoveryCode(t, err, discovery.InvalidParameterValue)
}

// Keys and values order bytewise (as SQLite's BINARY collation), whatever
// the database's locale: upper case before lower case, "a-b" before "ab".
func TestTagOrderIsBytewise(t *testing.T) {
	db := invFixture(t)
	exec(t, db, `DELETE FROM tags`)
	if err := tagService(db, invT0).Create(t.Context(), invA, []string{srv3}, []discovery.Tag{
		{Key: "b", Value: "1"}, {Key: "B", Value: "1"}, {Key: "ab", Value: "1"}, {Key: "a-b", Value: "1"}, {Key: "é", Value: "1"}, {Key: "z", Value: "1"},
	}); err != nil {
		t.Fatal(err)
	}
	want := []string{srv3 + " B=1", srv3 + " a-b=1", srv3 + " ab=1", srv3 + " b=1", srv3 + " z=1", srv3 + " é=1"}
	if got := tagRows(t, db, invA); !reflect.DeepEqual(got, want) {
		t.Fatalf("order %v, want %v", got, want)
	}
}
