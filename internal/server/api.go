package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/poseidon-ads/poseidon/internal/adsapi"
	"github.com/poseidon-ads/poseidon/internal/auth"
	"github.com/poseidon-ads/poseidon/internal/awsjson"
	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/mghapi"
	"github.com/poseidon-ads/poseidon/internal/sigv4"
	"github.com/poseidon-ads/poseidon/internal/validate"
)

// service tells the two APIs served on POST / apart: they differ in signing
// name, IAM prefix, error shapes and the case of the message member.
type service struct {
	prefix     string // X-Amz-Target prefix
	signing    string // SigV4 signing name
	iam        string // IAM action prefix
	messageKey string
}

var (
	adsService = service{adsapi.TargetPrefix, adsapi.SigningName, "discovery", "message"}
	mghService = service{mghapi.TargetPrefix, mghapi.SigningName, "mgh", "Message"}
)

// A handler serves one operation with its decoded, validated input.
type handler func(ctx context.Context, id auth.Identity, in any) (any, error)

// op adapts a typed operation function to a handler.
func op[In, Out any](fn func(context.Context, auth.Identity, *In) (*Out, error)) handler {
	return func(ctx context.Context, id auth.Identity, in any) (any, error) {
		return fn(ctx, id, in.(*In))
	}
}

// errNotImplemented is answered by operations a later issue builds.
type errNotImplemented struct{ op string }

func (e errNotImplemented) Error() string {
	return fmt.Sprintf("poseidon does not implement %s yet.", e.op)
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	r = runToEnd(r)
	ctx := r.Context()
	start := time.Now()
	target := r.Header.Get("X-Amz-Target")
	svc := adsService
	prefix, name, _ := strings.Cut(target, ".")
	var account, code string
	status, err := s.api(w, r, target, prefix, name, &svc, &account)
	if err != nil {
		status, code = s.writeErrorCode(w, r, svc, err)
	}
	took := time.Since(start)
	operation := operationName(prefix, name)
	s.metrics.request(operation, status, code, took)
	if s.log.Enabled(ctx, slog.LevelInfo) {
		s.log.LogAttrs(ctx, slog.LevelInfo, "request", slog.String("requestId", requestID(ctx)), slog.String("operation", operation),
			slog.String("target", target), slog.Int("status", status), slog.String("code", code), slog.String("account", account),
			slog.Duration("latency", took))
	}
}

// runToEnd returns r with a context that its client's hanging up does not
// cancel: a request, once sent whole, runs to its end as on AWS, whether or
// not anyone reads the answer. A write is never abandoned half-way, and in a
// store that commits writes together (SQLite's group commit) one client's
// disconnect cannot interrupt a statement and take the writes of others in
// the same transaction down with it. Reading the body is bounded by the
// connection's own timeouts, not by the context. The client's own context
// stays reachable (clientDone) for waits that do no work.
func runToEnd(r *http.Request) *http.Request {
	ctx := r.Context()
	return r.WithContext(context.WithValue(context.WithoutCancel(ctx), clientCtxKey{}, ctx))
}

type clientCtxKey struct{}

// clientDone is closed when the client of the request of ctx hangs up (or
// its server closes the connection), even under runToEnd.
func clientDone(ctx context.Context) <-chan struct{} {
	if c, ok := ctx.Value(clientCtxKey{}).(context.Context); ok {
		return c.Done()
	}
	return ctx.Done()
}

// api serves one API call; it sets *account once the caller is known.
func (s *Server) api(w http.ResponseWriter, r *http.Request, target, prefix, name string, svc *service, account *string) (int, error) {
	ctx := r.Context()
	var (
		newInput func() any
		h        handler
		errs     []string
	)
	switch prefix {
	case adsapi.TargetPrefix:
		o, ok := adsapi.Operations[name]
		if !ok {
			return 0, awsjson.UnknownOperation(target)
		}
		newInput, errs, h = func() any { return o.NewInput() }, o.Errors, s.ads[name]
		if h == nil {
			h = func(context.Context, auth.Identity, any) (any, error) { return nil, errNotImplemented{name} }
		}
	case mghapi.TargetPrefix:
		*svc = mghService
		o, ok := mghapi.Operations[name]
		if !ok {
			return 0, awsjson.UnknownOperation(target)
		}
		newInput, h = func() any { return o.NewInput() }, s.mgh[name]
	default:
		return 0, awsjson.UnknownOperation(target)
	}

	if err := checkContentType(r.Header.Get("Content-Type")); err != nil {
		return 0, err
	}
	homeRegion := svc.prefix == adsapi.TargetPrefix && contains(errs, string(discovery.HomeRegionNotSet))
	body, id, err := s.admit(w, r, *svc, svc.iam+":"+name, s.cfg.MaxBodyBytes, homeRegion)
	*account = id.AccountID
	if err != nil {
		return 0, err
	}
	if svc.prefix == adsapi.TargetPrefix {
		if err := s.injectFault(ctx, name, id.AccountID); err != nil {
			return 0, err
		}
	}
	in := newInput()
	if err := awsjson.Decode(body, in); err != nil {
		return 0, err
	}
	if v, ok := in.(interface{ Validate() error }); ok {
		if err := v.Validate(); err != nil {
			// A missing member is InvalidParameterException, except for the
			// one operation whose model does not list it
			// (DescribeBatchDeleteConfigurationTask).
			var ve *validate.Error
			if svc.prefix == adsapi.TargetPrefix && errors.As(err, &ve) && ve.Missing() && !contains(errs, string(discovery.InvalidParameter)) {
				return 0, &discovery.Error{Code: discovery.InvalidParameterValue, Message: ve.Error()}
			}
			return 0, err
		}
	}
	out, err := h(ctx, id, in)
	if err != nil {
		return 0, err
	}
	if err := awsjson.Write(w, out); err != nil {
		s.log.ErrorContext(ctx, "write response", "err", err)
	}
	return http.StatusOK, nil
}

// admit reads a request's bounded body and applies the identity rules that
// the API and agent intake share: authentication (SigV4 in strict mode), the
// allow list for action, the account record, and, if homeRegion, the home
// region check.
//
// The body is bounded by limit twice: as sent, and after its
// Content-Encoding is undone. With "Expect: 100-continue", a declared
// Content-Length over limit or an unknown Content-Encoding is refused before
// any byte is read, so the client never sends the body. SigV4 signs the body
// as sent, so authentication sees it before decoding. Once the caller is
// authenticated, its identity is returned with any error (for the access
// log).
func (s *Server) admit(w http.ResponseWriter, r *http.Request, svc service, action string, limit int64, homeRegion bool) ([]byte, auth.Identity, error) {
	ctx := r.Context()
	gzipped, codingErr := contentCodings(r.Header)
	if codingErr != nil {
		w.Header().Set("Accept-Encoding", "gzip, identity")
	}
	if strings.Contains(strings.ToLower(r.Header.Get("Expect")), "100-continue") {
		// The client waits for 100 Continue (sent when the body is first
		// read): refuse before asking for a body that would be refused.
		if codingErr != nil {
			return nil, auth.Identity{}, codingErr
		}
		if r.ContentLength > limit {
			return nil, auth.Identity{}, awsjson.TooLarge(limit)
		}
	}
	// Otherwise the body is on its way: read it (bounded) before answering,
	// so that a client still sending it is not reset.
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, auth.Identity{}, awsjson.TooLarge(limit)
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return nil, auth.Identity{}, awsjson.RequestTimeout()
		}
		return nil, auth.Identity{}, awsjson.Serialization("The request body could not be read.")
	}
	if codingErr != nil {
		return nil, auth.Identity{}, codingErr
	}
	id, err := s.cfg.Auth.Authenticate(ctx, r, body, svc.signing)
	if err != nil {
		return nil, auth.Identity{}, err
	}
	for range gzipped {
		if body, err = gunzip(body, limit); err != nil {
			return nil, id, err
		}
	}
	if !id.Allowed(action) {
		return nil, id, forbidden(svc, id, action)
	}
	known, err := s.ensureAccount(ctx, id.AccountID)
	if err != nil {
		return nil, id, err
	}
	if homeRegion {
		if err := s.checkHomeRegion(ctx, id, known); err != nil {
			return nil, id, err
		}
	}
	return body, id, nil
}

// checkContentType accepts the media types JSON clients send: AWS JSON 1.1
// (every AWS SDK and the CLI), AWS JSON 1.0 and application/json, with any
// parameters, and a missing Content-Type. A charset other than UTF-8 is a
// SerializationException (JSON is UTF-8); any other media type is answered
// as AWS does for a request it cannot route to the JSON protocol:
// UnknownOperationException.
func checkContentType(v string) error {
	if strings.TrimSpace(v) == "" {
		return nil
	}
	mt, params, err := mime.ParseMediaType(v)
	switch {
	case err != nil:
	case mt == "application/x-amz-json-1.1", mt == "application/x-amz-json-1.0", mt == "application/json":
		if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "utf8") {
			return awsjson.Serialization(fmt.Sprintf("Unsupported charset %q: the request body must be UTF-8 JSON.", cs))
		}
		return nil
	}
	return &awsjson.Error{Code: "UnknownOperationException", Status: http.StatusBadRequest,
		Message: fmt.Sprintf("Unsupported Content-Type %q: the API takes application/x-amz-json-1.1 (or application/x-amz-json-1.0, application/json).", v)}
}

// maxGzipLayers bounds the gzip codings of one body (each one is
// decompressed in full, up to the body limit).
const maxGzipLayers = 3

// contentCodings returns how many times the body was gzipped, from the
// Content-Encoding header(s): gzip (or x-gzip) and identity are understood;
// any other coding, or more than maxGzipLayers gzip codings, is refused with
// 415.
func contentCodings(h http.Header) (int, error) {
	n := 0
	for _, v := range h.Values("Content-Encoding") {
		for _, c := range strings.Split(v, ",") {
			switch c = strings.ToLower(strings.TrimSpace(c)); c {
			case "", "identity":
			case "gzip", "x-gzip":
				n++
			default:
				return 0, &awsjson.Error{Code: "SerializationException", Status: http.StatusUnsupportedMediaType,
					Message: fmt.Sprintf("Unsupported Content-Encoding %q: send gzip or identity.", c)}
			}
		}
	}
	if n > maxGzipLayers {
		return 0, &awsjson.Error{Code: "SerializationException", Status: http.StatusUnsupportedMediaType,
			Message: fmt.Sprintf("Content-Encoding applies gzip %d times; at most %d are accepted.", n, maxGzipLayers)}
	}
	return n, nil
}

// gunzip undoes one gzip coding of body, bounded by limit bytes of output.
func gunzip(body []byte, limit int64) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return nil, awsjson.Serialization("The request body is not valid gzip data: " + err.Error())
	}
	out, err := io.ReadAll(io.LimitReader(zr, limit+1))
	if err != nil {
		return nil, awsjson.Serialization("The request body is not valid gzip data: " + err.Error())
	}
	if int64(len(out)) > limit {
		return nil, awsjson.TooLarge(limit)
	}
	return out, nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// forbidden is the authorization error of svc for a refused action.
func forbidden(svc service, id auth.Identity, action string) error {
	msg := fmt.Sprintf("User: arn:aws:iam::%s:user/%s is not authorized to perform: %s", id.AccountID, id.AccessKeyID, action)
	if svc.prefix == mghapi.TargetPrefix {
		return &awsjson.Error{Code: "AccessDeniedException", Message: msg, Status: http.StatusForbidden}
	}
	return &discovery.Error{Code: discovery.AuthorizationError, Message: msg}
}

// ensureAccount records a new account, with the default home region
// control. It reports whether it did not ask the store, the account being
// known to this server.
func (s *Server) ensureAccount(ctx context.Context, account string) (known bool, err error) {
	if _, ok := s.accounts.Load(account); ok {
		return true, nil
	}
	now := s.cfg.Clock.Now()
	var def *discovery.HomeRegionControl
	if s.cfg.HomeRegion != "" {
		def = &discovery.HomeRegionControl{ID: newControlID(), AccountID: account, HomeRegion: s.cfg.HomeRegion, RequestedTime: now}
	}
	if err := s.cfg.Store.EnsureAccount(ctx, account, now, def); err != nil {
		return false, fmt.Errorf("ensure account: %w", err)
	}
	s.accounts.Store(account, struct{}{})
	return false, nil
}

// forgetAccounts drops the cache of known accounts (after a reset).
func (s *Server) forgetAccounts() { s.accounts.Clear() }

// homeRegion is a home region read from the store, in generation gen of
// Server.homeGen.
type homeRegion struct {
	region string
	gen    int64
}

// cachedHomeRegion returns the account's home region if the server keeps
// it (Config.CacheHomeRegions) and has read it since the last change.
func (s *Server) cachedHomeRegion(account string) (string, bool) {
	if !s.cfg.CacheHomeRegions {
		return "", false
	}
	v, ok := s.homeRegions.Load(account)
	if !ok {
		return "", false
	}
	h := v.(homeRegion)
	return h.region, h.gen == s.homeGen.Load()
}

// forgetHomeRegions drops every cached home region: a home region control
// was created or deleted, or accounts were reset. A read that began before
// keeps its older generation and is not used.
func (s *Server) forgetHomeRegions() { s.homeGen.Add(1) }

// checkHomeRegion refuses ADS calls from an account without a home region, or
// signed for a region other than its home region. known is whether the
// account was known to this server before the request (see ensureAccount).
// With Config.CacheHomeRegions a home region once read is kept until this
// server changes a control or resets (only accounts that have one: an
// account without is read again, its calls failing anyway).
func (s *Server) checkHomeRegion(ctx context.Context, id auth.Identity, known bool) error {
	if region, ok := s.cachedHomeRegion(id.AccountID); ok && known {
		return checkRegion(region, id)
	}
	gen := s.homeGen.Load()
	c, err := s.cfg.Store.HomeRegionControl(ctx, id.AccountID)
	if errors.Is(err, discovery.ErrNotFound) && known {
		// A reset made on another replica may have removed the account
		// since this server recorded it, and this server may not have
		// followed it yet (see Follow): record it again (a no-op if it
		// exists, and then it has no control indeed).
		s.accounts.Delete(id.AccountID)
		if _, err := s.ensureAccount(ctx, id.AccountID); err != nil {
			return err
		}
		c, err = s.cfg.Store.HomeRegionControl(ctx, id.AccountID)
	}
	if errors.Is(err, discovery.ErrNotFound) {
		return discovery.Errorf(discovery.HomeRegionNotSet, "The home region is not set. Set the home region to continue.").
			WithHint("account " + id.AccountID + " has no home region: start poseidon with --home-region REGION (not none) for new accounts, or set it with Migration Hub Config's CreateHomeRegionControl (aws migrationhub-config create-home-region-control)")
	}
	if err != nil {
		return fmt.Errorf("home region: %w", err)
	}
	if s.cfg.CacheHomeRegions {
		s.homeRegions.Store(id.AccountID, homeRegion{c.HomeRegion, gen})
	}
	return checkRegion(c.HomeRegion, id)
}

// checkRegion refuses a call signed for a region other than the home region.
func checkRegion(home string, id auth.Identity) error {
	if home != id.Region {
		return discovery.Errorf(discovery.HomeRegionNotSet,
			"The home region of this account is %s, but the request was sent to %s. Send requests to the home region (--region %s, or AWS_DEFAULT_REGION=%s for the AWS CLI and boto3, AWS_REGION=%s for the other SDKs), or start poseidon with --home-region %s for new accounts.", home, id.Region, home, home, home, id.Region).
			WithHint(fmt.Sprintf("account %s called from %s, its home region is %s: the client should use region %s (AWS_DEFAULT_REGION for the AWS CLI and boto3, AWS_REGION for the other SDKs); poseidon's --home-region sets the home region of new accounts only", id.AccountID, id.Region, home, home))
	}
	return nil
}

// errorParts maps any error to the code, message and status sent to the
// client. Unrecognized errors become the service's internal error.
func (s *Server) errorParts(svc service, err error) (code, msg string, status int) {
	var (
		de *discovery.Error
		pe *awsjson.Error
		se *sigv4.Error
		ve *validate.Error
		ni errNotImplemented
	)
	switch {
	case errors.As(err, &ve):
		if svc.prefix == mghapi.TargetPrefix {
			return "InvalidInputException", ve.Error(), http.StatusBadRequest
		}
		if ve.Missing() {
			return string(discovery.InvalidParameter), ve.Error(), http.StatusBadRequest
		}
		return string(discovery.InvalidParameterValue), ve.Error(), http.StatusBadRequest
	case errors.As(err, &de):
		return string(de.Code), de.Message, s.statusOf(de.Code)
	case errors.As(err, &pe):
		return pe.Code, pe.Message, pe.Status
	case errors.As(err, &se):
		return se.Code, se.Message, se.Status
	case errors.As(err, &ni):
		return "NotImplementedException", ni.Error(), http.StatusBadRequest
	}
	if svc.prefix == mghapi.TargetPrefix {
		return "InternalServerError", "An internal error occurred.", http.StatusInternalServerError
	}
	return string(discovery.ServerInternalError), "The server experienced an internal error. Try again.", http.StatusInternalServerError
}

// statusOf follows the API reference (400 for client errors) unless the
// Smithy codes were asked for.
func (s *Server) statusOf(c discovery.ErrorCode) int {
	if c == discovery.ServerInternalError {
		return http.StatusInternalServerError
	}
	if s.cfg.SmithyStatusCodes {
		switch c {
		case discovery.AuthorizationError:
			return http.StatusForbidden
		case discovery.ConflictError:
			return http.StatusConflict
		case discovery.OperationNotPermitted:
			return http.StatusTooManyRequests
		}
	}
	return http.StatusBadRequest
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, svc service, err error) int {
	status, _ := s.writeErrorCode(w, r, svc, err)
	return status
}

// writeErrorCode answers err and returns the status and error code sent.
func (s *Server) writeErrorCode(w http.ResponseWriter, r *http.Request, svc service, err error) (int, string) {
	code, msg, status := s.errorParts(svc, err)
	if status >= 500 {
		s.log.ErrorContext(r.Context(), "request failed", "requestId", requestID(r.Context()), "code", code, "err", err)
	}
	if de := (*discovery.Error)(nil); errors.As(err, &de) && de.Hint != "" {
		s.log.WarnContext(r.Context(), de.Hint, "requestId", requestID(r.Context()), "code", code)
	}
	awsjson.WriteError(w, status, code, svc.messageKey, msg)
	return status, code
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

func newRequestID() string { return uuid.NewString() }

// newControlID makes a home region control ID: hrc- and 12 of [a-z0-9].
func newControlID() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 12)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return "hrc-" + string(b)
}
