package exportfile

import (
	"strings"
	"time"
)

// Rows of the agent export. The store fills them from the agent's time
// series; Record turns one into the cells of its file, in layout order.
// Record appends to dst[:0] and returns it, so one slice serves every row.

// PerfSample is a row of systemPerformance.csv.
type PerfSample struct {
	AgentID string
	Time    time.Time
	// Rates: disk and network throughput in KB per second, disk operations
	// per second.
	DiskReadKBps, DiskWriteKBps, DiskReadOps, DiskWriteOps, NetReadKBps, NetWriteKBps float64
	NumLogical, NumCores, NumCPUs, NumDisks, NumNICs                                  int64
	CPUPct, DiskSizeGB, DiskFreeGB, TotalRAMMB, FreeRAMMB                             float64
}

// Record returns the row's cells.
func (p *PerfSample) Record(account string, dst []string) []string {
	return append(dst[:0], account, p.AgentID,
		FormatDouble(p.DiskReadKBps), FormatDouble(p.DiskWriteKBps), FormatDouble(p.DiskReadOps), FormatDouble(p.DiskWriteOps),
		FormatDouble(p.NetReadKBps), FormatDouble(p.NetWriteKBps),
		FormatInt(p.NumLogical), FormatInt(p.NumCores), FormatInt(p.NumCPUs), FormatInt(p.NumDisks), FormatInt(p.NumNICs),
		FormatDouble(p.CPUPct), FormatDouble(p.DiskSizeGB), FormatDouble(p.DiskFreeGB), FormatDouble(p.TotalRAMMB), FormatDouble(p.FreeRAMMB),
		FormatTimestamp(p.Time))
}

// OSInfo is a row of osInfo.csv: the OS facts of one report.
type OSInfo struct {
	AgentID                                          string
	Time                                             time.Time
	OSName, OSVersion, CPUType, HostName, Hypervisor string
}

// Record returns the row's cells.
func (o *OSInfo) Record(account string, dst []string) []string {
	return append(dst[:0], account, o.AgentID, o.OSName, o.OSVersion, o.CPUType, o.HostName, o.Hypervisor, FormatTimestamp(o.Time))
}

// NICSample is a row of networkInterface.csv: one interface of one report.
type NICSample struct {
	AgentID                                               string
	Time                                                  time.Time
	Name, MACAddress, Family, IPAddress, Gateway, NetMask string
}

// Record returns the row's cells. An empty family is derived from the address.
func (n *NICSample) Record(account string, dst []string) []string {
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

// ProcessSample is a row of process.csv: one process seen in one report.
type ProcessSample struct {
	AgentID                 string
	Time                    time.Time
	PID                     int64
	IsSystem                bool
	Name, CommandLine, Path string
}

// Record returns the row's cells.
func (p *ProcessSample) Record(account string, dst []string) []string {
	return append(dst[:0], account, p.AgentID, FormatInt(p.PID), FormatBool(p.IsSystem), p.Name, p.CommandLine, p.Path, FormatAgentTime(p.Time))
}

// Connection directions, as agent reports and the store name them.
const (
	Outbound = "outbound" // this server is the source: sourceProcessConnection.csv
	Inbound  = "inbound"  // this server is the destination: destinationProcessConnection.csv
)

// ConnectionSample is a row of sourceProcessConnection.csv (outbound) or
// destinationProcessConnection.csv (inbound).
type ConnectionSample struct {
	AgentID                      string
	Time                         time.Time
	SourceIP                     string
	SourcePort                   int64
	DestinationIP                string
	DestinationPort              int64
	IPVersion, TransportProtocol string
	// PID is the local process; 0 when the agent did not know it, which
	// is written as an empty cell.
	PID int64
}

// Record returns the row's cells.
func (c *ConnectionSample) Record(account string, dst []string) []string {
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

// Rows of the summary export, one per configuration item, filled from the
// inventory.

// Application is a row of Application.csv.
type Application struct {
	ID, Name, Description, Wave string
	ServerCount                 int64
	Created, Updated            time.Time
}

// Record returns the row's cells.
func (a *Application) Record(dst []string) []string {
	return append(dst[:0], a.ID, a.Name, a.Description, a.Wave, FormatInt(a.ServerCount), FormatConfigTime(a.Created), FormatConfigTime(a.Updated))
}

// AppServer is a row of ApplicationResourceAssociation.csv.
type AppServer struct {
	ApplicationID, ApplicationName, ServerID, ServerHostName string
}

// Record returns the row's cells.
func (a *AppServer) Record(dst []string) []string {
	return append(dst[:0], a.ApplicationID, a.ApplicationName, a.ServerID, a.ServerHostName)
}

// Server is one server with its performance aggregates: a row of Server.csv,
// SystemPerformance.csv and (for VMware servers) VMwareInfo.csv.
type Server struct {
	ID, AgentID, Source, HostName, OSName, OSVersion, CPUType, Hypervisor, Type string
	NumCPUs, NumCores, NumLogical, NumDisks, NumNICs                            int64
	TotalRAMMB, TotalDiskGB                                                     float64
	VMMoRefID, VMName, VCenterID, VCenterName, VMFolderPath, VMHostID           string
	Created, Updated                                                            time.Time
	Perf                                                                        PerfAggregate
}

// PerfAggregate sums a server's performance samples; averages are Sum/Samples.
type PerfAggregate struct {
	Samples                            int64
	CPUSum, CPUMax                     float64
	FreeRAMSum                         float64 // MB
	FreeRAMMin                         float64 // MB, if FreeRAMMinKnown
	FreeRAMMinKnown                    bool
	DiskReadKBpsSum, DiskReadKBpsMax   float64
	DiskWriteKBpsSum, DiskWriteKBpsMax float64
	DiskReadOpsSum, DiskReadOpsMax     float64
	DiskWriteOpsSum, DiskWriteOpsMax   float64
	NetReadKBpsSum, NetReadKBpsMax     float64
	NetWriteKBpsSum, NetWriteKBpsMax   float64
}

func (p *PerfAggregate) avg(sum float64) float64 { return sum / float64(p.Samples) }

// minFreeRAM formats FreeRAMMin times scale, or "" when unknown.
func (p *PerfAggregate) minFreeRAM(format func(float64) string, scale float64) string {
	if !p.FreeRAMMinKnown {
		return ""
	}
	return format(p.FreeRAMMin * scale)
}

// IsVMware reports whether the server has a VMware identity, and so a row in
// VMwareInfo.csv.
func (s *Server) IsVMware() bool {
	return s.VMMoRefID != "" || s.VCenterID != "" || s.VMName != ""
}

// ServerRecord returns the server's Server.csv cells.
func (s *Server) ServerRecord(dst []string) []string {
	return append(dst[:0], s.ID, s.AgentID, s.HostName, s.OSName, s.OSVersion, s.CPUType, s.Hypervisor, s.Type, FormatConfigTime(s.Created))
}

// VMwareRecord returns the server's VMwareInfo.csv cells.
func (s *Server) VMwareRecord(dst []string) []string {
	return append(dst[:0], s.ID, s.HostName, s.VMMoRefID, s.VMName, s.VCenterID, s.VCenterName, s.VMFolderPath, s.VMHostID)
}

// PerformanceRecord returns the server's SystemPerformance.csv cells: the
// server.performance.* attributes of DescribeConfigurations, in KB, KB per
// second, operations per second and percent. Aggregates are empty for a
// server without samples, and counts and sizes are empty when unknown (0).
func (s *Server) PerformanceRecord(dst []string) []string {
	dst = append(dst[:0], s.ID, s.HostName)
	p := &s.Perf
	if p.Samples > 0 {
		dst = append(dst,
			FormatDouble(p.avg(p.CPUSum)), FormatDouble(p.CPUMax),
			FormatDouble(p.avg(p.DiskReadOpsSum)), FormatDouble(p.DiskReadOpsMax),
			FormatDouble(p.avg(p.DiskWriteOpsSum)), FormatDouble(p.DiskWriteOpsMax),
			FormatDouble(p.avg(p.DiskReadKBpsSum)), FormatDouble(p.DiskReadKBpsMax),
			FormatDouble(p.avg(p.DiskWriteKBpsSum)), FormatDouble(p.DiskWriteKBpsMax),
			FormatDouble(p.avg(p.NetReadKBpsSum)), FormatDouble(p.NetReadKBpsMax),
			FormatDouble(p.avg(p.NetWriteKBpsSum)), FormatDouble(p.NetWriteKBpsMax),
			FormatDouble(p.avg(p.FreeRAMSum)*1024), p.minFreeRAM(FormatDouble, 1024))
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

// ServerNIC is a row of NetworkInterface.csv: an interface as last reported.
type ServerNIC struct {
	ServerID, HostName, Name, MACAddress, IPAddress, NetMask, Family, Gateway string
}

// Record returns the row's cells.
func (n *ServerNIC) Record(dst []string) []string {
	return append(dst[:0], n.ServerID, n.HostName, n.Name, n.MACAddress, n.IPAddress, n.NetMask, family(n.Family, n.IPAddress), n.Gateway)
}

// ServerTag is a row of Tags.csv: a tag on a server.
type ServerTag struct {
	ServerID, HostName, Key, Value string
	Created                        time.Time
}

// Record returns the row's cells.
func (t *ServerTag) Record(dst []string) []string {
	return append(dst[:0], t.ServerID, t.HostName, t.Key, t.Value, FormatConfigTime(t.Created))
}

// ImportRecord is a row of ImportTemplate.csv: a server with its addresses,
// applications and tags, in the import template's formats.
type ImportRecord struct {
	Server       Server
	IPAddresses  []string // ordered by interface name, then address
	MACAddresses []string // distinct, in the same order
	Applications []string // names, ordered by application ID
	Wave         string   // of the first application (by ID) that has one
	Tags         []Tag    // ordered by key, then value
}

// Tag is a key and value.
type Tag struct{ Key, Value string }

// ListSeparator joins several values in one import template cell, as the
// user guide's examples do ("10.12.31.233, 10.12.32.11").
const ListSeparator = ", "

// Record returns the row's cells, in ImportTemplateHeader order.
func (r *ImportRecord) Record(dst []string) []string {
	s := &r.Server
	p := &s.Perf
	var perf [4]string // RAM used avg/max, CPU avg/max
	if p.Samples > 0 {
		if s.TotalRAMMB > 0 {
			perf[0] = FormatNumber(max(s.TotalRAMMB-p.avg(p.FreeRAMSum), 0))
			if p.FreeRAMMinKnown {
				perf[1] = FormatNumber(max(s.TotalRAMMB-p.FreeRAMMin, 0))
			}
		}
		perf[2], perf[3] = FormatNumber(p.avg(p.CPUSum)), FormatNumber(p.CPUMax)
	}
	dst = append(dst[:0],
		"", // ExternalId: the caller's own ID, which poseidon does not know
		"", // SMBiosId: not collected
		strings.Join(r.IPAddresses, ListSeparator), strings.Join(r.MACAddresses, ListSeparator), s.HostName,
		s.VMMoRefID, s.VCenterID,
		positiveInt(s.NumCPUs), positiveInt(s.NumCores), positiveInt(s.NumLogical),
		s.OSName, s.OSVersion, s.VMName, positiveNumber(s.TotalRAMMB))
	dst = p.appendRates(append(dst, perf[:]...))
	return append(dst, strings.Join(r.Applications, ListSeparator), r.Wave, joinTags(r.Tags), s.ID)
}

// appendRates appends the twelve disk and network rates in the order of the
// import template and EC2InstanceRecommendations.csv: disk reads and writes
// in KB/s (averages, then maxima), disk read and write operations per second
// (averages, then maxima), network reads and writes in KB/s (averages, then
// maxima). They are empty cells for a server without samples.
func (p *PerfAggregate) appendRates(dst []string) []string {
	if p.Samples == 0 {
		for range 12 {
			dst = append(dst, "")
		}
		return dst
	}
	return append(dst,
		FormatNumber(p.avg(p.DiskReadKBpsSum)), FormatNumber(p.avg(p.DiskWriteKBpsSum)),
		FormatNumber(p.DiskReadKBpsMax), FormatNumber(p.DiskWriteKBpsMax),
		FormatNumber(p.avg(p.DiskReadOpsSum)), FormatNumber(p.avg(p.DiskWriteOpsSum)),
		FormatNumber(p.DiskReadOpsMax), FormatNumber(p.DiskWriteOpsMax),
		FormatNumber(p.avg(p.NetReadKBpsSum)), FormatNumber(p.avg(p.NetWriteKBpsSum)),
		FormatNumber(p.NetReadKBpsMax), FormatNumber(p.NetWriteKBpsMax))
}
