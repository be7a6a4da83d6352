// Command poseidon is a wire-compatible emulator of AWS Application Discovery
// Service. "poseidon serve" runs the server.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/alecthomas/kong"
)

type cli struct {
	VersionFlag kong.VersionFlag `name:"version" help:"Print the version and exit."`

	Serve   serveCmd   `cmd:"" help:"Run the ADS endpoint, the export workers and the control API."`
	Seed    seedCmd    `cmd:"" help:"Fill a running server with a simulated fleet of discovery agents, through its intake endpoint."`
	Health  healthCmd  `cmd:"" help:"Exit 0 if a running server answers its health check, 1 otherwise (for container health checks)."`
	Version versionCmd `cmd:"" help:"Print the version: module version, VCS revision, Go version."`

	Export   exportCmd   `cmd:"" help:"Run an export through the ADS API (StartExportTask), wait for it, download and unzip it."`
	Status   statusCmd   `cmd:"" help:"Show a running server's health, every account's counts and the job queue (with the control token), and the caller's servers, agents and exports."`
	Snapshot snapshotCmd `cmd:"" help:"Save a store to a file, or load one into a data directory (SQLite)."`

	Completion completionCmd `cmd:"" help:"Print the shell code completing poseidon's commands and flags: eval \"$(poseidon completion bash)\" (in ~/.bashrc), zsh and fish alike."`
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "poseidon:", err)
		os.Exit(1)
	}
}

// run parses args and runs the chosen command until it ends or ctx is done.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c cli
	exit := -1
	if len(args) == 0 {
		// Alone, poseidon prints its usage and exits 0, as --help does.
		args = []string{"--help"}
	}
	parser, err := newParser(&c,
		kong.Name("poseidon"),
		kong.Vars{"version": versionString()},
		kong.Description("A wire-compatible emulator of AWS Application Discovery Service."),
		kong.UsageOnError(),
		kong.Writers(stdout, stderr),
		kong.Exit(func(code int) { exit = code; panic(exitPanic{}) }),
		kong.BindTo(ctx, (*context.Context)(nil)),
		kong.BindTo(stdout, (*io.Writer)(nil)),
	)
	if err != nil {
		return err
	}
	var kctx *kong.Context
	func() {
		defer func() {
			if v := recover(); v != nil {
				if _, ok := v.(exitPanic); !ok {
					panic(v)
				}
			}
		}()
		if os.Getenv("COMP_LINE") != "" {
			completeArgs(parser, parser.Exit)
		}
		kctx, err = parser.Parse(args)
	}()
	if exit >= 0 {
		if exit == 0 {
			return nil
		}
		return fmt.Errorf("exit %d", exit)
	}
	if err != nil {
		return err
	}
	return kctx.Run(&globals{stderr: stderr})
}

type exitPanic struct{}

// newParser is the command-line parser of c with opts: every parser of the
// commands needs the variables their flag defaults name (limitDefaults).
func newParser(c *cli, opts ...kong.Option) (*kong.Kong, error) {
	return kong.New(c, append([]kong.Option{limitDefaults}, opts...)...)
}

type globals struct {
	stderr io.Writer
}
