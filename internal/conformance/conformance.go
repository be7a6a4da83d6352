// Package conformance checks JSON response bodies of poseidon against the
// official ADS model (api/models/discovery-2015-11-01.json): success bodies
// against the operation's output shape, error bodies against the operation's
// modeled errors and the documented AWS JSON 1.1 protocol errors.
//
// It is a test-support package: the model is read from the module's
// committed file, found by walking up from the working directory to go.mod.
package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// ModelPath is the model file relative to the module root.
const ModelPath = "api/models/discovery-2015-11-01.json"

// ProtocolErrors are the error codes any AWS JSON 1.1 operation may return
// besides its modeled errors.
var ProtocolErrors = []string{
	"UnknownOperationException",
	"SerializationException",
	"RequestEntityTooLargeException",
	"MissingAuthenticationTokenException",
	"UnrecognizedClientException",
	"InvalidSignatureException",
	"IncompleteSignatureException",
	"NotImplementedException",
}

type ref struct {
	Shape string `json:"shape"`
}

type shape struct {
	Type     string         `json:"type"`
	Members  map[string]ref `json:"members"`
	Required []string       `json:"required"`
	Member   ref            `json:"member"`
	Key      ref            `json:"key"`
	Value    ref            `json:"value"`
	Enum     []string       `json:"enum"`
	Union    bool           `json:"union"`
}

type operation struct {
	Output *ref  `json:"output"`
	Errors []ref `json:"errors"`
}

type model struct {
	Metadata struct {
		TargetPrefix string `json:"targetPrefix"`
	} `json:"metadata"`
	Operations map[string]operation `json:"operations"`
	Shapes     map[string]shape     `json:"shapes"`
}

var (
	loadOnce sync.Once
	loaded   *model
	loadErr  error
	checked  atomic.Int64
	failed   atomic.Int64
)

func load() (*model, error) {
	loadOnce.Do(func() {
		root, err := moduleRoot()
		if err != nil {
			loadErr = err
			return
		}
		b, err := os.ReadFile(filepath.Join(root, ModelPath))
		if err != nil {
			loadErr = err
			return
		}
		var m model
		if err := json.Unmarshal(b, &m); err != nil {
			loadErr = fmt.Errorf("conformance: %s: %w", ModelPath, err)
			return
		}
		loaded = &m
	})
	return loaded, loadErr
}

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

// TargetPrefix is the model's X-Amz-Target prefix including the dot
// ("AWSPoseidonService_V2015_11_01."), or "" if the model cannot be read.
func TargetPrefix() string {
	m, err := load()
	if err != nil {
		return ""
	}
	return m.Metadata.TargetPrefix + "."
}

// Stats reports how many responses Check has examined and how many of them
// had at least one violation, since the process started.
func Stats() (responses, nonConforming int64) { return checked.Load(), failed.Load() }

// Check returns the ways body, the response of operation op with HTTP status
// status, departs from the model; nil means it conforms. Each violation
// starts with a JSON path ("$.configurations[0].x: ...").
func Check(op string, status int, body []byte) []string {
	v := check(op, status, body)
	checked.Add(1)
	if len(v) > 0 {
		failed.Add(1)
	}
	return v
}

func check(op string, status int, body []byte) []string {
	m, err := load()
	if err != nil {
		return []string{"$: model unavailable: " + err.Error()}
	}
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
			c.object("$", doc, shape{Type: "structure"})
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

func (c *checker) errorBody(doc any, o operation, known bool, op string) {
	obj, ok := doc.(map[string]any)
	if !ok {
		c.addf("$", "error body is %s, want object", kind(doc))
		return
	}
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
				allowed = allowed || e.Shape == name
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
	if msg, present := obj["message"]; !present {
		c.addf("$.message", "missing")
	} else if _, ok := msg.(string); !ok {
		c.addf("$.message", "is %s, want string", kind(msg))
	}
	for _, k := range sortedKeys(obj) {
		if k != "__type" && k != "message" {
			c.addf("$."+k, "unexpected member in error body")
		}
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

func (c *checker) object(path string, v any, s shape) {
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
// to an ADS request (X-Amz-Target with the model's target prefix) is checked
// with Check; each violation is reported with t.Errorf. The body is restored
// for the caller.
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
// target, if target has the ADS prefix, reporting violations with t.Errorf.
// It reads resp.Body and replaces it with an equivalent reader.
func CheckResponse(t testing.TB, target string, resp *http.Response) {
	t.Helper()
	prefix := TargetPrefix()
	if prefix == "" {
		if _, err := load(); err != nil {
			t.Errorf("conformance: %v", err)
		}
		return
	}
	op, ok := strings.CutPrefix(target, prefix)
	if !ok || resp == nil || resp.Body == nil {
		return
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	if err != nil {
		t.Errorf("conformance: %s: reading response: %v", op, err)
		return
	}
	for _, v := range Check(op, resp.StatusCode, b) {
		t.Errorf("conformance: %s (HTTP %d): %s", op, resp.StatusCode, v)
	}
}
