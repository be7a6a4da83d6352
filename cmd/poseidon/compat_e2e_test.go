package main

// TestCompatScenarios runs the client-neutral scenario suite of
// tests/compat/scenarios.json through aws-sdk-go v1: the same scenarios run
// through boto3 (tests/compat/run_boto3.py) and the aws CLI
// (tests/compat/run_cli.py), and tests/compat/render.py merges the three
// result files into docs/compatibility.md. The scenario format is described in
// tests/compat/compat_common.py.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/awserr"
	"github.com/aws/aws-sdk-go/private/protocol/json/jsonutil"
	ads "github.com/aws/aws-sdk-go/service/applicationdiscoveryservice"
	"github.com/poseidon-ads/poseidon/internal/agentdata"
)

const (
	compatScenarioFile = "../../tests/compat/scenarios.json"
	compatModelFile    = "../../api/models/discovery-2015-11-01.json"
	compatPollTimeout  = 20 * time.Second
	compatMaxPages     = 1000
)

type compatFile struct {
	Description string                     `json:"description"`
	Notes       []string                   `json:"notes"`
	Account     string                     `json:"account"`
	Setup       []compatStep               `json:"setup"`
	Fixtures    map[string]json.RawMessage `json:"fixtures"`
	Objects     map[string]string          `json:"objects"`
	Groups      map[string][]compatStep    `json:"groups"`
	Operations  []compatOperation          `json:"operations"`
}

type compatOperation struct {
	Operation   string       `json:"operation"`
	NoErrorCase string       `json:"noErrorCase"`
	Steps       []compatStep `json:"steps"`
}

type compatStep struct {
	Name string `json:"name"`

	Reset     bool           `json:"reset"`
	Clock     map[string]any `json:"clock"`
	Intake    string         `json:"intake"`
	PutObject *struct {
		Bucket string `json:"bucket"`
		Key    string `json:"key"`
		Object string `json:"object"`
	} `json:"putObject"`
	Use      string `json:"use"`
	Call     string `json:"call"`
	Paginate string `json:"paginate"`

	Params          map[string]any    `json:"params"`
	Error           string            `json:"error"`
	MessageContains string            `json:"messageContains"`
	Until           []compatCheck     `json:"until"`
	Expect          []compatCheck     `json:"expect"`
	Capture         map[string]string `json:"capture"`

	ResultKey string `json:"resultKey"`
	PageSize  int    `json:"pageSize"`
	Total     *int   `json:"total"`
	MinPages  int    `json:"minPages"`
}

type compatCheck struct {
	Path       string          `json:"path"`
	Equals     json.RawMessage `json:"equals"`
	NotEquals  json.RawMessage `json:"notEquals"`
	Contains   json.RawMessage `json:"contains"`
	Count      *int            `json:"count"`
	Present    *bool           `json:"present"`
	Matches    string          `json:"matches"`
	StartsWith string          `json:"startsWith"`
}

// compatResult is one cell of docs/compatibility.md.
type compatResult struct {
	Pass   bool   `json:"pass"`
	Detail string `json:"detail"`
}

func compatLoad(t *testing.T) *compatFile {
	t.Helper()
	raw, err := os.ReadFile(compatScenarioFile)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var f compatFile
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("%s: %v", compatScenarioFile, err)
	}
	return &f
}

// compatModelOperations lists the operations of the ADS model.
func compatModelOperations(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile(compatModelFile)
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Operations map[string]json.RawMessage `json:"operations"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	var ops []string
	for op := range m.Operations {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	return ops
}

// compatLint checks the rules every scenario must follow: every model
// operation has one scenario, which calls it successfully at least once and
// expects an error at least once (unless noErrorCase says why not).
func compatLint(f *compatFile, modelOps []string) []string {
	var problems []string
	seen := map[string]bool{}
	for _, o := range f.Operations {
		if seen[o.Operation] {
			problems = append(problems, o.Operation+": two scenarios")
		}
		seen[o.Operation] = true
		var success, failure bool
		var walk func([]compatStep)
		walk = func(steps []compatStep) {
			for _, s := range steps {
				if s.Use != "" {
					walk(f.Groups[s.Use])
				}
				if s.Call == o.Operation || s.Paginate == o.Operation {
					if s.Error != "" {
						failure = true
					} else {
						success = true
					}
				}
			}
		}
		walk(o.Steps)
		if !success {
			problems = append(problems, o.Operation+": no successful call of the operation")
		}
		if !failure && o.NoErrorCase == "" {
			problems = append(problems, o.Operation+": no expected-error call (and no noErrorCase)")
		}
	}
	for _, op := range modelOps {
		if !seen[op] {
			problems = append(problems, op+": no scenario")
		}
	}
	for op := range seen {
		if i := sort.SearchStrings(modelOps, op); i == len(modelOps) || modelOps[i] != op {
			problems = append(problems, op+": not an operation of the model")
		}
	}
	return problems
}

func TestCompatScenarios(t *testing.T) {
	f := compatLoad(t)
	modelOps := compatModelOperations(t)
	for _, p := range compatLint(f, modelOps) {
		t.Errorf("scenarios.json: %s", p)
	}
	// Default flags: the export limits stay on (ExportConfigurations' limit
	// is part of its scenario).
	s := startServer(t, "")

	var mu sync.Mutex
	results := map[string]compatResult{}
	for _, o := range f.Operations {
		t.Run(o.Operation, func(t *testing.T) {
			recorded := false
			record := func(r compatResult) {
				mu.Lock()
				results[o.Operation] = r
				mu.Unlock()
				recorded = true
			}
			defer func() {
				if !recorded {
					record(compatResult{Detail: "aborted: see the go test log"})
				}
			}()
			c := client(t, s.URL, f.Account, "compat-secret")
			// The SDK logs each call of a deprecated operation to stdout.
			c.Config.Logger = aws.LoggerFunc(func(...any) {})
			r := &compatRun{t: t, srv: s, file: f, vars: map[string]any{}, c: c}
			steps := append(append([]compatStep{}, f.Setup...), o.Steps...)
			err := r.runSteps(steps, "", len(f.Setup))
			switch {
			case err != nil:
				t.Error(err)
				record(compatResult{Detail: err.Error()})
			case t.Failed():
				record(compatResult{Detail: "response failed the model conformance check: see the go test log"})
			default:
				record(compatResult{Pass: true, Detail: fmt.Sprintf("%d steps passed", len(o.Steps))})
			}
		})
	}
	for _, op := range modelOps {
		if _, ok := results[op]; !ok {
			results[op] = compatResult{Detail: "no scenario"}
		}
	}
	if dir := os.Getenv("POSEIDON_COMPAT_OUT"); dir != "" {
		b, err := json.MarshalIndent(results, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "go.json"), append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

type compatRun struct {
	t    *testing.T
	srv  *testServer
	c    *ads.ApplicationDiscoveryService
	file *compatFile
	vars map[string]any
}

// runSteps runs steps in order; skip is the number of leading setup steps,
// which are not numbered in messages.
func (r *compatRun) runSteps(steps []compatStep, prefix string, skip int) error {
	for i, st := range steps {
		label := prefix + "setup"
		if i >= skip {
			label = fmt.Sprintf("%sstep %d", prefix, i-skip+1)
		}
		if desc := compatDescribe(st); desc != "" {
			label += " (" + desc + ")"
		}
		if st.Use != "" {
			group, ok := r.file.Groups[st.Use]
			if !ok {
				return fmt.Errorf("%s: unknown group %q", label, st.Use)
			}
			if err := r.runSteps(group, label+": ", 0); err != nil {
				return err
			}
			continue
		}
		if err := r.step(st); err != nil {
			return fmt.Errorf("%s: %w", label, err)
		}
	}
	return nil
}

func compatDescribe(st compatStep) string {
	var kind string
	switch {
	case st.Call != "":
		kind = st.Call
	case st.Paginate != "":
		kind = "paginate " + st.Paginate
	case st.Use != "":
		kind = st.Use
	}
	switch {
	case st.Name != "" && kind != "":
		return kind + ": " + st.Name
	case st.Name != "":
		return st.Name
	}
	return kind
}

func (r *compatRun) step(st compatStep) error {
	kinds := 0
	for _, set := range []bool{st.Reset, st.Clock != nil, st.Intake != "", st.PutObject != nil, st.Call != "", st.Paginate != ""} {
		if set {
			kinds++
		}
	}
	if kinds != 1 {
		return errors.New("a step needs exactly one of reset, clock, intake, putObject, use, call, paginate")
	}
	switch {
	case st.Reset:
		if code, out := control(r.t, r.srv.URL, "reset", "", map[string]any{}); code != http.StatusOK {
			return fmt.Errorf("reset: HTTP %d %v", code, out)
		}
	case st.Clock != nil:
		if code, out := control(r.t, r.srv.URL, "clock", "", st.Clock); code != http.StatusOK {
			return fmt.Errorf("clock: HTTP %d %v", code, out)
		}
	case st.Intake != "":
		return r.intake(st.Intake)
	case st.PutObject != nil:
		body, ok := r.file.Objects[st.PutObject.Object]
		if !ok {
			return fmt.Errorf("unknown object %q", st.PutObject.Object)
		}
		p := filepath.Join(r.srv.Data, "buckets", st.PutObject.Bucket, filepath.FromSlash(st.PutObject.Key))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		return os.WriteFile(p, []byte(body), 0o644)
	case st.Call != "":
		return r.call(st)
	case st.Paginate != "":
		return r.paginate(st)
	}
	return nil
}

func (r *compatRun) intake(name string) error {
	raw, ok := r.file.Fixtures[name]
	if !ok {
		return fmt.Errorf("unknown fixture %q", name)
	}
	var b agentdata.Batch
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		return fmt.Errorf("fixture %s: %v", name, err)
	}
	body, err := json.Marshal(b)
	if err != nil {
		return err
	}
	code, _, out := intakeCall(r.t, r.srv.URL, r.file.Account, "compat-secret", body)
	if code != http.StatusOK {
		return fmt.Errorf("intake %s: HTTP %d %v", name, code, out)
	}
	if n, _ := out["accepted"].(float64); int(n) != len(b.Reports) {
		return fmt.Errorf("intake %s accepted %v of %d reports: %v", name, out["accepted"], len(b.Reports), out)
	}
	return nil
}

// input builds the SDK input struct of op from the scenario's params (model
// member names), and refuses params that do not survive the round trip (a
// misspelled member would otherwise be dropped silently).
func (r *compatRun) input(op string, params map[string]any, extra map[string]any) (reflect.Value, reflect.Value, error) {
	m := reflect.ValueOf(r.c).MethodByName(op)
	if !m.IsValid() {
		return reflect.Value{}, reflect.Value{}, fmt.Errorf("aws-sdk-go has no method %s", op)
	}
	sub, err := compatSubstitute(params, r.vars)
	if err != nil {
		return reflect.Value{}, reflect.Value{}, err
	}
	p, _ := sub.(map[string]any)
	if p == nil {
		p = map[string]any{}
	}
	for k, v := range extra {
		p[k] = v
	}
	raw, err := json.Marshal(p)
	if err != nil {
		return reflect.Value{}, reflect.Value{}, err
	}
	in := reflect.New(m.Type().In(0).Elem())
	if err := jsonutil.UnmarshalJSON(in.Interface(), bytes.NewReader(raw)); err != nil {
		return reflect.Value{}, reflect.Value{}, fmt.Errorf("params %s do not fit %s: %v", raw, in.Type().Elem().Name(), err)
	}
	back, err := compatToDoc(in.Interface())
	if err != nil {
		return reflect.Value{}, reflect.Value{}, err
	}
	var want any
	json.Unmarshal(raw, &want)
	if msg := compatSubset(want, back, "params"); msg != "" {
		return reflect.Value{}, reflect.Value{}, fmt.Errorf("params do not fit %s (unknown member?): %s", in.Type().Elem().Name(), msg)
	}
	return m, in, nil
}

// compatSubset reports where want is not contained in got (objects may have
// extra members in got, such as an idempotency token the SDK filled in).
func compatSubset(want, got any, path string) string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return path + ": not an object"
		}
		for k, v := range w {
			gv, ok := g[k]
			if !ok {
				return path + "." + k + ": dropped"
			}
			if msg := compatSubset(v, gv, path+"."+k); msg != "" {
				return msg
			}
		}
		return ""
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return path + ": list changed"
		}
		for i := range w {
			if msg := compatSubset(w[i], g[i], fmt.Sprintf("%s[%d]", path, i)); msg != "" {
				return msg
			}
		}
		return ""
	}
	if !compatSame(want, got) {
		return fmt.Sprintf("%s: %v became %v", path, want, got)
	}
	return ""
}

// compatToDoc turns an SDK struct into the wire JSON document (model member
// names, timestamps as epoch seconds).
func compatToDoc(v any) (any, error) {
	b, err := jsonutil.BuildJSON(v)
	if err != nil {
		return nil, err
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	return doc, nil
}

func (r *compatRun) call(st compatStep) error {
	deadline := time.Now().Add(compatPollTimeout)
	for {
		m, in, err := r.input(st.Call, st.Params, nil)
		if err != nil {
			return err
		}
		outs := m.Call([]reflect.Value{in})
		callErr, _ := outs[1].Interface().(error)
		if st.Error != "" {
			return r.wantError(callErr, st)
		}
		if callErr != nil {
			return fmt.Errorf("unexpected error: %s", compatErrorText(callErr))
		}
		doc, err := compatToDoc(outs[0].Interface())
		if err != nil {
			return err
		}
		if len(st.Until) > 0 {
			if msg := compatChecks(doc, st.Until, r.vars); msg != "" {
				if time.Now().After(deadline) {
					return fmt.Errorf("still not done after %s: %s", compatPollTimeout, msg)
				}
				time.Sleep(50 * time.Millisecond)
				continue
			}
		}
		return r.finish(doc, st)
	}
}

func (r *compatRun) finish(doc any, st compatStep) error {
	if msg := compatChecks(doc, st.Expect, r.vars); msg != "" {
		return errors.New(msg)
	}
	for name, path := range st.Capture {
		v, ok := compatResolve(doc, path)
		if !ok {
			return fmt.Errorf("capture %s: %s is absent", name, path)
		}
		r.vars[name] = v
	}
	return nil
}

func compatErrorText(err error) string {
	var ae awserr.Error
	if errors.As(err, &ae) {
		return ae.Code() + ": " + ae.Message()
	}
	return err.Error()
}

func (r *compatRun) wantError(err error, st compatStep) error {
	if err == nil {
		return fmt.Errorf("succeeded, want %s", st.Error)
	}
	var rf awserr.RequestFailure
	if !errors.As(err, &rf) {
		return fmt.Errorf("error %v, want %s", err, st.Error)
	}
	if rf.Code() != st.Error {
		return fmt.Errorf("error %s (%q), want %s", rf.Code(), rf.Message(), st.Error)
	}
	if rf.StatusCode() < 400 || rf.StatusCode() > 499 {
		return fmt.Errorf("error %s with HTTP %d, want a 4xx", rf.Code(), rf.StatusCode())
	}
	if rf.Message() == "" || rf.RequestID() == "" {
		return fmt.Errorf("error %s without message or request ID", rf.Code())
	}
	if st.MessageContains != "" {
		want, err := compatSubstitute(st.MessageContains, r.vars)
		if err != nil {
			return err
		}
		if !strings.Contains(rf.Message(), want.(string)) {
			return fmt.Errorf("error message %q does not contain %q", rf.Message(), want)
		}
	}
	return nil
}

// paginate walks every page with the SDK's <Op>Pages method, or with a
// nextToken loop for operations the SDK has no paginator for.
func (r *compatRun) paginate(st compatStep) error {
	if st.ResultKey == "" || st.PageSize <= 0 || st.Total == nil {
		return errors.New("paginate needs resultKey, pageSize and total")
	}
	m, in, err := r.input(st.Paginate, st.Params, map[string]any{"maxResults": st.PageSize})
	if err != nil {
		return err
	}
	var items []any
	pages := 0
	var pageErr error
	take := func(out any) bool {
		pages++
		doc, err := compatToDoc(out)
		if err != nil {
			pageErr = err
			return false
		}
		page, _ := compatResolve(doc, st.ResultKey)
		list, ok := page.([]any)
		if !ok {
			pageErr = fmt.Errorf("page %d has no %s list", pages, st.ResultKey)
			return false
		}
		if len(list) > st.PageSize {
			pageErr = fmt.Errorf("page %d has %d items, more than maxResults %d", pages, len(list), st.PageSize)
			return false
		}
		items = append(items, list...)
		if pages >= compatMaxPages {
			pageErr = fmt.Errorf("more than %d pages", compatMaxPages)
			return false
		}
		return true
	}
	if pm := reflect.ValueOf(r.c).MethodByName(st.Paginate + "Pages"); pm.IsValid() {
		fn := reflect.MakeFunc(pm.Type().In(1), func(args []reflect.Value) []reflect.Value {
			return []reflect.Value{reflect.ValueOf(take(args[0].Interface()))}
		})
		outs := pm.Call([]reflect.Value{in, fn})
		if err, _ := outs[0].Interface().(error); err != nil {
			return fmt.Errorf("unexpected error: %s", compatErrorText(err))
		}
	} else {
		for {
			outs := m.Call([]reflect.Value{in})
			if err, _ := outs[1].Interface().(error); err != nil {
				return fmt.Errorf("unexpected error on page %d: %s", pages+1, compatErrorText(err))
			}
			if !take(outs[0].Interface()) {
				break
			}
			tok := outs[0].Elem().FieldByName("NextToken").Interface().(*string)
			if aws.StringValue(tok) == "" {
				break
			}
			in.Elem().FieldByName("NextToken").Set(reflect.ValueOf(tok))
		}
	}
	if pageErr != nil {
		return pageErr
	}
	return r.finishPages(items, pages, st)
}

func (r *compatRun) finishPages(items []any, pages int, st compatStep) error {
	if items == nil {
		items = []any{}
	}
	if len(items) != *st.Total {
		return fmt.Errorf("%d items over %d pages, want %d", len(items), pages, *st.Total)
	}
	seen := map[string]bool{}
	for _, it := range items {
		k, _ := json.Marshal(it)
		if seen[string(k)] {
			return fmt.Errorf("item returned twice: %s", k)
		}
		seen[string(k)] = true
	}
	if pages < st.MinPages {
		return fmt.Errorf("%d pages, want at least %d", pages, st.MinPages)
	}
	return r.finish(map[string]any{st.ResultKey: items}, st)
}

var compatVarRe = regexp.MustCompile(`\$\{([A-Za-z0-9_]+)\}`)

// compatSubstitute replaces ${name} in strings: a string that is exactly
// "${name}" becomes the variable's value (of any type).
func compatSubstitute(v any, vars map[string]any) (any, error) {
	switch x := v.(type) {
	case string:
		if m := compatVarRe.FindStringSubmatch(x); m != nil && m[0] == x {
			val, ok := vars[m[1]]
			if !ok {
				return nil, fmt.Errorf("variable %s is not set", m[1])
			}
			return val, nil
		}
		var missing string
		out := compatVarRe.ReplaceAllStringFunc(x, func(s string) string {
			name := s[2 : len(s)-1]
			val, ok := vars[name]
			if !ok {
				missing = name
				return s
			}
			return compatString(val)
		})
		if missing != "" {
			return nil, fmt.Errorf("variable %s is not set", missing)
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i := range x {
			s, err := compatSubstitute(x[i], vars)
			if err != nil {
				return nil, err
			}
			out[i] = s
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			s, err := compatSubstitute(e, vars)
			if err != nil {
				return nil, err
			}
			out[k] = s
		}
		return out, nil
	}
	return v, nil
}

func compatString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// compatResolve follows a "/"-separated path: object keys (which may contain
// dots), list indexes, and "*" for every element of a list.
func compatResolve(doc any, path string) (any, bool) {
	if path == "" {
		return doc, true
	}
	seg, rest, more := strings.Cut(path, "/")
	switch x := doc.(type) {
	case map[string]any:
		v, ok := x[seg]
		if !ok {
			return nil, false
		}
		if !more {
			return v, true
		}
		return compatResolve(v, rest)
	case []any:
		if seg == "*" {
			out := []any{}
			for _, e := range x {
				if !more {
					out = append(out, e)
					continue
				}
				if v, ok := compatResolve(e, rest); ok {
					out = append(out, v)
				}
			}
			return out, true
		}
		i, err := strconv.Atoi(seg)
		if err != nil || i < 0 || i >= len(x) {
			return nil, false
		}
		if !more {
			return x[i], true
		}
		return compatResolve(x[i], rest)
	}
	return nil, false
}

// compatSame compares JSON values; numbers by value.
func compatSame(a, b any) bool {
	return reflect.DeepEqual(a, b)
}

// compatChecks returns "" when every check holds, else what failed.
func compatChecks(doc any, checks []compatCheck, vars map[string]any) string {
	for _, c := range checks {
		if msg := compatCheckOne(doc, c, vars); msg != "" {
			return msg
		}
	}
	return ""
}

func compatCheckOne(doc any, c compatCheck, vars map[string]any) string {
	got, found := compatResolve(doc, c.Path)
	gotText := "absent"
	if found {
		b, _ := json.Marshal(got)
		gotText = string(b)
	}
	expected := func(raw json.RawMessage) (any, string) {
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, err.Error()
		}
		s, err := compatSubstitute(v, vars)
		if err != nil {
			return nil, err.Error()
		}
		return s, ""
	}
	fail := func(want string) string { return fmt.Sprintf("%s: got %s, want %s", c.Path, gotText, want) }
	switch {
	case c.Present != nil:
		if found != *c.Present {
			return fail(map[bool]string{true: "present", false: "absent"}[*c.Present])
		}
	case c.Equals != nil:
		want, msg := expected(c.Equals)
		if msg != "" {
			return msg
		}
		if !found || !compatSame(got, want) {
			return fail(compatString(want))
		}
	case c.NotEquals != nil:
		want, msg := expected(c.NotEquals)
		if msg != "" {
			return msg
		}
		if !found || compatSame(got, want) {
			return fail("not " + compatString(want))
		}
	case c.Contains != nil:
		want, msg := expected(c.Contains)
		if msg != "" {
			return msg
		}
		ok := false
		switch g := got.(type) {
		case []any:
			for _, e := range g {
				ok = ok || compatSame(e, want)
			}
		case string:
			w, isString := want.(string)
			ok = isString && strings.Contains(g, w)
		}
		if !ok {
			return fail("something containing " + compatString(want))
		}
	case c.Count != nil:
		list, ok := got.([]any)
		if !ok || len(list) != *c.Count {
			return fail(fmt.Sprintf("a list of %d", *c.Count))
		}
	case c.Matches != "":
		s, ok := got.(string)
		if !ok || !regexp.MustCompile(c.Matches).MatchString(s) {
			return fail("a match of " + c.Matches)
		}
	case c.StartsWith != "":
		s, ok := got.(string)
		if !ok || !strings.HasPrefix(s, c.StartsWith) {
			return fail("a string starting with " + c.StartsWith)
		}
	default:
		return c.Path + ": check without a condition"
	}
	return ""
}
