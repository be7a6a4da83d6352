package postgres_test

import (
	"context"
	"sync"
	"testing"

	"github.com/poseidon-ads/poseidon/internal/postgres"
	"github.com/poseidon-ads/poseidon/internal/postgres/pgtestdb"
	"github.com/poseidon-ads/poseidon/internal/storetest"
	"github.com/poseidon-ads/poseidon/internal/storetest/teststore"
)

// TestStore runs the store conformance suite against PostgreSQL: each
// subtest gets a schema of its own (pgtestdb: skipped when the test server
// is unreachable, failed under CI=true); reopening a store closes its pool
// and opens a new one on the same schema, as the next process would.
func TestStore(t *testing.T) {
	var (
		mu   sync.Mutex
		urls = map[storetest.Accounts]string{}
	)
	openAt := func(t *testing.T, url string) storetest.Accounts {
		db, err := postgres.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		mu.Lock()
		urls[db] = url
		mu.Unlock()
		return db
	}
	open := func(t *testing.T) storetest.Accounts { return openAt(t, pgtestdb.Schema(t)) }
	reopen := func(t *testing.T, s storetest.Accounts) storetest.Accounts {
		mu.Lock()
		url, ok := urls[s]
		mu.Unlock()
		if !ok {
			t.Fatal("reopen: not a store of this test")
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		return openAt(t, url)
	}
	// What the store does not have yet, one line each in
	// teststore.PostgresLacks, skips until its branch lands.
	storetest.Run(t, open, reopen, teststore.PostgresLacks...)
}
