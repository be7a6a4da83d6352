package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/poseidon-ads/poseidon/internal/adsapi"
	"github.com/poseidon-ads/poseidon/internal/awsjson"
	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/faults"
)

// Faults applies the injected faults to API calls (faults.Injector).
type Faults interface {
	// Follow gives it the control state this server applied.
	Follow(c discovery.Control)
	// Operation returns what a call of an ADS operation by account
	// suffers (nothing, a delay, an error).
	Operation(ctx context.Context, operation, account string) (faults.Call, error)
}

// commonFaultErrors are the errors every operation may be made to answer,
// modeled or not: the throttling error SDKs retry, and the internal error.
var commonFaultErrors = []string{"ThrottlingException", string(discovery.ServerInternalError)}

// Bounds of the fault settings.
const (
	maxFaultCount      = 1_000_000
	maxFaultLatency    = 5 * time.Minute
	maxFaultMessage    = 1024
	defaultMaxHold     = time.Hour
	maxFaultSeconds    = 1e8
	faultBodyLimit     = 8192
	defaultFaultReason = "Injected by the poseidon control API."
)

func (s *Server) routeFaults() {
	s.handle("GET /_poseidon/faults", s.control(s.listFaults))
	s.handle("DELETE /_poseidon/faults", s.control(s.clearFaults))
	s.handle("POST /_poseidon/faults/exports/fail", s.control(s.failTasks(true)))
	s.handle("POST /_poseidon/faults/imports/fail", s.control(s.failTasks(false)))
	s.handle("POST /_poseidon/faults/exports/hold", s.control(s.holdExports))
	s.handle("DELETE /_poseidon/faults/exports/hold", s.control(s.stopHolding))
	s.handle("POST /_poseidon/faults/exports/release", s.control(s.releaseExports))
	s.handle("POST /_poseidon/faults/operations", s.control(s.addOperationFault))
	s.handle("DELETE /_poseidon/faults/operations/{id}", s.control(s.removeOperationFault))
}

// badControl answers 400 InvalidRequestException.
func badControl(w http.ResponseWriter, format string, args ...any) {
	writeJSON(w, http.StatusBadRequest, map[string]string{"__type": "InvalidRequestException", "message": fmt.Sprintf(format, args...)})
}

// decodeControl decodes a bounded JSON body into v (a pointer to a struct
// whose members all have json tags), refusing unknown members, members
// named in another case than documented (encoding/json would match them)
// and trailing data; an empty body leaves v as it is. On failure it
// answers 400 and returns false.
func decodeControl(w http.ResponseWriter, r *http.Request, v any) bool {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, faultBodyLimit))
	if err == nil && len(bytes.TrimSpace(body)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		err = dec.Decode(v)
		if err == nil && len(bytes.TrimSpace(body[dec.InputOffset():])) > 0 {
			err = errors.New("trailing data after the JSON object")
		}
		if err == nil {
			err = exactControlMembers(body, v)
		}
	}
	if err != nil {
		badControl(w, "The body must be a JSON object with the members documented in docs/control-api.md: %v", err)
		return false
	}
	return true
}

// exactControlMembers checks that each member of the JSON object body is
// named exactly as a json tag of the struct v points to.
func exactControlMembers(body []byte, v any) error {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(body, &members); err != nil {
		return err
	}
	t := reflect.TypeOf(v).Elem()
	for name := range members {
		found := false
		for i := range t.NumField() {
			if tag, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); tag == name {
				found = true
				break
			}
		}
		if !found {
			return fmt.Errorf("unknown member %q (member names are case-sensitive)", name)
		}
	}
	return nil
}

// checkAccount validates an optional accountId member.
func checkAccount(w http.ResponseWriter, a string) bool {
	if a != "" && !twelveDigits.MatchString(a) {
		badControl(w, "accountId must be 12 digits.")
		return false
	}
	return true
}

// changeFaults changes the faults in the store, applies the change here,
// and answers the faults with status.
func (s *Server) changeFaults(w http.ResponseWriter, r *http.Request, status int, fn func(*discovery.Faults)) {
	c, ok := s.changeControl(w, r, func(c *discovery.Control) { fn(&c.Faults) })
	if !ok {
		return
	}
	s.follow(r.Context(), c)
	writeJSON(w, status, faultsView(c.Faults))
}

// listFaults answers GET /_poseidon/faults: the faults set and the exports
// held, read from the store (so every replica answers the same).
func (s *Server) listFaults(w http.ResponseWriter, r *http.Request) {
	c, err := s.cfg.Store.Control(r.Context())
	if err != nil {
		s.log.ErrorContext(r.Context(), "read the control state", "err", err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"__type": "InternalError", "message": "The faults could not be read; try again."})
		return
	}
	// Faults past their forSeconds no longer apply: they are not listed.
	c.Faults.ExpireOperations(s.cfg.Clock.Now())
	writeJSON(w, http.StatusOK, faultsView(c.Faults))
}

// clearFaults answers DELETE /_poseidon/faults: every fault goes and every
// held export is released.
func (s *Server) clearFaults(w http.ResponseWriter, r *http.Request) {
	s.changeFaults(w, r, http.StatusOK, func(f *discovery.Faults) { *f = discovery.Faults{NextID: f.NextID} })
}

// failTasks answers POST /_poseidon/faults/{exports,imports}/fail:
// {"count": N, "statusMessage": "...", "accountId": "..."} makes the next N
// exports (imports) that start fail with that message.
func (s *Server) failTasks(exports bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		in := struct {
			Count         *int   `json:"count"`
			StatusMessage string `json:"statusMessage"`
			AccountID     string `json:"accountId"`
		}{}
		if !decodeControl(w, r, &in) || !checkAccount(w, in.AccountID) {
			return
		}
		n := 1
		if in.Count != nil {
			n = *in.Count
		}
		switch {
		case n < 1 || n > maxFaultCount:
			badControl(w, "count must be between 1 and %d.", maxFaultCount)
			return
		case in.StatusMessage == "" || len(in.StatusMessage) > maxFaultMessage:
			badControl(w, "statusMessage must be 1 to %d bytes.", maxFaultMessage)
			return
		}
		tf := &discovery.TaskFailure{Remaining: n, Message: in.StatusMessage, Account: in.AccountID}
		s.changeFaults(w, r, http.StatusOK, func(f *discovery.Faults) {
			if exports {
				f.FailExports = tf
			} else {
				f.FailImports = tf
			}
		})
	}
}

// holdExports answers POST /_poseidon/faults/exports/hold: from now on every
// export that starts building (of accountId, if given) is held IN_PROGRESS
// until released, or for maxSeconds on the virtual clock (default an hour).
func (s *Server) holdExports(w http.ResponseWriter, r *http.Request) {
	in := struct {
		AccountID  string   `json:"accountId"`
		MaxSeconds *float64 `json:"maxSeconds"`
	}{}
	if !decodeControl(w, r, &in) || !checkAccount(w, in.AccountID) {
		return
	}
	hold := defaultMaxHold
	if in.MaxSeconds != nil {
		v := *in.MaxSeconds
		if math.IsNaN(v) || v <= 0 || v > maxFaultSeconds {
			badControl(w, "maxSeconds must be above 0 and at most %g.", maxFaultSeconds)
			return
		}
		hold = time.Duration(v * float64(time.Second))
	}
	s.changeFaults(w, r, http.StatusOK, func(f *discovery.Faults) {
		f.HoldExports = &discovery.ExportHold{Account: in.AccountID, MaxHold: hold}
	})
}

// stopHolding answers DELETE /_poseidon/faults/exports/hold: new exports
// are no longer held; those held stay held until released.
func (s *Server) stopHolding(w http.ResponseWriter, r *http.Request) {
	s.changeFaults(w, r, http.StatusOK, func(f *discovery.Faults) { f.HoldExports = nil })
}

// releaseExports answers POST /_poseidon/faults/exports/release:
// {"exportId": "..."} releases one held export, an empty body all of them.
// A held export then builds and completes as any other.
func (s *Server) releaseExports(w http.ResponseWriter, r *http.Request) {
	in := struct {
		ExportID string `json:"exportId"`
	}{}
	if !decodeControl(w, r, &in) {
		return
	}
	var released []discovery.HeldExport
	c, ok := s.changeControl(w, r, func(c *discovery.Control) { released = c.Faults.Release(in.ExportID) })
	if !ok {
		return
	}
	s.follow(r.Context(), c)
	if in.ExportID != "" && len(released) == 0 {
		writeJSON(w, http.StatusNotFound, map[string]string{"__type": "NotFoundException",
			"message": "Export " + in.ExportID + " is not held (it may not have started building yet: see GET /_poseidon/faults)."})
		return
	}
	out := []heldView{}
	for _, h := range released {
		out = append(out, heldOf(h))
	}
	writeJSON(w, http.StatusOK, map[string]any{"released": out})
}

// addOperationFault answers POST /_poseidon/faults/operations (see
// docs/control-api.md) with the fault set, and its id.
func (s *Server) addOperationFault(w http.ResponseWriter, r *http.Request) {
	in := struct {
		Operation   string   `json:"operation"`
		Error       string   `json:"error"`
		Message     string   `json:"message"`
		Probability *float64 `json:"probability"`
		Count       *int     `json:"count"`
		LatencyMs   *int64   `json:"latencyMs"`
		AccountID   string   `json:"accountId"`
		ForSeconds  *float64 `json:"forSeconds"`
	}{}
	if !decodeControl(w, r, &in) || !checkAccount(w, in.AccountID) {
		return
	}
	op, ok := adsapi.Operations[in.Operation]
	if !ok {
		badControl(w, "operation %q is not an operation of Application Discovery Service (e.g. DescribeExportTasks).", in.Operation)
		return
	}
	o := discovery.OperationFault{Operation: op.Name, Account: in.AccountID, Error: in.Error, Message: in.Message}
	if in.Error != "" && !slices.Contains(op.Errors, in.Error) && !slices.Contains(commonFaultErrors, in.Error) {
		badControl(w, "error %q is not an error of %s: use one the service model declares for it (%v) or one of %v.",
			in.Error, op.Name, op.Errors, commonFaultErrors)
		return
	}
	if in.LatencyMs != nil {
		// Compared in milliseconds: a huge value would overflow a
		// time.Duration (and wrap to 0 or below) once converted.
		if *in.LatencyMs < 0 || *in.LatencyMs > maxFaultLatency.Milliseconds() {
			badControl(w, "latencyMs must be between 0 and %d.", maxFaultLatency.Milliseconds())
			return
		}
		o.Latency = time.Duration(*in.LatencyMs) * time.Millisecond
	}
	if o.Error == "" && o.Latency == 0 {
		badControl(w, "Give an error, a latencyMs, or both.")
		return
	}
	if len(o.Message) > maxFaultMessage {
		badControl(w, "message must be at most %d bytes.", maxFaultMessage)
		return
	}
	if o.Error != "" && o.Message == "" {
		o.Message = defaultFaultReason
		if o.Error == "ThrottlingException" {
			o.Message = "Rate exceeded"
		}
	}
	switch {
	case in.Count != nil && in.Probability != nil:
		badControl(w, "Give count or probability, not both.")
		return
	case in.Count != nil:
		if *in.Count < 1 || *in.Count > maxFaultCount {
			badControl(w, "count must be between 1 and %d.", maxFaultCount)
			return
		}
		o.Remaining, o.Counted = *in.Count, true
	case in.Probability != nil:
		p := *in.Probability
		if math.IsNaN(p) || p <= 0 || p > 1 {
			badControl(w, "probability must be above 0 and at most 1.")
			return
		}
		o.Probability = p
	}
	if in.ForSeconds != nil {
		v := *in.ForSeconds
		if math.IsNaN(v) || v <= 0 || v > maxFaultSeconds {
			badControl(w, "forSeconds must be above 0 and at most %g.", maxFaultSeconds)
			return
		}
		o.Expires = s.cfg.Clock.Now().Add(time.Duration(v * float64(time.Second)))
	}
	var added discovery.OperationFault
	c, ok := s.changeControl(w, r, func(c *discovery.Control) {
		c.Faults.ExpireOperations(s.cfg.Clock.Now())
		added = c.Faults.AddOperation(o)
	})
	if !ok {
		return
	}
	s.follow(r.Context(), c)
	writeJSON(w, http.StatusOK, operationView(added))
}

// removeOperationFault answers DELETE /_poseidon/faults/operations/{id}.
func (s *Server) removeOperationFault(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		badControl(w, "The fault id must be a number (see GET /_poseidon/faults).")
		return
	}
	removed := false
	c, ok := s.changeControl(w, r, func(c *discovery.Control) { removed = c.Faults.RemoveOperation(id) })
	if !ok {
		return
	}
	s.follow(r.Context(), c)
	if !removed {
		writeJSON(w, http.StatusNotFound, map[string]string{"__type": "NotFoundException", "message": "No operation fault " + r.PathValue("id") + "."})
		return
	}
	writeJSON(w, http.StatusOK, faultsView(c.Faults))
}

// The JSON views of the faults, in the units the control API takes.
type (
	faultsJSON struct {
		FailExports *discovery.TaskFailure `json:"failExports"`
		FailImports *discovery.TaskFailure `json:"failImports"`
		HoldExports *holdJSON              `json:"holdExports"`
		Held        []heldView             `json:"held"`
		Operations  []operationJSON        `json:"operations"`
	}
	holdJSON struct {
		AccountID  string  `json:"accountId,omitempty"`
		MaxSeconds float64 `json:"maxSeconds"`
	}
	heldView struct {
		AccountID         string  `json:"accountId"`
		ExportID          string  `json:"exportId"`
		SinceEpochSeconds float64 `json:"sinceEpochSeconds"`
		UntilEpochSeconds float64 `json:"untilEpochSeconds"`
	}
	operationJSON struct {
		ID                  int64    `json:"id"`
		Operation           string   `json:"operation"`
		AccountID           string   `json:"accountId,omitempty"`
		Error               string   `json:"error,omitempty"`
		Message             string   `json:"message,omitempty"`
		LatencyMs           int64    `json:"latencyMs,omitempty"`
		Probability         *float64 `json:"probability,omitempty"`
		Remaining           *int     `json:"remaining,omitempty"`
		ExpiresEpochSeconds *float64 `json:"expiresEpochSeconds,omitempty"`
	}
)

func epochSeconds(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

func heldOf(h discovery.HeldExport) heldView {
	return heldView{h.Account, h.ID, epochSeconds(h.Since), epochSeconds(h.Until)}
}

func operationView(o discovery.OperationFault) operationJSON {
	v := operationJSON{ID: o.ID, Operation: o.Operation, AccountID: o.Account, Error: o.Error, Message: o.Message, LatencyMs: o.Latency.Milliseconds()}
	if o.Counted {
		v.Remaining = &o.Remaining
	} else {
		p := o.Probability
		if p == 0 {
			p = 1
		}
		v.Probability = &p
	}
	if !o.Expires.IsZero() {
		e := epochSeconds(o.Expires)
		v.ExpiresEpochSeconds = &e
	}
	return v
}

func faultsView(f discovery.Faults) faultsJSON {
	v := faultsJSON{FailExports: f.FailExports, FailImports: f.FailImports, Held: []heldView{}, Operations: []operationJSON{}}
	if h := f.HoldExports; h != nil {
		v.HoldExports = &holdJSON{AccountID: h.Account, MaxSeconds: h.MaxHold.Seconds()}
	}
	for _, h := range f.Held {
		if !h.Released {
			v.Held = append(v.Held, heldOf(h))
		}
	}
	for _, o := range f.Operations {
		v.Operations = append(v.Operations, operationView(o))
	}
	return v
}

// errClientGone ends a call whose client hung up during an injected
// latency: the call does nothing (as a request lost on the way), and is
// counted with status 499, which no client receives.
var errClientGone = &awsjson.Error{Code: "ClientClosedRequest", Status: 499,
	Message: "The client hung up during the latency injected by the control API; the call did nothing."}

// injectFault applies the injected faults to a call of an ADS operation by
// account: it waits the fault's latency (or until the client hangs up:
// errClientGone), and returns its error.
func (s *Server) injectFault(ctx context.Context, operation, account string) error {
	if s.cfg.Faults == nil {
		return nil
	}
	call, err := s.cfg.Faults.Operation(ctx, operation, account)
	if err != nil {
		return err
	}
	if call.Delay > 0 {
		t := time.NewTimer(call.Delay)
		select {
		case <-t.C:
		case <-clientDone(ctx):
			t.Stop()
			return errClientGone
		}
	}
	if call.Error != "" {
		return &discovery.Error{Code: discovery.ErrorCode(call.Error), Message: call.Message}
	}
	return nil
}
