package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestCompletionInProcess: with COMP_LINE set, as a shell's "complete -C"
// runs it, poseidon prints the completions of the line's last word and
// exits 0.
func TestCompletionInProcess(t *testing.T) {
	for line, want := range map[string][]string{
		"poseidon sn":            {"snapshot"},
		"poseidon snapshot ":     {"load", "save"},
		"poseidon export --endp": {"--endpoint-url"},
		"poseidon completion ":   {"bash", "fish", "zsh"},
	} {
		t.Setenv("COMP_LINE", line)
		t.Setenv("COMP_POINT", "")
		out, stderr, err := runCLI(t)
		if err != nil {
			t.Fatalf("completion of %q: %v %s", line, err, stderr)
		}
		got := strings.Fields(out)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("completion of %q = %v, want %v", line, got, want)
		}
	}
}

// TestCompletionBash evaluates the script "poseidon completion bash" prints
// in bash, checks that it registers the binary as poseidon's completer, and
// runs that completer as bash's programmable completion does (bash's
// compgen -C would set COMP_LINE to its own line) for a few lines.
func TestCompletionBash(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash on this machine")
	}
	bin := binary(t)
	script := `set -e
eval "$("$BIN" completion bash)"
spec=$(complete -p poseidon)
cmd=${spec#complete -C }
cmd=${cmd% poseidon}
unquoted=${cmd#\'}
unquoted=${unquoted%\'}
[ "$unquoted" = "$BIN" ] || { echo "completion spec: $spec" >&2; exit 1; }
# As programmable completion runs a -C command: COMP_LINE, COMP_POINT,
# COMP_TYPE and COMP_KEY set, the command's name, the word being completed
# and the word before it as arguments; each output line is a completion.
export COMP_LINE="$LINE" COMP_POINT=${#LINE} COMP_TYPE=9 COMP_KEY=9
eval "$cmd poseidon \"\$WORD\" \"\$PREV\""
`
	for _, tc := range []struct {
		line, word, prev string
		want             []string
	}{
		{"poseidon s", "s", "poseidon", []string{"seed", "serve", "snapshot", "status"}},
		{"poseidon snapshot l", "l", "snapshot", []string{"load"}},
		{"poseidon status --pro", "--pro", "status", []string{"--profile"}},
	} {
		cmd := exec.Command(bash, "--norc", "--noprofile", "-c", script)
		cmd.Env = append(cmd.Environ(), "BIN="+bin, "LINE="+tc.line, "WORD="+tc.word, "PREV="+tc.prev)
		out, err := cmd.Output()
		if err != nil {
			var stderr string
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = string(ee.Stderr)
			}
			t.Fatalf("bash completion of %q: %v %s", tc.line, err, stderr)
		}
		got := strings.Fields(string(out))
		slices.Sort(got)
		if !slices.Equal(got, tc.want) {
			t.Errorf("bash completes %q to %v, want %v", tc.line, got, tc.want)
		}
	}
	for _, sh := range []string{"zsh", "fish"} {
		out, err := exec.Command(bin, "completion", sh).Output()
		if err != nil || !strings.Contains(string(out), bin) {
			t.Errorf("completion %s: %v %q", sh, err, out)
		}
	}
}
