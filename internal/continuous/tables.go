package continuous

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/poseidon-ads/poseidon/internal/agentdata"
	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// The seven tables of application_discovery_service_database, in the order
// AWS's user guide lists them. Each is one Firehose-like stream of the
// bucket, written as Parquet under <table>/ (see Key).
const (
	TableOSInfo           = "os_info_agent"
	TableNetworkInterface = "network_interface_agent"
	TableSysPerformance   = "sys_performance_agent"
	TableProcesses        = "processes_agent"
	TableInbound          = "inbound_connection_agent"
	TableOutbound         = "outbound_connection_agent"
	TableIDMapping        = "id_mapping_agent"
)

// Tables are the tables of the bucket, named like AWS's Athena tables.
var Tables = []string{
	TableOSInfo, TableNetworkInterface, TableSysPerformance, TableProcesses,
	TableInbound, TableOutbound, TableIDMapping,
}

// The rows of each table: one Go type per Parquet schema. The column names
// and types follow docs/exports.md (the names AWS's predefined queries use,
// the rest from the unverified candidate schema of
// shared/spec/continuous-export-athena.md §2.3). Timestamps are INT64
// TIMESTAMP(MILLIS, UTC); strings are BYTE_ARRAY STRING; int is INT32; bigint
// INT64; double DOUBLE; boolean BOOLEAN.

// OSInfoRow is a row of os_info_agent: one per report.
type OSInfoRow struct {
	AccountNumber int64  `parquet:"account_number"`
	AgentID       string `parquet:"agent_id"`
	OSName        string `parquet:"os_name"`
	OSVersion     string `parquet:"os_version"`
	CPUType       string `parquet:"cpu_type"`
	HostName      string `parquet:"host_name"`
	Hypervisor    string `parquet:"hypervisor"`
	Timestamp     int64  `parquet:"timestamp,timestamp(millisecond)"`
}

// NetworkInterfaceRow is a row of network_interface_agent: one per network
// interface of a report.
type NetworkInterfaceRow struct {
	AccountNumber int64  `parquet:"account_number"`
	AgentID       string `parquet:"agent_id"`
	Name          string `parquet:"name"`
	MACAddress    string `parquet:"mac_address"`
	Family        string `parquet:"family"`
	IPAddress     string `parquet:"ip_address"`
	Gateway       string `parquet:"gateway"`
	NetMask       string `parquet:"net_mask"`
	Timestamp     int64  `parquet:"timestamp,timestamp(millisecond)"`
}

// SysPerformanceRow is a row of sys_performance_agent: one per report with
// performance data.
type SysPerformanceRow struct {
	AccountNumber                      int64   `parquet:"account_number"`
	AgentID                            string  `parquet:"agent_id"`
	TotalDiskBytesReadPerSecInKbps     float64 `parquet:"total_disk_bytes_read_per_sec_in_kbps"`
	TotalDiskBytesWrittenPerSecInKbps  float64 `parquet:"total_disk_bytes_written_per_sec_in_kbps"`
	TotalDiskReadOpsPerSec             float64 `parquet:"total_disk_read_ops_per_sec"`
	TotalDiskWriteOpsPerSec            float64 `parquet:"total_disk_write_ops_per_sec"`
	TotalNetworkBytesReadPerSecInKbps  float64 `parquet:"total_network_bytes_read_per_sec_in_kbps"`
	TotalNetworkBytesWrittenPerSecKbps float64 `parquet:"total_network_bytes_written_per_sec_in_kbps"`
	TotalNumLogicalProcessors          int32   `parquet:"total_num_logical_processors"`
	TotalNumCores                      int32   `parquet:"total_num_cores"`
	TotalNumCPUs                       int32   `parquet:"total_num_cpus"`
	TotalNumDisks                      int32   `parquet:"total_num_disks"`
	TotalNumNetworkCards               int32   `parquet:"total_num_network_cards"`
	TotalCPUUsagePct                   float64 `parquet:"total_cpu_usage_pct"`
	TotalDiskSizeInGB                  float64 `parquet:"total_disk_size_in_gb"`
	TotalDiskFreeSizeInGB              float64 `parquet:"total_disk_free_size_in_gb"`
	TotalRAMInMB                       float64 `parquet:"total_ram_in_mb"`
	FreeRAMInMB                        float64 `parquet:"free_ram_in_mb"`
	// TotalFreeRAMInMB repeats FreeRAMInMB under the name AWS's 2019
	// query (and third-party DDLs) used.
	TotalFreeRAMInMB float64 `parquet:"total_free_ram_in_mb"`
	Timestamp        int64   `parquet:"timestamp,timestamp(millisecond)"`
}

// ProcessRow is a row of processes_agent: one per process of a report.
type ProcessRow struct {
	AccountNumber          int64  `parquet:"account_number"`
	AgentID                string `parquet:"agent_id"`
	AgentAssignedProcessID string `parquet:"agent_assigned_process_id"`
	IsSystem               bool   `parquet:"is_system"`
	Name                   string `parquet:"name"`
	CmdLine                string `parquet:"cmd_line"`
	Path                   string `parquet:"path"`
	AgentProvidedTimestamp int64  `parquet:"agent_provided_timestamp,timestamp(millisecond)"`
}

// ConnectionRow is a row of inbound_connection_agent or
// outbound_connection_agent: one per connection of a report, by its
// direction.
type ConnectionRow struct {
	AccountNumber   int64  `parquet:"account_number"`
	AgentID         string `parquet:"agent_id"`
	SourceIP        string `parquet:"source_ip"`
	SourcePort      int32  `parquet:"source_port"`
	DestinationIP   string `parquet:"destination_ip"`
	DestinationPort int32  `parquet:"destination_port"`
	IPVersion       string `parquet:"ip_version"`
	// TransportProtocol is "tcp" or "udp".
	TransportProtocol string `parquet:"transport_protocol"`
	// AgentAssignedProcessID is NULL when the report names no process.
	AgentAssignedProcessID *string `parquet:"agent_assigned_process_id,optional"`
	AgentCreationDate      int64   `parquet:"agent_creation_date,timestamp(millisecond)"`
}

// IDMappingRow is a row of id_mapping_agent: one per agent in a delivery.
type IDMappingRow struct {
	AgentID  string `parquet:"agent_id"`
	ServerID string `parquet:"server_id"`
}

// rows are one delivery's rows, by table.
type rows struct {
	osInfo   []OSInfoRow
	nics     []NetworkInterfaceRow
	perf     []SysPerformanceRow
	procs    []ProcessRow
	inbound  []ConnectionRow
	outbound []ConnectionRow
	ids      []IDMappingRow
	seen     map[string]bool // agents already in ids
}

// reportMillis is a report's timestamp (epoch seconds) in milliseconds.
func reportMillis(ts float64) int64 {
	return int64(math.Round(ts * 1000))
}

// reportTime is a report's timestamp as a time.
func reportTime(ts float64) time.Time {
	return time.UnixMilli(reportMillis(ts)).UTC()
}

// add appends the rows of one accepted report of account.
func (rs *rows) add(account string, r *agentdata.Report) {
	acct, _ := strconv.ParseInt(account, 10, 64)
	ms := reportMillis(r.Timestamp)
	s := r.Server
	rs.osInfo = append(rs.osInfo, OSInfoRow{acct, r.AgentID, s.OSName, s.OSVersion, s.CPUType, s.HostName, s.Hypervisor, ms})
	for _, n := range r.NetworkInterfaces {
		rs.nics = append(rs.nics, NetworkInterfaceRow{acct, r.AgentID, n.Name, n.MACAddress, n.Family, n.IPAddress, n.Gateway, n.NetMask, ms})
	}
	if p := r.Performance; p != nil {
		rs.perf = append(rs.perf, SysPerformanceRow{
			AccountNumber: acct, AgentID: r.AgentID,
			TotalDiskBytesReadPerSecInKbps: p.DiskReadKBps, TotalDiskBytesWrittenPerSecInKbps: p.DiskWriteKBps,
			TotalDiskReadOpsPerSec: p.DiskReadOpsPerSec, TotalDiskWriteOpsPerSec: p.DiskWriteOpsPerSec,
			TotalNetworkBytesReadPerSecInKbps: p.NetworkReadKBps, TotalNetworkBytesWrittenPerSecKbps: p.NetworkWriteKBps,
			TotalNumLogicalProcessors: int32(s.NumLogicalProcessors), TotalNumCores: int32(s.NumCores), TotalNumCPUs: int32(s.NumCPUs),
			TotalNumDisks: int32(s.NumDisks), TotalNumNetworkCards: int32(len(r.NetworkInterfaces)),
			TotalCPUUsagePct: p.CPUUsagePct, TotalDiskSizeInGB: s.TotalDiskGB, TotalDiskFreeSizeInGB: p.DiskFreeGB,
			TotalRAMInMB: s.TotalRAMMB, FreeRAMInMB: p.FreeRAMMB, TotalFreeRAMInMB: p.FreeRAMMB, Timestamp: ms,
		})
	}
	for _, p := range r.Processes {
		rs.procs = append(rs.procs, ProcessRow{acct, r.AgentID, strconv.Itoa(p.PID), p.IsSystem, p.Name, p.CommandLine, p.Path, ms})
	}
	for _, k := range r.Connections {
		var pid *string
		if k.PID != 0 {
			v := strconv.Itoa(k.PID)
			pid = &v
		}
		row := ConnectionRow{acct, r.AgentID, k.SourceIP, int32(k.SourcePort), k.DestinationIP, int32(k.DestinationPort),
			k.IPVersion, k.TransportProtocol, pid, ms}
		if strings.EqualFold(k.Direction, "inbound") {
			rs.inbound = append(rs.inbound, row)
		} else {
			rs.outbound = append(rs.outbound, row)
		}
	}
	if !rs.seen[r.AgentID] {
		if rs.seen == nil {
			rs.seen = map[string]bool{}
		}
		rs.seen[r.AgentID] = true
		rs.ids = append(rs.ids, IDMappingRow{r.AgentID, discovery.ServerID(account, r.AgentID)})
	}
}
