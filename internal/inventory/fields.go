package inventory

import (
	"sort"
	"strings"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// CondSet is the set of conditions a filter name accepts (user guide,
// "Using the ListConfigurations action").
type CondSet int

// Condition sets. EQ and NE are aliases of EQUALS and NOT_EQUALS.
const (
	NoFilter CondSet = iota // sort-only field
	C4                      // EQUALS, NOT_EQUALS, EQ, NE
	C6                      // C4, CONTAINS, NOT_CONTAINS
	CN                      // GE, LE, GT, LT
)

// Kind is the type of a field's values.
type Kind int

// Value kinds.
const (
	KindString  Kind = iota
	KindInteger      // values must be integers (connection.destinationPort)
	KindNumber       // values must be numbers (the CN fields)
)

// Field is one filter or sort name of an item type.
type Field struct {
	Name     string // canonical spelling
	Key      discovery.Field
	Conds    CondSet
	Sortable bool
	Kind     Kind
	// Multi marks fields over a related list (interfaces, tags,
	// applications, processes): a positive condition holds when any element
	// matches, a negative one when none does.
	Multi bool
}

// Operator is a normalized filter condition of ListConfigurations.
type Operator string

// The conditions. EQ and NE are read as EQUALS and NOT_EQUALS.
const (
	Equals      Operator = "EQUALS"
	NotEquals   Operator = "NOT_EQUALS"
	Contains    Operator = "CONTAINS"
	NotContains Operator = "NOT_CONTAINS"
	GE          Operator = "GE"
	LE          Operator = "LE"
	GT          Operator = "GT"
	LT          Operator = "LT"
)

// Negated reports whether op is NOT_EQUALS or NOT_CONTAINS.
func (op Operator) Negated() bool { return op == NotEquals || op == NotContains }

// Ordered reports whether op is one of the numeric comparisons.
func (op Operator) Ordered() bool { return op == GE || op == LE || op == GT || op == LT }

var condNames = map[string]Operator{
	"EQUALS": Equals, "EQ": Equals, "NOT_EQUALS": NotEquals, "NE": NotEquals,
	"CONTAINS": Contains, "NOT_CONTAINS": NotContains,
	"GE": GE, "LE": LE, "GT": GT, "LT": LT,
}

func (c CondSet) allows(op Operator) bool {
	switch c {
	case C4:
		return op == Equals || op == NotEquals
	case C6:
		return op == Equals || op == NotEquals || op == Contains || op == NotContains
	case CN:
		return op.Ordered()
	}
	return false
}

func (c CondSet) String() string {
	switch c {
	case C4:
		return "EQUALS, NOT_EQUALS, EQ, NE"
	case C6:
		return "EQUALS, NOT_EQUALS, EQ, NE, CONTAINS, NOT_CONTAINS"
	case CN:
		return "GE, LE, GT, LT"
	}
	return "none"
}

func str(name string, key discovery.Field, c CondSet, sortable bool) Field {
	return Field{Name: name, Key: key, Conds: c, Sortable: sortable}
}

func multi(name string, key discovery.Field, c CondSet) Field {
	return Field{Name: name, Key: key, Conds: c, Multi: true}
}

func num(name string, key discovery.Field) Field {
	return Field{Name: name, Key: key, Conds: CN, Kind: KindNumber}
}

// fieldTable is the user guide's filter and sort tables (attributes-and-import
// §1.4), plus the CONNECTION names of the 2016 SDK documentation.
var fieldTable = map[discovery.ItemType][]Field{
	discovery.TypeServer: {
		str("server.configurationId", discovery.FieldServerID, C4, false),
		str("server.hostName", discovery.FieldServerHostName, C6, true),
		str("server.osName", discovery.FieldServerOSName, C6, true),
		str("server.osVersion", discovery.FieldServerOSVersion, C6, true),
		str("server.agentId", discovery.FieldServerAgentID, C4, false),
		str("server.connectorId", discovery.FieldServerConnectorID, C4, false),
		str("server.type", discovery.FieldServerType, C4, false),
		str("server.vmWareInfo.morefId", discovery.FieldServerVMMoRefID, C6, false),
		str("server.vmWareInfo.vcenterId", discovery.FieldServerVCenterID, C6, false),
		str("server.vmWareInfo.hostId", discovery.FieldServerVMHostID, C6, false),
		str("server.networkInterfaceInfo.portGroupId", discovery.FieldServerPortGroupID, C6, false),
		str("server.networkInterfaceInfo.portGroupName", discovery.FieldServerPortGroupName, C6, false),
		str("server.networkInterfaceInfo.virtualSwitchName", discovery.FieldServerVirtualSwitchName, C6, false),
		multi("server.networkInterfaceInfo.ipAddress", discovery.FieldServerNICIPAddress, C6),
		multi("server.networkInterfaceInfo.macAddress", discovery.FieldServerNICMACAddress, C6),
		num("server.performance.avgCpuUsagePct", discovery.FieldServerAvgCPUPct),
		num("server.performance.totalDiskFreeSizeInKB", discovery.FieldServerDiskFreeKB),
		num("server.performance.avgFreeRAMInKB", discovery.FieldServerAvgFreeRAMKB),
		multi("server.tag.value", discovery.FieldServerTagValue, C6),
		multi("server.tag.key", discovery.FieldServerTagKey, C6),
		multi("server.application.name", discovery.FieldServerApplicationName, C6),
		multi("server.application.description", discovery.FieldServerApplicationDescription, C6),
		multi("server.application.configurationId", discovery.FieldServerApplicationID, C4),
		multi("server.process.configurationId", discovery.FieldServerProcessID, C4),
		multi("server.process.name", discovery.FieldServerProcessName, C6),
		multi("server.process.commandLine", discovery.FieldServerProcessCommandLine, C6),
	},
	discovery.TypeApplication: {
		str("application.configurationId", discovery.FieldApplicationID, C4, false),
		str("application.name", discovery.FieldApplicationName, C6, true),
		str("application.description", discovery.FieldApplicationDescription, C6, true),
		str("application.serverCount", discovery.FieldApplicationServerCount, NoFilter, true),
		str("application.timeOfCreation", discovery.FieldApplicationCreated, NoFilter, true),
		str("application.lastModifiedTime", discovery.FieldApplicationUpdated, NoFilter, true),
		multi("server.configurationId", discovery.FieldApplicationServerID, C4),
	},
	discovery.TypeProcess: {
		str("process.configurationId", discovery.FieldProcessID, C4, false),
		str("process.name", discovery.FieldProcessName, C6, true),
		str("process.commandLine", discovery.FieldProcessCommandLine, C6, true),
		str("server.configurationId", discovery.FieldProcessServerID, C4, false),
		str("server.hostName", discovery.FieldProcessServerHostName, C6, true),
		str("server.osName", discovery.FieldProcessServerOSName, C6, true),
		str("server.osVersion", discovery.FieldProcessServerOSVersion, C6, true),
		str("server.agentId", discovery.FieldProcessAgentID, C6, false),
	},
	discovery.TypeConnection: {
		str("connection.sourceIp", discovery.FieldConnectionSourceIP, C6, true),
		str("connection.destinationIp", discovery.FieldConnectionDestinationIP, C6, true),
		{Name: "connection.destinationPort", Key: discovery.FieldConnectionDestinationPort, Conds: C4, Sortable: true, Kind: KindInteger},
		str("sourceServer.configurationId", discovery.FieldConnectionSourceServerID, C4, false),
		str("sourceServer.hostName", discovery.FieldConnectionSourceServerHostName, C6, true),
		str("sourceServer.osName", discovery.FieldConnectionSourceServerOSName, C6, true),                 // 2016 SDK docs
		str("sourceServer.osVersion", discovery.FieldConnectionSourceServerOSVersion, C6, true),           // 2016 SDK docs
		str("sourceServer.agentId", discovery.FieldConnectionSourceServerAgentID, C6, false),              // 2016 SDK docs
		str("destinationServer.configurationId", discovery.FieldConnectionDestinationServerID, C4, false), // 2016 SDK docs
		str("destinationServer.hostName", discovery.FieldConnectionDestinationServerHostName, C6, true),   // 2016 SDK docs
		str("destinationServer.osName", discovery.FieldConnectionDestinationServerOSName, C6, true),
		str("destinationServer.osVersion", discovery.FieldConnectionDestinationServerOSVersion, C6, true),
		str("destinationServer.agentId", discovery.FieldConnectionDestinationServerAgentID, C6, false),
		str("sourceProcess.configurationId", discovery.FieldConnectionSourceProcessID, C4, false),
		str("sourceProcess.name", discovery.FieldConnectionSourceProcessName, C6, true),
		str("sourceProcess.commandLine", discovery.FieldConnectionSourceProcessCommandLine, C6, true),
		str("destinationProcess.configurationId", discovery.FieldConnectionDestinationProcessID, C4, false),
		str("destinationProcess.name", discovery.FieldConnectionDestinationProcessName, C6, true),
		// The guide spells it destinationprocess.commandLine; names match
		// case-insensitively, so both spellings work.
		str("destinationProcess.commandLine", discovery.FieldConnectionDestinationProcessCommandLine, C6, true),
	},
}

var fieldIndex = func() map[discovery.ItemType]map[string]Field {
	out := map[discovery.ItemType]map[string]Field{}
	for t, fs := range fieldTable {
		m := map[string]Field{}
		for _, f := range fs {
			key := strings.ToLower(f.Name)
			if _, dup := m[key]; dup {
				panic("inventory: field listed twice: " + f.Name)
			}
			m[key] = f
		}
		out[t] = m
	}
	return out
}()

// Fields returns the filter and sort names of an item type.
func Fields(t discovery.ItemType) []Field {
	return append([]Field(nil), fieldTable[t]...)
}

// lookupField finds a field by name, case-insensitively.
func lookupField(t discovery.ItemType, name string) (Field, bool) {
	f, ok := fieldIndex[t][strings.ToLower(name)]
	return f, ok
}

func filterNames(t discovery.ItemType) string {
	var names []string
	for _, f := range fieldTable[t] {
		if f.Conds != NoFilter {
			names = append(names, f.Name)
		}
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func sortNames(t discovery.ItemType) string {
	var names []string
	for _, f := range fieldTable[t] {
		if f.Sortable {
			names = append(names, f.Name)
		}
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}
