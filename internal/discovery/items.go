package discovery

import "strings"

// ItemType is a configuration item type (model ConfigurationItemType).
type ItemType string

// The four configuration item types.
const (
	TypeServer      ItemType = "SERVER"
	TypeProcess     ItemType = "PROCESS"
	TypeConnection  ItemType = "CONNECTION"
	TypeApplication ItemType = "APPLICATION"
)

// ItemTypes lists the configuration item types in model order.
func ItemTypes() []ItemType {
	return []ItemType{TypeServer, TypeProcess, TypeConnection, TypeApplication}
}

// ID prefixes of the configuration item types.
const (
	ServerPrefix      = "d-server-"
	ProcessPrefix     = "d-process-"
	ConnectionPrefix  = "d-connection-"
	ApplicationPrefix = "d-application-"
)

// TypeOf tells a configuration ID's item type from its prefix.
func TypeOf(id string) (ItemType, bool) {
	switch {
	case strings.HasPrefix(id, ServerPrefix):
		return TypeServer, true
	case strings.HasPrefix(id, ProcessPrefix):
		return TypeProcess, true
	case strings.HasPrefix(id, ConnectionPrefix):
		return TypeConnection, true
	case strings.HasPrefix(id, ApplicationPrefix):
		return TypeApplication, true
	}
	return "", false
}
