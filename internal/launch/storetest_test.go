package launch

import "github.com/poseidon-ads/poseidon/internal/storetest"

// A store that passes the conformance suite (storetest.Store) is one
// poseidon can open: the suite covers every method of Store.
var _ Store = storetest.Store(nil)
