package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/alecthomas/kong"
	"github.com/posener/complete"
	"github.com/willabides/kongplete"
)

// completionCmd prints the shell code that completes poseidon's commands and
// flags: the shell runs the poseidon binary itself with COMP_LINE set, and
// run answers with kongplete (completeArgs).
type completionCmd struct {
	Shell string `arg:"" enum:"bash,zsh,fish" help:"Shell: bash, zsh or fish."`
}

// completionScripts are kongplete's install fragments: ${bin} is the
// binary's absolute path, ${cmd} the command's name.
var completionScripts = map[string]string{
	"bash": "complete -C ${bin} ${cmd}\n",
	"zsh":  "autoload -U +X bashcompinit && bashcompinit\ncomplete -C ${bin} ${cmd}\n",
	"fish": `function __complete_${cmd}
    set -lx COMP_LINE (commandline -cp)
    test -z (commandline -ct)
    and set COMP_LINE "$COMP_LINE "
    ${bin}
end
complete -f -c ${cmd} -a "(__complete_${cmd})"
`,
}

func (c *completionCmd) Run(stdout io.Writer, kctx *kong.Context) error {
	bin, err := os.Executable()
	if err == nil {
		bin, err = filepath.Abs(bin)
	}
	if err != nil {
		return fmt.Errorf("completion: the path of this binary: %w", err)
	}
	if strings.ContainsAny(bin, " \t\n'\"$`\\") {
		return fmt.Errorf("completion: the path of this binary, %q, has characters the shell would split or expand: install poseidon in a plainer directory", bin)
	}
	vars := map[string]string{"cmd": kctx.Model.Name, "bin": bin}
	_, err = fmt.Fprint(stdout, os.Expand(completionScripts[c.Shell], func(k string) string {
		if v, ok := vars[k]; ok {
			return v
		}
		return "$" + k
	}))
	return err
}

// completeArgs answers a shell's completion request (COMP_LINE set) for
// parser and calls exit; without one it does nothing.
func completeArgs(parser *kong.Kong, exit func(int)) {
	kongplete.Complete(parser,
		kongplete.WithPredictor("file", complete.PredictFiles("*")),
		kongplete.WithPredictor("dir", complete.PredictDirs("*")),
		kongplete.WithExitFunc(exit),
		kongplete.WithErrorHandler(func(err error) { fmt.Fprintln(parser.Stderr, "poseidon: completion:", err) }))
}
