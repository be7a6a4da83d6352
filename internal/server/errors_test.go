package server

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/poseidon-ads/poseidon/internal/awsjson"
	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/sigv4"
	"github.com/poseidon-ads/poseidon/internal/validate"
)

func TestErrorParts(t *testing.T) {
	missing := &validate.Error{Violations: []validate.Violation{{Path: "exportId", Value: "null", Constraint: "Member must not be null", Missing: true}}}
	bad := &validate.Error{Violations: []validate.Violation{{Path: "maxResults", Value: "0", Constraint: "Member must have value greater than or equal to 1"}}}
	tests := []struct {
		name       string
		svc        service
		smithy     bool
		err        error
		wantCode   string
		wantStatus int
		wantMsg    string
	}{
		{"missing member", adsService, false, missing, "InvalidParameterException", 400, missing.Error()},
		{"bad value", adsService, false, bad, "InvalidParameterValueException", 400, bad.Error()},
		{"mgh validation", mghService, false, bad, "InvalidInputException", 400, bad.Error()},
		{"domain error", adsService, false, discovery.Errorf(discovery.ResourceNotFound, "nope"), "ResourceNotFoundException", 400, "nope"},
		{"wrapped domain error", adsService, false, fmt.Errorf("x: %w", discovery.Errorf(discovery.OperationNotPermitted, "limit")), "OperationNotPermittedException", 400, "limit"},
		{"not permitted, smithy codes", adsService, true, discovery.Errorf(discovery.OperationNotPermitted, "limit"), "OperationNotPermittedException", 429, "limit"},
		{"authorization, smithy codes", adsService, true, discovery.Errorf(discovery.AuthorizationError, "no"), "AuthorizationErrorException", 403, "no"},
		{"conflict, smithy codes", adsService, true, discovery.Errorf(discovery.ConflictError, "c"), "ConflictErrorException", 409, "c"},
		{"authorization, reference codes", adsService, false, discovery.Errorf(discovery.AuthorizationError, "no"), "AuthorizationErrorException", 400, "no"},
		{"server fault", adsService, false, discovery.Errorf(discovery.ServerInternalError, "boom"), "ServerInternalErrorException", 500, "boom"},
		{"protocol error", adsService, false, awsjson.Serialization("bad json"), "SerializationException", 400, "bad json"},
		{"unknown operation", adsService, false, awsjson.UnknownOperation("X.Y"), "UnknownOperationException", 400, `Unknown operation "X.Y".`},
		{"too large", adsService, false, awsjson.TooLarge(10), "RequestEntityTooLargeException", 413, "Request body is larger than the limit of 10 bytes."},
		{"missing token", adsService, false, sigv4.MissingToken(), "MissingAuthenticationTokenException", 403, "Request is missing Authentication Token"},
		{"unrecognized client", adsService, false, sigv4.UnrecognizedClient(), "UnrecognizedClientException", 400, "The security token included in the request is invalid."},
		{"not implemented", adsService, false, errNotImplemented{"DescribeAgents"}, "NotImplementedException", 400, "poseidon does not implement DescribeAgents yet."},
		{"unknown error hides detail", adsService, false, errors.New("disk on fire"), "ServerInternalErrorException", 500, "The server experienced an internal error. Try again."},
		{"unknown error, mgh", mghService, false, errors.New("disk on fire"), "InternalServerError", 500, "An internal error occurred."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &Server{cfg: Config{SmithyStatusCodes: tt.smithy}}
			code, msg, status := s.errorParts(tt.svc, tt.err)
			if code != tt.wantCode || status != tt.wantStatus || msg != tt.wantMsg {
				t.Fatalf("errorParts() = %q, %q, %d; want %q, %q, %d", code, msg, status, tt.wantCode, tt.wantMsg, tt.wantStatus)
			}
		})
	}
}

func TestWriteErrorEnvelope(t *testing.T) {
	s := New(Config{})
	rec := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	s.writeError(rec, r, adsService, discovery.Errorf(discovery.ResourceNotFound, `a "quoted" id`))
	if rec.Code != 400 {
		t.Fatalf("status = %d", rec.Code)
	}
	if got, want := rec.Body.String(), `{"__type":"ResourceNotFoundException","message":"a \"quoted\" id"}`; got != want {
		t.Fatalf("body = %s, want %s", got, want)
	}
	if rec.Header().Get("X-Amzn-ErrorType") != "ResourceNotFoundException" || rec.Header().Get("Content-Type") != awsjson.ContentType {
		t.Fatalf("headers = %v", rec.Header())
	}
	rec = httptest.NewRecorder()
	s.writeError(rec, r, mghService, &awsjson.Error{Code: "InvalidInputException", Message: "m", Status: 400})
	if got, want := rec.Body.String(), `{"Message":"m","__type":"InvalidInputException"}`; got != want {
		t.Fatalf("mgh body = %s, want %s", got, want)
	}
}
