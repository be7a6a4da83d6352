package main

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/credentials"
	v4 "github.com/aws/aws-sdk-go/aws/signer/v4"
	ads "github.com/aws/aws-sdk-go/service/applicationdiscoveryservice"
	"github.com/poseidon-ads/poseidon/internal/agentdata"
)

// A request sent whole runs to its end even if its client hangs up at once
// (internal/server runToEnd): a batch of 1,000 reports whose agent closes
// the connection right after the last byte is stored whole, once. Without
// it, the hang-up cancels the request's context: the store's reads fail or
// the batch's statements are interrupted (on SQLite, with every other write
// committed in the same group), and nothing of the batch is stored.
func TestIntakeOutlivesClientHangup(t *testing.T) {
	s := startServer(t, "")
	const agents, steps = 50, 20
	var rs []agentdata.Report
	for n := 1; n <= agents; n++ {
		for step := range steps {
			rs = append(rs, agentReport(n, step))
		}
	}
	body, err := json.Marshal(agentdata.Batch{Reports: rs})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/_poseidon/intake", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if _, err := v4.NewSigner(credentials.NewStaticCredentials(acctA, "x", "")).Sign(req, bytes.NewReader(body), "discovery", region, time.Now()); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(s.URL)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	if err := req.Write(conn); err != nil {
		t.Fatal(err)
	}
	conn.Close() // hang up without waiting for the answer

	c := client(t, s.URL, acctA, "x")
	var seen int
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		seen = 0
		err := c.DescribeAgentsPages(&ads.DescribeAgentsInput{MaxResults: aws.Int64(100)}, func(p *ads.DescribeAgentsOutput, _ bool) bool {
			seen += len(p.AgentsInfo)
			return true
		})
		if err != nil {
			t.Fatal(err)
		}
		if seen == agents {
			break
		}
	}
	if seen != agents {
		t.Fatalf("after the agent hung up, DescribeAgents shows %d of the batch's %d agents", seen, agents)
	}
	// The whole batch is in, once: sent again, every report is a duplicate.
	out := takeInReports(t, s.URL, acctA, "x", rs...)
	if out["accepted"] != float64(0) || out["duplicates"] != float64(len(rs)) {
		t.Fatalf("the batch sent again: %v; want 0 accepted and %d duplicates", out, len(rs))
	}
}
