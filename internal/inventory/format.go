package inventory

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/javafmt"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// jsonText encodes v compactly, without HTML escaping, as AWS's list-valued
// attributes are.
func jsonText(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "[]"
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// set adds k: v when v is not empty.
func set(m map[string]string, k, v string) {
	if v != "" {
		m[k] = v
	}
}

// serverSummary is the ListConfigurations SERVER item.
func serverSummary(s *discovery.Server) map[string]string {
	m := map[string]string{
		"server.configurationId": s.ID,
		"server.timeOfCreation":  javafmt.Timestamp(s.Created),
	}
	set(m, "server.agentId", s.AgentID)
	set(m, "server.hostName", s.HostName)
	set(m, "server.osName", s.OSName)
	set(m, "server.osVersion", s.OSVersion)
	set(m, "server.type", s.Type)
	return m
}

type nicJSON struct {
	Name       string `json:"name"`
	MACAddress string `json:"macAddress"`
	IPAddress  string `json:"ipAddress"`
	NetMask    string `json:"netMask,omitempty"`
}

type appJSON struct {
	Name            string `json:"name"`
	ConfigurationID string `json:"configurationId"`
}

type tagJSON struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// serverDetail is the DescribeConfigurations SERVER item: the 36 keys of the
// user guide. Averages and extremes are present once the server has a
// performance sample; sizes once they are known (not zero).
func serverDetail(s *discovery.ServerDetail) map[string]string {
	m := serverSummary(&s.Server)
	set(m, "server.cpuType", s.CPUType)
	set(m, "server.hypervisor", s.Hypervisor)

	nics := make([]nicJSON, 0, len(s.NICs))
	names := map[string]bool{}
	for _, n := range s.NICs {
		j := nicJSON{Name: n.Name, MACAddress: n.MACAddress, IPAddress: n.IPAddress}
		if n.Family != "IPv6" && !strings.Contains(n.IPAddress, ":") {
			j.NetMask = n.NetMask
		}
		nics = append(nics, j)
		names[n.Name] = true
	}
	apps := make([]appJSON, 0, len(s.Applications))
	for _, a := range s.Applications {
		apps = append(apps, appJSON{Name: a.Name, ConfigurationID: a.ID})
	}
	tags := make([]tagJSON, 0, len(s.Tags))
	for _, t := range s.Tags {
		tags = append(tags, tagJSON{Key: t.Key, Value: t.Value})
	}
	m["server.networkInterfaceInfo"] = jsonText(nics)
	m["server.networkInterfaceInfo.hasMoreValues"] = strconv.FormatBool(s.MoreNICs)
	m["server.applications"] = jsonText(apps)
	m["server.applications.hasMoreValues"] = strconv.FormatBool(s.MoreApplications)
	m["server.tags"] = jsonText(tags)
	m["server.tags.hasMoreValues"] = strconv.FormatBool(s.MoreTags)

	const p = "server.performance."
	count := func(k string, n int64) {
		if n > 0 {
			m[p+k] = itoa(n)
		}
	}
	count("numCpus", s.NumCPUs)
	count("numCores", s.NumCores)
	count("numDisks", s.NumDisks)
	nicCount := s.NumNICs
	if nicCount == 0 && !s.MoreNICs {
		nicCount = int64(len(names))
	}
	count("numNetworkCards", nicCount)
	if s.TotalRAMMB > 0 {
		m[p+"totalRAMInKB"] = javafmt.Double(s.TotalRAMMB * 1024)
	}
	if pf := s.Perf; pf.Samples > 0 {
		n := float64(pf.Samples)
		for k, v := range map[string]float64{
			"avgCpuUsagePct":                pf.CPUSum / n,
			"maxCpuUsagePct":                pf.CPUMax,
			"avgFreeRAMInKB":                pf.FreeRAMSum / n * 1024,
			"avgDiskReadsPerSecondInKB":     pf.DiskReadKBpsSum / n,
			"maxDiskReadsPerSecondInKB":     pf.DiskReadKBpsMax,
			"avgDiskWritesPerSecondInKB":    pf.DiskWriteKBpsSum / n,
			"maxDiskWritesPerSecondInKB":    pf.DiskWriteKBpsMax,
			"avgDiskReadIOPS":               pf.DiskReadOpsSum / n,
			"maxDiskReadIOPS":               pf.DiskReadOpsMax,
			"avgDiskWriteIOPS":              pf.DiskWriteOpsSum / n,
			"maxDiskWriteIOPS":              pf.DiskWriteOpsMax,
			"avgNetworkReadsPerSecondInKB":  pf.NetReadKBpsSum / n,
			"maxNetworkReadsPerSecondInKB":  pf.NetReadKBpsMax,
			"avgNetworkWritesPerSecondInKB": pf.NetWriteKBpsSum / n,
			"maxNetworkWritesPerSecondInKB": pf.NetWriteKBpsMax,
		} {
			m[p+k] = javafmt.Double(v)
		}
		if pf.FreeRAMMinKnown {
			m[p+"minFreeRAMInKB"] = javafmt.Double(pf.FreeRAMMin * 1024)
		}
	}
	return m
}

// processSummary is the ListConfigurations PROCESS item.
func processSummary(p *discovery.Process) map[string]string {
	m := processDetail(p)
	m["server.configurationId"] = p.ServerID
	set(m, "server.agentId", p.AgentID)
	return m
}

// processDetail is the DescribeConfigurations PROCESS item.
func processDetail(p *discovery.Process) map[string]string {
	m := map[string]string{
		"process.configurationId": p.ID,
		"process.timeOfCreation":  javafmt.Timestamp(p.Created),
	}
	set(m, "process.name", p.Name)
	set(m, "process.commandLine", p.CommandLine)
	set(m, "process.path", p.Path)
	return m
}

// connectionSummary is the ListConfigurations CONNECTION item: the guide's
// 15 keys, without a configuration ID.
func connectionSummary(c *discovery.Connection) map[string]string {
	m := map[string]string{
		"connection.sourceIp":        c.SourceIP,
		"connection.destinationIp":   c.DestinationIP,
		"connection.destinationPort": itoa(c.DestinationPort),
		"connection.ipVersion":       c.IPVersion,
		"connection.latestTimestamp": javafmt.Timestamp(c.Latest),
		"connection.occurrence":      itoa(c.Occurrence),
	}
	set(m, "connection.transportProtocol", c.TransportProtocol)
	set(m, "sourceServer.configurationId", c.SourceServerID)
	set(m, "sourceServer.hostName", c.SourceServerHost)
	set(m, "destinationServer.configurationId", c.DestServerID)
	set(m, "destinationServer.hostName", c.DestServerHost)
	set(m, "sourceProcess.configurationId", c.SourceProcessID)
	set(m, "sourceProcess.name", c.SourceProcessName)
	set(m, "destinationProcess.configurationId", c.DestProcessID)
	set(m, "destinationProcess.name", c.DestProcessName)
	return m
}

// connectionDetail is the DescribeConfigurations CONNECTION item: the list
// keys plus connection.configurationId.
func connectionDetail(c *discovery.Connection) map[string]string {
	m := connectionSummary(c)
	m["connection.configurationId"] = c.ID
	return m
}

// applicationAttributes is the APPLICATION item of both operations;
// description is sent even when empty, as in AWS's sample.
func applicationAttributes(a *discovery.Application) map[string]string {
	return map[string]string{
		"application.configurationId":  a.ID,
		"application.name":             a.Name,
		"application.description":      a.Description,
		"application.serverCount":      itoa(a.ServerCount),
		"application.timeOfCreation":   javafmt.Timestamp(a.Created),
		"application.lastModifiedTime": javafmt.Timestamp(a.Updated),
	}
}

// listAttributes renders a ListConfigurations item.
func listAttributes(it discovery.Item) map[string]string {
	switch {
	case it.Server != nil:
		return serverSummary(it.Server)
	case it.Process != nil:
		return processSummary(it.Process)
	case it.Connection != nil:
		return connectionSummary(it.Connection)
	case it.Application != nil:
		return applicationAttributes(it.Application)
	}
	return map[string]string{}
}
