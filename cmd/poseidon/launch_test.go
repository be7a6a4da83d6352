package main

import (
	"io"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/alecthomas/kong"

	"github.com/poseidon-ads/poseidon/internal/launch"
)

// The serve flags' defaults are launch.DefaultConfig, which the in-process
// fixture (poseidontest) starts from, so that the two cannot drift.
func TestServeDefaultsAreLaunchDefaults(t *testing.T) {
	// Flags from the environment (POSEIDON_...) are not defaults.
	for _, kv := range os.Environ() {
		if k, v, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "POSEIDON_") {
			os.Unsetenv(k)
			t.Cleanup(func() { os.Setenv(k, v) })
		}
	}
	var c cli
	p, err := newParser(&c, kong.Writers(io.Discard, io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Parse([]string{"serve"}); err != nil {
		t.Fatal(err)
	}
	got := c.Serve.config()
	got.Version = ""
	if want := launch.DefaultConfig(); !reflect.DeepEqual(got, want) {
		t.Errorf("serve flag defaults\n%+v\nlaunch.DefaultConfig\n%+v", got, want)
	}
}
