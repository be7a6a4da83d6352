package server

import (
	"errors"
	"math"
	"net/http"
	"regexp"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// reset wipes all state: the store (but its server secrets), the export
// files and every other file kept for accounts, the known-account cache and
// the virtual clock's offset. With a body {"accountId": "123456789012"} it
// wipes that account's state and files only, and leaves the clock alone.
// Other processes sharing the store (replicas) learn of it through the
// control state (see Follow), and wipe their own files and caches.
func (s *Server) reset(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var in struct {
		AccountID *string `json:"accountId"`
	}
	if !decodeControl(w, r, &in) {
		return
	}
	if in.AccountID != nil && !twelveDigits.MatchString(*in.AccountID) {
		badControl(w, "The body must be empty (reset everything) or {\"accountId\": \"<12 digits>\"} (reset one account).")
		return
	}
	if in.AccountID != nil {
		s.resetAccount(w, r, *in.AccountID)
		return
	}
	if err := s.cfg.Store.Reset(ctx); err != nil {
		s.log.ErrorContext(ctx, "reset store", "err", err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"__type": "InternalError", "message": "reset failed"})
		return
	}
	filesErr := s.cfg.Files.RemoveAll(ctx)
	// The known accounts, the files kept for them and the clock's offset
	// go as the reset is applied (see follow).
	c, ok := s.changeControl(w, r, func(c *discovery.Control) {
		c.ClockOffset = 0
		c.AddReset("")
		c.Faults = discovery.Faults{NextID: c.Faults.NextID}
	})
	if !ok || !s.filesRemoved(w, r, errors.Join(filesErr, s.follow(ctx, c))) {
		return
	}
	if s.cfg.OnReset != nil {
		s.cfg.OnReset()
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "reset"})
}

var twelveDigits = regexp.MustCompile(`^[0-9]{12}$`)

// resetAccount wipes one account's state and files.
func (s *Server) resetAccount(w http.ResponseWriter, r *http.Request, account string) {
	ctx := r.Context()
	if err := s.cfg.Store.ResetAccount(ctx, account); err != nil {
		s.log.ErrorContext(ctx, "reset account", "account", account, "err", err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"__type": "InternalError", "message": "reset failed"})
		return
	}
	filesErr := s.cfg.Files.RemoveAccount(ctx, account)
	c, ok := s.changeControl(w, r, func(c *discovery.Control) {
		c.AddReset(account)
		c.Faults.ForgetAccount(account)
	})
	if !ok || !s.filesRemoved(w, r, errors.Join(filesErr, s.follow(ctx, c))) {
		return
	}
	if s.cfg.OnReset != nil {
		s.cfg.OnReset()
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "reset", "accountId": account})
}

// filesRemoved answers 500 and returns false if a reset could not remove
// every file (the store is already wiped; a new reset tries again).
func (s *Server) filesRemoved(w http.ResponseWriter, r *http.Request, err error) bool {
	if err == nil {
		return true
	}
	s.log.ErrorContext(r.Context(), "reset files", "err", err)
	writeJSON(w, http.StatusInternalServerError, map[string]string{"__type": "InternalError",
		"message": "The data was reset but some of its files could not be removed; reset again."})
	return false
}

func (s *Server) getClock(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.clockView())
}

// clockView is the virtual clock as the control API shows it: the time,
// and offsetSeconds, how far it is from real time (0 until moved).
func (s *Server) clockView() map[string]any {
	offset := s.cfg.Clock.Offset()
	now := s.cfg.Clock.Now()
	return map[string]any{"epochSeconds": float64(now.UnixMilli()) / 1000, "time": now.Format(time.RFC3339Nano),
		"offsetSeconds": offset.Seconds()}
}

// setClock moves the virtual clock: {"advanceSeconds": N} or {"setEpochSeconds": T}.
func (s *Server) setClock(w http.ResponseWriter, r *http.Request) {
	var in struct {
		AdvanceSeconds  *float64 `json:"advanceSeconds"`
		SetEpochSeconds *float64 `json:"setEpochSeconds"`
	}
	if !decodeControl(w, r, &in) {
		return
	}
	bad := func(msg string) { badControl(w, "%s", msg) }
	switch {
	case (in.AdvanceSeconds == nil) == (in.SetEpochSeconds == nil):
		bad("Give exactly one of advanceSeconds and setEpochSeconds.")
	case in.AdvanceSeconds != nil:
		v := *in.AdvanceSeconds
		if math.IsNaN(v) || math.Abs(v) > 1e10 {
			bad("advanceSeconds is out of range.")
			return
		}
		d := time.Duration(v * float64(time.Second))
		s.moveClock(w, r, func(c *discovery.Control) { c.ClockOffset += d })
	default:
		v := *in.SetEpochSeconds
		if math.IsNaN(v) || v < 0 || v > 1e10 {
			bad("setEpochSeconds is out of range.")
			return
		}
		offset := s.cfg.Clock.OffsetAt(time.UnixMilli(int64(v * 1000)))
		s.moveClock(w, r, func(c *discovery.Control) { c.ClockOffset = offset })
	}
}

// moveClock changes the clock's offset in the store, for every process
// sharing it, applies the change here and answers the clock.
// The offset is stored in whole milliseconds, rounded up, so that a clock
// set to T reads T or later, and every process reads the same offset.
func (s *Server) moveClock(w http.ResponseWriter, r *http.Request, fn func(*discovery.Control)) {
	c, ok := s.changeControl(w, r, func(c *discovery.Control) {
		fn(c)
		if ms := c.ClockOffset.Truncate(time.Millisecond); ms < c.ClockOffset {
			c.ClockOffset = ms + time.Millisecond
		}
	})
	if !ok {
		return
	}
	s.follow(r.Context(), c)
	writeJSON(w, http.StatusOK, s.clockView())
}

// changeControl changes the control state in the store; on failure it
// answers 500 and returns false.
func (s *Server) changeControl(w http.ResponseWriter, r *http.Request, fn func(*discovery.Control)) (discovery.Control, bool) {
	c, err := s.cfg.Store.UpdateControl(r.Context(), fn)
	if err != nil {
		s.log.ErrorContext(r.Context(), "store the control state", "err", err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"__type": "InternalError",
			"message": "The control state (clock, reset or faults) could not be stored; try again."})
		return c, false
	}
	return c, true
}
