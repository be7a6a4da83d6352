package exportfile_test

import (
	"testing"

	"github.com/poseidon-ads/poseidon/internal/exportfile"
	"github.com/poseidon-ads/poseidon/internal/exportfile/archivetest"
)

// dirs opens n archive stores on one new directory, as n processes sharing
// a data directory have.
func dirs(t *testing.T, n int) []archivetest.Store {
	root := t.TempDir()
	out := make([]archivetest.Store, n)
	for i := range out {
		out[i] = exportfile.Dir{Root: root}
	}
	return out
}

// The directory runs the archive stores' conformance suite.
func TestDirArchiveStore(t *testing.T) { archivetest.Run(t, dirs) }

// BenchmarkDirArchive64MiB prints what writing and reading a 64 MiB archive
// on disk allocates (B/op) and its throughput.
func BenchmarkDirArchive64MiB(b *testing.B) {
	archivetest.Bench(b, exportfile.Dir{Root: b.TempDir()})
}
