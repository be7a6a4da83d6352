package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"
	"time"
)

// runCLI runs poseidon in-process with args and returns its stdout, stderr
// and error.
func runCLI(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := run(ctx, args, &stdout, &stderr)
	return stdout.String(), stderr.String(), err
}

func TestFormatVersion(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.0.0-20261204190932-37385bee57da+dirty"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "37385bee57da40eba8d40a2488e3cab91b9207e3"}, {Key: "vcs.modified", Value: "true"}, {Key: "vcs.time", Value: "2026-12-04T19:09:32Z"}}}
	for _, tc := range []struct {
		bi       *debug.BuildInfo
		override string
		want     string
	}{
		{bi, "", "poseidon v0.0.0-20261204190932-37385bee57da+dirty (revision 37385bee57da40eba8d40a2488e3cab91b9207e3, modified, committed 2026-12-04T19:09:32Z) go1.26.8"},
		{bi, "v1.2.3", "poseidon v1.2.3 (revision 37385bee57da40eba8d40a2488e3cab91b9207e3, modified, committed 2026-12-04T19:09:32Z) go1.26.8"},
		{&debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc"}, {Key: "vcs.modified", Value: "false"}}}, "", "poseidon (devel) (revision abc) go1.26.8"},
		{&debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}}, "", "poseidon (devel) (revision unknown) go1.26.8"},
		{nil, "", "poseidon (unknown) (revision unknown) unknown Go version"},
	} {
		if got := formatVersion(tc.bi, tc.override); got != tc.want {
			t.Errorf("formatVersion = %q, want %q", got, tc.want)
		}
	}
}

// TestVersionInProcess: "version" and "--version" print the same line, the
// test binary's own build info (a "go test" build is "(devel)").
func TestVersionInProcess(t *testing.T) {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		t.Fatal("no build info in the test binary")
	}
	want := formatVersion(bi, "")
	for _, args := range [][]string{{"version"}, {"--version"}} {
		out, _, err := runCLI(t, args...)
		if err != nil {
			t.Fatalf("poseidon %v: %v", args, err)
		}
		if strings.TrimSpace(out) != want {
			t.Errorf("poseidon %v = %q, want %q", args, out, want)
		}
		if strings.Contains(out, "dev ") || !strings.Contains(out, bi.GoVersion) {
			t.Errorf("poseidon %v = %q", args, out)
		}
	}
}

// TestVersionBinary builds poseidon with VCS stamping where the tree allows
// it (the machine's GOFLAGS may say -buildvcs=false, and Go records nothing
// from a git worktree, whose .git is a file) and checks that "version" and
// "--version" print what the binary's build info holds: the module version,
// the revision (that of git's HEAD when there is one), whether the tree was
// modified, the Go version.
func TestVersionBinary(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "poseidon")
	if out, err := exec.Command("go", "build", "-buildvcs=auto", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	meta, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	settings := map[string]string{}
	var modVersion string
	for _, line := range strings.Split(string(meta), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 3 && f[0] == "mod":
			modVersion = f[2]
		case len(f) >= 2 && f[0] == "build":
			k, v, _ := strings.Cut(f[1], "=")
			settings[k] = v
		}
	}
	var first string
	for _, arg := range []string{"version", "--version"} {
		out, err := exec.Command(bin, arg).Output()
		if err != nil {
			t.Fatalf("poseidon %s: %v", arg, err)
		}
		got := strings.TrimSpace(string(out))
		if first == "" {
			first = got
		} else if got != first {
			t.Errorf("poseidon --version = %q, poseidon version = %q", got, first)
		}
		if !strings.HasPrefix(got, "poseidon "+modVersion+" (") {
			t.Errorf("poseidon %s = %q, want the module version %q", arg, got, modVersion)
		}
		rev := settings["vcs.revision"]
		switch {
		case rev == "":
			goflags, _ := exec.Command("go", "env", "GOFLAGS").Output()
			t.Logf("binary built without VCS information (a git worktree, no git, or GOFLAGS=%q); only the module and Go versions are checked", strings.TrimSpace(string(goflags)))
			if !strings.Contains(got, "(revision unknown)") {
				t.Errorf("poseidon %s = %q, want revision unknown", arg, got)
			}
		default:
			if !strings.Contains(got, "revision "+rev) {
				t.Errorf("poseidon %s = %q, want revision %s", arg, got, rev)
			}
			if head, err := exec.Command("git", "rev-parse", "HEAD").Output(); err == nil && strings.TrimSpace(string(head)) != rev {
				t.Errorf("binary revision %s, git HEAD %s", rev, head)
			}
			if modified := settings["vcs.modified"] == "true"; modified != strings.Contains(got, ", modified") {
				t.Errorf("poseidon %s = %q, vcs.modified=%s", arg, got, settings["vcs.modified"])
			}
		}
	}
}

// TestUsageWithoutArguments: "poseidon" alone prints the usage with the
// command list and exits 0, as --help does.
func TestUsageWithoutArguments(t *testing.T) {
	out, _, err := runCLI(t)
	if err != nil {
		t.Fatalf("poseidon: %v", err)
	}
	for _, want := range []string{"Usage: poseidon <command>", "serve", "seed", "health", "version", "--version"} {
		if !strings.Contains(out, want) {
			t.Errorf("usage lacks %q:\n%s", want, out)
		}
	}
	cmd := exec.Command(binary(t))
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("poseidon binary without arguments: %v", err)
	}
	if !strings.Contains(string(b), "Commands:") {
		t.Errorf("binary usage:\n%s", b)
	}
}

// TestServeAddrInUseSaysWhatToDo: a taken port is refused with the way out
// (another --addr, or stop what listens there).
func TestServeAddrInUseSaysWhatToDo(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, _, err = runCLI(t, "serve", "--ephemeral", "--addr", ln.Addr().String())
	if err == nil || !strings.Contains(err.Error(), "address already in use") || !strings.Contains(err.Error(), "--addr 127.0.0.1:0") {
		t.Errorf("serve on a taken port: %v, want the bind error and the way to another port", err)
	}
}

// TestDataMemoryPointsToEphemeral: SQLite's ":memory:" as --data is refused
// with the way to get a store that goes away (--ephemeral), and leaves no
// folder named ":memory:" behind.
func TestDataMemoryPointsToEphemeral(t *testing.T) {
	t.Chdir(t.TempDir())
	_, _, err := runCLI(t, "serve", "--data", ":memory:", "--addr", "127.0.0.1:0")
	if err == nil || !strings.Contains(err.Error(), "--ephemeral") {
		t.Errorf("serve --data :memory:: %v, want a refusal pointing to --ephemeral", err)
	}
	if _, err := os.Stat(":memory:"); !os.IsNotExist(err) {
		t.Errorf("serve --data :memory: left a folder named :memory: (%v)", err)
	}
}

func TestEphemeralRefusesDataAndDatabase(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "--ephemeral", "--data", t.TempDir()},
		{"serve", "--ephemeral", "--database-url", "postgres://127.0.0.1:1/none"},
	} {
		_, _, err := runCLI(t, args...)
		if err == nil || !strings.Contains(err.Error(), "--ephemeral") || !strings.Contains(err.Error(), args[2]) {
			t.Errorf("poseidon %v: %v, want a refusal naming --ephemeral and %s", args, err, args[2])
		}
	}
	t.Setenv("POSEIDON_DATA", t.TempDir())
	if _, _, err := runCLI(t, "serve", "--ephemeral"); err == nil || !strings.Contains(err.Error(), "POSEIDON_DATA") {
		t.Errorf("--ephemeral with POSEIDON_DATA: %v", err)
	}
}

// startEphemeral runs the binary with serve --ephemeral on a free port and
// returns the process, its URL and its data directory.
func startEphemeral(t *testing.T) (*exec.Cmd, string, string) {
	t.Helper()
	cmd := exec.Command(binary(t), "serve", "--ephemeral", "--addr", "127.0.0.1:0", "--log-level", "warn")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "POSEIDON_DATA=") && !strings.HasPrefix(kv, "POSEIDON_DATABASE_URL=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("binary did not start: %v", err)
	}
	go io.Copy(io.Discard, stdout)
	_, dir, ok := strings.Cut(strings.TrimSpace(line), "ephemeral data ")
	if !ok || !strings.HasSuffix(dir, ")") {
		t.Fatalf("first line %q names no ephemeral data directory", line)
	}
	dir = strings.TrimSuffix(dir, ")")
	url := listenURL(t, line)
	waitHealthy(t, url)
	return cmd, url, dir
}

func TestEphemeralRemovedAtExit(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd, url, dir := startEphemeral(t)
			if st, err := os.Stat(filepath.Join(dir, "poseidon.db")); err != nil || st.Size() == 0 {
				t.Fatalf("ephemeral store %s: %v", dir, err)
			}
			if _, err := client(t, url, "", "").DescribeExportTasks(nil); err != nil {
				t.Fatalf("DescribeExportTasks on the ephemeral server: %v", err)
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			if err := cmd.Wait(); err != nil {
				t.Fatalf("exit after %v: %v", sig, err)
			}
			if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("ephemeral directory %s after %v: %v, want it removed", dir, sig, err)
			}
		})
	}
}

// TestHealthCommand runs the binary's health subcommand (its exit status is
// what a container health check sees) against a running server and a closed
// port.
func TestHealthCommand(t *testing.T) {
	s := startServer(t, "")
	health := func(env []string, args ...string) (int, string) {
		cmd := exec.Command(binary(t), append([]string{"health"}, args...)...)
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode(), string(out)
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0, string(out)
	}
	if code, out := health(nil, "--url", s.URL); code != 0 || !strings.Contains(out, "200") {
		t.Errorf("health --url %s: exit %d %q, want 0", s.URL, code, out)
	}
	if code, out := health([]string{"POSEIDON_URL=" + s.URL}); code != 0 {
		t.Errorf("health with POSEIDON_URL: exit %d %q, want 0", code, out)
	}
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(s.URL, "http://"))
	if code, out := health([]string{"POSEIDON_URL=", "POSEIDON_ADDR=0.0.0.0:" + port}); code != 0 {
		t.Errorf("health with POSEIDON_ADDR=0.0.0.0:%s: exit %d %q, want 0", port, code, out)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	if code, out := health(nil, "--url", closed); code != 1 || !strings.Contains(out, "unhealthy") {
		t.Errorf("health against the closed port %s: exit %d %q, want 1", closed, code, out)
	}
	// A listener that never answers: the timeout ends the check.
	hang, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer hang.Close()
	if code, out := health(nil, "--url", "http://"+hang.Addr().String(), "--timeout", "200ms"); code != 1 || !strings.Contains(out, "unhealthy") {
		t.Errorf("health against a silent listener: exit %d %q, want 1", code, out)
	}
	// Not 200 (a route that is not the health check's answers 404).
	if code, out := health(nil, "--url", s.URL+"/nothing"); code != 1 || !strings.Contains(out, "404") {
		t.Errorf("health against a 404: exit %d %q, want 1", code, out)
	}
}
