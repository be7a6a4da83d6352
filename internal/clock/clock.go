// Package clock is poseidon's virtual clock: real time plus an offset that the
// control API moves. Every expiry and limit reads time through it.
package clock

import (
	"sync"
	"time"
)

// Clock is a virtual clock. The zero value is not usable; use New.
type Clock struct {
	mu     sync.RWMutex
	real   func() time.Time
	offset time.Duration
	subs   []chan struct{}
}

// New returns a clock that follows real, shifted by nothing yet.
func New(real func() time.Time) *Clock {
	if real == nil {
		real = time.Now
	}
	return &Clock{real: real}
}

// Now returns the virtual time, in UTC.
func (c *Clock) Now() time.Time {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.real().Add(c.offset).UTC()
}

// Advance moves the clock forward (or back, for negative d).
func (c *Clock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	c.offset += d
	now := c.real().Add(c.offset).UTC()
	c.notify()
	c.mu.Unlock()
	return now
}

// Set moves the clock so that Now returns t.
func (c *Clock) Set(t time.Time) time.Time {
	c.mu.Lock()
	c.offset = t.Sub(c.real())
	now := c.real().Add(c.offset).UTC()
	c.notify()
	c.mu.Unlock()
	return now
}

// Changed returns a channel that receives a value whenever the clock is moved.
// It never blocks the mover: a pending signal is enough.
func (c *Clock) Changed() <-chan struct{} {
	ch := make(chan struct{}, 1)
	c.mu.Lock()
	c.subs = append(c.subs, ch)
	c.mu.Unlock()
	return ch
}

func (c *Clock) notify() {
	for _, ch := range c.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// Offset returns how far the virtual clock is from real time.
func (c *Clock) Offset() time.Duration {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.offset
}

// OffsetAt returns the offset that would make Now return t.
func (c *Clock) OffsetAt(t time.Time) time.Duration {
	return t.Sub(c.real())
}

// SetOffset puts the clock d away from real time (a stored offset, or one
// another process set).
func (c *Clock) SetOffset(d time.Duration) {
	c.mu.Lock()
	c.offset = d
	c.notify()
	c.mu.Unlock()
}

// Reset drops the offset: the clock follows real time again.
func (c *Clock) Reset() time.Time {
	c.mu.Lock()
	c.offset = 0
	now := c.real().UTC()
	c.notify()
	c.mu.Unlock()
	return now
}
