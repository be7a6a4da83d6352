package server

import (
	"context"
	"errors"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// FollowEvery is how often Follow reads the control state when no change
// is signalled: the longest a replica lags behind a clock move or reset
// made on another when notifications are lost (with them, it lags by the
// time a notification and one read take).
const FollowEvery = 500 * time.Millisecond

// Follow keeps the server in step with the control changes that other
// processes sharing its store (replicas on one PostgreSQL) make through
// their control API: it reads the store's control state whenever changed
// signals (a hint, may be nil) and every `every` (FollowEvery if not
// positive), and applies what it has not applied yet (see follow). It
// costs no request anything: requests read the clock and the known
// accounts from memory. It returns when ctx ends. A server alone on its
// store does not need it: it applies its own changes as it makes them.
func (s *Server) Follow(ctx context.Context, every time.Duration, changed <-chan struct{}) {
	if every <= 0 {
		every = FollowEvery
	}
	t := time.NewTicker(every)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-changed:
		}
		c, err := s.cfg.Store.Control(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if !failing {
				s.log.WarnContext(ctx, "read the control state (clock, resets) of the store; trying again", "err", err)
			}
			failing = true
			continue
		}
		if failing {
			s.log.InfoContext(ctx, "control state read again")
			failing = false
		}
		if err := s.follow(ctx, c); err != nil {
			s.log.ErrorContext(ctx, "remove the files of a reset made on another replica", "err", err)
		}
	}
}

// follow applies the changes of c newer than the last applied, once each
// and in order, whether this server or another process made them: for each
// reset it forgets the accounts it knew (so that the next request of one
// records it again, with its default home region control) and removes the
// files it keeps for them (import buckets, continuous export data); then it
// sets the clock's offset. It returns the errors of removing files.
func (s *Server) follow(ctx context.Context, c discovery.Control) error {
	s.followMu.Lock()
	defer s.followMu.Unlock()
	if c.Version <= s.followed {
		return nil
	}
	resets, missed := c.ResetsAfter(s.followed)
	if missed {
		s.log.WarnContext(ctx, "more resets were made since this server last read the control state than the store keeps: the files of the accounts they reset may remain",
			"applied", s.followed, "version", c.Version)
		s.forgetAccounts()
	}
	// A reset removes home region controls (and the account's default
	// comes back when it is recorded again).
	s.forgetHomeRegions()
	var errs []error
	for _, r := range resets {
		if r.Account == "" {
			s.forgetAccounts()
		} else {
			s.accounts.Delete(r.Account)
		}
		for _, f := range s.cfg.AccountFiles {
			if r.Account == "" {
				errs = append(errs, f.RemoveAll())
			} else {
				errs = append(errs, f.RemoveAccount(r.Account))
			}
		}
	}
	if s.cfg.Faults != nil {
		s.cfg.Faults.Follow(c)
	}
	if c.ClockOffset != s.cfg.Clock.Offset() {
		s.cfg.Clock.SetOffset(c.ClockOffset)
	}
	s.followed = c.Version
	return errors.Join(errs...)
}
