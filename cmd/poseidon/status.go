package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	ads "github.com/aws/aws-sdk-go/service/applicationdiscoveryservice"
)

// statusCmd shows what a running server tells: its health check
// (version, store, uptime), the control API's status (every account's
// agents, servers and exports by status, the job queue, the virtual
// clock) and, through the ADS API as the caller's account, the discovery
// summary and the export tasks by status.
type statusCmd struct {
	awsFlags
	ControlToken string `env:"POSEIDON_CONTROL_TOKEN" help:"Bearer token of the control API (the server's --control-token), to read every account's counts and the job queue."`
	JSON         bool   `name:"json" help:"Print one JSON object instead of text."`
}

// status is what statusCmd prints.
type status struct {
	Endpoint       string         `json:"endpoint"`
	EndpointSource string         `json:"endpointSource"`
	Health         map[string]any `json:"health"`
	Control        *controlStatus `json:"control,omitempty"`
	// ControlError says why the control API's status is missing.
	ControlError string         `json:"controlError,omitempty"`
	Account      *accountStatus `json:"account,omitempty"`
}

// controlStatus is GET /_poseidon/status.
type controlStatus struct {
	Accounts []struct {
		AccountID string         `json:"accountId"`
		Agents    int            `json:"agents"`
		Servers   int            `json:"servers"`
		Exports   map[string]int `json:"exports"`
	} `json:"accounts"`
	Jobs []struct {
		Kind      string `json:"kind"`
		Running   int    `json:"running"`
		Queued    int    `json:"queued"`
		Scheduled int    `json:"scheduled"`
	} `json:"jobs"`
	Clock serverClock `json:"clock"`
}

// serverClock is the server's virtual clock in GET /_poseidon/status.
type serverClock struct {
	Time         string  `json:"time"`
	EpochSeconds float64 `json:"epochSeconds"`
	// OffsetSeconds is how far it is from real time (servers before it
	// was sent leave it nil).
	OffsetSeconds *float64 `json:"offsetSeconds,omitempty"`
}

// moved says how far the clock was moved from real time, and whether it
// was: by the server's offset, else (an older server) by the difference
// from this machine's time, when over a second.
func (c serverClock) moved(now time.Time) (time.Duration, bool) {
	if c.OffsetSeconds != nil {
		d := time.Duration(*c.OffsetSeconds * float64(time.Second))
		return d, d != 0
	}
	d := time.UnixMilli(int64(c.EpochSeconds * 1000)).Sub(now)
	return d, d > time.Second || d < -time.Second
}

// accountStatus is what the ADS API tells the caller of its account.
type accountStatus struct {
	AccessKeyID  string         `json:"accessKeyId"`
	Region       string         `json:"region"`
	Servers      int64          `json:"servers"`
	Applications int64          `json:"applications"`
	Agents       map[string]any `json:"agents"`
	Exports      map[string]int `json:"exports"`
}

func (c *statusCmd) Run(ctx context.Context, stdout io.Writer) error {
	ep, err := c.endpoint()
	if err != nil {
		return err
	}
	st := status{Endpoint: ep.URL, EndpointSource: ep.Source}
	if st.Health, err = readHealth(ctx, ep.URL); err != nil {
		return err
	}
	st.Control, err = readControlStatus(ctx, ep.URL, c.ControlToken)
	if err != nil {
		st.ControlError = err.Error()
	}
	svc, _, cerr := c.adsClient()
	if cerr == nil {
		st.Account, cerr = accountOf(ctx, svc)
	}
	if c.JSON {
		b, _ := json.MarshalIndent(st, "", "  ")
		fmt.Fprintln(stdout, string(b))
	} else {
		st.print(stdout)
	}
	return cerr
}

// readHealth reads GET /_poseidon/health (no credentials needed).
func readHealth(ctx context.Context, base string) (map[string]any, error) {
	url := strings.TrimRight(base, "/") + "/_poseidon/health"
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("no poseidon server answers at %s: %w (start one with poseidon serve, or give --endpoint-url)", base, err)
	}
	defer resp.Body.Close()
	var h map[string]any
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&h); err != nil || h["status"] == nil {
		return nil, fmt.Errorf("GET %s answered %s, not a poseidon health check: is %s a poseidon server?", url, resp.Status, base)
	}
	return h, nil
}

// readControlStatus reads GET /_poseidon/status with the control token.
func readControlStatus(ctx context.Context, base, token string) (*controlStatus, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base, "/")+"/_poseidon/status", nil)
	if err != nil {
		return nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if resp.StatusCode != http.StatusOK {
		var e struct{ Message string }
		json.Unmarshal(body, &e)
		hint := ""
		if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
			hint = " (set POSEIDON_CONTROL_TOKEN or --control-token to the server's --control-token)"
		}
		return nil, fmt.Errorf("GET /_poseidon/status answered %s: %s%s", resp.Status, e.Message, hint)
	}
	var st controlStatus
	if err := json.Unmarshal(body, &st); err != nil {
		return nil, fmt.Errorf("GET /_poseidon/status: %w", err)
	}
	return &st, nil
}

// accountOf reads the caller's discovery summary and counts its export
// tasks by status, through the ADS API.
func accountOf(ctx context.Context, svc *ads.ApplicationDiscoveryService) (*accountStatus, error) {
	sum, err := svc.GetDiscoverySummaryWithContext(ctx, &ads.GetDiscoverySummaryInput{})
	if err != nil {
		return nil, fmt.Errorf("GetDiscoverySummary: %w", err)
	}
	v, _ := svc.Config.Credentials.Get()
	a := &accountStatus{AccessKeyID: v.AccessKeyID, Region: aws.StringValue(svc.Config.Region), Servers: aws.Int64Value(sum.Servers),
		Applications: aws.Int64Value(sum.Applications), Agents: map[string]any{}, Exports: map[string]int{}}
	if s := sum.AgentSummary; s != nil {
		a.Agents = map[string]any{"total": aws.Int64Value(s.TotalAgents), "active": aws.Int64Value(s.ActiveAgents),
			"healthy": aws.Int64Value(s.HealthyAgents), "unhealthy": aws.Int64Value(s.UnhealthyAgents),
			"shutdown": aws.Int64Value(s.ShutdownAgents), "blacklisted": aws.Int64Value(s.BlackListedAgents), "unknown": aws.Int64Value(s.UnknownAgents)}
	}
	err = svc.DescribeExportTasksPagesWithContext(ctx, &ads.DescribeExportTasksInput{MaxResults: aws.Int64(100)},
		func(p *ads.DescribeExportTasksOutput, _ bool) bool {
			for _, e := range p.ExportsInfo {
				a.Exports[aws.StringValue(e.ExportStatus)]++
			}
			return true
		})
	if err != nil {
		return nil, fmt.Errorf("DescribeExportTasks: %w", err)
	}
	return a, nil
}

func (st status) print(w io.Writer) {
	h := st.Health
	fmt.Fprintf(w, "server      %s (from %s)\n", st.Endpoint, st.EndpointSource)
	fmt.Fprintf(w, "health      %v, version %v, store %v, up %v s, strict mode %v\n", h["status"], h["version"], h["store"], h["uptimeSeconds"], h["strict"])
	if c := st.Control; c != nil {
		if d, moved := c.Clock.moved(time.Now()); moved {
			sign := "+"
			if d < 0 {
				sign = ""
			}
			fmt.Fprintf(w, "clock       %s (virtual: %s%s from real time)\n", c.Clock.Time, sign, d.Round(time.Millisecond))
		} else {
			fmt.Fprintf(w, "clock       %s\n", c.Clock.Time)
		}
		fmt.Fprintf(w, "accounts    %d\n", len(c.Accounts))
		for _, a := range c.Accounts {
			fmt.Fprintf(w, "  %s  %d agents, %d servers, exports %s\n", a.AccountID, a.Agents, a.Servers, exportCounts(a.Exports))
		}
		var jobs []string
		for _, j := range c.Jobs {
			jobs = append(jobs, fmt.Sprintf("%s %d running, %d queued, %d scheduled", j.Kind, j.Running, j.Queued, j.Scheduled))
		}
		if len(jobs) == 0 {
			jobs = []string{"empty"}
		}
		fmt.Fprintf(w, "jobs        %s\n", strings.Join(jobs, "; "))
	} else {
		fmt.Fprintf(w, "control     %s\n", st.ControlError)
	}
	a := st.Account
	if a == nil {
		return
	}
	note := ""
	if h["strict"] == false {
		note = " (open mode: a 12-digit access key ID is the account, any other key is account 000000000000)"
	}
	fmt.Fprintf(w, "caller      access key %s, region %s%s\n", a.AccessKeyID, a.Region, note)
	fmt.Fprintf(w, "servers     %d\n", a.Servers)
	fmt.Fprintf(w, "apps        %d\n", a.Applications)
	fmt.Fprintf(w, "agents      %v total, %v healthy, %v unhealthy, %v shutdown, %v blacklisted, %v unknown\n",
		a.Agents["total"], a.Agents["healthy"], a.Agents["unhealthy"], a.Agents["shutdown"], a.Agents["blacklisted"], a.Agents["unknown"])
	fmt.Fprintf(w, "exports     %s\n", exportCounts(a.Exports))
}

// exportCounts shows counts of exports by status, AWS's three first.
func exportCounts(m map[string]int) string {
	statuses := []string{ads.ExportStatusInProgress, ads.ExportStatusSucceeded, ads.ExportStatusFailed}
	var parts []string
	for _, s := range statuses {
		parts = append(parts, fmt.Sprintf("%d %s", m[s], s))
	}
	for s, n := range m {
		if !slices.Contains(statuses, s) {
			parts = append(parts, fmt.Sprintf("%d %s", n, s))
		}
	}
	return strings.Join(parts, ", ")
}
