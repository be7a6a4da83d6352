// Package faults applies the faults injected through the control API
// (discovery.Faults, kept in the store's control state and so shared by
// every process on the store): it tells the export worker which exports to
// fail or hold, the import runner which imports to fail, and the HTTP edge
// which calls to delay or answer with an error. The edge's control API sets
// the faults; this package only consumes them.
package faults

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// Store is the control state the faults live in. sqlite.DB and postgres.DB
// implement it.
type Store interface {
	Control(ctx context.Context) (discovery.Control, error)
	UpdateControl(ctx context.Context, fn func(*discovery.Control)) (discovery.Control, error)
}

// DefaultHoldPoll is how often a held export looks whether it was released.
const DefaultHoldPoll = 100 * time.Millisecond

// Injector applies the faults. Decisions about tasks (fail, hold) read and
// change the store's control state, so that they are exact across replicas;
// decisions about API calls read the faults this process last followed
// (Follow), so that calls cost no store read, and change the store only to
// consume a counted fault.
type Injector struct {
	Store Store
	// Now is the virtual clock: holds and operation faults expire on it.
	Now func() time.Time
	// Float returns a number in [0, 1) for probabilities; rand.Float64 if nil.
	Float func() float64
	// HoldPoll is how often a held export looks for its release;
	// DefaultHoldPoll if zero.
	HoldPoll time.Duration

	mu      sync.Mutex
	version int64
	cur     discovery.Faults
}

// Follow makes c the control state the injector decides API calls from, if
// it is newer than the one it has.
func (in *Injector) Follow(c discovery.Control) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if c.Version >= in.version {
		in.version, in.cur = c.Version, c.Faults
	}
}

// update changes the faults in the store and follows the result.
func (in *Injector) update(ctx context.Context, fn func(*discovery.Faults)) (discovery.Control, error) {
	c, err := in.Store.UpdateControl(ctx, func(c *discovery.Control) { fn(&c.Faults) })
	if err == nil {
		in.Follow(c)
	}
	return c, err
}

// Call is what a call of an API operation must suffer: wait Delay, then
// answer Error with Message if Error is not "".
type Call struct {
	Delay   time.Duration
	Error   string
	Message string
}

// Operation returns the fault a call of operation by account suffers: the
// first fault set for it that applies (a counted one only while its count
// lasts, consumed here; one with a probability by chance).
func (in *Injector) Operation(ctx context.Context, operation, account string) (Call, error) {
	in.mu.Lock()
	if len(in.cur.Operations) == 0 {
		in.mu.Unlock()
		return Call{}, nil
	}
	now := in.Now()
	var match []discovery.OperationFault
	for _, o := range in.cur.Operations {
		if o.Matches(operation, account, now) {
			match = append(match, o)
		}
	}
	in.mu.Unlock()
	for _, o := range match {
		if o.Counted {
			took := false
			if _, err := in.update(ctx, func(f *discovery.Faults) { took = f.ConsumeOperation(o.ID) }); err != nil {
				return Call{}, err
			}
			if !took {
				continue
			}
		} else if o.Probability > 0 && in.float() >= o.Probability {
			continue
		}
		return Call{Delay: o.Latency, Error: o.Error, Message: o.Message}, nil
	}
	return Call{}, nil
}

func (in *Injector) float() float64 {
	if in.Float != nil {
		return in.Float()
	}
	return rand.Float64()
}

// ImportFailure reports whether the import task id of account, starting to
// run, must fail, and with which message: the next imports set to fail do.
func (in *Injector) ImportFailure(ctx context.Context, account, id string) (string, bool, error) {
	c, err := in.Store.Control(ctx)
	if err != nil || c.Faults.FailImports == nil {
		return "", false, err
	}
	var msg string
	var ok bool
	_, err = in.update(ctx, func(f *discovery.Faults) { msg, ok = discovery.TakeFailure(&f.FailImports, account) })
	return msg, ok, err
}

// ExportStart decides what happens to the export id of account as it
// starts building: fail with a message (ok true), or be held (it waits in
// Hold), or neither. An export already held (its build was interrupted) is
// held again.
func (in *Injector) ExportStart(ctx context.Context, account, id string) (message string, fail bool, err error) {
	c, err := in.Store.Control(ctx)
	if err != nil {
		return "", false, err
	}
	f := c.Faults
	if f.FailExports == nil && f.HoldExports == nil {
		return "", false, nil
	}
	if f.HeldIndex(account, id) >= 0 {
		return "", false, nil
	}
	_, err = in.update(ctx, func(f *discovery.Faults) {
		if message, fail = discovery.TakeFailure(&f.FailExports, account); fail {
			return
		}
		h := f.HoldExports
		if h != nil && (h.Account == "" || h.Account == account) && f.HeldIndex(account, id) < 0 {
			now := in.Now()
			f.Held = append(f.Held, discovery.HeldExport{Account: account, ID: id, Since: now, Until: now.Add(h.MaxHold)})
		}
	})
	return message, fail, err
}

// Hold waits while the export id of account is held: until it is released
// through the control API, its hold passes on the virtual clock (then it
// is released here), or ctx ends (ctx's error). It returns at once for an
// export not held.
func (in *Injector) Hold(ctx context.Context, account, id string) error {
	every := in.HoldPoll
	if every <= 0 {
		every = DefaultHoldPoll
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		c, err := in.Store.Control(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			// The store fails: the hold goes on until it answers.
		} else {
			i := c.Faults.HeldIndex(account, id)
			if i < 0 {
				return nil
			}
			if h := c.Faults.Held[i]; h.Released || !in.Now().Before(h.Until) {
				if _, err := in.update(ctx, func(f *discovery.Faults) { f.Unhold(account, id) }); err == nil {
					return nil
				}
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}
