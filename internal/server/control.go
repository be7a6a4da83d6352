package server

import (
	"encoding/json"
	"io"
	"math"
	"net/http"
	"time"
)

// reset wipes all state: the store (but its server secrets), the export
// files, the known-account cache and the virtual clock's offset.
func (s *Server) reset(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := s.cfg.Store.Reset(ctx); err != nil {
		s.log.ErrorContext(ctx, "reset store", "err", err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"__type": "InternalError", "message": "reset failed"})
		return
	}
	if err := s.cfg.Files.RemoveAll(); err != nil {
		s.log.ErrorContext(ctx, "reset export files", "err", err)
	}
	s.forgetAccounts()
	s.cfg.Clock.Reset()
	if !s.saveClock(w, r) {
		return
	}
	if s.cfg.OnReset != nil {
		s.cfg.OnReset()
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "reset"})
}

func (s *Server) getClock(w http.ResponseWriter, r *http.Request) {
	writeClock(w, s.cfg.Clock.Now())
}

func writeClock(w http.ResponseWriter, now time.Time) {
	writeJSON(w, http.StatusOK, map[string]any{"epochSeconds": float64(now.UnixMilli()) / 1000, "time": now.Format(time.RFC3339Nano)})
}

// setClock moves the virtual clock: {"advanceSeconds": N} or {"setEpochSeconds": T}.
func (s *Server) setClock(w http.ResponseWriter, r *http.Request) {
	var in struct {
		AdvanceSeconds  *float64 `json:"advanceSeconds"`
		SetEpochSeconds *float64 `json:"setEpochSeconds"`
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 4096))
	if err == nil {
		err = json.Unmarshal(body, &in)
	}
	bad := func(msg string) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"__type": "InvalidRequestException", "message": msg})
	}
	switch {
	case err != nil:
		bad("The body must be {\"advanceSeconds\": N} or {\"setEpochSeconds\": T}.")
	case (in.AdvanceSeconds == nil) == (in.SetEpochSeconds == nil):
		bad("Give exactly one of advanceSeconds and setEpochSeconds.")
	case in.AdvanceSeconds != nil:
		v := *in.AdvanceSeconds
		if math.IsNaN(v) || math.Abs(v) > 1e10 {
			bad("advanceSeconds is out of range.")
			return
		}
		now := s.cfg.Clock.Advance(time.Duration(v * float64(time.Second)))
		if s.saveClock(w, r) {
			writeClock(w, now)
		}
	default:
		v := *in.SetEpochSeconds
		if math.IsNaN(v) || v < 0 || v > 1e10 {
			bad("setEpochSeconds is out of range.")
			return
		}
		now := s.cfg.Clock.Set(time.UnixMilli(int64(v * 1000)))
		if s.saveClock(w, r) {
			writeClock(w, now)
		}
	}
}

// saveClock stores the clock's offset; on failure it answers 500 and
// returns false (the clock has moved in memory only).
func (s *Server) saveClock(w http.ResponseWriter, r *http.Request) bool {
	if err := s.cfg.Store.SetClockOffset(r.Context(), s.cfg.Clock.Offset()); err != nil {
		s.log.ErrorContext(r.Context(), "store clock offset", "err", err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"__type": "InternalError", "message": "the clock moved but could not be stored"})
		return false
	}
	return true
}
