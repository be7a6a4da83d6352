package discovery

import "time"

// Control is what the control API changes for every process that shares a
// store (the replicas on one PostgreSQL): the virtual clock's offset and the
// resets. Each change is numbered, so that a process that applied change n
// knows what it has yet to apply, and never goes back to an older state.
type Control struct {
	// Version is the number of the latest change: each change adds one,
	// 0 is a store never changed.
	Version int64 `json:"version"`
	// ClockOffset is how far the virtual clock is from real time. The
	// stores keep it apart from the rest.
	ClockOffset time.Duration `json:"-"`
	// Resets are the latest resets, oldest first, MaxControlResets at most:
	// a process applies those newer than the change it applied last (it
	// forgets what it cached of the accounts, and removes the files it
	// keeps for them).
	Resets []ControlReset `json:"resets,omitempty"`
	// Faults are the faults injected through the control API; a reset of
	// every account clears them.
	Faults Faults `json:"faults,omitzero"`
}

// ControlReset is one reset of a Control.
type ControlReset struct {
	// Version is the change that recorded the reset.
	Version int64 `json:"version"`
	// Account is the account reset, "" for all of them.
	Account string `json:"account,omitempty"`
}

// MaxControlResets is how many resets a Control keeps. A process that
// follows the store at least every second misses none unless more than
// this many resets are made in one second.
const MaxControlResets = 64

// Change numbers the next change and makes it: it adds one to the Version
// and calls fn. Stores call it holding the state's lock.
func (c *Control) Change(fn func(*Control)) {
	c.Version++
	fn(c)
}

// AddReset records a reset of account ("" for every account) as the change
// c.Version, dropping the oldest reset if there are MaxControlResets.
func (c *Control) AddReset(account string) {
	c.Resets = append(c.Resets, ControlReset{Version: c.Version, Account: account})
	if n := len(c.Resets); n > MaxControlResets {
		c.Resets = append([]ControlReset(nil), c.Resets[n-MaxControlResets:]...)
	}
}

// ResetsAfter returns the resets newer than change v, oldest first, and
// whether older ones newer than v may have been dropped (MaxControlResets
// are kept, the oldest of them newer than v + 1).
func (c *Control) ResetsAfter(v int64) (resets []ControlReset, missed bool) {
	for i, r := range c.Resets {
		if r.Version > v {
			return c.Resets[i:], i == 0 && len(c.Resets) == MaxControlResets && r.Version > v+1
		}
	}
	return nil, false
}
