// Package discovery holds the ADS domain: export tasks, their states and the
// exceptions the service models. It imports no transport or storage code.
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
// underlying cause, logged and never sent.
type Error struct {
	Code    ErrorCode
	Message string
	Err     error
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with a formatted message.
func Errorf(code ErrorCode, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrNotFound is returned by stores when a record does not exist.
var ErrNotFound = errors.New("not found")
