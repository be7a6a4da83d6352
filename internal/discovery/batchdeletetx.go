package discovery

import "context"

// BatchDeleteTx is one store transaction of the batch-delete use case,
// bound to one account: typed reads and deletes that commit together or not
// at all. The use case decides what deleting a server takes with it; the
// store only translates each step into its own query language. A store
// hands one out through a method of the form BatchDeleteTx(ctx, lease,
// account, func(BatchDeleteTx) error) error, which commits when the function
// returns nil and rolls back otherwise. It runs under the Lease of the
// task's job: the store checks in the transaction, before the function
// runs, that the lease is still held, and keeps it held until the commit,
// so that an owner whose job was taken over writes nothing (ErrLeaseLost).
type BatchDeleteTx interface {
	// BatchDeleteTask returns the account's task, or ErrNotFound.
	BatchDeleteTask(ctx context.Context, id string) (*BatchDeleteTask, error)
	// ServerAgent returns the agent that reports the account's server id
	// ("" for none), or ErrNotFound when the account has no such server.
	ServerAgent(ctx context.Context, id string) (string, error)
	// AgentCollectionStatus returns the collection status of the
	// account's agent (CollectionStarted or CollectionStopped), or
	// ErrNotFound.
	AgentCollectionStatus(ctx context.Context, agentID string) (string, error)
	// ServerProcesses lists the IDs of the server's processes.
	ServerProcesses(ctx context.Context, serverID string) ([]string, error)
	// ConnectionsTouching lists the configuration IDs of the connections
	// either of whose ends is one of servers or one of processes.
	ConnectionsTouching(ctx context.Context, servers, processes []string) ([]string, error)
	// ServerApplications lists the IDs of the applications the server is
	// a member of.
	ServerApplications(ctx context.Context, serverID string) ([]string, error)
	// Delete removes what d lists.
	Delete(ctx context.Context, d *Deletion) error
	// FinishBatchDeleteTask stores the task's status, end time, deleted
	// IDs, failures and warnings.
	FinishBatchDeleteTask(ctx context.Context, t *BatchDeleteTask) error
}

// Deletion lists what a use case removes in one step of a transaction;
// each list holds configuration IDs of the transaction's account. A store
// removes exactly what is listed, nothing that hangs off it: a use case
// that deletes a server lists its interfaces, memberships and tags too.
type Deletion struct {
	Servers     []string
	Processes   []string
	Connections []string
	// InterfacesOf are servers whose network interfaces go.
	InterfacesOf []string
	// MembershipsOf are servers whose application memberships go.
	MembershipsOf []string
	// TagsOf are configuration items whose tags go.
	TagsOf []string
	// SeriesOf are agents whose time series go (performance samples and
	// the observations of their reports); the agents stay.
	SeriesOf []string
	// Touch are applications whose modification time becomes TouchedMS.
	Touch     []string
	TouchedMS int64
}
