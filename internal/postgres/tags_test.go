package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/pagetoken"
	"github.com/poseidon-ads/poseidon/internal/tags"
)

// The tag behaviour both stores share is internal/storetest's; here, what
// takes several replicas.

func tagService(db *DB, now time.Time) *tags.Service {
	return tags.New(db, func() time.Time { return now }, pagetoken.New([]byte("secret")))
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
