package discovery

import "time"

// Application is an application configuration item.
type Application struct {
	ID          string
	Name        string
	Description string
	Wave        string
	// ServerCount is the number of servers in the application; reads that
	// list applications fill it.
	ServerCount int64
	Created     time.Time
	Updated     time.Time
}

// ApplicationUpdate holds the fields UpdateApplication changes; nil leaves
// one as is.
type ApplicationUpdate struct {
	Name, Description, Wave *string
}

// ApplicationMembership is what a store found, inside its transaction,
// before it associates or disassociates servers. The use case decides from
// it.
type ApplicationMembership struct {
	AppExists bool
	// Unknown are the requested IDs that are not servers of the account
	// (and, for a disassociation, not associated with the application).
	Unknown []string
	// Count is the number of servers the application would have after the
	// change.
	Count int
}
