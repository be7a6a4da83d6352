package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// EC2Servers streams the account's servers by configuration ID, each with
// its performance aggregates, applications, tags and the samples of its agent
// (EC2InstanceRecommendations.csv). It reads four streams ordered by server
// ID on one connection (servers; their agents' perf_samples, joined to the
// servers for that order; application links; tags) and merges them, so they
// are one snapshot and memory grows with one server's samples, not with the
// fleet. r.CPUPct and UsedRAMMB hold each sample's totalCpuUsagePct and
// totalRAM − freeRAM (MB, at least 0); fn may reorder them but must not
// keep them.
func (s *DB) EC2Servers(ctx context.Context, account string, fn func(*discovery.EC2Server) error) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	servers, err := conn.QueryContext(ctx, `SELECT server_id, external_id, host_name, os_name, os_version, cpu_type,
			num_cpus, num_cores, num_logical, num_disks, total_ram_mb,
			vm_moref_id, vm_name, vcenter_id, vcenter_name, vm_folder_path, `+perfAggregateCols+`
		FROM servers WHERE account_id = ? ORDER BY server_id`, account)
	if err != nil {
		return err
	}
	defer servers.Close()
	var (
		r                            discovery.EC2Server
		freeMin                      sql.NullFloat64
		cpu, sampleTotal, sampleFree float64
		appName, wave                string
		tag                          discovery.Tag
	)
	samples, err := openServerStream(ctx, conn, `SELECT s.server_id, p.cpu_pct, p.total_ram_mb, p.free_ram_mb
		FROM servers s JOIN perf_samples p ON p.account_id = s.account_id AND p.agent_id = s.agent_id
		WHERE s.account_id = ? AND s.agent_id <> '' ORDER BY s.server_id`, account, &cpu, &sampleTotal, &sampleFree)
	if err != nil {
		return err
	}
	defer samples.close()
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

	sv, p := &r.Server, &r.Server.Perf
	dest := append([]any{&sv.ID, &r.ExternalID, &sv.HostName, &sv.OSName, &sv.OSVersion, &sv.CPUType,
		&sv.NumCPUs, &sv.NumCores, &sv.NumLogical, &sv.NumDisks, &sv.TotalRAMMB,
		&sv.VMMoRefID, &sv.VMName, &sv.VCenterID, &sv.VCenterName, &sv.VMFolderPath}, perfAggregateDest(p, &freeMin)...)
	for servers.Next() {
		if err := servers.Scan(dest...); err != nil {
			return err
		}
		id := sv.ID
		p.FreeRAMMin, p.FreeRAMMinKnown = freeMin.Float64, freeMin.Valid
		r.CPUPct, r.UsedRAMMB, r.SampleTotalRAMMB = r.CPUPct[:0], r.UsedRAMMB[:0], 0
		if err := samples.each(id, func() {
			r.CPUPct = append(r.CPUPct, cpu)
			r.UsedRAMMB = append(r.UsedRAMMB, max(sampleTotal-sampleFree, 0))
			r.SampleTotalRAMMB = max(r.SampleTotalRAMMB, sampleTotal)
		}); err != nil {
			return fmt.Errorf("samples of %s: %w", id, err)
		}
		r.Applications = r.Applications[:0]
		if err := apps.each(id, func() { r.Applications = append(r.Applications, appName) }); err != nil {
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
