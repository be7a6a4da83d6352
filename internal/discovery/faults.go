package discovery

import (
	"slices"
	"time"
)

// Faults are the faults injected through the control API, kept in the
// control state (Control.Faults) so that every process sharing the store
// (replicas on one PostgreSQL) sees the same faults and consumes the same
// counts. See docs/control-api.md.
type Faults struct {
	// FailExports makes the next exports that start building fail.
	FailExports *TaskFailure `json:"failExports,omitempty"`
	// FailImports makes the next imports that start running fail.
	FailImports *TaskFailure `json:"failImports,omitempty"`
	// HoldExports, when set, holds every export that starts building
	// IN_PROGRESS (see Held) until it is released.
	HoldExports *ExportHold `json:"holdExports,omitempty"`
	// Held are the exports held now.
	Held []HeldExport `json:"held,omitempty"`
	// Operations are the faults of API operations, in the order set.
	Operations []OperationFault `json:"operations,omitempty"`
	// NextID numbers the operation faults.
	NextID int64 `json:"nextId,omitempty"`
}

// TaskFailure makes the next Remaining tasks (of Account, or of every
// account if "") fail with Message.
type TaskFailure struct {
	Remaining int    `json:"remaining"`
	Message   string `json:"statusMessage"`
	Account   string `json:"accountId,omitempty"`
}

// ExportHold holds the exports (of Account, or of every account if "") that
// start building, each for MaxHold at most on the virtual clock.
type ExportHold struct {
	Account string        `json:"accountId,omitempty"`
	MaxHold time.Duration `json:"maxHoldNs"`
}

// HeldExport is an export held IN_PROGRESS until released or Until (virtual
// clock) passes. A released export keeps its entry, Released, until its
// build goes on (so that it is not held again if its build starts anew
// meanwhile, after a restart say).
type HeldExport struct {
	Account  string    `json:"accountId"`
	ID       string    `json:"exportId"`
	Since    time.Time `json:"since"`
	Until    time.Time `json:"until"`
	Released bool      `json:"released,omitempty"`
}

// OperationFault makes calls of an API operation (of Account, or of every
// account if "") wait Latency and then, if Error is set, answer that error
// with Message. It applies to the next Remaining calls if Remaining > 0,
// else to each call with Probability (1 when 0), until Expires (never when
// zero) on the virtual clock.
type OperationFault struct {
	ID          int64         `json:"id"`
	Operation   string        `json:"operation"`
	Account     string        `json:"accountId,omitempty"`
	Error       string        `json:"error,omitempty"`
	Message     string        `json:"message,omitempty"`
	Latency     time.Duration `json:"latencyNs,omitempty"`
	Probability float64       `json:"probability,omitempty"`
	Remaining   int           `json:"remaining,omitempty"`
	Counted     bool          `json:"counted,omitempty"`
	Expires     time.Time     `json:"expires,omitzero"`
}

// AddOperation adds an operation fault and returns it with its ID.
func (f *Faults) AddOperation(o OperationFault) OperationFault {
	f.NextID++
	o.ID = f.NextID
	f.Operations = append(f.Operations, o)
	return o
}

// RemoveOperation removes the operation fault id and reports whether there
// was one.
func (f *Faults) RemoveOperation(id int64) bool {
	n := len(f.Operations)
	f.Operations = slices.DeleteFunc(f.Operations, func(o OperationFault) bool { return o.ID == id })
	return len(f.Operations) < n
}

// Matches reports whether the fault applies to a call of operation by
// account at now (Remaining and Probability aside).
func (o *OperationFault) Matches(operation, account string, now time.Time) bool {
	return o.Operation == operation && (o.Account == "" || o.Account == account) && (o.Expires.IsZero() || now.Before(o.Expires))
}

// ConsumeOperation takes one call from the counted fault id and reports
// whether one was left; a fault whose count runs out goes.
func (f *Faults) ConsumeOperation(id int64) bool {
	for i := range f.Operations {
		o := &f.Operations[i]
		if o.ID != id || !o.Counted {
			continue
		}
		if o.Remaining <= 0 {
			return false
		}
		o.Remaining--
		if o.Remaining == 0 {
			f.Operations = slices.Delete(f.Operations, i, i+1)
		}
		return true
	}
	return false
}

// ExpireOperations removes the operation faults that expired at now.
func (f *Faults) ExpireOperations(now time.Time) {
	f.Operations = slices.DeleteFunc(f.Operations, func(o OperationFault) bool { return !o.Expires.IsZero() && !now.Before(o.Expires) })
}

// TakeFailure takes one task from *tf for account and returns its message;
// ok is false when tf does not apply. A failure whose count runs out goes.
func TakeFailure(tf **TaskFailure, account string) (message string, ok bool) {
	t := *tf
	if t == nil || t.Remaining <= 0 || t.Account != "" && t.Account != account {
		return "", false
	}
	t.Remaining--
	if t.Remaining == 0 {
		*tf = nil
	}
	return t.Message, true
}

// HeldIndex returns the index of the held export id of account, -1 if it is
// not held.
func (f *Faults) HeldIndex(account, id string) int {
	return slices.IndexFunc(f.Held, func(h HeldExport) bool { return h.Account == account && h.ID == id })
}

// Release releases the held export id ("" for all of them) and returns the
// exports released.
func (f *Faults) Release(id string) []HeldExport {
	var out []HeldExport
	for i := range f.Held {
		if h := &f.Held[i]; !h.Released && (id == "" || h.ID == id) {
			h.Released = true
			out = append(out, *h)
		}
	}
	return out
}

// Unhold removes the entry of the export id of account, once its build goes
// on.
func (f *Faults) Unhold(account, id string) {
	f.Held = slices.DeleteFunc(f.Held, func(h HeldExport) bool { return h.Account == account && h.ID == id })
}

// ForgetAccount drops the held exports and the faults limited to account
// (a reset of the account).
func (f *Faults) ForgetAccount(account string) {
	f.Held = slices.DeleteFunc(f.Held, func(h HeldExport) bool { return h.Account == account })
	f.Operations = slices.DeleteFunc(f.Operations, func(o OperationFault) bool { return o.Account == account })
	for _, tf := range []**TaskFailure{&f.FailExports, &f.FailImports} {
		if *tf != nil && (*tf).Account == account {
			*tf = nil
		}
	}
	if f.HoldExports != nil && f.HoldExports.Account == account {
		f.HoldExports = nil
	}
}
