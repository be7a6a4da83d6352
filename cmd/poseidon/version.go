package main

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
)

// version, when set at build time with -ldflags "-X main.version=...",
// replaces the module version of the build info.
var version string

type versionCmd struct{}

func (versionCmd) Run(ctx context.Context, stdout io.Writer) error {
	fmt.Fprintln(stdout, versionString())
	return nil
}

// versionString is the one line "poseidon version" and "poseidon --version"
// print, from the binary's build info.
func versionString() string {
	bi, _ := debug.ReadBuildInfo()
	return formatVersion(bi, version)
}

// formatVersion is the version line of bi: the module version (override,
// if set, instead), the VCS revision, whether the tree was modified, the
// commit time, and the Go version. What the build info lacks is said to be
// unknown rather than made up: a "go run" or "go test" build has module
// version "(devel)", and a build outside a repository (or with
// -buildvcs=false) has no revision.
func formatVersion(bi *debug.BuildInfo, override string) string {
	v, goVersion := "(unknown)", "unknown Go version"
	var rev, modified, when string
	if bi != nil {
		v, goVersion = bi.Main.Version, bi.GoVersion
		if v == "" {
			v = "(devel)"
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value
			case "vcs.time":
				when = s.Value
			}
		}
	}
	if override != "" {
		v = override
	}
	vcs := []string{"revision unknown"}
	if rev != "" {
		vcs = []string{"revision " + rev}
		if modified == "true" {
			vcs = append(vcs, "modified")
		}
		if when != "" {
			vcs = append(vcs, "committed "+when)
		}
	}
	return fmt.Sprintf("poseidon %s (%s) %s", v, strings.Join(vcs, ", "), goVersion)
}
