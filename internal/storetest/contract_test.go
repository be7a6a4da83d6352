package storetest_test

import (
	"github.com/poseidon-ads/poseidon/internal/server"
	"github.com/poseidon-ads/poseidon/internal/storetest"
)

// The suite's Store covers what the HTTP edge needs of a store.
var _ server.Store = storetest.Store(nil)
