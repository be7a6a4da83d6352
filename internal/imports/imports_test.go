package imports

import (
	"path/filepath"
	"testing"
)

func TestResolve(t *testing.T) {
	s := &Service{Data: "/data"}
	for raw, want := range map[string]string{
		"s3://b/k.csv":            filepath.FromSlash("/data/buckets/b/k.csv"),
		"s3://b/dir/../k.csv":     filepath.FromSlash("/data/buckets/b/k.csv"),
		"file:///tmp/x.csv":       "/tmp/x.csv",
		"http://127.0.0.2:80/x":   "http",
		"http://[::1]:80/x":       "http",
		"https://localhost/x":     "http",
		"s3://b/../c/k.csv":       "",
		"s3://b/../../etc/x":      "",
		"s3://../x/k":             "",
		"file:///tmp/../etc/x":    "",
		"file://host/tmp/x":       "",
		"http://example.com/x":    "",
		"http://10.0.0.1/x":       "",
		"http://127.0.0.1.nip.io": "",
		"gopher://127.0.0.1/x":    "",
	} {
		loc, err := s.Resolve(raw)
		switch {
		case want == "" && err == nil:
			t.Errorf("%s: resolved to %+v, want refusal", raw, loc)
		case want == "":
		case err != nil:
			t.Errorf("%s: %v", raw, err)
		case want == "http" && loc.HTTP != raw, want != "http" && loc.Path != want:
			t.Errorf("%s: %+v, want %s", raw, loc, want)
		}
	}
}
