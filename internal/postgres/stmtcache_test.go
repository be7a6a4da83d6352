package postgres

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// The reads every request makes are prepared once per connection: pgx's
// statement cache is on (its default; a URL could turn it off with
// default_query_exec_mode), so a read repeated on one connection finds its
// prepared statement.
func TestStatementCache(t *testing.T) {
	url := testSchema(t)
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	db := openURL(t, url+sep+"pool_max_conns=1") // every read on the read pool's one connection
	if n := db.rd.Config().MaxConns; n != 1 {
		t.Fatalf("read pool of %d connections for pool_max_conns=1, want 1", n)
	}
	for _, p := range []*pgxpool.Pool{db.pool, db.rd} {
		if mode := p.Config().ConnConfig.DefaultQueryExecMode; mode != pgx.QueryExecModeCacheStatement {
			t.Fatalf("query exec mode %v, want the statement cache", mode)
		}
	}
	ctx := context.Background()
	for range 3 {
		if _, err := db.HomeRegionControl(ctx, "111111111111"); !errors.Is(err, discovery.ErrNotFound) {
			t.Fatal(err)
		}
		if _, err := db.FindExportTasks(ctx, discovery.ExportQuery{AccountID: "111111111111", Limit: 11}); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := db.rd.QueryRow(ctx, `SELECT count(*) FROM pg_prepared_statements
		WHERE (statement LIKE '%FROM home_region_controls%' OR statement LIKE '%FROM export_tasks%')
		AND statement NOT LIKE '%pg_prepared_statements%'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Fatalf("%d prepared statements of the two reads on the connection, want 2", n)
	}
}
