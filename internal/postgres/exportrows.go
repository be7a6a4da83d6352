package postgres

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// Row sources of export files (worker.RowSource). Each method runs one
// streaming query, one snapshot, and calls fn once per row, in file order,
// while the query is open; fn gets the same struct each time (refilled), so
// it must not keep it. An error from fn stops the scan and is returned as
// is.
//
// Agent time series are read for ts in [from, to], both ends included, at
// millisecond precision: a range of the series' primary keys, which lead
// with (account, agent, time).

// exportWindowMs turns an inclusive window into inclusive epoch-millisecond bounds:
// a start with a sub-millisecond part rounds up, an end rounds down.
func exportWindowMs(from, to time.Time) (int64, int64) {
	return ceilMs(from), to.UnixMilli()
}

// ceilMs is t in epoch milliseconds, rounded up: ts_ms >= ceilMs(t) holds
// exactly for the times at or after t, ts_ms < ceilMs(t) for those before.
func ceilMs(t time.Time) int64 {
	m := t.UnixMilli()
	if time.UnixMilli(m).Before(t) {
		m++
	}
	return m
}

// agentSeries streams the rows of query, whose first column is ts_ms and
// whose parameters are the account, the agent and the window's bounds
// (then extra), scanning the other columns into cols and setting *at.
func (s *DB) agentSeries(ctx context.Context, query, account, agent string, from, to time.Time, at *time.Time, cols []any, fn func() error, extra ...any) error {
	lo, hi := exportWindowMs(from, to)
	var ts int64
	dest := append([]any{&ts}, cols...)
	return eachRow(ctx, s.pool, query, append([]any{account, agent, lo, hi}, extra...), func(rows pgx.Rows) error {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		*at = fromMs(ts)
		return fn()
	})
}

// perfSamplesInWindow is the query of AgentPerfSamples.
const perfSamplesInWindow = `SELECT ts_ms, disk_read_kbps, disk_write_kbps, disk_read_ops, disk_write_ops, net_read_kbps, net_write_kbps,
			num_logical, num_cores, num_cpus, num_disks, num_nics, cpu_pct, disk_size_gb, disk_free_gb, total_ram_mb, free_ram_mb
		FROM perf_samples WHERE account_id = $1 AND agent_id = $2 AND ts_ms BETWEEN $3 AND $4 ORDER BY ts_ms`

// AgentPerfSamples streams the agent's performance samples
// (systemPerformance.csv), oldest first.
func (s *DB) AgentPerfSamples(ctx context.Context, account, agent string, from, to time.Time, fn func(*discovery.PerfSample) error) error {
	r := discovery.PerfSample{AgentID: agent}
	return s.agentSeries(ctx, perfSamplesInWindow,
		account, agent, from, to, &r.Time, []any{&r.DiskReadKBps, &r.DiskWriteKBps, &r.DiskReadOps, &r.DiskWriteOps, &r.NetReadKBps, &r.NetWriteKBps,
			&r.NumLogical, &r.NumCores, &r.NumCPUs, &r.NumDisks, &r.NumNICs, &r.CPUPct, &r.DiskSizeGB, &r.DiskFreeGB, &r.TotalRAMMB, &r.FreeRAMMB},
		func() error { return fn(&r) })
}

// osInfoInWindow is the query of AgentOSInfo.
const osInfoInWindow = `SELECT ts_ms, os_name, os_version, cpu_type, host_name, hypervisor
		FROM system_observations WHERE account_id = $1 AND agent_id = $2 AND ts_ms BETWEEN $3 AND $4 ORDER BY ts_ms`

// AgentOSInfo streams the OS facts of the agent's reports (osInfo.csv),
// oldest first.
func (s *DB) AgentOSInfo(ctx context.Context, account, agent string, from, to time.Time, fn func(*discovery.OSInfo) error) error {
	r := discovery.OSInfo{AgentID: agent}
	return s.agentSeries(ctx, osInfoInWindow,
		account, agent, from, to, &r.Time, []any{&r.OSName, &r.OSVersion, &r.CPUType, &r.HostName, &r.Hypervisor},
		func() error { return fn(&r) })
}

// nicsInWindow is the query of AgentNICs.
const nicsInWindow = `SELECT o.ts_ms, coalesce(j.nic ->> 'name', ''), coalesce(j.nic ->> 'macAddress', ''),
			coalesce(j.nic ->> 'family', ''), coalesce(j.nic ->> 'ipAddress', ''), coalesce(j.nic ->> 'gateway', ''),
			coalesce(j.nic ->> 'netMask', '')
		FROM system_observations o,
			jsonb_array_elements(CASE WHEN jsonb_typeof(o.nics) = 'array' THEN o.nics ELSE '[]' END) WITH ORDINALITY AS j(nic, n)
		WHERE o.account_id = $1 AND o.agent_id = $2 AND o.ts_ms BETWEEN $3 AND $4 AND jsonb_typeof(j.nic) = 'object'
		ORDER BY o.ts_ms, j.n`

// AgentNICs streams the network interfaces of the agent's reports
// (networkInterface.csv): oldest report first, interfaces in reported order.
func (s *DB) AgentNICs(ctx context.Context, account, agent string, from, to time.Time, fn func(*discovery.NICSample) error) error {
	r := discovery.NICSample{AgentID: agent}
	return s.agentSeries(ctx, nicsInWindow,
		account, agent, from, to, &r.Time, []any{&r.Name, &r.MACAddress, &r.Family, &r.IPAddress, &r.Gateway, &r.NetMask},
		func() error { return fn(&r) })
}

// processesInWindow is the query of AgentProcesses.
const processesInWindow = `SELECT ts_ms, pid, is_system, name, command_line, path
		FROM process_observations WHERE account_id = $1 AND agent_id = $2 AND ts_ms BETWEEN $3 AND $4 ORDER BY ts_ms, seq`

// AgentProcesses streams the processes of the agent's reports (process.csv):
// oldest report first, processes in reported order.
func (s *DB) AgentProcesses(ctx context.Context, account, agent string, from, to time.Time, fn func(*discovery.ProcessSample) error) error {
	r := discovery.ProcessSample{AgentID: agent}
	return s.agentSeries(ctx, processesInWindow,
		account, agent, from, to, &r.Time, []any{&r.PID, &r.IsSystem, &r.Name, &r.CommandLine, &r.Path},
		func() error { return fn(&r) })
}

// connectionsInWindow is the query of AgentConnections.
const connectionsInWindow = `SELECT ts_ms, source_ip, source_port, destination_ip, destination_port, ip_version, transport_protocol, pid
		FROM connection_observations WHERE account_id = $1 AND agent_id = $2 AND ts_ms BETWEEN $3 AND $4 AND direction = $5
		ORDER BY ts_ms, seq`

// AgentConnections streams the connections of one direction ("outbound" or
// "inbound") of the agent's reports: oldest report first, connections in
// reported order.
func (s *DB) AgentConnections(ctx context.Context, account, agent, direction string, from, to time.Time, fn func(*discovery.ConnectionSample) error) error {
	if direction != discovery.Outbound && direction != discovery.Inbound {
		return fmt.Errorf("connection direction %q: want %q or %q", direction, discovery.Outbound, discovery.Inbound)
	}
	r := discovery.ConnectionSample{AgentID: agent}
	return s.agentSeries(ctx, connectionsInWindow,
		account, agent, from, to, &r.Time, []any{&r.SourceIP, &r.SourcePort, &r.DestinationIP, &r.DestinationPort, &r.IPVersion, &r.TransportProtocol, &r.PID},
		func() error { return fn(&r) }, direction)
}

// ExportApplications streams the account's applications (Application.csv) by
// configuration ID. serverCount counts the application's server associations.
func (s *DB) ExportApplications(ctx context.Context, account string, fn func(*discovery.Application) error) error {
	var (
		r                discovery.Application
		created, updated int64
	)
	return eachRow(ctx, s.pool, `SELECT a.application_id, a.name, a.description, a.wave, a.created_ms, a.updated_ms,
			(SELECT count(*) FROM application_servers x WHERE x.account_id = a.account_id AND x.application_id = a.application_id)
		FROM applications a WHERE a.account_id = $1 ORDER BY a.application_id`,
		[]any{account}, func(rows pgx.Rows) error {
			if err := rows.Scan(&r.ID, &r.Name, &r.Description, &r.Wave, &created, &updated, &r.ServerCount); err != nil {
				return err
			}
			r.Created, r.Updated = fromMs(created), fromMs(updated)
			return fn(&r)
		})
}

// ExportApplicationServers streams the account's application–server
// associations (ApplicationResourceAssociation.csv) by application ID, then
// server ID. A name or host name is empty if its item is gone.
func (s *DB) ExportApplicationServers(ctx context.Context, account string, fn func(*discovery.ApplicationServer) error) error {
	var r discovery.ApplicationServer
	return eachRow(ctx, s.pool, `SELECT x.application_id, coalesce(a.name, ''), x.server_id, coalesce(v.host_name, '')
		FROM application_servers x
		LEFT JOIN applications a ON a.account_id = x.account_id AND a.application_id = x.application_id
		LEFT JOIN servers v ON v.account_id = x.account_id AND v.server_id = x.server_id
		WHERE x.account_id = $1 ORDER BY x.application_id, x.server_id`,
		[]any{account}, func(rows pgx.Rows) error {
			if err := rows.Scan(&r.ApplicationID, &r.ApplicationName, &r.ServerID, &r.ServerHostName); err != nil {
				return err
			}
			return fn(&r)
		})
}

// perfAggregateCols are the servers columns of a PerfAggregate, in
// perfAggregateDest's order.
const perfAggregateCols = `s.perf_samples, s.cpu_sum, s.cpu_max, s.free_ram_sum, s.free_ram_min,
	s.disk_read_kbps_sum, s.disk_read_kbps_max, s.disk_write_kbps_sum, s.disk_write_kbps_max,
	s.disk_read_ops_sum, s.disk_read_ops_max, s.disk_write_ops_sum, s.disk_write_ops_max,
	s.net_read_kbps_sum, s.net_read_kbps_max, s.net_write_kbps_sum, s.net_write_kbps_max`

// perfAggregateDest scans perfAggregateCols into p; free_ram_min goes to
// freeMin, for p.FreeRAMMin and FreeRAMMinKnown (see setFreeMin).
func perfAggregateDest(p *discovery.PerfAggregate, freeMin **float64) []any {
	return []any{&p.Samples, &p.CPUSum, &p.CPUMax, &p.FreeRAMSum, freeMin,
		&p.DiskReadKBpsSum, &p.DiskReadKBpsMax, &p.DiskWriteKBpsSum, &p.DiskWriteKBpsMax,
		&p.DiskReadOpsSum, &p.DiskReadOpsMax, &p.DiskWriteOpsSum, &p.DiskWriteOpsMax,
		&p.NetReadKBpsSum, &p.NetReadKBpsMax, &p.NetWriteKBpsSum, &p.NetWriteKBpsMax}
}

func setFreeMin(p *discovery.PerfAggregate, freeMin *float64) {
	p.FreeRAMMin, p.FreeRAMMinKnown = 0, freeMin != nil
	if freeMin != nil {
		p.FreeRAMMin = *freeMin
	}
}

// ExportServerRows streams the account's servers by configuration ID with
// only the fields of Server.csv filled (ServerRecord): ID, AgentID, HostName,
// OSName, OSVersion, CPUType, Hypervisor, Type and Created.
func (s *DB) ExportServerRows(ctx context.Context, account string, fn func(*discovery.Server) error) error {
	var (
		r       discovery.Server
		created int64
	)
	return eachRow(ctx, s.pool, `SELECT server_id, agent_id, host_name, os_name, os_version, cpu_type, hypervisor, server_type, created_ms
		FROM servers WHERE account_id = $1 ORDER BY server_id`,
		[]any{account}, func(rows pgx.Rows) error {
			if err := rows.Scan(&r.ID, &r.AgentID, &r.HostName, &r.OSName, &r.OSVersion, &r.CPUType, &r.Hypervisor, &r.Type, &created); err != nil {
				return err
			}
			r.Created = fromMs(created)
			return fn(&r)
		})
}

// ExportServerPerformance streams the account's servers by configuration ID
// with only the fields of SystemPerformance.csv filled (PerformanceRecord):
// ID, HostName, TotalRAMMB, NumCPUs, NumCores, NumDisks, NumNICs and Perf.
func (s *DB) ExportServerPerformance(ctx context.Context, account string, fn func(*discovery.Server) error) error {
	var (
		r       discovery.Server
		freeMin *float64
	)
	dest := append([]any{&r.ID, &r.HostName, &r.TotalRAMMB, &r.NumCPUs, &r.NumCores, &r.NumDisks, &r.NumNICs},
		perfAggregateDest(&r.Perf, &freeMin)...)
	return eachRow(ctx, s.pool, `SELECT s.server_id, s.host_name, s.total_ram_mb, s.num_cpus, s.num_cores, s.num_disks, s.num_nics, `+perfAggregateCols+`
		FROM servers s WHERE s.account_id = $1 ORDER BY s.server_id`,
		[]any{account}, func(rows pgx.Rows) error {
			if err := rows.Scan(dest...); err != nil {
				return err
			}
			setFreeMin(&r.Perf, freeMin)
			return fn(&r)
		})
}

// ExportVMwareServers streams the account's servers that have a VMware
// identity (Server.IsVMware) by configuration ID, with only the fields of
// VMwareInfo.csv filled (VMwareRecord).
func (s *DB) ExportVMwareServers(ctx context.Context, account string, fn func(*discovery.Server) error) error {
	var r discovery.Server
	return eachRow(ctx, s.pool, `SELECT server_id, host_name, vm_moref_id, vm_name, vcenter_id, vcenter_name, vm_folder_path, vm_host_id
		FROM servers WHERE account_id = $1 AND (vm_moref_id <> '' OR vcenter_id <> '' OR vm_name <> '') ORDER BY server_id`,
		[]any{account}, func(rows pgx.Rows) error {
			if err := rows.Scan(&r.ID, &r.HostName, &r.VMMoRefID, &r.VMName, &r.VCenterID, &r.VCenterName, &r.VMFolderPath, &r.VMHostID); err != nil {
				return err
			}
			return fn(&r)
		})
}

// The per-server lists of the import template and of EC2 recommendations,
// as lateral subqueries of a scan of the account's servers: each is an
// index lookup per server, and the whole is one statement, so one snapshot,
// streamed server by server. (SQLite's store merges ordered streams on one
// connection instead; a PostgreSQL connection has one result open at a
// time.)
const (
	// serverApps: the names (apps.names) and waves (apps.waves) of the
	// server's applications, by application ID.
	serverApps = ` LEFT JOIN LATERAL (
		SELECT array_agg(a.name ORDER BY x.application_id) AS names, array_agg(a.wave ORDER BY x.application_id) AS waves
		FROM application_servers x JOIN applications a ON a.account_id = x.account_id AND a.application_id = x.application_id
		WHERE x.account_id = s.account_id AND x.server_id = s.server_id) apps ON true`
	// serverTags: the server's tags (tags.keys, tags.vals), by key and value.
	serverTags = ` LEFT JOIN LATERAL (
		SELECT array_agg(t.key ORDER BY t.key, t.value) AS keys, array_agg(t.value ORDER BY t.key, t.value) AS vals
		FROM tags t WHERE t.account_id = s.account_id AND t.configuration_id = s.server_id) tags ON true`
)

// zipTags appends the tags of parallel key and value lists to dst.
func zipTags(dst []discovery.Tag, keys, vals []string) []discovery.Tag {
	for i := range keys {
		dst = append(dst, discovery.Tag{Key: keys[i], Value: vals[i]})
	}
	return dst
}

// ExportImportTemplateRows streams the account's servers with their
// addresses, applications and tags (ImportTemplate.csv) by configuration ID.
// The Server has the fields the import template shows: ID, HostName, OSName,
// OSVersion, NumCPUs, NumCores, NumLogical, TotalRAMMB, VMMoRefID, VCenterID,
// VMName and Perf.
func (s *DB) ExportImportTemplateRows(ctx context.Context, account string, fn func(*discovery.ImportTemplateRow) error) error {
	var (
		r                         discovery.ImportTemplateRow
		freeMin                   *float64
		macs, waves, keys, values []string
	)
	sv := &r.Server
	dest := append([]any{&sv.ID, &sv.HostName, &sv.OSName, &sv.OSVersion, &sv.NumCPUs, &sv.NumCores, &sv.NumLogical, &sv.TotalRAMMB,
		&sv.VMMoRefID, &sv.VCenterID, &sv.VMName}, perfAggregateDest(&sv.Perf, &freeMin)...)
	dest = append(dest, &r.IPAddresses, &macs, &r.Applications, &waves, &keys, &values)
	return eachRow(ctx, s.pool, `SELECT s.server_id, s.host_name, s.os_name, s.os_version, s.num_cpus, s.num_cores, s.num_logical, s.total_ram_mb,
			s.vm_moref_id, s.vcenter_id, s.vm_name, `+perfAggregateCols+`, nics.ips, nics.macs, apps.names, apps.waves, tags.keys, tags.vals
		FROM servers s
		LEFT JOIN LATERAL (
			SELECT array_agg(n.ip_address ORDER BY n.name, n.ip_address) AS ips, array_agg(n.mac_address ORDER BY n.name, n.ip_address) AS macs
			FROM network_interfaces n WHERE n.account_id = s.account_id AND n.server_id = s.server_id) nics ON true`+
		serverApps+serverTags+`
		WHERE s.account_id = $1 ORDER BY s.server_id`,
		[]any{account}, func(rows pgx.Rows) error {
			if err := rows.Scan(dest...); err != nil {
				return err
			}
			setFreeMin(&sv.Perf, freeMin)
			r.MACAddresses = r.MACAddresses[:0]
			for _, mac := range macs {
				if mac != "" && !slices.Contains(r.MACAddresses, mac) {
					r.MACAddresses = append(r.MACAddresses, mac)
				}
			}
			r.Wave = ""
			if i := slices.IndexFunc(waves, func(w string) bool { return w != "" }); i >= 0 {
				r.Wave = waves[i]
			}
			r.Tags = zipTags(r.Tags[:0], keys, values)
			return fn(&r)
		})
}

// EC2Servers streams the account's servers by configuration ID, each with
// its performance aggregates, applications, tags and the samples of its agent
// (EC2InstanceRecommendations.csv). Memory grows with one server's samples,
// not with the fleet. r.CPUPct and UsedRAMMB hold each sample's
// totalCpuUsagePct and totalRAM − freeRAM (MB, at least 0); fn may reorder
// them but must not keep them.
func (s *DB) EC2Servers(ctx context.Context, account string, fn func(*discovery.EC2Server) error) error {
	var (
		r                     discovery.EC2Server
		freeMin               *float64
		totals, frees         []float64
		keys, values, ignored []string
	)
	sv := &r.Server
	dest := append([]any{&sv.ID, &r.ExternalID, &sv.HostName, &sv.OSName, &sv.OSVersion, &sv.CPUType,
		&sv.NumCPUs, &sv.NumCores, &sv.NumLogical, &sv.NumDisks, &sv.TotalRAMMB,
		&sv.VMMoRefID, &sv.VMName, &sv.VCenterID, &sv.VCenterName, &sv.VMFolderPath}, perfAggregateDest(&sv.Perf, &freeMin)...)
	dest = append(dest, &r.CPUPct, &totals, &frees, &r.Applications, &ignored, &keys, &values)
	return eachRow(ctx, s.pool, `SELECT s.server_id, s.external_id, s.host_name, s.os_name, s.os_version, s.cpu_type,
			s.num_cpus, s.num_cores, s.num_logical, s.num_disks, s.total_ram_mb,
			s.vm_moref_id, s.vm_name, s.vcenter_id, s.vcenter_name, s.vm_folder_path, `+perfAggregateCols+`,
			samples.cpu, samples.total, samples.free, apps.names, apps.waves, tags.keys, tags.vals
		FROM servers s
		LEFT JOIN LATERAL (
			SELECT array_agg(p.cpu_pct ORDER BY p.ts_ms) AS cpu, array_agg(p.total_ram_mb ORDER BY p.ts_ms) AS total,
				array_agg(p.free_ram_mb ORDER BY p.ts_ms) AS free
			FROM perf_samples p WHERE s.agent_id <> '' AND p.account_id = s.account_id AND p.agent_id = s.agent_id) samples ON true`+
		serverApps+serverTags+`
		WHERE s.account_id = $1 ORDER BY s.server_id`,
		[]any{account}, func(rows pgx.Rows) error {
			if err := rows.Scan(dest...); err != nil {
				return err
			}
			setFreeMin(&sv.Perf, freeMin)
			r.UsedRAMMB, r.SampleTotalRAMMB = r.UsedRAMMB[:0], 0
			for i, total := range totals {
				r.UsedRAMMB = append(r.UsedRAMMB, max(total-frees[i], 0))
				r.SampleTotalRAMMB = max(r.SampleTotalRAMMB, total)
			}
			r.Tags = zipTags(r.Tags[:0], keys, values)
			return fn(&r)
		})
}

// ExportServerNICs streams the network interfaces of the account's servers,
// as last reported (NetworkInterface.csv), by server ID, then interface name
// and address.
func (s *DB) ExportServerNICs(ctx context.Context, account string, fn func(*discovery.ServerNIC) error) error {
	var r discovery.ServerNIC
	return eachRow(ctx, s.pool, `SELECT n.server_id, coalesce(v.host_name, ''), n.name, n.mac_address, n.ip_address, n.net_mask, n.family, n.gateway
		FROM network_interfaces n LEFT JOIN servers v ON v.account_id = n.account_id AND v.server_id = n.server_id
		WHERE n.account_id = $1 ORDER BY n.server_id, n.name, n.ip_address`,
		[]any{account}, func(rows pgx.Rows) error {
			if err := rows.Scan(&r.ServerID, &r.HostName, &r.Name, &r.MACAddress, &r.IPAddress, &r.NetMask, &r.Family, &r.Gateway); err != nil {
				return err
			}
			return fn(&r)
		})
}

// ExportServerTags streams the tags on the account's servers (Tags.csv) by
// server ID, then key and value.
func (s *DB) ExportServerTags(ctx context.Context, account string, fn func(*discovery.ServerTag) error) error {
	var (
		r       discovery.ServerTag
		created int64
	)
	return eachRow(ctx, s.pool, `SELECT t.configuration_id, v.host_name, t.key, t.value, t.created_ms
		FROM tags t JOIN servers v ON v.account_id = t.account_id AND v.server_id = t.configuration_id
		WHERE t.account_id = $1 ORDER BY t.configuration_id, t.key, t.value`,
		[]any{account}, func(rows pgx.Rows) error {
			if err := rows.Scan(&r.ServerID, &r.HostName, &r.Key, &r.Value, &created); err != nil {
				return err
			}
			r.Created = fromMs(created)
			return fn(&r)
		})
}
