//go:build race

package archivetest

// raceEnabled reports whether the race detector is on: it drops a quarter
// of what goes back to a sync.Pool, so that pooled buffers are allocated
// again and allocation figures grow.
const raceEnabled = true
