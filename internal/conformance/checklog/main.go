// Command checklog checks logged API responses against the service models.
//
// Usage: go run ./internal/conformance/checklog [-min N] FILE
//
// FILE holds one JSON object per line, as tests/python/harness.py and
// tests/python/aws_logged.py write them when POSEIDON_CONFORMANCE_LOG is set:
// {"client": "boto3" or "aws-cli", "service": "discovery" or
// "migrationhub-config", "operation": "DescribeAgents", "status": 200,
// "body": "<raw response body>"} ("body_base64" instead of "body" for a body
// that is not UTF-8; "client" is optional). Every line is checked with conformance.CheckService.
// It prints "N responses checked, M non-conforming" and each violation, and
// exits 1 if any response does not conform, a line cannot be read, or fewer
// than -min responses were logged.
package main

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/poseidon-ads/poseidon/internal/conformance"
)

type entry struct {
	Client     string  `json:"client"`
	Service    string  `json:"service"`
	Operation  string  `json:"operation"`
	Status     int     `json:"status"`
	Body       *string `json:"body"`
	BodyBase64 *string `json:"body_base64"`
}

func main() {
	min := flag.Int("min", 0, "fail unless at least this many responses were logged")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: checklog [-min N] FILE")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	f, err := os.Open(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, "checklog:", err)
		os.Exit(1)
	}
	defer f.Close()
	os.Exit(run(f, os.Stdout, *min))
}

// run checks every line of r, reports to w, and returns the exit status.
func run(r io.Reader, w io.Writer, min int) int {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<20), 256<<20)
	var (
		total, bad, broken int
		perService         = map[string][2]int{}
		perClient          = map[string]int{}
	)
	line := 0
	for sc.Scan() {
		line++
		if len(sc.Bytes()) == 0 {
			continue
		}
		var e entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			fmt.Fprintf(w, "line %d: not a log entry: %v\n", line, err)
			broken++
			continue
		}
		var body []byte
		switch {
		case e.Body != nil:
			body = []byte(*e.Body)
		case e.BodyBase64 != nil:
			b, err := base64.StdEncoding.DecodeString(*e.BodyBase64)
			if err != nil {
				fmt.Fprintf(w, "line %d: body_base64: %v\n", line, err)
				broken++
				continue
			}
			body = b
		default:
			fmt.Fprintf(w, "line %d: no body\n", line)
			broken++
			continue
		}
		v, err := conformance.CheckService(e.Service, e.Operation, e.Status, body)
		if err != nil {
			fmt.Fprintf(w, "line %d: %v\n", line, err)
			broken++
			continue
		}
		total++
		c := perService[e.Service]
		c[0]++
		if len(v) > 0 {
			bad++
			c[1]++
			for _, s := range v {
				fmt.Fprintf(w, "line %d: %s %s (HTTP %d): %s\n", line, e.Service, e.Operation, e.Status, s)
			}
		}
		perService[e.Service] = c
		if e.Client != "" {
			perClient[e.Client]++
		}
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintf(w, "line %d: %v\n", line+1, err)
		broken++
	}
	services := make([]string, 0, len(perService))
	for s := range perService {
		services = append(services, s)
	}
	sort.Strings(services)
	for _, s := range services {
		fmt.Fprintf(w, "  %s: %d responses checked, %d non-conforming\n", s, perService[s][0], perService[s][1])
	}
	clients := make([]string, 0, len(perClient))
	for c := range perClient {
		clients = append(clients, c)
	}
	sort.Strings(clients)
	for _, c := range clients {
		fmt.Fprintf(w, "  received by %s: %d\n", c, perClient[c])
	}
	fmt.Fprintf(w, "%d responses checked, %d non-conforming\n", total, bad)
	switch {
	case bad > 0:
		return 1
	case broken > 0:
		fmt.Fprintf(w, "%d log lines could not be checked\n", broken)
		return 1
	case total < min:
		fmt.Fprintf(w, "fewer responses than -min %d: is response logging working?\n", min)
		return 1
	}
	return 0
}
