package sqlite

import (
	"context"
	"database/sql"

	"github.com/poseidon-ads/poseidon/internal/exportfile"
)

// EC2Servers streams the account's servers by configuration ID, each with
// the samples of its agent (EC2InstanceRecommendations.csv). One query reads
// the servers joined to their agents' perf_samples in server order, and the
// rows of one server are gathered before fn is called: memory grows with one
// server's samples, not with the fleet. r.Sizing.CPUPct and UsedRAMMB hold
// each sample's totalCpuUsagePct and totalRAM − freeRAM (MB, at least 0); fn
// may reorder them but must not keep them.
func (s *DB) EC2Servers(ctx context.Context, account string, fn func(*exportfile.EC2Server) error) error {
	var (
		r                              exportfile.EC2Server
		cur                            string
		id, host, osName, agentID, cpu string
		numCPUs, numCores, numLogical  int64
		totalRAM                       float64
		aggN                           int64
		cpuSum, cpuMax, freeSum        float64
		freeMin                        sql.NullFloat64
		pCPU, pTotal, pFree            sql.NullFloat64
		started                        bool
	)
	flush := func() error {
		if !started {
			return nil
		}
		return fn(&r)
	}
	err := eachRow(ctx, s.db, `SELECT s.server_id, s.host_name, s.os_name, s.agent_id, s.cpu_type, s.num_cpus, s.num_cores, s.num_logical,
			s.total_ram_mb, s.perf_samples, s.cpu_sum, s.cpu_max, s.free_ram_sum, s.free_ram_min, p.cpu_pct, p.total_ram_mb, p.free_ram_mb
		FROM servers s LEFT JOIN perf_samples p ON s.agent_id <> '' AND p.account_id = s.account_id AND p.agent_id = s.agent_id
		WHERE s.account_id = ? ORDER BY s.server_id`,
		[]any{account}, func(rows *sql.Rows) error {
			if err := rows.Scan(&id, &host, &osName, &agentID, &cpu, &numCPUs, &numCores, &numLogical,
				&totalRAM, &aggN, &cpuSum, &cpuMax, &freeSum, &freeMin, &pCPU, &pTotal, &pFree); err != nil {
				return err
			}
			if !started || id != cur {
				if err := flush(); err != nil {
					return err
				}
				started, cur = true, id
				z := &r.Sizing
				r.ID, r.HostName, r.OSName, r.AgentID = id, host, osName, agentID
				z.CPUType, z.NumCPUs, z.NumCores, z.NumLogical, z.TotalRAMMB = cpu, numCPUs, numCores, numLogical, totalRAM
				z.CPUPct, z.UsedRAMMB, z.SampleTotalRAMMB = z.CPUPct[:0], z.UsedRAMMB[:0], 0
				z.Agg.Samples, z.Agg.CPUMax, z.Agg.FreeRAMMin, z.Agg.FreeRAMMinKnown = aggN, cpuMax, freeMin.Float64, freeMin.Valid
				z.Agg.CPUAvg, z.Agg.FreeRAMAvg = 0, 0
				if aggN > 0 {
					z.Agg.CPUAvg, z.Agg.FreeRAMAvg = cpuSum/float64(aggN), freeSum/float64(aggN)
				}
			}
			if pCPU.Valid {
				z := &r.Sizing
				z.CPUPct = append(z.CPUPct, pCPU.Float64)
				z.UsedRAMMB = append(z.UsedRAMMB, max(pTotal.Float64-pFree.Float64, 0))
				z.SampleTotalRAMMB = max(z.SampleTotalRAMMB, pTotal.Float64)
			}
			return nil
		})
	if err != nil {
		return err
	}
	return flush()
}
