package exportfile

import (
	"strconv"
	"strings"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// Records turn the rows a store streams (discovery's export rows) into the
// cells of their file, in layout order. Each appends to dst[:0] and returns
// it, so one slice serves every row.

// Rows of the agent export, from the agent's time series. Each is written
// once, cell by cell, into a cells: Record collects the cells as strings,
// Line encodes them straight into a CSV line (the export's path, which
// allocates nothing per row); both give the same bytes.

// cells receives the cells of one row, in layout order.
type cells interface {
	text(string)
	double(float64)
	integer(int64)
	boolean(bool)
	timestamp(time.Time)
	agentTime(time.Time)
}

// record collects cells as strings.
type record struct{ dst []string }

func (r *record) text(v string)         { r.dst = append(r.dst, v) }
func (r *record) double(v float64)      { r.dst = append(r.dst, FormatDouble(v)) }
func (r *record) integer(v int64)       { r.dst = append(r.dst, FormatInt(v)) }
func (r *record) boolean(v bool)        { r.dst = append(r.dst, FormatBool(v)) }
func (r *record) timestamp(t time.Time) { r.dst = append(r.dst, FormatTimestamp(t)) }
func (r *record) agentTime(t time.Time) { r.dst = append(r.dst, FormatAgentTime(t)) }

// Line encodes one CSV row at a time into a reused buffer, as AppendRow
// encodes the same cells as strings. The zero Line is ready to use.
type Line struct {
	b     []byte
	cells int
}

func (l *Line) sep() {
	if l.cells > 0 {
		l.b = append(l.b, ',')
	}
	l.cells++
}

// Numbers and times never need quotes (fieldNeedsQuotes).
func (l *Line) text(v string)         { l.sep(); l.b = appendField(l.b, v) }
func (l *Line) double(v float64)      { l.sep(); l.b = AppendDouble(l.b, v) }
func (l *Line) integer(v int64)       { l.sep(); l.b = strconv.AppendInt(l.b, v, 10) }
func (l *Line) boolean(v bool)        { l.sep(); l.b = strconv.AppendBool(l.b, v) }
func (l *Line) timestamp(t time.Time) { l.sep(); l.b = t.UTC().AppendFormat(l.b, TimestampLayout) }
func (l *Line) agentTime(t time.Time) { l.sep(); l.b = t.UTC().AppendFormat(l.b, AgentTimeLayout) }

// encode returns the line of the cells fill gives of x, "\n"-terminated;
// it is valid until the next row.
func encode[T any](l *Line, account string, x *T, fill func(cells, string, *T)) []byte {
	l.b, l.cells = l.b[:0], 0
	fill(l, account, x)
	l.b = append(l.b, '\n')
	return l.b
}

// asRecord returns the cells fill gives of x, appended to dst[:0].
func asRecord[T any](dst []string, account string, x *T, fill func(cells, string, *T)) []string {
	r := record{dst[:0]}
	fill(&r, account, x)
	return r.dst
}

// PerfSampleRecord returns the cells of a systemPerformance.csv row.
func PerfSampleRecord(account string, p *discovery.PerfSample, dst []string) []string {
	return asRecord(dst, account, p, perfSampleCells)
}

// PerfSample encodes the systemPerformance.csv row of p.
func (l *Line) PerfSample(account string, p *discovery.PerfSample) []byte {
	return encode(l, account, p, perfSampleCells)
}

func perfSampleCells(c cells, account string, p *discovery.PerfSample) {
	c.text(account)
	c.text(p.AgentID)
	for _, v := range [...]float64{p.DiskReadKBps, p.DiskWriteKBps, p.DiskReadOps, p.DiskWriteOps, p.NetReadKBps, p.NetWriteKBps} {
		c.double(v)
	}
	for _, v := range [...]int64{p.NumLogical, p.NumCores, p.NumCPUs, p.NumDisks, p.NumNICs} {
		c.integer(v)
	}
	for _, v := range [...]float64{p.CPUPct, p.DiskSizeGB, p.DiskFreeGB, p.TotalRAMMB, p.FreeRAMMB} {
		c.double(v)
	}
	c.timestamp(p.Time)
}

// OSInfoRecord returns the cells of an osInfo.csv row.
func OSInfoRecord(account string, o *discovery.OSInfo, dst []string) []string {
	return asRecord(dst, account, o, osInfoCells)
}

// OSInfo encodes the osInfo.csv row of o.
func (l *Line) OSInfo(account string, o *discovery.OSInfo) []byte {
	return encode(l, account, o, osInfoCells)
}

func osInfoCells(c cells, account string, o *discovery.OSInfo) {
	for _, v := range [...]string{account, o.AgentID, o.OSName, o.OSVersion, o.CPUType, o.HostName, o.Hypervisor} {
		c.text(v)
	}
	c.timestamp(o.Time)
}

// NICSampleRecord returns the cells of a networkInterface.csv row. An empty
// family is derived from the address.
func NICSampleRecord(account string, n *discovery.NICSample, dst []string) []string {
	return asRecord(dst, account, n, nicSampleCells)
}

// NICSample encodes the networkInterface.csv row of n.
func (l *Line) NICSample(account string, n *discovery.NICSample) []byte {
	return encode(l, account, n, nicSampleCells)
}

func nicSampleCells(c cells, account string, n *discovery.NICSample) {
	for _, v := range [...]string{account, n.AgentID, n.Name, n.MACAddress, family(n.Family, n.IPAddress), n.IPAddress, n.Gateway, n.NetMask} {
		c.text(v)
	}
	c.timestamp(n.Time)
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
	return asRecord(dst, account, p, processSampleCells)
}

// ProcessSample encodes the process.csv row of p.
func (l *Line) ProcessSample(account string, p *discovery.ProcessSample) []byte {
	return encode(l, account, p, processSampleCells)
}

func processSampleCells(c cells, account string, p *discovery.ProcessSample) {
	c.text(account)
	c.text(p.AgentID)
	c.integer(p.PID)
	c.boolean(p.IsSystem)
	c.text(p.Name)
	c.text(p.CommandLine)
	c.text(p.Path)
	c.agentTime(p.Time)
}

// ConnectionSampleRecord returns the cells of a sourceProcessConnection.csv
// or destinationProcessConnection.csv row. An unknown process (PID 0) is an
// empty cell.
func ConnectionSampleRecord(account string, c *discovery.ConnectionSample, dst []string) []string {
	return asRecord(dst, account, c, connectionSampleCells)
}

// ConnectionSample encodes the connection row of cs.
func (l *Line) ConnectionSample(account string, cs *discovery.ConnectionSample) []byte {
	return encode(l, account, cs, connectionSampleCells)
}

func connectionSampleCells(c cells, account string, cs *discovery.ConnectionSample) {
	c.text(account)
	c.text(cs.AgentID)
	c.text(cs.SourceIP)
	c.integer(cs.SourcePort)
	c.text(cs.DestinationIP)
	c.integer(cs.DestinationPort)
	c.text(orDefault(cs.IPVersion, "IPv4"))
	c.text(orDefault(cs.TransportProtocol, "tcp"))
	if cs.PID != 0 {
		c.integer(cs.PID)
	} else {
		c.text("")
	}
	c.timestamp(cs.Time)
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
