package server

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v2"

	"github.com/poseidon-ads/poseidon/internal/agents"
	"github.com/poseidon-ads/poseidon/internal/auth"
	"github.com/poseidon-ads/poseidon/internal/clock"
	"github.com/poseidon-ads/poseidon/internal/console"
	"github.com/poseidon-ads/poseidon/internal/sqlite/sqlitetest"
)

// TestControlRoutesInOpenAPI: every route the server registers under
// /_poseidon/ is in docs/control-api.openapi.yaml with its method, and the
// file names no route the server lacks, so the two cannot drift.
func TestControlRoutesInOpenAPI(t *testing.T) {
	b, err := os.ReadFile("../../docs/control-api.openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		OpenAPI string                              `yaml:"openapi"`
		Paths   map[string]map[string]yaml.MapSlice `yaml:"paths"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("the OpenAPI file does not parse: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi = %q, want 3.x", doc.OpenAPI)
	}
	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	// Every optional route on: intake needs the agents service.
	db := sqlitetest.Open(t)
	s := New(Config{Store: db, Auth: auth.Open(), Clock: clock.New(time.Now), Agents: &agents.Service{}, Console: console.New(db, time.Now)})
	var served []string
	for _, r := range s.routes {
		if _, path, _ := strings.Cut(r, " "); strings.HasPrefix(path, "/_poseidon/") {
			// A Go wildcard {name...} is the OpenAPI parameter {name}.
			served = append(served, strings.ReplaceAll(r, "...}", "}"))
		}
	}
	slices.Sort(documented)
	slices.Sort(served)
	for _, r := range served {
		if !slices.Contains(documented, r) {
			t.Errorf("the server registers %s but docs/control-api.openapi.yaml does not document it", r)
		}
	}
	for _, r := range documented {
		if !slices.Contains(served, r) {
			t.Errorf("docs/control-api.openapi.yaml documents %s, which the server does not register", r)
		}
	}
	if len(served) < 10 {
		t.Fatalf("only %d control routes found: %v", len(served), served)
	}

	// Every schema object (a mapping with a type) has only schema
	// keywords: an unquoted comma in a flow mapping, say, would split a
	// description into a stray key.
	var all any
	if err := yaml.Unmarshal(b, &all); err != nil {
		t.Fatal(err)
	}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[any]any:
			_, typed := v["type"].(string)
			for k, sub := range v {
				key := fmt.Sprint(k)
				if typed && !schemaKeywords[key] && !strings.HasSuffix(path, "/properties") {
					t.Errorf("%s: %q is not a schema keyword", path, key)
				}
				walk(path+"/"+key, sub)
			}
		case []any:
			for i, sub := range v {
				walk(fmt.Sprintf("%s/%d", path, i), sub)
			}
		}
	}
	walk("", all)
}

// schemaKeywords are the keywords of an OpenAPI 3.0 schema object (and of
// a security scheme, which also has a type).
var schemaKeywords = map[string]bool{}

func init() {
	for _, k := range strings.Fields(`type format description properties required items additionalProperties
		enum default example nullable minimum maximum exclusiveMinimum exclusiveMaximum minLength maxLength
		pattern minItems maxItems oneOf anyOf allOf not readOnly writeOnly title
		scheme bearerFormat in name`) {
		schemaKeywords[k] = true
	}
}
