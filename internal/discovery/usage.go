package discovery

// The console's reads of poseidon's own (POST /_poseidon/console): a
// server's utilization samples over time and the account's network map.
// ADS's API exposes neither (agent exports hold the samples, and
// ListServerNeighbors reads one server's neighbors at a time).

// UsageQuery asks for the performance samples of one server's agent
// between From and To (epoch milliseconds, both included), oldest first, at
// most Limit (no limit if 0).
type UsageQuery struct {
	Account, ServerID string
	From, To          int64
	Limit             int
}

// UsageSample is one performance sample an agent reported.
type UsageSample struct {
	TimeMs        int64
	CPUPct        float64
	TotalRAMMB    float64
	FreeRAMMB     float64
	DiskSizeGB    float64
	DiskFreeGB    float64
	DiskReadKBps  float64
	DiskWriteKBps float64
	NetReadKBps   float64
	NetWriteKBps  float64
}

// MapNode is one server of the network map, with the application it is
// grouped under: the one of its applications with the smallest ID, "" if it
// belongs to none.
type MapNode struct {
	ServerID, HostName             string
	ApplicationID, ApplicationName string
}

// MapEdge is the traffic from one server to another: the connections
// between them whose both ends are known servers of the account (never a
// server to itself), Traffic adding up their occurrences, Ports counting
// their distinct destination ports.
type MapEdge struct {
	Source, Destination string
	Traffic             int64
	Ports               int64
}
