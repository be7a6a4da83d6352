package postgres

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"slices"
	"strings"
	"testing"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// randomText returns n bytes of random hexadecimal text, which no
// compression shrinks to a B-tree entry's 2,704 bytes.
func randomText(n int) string {
	b := make([]byte, n/2)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// A tag's key and value have no length bound: a pair of a megabyte each is
// stored, found by item and by key, not doubled by a second CreateTags,
// and deleted. (The primary key over key and value refused it: CreateTags
// answered 500.)
func TestTagsOfAnyLength(t *testing.T) {
	ctx := context.Background()
	db := invFixture(t)
	svc := tagService(db, invT0)
	key, value := randomText(1<<20), randomText(1<<20)
	pairs := []discovery.Tag{{Key: key, Value: value}, {Key: key, Value: "short"}, {Key: "short", Value: value}}
	for range 2 {
		if err := svc.Create(ctx, invA, []string{srv3}, pairs); err != nil {
			t.Fatal(err)
		}
	}
	if n := count(t, db, `SELECT count(*) FROM tags WHERE account_id = $1 AND configuration_id = $2`, invA, srv3); n != 3 {
		t.Fatalf("%d tags, want 3", n)
	}
	// By item, in (key, value) order.
	want := slices.Clone(pairs)
	slices.SortFunc(want, func(a, b discovery.Tag) int {
		return cmp.Or(strings.Compare(a.Key, b.Key), strings.Compare(a.Value, b.Value))
	})
	got, err := db.FindTags(ctx, discovery.TagQuery{Account: invA, IDs: []string{srv3}})
	if err != nil || len(got) != 3 {
		t.Fatalf("tags of the item: %d, %v", len(got), err)
	}
	for i, tg := range got {
		if tg.Key != want[i].Key || tg.Value != want[i].Value {
			t.Fatalf("tag %d of the item reads back as %.20q=%.20q, want %.20q=%.20q", i, tg.Key, tg.Value, want[i].Key, want[i].Value)
		}
	}
	byKey, err := db.FindTags(ctx, discovery.TagQuery{Account: invA, Keys: []string{key}})
	if err != nil || len(byKey) != 2 {
		t.Fatalf("tags with the long key: %d, %v", len(byKey), err)
	}
	for _, tg := range byKey {
		if tg.Key != key || (tg.Value != value && tg.Value != "short") {
			t.Fatalf("a tag with the long key reads back as %.20q=%.20q", tg.Key, tg.Value)
		}
	}
	if err := svc.Delete(ctx, invA, []string{srv3}, []discovery.Tag{{Key: key, Value: value}}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, `SELECT count(*) FROM tags WHERE account_id = $1 AND configuration_id = $2`, invA, srv3); n != 2 {
		t.Fatalf("%d tags after deleting one, want 2", n)
	}
}

// A tag page of one item, or of a few keys (of 1,000 keys on 20,000 tags),
// starts from an index.
func TestTagPagePlan(t *testing.T) {
	db := openTest(t)
	exec(t, db, `INSERT INTO tags (account_id, configuration_id, key, value, created_ms)
		SELECT a, 'd-server-' || lpad((i / 10)::text, 17, '0'), 'k' || (i % 1000), 'v' || i, 0
		FROM generate_series(1, 20000) i, unnest($1::text[]) a`, []string{invA, "222222222222"})
	exec(t, db, `ANALYZE tags`)
	for _, c := range []struct {
		q    discovery.TagQuery
		want string
	}{
		{discovery.TagQuery{Account: invA, IDs: []string{"d-server-00000000000000007"}, Limit: 101}, "tags_pair"},
		{discovery.TagQuery{Account: invA, Keys: []string{"k3"}, After: &discovery.TagCursor{ID: "d-server-00000000000001000", Key: "k3", Value: "v"}, Limit: 101}, "tags_by_key"},
	} {
		query, args := findTagsQuery(c.q)
		plan, err := column(context.Background(), db.pool, `EXPLAIN `+query, args...)
		if err != nil {
			t.Fatal(err)
		}
		if p := strings.Join(plan, "\n"); !strings.Contains(p, c.want) {
			t.Errorf("%+v: plan\n%s", c.q, p)
		}
	}
}
