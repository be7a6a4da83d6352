package sqlite_test

import (
	"path/filepath"
	"sync"
	"testing"

	"github.com/poseidon-ads/poseidon/internal/sqlite"
	"github.com/poseidon-ads/poseidon/internal/storetest"
)

// SQLite has the whole contract.
var _ storetest.Store = (*sqlite.DB)(nil)

// TestStore runs the store conformance suite against SQLite: each subtest
// gets a database file of its own in a temporary directory; reopening one
// closes it and opens the same file. SQLite has every capability, so no
// subtest skips.
func TestStore(t *testing.T) {
	var (
		mu    sync.Mutex
		paths = map[storetest.Accounts]string{}
	)
	openAt := func(t *testing.T, path string) storetest.Accounts {
		db, err := sqlite.Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		mu.Lock()
		paths[db] = path
		mu.Unlock()
		return db
	}
	open := func(t *testing.T) storetest.Accounts {
		return openAt(t, filepath.Join(t.TempDir(), "poseidon.db"))
	}
	reopen := func(t *testing.T, s storetest.Accounts) storetest.Accounts {
		mu.Lock()
		path, ok := paths[s]
		mu.Unlock()
		if !ok {
			t.Fatal("reopen: not a store of this test")
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		return openAt(t, path)
	}
	storetest.Run(t, open, reopen)
}
