// Package conformance checks JSON response bodies of poseidon against the
// official models: ADS (api/models/discovery-2015-11-01.json) and Migration
// Hub Config (api/models/migrationhub-config-2019-06-30.json). Success bodies
// are checked against the operation's output shape, error bodies against the
// operation's modeled errors and the documented AWS JSON 1.1 protocol errors.
//
// It is a test-support package: the models are read from the module's
// committed files, found by walking up from the working directory to go.mod.
package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// ModelPath is the ADS model file relative to the module root.
const ModelPath = "api/models/discovery-2015-11-01.json"

// MGHModelPath is the Migration Hub Config model file relative to the module
// root.
const MGHModelPath = "api/models/migrationhub-config-2019-06-30.json"

// Service names, as botocore names the services (the models' endpoint
// prefixes): the keys of CheckService and ServiceStats.
const (
	ServiceADS = "discovery"
	ServiceMGH = "migrationhub-config"
)

// ProtocolErrors are the error codes any AWS JSON 1.1 operation may return
// besides its modeled errors.
var ProtocolErrors = []string{
	"UnknownOperationException",
	"SerializationException",
	"RequestEntityTooLargeException",
	"RequestTimeoutException",
	"MissingAuthenticationTokenException",
	"UnrecognizedClientException",
	"InvalidSignatureException",
	"IncompleteSignatureException",
	"NotImplementedException",
	// A common error of every AWS API (the API reference's "Common
	// Errors"): poseidon answers it only when the control API injects it
	// (docs/control-api.md).
	"ThrottlingException",
}

type ref struct {
	Shape string `json:"shape"`
}

type shape struct {
	Type      string         `json:"type"`
	Members   map[string]ref `json:"members"`
	Required  []string       `json:"required"`
	Member    ref            `json:"member"`
	Key       ref            `json:"key"`
	Value     ref            `json:"value"`
	Enum      []string       `json:"enum"`
	Union     bool           `json:"union"`
	Exception bool           `json:"exception"`
	// Constraint traits, for the request generator (requests.go).
	Min     *float64 `json:"min"`
	Max     *float64 `json:"max"`
	Pattern *string  `json:"pattern"`

	re *regexp.Regexp // Pattern, compiled by reqLoad
}

type operation struct {
	Input  *ref  `json:"input"`
	Output *ref  `json:"output"`
	Errors []ref `json:"errors"`
}

type model struct {
	Metadata struct {
		TargetPrefix   string `json:"targetPrefix"`
		EndpointPrefix string `json:"endpointPrefix"`
	} `json:"metadata"`
	Operations map[string]operation `json:"operations"`
	Shapes     map[string]*shape    `json:"shapes"`

	// messageKey is the member that carries the message in the model's
	// error shapes ("message" for ADS, "Message" for Migration Hub Config);
	// protocol errors use it too.
	messageKey string
}

// modelFile is one model, loaded once, with its counters.
type modelFile struct {
	path    string
	once    sync.Once
	m       *model
	err     error
	checked atomic.Int64
	failed  atomic.Int64
}

var (
	adsModel = &modelFile{path: ModelPath}
	mghModel = &modelFile{path: MGHModelPath}
)

func (f *modelFile) load() (*model, error) {
	f.once.Do(func() {
		root, err := moduleRoot()
		if err != nil {
			f.err = err
			return
		}
		b, err := os.ReadFile(filepath.Join(root, f.path))
		if err != nil {
			f.err = err
			return
		}
		var m model
		if err := json.Unmarshal(b, &m); err != nil {
			f.err = fmt.Errorf("conformance: %s: %w", f.path, err)
			return
		}
		m.messageKey = "message"
		for _, name := range slices.Sorted(maps.Keys(m.Shapes)) {
			if sh := m.Shapes[name]; sh.Exception {
				for k := range sh.Members {
					if strings.EqualFold(k, "message") {
						m.messageKey = k
					}
				}
				break
			}
		}
		f.m = &m
	})
	return f.m, f.err
}

// load returns the ADS model.
func load() (*model, error) { return adsModel.load() }

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("conformance: no go.mod above the working directory")
		}
		dir = parent
	}
}

// TargetPrefix is the ADS model's X-Amz-Target prefix including the dot
// ("AWSPoseidonService_V2015_11_01."), or "" if the model cannot be read.
func TargetPrefix() string { return adsModel.targetPrefix() }

// MGHTargetPrefix is the Migration Hub Config model's X-Amz-Target prefix
// including the dot ("AWSMigrationHubMultiAccountService."), or "" if the
// model cannot be read.
func MGHTargetPrefix() string { return mghModel.targetPrefix() }

func (f *modelFile) targetPrefix() string {
	m, err := f.load()
	if err != nil {
		return ""
	}
	return m.Metadata.TargetPrefix + "."
}

// Stats reports how many responses have been checked (by Check, CheckMGH,
// CheckService, CheckTarget and the Transport) and how many of them had at
// least one violation, since the process started, for both services.
func Stats() (responses, nonConforming int64) {
	for _, f := range []*modelFile{adsModel, mghModel} {
		responses += f.checked.Load()
		nonConforming += f.failed.Load()
	}
	return responses, nonConforming
}

// ServiceStats is Stats for one service (ServiceADS or ServiceMGH).
func ServiceStats(service string) (responses, nonConforming int64) {
	f := fileOf(service)
	if f == nil {
		return 0, 0
	}
	return f.checked.Load(), f.failed.Load()
}

func fileOf(service string) *modelFile {
	switch service {
	case ServiceADS:
		return adsModel
	case ServiceMGH:
		return mghModel
	}
	return nil
}

// Check returns the ways body, the response of ADS operation op with HTTP
// status status, departs from the model; nil means it conforms. Each
// violation starts with a JSON path ("$.configurations[0].x: ...").
func Check(op string, status int, body []byte) []string { return adsModel.check(op, status, body) }

// CheckMGH is Check for a Migration Hub Config operation; its error bodies
// carry "Message", as its model names the member.
func CheckMGH(op string, status int, body []byte) []string { return mghModel.check(op, status, body) }

// CheckService is Check for the service botocore names service: ServiceADS
// ("discovery") or ServiceMGH ("migrationhub-config"). Other services are an
// error.
func CheckService(service, op string, status int, body []byte) ([]string, error) {
	f := fileOf(service)
	if f == nil {
		return nil, fmt.Errorf("conformance: no model for service %q", service)
	}
	return f.check(op, status, body), nil
}

// CheckTarget checks the response to a request with X-Amz-Target target
// against the model whose target prefix it has. ok is false, and nothing is
// checked, if target has neither model's prefix.
func CheckTarget(target string, status int, body []byte) (op string, violations []string, ok bool) {
	for _, f := range []*modelFile{adsModel, mghModel} {
		prefix := f.targetPrefix()
		if prefix == "" {
			continue
		}
		if op, ok := strings.CutPrefix(target, prefix); ok {
			return op, f.check(op, status, body), true
		}
	}
	return "", nil, false
}

func (f *modelFile) check(op string, status int, body []byte) []string {
	m, err := f.load()
	var v []string
	if err != nil {
		v = []string{"$: model unavailable: " + err.Error()}
	} else {
		v = checkModel(m, op, status, body)
	}
	f.checked.Add(1)
	if len(v) > 0 {
		f.failed.Add(1)
	}
	return v
}

// check checks an ADS response without counting it.
func check(op string, status int, body []byte) []string {
	m, err := load()
	if err != nil {
		return []string{"$: model unavailable: " + err.Error()}
	}
	return checkModel(m, op, status, body)
}

func checkModel(m *model, op string, status int, body []byte) []string {
	o, known := m.Operations[op]
	var doc any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return []string{fmt.Sprintf("$: body is not JSON (%v): %.200q", err, body)}
	}
	if dec.More() {
		return []string{"$: trailing data after the JSON value"}
	}
	c := &checker{m: m}
	switch {
	case status == http.StatusOK:
		if !known {
			return []string{fmt.Sprintf("$: 200 for unknown operation %q", op)}
		}
		if o.Output == nil {
			c.object("$", doc, &shape{Type: "structure"})
		} else {
			c.value("$", doc, o.Output.Shape)
		}
	case status >= 400 && status <= 599:
		c.errorBody(doc, o, known, op)
	default:
		c.addf("$", "unexpected HTTP status %d", status)
	}
	return c.out
}

type checker struct {
	m   *model
	out []string
}

func (c *checker) addf(path, format string, args ...any) {
	c.out = append(c.out, path+": "+fmt.Sprintf(format, args...))
}

// errorBody checks an error body: a __type naming a modeled error of the
// operation or a protocol error, the message under the model's member name,
// and no member the error's shape lacks (protocol errors: only __type and
// the message).
func (c *checker) errorBody(doc any, o operation, known bool, op string) {
	obj, ok := doc.(map[string]any)
	if !ok {
		c.addf("$", "error body is %s, want object", kind(doc))
		return
	}
	msgKey := c.m.messageKey
	if msgKey == "" {
		msgKey = "message"
	}
	var modeled *shape
	typ, ok := obj["__type"].(string)
	if !ok {
		c.addf("$.__type", "missing or not a string")
	} else {
		// The protocol allows a namespace before '#'; clients strip it.
		name := typ
		if i := strings.LastIndexByte(name, '#'); i >= 0 {
			name = name[i+1:]
		}
		allowed := slices.Contains(ProtocolErrors, name)
		if known {
			for _, e := range o.Errors {
				if e.Shape == name {
					if sh, ok := c.m.Shapes[name]; ok {
						modeled = sh
					}
					allowed = true
				}
			}
		}
		if !allowed {
			if known {
				c.addf("$.__type", "%q is not a modeled error of %s nor a protocol error", typ, op)
			} else {
				c.addf("$.__type", "%q is not a protocol error (unknown operation %q)", typ, op)
			}
		}
	}
	if modeled != nil {
		for k := range modeled.Members {
			if strings.EqualFold(k, "message") {
				msgKey = k
			}
		}
		for _, r := range modeled.Required {
			if _, ok := obj[r]; !ok && r != msgKey {
				c.addf("$."+r, "required member missing")
			}
		}
	}
	if msg, present := obj[msgKey]; !present {
		c.addf("$."+msgKey, "missing")
	} else if _, ok := msg.(string); !ok {
		c.addf("$."+msgKey, "is %s, want string", kind(msg))
	}
	for _, k := range sortedKeys(obj) {
		if k == "__type" || k == msgKey {
			continue
		}
		if modeled != nil {
			if r, ok := modeled.Members[k]; ok {
				c.value("$."+k, obj[k], r.Shape)
				continue
			}
		}
		c.addf("$."+k, "unexpected member in error body")
	}
}

func (c *checker) value(path string, v any, shapeName string) {
	s, ok := c.m.Shapes[shapeName]
	if !ok {
		c.addf(path, "model has no shape %q", shapeName)
		return
	}
	if v == nil {
		c.addf(path, "null (AWS omits absent members)")
		return
	}
	switch s.Type {
	case "structure":
		c.object(path, v, s)
	case "list":
		arr, ok := v.([]any)
		if !ok {
			c.addf(path, "is %s, want list (%s)", kind(v), shapeName)
			return
		}
		for i, e := range arr {
			c.value(fmt.Sprintf("%s[%d]", path, i), e, s.Member.Shape)
		}
	case "map":
		obj, ok := v.(map[string]any)
		if !ok {
			c.addf(path, "is %s, want map (%s)", kind(v), shapeName)
			return
		}
		for _, k := range sortedKeys(obj) {
			c.value(path+"["+strconvQuote(k)+"]", obj[k], s.Value.Shape)
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			c.addf(path, "is %s, want string (%s)", kind(v), shapeName)
			return
		}
		if len(s.Enum) > 0 && !slices.Contains(s.Enum, str) {
			c.addf(path, "%q is not a value of enum %s %v", str, shapeName, s.Enum)
		}
	case "integer", "long":
		n, ok := v.(json.Number)
		if !ok {
			c.addf(path, "is %s, want %s (%s)", kind(v), s.Type, shapeName)
			return
		}
		i, ok := new(big.Int).SetString(n.String(), 10)
		if !ok {
			c.addf(path, "%s is not a JSON integer (%s %s)", n, s.Type, shapeName)
			return
		}
		if !i.IsInt64() || (s.Type == "integer" && (i.Int64() < math.MinInt32 || i.Int64() > math.MaxInt32)) {
			c.addf(path, "%s overflows %s (%s)", n, s.Type, shapeName)
		}
	case "double", "float":
		if _, ok := v.(json.Number); !ok {
			c.addf(path, "is %s, want number (%s)", kind(v), shapeName)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			c.addf(path, "is %s, want boolean (%s)", kind(v), shapeName)
		}
	case "timestamp":
		if _, ok := v.(json.Number); !ok {
			c.addf(path, "is %s, want timestamp as epoch-seconds number (%s)", kind(v), shapeName)
		}
	case "blob":
		if _, ok := v.(string); !ok {
			c.addf(path, "is %s, want base64 string (%s)", kind(v), shapeName)
		}
	default:
		c.addf(path, "model shape %s has unsupported type %q", shapeName, s.Type)
	}
}

func (c *checker) object(path string, v any, s *shape) {
	obj, ok := v.(map[string]any)
	if !ok {
		c.addf(path, "is %s, want structure", kind(v))
		return
	}
	for _, r := range s.Required {
		if _, ok := obj[r]; !ok {
			c.addf(path+"."+r, "required member missing")
		}
	}
	set := 0
	for _, k := range sortedKeys(obj) {
		r, ok := s.Members[k]
		if !ok {
			c.addf(path+"."+k, "member not in the model")
			continue
		}
		set++
		c.value(path+"."+k, obj[k], r.Shape)
	}
	if s.Union && set != 1 {
		c.addf(path, "union has %d members set, want exactly 1", set)
	}
}

func kind(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	case json.Number:
		return "number " + v.String()
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func strconvQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// Transport wraps next (http.DefaultTransport if nil) so that every response
// to an ADS or Migration Hub Config request (X-Amz-Target with a model's
// target prefix) is checked; each violation is reported with t.Errorf. The
// body is restored for the caller.
func Transport(t testing.TB, next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return &transport{t: t, next: next}
}

type transport struct {
	t    testing.TB
	next http.RoundTripper
}

func (tr *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := tr.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	CheckResponse(tr.t, req.Header.Get("X-Amz-Target"), resp)
	return resp, nil
}

// CheckResponse checks resp, the answer to a request with X-Amz-Target
// target, if target has the ADS or the Migration Hub Config prefix,
// reporting violations with t.Errorf. It reads resp.Body and replaces it
// with an equivalent reader.
func CheckResponse(t testing.TB, target string, resp *http.Response) {
	t.Helper()
	if TargetPrefix() == "" {
		if _, err := load(); err != nil {
			t.Errorf("conformance: %v", err)
		}
		return
	}
	if MGHTargetPrefix() == "" {
		if _, err := mghModel.load(); err != nil {
			t.Errorf("conformance: %v", err)
		}
		return
	}
	if resp == nil || resp.Body == nil {
		return
	}
	if !strings.HasPrefix(target, TargetPrefix()) && !strings.HasPrefix(target, MGHTargetPrefix()) {
		return
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	if err != nil {
		t.Errorf("conformance: %s: reading response: %v", target, err)
		return
	}
	op, violations, _ := CheckTarget(target, resp.StatusCode, b)
	for _, v := range violations {
		t.Errorf("conformance: %s (HTTP %d): %s", op, resp.StatusCode, v)
	}
}
