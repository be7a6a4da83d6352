package exportfile

// Layout names one CSV file of an export and its header row. The file in the
// zip is {accountId}_<Name>.csv (EC2InstanceRecommendations.csv has no
// prefix). docs/exports.md documents every layout.
type Layout struct {
	Name   string
	Header []string
}

var serverPerformance = []string{
	"server.performance.avgCpuUsagePct", "server.performance.maxCpuUsagePct",
	"server.performance.avgDiskReadIOPS", "server.performance.maxDiskReadIOPS",
	"server.performance.avgDiskWriteIOPS", "server.performance.maxDiskWriteIOPS",
	"server.performance.avgDiskReadsPerSecondInKB", "server.performance.maxDiskReadsPerSecondInKB",
	"server.performance.avgDiskWritesPerSecondInKB", "server.performance.maxDiskWritesPerSecondInKB",
	"server.performance.avgNetworkReadsPerSecondInKB", "server.performance.maxNetworkReadsPerSecondInKB",
	"server.performance.avgNetworkWritesPerSecondInKB", "server.performance.maxNetworkWritesPerSecondInKB",
	"server.performance.avgFreeRAMInKB", "server.performance.minFreeRAMInKB", "server.performance.totalRAMInKB",
	"server.performance.numCpus", "server.performance.numCores", "server.performance.numDisks",
	"server.performance.numNetworkCards",
}

// ImportTemplateHeader is the ADS import template, in the user guide's order.
var ImportTemplateHeader = []string{
	"ExternalId", "SMBiosId", "IPAddress", "MACAddress", "HostName", "VMware.MoRefId", "VMware.VCenterId",
	"CPU.NumberOfProcessors", "CPU.NumberOfCores", "CPU.NumberOfLogicalCores", "OS.Name", "OS.Version",
	"VMware.VMName", "RAM.TotalSizeInMB", "RAM.UsedSizeInMB.Avg", "RAM.UsedSizeInMB.Max",
	"CPU.UsagePct.Avg", "CPU.UsagePct.Max",
	"DiskReadsPerSecondInKB.Avg", "DiskWritesPerSecondInKB.Avg", "DiskReadsPerSecondInKB.Max", "DiskWritesPerSecondInKB.Max",
	"DiskReadsOpsPerSecond.Avg", "DiskWritesOpsPerSecond.Avg", "DiskReadsOpsPerSecond.Max", "DiskWritesOpsPerSecond.Max",
	"NetworkReadsPerSecondInKB.Avg", "NetworkWritesPerSecondInKB.Avg", "NetworkReadsPerSecondInKB.Max", "NetworkWritesPerSecondInKB.Max",
	"Applications", "ApplicationWave", "Tags", "ServerId",
}

// SummaryLayouts is the file set of a summary export (ads-spec §5.1). AWS
// publishes no layouts for these files. Application.csv and
// ApplicationResourceAssociation.csv follow the one public reader of them, a
// Migration Acceleration Program tagger that selects Id and name from the
// first and configId and applicationConfigurationId from the second, by
// header name (docs/exports.md marks which headers rest on that evidence);
// the other files name their columns after the DescribeConfigurations
// attributes.
var SummaryLayouts = []Layout{
	{"Application", []string{"Id", "name", "description", "wave", "serverCount", "timeOfCreation", "lastModifiedTime"}},
	{"ApplicationResourceAssociation", []string{"applicationConfigurationId", "applicationName", "configId", "hostName"}},
	{"ImportTemplate", ImportTemplateHeader},
	{"NetworkInterface", []string{"server.configurationId", "server.hostName", "networkInterface.name", "networkInterface.macAddress",
		"networkInterface.ipAddress", "networkInterface.netMask", "networkInterface.family", "networkInterface.gateway"}},
	{"Server", []string{"server.configurationId", "server.agentId", "server.hostName", "server.osName", "server.osVersion",
		"server.cpuType", "server.hypervisor", "server.type", "server.timeOfCreation"}},
	{"SystemPerformance", append([]string{"server.configurationId", "server.hostName"}, serverPerformance...)},
	{"Tags", []string{"server.configurationId", "server.hostName", "tag.key", "tag.value", "tag.timeOfCreation"}},
	{"VMwareInfo", []string{"server.configurationId", "server.hostName", "vmware.moRefId", "vmware.vmName", "vmware.vCenterId",
		"vmware.vCenterName", "vmware.vmFolderPath", "vmware.hostId"}},
}

var connectionHeader = []string{"accountNumber", "agentId", "sourceIp", "sourcePort", "destinationIp", "destinationPort",
	"ipVersion", "transportProtocol", "agentAssignedProcessId", "agentCreationDate"}

// AgentLayouts is the file set of an agent export (ads-spec §5.2), in the
// column order that published readers of real exports use.
var AgentLayouts = []Layout{
	{"destinationProcessConnection", connectionHeader},
	{"networkInterface", []string{"accountNumber", "agentId", "name", "macAddress", "family", "ipAddress", "gateway", "netMask", "timestamp"}},
	{"osInfo", []string{"accountNumber", "agentId", "osName", "osVersion", "cpuType", "hostName", "hypervisor", "timestamp"}},
	{"process", []string{"accountNumber", "agentId", "agentAssignedProcessId", "isSystem", "name", "cmdLine", "path", "agentProvidedTimeStamp"}},
	{"sourceProcessConnection", connectionHeader},
	{"systemPerformance", []string{"accountNumber", "agentId",
		"totalDiskBytesReadPerSecond(Kbps)", "totalDiskBytesWrittenPerSecond(Kbps)", "totalDiskReadOpsPerSecond", "totalDiskWriteOpsPerSecond",
		"totalNetworkBytesReadPerSecond(Kbps)", "totalNetworkBytesWrittenPerSecond(Kbps)", "totalNumLogicalProcessors", "totalNumCores",
		"totalNumCpus", "totalNumDisks", "totalNumNetworkCards", "totalCpuUsagePct", "totalDiskSize(GB)", "totalDiskFreeSize(GB)",
		"totalRAM(MB)", "freeRAM(MB)", "timestamp"}},
}
