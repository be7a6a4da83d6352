// Package agentdata is the wire format of poseidon's agent data intake
// (POST /_poseidon/intake): batches of reports that discovery agents send
// about every 15 minutes. The server's intake and the fleet simulator
// ("poseidon seed") share it. It imports no project package.
package agentdata

import (
	"fmt"
	"net"
	"regexp"
	"strings"
)

// Limits of one batch.
const (
	MaxReports           = 1000
	MaxProcesses         = 500
	MaxConnections       = 2000
	MaxNetworkInterfaces = 64
	MaxString            = 1024
)

// Batch is the body of one intake request.
type Batch struct {
	Reports []Report `json:"reports"`
}

// Report is what one agent observed at one moment.
type Report struct {
	// ReportID makes intake idempotent: a report ID seen before in the
	// account is skipped. 1..128 characters of [A-Za-z0-9._:-].
	ReportID string `json:"reportId"`
	// AgentID is the agent's ID, 10..20 non-space characters (model AgentId),
	// typically o- and 17 hex digits.
	AgentID string `json:"agentId"`
	// Timestamp is when the agent observed this, in epoch seconds.
	Timestamp float64 `json:"timestamp"`

	Agent             AgentInfo          `json:"agent"`
	Server            ServerInfo         `json:"server"`
	NetworkInterfaces []NetworkInterface `json:"networkInterfaces,omitempty"`
	Performance       *Performance       `json:"performance,omitempty"`
	Processes         []Process          `json:"processes,omitempty"`
	Connections       []Connection       `json:"connections,omitempty"`
}

// AgentInfo describes the agent itself (DescribeAgents' AgentInfo).
type AgentInfo struct {
	AgentType   string `json:"agentType,omitempty"` // e.g. "EC2" (default), "VMWARE"
	Version     string `json:"version,omitempty"`
	Health      string `json:"health,omitempty"` // model AgentStatus; default HEALTHY
	ConnectorID string `json:"connectorId,omitempty"`
}

// ServerInfo describes the server the agent runs on.
type ServerInfo struct {
	HostName             string  `json:"hostName"`
	OSName               string  `json:"osName,omitempty"`
	OSVersion            string  `json:"osVersion,omitempty"`
	CPUType              string  `json:"cpuType,omitempty"`
	Hypervisor           string  `json:"hypervisor,omitempty"`
	Type                 string  `json:"type,omitempty"` // EC2, OTHER, VMWARE_VM, VMWARE_HOST, VMWARE_VM_TEMPLATE
	NumCPUs              int     `json:"numCpus,omitempty"`
	NumCores             int     `json:"numCores,omitempty"`
	NumLogicalProcessors int     `json:"numLogicalProcessors,omitempty"`
	TotalRAMMB           float64 `json:"totalRamMB,omitempty"`
	TotalDiskGB          float64 `json:"totalDiskGB,omitempty"`
	NumDisks             int     `json:"numDisks,omitempty"`
	VMware               *VMware `json:"vmware,omitempty"`
}

// VMware holds a VM's vCenter identity.
type VMware struct {
	MoRefID      string `json:"moRefId,omitempty"`
	VMName       string `json:"vmName,omitempty"`
	VCenterID    string `json:"vCenterId,omitempty"`
	VCenterName  string `json:"vCenterName,omitempty"`
	VMFolderPath string `json:"vmFolderPath,omitempty"`
	HostID       string `json:"hostId,omitempty"`
}

// NetworkInterface is one interface of the server.
type NetworkInterface struct {
	Name       string `json:"name"`
	MACAddress string `json:"macAddress,omitempty"`
	IPAddress  string `json:"ipAddress"`
	NetMask    string `json:"netMask,omitempty"`
	Family     string `json:"family,omitempty"` // IPv4 or IPv6
	Gateway    string `json:"gateway,omitempty"`
}

// Performance is one sample of the server's utilization.
type Performance struct {
	CPUUsagePct        float64 `json:"cpuUsagePct"`
	FreeRAMMB          float64 `json:"freeRamMB"`
	DiskFreeGB         float64 `json:"diskFreeGB"`
	DiskReadKBps       float64 `json:"diskReadKBps"`
	DiskWriteKBps      float64 `json:"diskWriteKBps"`
	DiskReadOpsPerSec  float64 `json:"diskReadOpsPerSec"`
	DiskWriteOpsPerSec float64 `json:"diskWriteOpsPerSec"`
	NetworkReadKBps    float64 `json:"networkReadKBps"`
	NetworkWriteKBps   float64 `json:"networkWriteKBps"`
}

// Process is one process seen running.
type Process struct {
	PID         int    `json:"pid"` // agentAssignedProcessId
	Name        string `json:"name"`
	CommandLine string `json:"commandLine,omitempty"`
	Path        string `json:"path,omitempty"`
	IsSystem    bool   `json:"isSystem,omitempty"`
}

// Connection is one network connection seen, outbound (this server is the
// source) or inbound (this server is the destination).
type Connection struct {
	Direction         string `json:"direction"` // "outbound" or "inbound"
	SourceIP          string `json:"sourceIp"`
	SourcePort        int    `json:"sourcePort,omitempty"`
	DestinationIP     string `json:"destinationIp"`
	DestinationPort   int    `json:"destinationPort"`
	IPVersion         string `json:"ipVersion,omitempty"`         // IPv4 (default) or IPv6
	TransportProtocol string `json:"transportProtocol,omitempty"` // tcp (default) or udp
	PID               int    `json:"pid,omitempty"`               // the local process, if known
}

var (
	reportIDPattern = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)
	agentIDPattern  = regexp.MustCompile(`^\S{10,20}$`)
	healthValues    = []string{"HEALTHY", "UNHEALTHY", "RUNNING", "UNKNOWN", "BLACKLISTED", "SHUTDOWN"}
	serverTypes     = []string{"EC2", "OTHER", "VMWARE_VM", "VMWARE_HOST", "VMWARE_VM_TEMPLATE"}
)

// Error is a validation failure; Path names the offending member, e.g.
// "reports[3].connections[0].destinationPort".
type Error struct {
	Path, Problem string
}

func (e *Error) Error() string { return e.Path + ": " + e.Problem }

// Validate checks a whole batch; nothing of a batch that fails is stored.
func (b *Batch) Validate() error {
	if len(b.Reports) == 0 {
		return &Error{"reports", "at least one report is required"}
	}
	if len(b.Reports) > MaxReports {
		return &Error{"reports", fmt.Sprintf("at most %d reports per batch, got %d", MaxReports, len(b.Reports))}
	}
	seen := make(map[string]bool, len(b.Reports))
	for i := range b.Reports {
		r := &b.Reports[i]
		p := fmt.Sprintf("reports[%d]", i)
		if err := r.validate(p); err != nil {
			return err
		}
		if seen[r.ReportID] {
			return &Error{p + ".reportId", "duplicate report ID within the batch: " + r.ReportID}
		}
		seen[r.ReportID] = true
	}
	return nil
}

func (r *Report) validate(p string) error {
	switch {
	case !reportIDPattern.MatchString(r.ReportID):
		return &Error{p + ".reportId", "must be 1..128 characters of [A-Za-z0-9._:-]"}
	case !agentIDPattern.MatchString(r.AgentID):
		return &Error{p + ".agentId", "must be 10..20 non-space characters"}
	case r.Timestamp <= 0 || r.Timestamp > 1e10:
		return &Error{p + ".timestamp", "must be epoch seconds"}
	case strings.TrimSpace(r.Server.HostName) == "":
		return &Error{p + ".server.hostName", "is required"}
	case r.Agent.Health != "" && !oneOf(r.Agent.Health, healthValues):
		return &Error{p + ".agent.health", "must be one of " + strings.Join(healthValues, ", ")}
	case r.Server.Type != "" && !oneOf(r.Server.Type, serverTypes):
		return &Error{p + ".server.type", "must be one of " + strings.Join(serverTypes, ", ")}
	case len(r.NetworkInterfaces) > MaxNetworkInterfaces:
		return &Error{p + ".networkInterfaces", fmt.Sprintf("at most %d", MaxNetworkInterfaces)}
	case len(r.Processes) > MaxProcesses:
		return &Error{p + ".processes", fmt.Sprintf("at most %d", MaxProcesses)}
	case len(r.Connections) > MaxConnections:
		return &Error{p + ".connections", fmt.Sprintf("at most %d", MaxConnections)}
	}
	if err := strings2(p, r); err != nil {
		return err
	}
	for _, n := range []struct {
		name string
		v    int
	}{{"numCpus", r.Server.NumCPUs}, {"numCores", r.Server.NumCores}, {"numLogicalProcessors", r.Server.NumLogicalProcessors}, {"numDisks", r.Server.NumDisks}} {
		if n.v < 0 || n.v > 100000 {
			return &Error{p + ".server." + n.name, "out of range"}
		}
	}
	if r.Server.TotalRAMMB < 0 || r.Server.TotalDiskGB < 0 {
		return &Error{p + ".server", "sizes must not be negative"}
	}
	for i, n := range r.NetworkInterfaces {
		q := fmt.Sprintf("%s.networkInterfaces[%d]", p, i)
		if n.Name == "" {
			return &Error{q + ".name", "is required"}
		}
		if net.ParseIP(n.IPAddress) == nil {
			return &Error{q + ".ipAddress", "is not an IP address"}
		}
		if n.Family != "" && n.Family != "IPv4" && n.Family != "IPv6" {
			return &Error{q + ".family", "must be IPv4 or IPv6"}
		}
	}
	if pf := r.Performance; pf != nil {
		if pf.CPUUsagePct < 0 || pf.CPUUsagePct > 100 {
			return &Error{p + ".performance.cpuUsagePct", "must be 0..100"}
		}
		for _, v := range []float64{pf.FreeRAMMB, pf.DiskFreeGB, pf.DiskReadKBps, pf.DiskWriteKBps, pf.DiskReadOpsPerSec, pf.DiskWriteOpsPerSec, pf.NetworkReadKBps, pf.NetworkWriteKBps} {
			if v < 0 || v != v {
				return &Error{p + ".performance", "values must not be negative"}
			}
		}
	}
	for i, pr := range r.Processes {
		q := fmt.Sprintf("%s.processes[%d]", p, i)
		if pr.Name == "" {
			return &Error{q + ".name", "is required"}
		}
		if pr.PID < 0 {
			return &Error{q + ".pid", "must not be negative"}
		}
	}
	for i, c := range r.Connections {
		q := fmt.Sprintf("%s.connections[%d]", p, i)
		switch {
		case c.Direction != "outbound" && c.Direction != "inbound":
			return &Error{q + ".direction", "must be outbound or inbound"}
		case net.ParseIP(c.SourceIP) == nil:
			return &Error{q + ".sourceIp", "is not an IP address"}
		case net.ParseIP(c.DestinationIP) == nil:
			return &Error{q + ".destinationIp", "is not an IP address"}
		case c.DestinationPort < 0 || c.DestinationPort > 65535:
			return &Error{q + ".destinationPort", "must be 0..65535"}
		case c.SourcePort < 0 || c.SourcePort > 65535:
			return &Error{q + ".sourcePort", "must be 0..65535"}
		case c.IPVersion != "" && c.IPVersion != "IPv4" && c.IPVersion != "IPv6":
			return &Error{q + ".ipVersion", "must be IPv4 or IPv6"}
		case c.TransportProtocol != "" && c.TransportProtocol != "tcp" && c.TransportProtocol != "udp":
			return &Error{q + ".transportProtocol", "must be tcp or udp"}
		}
	}
	return nil
}

// strings2 bounds every free-text member.
func strings2(p string, r *Report) error {
	check := func(path, v string) error {
		if len(v) > MaxString {
			return &Error{p + "." + path, fmt.Sprintf("longer than %d bytes", MaxString)}
		}
		return nil
	}
	s := r.Server
	for path, v := range map[string]string{
		"agent.agentType": r.Agent.AgentType, "agent.version": r.Agent.Version, "agent.connectorId": r.Agent.ConnectorID,
		"server.hostName": s.HostName, "server.osName": s.OSName, "server.osVersion": s.OSVersion,
		"server.cpuType": s.CPUType, "server.hypervisor": s.Hypervisor,
	} {
		if err := check(path, v); err != nil {
			return err
		}
	}
	if vm := s.VMware; vm != nil {
		for path, v := range map[string]string{"moRefId": vm.MoRefID, "vmName": vm.VMName, "vCenterId": vm.VCenterID,
			"vCenterName": vm.VCenterName, "vmFolderPath": vm.VMFolderPath, "hostId": vm.HostID} {
			if err := check("server.vmware."+path, v); err != nil {
				return err
			}
		}
	}
	for i, pr := range r.Processes {
		for path, v := range map[string]string{"name": pr.Name, "commandLine": pr.CommandLine, "path": pr.Path} {
			if err := check(fmt.Sprintf("processes[%d].%s", i, path), v); err != nil {
				return err
			}
		}
	}
	return nil
}

func oneOf(v string, set []string) bool {
	for _, s := range set {
		if v == s {
			return true
		}
	}
	return false
}
