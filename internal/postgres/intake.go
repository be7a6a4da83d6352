package postgres

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/poseidon-ads/poseidon/internal/agentdata"
	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// Intake runs fn in one transaction over account's agent data (see
// agents.Store) that holds the account's lock: what fn reads through the
// IntakeTx still holds when its plan commits, whichever replica takes in
// another batch of the account, and batches of one account are applied one
// after another, as on SQLite. Each read is one statement with one array
// parameter per list; Apply sends the whole plan in one round trip.
func (s *DB) Intake(ctx context.Context, account string, fn func(discovery.IntakeTx) error) error {
	return s.accountTx(ctx, account, func(tx pgx.Tx) error { return fn(intakeTx{acctTx{tx, account}}) })
}

// intakeTx implements discovery.IntakeTx.
type intakeTx struct{ acctTx }

var _ discovery.IntakeTx = intakeTx{}

// query runs q with the account as $1, then args, calling fn per row.
func (in intakeTx) query(ctx context.Context, q string, fn func(pgx.Rows) error, args ...any) error {
	return eachRow(ctx, in.tx, q, append([]any{in.account}, args...), fn)
}

// ReportedIDs returns which of ids were taken in before.
func (in intakeTx) ReportedIDs(ctx context.Context, ids []string) (map[string]bool, error) {
	seen := map[string]bool{}
	err := in.query(ctx, `SELECT report_id FROM agent_reports WHERE account_id = $1 AND report_id = ANY($2)`, func(rows pgx.Rows) error {
		var id string
		err := rows.Scan(&id)
		seen[id] = true
		return err
	}, nonNil(ids))
	return seen, err
}

// MomentsWithData returns which of moments have a system observation.
func (in intakeTx) MomentsWithData(ctx context.Context, moments []discovery.AgentMoment) (map[discovery.AgentMoment]bool, error) {
	agents, times := make([]string, len(moments)), make([]int64, len(moments))
	for i, m := range moments {
		agents[i], times[i] = m.AgentID, m.TimeMs
	}
	taken := map[discovery.AgentMoment]bool{}
	err := in.query(ctx, `SELECT o.agent_id, o.ts_ms FROM unnest($2::text[], $3::bigint[]) AS m(agent_id, ts_ms)
		JOIN system_observations o ON o.account_id = $1 AND o.agent_id = m.agent_id AND o.ts_ms = m.ts_ms`, func(rows pgx.Rows) error {
		var k discovery.AgentMoment
		err := rows.Scan(&k.AgentID, &k.TimeMs)
		taken[k] = true
		return err
	}, agents, times)
	return taken, err
}

// Agents returns the agents among ids.
func (in intakeTx) Agents(ctx context.Context, ids []string) (map[string]*discovery.Agent, error) {
	out := map[string]*discovery.Agent{}
	err := in.query(ctx, `SELECT `+agentCols+` FROM agents WHERE account_id = $1 AND agent_id = ANY($2)`, func(rows pgx.Rows) error {
		a, err := scanAgent(rows, in.account)
		if err == nil {
			out[a.ID] = a
		}
		return err
	}, nonNil(ids))
	return out, err
}

// Servers returns the servers among ids.
func (in intakeTx) Servers(ctx context.Context, ids []string) (map[string]*discovery.IntakeServer, error) {
	out := map[string]*discovery.IntakeServer{}
	err := in.query(ctx, `SELECT server_id, agent_id, updated_ms, host_name FROM servers WHERE account_id = $1 AND server_id = ANY($2)`,
		func(rows pgx.Rows) error {
			var s discovery.IntakeServer
			err := rows.Scan(&s.ID, &s.AgentID, &s.UpdatedMs, &s.HostName)
			out[s.ID] = &s
			return err
		}, nonNil(ids))
	return out, err
}

// NICs returns the interfaces of the servers among ids.
func (in intakeTx) NICs(ctx context.Context, ids []string) (map[string][]agentdata.NetworkInterface, error) {
	out := map[string][]agentdata.NetworkInterface{}
	err := in.query(ctx, `SELECT server_id, name, ip_address, mac_address, net_mask, family, gateway FROM network_interfaces
		WHERE account_id = $1 AND server_id = ANY($2) ORDER BY server_id, name, ip_address`, func(rows pgx.Rows) error {
		var (
			id string
			n  agentdata.NetworkInterface
		)
		err := rows.Scan(&id, &n.Name, &n.IPAddress, &n.MACAddress, &n.NetMask, &n.Family, &n.Gateway)
		out[id] = append(out[id], n)
		return err
	}, nonNil(ids))
	return out, err
}

// IPOwners returns the agents' servers with an interface at each of ips.
func (in intakeTx) IPOwners(ctx context.Context, ips []string) (map[string][]string, error) {
	owners := map[string][]string{}
	err := in.query(ctx, `SELECT DISTINCT n.ip_address, n.server_id FROM network_interfaces AS n
		JOIN servers AS s ON s.account_id = n.account_id AND s.server_id = n.server_id
		WHERE n.account_id = $1 AND s.agent_id <> '' AND `+equalAnyKeyed("n.ip_address", "$2::text[]")+`
		ORDER BY n.ip_address, n.server_id`, func(rows pgx.Rows) error {
		var ip, sid string
		err := rows.Scan(&ip, &sid)
		owners[ip] = append(owners[ip], sid)
		return err
	}, nonNil(ips))
	return owners, err
}

// EarlierProcesses looks processes up in the agents' process observations:
// per lookup, the latest process list at or before its time (one backward
// step of the primary key), then the PID in it.
func (in intakeTx) EarlierProcesses(ctx context.Context, lookups []discovery.ProcessLookup) (map[discovery.ProcessLookup]agentdata.Process, error) {
	agents, ats, pids := make([]string, len(lookups)), make([]int64, len(lookups)), make([]int64, len(lookups))
	for i, l := range lookups {
		agents[i], ats[i], pids[i] = l.AgentID, l.AtMs, int64(l.PID)
	}
	out := map[discovery.ProcessLookup]agentdata.Process{}
	err := in.query(ctx, `SELECT w.agent_id, w.at_ms, p.pid, p.name, p.command_line, p.path
		FROM unnest($2::text[], $3::bigint[], $4::bigint[]) WITH ORDINALITY AS w(agent_id, at_ms, pid, n)
		CROSS JOIN LATERAL (SELECT o.ts_ms FROM process_observations o
			WHERE o.account_id = $1 AND o.agent_id = w.agent_id AND o.ts_ms <= w.at_ms
			ORDER BY o.ts_ms DESC LIMIT 1) AS latest
		JOIN process_observations p ON p.account_id = $1 AND p.agent_id = w.agent_id AND p.ts_ms = latest.ts_ms AND p.pid = w.pid
		ORDER BY w.n, p.seq`, func(rows pgx.Rows) error {
		var (
			k discovery.ProcessLookup
			p agentdata.Process
		)
		if err := rows.Scan(&k.AgentID, &k.AtMs, &p.PID, &p.Name, &p.CommandLine, &p.Path); err != nil {
			return err
		}
		k.PID = p.PID
		out[k] = p
		return nil
	}, agents, ats, pids)
	return out, err
}

// bulk is one statement that writes many rows through unnest: each column
// travels as one array parameter after the account ($1), whatever the
// number of rows. An upsert (keyed) takes each key at most once, as
// PostgreSQL requires of INSERT ... ON CONFLICT DO UPDATE and of
// UPDATE ... FROM: a row whose key the statement already has goes to a
// statement after it (next), so that the rows of one key apply in plan
// order, as one statement per row would.
type bulk struct {
	sql   string
	cols  [][]any
	keyed bool
	seen  map[string]bool
	next  *bulk
}

// newBulk makes the statement that head (an INSERT's column list or an
// UPDATE's target) completes with the unnest of cols (each "name type",
// comma-separated) aliased u, then tail. Its text is the same for every
// plan, so the pool prepares it once per connection.
func newBulk(keyed bool, cols, format string) *bulk {
	var names, arrays []string
	for i, c := range strings.Split(cols, ",") {
		f := strings.Fields(c)
		names = append(names, f[0])
		arrays = append(arrays, "$"+strconv.Itoa(i+2)+"::"+f[1]+"[]")
	}
	unnest := "unnest(" + strings.Join(arrays, ", ") + ") AS u(" + strings.Join(names, ", ") + ")"
	return &bulk{sql: strings.ReplaceAll(format, "{unnest}", unnest), cols: make([][]any, len(names)), keyed: keyed}
}

// add queues one row; key identifies the row of an upsert.
func (b *bulk) add(key string, v ...any) {
	if b.keyed {
		if b.seen == nil {
			b.seen = map[string]bool{}
		}
		if b.seen[key] {
			if b.next == nil {
				b.next = &bulk{sql: b.sql, cols: make([][]any, len(b.cols)), keyed: true}
			}
			b.next.add(key, v...)
			return
		}
		b.seen[key] = true
	}
	for i, x := range v {
		b.cols[i] = append(b.cols[i], x)
	}
}

// queue adds the statements with rows to batch.
func (b *bulk) queue(batch *pgx.Batch, account string) {
	for ; b != nil && len(b.cols[0]) > 0; b = b.next {
		args := make([]any, 0, 1+len(b.cols))
		args = append(args, account)
		for _, c := range b.cols {
			args = append(args, c)
		}
		batch.Queue(b.sql, args...)
	}
}

// insert is the format of a plain bulk INSERT into table.
func insert(table, cols string) string {
	var names []string
	for c := range strings.SplitSeq(cols, ",") {
		names = append(names, strings.Fields(c)[0])
	}
	return `INSERT INTO ` + table + ` (account_id, ` + strings.Join(names, ", ") + `) SELECT $1::text, u.* FROM {unnest}`
}

// The columns of each table intake writes, with their array types.
const (
	reportCols   = `report_id text, agent_id text, ts_ms bigint, received_ms bigint`
	agentRowCols = `agent_id text, agent_type text, connector_id text, host_name text, version text, health text,
		collection_status text, network_info jsonb, registered_ms bigint, last_health_ping_ms bigint, first_data_ms bigint,
		last_data_ms bigint, server_id text`
	nicCols    = `server_id text, name text, ip_address text, mac_address text, net_mask text, family text, gateway text`
	serverCols = `server_id text, agent_id text, source text, host_name text, os_name text, os_version text, cpu_type text,
		hypervisor text, server_type text, num_cpus bigint, num_cores bigint, num_logical bigint, total_ram_mb float8,
		total_disk_gb float8, num_disks bigint, num_nics bigint, vm_moref_id text, vm_name text, vcenter_id text,
		vcenter_name text, vm_folder_path text, vm_host_id text, created_ms bigint, updated_ms bigint,
		perf_samples bigint, cpu_sum float8, cpu_max float8, free_ram_sum float8, free_ram_min float8, disk_free_gb float8,
		disk_read_kbps_sum float8, disk_read_kbps_max float8, disk_write_kbps_sum float8, disk_write_kbps_max float8,
		disk_read_ops_sum float8, disk_read_ops_max float8, disk_write_ops_sum float8, disk_write_ops_max float8,
		net_read_kbps_sum float8, net_read_kbps_max float8, net_write_kbps_sum float8, net_write_kbps_max float8`
	perfCols = `agent_id text, ts_ms bigint, disk_read_kbps float8, disk_write_kbps float8, disk_read_ops float8,
		disk_write_ops float8, net_read_kbps float8, net_write_kbps float8, num_logical bigint, num_cores bigint, num_cpus bigint,
		num_disks bigint, num_nics bigint, cpu_pct float8, disk_size_gb float8, disk_free_gb float8, total_ram_mb float8,
		free_ram_mb float8`
	sysCols     = `agent_id text, ts_ms bigint, os_name text, os_version text, cpu_type text, host_name text, hypervisor text, nics jsonb`
	procObsCols = `agent_id text, ts_ms bigint, seq integer, pid bigint, is_system boolean, name text, command_line text, path text`
	connObsCols = `agent_id text, ts_ms bigint, seq integer, direction text, source_ip text, source_port bigint, destination_ip text,
		destination_port bigint, ip_version text, transport_protocol text, pid bigint`
	processCols = `process_id text, server_id text, agent_id text, name text, command_line text, path text, is_system boolean,
		created_ms bigint, last_seen_ms bigint`
	connectionCols = `connection_id text, source_server_id text, destination_server_id text, source_ip text, destination_ip text,
		destination_port bigint, ip_version text, transport_protocol text, source_process_id text, destination_process_id text,
		occurrence bigint, first_ms bigint, latest_ms bigint`
)

// serverUpsert merges a batch into an existing server: descriptive columns
// follow the newest report, aggregates add up (LEAST and GREATEST skip a
// NULL, as free_ram_min wants).
var serverUpsert = func() string {
	var set []string
	for c := range strings.SplitSeq(serverCols, ",") {
		c = strings.Fields(c)[0]
		switch {
		case c == "server_id" || c == "agent_id" || c == "source" || c == "host_name":
			// The key, fixed for an agent's server, or renamed apart
			// (HostNames), as on SQLite.
		case c == "created_ms":
			set = append(set, "created_ms = LEAST(servers.created_ms, excluded.created_ms)")
		case c == "updated_ms":
			set = append(set, "updated_ms = GREATEST(servers.updated_ms, excluded.updated_ms)")
		case c == "perf_samples" || strings.HasSuffix(c, "_sum"):
			set = append(set, c+" = servers."+c+" + excluded."+c)
		case strings.HasSuffix(c, "_max"):
			set = append(set, c+" = GREATEST(servers."+c+", excluded."+c+")")
		case c == "free_ram_min":
			set = append(set, "free_ram_min = LEAST(servers.free_ram_min, excluded.free_ram_min)")
		case c == "disk_free_gb":
			set = append(set, "disk_free_gb = CASE WHEN excluded.perf_samples > 0 AND excluded.updated_ms >= servers.updated_ms THEN excluded.disk_free_gb ELSE servers.disk_free_gb END")
		default:
			set = append(set, c+" = CASE WHEN excluded.updated_ms >= servers.updated_ms THEN excluded."+c+" ELSE servers."+c+" END")
		}
	}
	return " ON CONFLICT (account_id, server_id) DO UPDATE SET " + strings.Join(set, ", ")
}()

// planWriter holds the statements of one plan, in the order they run.
type planWriter struct {
	reports, agents, nics, servers, hostNames     *bulk
	claimDests, claimSources                      *bulk
	sys, perf, procObs, connObs, processes, conns *bulk
	nicServers                                    []string
}

func newPlanWriter() *planWriter {
	return &planWriter{
		reports: newBulk(false, reportCols, insert("agent_reports", reportCols)),
		agents: newBulk(true, agentRowCols, insert("agents", agentRowCols)+`
			ON CONFLICT (account_id, agent_id) DO UPDATE SET agent_type = excluded.agent_type, connector_id = excluded.connector_id,
			host_name = excluded.host_name, version = excluded.version, health = excluded.health, network_info = excluded.network_info,
			last_health_ping_ms = excluded.last_health_ping_ms, first_data_ms = excluded.first_data_ms,
			last_data_ms = excluded.last_data_ms, server_id = excluded.server_id`),
		nics:    newBulk(false, nicCols, insert("network_interfaces", nicCols)),
		servers: newBulk(true, serverCols, insert("servers", serverCols)+serverUpsert),
		hostNames: newBulk(true, `server_id text, host_name text`,
			`UPDATE servers AS s SET host_name = u.host_name FROM {unnest} WHERE s.account_id = $1 AND s.server_id = u.server_id`),
		// A claim sets each endpoint at its IP whose server is unknown: two
		// statements, as a connection may have both ends at one IP.
		claimDests: newBulk(true, `ip text, server_id text`, `UPDATE connections AS c SET destination_server_id = u.server_id FROM {unnest}
			WHERE c.account_id = $1 AND c.destination_ip = u.ip AND c.destination_server_id = ''`),
		claimSources: newBulk(true, `ip text, server_id text`, `UPDATE connections AS c SET source_server_id = u.server_id FROM {unnest}
			WHERE c.account_id = $1 AND c.source_ip = u.ip AND c.source_server_id = ''`),
		sys:     newBulk(false, sysCols, insert("system_observations", sysCols)),
		perf:    newBulk(false, perfCols, insert("perf_samples", perfCols)),
		procObs: newBulk(false, procObsCols, insert("process_observations", procObsCols)),
		connObs: newBulk(false, connObsCols, insert("connection_observations", connObsCols)),
		processes: newBulk(true, processCols, insert("processes", processCols)+`
			ON CONFLICT (account_id, process_id) DO UPDATE SET agent_id = excluded.agent_id, is_system = excluded.is_system,
			created_ms = LEAST(processes.created_ms, excluded.created_ms),
			last_seen_ms = GREATEST(processes.last_seen_ms, excluded.last_seen_ms)`),
		// Endpoint servers are set on insert and by claims.
		conns: newBulk(true, connectionCols, insert("connections", connectionCols)+`
			ON CONFLICT (account_id, connection_id) DO UPDATE SET occurrence = connections.occurrence + excluded.occurrence,
			first_ms = LEAST(connections.first_ms, excluded.first_ms), latest_ms = GREATEST(connections.latest_ms, excluded.latest_ms)`),
	}
}

// Apply writes plan in one round trip: one statement per table (more only
// when a plan names a key twice), in this order: reports, agents, the
// interface sets (deleted, then inserted), servers, renames, claims (before
// the plan's own connections, which are resolved already), observations,
// processes and connections. Merges are upserts that combine with the
// stored rows.
func (in intakeTx) Apply(ctx context.Context, plan *discovery.IntakePlan) error {
	w := newPlanWriter()
	received := ms(plan.Received)
	for i := range plan.Verdicts {
		if v := &plan.Verdicts[i]; v.Recorded() {
			w.reports.add("", v.Report.ReportID, v.Report.AgentID, v.Report.TimeMs, received)
		}
	}
	for _, a := range plan.Agents {
		network, err := json.Marshal(a.Network)
		if err != nil {
			return err
		}
		if a.Network == nil {
			network = []byte("[]")
		}
		w.agents.add(a.ID, a.ID, a.Type, a.ConnectorID, a.HostName, a.Version, a.Health, a.CollectionStatus,
			string(network), ms(a.Registered), ms(a.LastHealthPing), optMs(a.FirstData), optMs(a.LastData), a.ServerID)
	}
	// A server's last set replaces its interfaces.
	last := map[string]int{}
	for i, set := range plan.NICSets {
		if _, ok := last[set.ServerID]; !ok {
			w.nicServers = append(w.nicServers, set.ServerID)
		}
		last[set.ServerID] = i
	}
	for _, sid := range w.nicServers {
		for _, n := range plan.NICSets[last[sid]].NICs {
			w.nics.add("", sid, n.Name, n.IPAddress, n.MACAddress, n.NetMask, n.Family, n.Gateway)
		}
	}
	for i := range plan.Servers {
		w.addServer(&plan.Servers[i])
	}
	for _, h := range plan.HostNames {
		w.hostNames.add(h.ServerID, h.ServerID, h.HostName)
	}
	for _, c := range plan.Claims {
		w.claimDests.add(c.IP, c.IP, c.ServerID)
		w.claimSources.add(c.IP, c.IP, c.ServerID)
	}
	for _, r := range plan.Observations {
		if err := w.addObservations(r); err != nil {
			return err
		}
	}
	for _, p := range plan.Processes {
		w.processes.add(p.ID, p.ID, p.ServerID, p.AgentID, p.Name, p.CommandLine, p.Path, p.IsSystem, p.FirstMs, p.LastMs)
	}
	for _, c := range plan.Connections {
		w.conns.add(c.ID, c.ID, c.SourceServerID, c.DestServerID, c.SourceIP, c.DestinationIP, c.DestinationPort,
			c.IPVersion, c.TransportProtocol, c.SourceProcessID, c.DestProcessID, c.Occurrence, c.FirstMs, c.LatestMs)
	}

	batch := &pgx.Batch{}
	w.reports.queue(batch, in.account)
	w.agents.queue(batch, in.account)
	if len(w.nicServers) > 0 {
		batch.Queue(`DELETE FROM network_interfaces WHERE account_id = $1 AND server_id = ANY($2)`, in.account, w.nicServers)
	}
	for _, b := range []*bulk{w.nics, w.servers, w.hostNames, w.claimDests, w.claimSources, w.sys, w.perf, w.procObs, w.connObs, w.processes, w.conns} {
		b.queue(batch, in.account)
	}
	if batch.Len() == 0 {
		return nil
	}
	return in.tx.SendBatch(ctx, batch).Close()
}

// addObservations queues a report's system observation, performance
// sample, process list and connections.
func (w *planWriter) addObservations(r *discovery.AgentReport) error {
	s := &r.Server
	nics := []byte("[]")
	if r.NetworkInterfaces != nil {
		var err error
		if nics, err = json.Marshal(r.NetworkInterfaces); err != nil {
			return err
		}
	}
	w.sys.add("", r.AgentID, r.TimeMs, s.OSName, s.OSVersion, s.CPUType, s.HostName, s.Hypervisor, string(nics))
	if p := r.Performance; p != nil {
		w.perf.add("", r.AgentID, r.TimeMs, p.DiskReadKBps, p.DiskWriteKBps, p.DiskReadOpsPerSec, p.DiskWriteOpsPerSec,
			p.NetworkReadKBps, p.NetworkWriteKBps, s.NumLogicalProcessors, s.NumCores, s.NumCPUs, s.NumDisks, len(r.NetworkInterfaces),
			p.CPUUsagePct, s.TotalDiskGB, p.DiskFreeGB, s.TotalRAMMB, p.FreeRAMMB)
	}
	for i, p := range r.Processes {
		w.procObs.add("", r.AgentID, r.TimeMs, i, p.PID, p.IsSystem, p.Name, p.CommandLine, p.Path)
	}
	for i, c := range r.Connections {
		w.connObs.add("", r.AgentID, r.TimeMs, i, c.Direction, c.SourceIP, c.SourcePort, c.DestinationIP,
			c.DestinationPort, c.IPVersion, c.TransportProtocol, c.PID)
	}
	return nil
}

// addServer queues a server merge (serverUpsert).
func (w *planWriter) addServer(m *discovery.ServerMerge) {
	s, p := &m.Server, &m.Perf
	var ramMin *float64
	if p.FreeRAMMinKnown {
		ramMin = &p.FreeRAMMin
	}
	w.servers.add(s.ID, s.ID, s.AgentID, s.Source, s.HostName, s.OSName, s.OSVersion, s.CPUType,
		s.Hypervisor, s.Type, s.NumCPUs, s.NumCores, s.NumLogical, s.TotalRAMMB, s.TotalDiskGB, s.NumDisks, s.NumNICs,
		s.VMMoRefID, s.VMName, s.VCenterID, s.VCenterName, s.VMFolderPath, s.VMHostID, ms(s.Created), ms(s.Updated),
		p.Samples, p.CPUSum, p.CPUMax, p.FreeRAMSum, ramMin, m.DiskFreeGB,
		p.DiskReadKBpsSum, p.DiskReadKBpsMax, p.DiskWriteKBpsSum, p.DiskWriteKBpsMax, p.DiskReadOpsSum, p.DiskReadOpsMax,
		p.DiskWriteOpsSum, p.DiskWriteOpsMax, p.NetReadKBpsSum, p.NetReadKBpsMax, p.NetWriteKBpsSum, p.NetWriteKBpsMax)
}
