// Command loadgen is the load generator of bench/perf.sh (issue 14): it
// signs every request with SigV4 as aws-sdk-go v1 does, runs for a bounded
// time over N keep-alive connections, and prints requests/s, p50, p99, the
// status and error counts and the server's RSS, as a human line and a JSON
// line.
//
//	loadgen creds -n 8 > credentials.json      strict-mode identities
//	loadgen load  -url U -target T -body JSON [-service discovery -region us-west-2 -id 0] [-conns 8 -duration 8s -pid P -label L]
//	loadgen capture -url U -target T -body JSON -out resp.json
//	loadgen bare -addr 127.0.0.1:0 -response resp.json
//	loadgen seed-exports -url U -n 1000        StartExportTask ×n (server with --no-limits), wait until done
//	loadgen seed-moto -url U -n 1000           S3 bucket, log group, CreateExportTask ×n on moto
//	loadgen mixed -url U -n 8 -clients 64 [-duration 10s -pid P -label L]
//	loadgen startup [-runs 5 -warm 1 -path /_poseidon/health -label L -fresh-schema URL -ref NAME=MS] -- CMD ARGS...   ({port}, {dir}, {db} substituted)
//	loadgen doc -results results.jsonl -logs DIR -out docs/performance.md [-stores "sqlite postgres" -elapsed S -loadavg L -commit C -settings S]
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: loadgen creds|load|capture|bare|seed-exports|seed-moto|mixed|startup|doc [flags]")
	}
	cmd, args := args[0], args[1:]
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	var lf loadFlags
	id := fs.Int("id", 0, "identity (of loadgen creds) that signs")
	addReq := func() {
		fs.StringVar(&lf.url, "url", "", "endpoint")
		fs.StringVar(&lf.target, "target", adsPrefix+"DescribeExportTasks", "X-Amz-Target")
		fs.StringVar(&lf.body, "body", `{"maxResults":10}`, "request body")
		fs.StringVar(&lf.service, "service", "discovery", "SigV4 signing name")
		fs.StringVar(&lf.region, "region", "us-west-2", "SigV4 region")
		fs.StringVar(&lf.key, "key", "", "access key ID (default: identity -id)")
		fs.StringVar(&lf.secret, "secret", "", "secret key (default: identity -id)")
	}
	conns, n := new(int), new(int)
	if cmd == "mixed" {
		fs.IntVar(conns, "clients", 64, "clients")
		fs.IntVar(n, "n", 8, "identities (accounts) the clients are spread over")
	} else {
		fs.IntVar(conns, "conns", 8, "connections (clients)")
		if cmd == "creds" {
			fs.IntVar(n, "n", 8, "identities")
		} else {
			fs.IntVar(n, "n", 1000, "count")
		}
	}
	dur := fs.Duration("duration", 8*time.Second, "measured time")
	warm := fs.Duration("warmup", time.Second, "unmeasured time before")
	pid := fs.Int("pid", 0, "server process whose RSS to read")
	label := fs.String("label", cmd, "name of the figure")
	out := fs.String("out", "", "output file")
	fill := func() {
		if lf.key == "" {
			ids := identities(*id + 1)
			lf.key, lf.secret = ids[*id].Key, ids[*id].Secret
		}
	}
	switch cmd {
	case "creds":
		if err := fs.Parse(args); err != nil {
			return err
		}
		b, err := json.Marshal(map[string]any{"identities": identities(*n)})
		if err != nil {
			return err
		}
		_, err = fmt.Printf("%s\n", b)
		return err
	case "load":
		addReq()
		if err := fs.Parse(args); err != nil {
			return err
		}
		fill()
		r, err := loadRun(ctx, lf, *conns, *warm, *dur, *pid, *label)
		if err != nil {
			return err
		}
		r.print(os.Stdout)
		return nil
	case "capture":
		addReq()
		if err := fs.Parse(args); err != nil {
			return err
		}
		fill()
		return capture(ctx, lf, *out)
	case "bare":
		addr := fs.String("addr", "127.0.0.1:0", "listen address")
		resp := fs.String("response", "", "captured response (loadgen capture)")
		if err := fs.Parse(args); err != nil {
			return err
		}
		return serveBare(ctx, *addr, *resp)
	case "seed-exports":
		addReq()
		wait := fs.Duration("wait", 10*time.Minute, "longest wait for the exports to finish")
		if err := fs.Parse(args); err != nil {
			return err
		}
		fill()
		return seedExports(ctx, newClient(newHTTPClient(*conns), lf.url, lf.key, lf.secret, lf.service, lf.region), *n, *conns, *wait)
	case "seed-moto":
		addReq()
		if err := fs.Parse(args); err != nil {
			return err
		}
		return seedMoto(ctx, lf.url, *n, *conns)
	case "mixed":
		addReq()
		if err := fs.Parse(args); err != nil {
			return err
		}
		r, err := mixedRun(ctx, lf.url, identities(*n), *conns, *warm, *dur, *pid, *label, lf.region)
		if err != nil {
			return err
		}
		r.print(os.Stdout)
		return nil
	case "startup":
		runs := fs.Int("runs", 5, "measured starts")
		warmRuns := fs.Int("warm", 1, "starts before, not measured")
		path := fs.String("path", "/_poseidon/health", "GET path that must answer 200")
		freshSchema := fs.String("fresh-schema", "", "PostgreSQL URL: {db} is it with a new empty schema for every start, dropped after")
		ref := fs.String("ref", "", "NAME=MS: a reference median (e.g. moto's) to give the ratio against")
		if err := fs.Parse(args); err != nil {
			return err
		}
		if fs.NArg() == 0 || *runs < 1 {
			return fmt.Errorf("usage: loadgen startup [flags] -- CMD ARGS...")
		}
		r, err := startupRun(ctx, startup{argv: fs.Args(), path: *path, freshSchema: *freshSchema}, *runs, *warmRuns, *label)
		if err != nil {
			return err
		}
		if err := r.setRef(*ref); err != nil {
			return err
		}
		r.print(os.Stdout)
		return nil
	case "doc":
		results := fs.String("results", "", "JSON lines of the results")
		logs := fs.String("logs", "", "directory of the scenario logs (scale.log, export.log, startup.log, commands.txt)")
		stores, elapsed, loadavg, commit, settings := docFlags(fs)
		exports := fs.Int("exports", 1000, "export tasks of scenarios 1 and 2")
		if err := fs.Parse(args); err != nil {
			return err
		}
		res, err := readResults(*results)
		if err != nil {
			return err
		}
		secs, _ := strconv.Atoi(*elapsed)
		section := buildDoc(docInput{results: res, logs: *logs, stores: strings.Fields(*stores),
			elapsed: fmt.Sprintf("%d min %d s", secs/60, secs%60), loadavg: *loadavg, commit: *commit, settings: *settings, exports: *exports})
		if *out == "-" || *out == "" {
			_, err := fmt.Print(section)
			return err
		}
		doc, err := os.ReadFile(*out)
		if err != nil {
			return err
		}
		return os.WriteFile(*out, []byte(spliceDoc(string(doc), section)), 0o644)
	}
	return fmt.Errorf("unknown command %q", cmd)
}
