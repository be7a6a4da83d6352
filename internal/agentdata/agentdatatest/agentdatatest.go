// Package agentdatatest builds the agent reports of tests: a fleet of
// numbered agents, each reporting every 15 minutes.
package agentdatatest

import (
	"fmt"
	"time"

	"github.com/poseidon-ads/poseidon/internal/agentdata"
)

// AgentID is the test agent n's ID.
func AgentID(n int) string { return fmt.Sprintf("o-%017x", n) }

// HostIP is the test agent n's IP address.
func HostIP(n int) string { return fmt.Sprintf("10.0.%d.%d", n/250, n%250+1) }

// Report builds a report of agent n at t0 + step×15 minutes, with one
// interface and a performance sample derived from step.
func Report(t0 time.Time, n, step int) agentdata.Report {
	ts := t0.Add(time.Duration(step) * 15 * time.Minute)
	return agentdata.Report{
		ReportID:  fmt.Sprintf("r-%d-%d", n, step),
		AgentID:   AgentID(n),
		Timestamp: float64(ts.Unix()),
		Agent:     agentdata.AgentInfo{Version: "2.0.1"},
		Server: agentdata.ServerInfo{HostName: fmt.Sprintf("host-%d", n), OSName: "Linux", OSVersion: "6.1", CPUType: "x64",
			NumCPUs: 2, NumCores: 4, NumLogicalProcessors: 8, TotalRAMMB: 16384, TotalDiskGB: 200, NumDisks: 1},
		NetworkInterfaces: []agentdata.NetworkInterface{{Name: "eth0", IPAddress: HostIP(n), MACAddress: fmt.Sprintf("02:00:00:00:%02x:%02x", n/256, n%256)}},
		Performance: &agentdata.Performance{CPUUsagePct: float64(10 + step%50), FreeRAMMB: float64(1000 + step), DiskFreeGB: 100 - float64(step)/10,
			DiskReadKBps: 5, DiskWriteKBps: float64(step), NetworkReadKBps: 1, NetworkWriteKBps: 2},
	}
}
