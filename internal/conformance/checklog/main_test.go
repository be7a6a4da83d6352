package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	tests := []struct {
		name, log string
		min, want int
		out       string
	}{
		{"conforming", `{"service":"discovery","operation":"CreateApplication","status":200,"body":"{\"configurationId\":\"x\"}"}
{"client":"aws-cli","service":"migrationhub-config","operation":"GetHomeRegion","status":200,"body":"{\"HomeRegion\":\"us-west-2\"}"}
{"service":"discovery","operation":"CreateTags","status":400,"body_base64":"eyJfX3R5cGUiOiJTZXJpYWxpemF0aW9uRXhjZXB0aW9uIiwibWVzc2FnZSI6Im0ifQ=="}
`, 3, 0, "received by aws-cli: 1\n3 responses checked, 0 non-conforming"},
		{"violation", `{"service":"discovery","operation":"CreateApplication","status":200,"body":"{\"configurationId\":7}"}
`, 0, 1, "line 1: discovery CreateApplication (HTTP 200): $.configurationId: is number 7"},
		{"broken line", "nope\n", 0, 1, "line 1: not a log entry"},
		{"unknown service", `{"service":"s3","operation":"GetObject","status":200,"body":"{}"}` + "\n", 0, 1, `no model for service "s3"`},
		{"too few", "", 1, 1, "fewer responses than -min 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			if got := run(strings.NewReader(tc.log), &out, tc.min); got != tc.want {
				t.Fatalf("exit %d, want %d\n%s", got, tc.want, out.String())
			}
			if !strings.Contains(out.String(), tc.out) {
				t.Fatalf("output lacks %q:\n%s", tc.out, out.String())
			}
		})
	}
}
