package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/poseidon-ads/poseidon/internal/agentdata"
)

// The mixed workload (scenario 3): clients, spread over the identities'
// accounts, each send in turn a random request: writes (CreateTags on one
// of the account's servers, StartExportTask of the summary, an intake batch
// of 5 reports for each of the client's two agents) and reads
// (DescribeExportTasks, ListConfigurations, DescribeTags, DescribeAgents,
// pages of 10). A write counts as acknowledged when it is answered 200.

const (
	mixedAgentsPerClient = 2
	mixedReportsPerAgent = 5
)

// mixedWeights: percentages of each request kind, in this order.
var mixedWeights = []struct {
	op    string
	write bool
	pct   int
}{
	{"CreateTags", true, 20},
	{"StartExportTask", true, 10},
	{"intake", true, 20},
	{"DescribeExportTasks", false, 20},
	{"ListConfigurations", false, 10},
	{"DescribeTags", false, 10},
	{"DescribeAgents", false, 10},
}

// pickOp maps w in [0, 100) to an index of mixedWeights.
func pickOp(w int) int {
	for i, x := range mixedWeights {
		if w < x.pct {
			return i
		}
		w -= x.pct
	}
	return len(mixedWeights) - 1
}

type mixedClient struct {
	n      int
	c      *client // ADS API (signing name discovery)
	agents []int
	next   []int
	base   time.Time
}

func agentID(n int) string { return fmt.Sprintf("o-%017x", 0xbe0000+n) }

// batch is the next intake batch of the client's agents.
func (m *mixedClient) batch(per int) *agentdata.Batch {
	b := &agentdata.Batch{}
	for i, n := range m.agents {
		for range per {
			k := m.next[i]
			m.next[i]++
			ip := fmt.Sprintf("10.88.%d.%d", n/250, n%250+1)
			b.Reports = append(b.Reports, agentdata.Report{
				ReportID:  fmt.Sprintf("%s-%d", agentID(n), k),
				AgentID:   agentID(n),
				Timestamp: float64(m.base.Add(time.Duration(k) * time.Second).Unix()),
				Agent:     agentdata.AgentInfo{Version: "2.0.1500.0"},
				Server: agentdata.ServerInfo{HostName: fmt.Sprintf("bench-host-%d", n), OSName: "Linux", OSVersion: "6.1",
					NumCPUs: 2, TotalRAMMB: 4096, TotalDiskGB: 40},
				NetworkInterfaces: []agentdata.NetworkInterface{{Name: "eth0", IPAddress: ip,
					MACAddress: fmt.Sprintf("02:88:00:00:%02x:%02x", n/250, n%250+1), NetMask: "255.255.255.0"}},
				Performance: &agentdata.Performance{CPUUsagePct: float64(k % 100), FreeRAMMB: 1024 + float64(k%512), DiskFreeGB: 20,
					DiskReadKBps: 10, DiskWriteKBps: 5, NetworkReadKBps: 3, NetworkWriteKBps: 2},
				Processes: []agentdata.Process{{PID: 100, Name: "sshd", Path: "/usr/sbin/sshd", CommandLine: "/usr/sbin/sshd -D"}},
				Connections: []agentdata.Connection{{Direction: "outbound", SourceIP: ip, SourcePort: 40000 + k%20000,
					DestinationIP: "198.18.0.1", DestinationPort: 443}},
			})
		}
	}
	return b
}

// intake posts an intake batch, signed as the agents' identity.
func (m *mixedClient) intake(ctx context.Context, b *agentdata.Batch) (answer, error) {
	body, err := json.Marshal(b)
	if err != nil {
		return answer{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.c.url+"/_poseidon/intake", bytes.NewReader(body))
	if err != nil {
		return answer{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	return m.c.send(req, body)
}

// servers lists the account's server configuration IDs.
func servers(ctx context.Context, c *client) ([]string, error) {
	var ids []string
	in := map[string]any{"configurationType": "SERVER", "maxResults": 100}
	for {
		a, err := c.call(ctx, adsPrefix+"ListConfigurations", in)
		if err != nil {
			return nil, err
		}
		if a.status != http.StatusOK {
			return nil, fmt.Errorf("ListConfigurations: %d %s: %.200s", a.status, a.code, a.body)
		}
		var out struct {
			Configurations []map[string]string `json:"configurations"`
			NextToken      string              `json:"nextToken"`
		}
		if err := json.Unmarshal(a.body, &out); err != nil {
			return nil, err
		}
		for _, m := range out.Configurations {
			ids = append(ids, m["server.configurationId"])
		}
		if out.NextToken == "" {
			return ids, nil
		}
		in["nextToken"] = out.NextToken
	}
}

// mixedRun runs the mixed workload for warm+dur and measures after warm.
func mixedRun(ctx context.Context, url string, ids []identity, clients int, warm, dur time.Duration, pid int, label, region string) (*Result, error) {
	hc := newHTTPClient(clients)
	base := time.Now().Add(-48 * time.Hour).Truncate(time.Second)
	mcs := make([]*mixedClient, clients)
	for i := range mcs {
		id := ids[i%len(ids)]
		m := &mixedClient{n: i, c: newClient(hc, url, id.Key, id.Secret, "discovery", region), base: base}
		for j := range mixedAgentsPerClient {
			m.agents = append(m.agents, i*mixedAgentsPerClient+j)
			m.next = append(m.next, 0)
		}
		mcs[i] = m
	}
	// Seed: one report per agent, so that every account has servers to tag.
	for _, m := range mcs {
		a, err := m.intake(ctx, m.batch(1))
		if err != nil {
			return nil, fmt.Errorf("seed intake: %w", err)
		}
		if a.status != http.StatusOK {
			return nil, fmt.Errorf("seed intake: %d %s: %.300s", a.status, a.code, a.body)
		}
	}
	targets := make([][]string, len(ids))
	for i := range min(len(ids), clients) {
		s, err := servers(ctx, mcs[i].c)
		if err != nil {
			return nil, err
		}
		if len(s) == 0 {
			return nil, fmt.Errorf("account %s has no servers after the seed", ids[i].Account)
		}
		targets[i] = s
	}

	start := time.Now()
	measureFrom, end := start.Add(warm), start.Add(warm+dur)
	recs := make([]*recorder, clients)
	var wg sync.WaitGroup
	for i, m := range mcs {
		recs[i] = newRecorder()
		rng := rand.New(rand.NewPCG(uint64(i), uint64(start.UnixNano())))
		tags := targets[i%len(ids)]
		wg.Go(func() {
			rec := recs[i]
			var pending *agentdata.Batch
			for {
				now := time.Now()
				if !now.Before(end) {
					return
				}
				k := pickOp(rng.IntN(100))
				var a answer
				var err error
				switch op := mixedWeights[k].op; op {
				case "CreateTags":
					a, err = m.c.call(ctx, adsPrefix+op, map[string]any{
						"configurationIds": []string{tags[rng.IntN(len(tags))]},
						"tags":             []map[string]string{{"key": fmt.Sprintf("k%d", rng.IntN(8)), "value": fmt.Sprintf("v%d", rng.IntN(1000))}}})
				case "StartExportTask":
					a, err = m.c.call(ctx, adsPrefix+op, map[string]any{})
				case "intake":
					if pending == nil {
						pending = m.batch(mixedReportsPerAgent)
					}
					a, err = m.intake(ctx, pending)
					if err == nil && a.status == http.StatusOK {
						pending = nil
					}
				case "DescribeExportTasks":
					a, err = m.c.call(ctx, adsPrefix+op, map[string]any{"maxResults": 10})
				case "ListConfigurations":
					a, err = m.c.call(ctx, adsPrefix+op, map[string]any{"configurationType": "SERVER", "maxResults": 10})
				case "DescribeTags":
					a, err = m.c.call(ctx, adsPrefix+op, map[string]any{"maxResults": 10})
				case "DescribeAgents":
					a, err = m.c.call(ctx, adsPrefix+op, map[string]any{"maxResults": 10})
				}
				if now.Before(measureFrom) {
					continue
				}
				rec.record(mixedWeights[k].op, a, err)
			}
		})
	}
	time.Sleep(time.Until(measureFrom))
	began := time.Now()
	sampler := startRSS(pid)
	wg.Wait()
	elapsed := time.Since(began)
	total := newRecorder()
	for _, r := range recs {
		total.merge(r)
	}
	r := &Result{Label: label, Kind: "mixed", URL: url, Conns: clients}
	r.fill(total, elapsed)
	sampler.end(r)
	// Acknowledged writes are the 200 answers of the write kinds; their
	// latencies are those of every write answered (any status).
	var writes, reads []time.Duration
	acked := 0
	r.Ops = map[string]OpStats{}
	for _, w := range mixedWeights {
		ds := total.lat[w.op]
		r.Ops[w.op] = opStats(ds)
		if w.write {
			acked += total.ok[w.op]
			writes = append(writes, ds...)
		} else {
			reads = append(reads, ds...)
		}
	}
	ws, rs := opStats(writes), opStats(reads)
	r.WritesPerS = float64(int(float64(acked)/elapsed.Seconds()*10)) / 10
	r.WriteP50, r.WriteP99, r.ReadP50, r.ReadP99 = ws.P50, ws.P99, rs.P50, rs.P99
	return r, nil
}
