// Package awsjson is the server side of the AWS JSON 1.1 protocol: request
// decoding, response and error encoding, and the protocol-level errors that
// are not part of any service model.
package awsjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"sync"
	"unicode/utf8"
)

// ContentType is the media type of every AWS JSON 1.1 request and response.
const ContentType = "application/x-amz-json-1.1"

// Error is a protocol error: not part of a service model, but understood by
// every AWS SDK through its __type.
type Error struct {
	Code    string
	Message string
	Status  int
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// UnknownOperation is the error for an X-Amz-Target that names no operation.
func UnknownOperation(target string) *Error {
	if target == "" {
		return &Error{"UnknownOperationException", "Missing X-Amz-Target header: no operation was named.", http.StatusBadRequest}
	}
	return &Error{"UnknownOperationException", fmt.Sprintf("Unknown operation %q.", target), http.StatusBadRequest}
}

// Serialization is the error for a body that is not JSON, or whose member has
// the wrong JSON type.
func Serialization(msg string) *Error {
	return &Error{"SerializationException", msg, http.StatusBadRequest}
}

// RequestTimeout is the error for a body that did not arrive within the
// server's read timeout. AWS SDKs treat it as transient and retry.
func RequestTimeout() *Error {
	return &Error{"RequestTimeoutException", "The request body was not received within the server's read timeout.", http.StatusRequestTimeout}
}

// TooLarge is the error for a body over the size limit.
func TooLarge(limit int64) *Error {
	return &Error{"RequestEntityTooLargeException", fmt.Sprintf("Request body is larger than the limit of %d bytes.", limit), http.StatusRequestEntityTooLarge}
}

// Decode unmarshals a request body into in. An empty body means {}. Member
// names match exactly, as on AWS: unknown members, and names that differ from
// a member's only in case, are ignored. Wrong types and malformed JSON are
// SerializationException; a number out of its member's range, and a string
// holding a NUL character (nul.go), are a *validate.Error.
func Decode(body []byte, in any) error {
	return decode(body, in, true)
}

// DecodeLenient is Decode with encoding/json's case-insensitive member
// names. It is for poseidon's own intake batches (megabytes, not an AWS
// wire format), where the exact-name pass would cost several decodes.
func DecodeLenient(body []byte, in any) error {
	return decode(body, in, false)
}

func decode(body []byte, in any, exact bool) error {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil
	}
	if body[0] != '{' {
		return Serialization("The request body must be a JSON object.")
	}
	if !utf8.Valid(body) {
		// encoding/json would read invalid bytes as U+FFFD; JSON is UTF-8.
		return Serialization("The request body is not valid UTF-8.")
	}
	if exact {
		if filtered, changed := exactMembers(body, reflect.TypeOf(in)); changed {
			body = filtered
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(in); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			if rerr := outOfRange(te, in); rerr != nil {
				return rerr
			}
			field := te.Field
			if field == "" {
				field = "(root)"
			}
			return Serialization(fmt.Sprintf("Wrong JSON type for member '%s': got %s.", field, te.Value))
		}
		return Serialization("The request body is not valid JSON: " + err.Error())
	}
	if len(bytes.TrimSpace(body[dec.InputOffset():])) > 0 {
		return Serialization("The request body holds trailing data after the JSON object.")
	}
	return nulMember(body)
}

// bodies are the buffers responses are encoded into, for reuse.
var bodies = sync.Pool{New: func() any { return new(body) }}

type body struct{ b []byte }

// maxPooledBody is the largest buffer kept for reuse.
const maxPooledBody = 1 << 20

// Write sends a 200 response with out as its JSON body (the bytes
// json.Marshal makes), with its Content-Length: encoded into a reused
// buffer and written at once, not in chunks. An Appender (every generated
// shape) encodes itself; anything else goes through encoding/json.
func Write(w http.ResponseWriter, out any) error {
	buf := bodies.Get().(*body)
	defer func() {
		if cap(buf.b) <= maxPooledBody {
			bodies.Put(buf)
		}
	}()
	b, err := appendJSON(buf.b[:0], out)
	buf.b = b
	if err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	h := w.Header()
	h.Set("Content-Type", ContentType)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(b)
	return err
}

// appendJSON appends the bytes json.Marshal makes for out to b.
func appendJSON(b []byte, out any) ([]byte, error) {
	if a, ok := out.(Appender); ok {
		return a.AppendJSON(b)
	}
	w := bytes.NewBuffer(b)
	if err := json.NewEncoder(w).Encode(out); err != nil {
		return b, err
	}
	return bytes.TrimSuffix(w.Bytes(), []byte("\n")), nil // Encode's, which Marshal does not write
}

// WriteError sends an error response: {"__type": code, "message": msg}, with
// X-Amzn-ErrorType equal to __type. messageKey is "message" for ADS (its
// models name the member that way) and "Message" for Migration Hub Config.
func WriteError(w http.ResponseWriter, status int, code, messageKey, msg string) {
	b, _ := json.Marshal(map[string]string{"__type": code, messageKey: msg})
	h := w.Header()
	h.Set("Content-Type", ContentType)
	h.Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	w.Write(b)
}
