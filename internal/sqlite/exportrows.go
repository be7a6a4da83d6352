package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/poseidon-ads/poseidon/internal/agentdata"
	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// Row sources of export files. Each method runs one streaming query and calls
// fn once per row, in file order, while the query is open; the query closes
// when the method returns. fn gets the same struct each time (refilled), so it
// must not keep it. An error from fn stops the scan and is returned as is.
//
// Agent time series are read for ts in [from, to], both ends included, at
// millisecond precision.

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

// perfSamplesInWindow is the query of AgentPerfSamples.
const perfSamplesInWindow = `SELECT ts_ms, disk_read_kbps, disk_write_kbps, disk_read_ops, disk_write_ops, net_read_kbps, net_write_kbps,
			num_logical, num_cores, num_cpus, num_disks, num_nics, cpu_pct, disk_size_gb, disk_free_gb, total_ram_mb, free_ram_mb
		FROM perf_samples WHERE account_id = ? AND agent_id = ? AND ts_ms BETWEEN ? AND ? ORDER BY ts_ms`

// AgentPerfSamples streams the agent's performance samples
// (systemPerformance.csv), oldest first.
func (s *DB) AgentPerfSamples(ctx context.Context, account, agent string, from, to time.Time, fn func(*discovery.PerfSample) error) error {
	r := discovery.PerfSample{AgentID: agent}
	return s.eachSeriesRow(ctx, perfSamplesInWindow, account, agent, from, to, "", func(v *driverRow) error {
		r.Time = fromMs(v.int(0))
		r.DiskReadKBps, r.DiskWriteKBps, r.DiskReadOps, r.DiskWriteOps = v.float(1), v.float(2), v.float(3), v.float(4)
		r.NetReadKBps, r.NetWriteKBps = v.float(5), v.float(6)
		r.NumLogical, r.NumCores, r.NumCPUs, r.NumDisks, r.NumNICs = v.int(7), v.int(8), v.int(9), v.int(10), v.int(11)
		r.CPUPct, r.DiskSizeGB, r.DiskFreeGB, r.TotalRAMMB, r.FreeRAMMB = v.float(12), v.float(13), v.float(14), v.float(15), v.float(16)
		if v.err != nil {
			return v.err
		}
		return fn(&r)
	})
}

// osInfoInWindow is the query of AgentOSInfo.
const osInfoInWindow = `SELECT ts_ms, os_name, os_version, cpu_type, host_name, hypervisor
		FROM system_observations WHERE account_id = ? AND agent_id = ? AND ts_ms BETWEEN ? AND ? ORDER BY ts_ms`

// AgentOSInfo streams the OS facts of the agent's reports (osInfo.csv),
// oldest first.
func (s *DB) AgentOSInfo(ctx context.Context, account, agent string, from, to time.Time, fn func(*discovery.OSInfo) error) error {
	r := discovery.OSInfo{AgentID: agent}
	return s.eachSeriesRow(ctx, osInfoInWindow, account, agent, from, to, "", func(v *driverRow) error {
		r.Time = fromMs(v.int(0))
		r.OSName, r.OSVersion, r.CPUType, r.HostName, r.Hypervisor = v.str(1), v.str(2), v.str(3), v.str(4), v.str(5)
		if v.err != nil {
			return v.err
		}
		return fn(&r)
	})
}

// nicsInWindow is the query of AgentNICs: each report's interface list,
// the JSON intake stored.
const nicsInWindow = `SELECT ts_ms, nics
		FROM system_observations WHERE account_id = ? AND agent_id = ? AND ts_ms BETWEEN ? AND ? ORDER BY ts_ms`

// nicsOfList reads one interface list with SQLite's JSON functions: the
// objects among its elements, in order, with an empty string for a
// missing field.
const nicsOfList = `SELECT coalesce(j.value ->> 'name', ''), coalesce(j.value ->> 'macAddress', ''),
			coalesce(j.value ->> 'family', ''), coalesce(j.value ->> 'ipAddress', ''), coalesce(j.value ->> 'gateway', ''),
			coalesce(j.value ->> 'netMask', '')
		FROM json_each(CASE WHEN json_valid(?1) THEN ?1 ELSE '[]' END) j WHERE j.type = 'object' ORDER BY j.key`

// AgentNICs streams the network interfaces of the agent's reports
// (networkInterface.csv): oldest report first, interfaces in reported order.
//
// A list as intake writes it (the JSON encoding of
// []agentdata.NetworkInterface, which decoding and encoding again gives
// back byte for byte) is decoded here, in a few microseconds; any other
// list is read by nicsOfList, as SQLite's JSON functions read it, which
// costs about 10 µs per interface.
func (s *DB) AgentNICs(ctx context.Context, account, agent string, from, to time.Time, fn func(*discovery.NICSample) error) error {
	r := discovery.NICSample{AgentID: agent}
	var (
		raw  []byte
		list []agentdata.NetworkInterface
	)
	return s.eachSeriesRow(ctx, nicsInWindow, account, agent, from, to, "", func(v *driverRow) error {
		r.Time = fromMs(v.int(0))
		raw = append(raw[:0], v.str(1)...)
		if v.err != nil {
			return v.err
		}
		clear(list[:cap(list)])
		list = list[:0]
		if json.Unmarshal(raw, &list) == nil {
			if again, err := json.Marshal(list); err == nil && bytes.Equal(again, raw) {
				for _, n := range list {
					r.Name, r.MACAddress, r.Family, r.IPAddress, r.Gateway, r.NetMask = n.Name, n.MACAddress, n.Family, n.IPAddress, n.Gateway, n.NetMask
					if err := fn(&r); err != nil {
						return err
					}
				}
				return nil
			}
		}
		return eachRow(ctx, s.db, nicsOfList, []any{string(raw)}, func(rows *sql.Rows) error {
			if err := rows.Scan(&r.Name, &r.MACAddress, &r.Family, &r.IPAddress, &r.Gateway, &r.NetMask); err != nil {
				return err
			}
			return fn(&r)
		})
	})
}

// processesInWindow is the query of AgentProcesses.
const processesInWindow = `SELECT ts_ms, pid, is_system, name, command_line, path
		FROM process_observations WHERE account_id = ? AND agent_id = ? AND ts_ms BETWEEN ? AND ? ORDER BY ts_ms, seq`

// AgentProcesses streams the processes of the agent's reports (process.csv):
// oldest report first, processes in reported order.
func (s *DB) AgentProcesses(ctx context.Context, account, agent string, from, to time.Time, fn func(*discovery.ProcessSample) error) error {
	r := discovery.ProcessSample{AgentID: agent}
	return s.eachSeriesRow(ctx, processesInWindow, account, agent, from, to, "", func(v *driverRow) error {
		r.Time, r.PID, r.IsSystem = fromMs(v.int(0)), v.int(1), v.int(2) != 0
		r.Name, r.CommandLine, r.Path = v.str(3), v.str(4), v.str(5)
		if v.err != nil {
			return v.err
		}
		return fn(&r)
	})
}

// connectionsInWindow is the query of AgentConnections.
const connectionsInWindow = `SELECT ts_ms, source_ip, source_port, destination_ip, destination_port, ip_version, transport_protocol, pid
		FROM connection_observations WHERE account_id = ? AND agent_id = ? AND ts_ms BETWEEN ? AND ? AND direction = ?
		ORDER BY ts_ms, seq`

// AgentConnections streams the connections of one direction ("outbound" or
// "inbound") of the agent's reports: oldest report first, connections in
// reported order.
func (s *DB) AgentConnections(ctx context.Context, account, agent, direction string, from, to time.Time, fn func(*discovery.ConnectionSample) error) error {
	if direction != discovery.Outbound && direction != discovery.Inbound {
		return fmt.Errorf("connection direction %q: want %q or %q", direction, discovery.Outbound, discovery.Inbound)
	}
	r := discovery.ConnectionSample{AgentID: agent}
	return s.eachSeriesRow(ctx, connectionsInWindow, account, agent, from, to, direction, func(v *driverRow) error {
		r.Time, r.SourceIP, r.SourcePort, r.DestinationIP, r.DestinationPort = fromMs(v.int(0)), v.str(1), v.int(2), v.str(3), v.int(4)
		r.IPVersion, r.TransportProtocol, r.PID = v.str(5), v.str(6), v.int(7)
		if v.err != nil {
			return v.err
		}
		return fn(&r)
	})
}

// eachSeriesRow runs one of the agent series' queries (parameters: account,
// agent, the window in epoch milliseconds, then extra if not empty) and
// calls fn with each row's values.
//
// It reads at the driver's level, on a connection of the pool: database/sql
// locks the rows and converts every value through interfaces on each row,
// which cost about as much as SQLite's own stepping on these narrow rows.
// The values are the driver's (int64, float64, string), read in place.
func (s *DB) eachSeriesRow(ctx context.Context, query, account, agent string, from, to time.Time, extra string, fn func(*driverRow) error) error {
	lo, hi := exportWindowMs(from, to)
	args := []driver.NamedValue{{Ordinal: 1, Value: account}, {Ordinal: 2, Value: agent}, {Ordinal: 3, Value: lo}, {Ordinal: 4, Value: hi}}
	if extra != "" {
		args = append(args, driver.NamedValue{Ordinal: 5, Value: extra})
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) (err error) {
		q, ok := dc.(driver.QueryerContext)
		if !ok {
			return fmt.Errorf("sqlite driver connection %T cannot query", dc)
		}
		rows, err := q.QueryContext(ctx, query, args)
		if err != nil {
			return err
		}
		defer func() {
			if cerr := rows.Close(); err == nil {
				err = cerr
			}
		}()
		v := driverRow{v: make([]driver.Value, len(rows.Columns()))}
		for {
			switch err := rows.Next(v.v); {
			case err == io.EOF:
				return nil
			case err != nil:
				return err
			}
			if err := fn(&v); err != nil {
				return err
			}
		}
	})
}

// driverRow is one row of a driver's query. Reading a value of another type
// than asked sets err (the columns read here are NOT NULL).
type driverRow struct {
	v   []driver.Value
	err error
}

func (v *driverRow) bad(i int, want string) {
	if v.err == nil {
		v.err = fmt.Errorf("column %d: %T, want %s", i, v.v[i], want)
	}
}

func (v *driverRow) int(i int) int64 {
	if x, ok := v.v[i].(int64); ok {
		return x
	}
	v.bad(i, "an integer")
	return 0
}

func (v *driverRow) float(i int) float64 {
	switch x := v.v[i].(type) {
	case float64:
		return x
	case int64:
		return float64(x)
	}
	v.bad(i, "a number")
	return 0
}

func (v *driverRow) str(i int) string {
	switch x := v.v[i].(type) {
	case string:
		return x
	case []byte:
		return string(x)
	}
	v.bad(i, "text")
	return ""
}

// ExportApplications streams the account's applications (Application.csv) by
// configuration ID. serverCount counts the application's server associations.
func (s *DB) ExportApplications(ctx context.Context, account string, fn func(*discovery.Application) error) error {
	var (
		r                discovery.Application
		created, updated int64
	)
	return eachRow(ctx, s.db, `SELECT a.application_id, a.name, a.description, a.wave, a.created_ms, a.updated_ms,
			(SELECT count(*) FROM application_servers x WHERE x.account_id = a.account_id AND x.application_id = a.application_id)
		FROM applications a WHERE a.account_id = ? ORDER BY a.application_id`,
		[]any{account}, func(rows *sql.Rows) error {
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
	return eachRow(ctx, s.db, `SELECT x.application_id, coalesce(a.name, ''), x.server_id, coalesce(v.host_name, '')
		FROM application_servers x
		LEFT JOIN applications a ON a.account_id = x.account_id AND a.application_id = x.application_id
		LEFT JOIN servers v ON v.account_id = x.account_id AND v.server_id = x.server_id
		WHERE x.account_id = ? ORDER BY x.application_id, x.server_id`,
		[]any{account}, func(rows *sql.Rows) error {
			if err := rows.Scan(&r.ApplicationID, &r.ApplicationName, &r.ServerID, &r.ServerHostName); err != nil {
				return err
			}
			return fn(&r)
		})
}

// perfAggregateCols are the servers columns of a PerfAggregate, in
// perfAggregateDest's order.
const perfAggregateCols = `perf_samples, cpu_sum, cpu_max, free_ram_sum, free_ram_min,
	disk_read_kbps_sum, disk_read_kbps_max, disk_write_kbps_sum, disk_write_kbps_max,
	disk_read_ops_sum, disk_read_ops_max, disk_write_ops_sum, disk_write_ops_max,
	net_read_kbps_sum, net_read_kbps_max, net_write_kbps_sum, net_write_kbps_max`

// perfAggregateDest scans perfAggregateCols into p; free_ram_min goes to
// freeMin, for p.FreeRAMMin and FreeRAMMinKnown.
func perfAggregateDest(p *discovery.PerfAggregate, freeMin *sql.NullFloat64) []any {
	return []any{&p.Samples, &p.CPUSum, &p.CPUMax, &p.FreeRAMSum, freeMin,
		&p.DiskReadKBpsSum, &p.DiskReadKBpsMax, &p.DiskWriteKBpsSum, &p.DiskWriteKBpsMax,
		&p.DiskReadOpsSum, &p.DiskReadOpsMax, &p.DiskWriteOpsSum, &p.DiskWriteOpsMax,
		&p.NetReadKBpsSum, &p.NetReadKBpsMax, &p.NetWriteKBpsSum, &p.NetWriteKBpsMax}
}

// openServerApps streams the names and waves of the account's servers'
// applications, by server ID, then application ID.
func openServerApps(ctx context.Context, conn *sql.Conn, account string, name, wave *string) (*serverStream, error) {
	return openServerStream(ctx, conn, `SELECT x.server_id, a.name, a.wave
		FROM application_servers x JOIN applications a ON a.account_id = x.account_id AND a.application_id = x.application_id
		WHERE x.account_id = ? ORDER BY x.server_id, x.application_id`, account, name, wave)
}

// openServerTags streams the tags on the account's servers, by server ID,
// then key and value, into tag.
func openServerTags(ctx context.Context, conn *sql.Conn, account string, tag *discovery.Tag) (*serverStream, error) {
	return openServerStream(ctx, conn, `SELECT configuration_id, key, value
		FROM tags WHERE account_id = ? ORDER BY configuration_id, key, value`, account, &tag.Key, &tag.Value)
}

// ExportServerRows streams the account's servers by configuration ID with
// only the fields of Server.csv filled (ServerRecord): ID, AgentID, HostName,
// OSName, OSVersion, CPUType, Hypervisor, Type and Created.
func (s *DB) ExportServerRows(ctx context.Context, account string, fn func(*discovery.Server) error) error {
	var (
		r       discovery.Server
		created int64
	)
	return eachRow(ctx, s.db, `SELECT server_id, agent_id, host_name, os_name, os_version, cpu_type, hypervisor, server_type, created_ms
		FROM servers WHERE account_id = ? ORDER BY server_id`,
		[]any{account}, func(rows *sql.Rows) error {
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
		r          discovery.Server
		freeRAMMin sql.NullFloat64
	)
	p := &r.Perf
	dest := append([]any{&r.ID, &r.HostName, &r.TotalRAMMB, &r.NumCPUs, &r.NumCores, &r.NumDisks, &r.NumNICs},
		perfAggregateDest(p, &freeRAMMin)...)
	return eachRow(ctx, s.db, `SELECT server_id, host_name, total_ram_mb, num_cpus, num_cores, num_disks, num_nics, `+perfAggregateCols+`
		FROM servers WHERE account_id = ? ORDER BY server_id`,
		[]any{account}, func(rows *sql.Rows) error {
			if err := rows.Scan(dest...); err != nil {
				return err
			}
			p.FreeRAMMin, p.FreeRAMMinKnown = freeRAMMin.Float64, freeRAMMin.Valid
			return fn(&r)
		})
}

// ExportVMwareServers streams the account's servers that have a VMware
// identity (Server.IsVMware) by configuration ID, with only the fields of
// VMwareInfo.csv filled (VMwareRecord).
func (s *DB) ExportVMwareServers(ctx context.Context, account string, fn func(*discovery.Server) error) error {
	var r discovery.Server
	return eachRow(ctx, s.db, `SELECT server_id, host_name, vm_moref_id, vm_name, vcenter_id, vcenter_name, vm_folder_path, vm_host_id
		FROM servers WHERE account_id = ? AND (vm_moref_id <> '' OR vcenter_id <> '' OR vm_name <> '') ORDER BY server_id`,
		[]any{account}, func(rows *sql.Rows) error {
			if err := rows.Scan(&r.ID, &r.HostName, &r.VMMoRefID, &r.VMName, &r.VCenterID, &r.VCenterName, &r.VMFolderPath, &r.VMHostID); err != nil {
				return err
			}
			return fn(&r)
		})
}

// ExportImportTemplateRows streams the account's servers with their
// addresses, applications and tags (ImportTemplate.csv) by configuration ID.
// The Server has the fields the import template shows: ID, HostName, OSName,
// OSVersion, NumCPUs, NumCores, NumLogical, TotalRAMMB, VMMoRefID, VCenterID,
// VMName and Perf.
//
// It reads four streams ordered by server ID (servers, interfaces,
// application links, tags) on one connection and merges them, rather than
// running correlated subqueries per server. Statements open together on one
// connection share its read transaction, so the streams are one snapshot.
func (s *DB) ExportImportTemplateRows(ctx context.Context, account string, fn func(*discovery.ImportTemplateRow) error) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	var (
		r          discovery.ImportTemplateRow
		freeRAMMin sql.NullFloat64
	)
	sv, p := &r.Server, &r.Server.Perf
	servers, err := conn.QueryContext(ctx, `SELECT server_id, host_name, os_name, os_version, num_cpus, num_cores, num_logical, total_ram_mb,
			vm_moref_id, vcenter_id, vm_name, `+perfAggregateCols+`
		FROM servers WHERE account_id = ? ORDER BY server_id`, account)
	if err != nil {
		return err
	}
	defer servers.Close()
	var (
		ip, mac, appName, wave string
		tag                    discovery.Tag
	)
	nics, err := openServerStream(ctx, conn, `SELECT server_id, ip_address, mac_address
		FROM network_interfaces WHERE account_id = ? ORDER BY server_id, name, ip_address`, account, &ip, &mac)
	if err != nil {
		return err
	}
	defer nics.close()
	apps, err := openServerApps(ctx, conn, account, &appName, &wave)
	if err != nil {
		return err
	}
	defer apps.close()
	tags, err := openServerTags(ctx, conn, account, &tag)
	if err != nil {
		return err
	}
	defer tags.close()

	dest := append([]any{&sv.ID, &sv.HostName, &sv.OSName, &sv.OSVersion, &sv.NumCPUs, &sv.NumCores, &sv.NumLogical, &sv.TotalRAMMB,
		&sv.VMMoRefID, &sv.VCenterID, &sv.VMName}, perfAggregateDest(p, &freeRAMMin)...)
	for servers.Next() {
		if err := servers.Scan(dest...); err != nil {
			return err
		}
		p.FreeRAMMin, p.FreeRAMMinKnown = freeRAMMin.Float64, freeRAMMin.Valid
		id := sv.ID
		r.IPAddresses, r.MACAddresses = r.IPAddresses[:0], r.MACAddresses[:0]
		if err := nics.each(id, func() {
			r.IPAddresses = append(r.IPAddresses, ip)
			if mac != "" && !slices.Contains(r.MACAddresses, mac) {
				r.MACAddresses = append(r.MACAddresses, mac)
			}
		}); err != nil {
			return fmt.Errorf("interfaces of %s: %w", id, err)
		}
		r.Applications, r.Wave = r.Applications[:0], ""
		if err := apps.each(id, func() {
			r.Applications = append(r.Applications, appName)
			if r.Wave == "" {
				r.Wave = wave
			}
		}); err != nil {
			return fmt.Errorf("applications of %s: %w", id, err)
		}
		r.Tags = r.Tags[:0]
		if err := tags.each(id, func() { r.Tags = append(r.Tags, tag) }); err != nil {
			return fmt.Errorf("tags of %s: %w", id, err)
		}
		if err := fn(&r); err != nil {
			return err
		}
	}
	return servers.Err()
}

// serverStream is a query of rows ordered by server ID, read in step with a
// stream of servers in the same order. Its first column is the server ID;
// the others are scanned into cols.
type serverStream struct {
	rows    *sql.Rows
	id      string // of the current row
	dest    []any  // &id, then cols
	current bool   // a row is read and not yet consumed
	done    bool
}

func openServerStream(ctx context.Context, conn *sql.Conn, query, account string, cols ...any) (*serverStream, error) {
	rows, err := conn.QueryContext(ctx, query, account)
	if err != nil {
		return nil, err
	}
	st := &serverStream{rows: rows}
	st.dest = append([]any{&st.id}, cols...)
	return st, nil
}

func (st *serverStream) close() { st.rows.Close() }

// each calls fn, with cols filled, for each row of server id, skipping rows
// of servers ordered before it. Server IDs compare bytewise, as SQLite's
// BINARY collation does.
func (st *serverStream) each(id string, fn func()) error {
	for !st.done {
		if !st.current {
			if !st.rows.Next() {
				st.done = true
				return st.rows.Err()
			}
			if err := st.rows.Scan(st.dest...); err != nil {
				return err
			}
			st.current = true
		}
		if st.id > id {
			return nil
		}
		if st.id == id {
			fn()
		}
		st.current = false
	}
	return nil
}

// ExportServerNICs streams the network interfaces of the account's servers,
// as last reported (NetworkInterface.csv), by server ID, then interface name
// and address.
func (s *DB) ExportServerNICs(ctx context.Context, account string, fn func(*discovery.ServerNIC) error) error {
	var r discovery.ServerNIC
	return eachRow(ctx, s.db, `SELECT n.server_id, coalesce(v.host_name, ''), n.name, n.mac_address, n.ip_address, n.net_mask, n.family, n.gateway
		FROM network_interfaces n LEFT JOIN servers v ON v.account_id = n.account_id AND v.server_id = n.server_id
		WHERE n.account_id = ? ORDER BY n.server_id, n.name, n.ip_address`,
		[]any{account}, func(rows *sql.Rows) error {
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
	return eachRow(ctx, s.db, `SELECT t.configuration_id, v.host_name, t.key, t.value, t.created_ms
		FROM tags t JOIN servers v ON v.account_id = t.account_id AND v.server_id = t.configuration_id
		WHERE t.account_id = ? ORDER BY t.configuration_id, t.key, t.value`,
		[]any{account}, func(rows *sql.Rows) error {
			if err := rows.Scan(&r.ServerID, &r.HostName, &r.Key, &r.Value, &created); err != nil {
				return err
			}
			r.Created = fromMs(created)
			return fn(&r)
		})
}
