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
	Conds    CondSet
	Sortable bool
	Kind     Kind
	// Multi marks fields over a related list (interfaces, tags,
	// applications, processes): a positive condition holds when any element
	// matches, a negative one when none does.
	Multi bool
}

var condNames = map[string]discovery.Operator{
	"EQUALS": discovery.Equals, "EQ": discovery.Equals, "NOT_EQUALS": discovery.NotEquals, "NE": discovery.NotEquals,
	"CONTAINS": discovery.Contains, "NOT_CONTAINS": discovery.NotContains,
	"GE": discovery.GE, "LE": discovery.LE, "GT": discovery.GT, "LT": discovery.LT,
}

func (c CondSet) allows(op discovery.Operator) bool {
	switch c {
	case C4:
		return op == discovery.Equals || op == discovery.NotEquals
	case C6:
		return op == discovery.Equals || op == discovery.NotEquals || op == discovery.Contains || op == discovery.NotContains
	case CN:
		return op == discovery.GE || op == discovery.LE || op == discovery.GT || op == discovery.LT
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

func str(name string, c CondSet, sortable bool) Field {
	return Field{Name: name, Conds: c, Sortable: sortable}
}

func multi(name string, c CondSet) Field { return Field{Name: name, Conds: c, Multi: true} }

func num(name string) Field { return Field{Name: name, Conds: CN, Kind: KindNumber} }

// fieldTable is the user guide's filter and sort tables (attributes-and-import
// §1.4), plus the CONNECTION names of the 2016 SDK documentation.
var fieldTable = map[discovery.ItemType][]Field{
	discovery.TypeServer: {
		str("server.configurationId", C4, false),
		str("server.hostName", C6, true),
		str("server.osName", C6, true),
		str("server.osVersion", C6, true),
		str("server.agentId", C4, false),
		str("server.connectorId", C4, false),
		str("server.type", C4, false),
		str("server.vmWareInfo.morefId", C6, false),
		str("server.vmWareInfo.vcenterId", C6, false),
		str("server.vmWareInfo.hostId", C6, false),
		str("server.networkInterfaceInfo.portGroupId", C6, false),
		str("server.networkInterfaceInfo.portGroupName", C6, false),
		str("server.networkInterfaceInfo.virtualSwitchName", C6, false),
		multi("server.networkInterfaceInfo.ipAddress", C6),
		multi("server.networkInterfaceInfo.macAddress", C6),
		num("server.performance.avgCpuUsagePct"),
		num("server.performance.totalDiskFreeSizeInKB"),
		num("server.performance.avgFreeRAMInKB"),
		multi("server.tag.value", C6),
		multi("server.tag.key", C6),
		multi("server.application.name", C6),
		multi("server.application.description", C6),
		multi("server.application.configurationId", C4),
		multi("server.process.configurationId", C4),
		multi("server.process.name", C6),
		multi("server.process.commandLine", C6),
	},
	discovery.TypeApplication: {
		str("application.configurationId", C4, false),
		str("application.name", C6, true),
		str("application.description", C6, true),
		str("application.serverCount", NoFilter, true),
		str("application.timeOfCreation", NoFilter, true),
		str("application.lastModifiedTime", NoFilter, true),
		multi("server.configurationId", C4),
	},
	discovery.TypeProcess: {
		str("process.configurationId", C4, false),
		str("process.name", C6, true),
		str("process.commandLine", C6, true),
		str("server.configurationId", C4, false),
		str("server.hostName", C6, true),
		str("server.osName", C6, true),
		str("server.osVersion", C6, true),
		str("server.agentId", C6, false),
	},
	discovery.TypeConnection: {
		str("connection.sourceIp", C6, true),
		str("connection.destinationIp", C6, true),
		{Name: "connection.destinationPort", Conds: C4, Sortable: true, Kind: KindInteger},
		str("sourceServer.configurationId", C4, false),
		str("sourceServer.hostName", C6, true),
		str("sourceServer.osName", C6, true),                // 2016 SDK docs
		str("sourceServer.osVersion", C6, true),             // 2016 SDK docs
		str("sourceServer.agentId", C6, false),              // 2016 SDK docs
		str("destinationServer.configurationId", C4, false), // 2016 SDK docs
		str("destinationServer.hostName", C6, true),         // 2016 SDK docs
		str("destinationServer.osName", C6, true),
		str("destinationServer.osVersion", C6, true),
		str("destinationServer.agentId", C6, false),
		str("sourceProcess.configurationId", C4, false),
		str("sourceProcess.name", C6, true),
		str("sourceProcess.commandLine", C6, true),
		str("destinationProcess.configurationId", C4, false),
		str("destinationProcess.name", C6, true),
		// The guide spells it destinationprocess.commandLine; names match
		// case-insensitively, so both spellings work.
		str("destinationProcess.commandLine", C6, true),
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
