package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
	"weak"

	"github.com/poseidon-ads/poseidon/internal/agentdata"
	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// IntakeReports stores a batch of agent reports of one account in one write
// transaction (see agents.Store). Rows go in through multi-row prepared
// INSERTs; agents, servers, processes and connections are aggregated per
// batch in memory and written once each.
func (s *DB) IntakeReports(ctx context.Context, account string, reports []*discovery.AgentReport, now time.Time) (*discovery.IntakeResult, error) {
	var res *discovery.IntakeResult
	err := s.tx(ctx, func(tx *sql.Tx) error {
		// A batch writes thousands of rows: keep its pages and statement
		// journals in memory rather than spilling them to disk mid-way.
		if _, err := tx.ExecContext(ctx, `PRAGMA cache_size = -32768`); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `PRAGMA temp_store = MEMORY`); err != nil {
			return err
		}
		in := s.newIntake(ctx, tx, account, ms(now))
		var err error
		res, err = in.run(reports)
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
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
func (in *intake) stmt(query string) (*sql.Stmt, error) {
	if st, ok := in.txStmts[query]; ok {
		return st, nil
	}
	c := in.cache
	c.mu.Lock()
	st, ok := c.m[query]
	if !ok {
		var err error
		if st, err = in.db.PrepareContext(in.ctx, query); err != nil {
			c.mu.Unlock()
			return nil, err
		}
		c.m[query] = st
	}
	c.mu.Unlock()
	txst := in.tx.StmtContext(in.ctx, st)
	in.txStmts[query] = txst
	return txst, nil
}

// bulk inserts rows through multi-row INSERT statements of a few fixed
// sizes, so that every statement is compiled once. Every row's first column
// is the account, bound once as ?1.
type bulk struct {
	in         *intake
	head, tail string
	cols, per  int
	args       []any // the account, then the pending rows' values
	n          int
	sqls       map[int]string // statement text by row count
}

// chunkSizes are the row counts of bulk statements (at most bulk.per).
var chunkSizes = []int{128, 32, 8, 2, 1}

func (in *intake) newBulk(head string, cols int, tail string) *bulk {
	per := min(chunkSizes[0], 30000/cols)
	b := &bulk{in: in, head: head, tail: tail, cols: cols, per: per, args: make([]any, 1, 1+per*(cols-1)), sqls: map[int]string{}}
	b.args[0] = in.account
	in.bulks = append(in.bulks, b)
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
	w := b.cols - 1 // values per row after the account
	done := 0
	for _, size := range chunkSizes {
		if size > b.per {
			continue
		}
		for b.n-done >= size {
			st, err := b.in.stmt(b.sql(size))
			if err != nil {
				return err
			}
			args := b.args
			if done > 0 || size < b.n {
				args = append(b.in.scratch[:0], b.args[0])
				args = append(args, b.args[1+done*w:1+(done+size)*w]...)
				b.in.scratch = args
			}
			if _, err := st.ExecContext(b.in.ctx, args...); err != nil {
				return err
			}
			done += size
		}
	}
	b.args, b.n = b.args[:1], 0
	return nil
}

type intake struct {
	ctx     context.Context
	db      *sql.DB
	tx      *sql.Tx
	cache   *stmtCache
	txStmts map[string]*sql.Stmt
	scratch []any
	account string
	now     int64
	bulks   []*bulk

	reportRows, agentRows, serverRows, nicRows  *bulk
	perfRows, sysRows, procObsRows, connObsRows *bulk
	processRows, connectionRows                 *bulk
}

func (s *DB) newIntake(ctx context.Context, tx *sql.Tx, account string, now int64) *intake {
	in := &intake{ctx: ctx, db: s.db, tx: tx, cache: s.stmtCache(), txStmts: map[string]*sql.Stmt{}, account: account, now: now}
	in.reportRows = in.newBulk(`INSERT INTO agent_reports (account_id, report_id, agent_id, ts_ms, received_ms)`, 5, "")
	in.agentRows = in.newBulk(`INSERT INTO agents (account_id, agent_id, agent_type, connector_id, host_name, version, health,
		collection_status, network_info, registered_ms, last_health_ping_ms, first_data_ms, last_data_ms, server_id)`, 14,
		`ON CONFLICT (account_id, agent_id) DO UPDATE SET agent_type = excluded.agent_type, connector_id = excluded.connector_id,
		host_name = excluded.host_name, version = excluded.version, health = excluded.health, network_info = excluded.network_info,
		last_health_ping_ms = excluded.last_health_ping_ms, first_data_ms = excluded.first_data_ms,
		last_data_ms = excluded.last_data_ms, server_id = excluded.server_id`)
	in.serverRows = in.newBulk(`INSERT INTO servers (`+strings.Join(serverCols, ", ")+`)`, len(serverCols), serverUpsert)
	in.nicRows = in.newBulk(`INSERT INTO network_interfaces (account_id, server_id, name, ip_address, mac_address, net_mask, family, gateway)`, 8, "")
	in.perfRows = in.newBulk(`INSERT INTO perf_samples (account_id, agent_id, ts_ms, disk_read_kbps, disk_write_kbps, disk_read_ops,
		disk_write_ops, net_read_kbps, net_write_kbps, num_logical, num_cores, num_cpus, num_disks, num_nics, cpu_pct,
		disk_size_gb, disk_free_gb, total_ram_mb, free_ram_mb)`, 19, "")
	in.sysRows = in.newBulk(`INSERT INTO system_observations (account_id, agent_id, ts_ms, os_name, os_version, cpu_type, host_name, hypervisor, nics)`, 9, "")
	in.procObsRows = in.newBulk(`INSERT INTO process_observations (account_id, agent_id, ts_ms, seq, pid, is_system, name, command_line, path)`, 9, "")
	in.connObsRows = in.newBulk(`INSERT INTO connection_observations (account_id, agent_id, ts_ms, seq, direction, source_ip, source_port,
		destination_ip, destination_port, ip_version, transport_protocol, pid)`, 12, "")
	in.processRows = in.newBulk(`INSERT INTO processes (account_id, process_id, server_id, agent_id, name, command_line, path, is_system,
		created_ms, last_seen_ms)`, 10,
		`ON CONFLICT (account_id, process_id) DO UPDATE SET agent_id = excluded.agent_id, is_system = excluded.is_system,
		created_ms = min(created_ms, excluded.created_ms), last_seen_ms = max(last_seen_ms, excluded.last_seen_ms)`)
	in.connectionRows = in.newBulk(`INSERT INTO connections (account_id, connection_id, source_server_id, destination_server_id,
		source_ip, destination_ip, destination_port, ip_version, transport_protocol, source_process_id, destination_process_id,
		occurrence, first_ms, latest_ms)`, 14,
		// Endpoint servers are set on insert and by the backfill when an IP
		// registers; leaving them out of SET spares their indexes.
		`ON CONFLICT (account_id, connection_id) DO UPDATE SET occurrence = occurrence + excluded.occurrence,
		first_ms = min(first_ms, excluded.first_ms), latest_ms = max(latest_ms, excluded.latest_ms)`)
	return in
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
			// Fixed for an agent's server, or indexed: storeData writes
			// host name changes apart, sparing the index an update per batch.
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
// fixed arguments.
func (in *intake) queryIn(fn func(*sql.Rows) error, query string, fixed []any, list []any, width int) error {
	const chunk = 500
	for len(list) > 0 {
		n := min(len(list)/width, chunk)
		part := list[:n*width]
		list = list[n*width:]
		ph := placeholders(n, width)
		if width == 1 {
			ph = strings.TrimSuffix(strings.Repeat("?,", n), ",")
		}
		if err := eachRow(in.ctx, in.tx, fmt.Sprintf(query, ph), append(slices.Clip(fixed), part...), fn); err != nil {
			return err
		}
	}
	return nil
}

func anyList(v []string) []any {
	out := make([]any, len(v))
	for i, s := range v {
		out[i] = s
	}
	return out
}

func (in *intake) run(reports []*discovery.AgentReport) (*discovery.IntakeResult, error) {
	res := &discovery.IntakeResult{DroppedReports: []discovery.DroppedReport{}}

	// Idempotency: report IDs taken in before are duplicates.
	ids := make([]any, len(reports))
	for i, r := range reports {
		ids[i] = r.ReportID
	}
	seen := map[string]bool{}
	err := in.queryIn(func(rows *sql.Rows) error {
		var id string
		err := rows.Scan(&id)
		seen[id] = true
		return err
	}, `SELECT report_id FROM agent_reports WHERE account_id = ? AND report_id IN (%s)`, []any{in.account}, ids, 1)
	if err != nil {
		return nil, err
	}
	groups := map[string][]*discovery.AgentReport{}
	var pairs []any
	for _, r := range reports {
		if seen[r.ReportID] {
			res.Duplicates++
			continue
		}
		if err := in.reportRows.add(r.ReportID, r.AgentID, r.TimeMs, in.now); err != nil {
			return nil, err
		}
		groups[r.AgentID] = append(groups[r.AgentID], r)
		pairs = append(pairs, r.AgentID, r.TimeMs)
	}
	if len(groups) == 0 {
		return res, in.flushAll()
	}
	order := make([]string, 0, len(groups))
	for id, g := range groups {
		order = append(order, id)
		slices.SortStableFunc(g, func(a, b *discovery.AgentReport) int { return cmp.Compare(a.TimeMs, b.TimeMs) })
	}
	slices.Sort(order)

	// Agent moments that hold data already (another report ID, same time).
	taken := map[agentTime]bool{}
	err = in.queryIn(func(rows *sql.Rows) error {
		var k agentTime
		err := rows.Scan(&k.agent, &k.ms)
		taken[k] = true
		return err
	}, `SELECT agent_id, ts_ms FROM system_observations WHERE account_id = ? AND (agent_id, ts_ms) IN (VALUES %s)`, []any{in.account}, pairs, 2)
	if err != nil {
		return nil, err
	}

	existing := map[string]*discovery.Agent{}
	err = in.queryIn(func(rows *sql.Rows) error {
		a, err := scanAgent(rows, in.account)
		if err == nil {
			existing[a.ID] = a
		}
		return err
	}, `SELECT `+agentCols+` FROM agents WHERE account_id = ? AND agent_id IN (%s)`, []any{in.account}, anyList(order), 1)
	if err != nil {
		return nil, err
	}

	// Agents: register, take the newest health and description, drop the
	// data of stopped agents and of moments already reported.
	dropped := map[string]string{}
	accepted := map[string][]*discovery.AgentReport{}
	for _, id := range order {
		g := groups[id]
		a := existing[id]
		isNew := a == nil
		if isNew {
			a = &discovery.Agent{ID: id, CollectionStatus: discovery.CollectionStarted, Registered: fromMs(g[0].TimeMs), Network: []discovery.AgentNetworkInfo{}}
		}
		a.ServerID = g[0].ServerID
		last := g[len(g)-1]
		if isNew || last.TimeMs >= ms(a.LastHealthPing) {
			a.Type, a.Version, a.Health, a.ConnectorID = last.Agent.AgentType, last.Agent.Version, last.Agent.Health, last.Agent.ConnectorID
			a.HostName = last.Server.HostName
			a.LastHealthPing = fromMs(last.TimeMs)
			if len(last.NetworkInterfaces) > 0 {
				a.Network = networkInfo(last.NetworkInterfaces)
			}
		}
		if a.CollectionStatus == discovery.CollectionStopped {
			for _, r := range g {
				dropped[r.ReportID] = "data collection is stopped for agent " + id
			}
		} else {
			var acc []*discovery.AgentReport
			for _, r := range g {
				k := agentTime{id, r.TimeMs}
				if taken[k] {
					dropped[r.ReportID] = fmt.Sprintf("agent %s already reported data for %s", id, fromMs(r.TimeMs).Format(time.RFC3339Nano))
					continue
				}
				taken[k] = true
				acc = append(acc, r)
			}
			if len(acc) > 0 {
				accepted[id] = acc
				if first := fromMs(acc[0].TimeMs); a.FirstData.IsZero() || first.Before(a.FirstData) {
					a.FirstData = first
				}
				if last := fromMs(acc[len(acc)-1].TimeMs); last.After(a.LastData) {
					a.LastData = last
				}
			}
		}
		network, _ := json.Marshal(a.Network)
		if err := in.agentRows.add(a.ID, a.Type, a.ConnectorID, a.HostName, a.Version, a.Health, a.CollectionStatus,
			string(network), ms(a.Registered), ms(a.LastHealthPing), optMs(a.FirstData), optMs(a.LastData), a.ServerID); err != nil {
			return nil, err
		}
	}
	for _, r := range reports {
		if reason, ok := dropped[r.ReportID]; ok {
			res.DroppedReports = append(res.DroppedReports, discovery.DroppedReport{ReportID: r.ReportID, Reason: reason})
		} else if !seen[r.ReportID] {
			res.AcceptedIDs = append(res.AcceptedIDs, r.ReportID)
		}
	}
	res.Dropped = len(res.DroppedReports)
	res.Accepted = len(reports) - res.Duplicates - res.Dropped
	if len(accepted) == 0 {
		return res, in.flushAll()
	}
	if err := in.storeData(order, accepted); err != nil {
		return nil, err
	}
	return res, in.flushAll()
}

type agentTime struct {
	agent string
	ms    int64
}

func optMs(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: ms(t), Valid: true}
}

func networkInfo(nics []agentdata.NetworkInterface) []discovery.AgentNetworkInfo {
	out := make([]discovery.AgentNetworkInfo, len(nics))
	for i, n := range nics {
		out[i] = discovery.AgentNetworkInfo{IPAddress: n.IPAddress, MACAddress: n.MACAddress}
	}
	return out
}

func (in *intake) flushAll() error {
	for _, b := range in.bulks {
		if err := b.flush(); err != nil {
			return err
		}
	}
	return nil
}

// storeData writes the data of accepted reports: servers and their
// interfaces, samples, observations, processes and connections.
func (in *intake) storeData(order []string, accepted map[string][]*discovery.AgentReport) error {
	var serverIDs []string
	for _, id := range order {
		if acc := accepted[id]; acc != nil {
			serverIDs = append(serverIDs, acc[0].ServerID)
		}
	}
	updated, hosts := map[string]int64{}, map[string]string{}
	err := in.queryIn(func(rows *sql.Rows) error {
		var (
			id, host string
			t        int64
		)
		err := rows.Scan(&id, &t, &host)
		updated[id], hosts[id] = t, host
		return err
	}, `SELECT server_id, updated_ms, host_name FROM servers WHERE account_id = ? AND server_id IN (%s)`, []any{in.account}, anyList(serverIDs), 1)
	if err != nil {
		return err
	}
	nics := map[string][]agentdata.NetworkInterface{}
	err = in.queryIn(func(rows *sql.Rows) error {
		var (
			id string
			n  agentdata.NetworkInterface
		)
		err := rows.Scan(&id, &n.Name, &n.IPAddress, &n.MACAddress, &n.NetMask, &n.Family, &n.Gateway)
		nics[id] = append(nics[id], n)
		return err
	}, `SELECT server_id, name, ip_address, mac_address, net_mask, family, gateway FROM network_interfaces
		WHERE account_id = ? AND server_id IN (%s) ORDER BY server_id, name, ip_address`, []any{in.account}, anyList(serverIDs), 1)
	if err != nil {
		return err
	}

	// Servers and their interfaces.
	type claim struct{ ip, server string }
	var claims []claim
	for _, id := range order {
		acc := accepted[id]
		if acc == nil {
			continue
		}
		sid := acc[0].ServerID
		stored, exists := updated[sid]
		var withNICs *discovery.AgentReport
		for _, r := range slices.Backward(acc) {
			if len(r.NetworkInterfaces) > 0 {
				withNICs = r
				break
			}
		}
		set := nics[sid]
		if withNICs != nil && (!exists || withNICs.TimeMs >= stored) {
			next := uniqueNICs(withNICs.NetworkInterfaces)
			if !slices.Equal(next, set) {
				st, err := in.stmt(`DELETE FROM network_interfaces WHERE account_id = ? AND server_id = ?`)
				if err != nil {
					return err
				}
				if _, err := st.ExecContext(in.ctx, in.account, sid); err != nil {
					return err
				}
				old := map[string]bool{}
				for _, n := range set {
					old[n.IPAddress] = true
				}
				for _, n := range next {
					if err := in.nicRows.add(sid, n.Name, n.IPAddress, n.MACAddress, n.NetMask, n.Family, n.Gateway); err != nil {
						return err
					}
					if !old[n.IPAddress] {
						old[n.IPAddress] = true
						claims = append(claims, claim{n.IPAddress, sid})
					}
				}
				set = next
			}
		}
		if err := in.addServer(id, sid, acc, len(set)); err != nil {
			return err
		}
		if host := acc[len(acc)-1].Server.HostName; exists && acc[len(acc)-1].TimeMs >= stored && host != hosts[sid] {
			st, err := in.stmt(`UPDATE servers SET host_name = ? WHERE account_id = ? AND server_id = ?`)
			if err != nil {
				return err
			}
			if _, err := st.ExecContext(in.ctx, host, in.account, sid); err != nil {
				return err
			}
		}
	}
	if err := in.serverRows.flush(); err != nil {
		return err
	}
	if err := in.nicRows.flush(); err != nil {
		return err
	}
	// Connections seen before an endpoint's server registered its IP now
	// resolve to it. INDEXED BY: without statistics the planner rates
	// "account_id = ?" on the primary key as cheaper than the IP index and
	// would scan all of the account's connections for each IP.
	for _, c := range claims {
		dst, err := in.stmt(`UPDATE connections INDEXED BY connections_by_destination_ip SET destination_server_id = ?
			WHERE account_id = ? AND destination_ip = ? AND destination_server_id = ''`)
		if err != nil {
			return err
		}
		src, err := in.stmt(`UPDATE connections INDEXED BY connections_by_source_ip SET source_server_id = ?
			WHERE account_id = ? AND source_ip = ? AND source_server_id = ''`)
		if err != nil {
			return err
		}
		if _, err := dst.ExecContext(in.ctx, c.server, in.account, c.ip); err != nil {
			return err
		}
		if _, err := src.ExecContext(in.ctx, c.server, in.account, c.ip); err != nil {
			return err
		}
	}

	// Which agent servers own the remote ends of this batch's connections.
	remote := map[string]bool{}
	for _, acc := range accepted {
		for _, r := range acc {
			for _, c := range r.Connections {
				if c.Direction == "outbound" {
					remote[c.DestinationIP] = true
				} else {
					remote[c.SourceIP] = true
				}
			}
		}
	}
	owners := map[string][]string{}
	if len(remote) > 0 {
		ips := make([]string, 0, len(remote))
		for ip := range remote {
			ips = append(ips, ip)
		}
		slices.Sort(ips)
		err := in.queryIn(func(rows *sql.Rows) error {
			var ip, sid string
			err := rows.Scan(&ip, &sid)
			if o := owners[ip]; len(o) == 0 || o[len(o)-1] != sid {
				owners[ip] = append(o, sid)
			}
			return err
		}, `SELECT n.ip_address, n.server_id FROM network_interfaces AS n
			JOIN servers AS s ON s.account_id = n.account_id AND s.server_id = n.server_id
			WHERE n.account_id = ? AND s.agent_id != '' AND n.ip_address IN (%s)
			ORDER BY n.ip_address, n.server_id`, []any{in.account}, anyList(ips), 1)
		if err != nil {
			return err
		}
	}

	earlier, err := in.earlierProcesses(order, accepted)
	if err != nil {
		return err
	}
	procs := map[string]*procAgg{}
	conns := map[string]*connAgg{}
	var procOrder, connOrder []string
	for _, id := range order {
		acc := accepted[id]
		if acc == nil {
			continue
		}
		sid := acc[0].ServerID
		pids := earlier[id]
		for _, r := range acc {
			if err := in.addSamples(r); err != nil {
				return err
			}
			if len(r.Processes) > 0 {
				pids = make(map[int]string, len(r.Processes))
				for i, p := range r.Processes {
					pid := r.ProcessIDs[i]
					pids[p.PID] = pid
					if err := in.procObsRows.add(id, r.TimeMs, i, p.PID, p.IsSystem, p.Name, p.CommandLine, p.Path); err != nil {
						return err
					}
					pa := procs[pid]
					if pa == nil {
						pa = &procAgg{server: sid, agent: id, p: p, created: r.TimeMs}
						procs[pid] = pa
						procOrder = append(procOrder, pid)
					}
					pa.p.IsSystem, pa.lastSeen = p.IsSystem, r.TimeMs
				}
			}
			for i, c := range r.Connections {
				if err := in.connObsRows.add(id, r.TimeMs, i, c.Direction, c.SourceIP, c.SourcePort, c.DestinationIP,
					c.DestinationPort, c.IPVersion, c.TransportProtocol, c.PID); err != nil {
					return err
				}
				proc := ""
				if c.PID != 0 {
					proc = pids[c.PID]
				}
				k := connAgg{ip: c.IPVersion, proto: c.TransportProtocol, srcIP: c.SourceIP, dstIP: c.DestinationIP, port: c.DestinationPort}
				if c.Direction == "outbound" {
					k.srcServer, k.dstServer, k.srcProc = sid, resolve(owners[c.DestinationIP], sid), proc
				} else {
					// The source's agent reports this connection as outbound:
					// count inbound ones only from servers without an agent.
					if len(owners[c.SourceIP]) > 0 {
						continue
					}
					k.dstServer, k.dstProc = sid, proc
				}
				cid := discovery.ConnectionID(in.account, k.srcIP, k.dstIP, k.port, k.proto, k.srcProc, k.dstProc)
				ca := conns[cid]
				if ca == nil {
					k.first = r.TimeMs
					ca = &k
					conns[cid] = ca
					connOrder = append(connOrder, cid)
				}
				ca.n++
				ca.first, ca.latest = min(ca.first, r.TimeMs), max(ca.latest, r.TimeMs)
			}
		}
	}
	for _, pid := range procOrder {
		pa := procs[pid]
		if err := in.processRows.add(pid, pa.server, pa.agent, pa.p.Name, pa.p.CommandLine, pa.p.Path, pa.p.IsSystem,
			pa.created, pa.lastSeen); err != nil {
			return err
		}
	}
	for _, cid := range connOrder {
		c := conns[cid]
		if err := in.connectionRows.add(cid, c.srcServer, c.dstServer, c.srcIP, c.dstIP, c.port, c.ip, c.proto,
			c.srcProc, c.dstProc, c.n, c.first, c.latest); err != nil {
			return err
		}
	}
	return nil
}

type procAgg struct {
	server, agent     string
	p                 agentdata.Process
	created, lastSeen int64
}

type connAgg struct {
	srcServer, dstServer, srcIP, dstIP, ip, proto, srcProc, dstProc string
	port                                                            int
	n                                                               int
	first, latest                                                   int64
}

// resolve picks the server of an IP: the reporting server if it owns the IP
// (loopback and the like), else the first owner by server ID, else "".
func resolve(owners []string, self string) string {
	if len(owners) == 0 {
		return ""
	}
	if slices.Contains(owners, self) {
		return self
	}
	return owners[0]
}

// earlierProcesses maps, per agent, the PIDs of connections that come before
// the batch's first process list of that agent to process IDs, from the
// agent's latest stored process list at or before the first such report
// (agents send processes less often than connections).
func (in *intake) earlierProcesses(order []string, accepted map[string][]*discovery.AgentReport) (map[string]map[int]string, error) {
	var wanted []any // (agent, ts, pid) triples
	for _, id := range order {
		seen := map[int]bool{}
		var ts int64
	reports:
		for _, r := range accepted[id] {
			if len(r.Processes) > 0 {
				break reports
			}
			for _, c := range r.Connections {
				if c.PID == 0 || seen[c.PID] {
					continue
				}
				if len(seen) == 0 {
					ts = r.TimeMs
				}
				seen[c.PID] = true
				wanted = append(wanted, id, ts, c.PID)
			}
		}
	}
	out := map[string]map[int]string{}
	if len(wanted) == 0 {
		return out, nil
	}
	servers := map[string]string{}
	for id, acc := range accepted {
		servers[id] = acc[0].ServerID
	}
	err := in.queryIn(func(rows *sql.Rows) error {
		var (
			agent, name, cmd, path string
			pid                    int
		)
		if err := rows.Scan(&agent, &pid, &name, &cmd, &path); err != nil {
			return err
		}
		m := out[agent]
		if m == nil {
			m = map[int]string{}
			out[agent] = m
		}
		m[pid] = discovery.ProcessID(in.account, servers[agent], name, path, cmd)
		return nil
	}, `WITH a(id) AS (SELECT ?) SELECT w.column1, p.pid, p.name, p.command_line, p.path FROM (VALUES %s) AS w
		CROSS JOIN process_observations AS p ON p.account_id = (SELECT id FROM a) AND p.agent_id = w.column1 AND p.pid = w.column3
			AND p.ts_ms = (SELECT max(ts_ms) FROM process_observations WHERE account_id = (SELECT id FROM a) AND agent_id = w.column1 AND ts_ms <= w.column2)`,
		[]any{in.account}, wanted, 3)
	return out, err
}

// uniqueNICs sorts interfaces by (name, IP) and keeps the first of each key.
func uniqueNICs(in []agentdata.NetworkInterface) []agentdata.NetworkInterface {
	out := slices.Clone(in)
	slices.SortStableFunc(out, func(a, b agentdata.NetworkInterface) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.IPAddress, b.IPAddress)
	})
	return slices.CompactFunc(out, func(a, b agentdata.NetworkInterface) bool { return a.Name == b.Name && a.IPAddress == b.IPAddress })
}

// addSamples writes a report's performance sample and system observation.
func (in *intake) addSamples(r *discovery.AgentReport) error {
	s := &r.Server
	nics, _ := json.Marshal(r.NetworkInterfaces)
	if r.NetworkInterfaces == nil {
		nics = []byte("[]")
	}
	if err := in.sysRows.add(r.AgentID, r.TimeMs, s.OSName, s.OSVersion, s.CPUType, s.HostName, s.Hypervisor, string(nics)); err != nil {
		return err
	}
	p := r.Performance
	if p == nil {
		return nil
	}
	return in.perfRows.add(r.AgentID, r.TimeMs, p.DiskReadKBps, p.DiskWriteKBps, p.DiskReadOpsPerSec, p.DiskWriteOpsPerSec,
		p.NetworkReadKBps, p.NetworkWriteKBps, s.NumLogicalProcessors, s.NumCores, s.NumCPUs, s.NumDisks, len(r.NetworkInterfaces),
		p.CPUUsagePct, s.TotalDiskGB, p.DiskFreeGB, s.TotalRAMMB, p.FreeRAMMB)
}

// addServer upserts an agent's server with the batch's aggregates.
func (in *intake) addServer(agent, sid string, acc []*discovery.AgentReport, numNICs int) error {
	last := acc[len(acc)-1]
	s := &last.Server
	vm := s.VMware
	if vm == nil {
		vm = &agentdata.VMware{}
	}
	var (
		n                                                          int
		cpuSum, cpuMax, ramSum, diskFree                           float64
		ramMin                                                     sql.NullFloat64
		drSum, drMax, dwSum, dwMax, droSum, droMax, dwoSum, dwoMax float64
		nrSum, nrMax, nwSum, nwMax                                 float64
	)
	for _, r := range acc {
		p := r.Performance
		if p == nil {
			continue
		}
		n++
		cpuSum, cpuMax = cpuSum+p.CPUUsagePct, max(cpuMax, p.CPUUsagePct)
		ramSum += p.FreeRAMMB
		if !ramMin.Valid || p.FreeRAMMB < ramMin.Float64 {
			ramMin = sql.NullFloat64{Float64: p.FreeRAMMB, Valid: true}
		}
		diskFree = p.DiskFreeGB
		drSum, drMax = drSum+p.DiskReadKBps, max(drMax, p.DiskReadKBps)
		dwSum, dwMax = dwSum+p.DiskWriteKBps, max(dwMax, p.DiskWriteKBps)
		droSum, droMax = droSum+p.DiskReadOpsPerSec, max(droMax, p.DiskReadOpsPerSec)
		dwoSum, dwoMax = dwoSum+p.DiskWriteOpsPerSec, max(dwoMax, p.DiskWriteOpsPerSec)
		nrSum, nrMax = nrSum+p.NetworkReadKBps, max(nrMax, p.NetworkReadKBps)
		nwSum, nwMax = nwSum+p.NetworkWriteKBps, max(nwMax, p.NetworkWriteKBps)
	}
	return in.serverRows.add(sid, agent, "Agent", s.HostName, s.OSName, s.OSVersion, s.CPUType,
		s.Hypervisor, s.Type, s.NumCPUs, s.NumCores, s.NumLogicalProcessors, s.TotalRAMMB, s.TotalDiskGB, s.NumDisks, numNICs,
		vm.MoRefID, vm.VMName, vm.VCenterID, vm.VCenterName, vm.VMFolderPath, vm.HostID, acc[0].TimeMs, last.TimeMs,
		n, cpuSum, cpuMax, ramSum, ramMin, diskFree,
		drSum, drMax, dwSum, dwMax, droSum, droMax, dwoSum, dwoMax, nrSum, nrMax, nwSum, nwMax)
}
