package launch

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/poseidon-ads/poseidon/internal/postgres/pgtestdb"
)

// The data directory's ID is made once and kept; each directory has its
// own.
func TestDataDirID(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	first, err := dataDirID(a)
	if err != nil || len(first) != 32 {
		t.Fatalf("dataDirID = %q, %v", first, err)
	}
	if again, err := dataDirID(a); err != nil || again != first {
		t.Fatalf("dataDirID again = %q, %v; want %q", again, err, first)
	}
	if other, err := dataDirID(b); err != nil || other == first {
		t.Fatalf("another directory's ID = %q, %v", other, err)
	}
	entries, _ := os.ReadDir(a)
	if len(entries) != 1 {
		t.Fatalf("the data directory holds %d entries, want the ID file only", len(entries))
	}
	os.WriteFile(filepath.Join(b, "poseidon-dir-id"), []byte("garbage"), 0o644)
	if _, err := dataDirID(b); err == nil {
		t.Fatal("a malformed ID was accepted")
	}
}

// With PostgreSQL, the owner prefix of a slot names the data directory:
// replicas on two data directories each take slot 0, and neither's runner
// may end the other's leases as a dead predecessor's; a restart on the same
// directory keeps its prefix, and takes its predecessor's jobs over.
func TestDatabaseURLSlotPrefix(t *testing.T) {
	dbURL := pgtestdb.Schema(t)
	prefix := func(data string) string {
		c := &Config{Data: data, DatabaseURL: dbURL}
		db, _, slot, err := c.openStore(t.Context(), "slot-0/")
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
		return slot
	}
	a, b := t.TempDir(), t.TempDir()
	pa, pb := prefix(a), prefix(b)
	if pa == pb || !strings.HasSuffix(pa, "/slot-0/") || !strings.HasSuffix(pb, "/slot-0/") {
		t.Fatalf("slot 0 of two data directories: %q and %q", pa, pb)
	}
	if again := prefix(a); again != pa {
		t.Fatalf("slot 0 of the same directory after a restart: %q, was %q", again, pa)
	}
}
