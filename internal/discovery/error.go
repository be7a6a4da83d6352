// Package discovery holds the ADS domain: the records that use cases hand
// to stores and stores return (agents and their reports, configuration items,
// applications, tags, export, import, batch delete and continuous export
// tasks, the rows export files are written from), the typed queries stores
// answer, the rules that belong to the records themselves (configuration
// IDs, statuses, EC2 preference defaults), and the exceptions the service
// models. It imports no store, no use case and no transport code; of
// poseidon's packages it uses only agentdata, the agent report format.
package discovery

import (
	"errors"
	"fmt"
)

// ErrorCode is the name of an ADS exception as it appears in __type.
type ErrorCode string

// The ten exceptions of the ADS model (service-2.json).
const (
	AuthorizationError    ErrorCode = "AuthorizationErrorException"
	ConflictError         ErrorCode = "ConflictErrorException"
	HomeRegionNotSet      ErrorCode = "HomeRegionNotSetException"
	InvalidParameter      ErrorCode = "InvalidParameterException"
	InvalidParameterValue ErrorCode = "InvalidParameterValueException"
	LimitExceeded         ErrorCode = "LimitExceededException"
	OperationNotPermitted ErrorCode = "OperationNotPermittedException"
	ResourceInUse         ErrorCode = "ResourceInUseException"
	ResourceNotFound      ErrorCode = "ResourceNotFoundException"
	ServerInternalError   ErrorCode = "ServerInternalErrorException"
)

// Error is an ADS exception. Message is sent to the client; Err is the
// underlying cause, logged and never sent. Hint, if set, tells whoever runs
// poseidon what to do about the error (a flag, the control API): the HTTP
// edge logs it; it is never sent, so that messages AWS defines stay as AWS
// words them.
type Error struct {
	Code    ErrorCode
	Message string
	Err     error
	Hint    string
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with a formatted message.
func Errorf(code ErrorCode, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// WithHint sets e's Hint and returns e.
func (e *Error) WithHint(hint string) *Error {
	e.Hint = hint
	return e
}

// ErrNotFound is returned by stores when a record does not exist.
var ErrNotFound = errors.New("not found")
