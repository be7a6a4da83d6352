package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// The console's reads (console.Store).

// UsageSamples implements console.Store.
func (s *DB) UsageSamples(ctx context.Context, q discovery.UsageQuery) ([]discovery.UsageSample, error) {
	out := []discovery.UsageSample{}
	err := s.snapshot(ctx, func(tx pgx.Tx) error {
		var agent string
		err := tx.QueryRow(ctx, `SELECT agent_id FROM servers WHERE account_id = $1 AND server_id = $2`, q.Account, q.ServerID).Scan(&agent)
		if errors.Is(err, pgx.ErrNoRows) {
			return discovery.ErrNotFound
		}
		if err != nil || agent == "" {
			return err
		}
		text := `SELECT ts_ms, cpu_pct, total_ram_mb, free_ram_mb, disk_size_gb, disk_free_gb, disk_read_kbps, disk_write_kbps,
			net_read_kbps, net_write_kbps FROM perf_samples WHERE account_id = $1 AND agent_id = $2 AND ts_ms BETWEEN $3 AND $4 ORDER BY ts_ms`
		args := []any{q.Account, agent, q.From, q.To}
		if q.Limit > 0 {
			text += ` LIMIT $5`
			args = append(args, q.Limit)
		}
		return eachRow(ctx, tx, text, args, func(r pgx.Rows) error {
			var u discovery.UsageSample
			if err := r.Scan(&u.TimeMs, &u.CPUPct, &u.TotalRAMMB, &u.FreeRAMMB, &u.DiskSizeGB, &u.DiskFreeGB,
				&u.DiskReadKBps, &u.DiskWriteKBps, &u.NetReadKBps, &u.NetWriteKBps); err != nil {
				return err
			}
			out = append(out, u)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// MapNodes implements console.Store.
func (s *DB) MapNodes(ctx context.Context, account string, limit int) ([]discovery.MapNode, error) {
	out := []discovery.MapNode{}
	err := eachRow(ctx, s.rd, `SELECT s.server_id, s.host_name, coalesce(a.application_id, ''), coalesce(a.name, '')
		FROM servers s LEFT JOIN applications a ON a.account_id = s.account_id AND a.application_id = (
			SELECT min(x.application_id) FROM application_servers x WHERE x.account_id = s.account_id AND x.server_id = s.server_id)
		WHERE s.account_id = $1 ORDER BY s.server_id LIMIT $2`, []any{account, limit}, func(r pgx.Rows) error {
		var n discovery.MapNode
		if err := r.Scan(&n.ServerID, &n.HostName, &n.ApplicationID, &n.ApplicationName); err != nil {
			return err
		}
		out = append(out, n)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// MapEdges implements console.Store.
func (s *DB) MapEdges(ctx context.Context, account string, limit int) ([]discovery.MapEdge, error) {
	out := []discovery.MapEdge{}
	err := eachRow(ctx, s.rd, `SELECT source_server_id, destination_server_id, sum(occurrence)::bigint, count(DISTINCT destination_port)
		FROM connections WHERE account_id = $1 AND source_server_id <> '' AND destination_server_id <> ''
			AND source_server_id <> destination_server_id
		GROUP BY source_server_id, destination_server_id ORDER BY 3 DESC, 1, 2 LIMIT $2`, []any{account, limit}, func(r pgx.Rows) error {
		var e discovery.MapEdge
		if err := r.Scan(&e.Source, &e.Destination, &e.Traffic, &e.Ports); err != nil {
			return err
		}
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
