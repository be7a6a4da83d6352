package continuous

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/poseidon-ads/poseidon/internal/agentdata"
)

// Tables are the data types of the bucket, named like AWS's Athena tables.
var Tables = []string{
	"os_info_agent", "network_interface_agent", "sys_performance_agent",
	"processes_agent", "inbound_connection_agent", "outbound_connection_agent",
}

// Files writes continuous export data as JSON Lines under
// Root/<bucket>/<table>/year=YYYY/month=MM/day=DD/<agentId>-HH.jsonl,
// partitioned by the report's timestamp (UTC).
type Files struct {
	Root string
	mu   sync.Mutex
}

// TimeLayout is the format of the "timestamp" column (UTC, milliseconds).
const TimeLayout = "2006-01-02T15:04:05.000Z"

type common struct {
	AccountID string `json:"account_id"`
	AgentID   string `json:"agent_id"`
	ReportID  string `json:"report_id"`
	Timestamp string `json:"timestamp"`
}

type osInfoRow struct {
	common
	HostName             string  `json:"host_name"`
	OSName               string  `json:"os_name"`
	OSVersion            string  `json:"os_version"`
	CPUType              string  `json:"cpu_type"`
	Hypervisor           string  `json:"hypervisor"`
	ServerType           string  `json:"server_type"`
	NumCPUs              int     `json:"num_cpus"`
	NumCores             int     `json:"num_cores"`
	NumLogicalProcessors int     `json:"num_logical_processors"`
	TotalRAMMB           float64 `json:"total_ram_mb"`
	TotalDiskGB          float64 `json:"total_disk_gb"`
	NumDisks             int     `json:"num_disks"`
	AgentType            string  `json:"agent_type"`
	AgentVersion         string  `json:"agent_version"`
	AgentHealth          string  `json:"agent_health"`
}

type networkInterfaceRow struct {
	common
	Name       string `json:"name"`
	MACAddress string `json:"mac_address"`
	IPAddress  string `json:"ip_address"`
	NetMask    string `json:"net_mask"`
	Family     string `json:"family"`
	Gateway    string `json:"gateway"`
}

type sysPerformanceRow struct {
	common
	CPUUsagePct        float64 `json:"cpu_usage_pct"`
	FreeRAMMB          float64 `json:"free_ram_mb"`
	DiskFreeGB         float64 `json:"disk_free_gb"`
	DiskReadKBps       float64 `json:"disk_read_kbps"`
	DiskWriteKBps      float64 `json:"disk_write_kbps"`
	DiskReadOpsPerSec  float64 `json:"disk_read_ops_per_sec"`
	DiskWriteOpsPerSec float64 `json:"disk_write_ops_per_sec"`
	NetworkReadKBps    float64 `json:"network_read_kbps"`
	NetworkWriteKBps   float64 `json:"network_write_kbps"`
}

type processRow struct {
	common
	AgentAssignedProcessID int    `json:"agent_assigned_process_id"`
	Name                   string `json:"name"`
	CmdLine                string `json:"cmd_line"`
	Path                   string `json:"path"`
	IsSystem               bool   `json:"is_system"`
}

type connectionRow struct {
	common
	SourceIP               string `json:"source_ip"`
	SourcePort             int    `json:"source_port"`
	DestinationIP          string `json:"destination_ip"`
	DestinationPort        int    `json:"destination_port"`
	IPVersion              string `json:"ip_version"`
	TransportProtocol      string `json:"transport_protocol"`
	AgentAssignedProcessID int    `json:"agent_assigned_process_id"`
}

// FileName is the name of an agent's file for one hour.
func FileName(agentID string, hour int) string {
	return fmt.Sprintf("%s-%02d.jsonl", safe(agentID), hour)
}

// safe keeps an agent ID usable as a file name.
func safe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		}
		return '_'
	}, s)
}

// Partition is the folder of a table's data for t, relative to the bucket.
func Partition(table string, t time.Time) string {
	t = t.UTC()
	return filepath.Join(table, fmt.Sprintf("year=%04d", t.Year()), fmt.Sprintf("month=%02d", int(t.Month())), fmt.Sprintf("day=%02d", t.Day()))
}

// Append writes the rows of reports into the bucket's files: one write and
// one fsync per file touched.
func (f *Files) Append(account, bucket string, reports []*agentdata.Report) error {
	out := map[string]*bytes.Buffer{}
	add := func(table string, r *agentdata.Report, t time.Time, row any) error {
		p := filepath.Join(f.Root, bucket, Partition(table, t), FileName(r.AgentID, t.Hour()))
		b, ok := out[p]
		if !ok {
			b = &bytes.Buffer{}
			out[p] = b
		}
		line, err := json.Marshal(row)
		if err != nil {
			return err
		}
		b.Write(line)
		b.WriteByte('\n')
		return nil
	}
	for _, r := range reports {
		sec, frac := math.Modf(r.Timestamp)
		t := time.Unix(int64(sec), int64(math.Round(frac*1000))*int64(time.Millisecond)).UTC()
		c := common{AccountID: account, AgentID: r.AgentID, ReportID: r.ReportID, Timestamp: t.Format(TimeLayout)}
		s := r.Server
		if err := add("os_info_agent", r, t, osInfoRow{c, s.HostName, s.OSName, s.OSVersion, s.CPUType, s.Hypervisor, s.Type,
			s.NumCPUs, s.NumCores, s.NumLogicalProcessors, s.TotalRAMMB, s.TotalDiskGB, s.NumDisks,
			r.Agent.AgentType, r.Agent.Version, r.Agent.Health}); err != nil {
			return err
		}
		for _, n := range r.NetworkInterfaces {
			if err := add("network_interface_agent", r, t, networkInterfaceRow{c, n.Name, n.MACAddress, n.IPAddress, n.NetMask, n.Family, n.Gateway}); err != nil {
				return err
			}
		}
		if p := r.Performance; p != nil {
			if err := add("sys_performance_agent", r, t, sysPerformanceRow{c, p.CPUUsagePct, p.FreeRAMMB, p.DiskFreeGB, p.DiskReadKBps, p.DiskWriteKBps,
				p.DiskReadOpsPerSec, p.DiskWriteOpsPerSec, p.NetworkReadKBps, p.NetworkWriteKBps}); err != nil {
				return err
			}
		}
		for _, p := range r.Processes {
			if err := add("processes_agent", r, t, processRow{c, p.PID, p.Name, p.CommandLine, p.Path, p.IsSystem}); err != nil {
				return err
			}
		}
		for _, k := range r.Connections {
			table := "outbound_connection_agent"
			if strings.EqualFold(k.Direction, "inbound") {
				table = "inbound_connection_agent"
			}
			if err := add(table, r, t, connectionRow{c, k.SourceIP, k.SourcePort, k.DestinationIP, k.DestinationPort, k.IPVersion, k.TransportProtocol, k.PID}); err != nil {
				return err
			}
		}
	}
	paths := make([]string, 0, len(out))
	for p := range out {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	f.mu.Lock()
	defer f.mu.Unlock()
	var errs []error
	for _, p := range paths {
		if err := appendFile(p, out[p].Bytes()); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// appendFile appends b to the file at p (created with its folders if need
// be) in one write, then fsyncs it.
func appendFile(p string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	fh, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	if _, err := fh.Write(b); err != nil {
		fh.Close()
		return err
	}
	if err := fh.Sync(); err != nil {
		fh.Close()
		return err
	}
	return fh.Close()
}

// RemoveAccount deletes the data files of account's bucket (each account
// has one, named by Bucket).
func (f *Files) RemoveAccount(account string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return os.RemoveAll(filepath.Join(f.Root, Bucket(account)))
}

// RemoveAll deletes the data files of every account (Root itself: Append
// creates the folders it needs).
func (f *Files) RemoveAll() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return os.RemoveAll(f.Root)
}
