package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"regexp"
	"time"
)

// reset wipes all state: the store (but its server secrets), the export
// files and every other file kept for accounts, the known-account cache and
// the virtual clock's offset. With a body {"accountId": "123456789012"} it
// wipes that account's state and files only, and leaves the clock alone.
func (s *Server) reset(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var in struct {
		AccountID *string `json:"accountId"`
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 4096))
	if err == nil && len(bytes.TrimSpace(body)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		err = dec.Decode(&in)
	}
	if err != nil || in.AccountID != nil && !twelveDigits.MatchString(*in.AccountID) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"__type": "InvalidRequestException",
			"message": "The body must be empty (reset everything) or {\"accountId\": \"<12 digits>\"} (reset one account)."})
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
	errs := []error{s.cfg.Files.RemoveAll(ctx)}
	for _, f := range s.cfg.AccountFiles {
		errs = append(errs, f.RemoveAll())
	}
	s.forgetAccounts()
	s.cfg.Clock.Reset()
	if !s.saveClock(w, r) || !s.filesRemoved(w, r, errors.Join(errs...)) {
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
	errs := []error{s.cfg.Files.RemoveAccount(ctx, account)}
	for _, f := range s.cfg.AccountFiles {
		errs = append(errs, f.RemoveAccount(account))
	}
	s.accounts.Delete(account)
	if !s.filesRemoved(w, r, errors.Join(errs...)) {
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
