package discovery

import "context"

// ImportTx is one store transaction of the import use case, bound to one
// account: typed reads and writes that commit together or not at all. The
// use case decides which server an import row matches and what deleting a
// task's data removes; the store only translates each step into its own
// query language. A store hands one out through a method of the form
// ImportTx(ctx, account, func(ImportTx) error) error, which commits when
// the function returns nil and rolls back otherwise.
type ImportTx interface {
	// ImportTaskState returns the state of the account's task, or
	// ErrNotFound.
	ImportTaskState(ctx context.Context, taskID string) (ImportTaskState, error)

	// ServerWithKey returns the lowest ID among the account's servers that
	// hold key, or "" when none does.
	ServerWithKey(ctx context.Context, key ServerKey) (string, error)
	// CountImportedServers counts the account's servers whose source is
	// an import.
	CountImportedServers(ctx context.Context) (int, error)
	// InsertImportedServer stores a new server whose source is an import,
	// with its network interfaces.
	InsertImportedServer(ctx context.Context, s *ImportedServer) error
	// PatchServer sets the attributes p names on the account's server id.
	PatchServer(ctx context.Context, id string, p *ServerPatch) error
	// RecordImport notes that a task created or matched a server. A
	// server the task already recorded keeps its first record.
	RecordImport(ctx context.Context, r ImportRecord) error

	// ApplicationNamed returns the lowest ID among the account's
	// applications named name, or "" when there is none.
	ApplicationNamed(ctx context.Context, name string) (string, error)
	// InsertApplication stores a new application: its ID, name, wave and
	// times.
	InsertApplication(ctx context.Context, a *Application) error
	// SetApplicationWave sets an application's wave and modification time.
	SetApplicationWave(ctx context.Context, id, wave string, updatedMS int64) error
	// AddApplicationServer makes a server a member of an application; a
	// membership that exists stays as it is.
	AddApplicationServer(ctx context.Context, appID, serverID string) error
	// AddTag tags a configuration item; a tag it already has stays as it
	// is, with its creation time.
	AddTag(ctx context.Context, configurationID string, t Tag, createdMS int64) error

	// ImportRecords lists the task's records, each with its server as it
	// stands now.
	ImportRecords(ctx context.Context, taskID string) ([]ImportRecordState, error)
	// Delete removes what d lists.
	Delete(ctx context.Context, d *Deletion) error
	// DeleteImportRecords removes every record of the task.
	DeleteImportRecords(ctx context.Context, taskID string) error
	// EndImportTask sets the task's status and deletion time; hidden
	// takes it out of DescribeImportTasks.
	EndImportTask(ctx context.Context, taskID, status string, deletedMS int64, hidden bool) error
}

// ImportTaskState is what the import use case reads of a task inside its
// transaction.
type ImportTaskState struct {
	Status string
	// Hidden is true once BatchDeleteImportData deleted the task with
	// its history.
	Hidden bool
}

// ServerKeyKind is the attribute a ServerKey matches servers on.
type ServerKeyKind int

// The attributes a server is matched on.
const (
	// ByServerID matches the server ID.
	ByServerID ServerKeyKind = iota + 1
	// ByExternalID matches the ExternalId an import gave the server.
	ByExternalID
	// ByIPAndMAC matches a network interface of the server with both
	// IP and MAC; a stored MAC address compares lower-case, with '-'
	// read as ':', so MAC must be given in that form.
	ByIPAndMAC
	// ByHostName matches the host name.
	ByHostName
	// ByVMware matches both the VMware MoRefId and the vCenter ID.
	ByVMware
)

// ServerKey identifies servers by one attribute, named by Kind; the fields
// of the other kinds are ignored.
type ServerKey struct {
	Kind               ServerKeyKind
	ID                 string // ByServerID
	ExternalID         string // ByExternalID
	IP, MAC            string // ByIPAndMAC
	HostName           string // ByHostName
	MoRefID, VCenterID string // ByVMware
}

// ImportedServer is a server an import row creates. Of its interfaces the
// name, IP address and MAC address are stored.
type ImportedServer struct {
	ID                                      string
	ExternalID, HostName, OSName, OSVersion string
	CPUs, Cores, Logical                    int
	RAMMB                                   float64
	MoRefID, VMName, VCenterID              string
	NICs                                    []NIC
	CreatedMS                               int64 // also its modification time
}

// ServerPatch holds the attributes an import row changes on a server it
// matched; a nil field leaves one as it is. UpdatedMS is the server's new
// modification time.
type ServerPatch struct {
	ExternalID, HostName, OSName, OSVersion *string
	UpdatedMS                               int64
}

// ImportRecord says that an import task created a server (Created) or
// matched one.
type ImportRecord struct {
	TaskID, ServerID string
	Created          bool
}

// ImportRecordState is an import record with its server as it stands now.
type ImportRecordState struct {
	ImportRecord
	// ServerExists is false once the server is gone (a batch delete).
	ServerExists bool
	// AgentID is the agent that reports the server now, if any.
	AgentID string
	// OtherTasks is true when another import task of the account has a
	// record of the server too.
	OtherTasks bool
}
