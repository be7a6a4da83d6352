package exportfile

import (
	"strings"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// Records turn the rows a store streams (discovery's export rows) into the
// cells of their file, in layout order. Each appends to dst[:0] and returns
// it, so one slice serves every row.

// Rows of the agent export, from the agent's time series.

// PerfSampleRecord returns the cells of a systemPerformance.csv row.
func PerfSampleRecord(account string, p *discovery.PerfSample, dst []string) []string {
	return append(dst[:0], account, p.AgentID,
		FormatDouble(p.DiskReadKBps), FormatDouble(p.DiskWriteKBps), FormatDouble(p.DiskReadOps), FormatDouble(p.DiskWriteOps),
		FormatDouble(p.NetReadKBps), FormatDouble(p.NetWriteKBps),
		FormatInt(p.NumLogical), FormatInt(p.NumCores), FormatInt(p.NumCPUs), FormatInt(p.NumDisks), FormatInt(p.NumNICs),
		FormatDouble(p.CPUPct), FormatDouble(p.DiskSizeGB), FormatDouble(p.DiskFreeGB), FormatDouble(p.TotalRAMMB), FormatDouble(p.FreeRAMMB),
		FormatTimestamp(p.Time))
}

// OSInfoRecord returns the cells of an osInfo.csv row.
func OSInfoRecord(account string, o *discovery.OSInfo, dst []string) []string {
	return append(dst[:0], account, o.AgentID, o.OSName, o.OSVersion, o.CPUType, o.HostName, o.Hypervisor, FormatTimestamp(o.Time))
}

// NICSampleRecord returns the cells of a networkInterface.csv row. An empty
// family is derived from the address.
func NICSampleRecord(account string, n *discovery.NICSample, dst []string) []string {
	return append(dst[:0], account, n.AgentID, n.Name, n.MACAddress, family(n.Family, n.IPAddress), n.IPAddress, n.Gateway, n.NetMask,
		FormatTimestamp(n.Time))
}

func family(f, ip string) string {
	switch {
	case f != "":
		return f
	case strings.Contains(ip, ":"):
		return "IPv6"
	default:
		return "IPv4"
	}
}

// ProcessSampleRecord returns the cells of a process.csv row.
func ProcessSampleRecord(account string, p *discovery.ProcessSample, dst []string) []string {
	return append(dst[:0], account, p.AgentID, FormatInt(p.PID), FormatBool(p.IsSystem), p.Name, p.CommandLine, p.Path, FormatAgentTime(p.Time))
}

// ConnectionSampleRecord returns the cells of a sourceProcessConnection.csv
// or destinationProcessConnection.csv row. An unknown process (PID 0) is an
// empty cell.
func ConnectionSampleRecord(account string, c *discovery.ConnectionSample, dst []string) []string {
	pid := ""
	if c.PID != 0 {
		pid = FormatInt(c.PID)
	}
	return append(dst[:0], account, c.AgentID, c.SourceIP, FormatInt(c.SourcePort), c.DestinationIP, FormatInt(c.DestinationPort),
		orDefault(c.IPVersion, "IPv4"), orDefault(c.TransportProtocol, "tcp"), pid, FormatTimestamp(c.Time))
}

func orDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}

// Rows of the summary export, one per configuration item, from the
// inventory.

// ApplicationRecord returns the cells of an Application.csv row.
func ApplicationRecord(a *discovery.Application, dst []string) []string {
	return append(dst[:0], a.ID, a.Name, a.Description, a.Wave, FormatInt(a.ServerCount), FormatConfigTime(a.Created), FormatConfigTime(a.Updated))
}

// ApplicationServerRecord returns the cells of an
// ApplicationResourceAssociation.csv row.
func ApplicationServerRecord(a *discovery.ApplicationServer, dst []string) []string {
	return append(dst[:0], a.ApplicationID, a.ApplicationName, a.ServerID, a.ServerHostName)
}

// avg is the mean of a sum over the aggregate's samples.
func avg(p *discovery.PerfAggregate, sum float64) float64 { return sum / float64(p.Samples) }

// minFreeRAM formats FreeRAMMin times scale, or "" when unknown.
func minFreeRAM(p *discovery.PerfAggregate, format func(float64) string, scale float64) string {
	if !p.FreeRAMMinKnown {
		return ""
	}
	return format(p.FreeRAMMin * scale)
}

// ServerRecord returns the server's Server.csv cells.
func ServerRecord(s *discovery.Server, dst []string) []string {
	return append(dst[:0], s.ID, s.AgentID, s.HostName, s.OSName, s.OSVersion, s.CPUType, s.Hypervisor, s.Type, FormatConfigTime(s.Created))
}

// VMwareRecord returns the server's VMwareInfo.csv cells (for a server with
// a VMware identity, Server.IsVMware).
func VMwareRecord(s *discovery.Server, dst []string) []string {
	return append(dst[:0], s.ID, s.HostName, s.VMMoRefID, s.VMName, s.VCenterID, s.VCenterName, s.VMFolderPath, s.VMHostID)
}

// PerformanceRecord returns the server's SystemPerformance.csv cells: the
// server.performance.* attributes of DescribeConfigurations, in KB, KB per
// second, operations per second and percent. Aggregates are empty for a
// server without samples, and counts and sizes are empty when unknown (0).
func PerformanceRecord(s *discovery.Server, dst []string) []string {
	dst = append(dst[:0], s.ID, s.HostName)
	p := &s.Perf
	if p.Samples > 0 {
		dst = append(dst,
			FormatDouble(avg(p, p.CPUSum)), FormatDouble(p.CPUMax),
			FormatDouble(avg(p, p.DiskReadOpsSum)), FormatDouble(p.DiskReadOpsMax),
			FormatDouble(avg(p, p.DiskWriteOpsSum)), FormatDouble(p.DiskWriteOpsMax),
			FormatDouble(avg(p, p.DiskReadKBpsSum)), FormatDouble(p.DiskReadKBpsMax),
			FormatDouble(avg(p, p.DiskWriteKBpsSum)), FormatDouble(p.DiskWriteKBpsMax),
			FormatDouble(avg(p, p.NetReadKBpsSum)), FormatDouble(p.NetReadKBpsMax),
			FormatDouble(avg(p, p.NetWriteKBpsSum)), FormatDouble(p.NetWriteKBpsMax),
			FormatDouble(avg(p, p.FreeRAMSum)*1024), minFreeRAM(p, FormatDouble, 1024))
	} else {
		for range 16 {
			dst = append(dst, "")
		}
	}
	dst = append(dst, positiveDouble(s.TotalRAMMB*1024))
	return append(dst, positiveInt(s.NumCPUs), positiveInt(s.NumCores), positiveInt(s.NumDisks), positiveInt(s.NumNICs))
}

func positiveInt(v int64) string {
	if v <= 0 {
		return ""
	}
	return FormatInt(v)
}

func positiveDouble(v float64) string {
	if v <= 0 {
		return ""
	}
	return FormatDouble(v)
}

func positiveNumber(v float64) string {
	if v <= 0 {
		return ""
	}
	return FormatNumber(v)
}

// ServerNICRecord returns the cells of a NetworkInterface.csv row: an
// interface as last reported.
func ServerNICRecord(n *discovery.ServerNIC, dst []string) []string {
	return append(dst[:0], n.ServerID, n.HostName, n.Name, n.MACAddress, n.IPAddress, n.NetMask, family(n.Family, n.IPAddress), n.Gateway)
}

// ServerTagRecord returns the cells of a Tags.csv row.
func ServerTagRecord(t *discovery.ServerTag, dst []string) []string {
	return append(dst[:0], t.ServerID, t.HostName, t.Key, t.Value, FormatConfigTime(t.Created))
}

// ListSeparator joins several values in one import template cell, as the
// user guide's examples do ("10.12.31.233, 10.12.32.11").
const ListSeparator = ", "

// ImportTemplateRecord returns the cells of an ImportTemplate.csv row, in
// ImportTemplateHeader order.
func ImportTemplateRecord(r *discovery.ImportTemplateRow, dst []string) []string {
	s := &r.Server
	p := &s.Perf
	var perf [4]string // RAM used avg/max, CPU avg/max
	if p.Samples > 0 {
		if s.TotalRAMMB > 0 {
			perf[0] = FormatNumber(max(s.TotalRAMMB-avg(p, p.FreeRAMSum), 0))
			if p.FreeRAMMinKnown {
				perf[1] = FormatNumber(max(s.TotalRAMMB-p.FreeRAMMin, 0))
			}
		}
		perf[2], perf[3] = FormatNumber(avg(p, p.CPUSum)), FormatNumber(p.CPUMax)
	}
	dst = append(dst[:0],
		"", // ExternalId: the caller's own ID, which poseidon does not know
		"", // SMBiosId: not collected
		strings.Join(r.IPAddresses, ListSeparator), strings.Join(r.MACAddresses, ListSeparator), s.HostName,
		s.VMMoRefID, s.VCenterID,
		positiveInt(s.NumCPUs), positiveInt(s.NumCores), positiveInt(s.NumLogical),
		s.OSName, s.OSVersion, s.VMName, positiveNumber(s.TotalRAMMB))
	dst = appendRates(p, append(dst, perf[:]...))
	return append(dst, strings.Join(r.Applications, ListSeparator), r.Wave, joinTags(r.Tags), s.ID)
}

// appendRates appends the twelve disk and network rates in the order of the
// import template and EC2InstanceRecommendations.csv: disk reads and writes
// in KB/s (averages, then maxima), disk read and write operations per second
// (averages, then maxima), network reads and writes in KB/s (averages, then
// maxima). They are empty cells for a server without samples.
func appendRates(p *discovery.PerfAggregate, dst []string) []string {
	if p.Samples == 0 {
		for range 12 {
			dst = append(dst, "")
		}
		return dst
	}
	return append(dst,
		FormatNumber(avg(p, p.DiskReadKBpsSum)), FormatNumber(avg(p, p.DiskWriteKBpsSum)),
		FormatNumber(p.DiskReadKBpsMax), FormatNumber(p.DiskWriteKBpsMax),
		FormatNumber(avg(p, p.DiskReadOpsSum)), FormatNumber(avg(p, p.DiskWriteOpsSum)),
		FormatNumber(p.DiskReadOpsMax), FormatNumber(p.DiskWriteOpsMax),
		FormatNumber(avg(p, p.NetReadKBpsSum)), FormatNumber(avg(p, p.NetWriteKBpsSum)),
		FormatNumber(p.NetReadKBpsMax), FormatNumber(p.NetWriteKBpsMax))
}
