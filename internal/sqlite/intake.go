package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"
	"weak"

	"github.com/poseidon-ads/poseidon/internal/agentdata"
	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// Intake runs fn in one write transaction over account's agent data (see
// agents.Store): fn reads through the IntakeTx and applies one plan, whose
// rows go in through multi-row prepared INSERTs.
func (s *DB) Intake(ctx context.Context, account string, fn func(discovery.IntakeTx) error) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		// A batch writes thousands of rows: keep its pages and statement
		// journals in memory rather than spilling them to disk mid-way.
		if _, err := tx.ExecContext(ctx, `PRAGMA cache_size = -32768`); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `PRAGMA temp_store = MEMORY`); err != nil {
			return err
		}
		return fn(&intakeTx{db: s.db, tx: tx, cache: s.stmtCache(), txStmts: map[string]*sql.Stmt{}, account: account})
	})
}

// stmtCache keeps the statements intake prepares, per DB, across
// transactions: a multi-row INSERT takes longer to compile than to run.
type stmtCache struct {
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

// stmtCaches maps weak.Pointer[DB] to its *stmtCache; an entry goes when its
// DB is garbage collected.
var stmtCaches sync.Map

func (s *DB) stmtCache() *stmtCache {
	k := weak.Make(s)
	if c, ok := stmtCaches.Load(k); ok {
		return c.(*stmtCache)
	}
	c, loaded := stmtCaches.LoadOrStore(k, &stmtCache{m: map[string]*sql.Stmt{}})
	if !loaded {
		runtime.AddCleanup(s, func(k weak.Pointer[DB]) { stmtCaches.Delete(k) }, k)
	}
	return c.(*stmtCache)
}

// stmt returns query prepared for the transaction, compiling it once per
// DB (and once per connection).
func (in *intakeTx) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := in.txStmts[query]; ok {
		return st, nil
	}
	c := in.cache
	c.mu.Lock()
	st, ok := c.m[query]
	if !ok {
		var err error
		if st, err = in.db.PrepareContext(ctx, query); err != nil {
			c.mu.Unlock()
			return nil, err
		}
		c.m[query] = st
	}
	c.mu.Unlock()
	txst := in.tx.StmtContext(ctx, st)
	in.txStmts[query] = txst
	return txst, nil
}

// exec runs query, prepared once, in the transaction.
func (in *intakeTx) exec(ctx context.Context, query string, args ...any) error {
	st, err := in.stmt(ctx, query)
	if err != nil {
		return err
	}
	_, err = st.ExecContext(ctx, args...)
	return err
}

// bulk inserts rows through multi-row INSERT statements of a few fixed
// sizes, so that every statement is compiled once. Every row's first column
// is the account, bound once as ?1.
type bulk struct {
	w          *intakeWriter
	head, tail string
	cols, per  int
	args       []any // the account, then the pending rows' values
	n          int
	sqls       map[int]string // statement text by row count
}

// chunkSizes are the row counts of bulk statements (at most bulk.per).
var chunkSizes = []int{128, 32, 8, 2, 1}

func (w *intakeWriter) newBulk(head string, cols int, tail string) *bulk {
	per := min(chunkSizes[0], 30000/cols)
	b := &bulk{w: w, head: head, tail: tail, cols: cols, per: per, args: make([]any, 1, 1+min(per, 8)*(cols-1)), sqls: map[int]string{}}
	b.args[0] = w.in.account
	w.bulks = append(w.bulks, b)
	return b
}

// placeholders makes rows of "(?,...)" with cols columns.
func placeholders(rows, cols int) string {
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", cols), ",") + ")"
	return strings.TrimSuffix(strings.Repeat(one+",", rows), ",")
}

func (b *bulk) sql(rows int) string {
	if q, ok := b.sqls[rows]; ok {
		return q
	}
	one := "(?1," + strings.TrimSuffix(strings.Repeat("?,", b.cols-1), ",") + ")"
	q := b.head + " VALUES " + strings.TrimSuffix(strings.Repeat(one+",", rows), ",") + " " + b.tail
	b.sqls[rows] = q
	return q
}

// add queues one row: its values after the account.
func (b *bulk) add(v ...any) error {
	b.args = append(b.args, v...)
	b.n++
	if b.n < b.per {
		return nil
	}
	return b.flush()
}

// flush writes the queued rows.
func (b *bulk) flush() error {
	width := b.cols - 1 // values per row after the account
	done := 0
	for _, size := range chunkSizes {
		if size > b.per {
			continue
		}
		for b.n-done >= size {
			st, err := b.w.in.stmt(b.w.ctx, b.sql(size))
			if err != nil {
				return err
			}
			args := b.args
			if done > 0 || size < b.n {
				args = append(b.w.scratch[:0], b.args[0])
				args = append(args, b.args[1+done*width:1+(done+size)*width]...)
				b.w.scratch = args
			}
			if _, err := st.ExecContext(b.w.ctx, args...); err != nil {
				return err
			}
			done += size
		}
	}
	b.args, b.n = b.args[:1], 0
	return nil
}

// intakeTx is the IntakeTx of one write transaction.
type intakeTx struct {
	db      *sql.DB
	tx      *sql.Tx
	cache   *stmtCache
	txStmts map[string]*sql.Stmt
	account string
}

// intakeWriter writes one plan through bulk inserts.
type intakeWriter struct {
	in      *intakeTx
	ctx     context.Context
	scratch []any
	bulks   []*bulk

	reportRows, agentRows, serverRows, nicRows  *bulk
	perfRows, sysRows, procObsRows, connObsRows *bulk
	processRows, connectionRows                 *bulk
}

func (in *intakeTx) newWriter(ctx context.Context) *intakeWriter {
	w := &intakeWriter{in: in, ctx: ctx}
	w.reportRows = w.newBulk(`INSERT INTO agent_reports (account_id, report_id, agent_id, ts_ms, received_ms)`, 5, "")
	w.agentRows = w.newBulk(`INSERT INTO agents (account_id, agent_id, agent_type, connector_id, host_name, version, health,
		collection_status, network_info, registered_ms, last_health_ping_ms, first_data_ms, last_data_ms, server_id)`, 14,
		`ON CONFLICT (account_id, agent_id) DO UPDATE SET agent_type = excluded.agent_type, connector_id = excluded.connector_id,
		host_name = excluded.host_name, version = excluded.version, health = excluded.health, network_info = excluded.network_info,
		last_health_ping_ms = excluded.last_health_ping_ms, first_data_ms = excluded.first_data_ms,
		last_data_ms = excluded.last_data_ms, server_id = excluded.server_id`)
	w.serverRows = w.newBulk(`INSERT INTO servers (`+strings.Join(serverCols, ", ")+`)`, len(serverCols), serverUpsert)
	w.nicRows = w.newBulk(`INSERT INTO network_interfaces (account_id, server_id, name, ip_address, mac_address, net_mask, family, gateway)`, 8, "")
	w.perfRows = w.newBulk(`INSERT INTO perf_samples (account_id, agent_id, ts_ms, disk_read_kbps, disk_write_kbps, disk_read_ops,
		disk_write_ops, net_read_kbps, net_write_kbps, num_logical, num_cores, num_cpus, num_disks, num_nics, cpu_pct,
		disk_size_gb, disk_free_gb, total_ram_mb, free_ram_mb)`, 19, "")
	w.sysRows = w.newBulk(`INSERT INTO system_observations (account_id, agent_id, ts_ms, os_name, os_version, cpu_type, host_name, hypervisor, nics)`, 9, "")
	w.procObsRows = w.newBulk(`INSERT INTO process_observations (account_id, agent_id, ts_ms, seq, pid, is_system, name, command_line, path)`, 9, "")
	w.connObsRows = w.newBulk(`INSERT INTO connection_observations (account_id, agent_id, ts_ms, seq, direction, source_ip, source_port,
		destination_ip, destination_port, ip_version, transport_protocol, pid)`, 12, "")
	w.processRows = w.newBulk(`INSERT INTO processes (account_id, process_id, server_id, agent_id, name, command_line, path, is_system,
		created_ms, last_seen_ms)`, 10,
		`ON CONFLICT (account_id, process_id) DO UPDATE SET agent_id = excluded.agent_id, is_system = excluded.is_system,
		created_ms = min(created_ms, excluded.created_ms), last_seen_ms = max(last_seen_ms, excluded.last_seen_ms)`)
	w.connectionRows = w.newBulk(`INSERT INTO connections (account_id, connection_id, source_server_id, destination_server_id,
		source_ip, destination_ip, destination_port, ip_version, transport_protocol, source_process_id, destination_process_id,
		occurrence, first_ms, latest_ms)`, 14,
		// Endpoint servers are set on insert and by claims; leaving them
		// out of SET spares their indexes.
		`ON CONFLICT (account_id, connection_id) DO UPDATE SET occurrence = occurrence + excluded.occurrence,
		first_ms = min(first_ms, excluded.first_ms), latest_ms = max(latest_ms, excluded.latest_ms)`)
	return w
}

// serverCols are the servers columns intake writes; serverUpsert merges a
// batch into an existing row: descriptive columns follow the newest report,
// aggregates add up.
var serverCols = []string{"account_id", "server_id", "agent_id", "source", "host_name", "os_name", "os_version", "cpu_type",
	"hypervisor", "server_type", "num_cpus", "num_cores", "num_logical", "total_ram_mb", "total_disk_gb", "num_disks", "num_nics",
	"vm_moref_id", "vm_name", "vcenter_id", "vcenter_name", "vm_folder_path", "vm_host_id", "created_ms", "updated_ms",
	"perf_samples", "cpu_sum", "cpu_max", "free_ram_sum", "free_ram_min", "disk_free_gb",
	"disk_read_kbps_sum", "disk_read_kbps_max", "disk_write_kbps_sum", "disk_write_kbps_max",
	"disk_read_ops_sum", "disk_read_ops_max", "disk_write_ops_sum", "disk_write_ops_max",
	"net_read_kbps_sum", "net_read_kbps_max", "net_write_kbps_sum", "net_write_kbps_max"}

var serverUpsert = func() string {
	var set []string
	for _, c := range serverCols[2:] {
		switch {
		case c == "agent_id" || c == "source" || c == "host_name":
			// Fixed for an agent's server, or indexed: a plan renames
			// servers apart (HostNames), sparing the index an update per batch.
		case c == "created_ms":
			set = append(set, "created_ms = min(created_ms, excluded.created_ms)")
		case c == "updated_ms":
			set = append(set, "updated_ms = max(updated_ms, excluded.updated_ms)")
		case c == "perf_samples" || strings.HasSuffix(c, "_sum"):
			set = append(set, c+" = "+c+" + excluded."+c)
		case strings.HasSuffix(c, "_max"):
			set = append(set, c+" = max("+c+", excluded."+c+")")
		case c == "free_ram_min":
			set = append(set, "free_ram_min = coalesce(min(free_ram_min, excluded.free_ram_min), free_ram_min, excluded.free_ram_min)")
		case c == "disk_free_gb":
			set = append(set, "disk_free_gb = CASE WHEN excluded.perf_samples > 0 AND excluded.updated_ms >= updated_ms THEN excluded.disk_free_gb ELSE disk_free_gb END")
		default:
			set = append(set, c+" = CASE WHEN excluded.updated_ms >= updated_ms THEN excluded."+c+" ELSE "+c+" END")
		}
	}
	return "ON CONFLICT (account_id, server_id) DO UPDATE SET " + strings.Join(set, ", ")
}()

// queryIn runs query once per chunk of list, replacing the "(%s)" in it
// with the chunk's placeholders (rows of width values each), after the
// account.
func (in *intakeTx) queryIn(ctx context.Context, fn func(*sql.Rows) error, query string, list []any, width int) error {
	const chunk = 512
	for len(list) > 0 {
		n := min(len(list)/width, chunk)
		part := list[:n*width]
		list = list[n*width:]
		// The list is padded to a power of two by repeating its last
		// item (no query here returns a row twice for it, or its fn
		// keeps one), so that a query has few texts, each compiled once.
		size := 1
		for size < n {
			size *= 2
		}
		args := append(make([]any, 0, 1+size*width), in.account)
		args = append(args, part...)
		for range size - n {
			args = append(args, part[(n-1)*width:]...)
		}
		ph := placeholders(size, width)
		if width == 1 {
			ph = strings.TrimSuffix(strings.Repeat("?,", size), ",")
		}
		st, err := in.stmt(ctx, fmt.Sprintf(query, ph))
		if err != nil {
			return err
		}
		if err := eachStmtRow(ctx, st, args, fn); err != nil {
			return err
		}
	}
	return nil
}

// eachStmtRow runs the prepared query st and calls fn for each row.
func eachStmtRow(ctx context.Context, st *sql.Stmt, args []any, fn func(*sql.Rows) error) error {
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return err
	}
	return eachOf(rows, fn)
}

func anyList(v []string) []any {
	out := make([]any, len(v))
	for i, s := range v {
		out[i] = s
	}
	return out
}

// ReportedIDs returns which of ids were taken in before.
func (in *intakeTx) ReportedIDs(ctx context.Context, ids []string) (map[string]bool, error) {
	seen := map[string]bool{}
	err := in.queryIn(ctx, func(rows *sql.Rows) error {
		var id string
		err := rows.Scan(&id)
		seen[id] = true
		return err
	}, `SELECT report_id FROM agent_reports WHERE account_id = ? AND report_id IN (%s)`, anyList(ids), 1)
	return seen, err
}

// MomentsWithData returns which of moments have a system observation.
func (in *intakeTx) MomentsWithData(ctx context.Context, moments []discovery.AgentMoment) (map[discovery.AgentMoment]bool, error) {
	pairs := make([]any, 0, 2*len(moments))
	for _, m := range moments {
		pairs = append(pairs, m.AgentID, m.TimeMs)
	}
	taken := map[discovery.AgentMoment]bool{}
	err := in.queryIn(ctx, func(rows *sql.Rows) error {
		var k discovery.AgentMoment
		err := rows.Scan(&k.AgentID, &k.TimeMs)
		taken[k] = true
		return err
	}, `SELECT agent_id, ts_ms FROM system_observations WHERE account_id = ? AND (agent_id, ts_ms) IN (VALUES %s)`, pairs, 2)
	return taken, err
}

// Agents returns the agents among ids.
func (in *intakeTx) Agents(ctx context.Context, ids []string) (map[string]*discovery.Agent, error) {
	out := map[string]*discovery.Agent{}
	err := in.queryIn(ctx, func(rows *sql.Rows) error {
		a, err := scanAgent(rows, in.account)
		if err == nil {
			out[a.ID] = a
		}
		return err
	}, `SELECT `+agentCols+` FROM agents WHERE account_id = ? AND agent_id IN (%s)`, anyList(ids), 1)
	return out, err
}

// Servers returns the servers among ids.
func (in *intakeTx) Servers(ctx context.Context, ids []string) (map[string]*discovery.IntakeServer, error) {
	out := map[string]*discovery.IntakeServer{}
	err := in.queryIn(ctx, func(rows *sql.Rows) error {
		var s discovery.IntakeServer
		err := rows.Scan(&s.ID, &s.AgentID, &s.UpdatedMs, &s.HostName)
		out[s.ID] = &s
		return err
	}, `SELECT server_id, agent_id, updated_ms, host_name FROM servers WHERE account_id = ? AND server_id IN (%s)`, anyList(ids), 1)
	return out, err
}

// NICs returns the interfaces of the servers among ids.
func (in *intakeTx) NICs(ctx context.Context, ids []string) (map[string][]agentdata.NetworkInterface, error) {
	out := map[string][]agentdata.NetworkInterface{}
	err := in.queryIn(ctx, func(rows *sql.Rows) error {
		var (
			id string
			n  agentdata.NetworkInterface
		)
		err := rows.Scan(&id, &n.Name, &n.IPAddress, &n.MACAddress, &n.NetMask, &n.Family, &n.Gateway)
		out[id] = append(out[id], n)
		return err
	}, `SELECT server_id, name, ip_address, mac_address, net_mask, family, gateway FROM network_interfaces
		WHERE account_id = ? AND server_id IN (%s) ORDER BY server_id, name, ip_address`, anyList(ids), 1)
	return out, err
}

// IPOwners returns the agents' servers with an interface at each of ips.
func (in *intakeTx) IPOwners(ctx context.Context, ips []string) (map[string][]string, error) {
	owners := map[string][]string{}
	err := in.queryIn(ctx, func(rows *sql.Rows) error {
		var ip, sid string
		err := rows.Scan(&ip, &sid)
		if o := owners[ip]; len(o) == 0 || o[len(o)-1] != sid {
			owners[ip] = append(o, sid)
		}
		return err
	}, `SELECT n.ip_address, n.server_id FROM network_interfaces AS n
		JOIN servers AS s ON s.account_id = n.account_id AND s.server_id = n.server_id
		WHERE n.account_id = ? AND s.agent_id != '' AND n.ip_address IN (%s)
		ORDER BY n.ip_address, n.server_id`, anyList(ips), 1)
	return owners, err
}

// EarlierProcesses looks processes up in the agents' process observations.
func (in *intakeTx) EarlierProcesses(ctx context.Context, lookups []discovery.ProcessLookup) (map[discovery.ProcessLookup]agentdata.Process, error) {
	wanted := make([]any, 0, 3*len(lookups))
	for _, l := range lookups {
		wanted = append(wanted, l.AgentID, l.AtMs, l.PID)
	}
	out := map[discovery.ProcessLookup]agentdata.Process{}
	err := in.queryIn(ctx, func(rows *sql.Rows) error {
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
	}, `WITH a(id) AS (SELECT ?) SELECT w.column1, w.column2, p.pid, p.name, p.command_line, p.path FROM (VALUES %s) AS w
		CROSS JOIN process_observations AS p ON p.account_id = (SELECT id FROM a) AND p.agent_id = w.column1 AND p.pid = w.column3
			AND p.ts_ms = (SELECT max(ts_ms) FROM process_observations WHERE account_id = (SELECT id FROM a) AND agent_id = w.column1 AND ts_ms <= w.column2)`,
		wanted, 3)
	return out, err
}

// Apply writes plan: the rows of each kind in one run of bulk inserts; the
// merges as upserts that combine with the stored rows.
func (in *intakeTx) Apply(ctx context.Context, plan *discovery.IntakePlan) error {
	w := in.newWriter(ctx)
	received := ms(plan.Received)
	for i := range plan.Verdicts {
		if v := &plan.Verdicts[i]; v.Recorded() {
			if err := w.reportRows.add(v.Report.ReportID, v.Report.AgentID, v.Report.TimeMs, received); err != nil {
				return err
			}
		}
	}
	for _, a := range plan.Agents {
		network, err := json.Marshal(a.Network)
		if err != nil {
			return err
		}
		if err := w.agentRows.add(a.ID, a.Type, a.ConnectorID, a.HostName, a.Version, a.Health, a.CollectionStatus,
			string(network), ms(a.Registered), ms(a.LastHealthPing), optMs(a.FirstData), optMs(a.LastData), a.ServerID); err != nil {
			return err
		}
	}
	for _, set := range plan.NICSets {
		if err := in.exec(ctx, `DELETE FROM network_interfaces WHERE account_id = ? AND server_id = ?`, in.account, set.ServerID); err != nil {
			return err
		}
		for _, n := range set.NICs {
			if err := w.nicRows.add(set.ServerID, n.Name, n.IPAddress, n.MACAddress, n.NetMask, n.Family, n.Gateway); err != nil {
				return err
			}
		}
	}
	for i := range plan.Servers {
		if err := w.addServer(&plan.Servers[i]); err != nil {
			return err
		}
	}
	for _, h := range plan.HostNames {
		if err := in.exec(ctx, `UPDATE servers SET host_name = ? WHERE account_id = ? AND server_id = ?`, h.HostName, in.account, h.ServerID); err != nil {
			return err
		}
	}
	// Claims first: the plan's own connections are resolved already.
	// INDEXED BY: without statistics the planner rates "account_id = ?" on
	// the primary key as cheaper than the IP index and would scan all of
	// the account's connections for each IP.
	for _, c := range plan.Claims {
		if err := in.exec(ctx, `UPDATE connections INDEXED BY connections_by_destination_ip SET destination_server_id = ?
			WHERE account_id = ? AND destination_ip = ? AND destination_server_id = ''`, c.ServerID, in.account, c.IP); err != nil {
			return err
		}
		if err := in.exec(ctx, `UPDATE connections INDEXED BY connections_by_source_ip SET source_server_id = ?
			WHERE account_id = ? AND source_ip = ? AND source_server_id = ''`, c.ServerID, in.account, c.IP); err != nil {
			return err
		}
	}
	for _, r := range plan.Observations {
		if err := w.addObservations(r); err != nil {
			return err
		}
	}
	for _, p := range plan.Processes {
		if err := w.processRows.add(p.ID, p.ServerID, p.AgentID, p.Name, p.CommandLine, p.Path, p.IsSystem, p.FirstMs, p.LastMs); err != nil {
			return err
		}
	}
	for _, c := range plan.Connections {
		if err := w.connectionRows.add(c.ID, c.SourceServerID, c.DestServerID, c.SourceIP, c.DestinationIP, c.DestinationPort,
			c.IPVersion, c.TransportProtocol, c.SourceProcessID, c.DestProcessID, c.Occurrence, c.FirstMs, c.LatestMs); err != nil {
			return err
		}
	}
	for _, b := range w.bulks {
		if err := b.flush(); err != nil {
			return err
		}
	}
	return nil
}

func optMs(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: ms(t), Valid: true}
}

// addObservations writes a report's system observation, performance
// sample, process list and connections.
func (w *intakeWriter) addObservations(r *discovery.AgentReport) error {
	s := &r.Server
	nics := []byte("[]")
	if r.NetworkInterfaces != nil {
		var err error
		if nics, err = json.Marshal(r.NetworkInterfaces); err != nil {
			return err
		}
	}
	if err := w.sysRows.add(r.AgentID, r.TimeMs, s.OSName, s.OSVersion, s.CPUType, s.HostName, s.Hypervisor, string(nics)); err != nil {
		return err
	}
	if p := r.Performance; p != nil {
		if err := w.perfRows.add(r.AgentID, r.TimeMs, p.DiskReadKBps, p.DiskWriteKBps, p.DiskReadOpsPerSec, p.DiskWriteOpsPerSec,
			p.NetworkReadKBps, p.NetworkWriteKBps, s.NumLogicalProcessors, s.NumCores, s.NumCPUs, s.NumDisks, len(r.NetworkInterfaces),
			p.CPUUsagePct, s.TotalDiskGB, p.DiskFreeGB, s.TotalRAMMB, p.FreeRAMMB); err != nil {
			return err
		}
	}
	for i, p := range r.Processes {
		if err := w.procObsRows.add(r.AgentID, r.TimeMs, i, p.PID, p.IsSystem, p.Name, p.CommandLine, p.Path); err != nil {
			return err
		}
	}
	for i, c := range r.Connections {
		if err := w.connObsRows.add(r.AgentID, r.TimeMs, i, c.Direction, c.SourceIP, c.SourcePort, c.DestinationIP,
			c.DestinationPort, c.IPVersion, c.TransportProtocol, c.PID); err != nil {
			return err
		}
	}
	return nil
}

// addServer upserts a server merge (serverUpsert).
func (w *intakeWriter) addServer(m *discovery.ServerMerge) error {
	s, p := &m.Server, &m.Perf
	ramMin := sql.NullFloat64{Float64: p.FreeRAMMin, Valid: p.FreeRAMMinKnown}
	return w.serverRows.add(s.ID, s.AgentID, s.Source, s.HostName, s.OSName, s.OSVersion, s.CPUType,
		s.Hypervisor, s.Type, s.NumCPUs, s.NumCores, s.NumLogical, s.TotalRAMMB, s.TotalDiskGB, s.NumDisks, s.NumNICs,
		s.VMMoRefID, s.VMName, s.VCenterID, s.VCenterName, s.VMFolderPath, s.VMHostID, ms(s.Created), ms(s.Updated),
		p.Samples, p.CPUSum, p.CPUMax, p.FreeRAMSum, ramMin, m.DiskFreeGB,
		p.DiskReadKBpsSum, p.DiskReadKBpsMax, p.DiskWriteKBpsSum, p.DiskWriteKBpsMax, p.DiskReadOpsSum, p.DiskReadOpsMax,
		p.DiskWriteOpsSum, p.DiskWriteOpsMax, p.NetReadKBpsSum, p.NetReadKBpsMax, p.NetWriteKBpsSum, p.NetWriteKBpsMax)
}
