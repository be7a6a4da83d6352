package scale

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
)

// dialect is what the fill SQL of the two stores differs in.
type dialect struct {
	// hex formats the integer expression e as width lowercase hex digits.
	hex func(e string, width int) string
	// rows returns the WITH prefix and FROM clause of one row per j in
	// [from, to), in order.
	rows func(from, to string) (with, fromClause string)
	// grid returns the WITH prefix and FROM clause of one row per (i, j),
	// i in [iFrom, iTo) and j in [0, jTo), i outer.
	grid func(iFrom, iTo, jTo string) (with, fromClause string)
	// arg is the nth parameter, an integer, as a bigint.
	arg func(n int) string
	// str is the nth parameter, a string.
	str  func(n int) string
	exec func(ctx context.Context, q string, args ...any) error
}

func (d *dialect) exportTasks(ctx context.Context, acct string, from, to int) error {
	with, rows := d.rows(d.arg(1), d.arg(2))
	return d.exec(ctx, with+`INSERT INTO export_tasks (export_id, account_id, kind, operation, agent_id, status, status_message,
			request_time_ms, ready_at_ms, finished_at_ms, file_size)
		SELECT 'export-' || `+d.hex("j", 8)+` || '-' || `+d.str(3)+`, `+d.str(3)+`,
			CASE WHEN j % 10 = 0 THEN 'ec2' WHEN j % 10 < 5 THEN 'agent' ELSE 'summary' END,
			CASE WHEN j % 10 < 5 THEN 'StartExportTask' ELSE 'ExportConfigurations' END,
			CASE WHEN j % 10 BETWEEN 1 AND 4 THEN 'o-' || `+d.hex("j % 1000", 17)+` ELSE '' END,
			'SUCCEEDED', 'Data export ran successfully.',
			`+d.arg(4)+` + j * 1000, `+d.arg(4)+` + j * 1000, `+d.arg(4)+` + j * 1000 + 5000, 4096 + j % 1000
		FROM `+rows, from, to, acct, base.UnixMilli())
}

func (d *dialect) servers(ctx context.Context, acct string, from, to, sampled int) error {
	with, rows := d.rows(d.arg(1), d.arg(2))
	args := []any{from, to, acct, base.UnixMilli(), sampled, perAgent, sampleMs}
	sampledJ := `j < ` + d.arg(5)
	last := d.arg(4) + ` + (` + d.arg(6) + ` - 1) * ` + d.arg(7)
	err := d.exec(ctx, with+`INSERT INTO servers (account_id, server_id, agent_id, host_name, os_name, os_version, cpu_type,
			num_cpus, num_cores, num_logical, total_ram_mb, total_disk_gb, num_disks, num_nics, created_ms, updated_ms,
			perf_samples, cpu_sum, cpu_max, free_ram_sum, free_ram_min, disk_free_gb)
		SELECT `+d.str(3)+`, 'd-server-' || `+d.hex("j", 17)+`, 'o-' || `+d.hex("j", 17)+`,
			'host-' || `+d.hex("j", 7)+` || '.example.com', CASE WHEN j % 3 = 2 THEN 'Windows' ELSE 'Linux' END, '6.1', 'x64',
			2, 4, 8, 16384, 200, 1, 1, `+d.arg(4)+`, CASE WHEN `+sampledJ+` THEN `+last+` ELSE `+d.arg(4)+` END,
			CASE WHEN `+sampledJ+` THEN `+d.arg(6)+` ELSE 0 END, CASE WHEN `+sampledJ+` THEN 34.5 * `+d.arg(6)+` ELSE 0 END,
			CASE WHEN `+sampledJ+` THEN 59 ELSE 0 END, CASE WHEN `+sampledJ+` THEN 1249.5 * `+d.arg(6)+` ELSE 0 END,
			CASE WHEN `+sampledJ+` THEN 1000 END, CASE WHEN `+sampledJ+` THEN 90 ELSE 0 END
		FROM `+rows, args...)
	if err != nil {
		return err
	}
	return d.exec(ctx, with+`INSERT INTO agents (account_id, agent_id, agent_type, host_name, version, network_info,
			registered_ms, last_health_ping_ms, first_data_ms, last_data_ms, server_id)
		SELECT `+d.str(3)+`, 'o-' || `+d.hex("j", 17)+`, 'EC2', 'host-' || `+d.hex("j", 7)+` || '.example.com', '2.0.1',
			'[{"ipAddress":"10.0.0.1","macAddress":"02:00:00:00:00:01"}]',
			`+d.arg(4)+`, CASE WHEN `+sampledJ+` THEN `+last+` ELSE `+d.arg(4)+` END,
			CASE WHEN `+sampledJ+` THEN `+d.arg(4)+` END, CASE WHEN `+sampledJ+` THEN `+last+` END,
			'd-server-' || `+d.hex("j", 17)+`
		FROM `+rows, args...)
}

func (d *dialect) samples(ctx context.Context, acct string, agents, from, to int) error {
	with, rows := d.grid(d.arg(1), d.arg(2), d.arg(5))
	args := []any{from, to, acct, base.UnixMilli(), agents, sampleMs}
	ts := d.arg(4) + ` + i * ` + d.arg(6)
	err := d.exec(ctx, with+`INSERT INTO perf_samples (account_id, agent_id, ts_ms, disk_read_kbps, disk_write_kbps, disk_read_ops,
			disk_write_ops, net_read_kbps, net_write_kbps, num_logical, num_cores, num_cpus, num_disks, num_nics, cpu_pct,
			disk_size_gb, disk_free_gb, total_ram_mb, free_ram_mb)
		SELECT `+d.str(3)+`, 'o-' || `+d.hex("j", 17)+`, `+ts+`, 5, i % 50, 1, 2, 1, 2, 8, 4, 2, 1, 1, 10 + i % 50,
			200, 100 - (i % 100) / 10.0, 16384, 1000 + i % 500
		FROM `+rows, args...)
	if err != nil {
		return err
	}
	return d.exec(ctx, with+`INSERT INTO system_observations (account_id, agent_id, ts_ms, os_name, os_version, cpu_type, host_name, hypervisor, nics)
		SELECT `+d.str(3)+`, 'o-' || `+d.hex("j", 17)+`, `+ts+`, 'Linux', '6.1', 'x64', 'host-' || `+d.hex("j", 7)+` || '.example.com', '',
			'`+nics+`'
		FROM `+rows, args...)
}

// sqliteFiller fills a SQLite store through one connection of its own,
// with synchronous=OFF and a large page cache: each chunk is one
// transaction.
type sqliteFiller struct {
	dialect
	conn *sql.Conn
}

func newSQLiteFiller(ctx context.Context, db *sql.DB) (*sqliteFiller, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	for _, p := range []string{`PRAGMA synchronous = OFF`, `PRAGMA cache_size = -1048576`, `PRAGMA temp_store = MEMORY`} {
		if _, err := conn.ExecContext(ctx, p); err != nil {
			conn.Close()
			return nil, err
		}
	}
	f := &sqliteFiller{conn: conn}
	f.dialect = dialect{
		hex: func(e string, width int) string { return fmt.Sprintf("printf('%%0%dx', %s)", width, e) },
		rows: func(from, to string) (string, string) {
			return `WITH RECURSIVE g(j) AS (SELECT ` + from + ` UNION ALL SELECT j + 1 FROM g WHERE j + 1 < ` + to + `) `, "g"
		},
		grid: func(iFrom, iTo, jTo string) (string, string) {
			return `WITH RECURSIVE k(i) AS (SELECT ` + iFrom + ` UNION ALL SELECT i + 1 FROM k WHERE i + 1 < ` + iTo + `),
				g(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM g WHERE j + 1 < ` + jTo + `) `, "k CROSS JOIN g"
		},
		arg: func(n int) string { return fmt.Sprintf("?%d", n) },
		str: func(n int) string { return fmt.Sprintf("?%d", n) },
		exec: func(ctx context.Context, q string, args ...any) error {
			tx, err := conn.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				tx.Rollback()
				return fmt.Errorf("%s: %w", strings.Fields(q)[0], err)
			}
			return tx.Commit()
		},
	}
	return f, nil
}

func (f *sqliteFiller) close() { f.conn.Close() }

// settle folds the write-ahead log into the database file.
func (f *sqliteFiller) settle(ctx context.Context) error {
	_, err := f.conn.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	return err
}

func (f *sqliteFiller) about(ctx context.Context) string {
	var version string
	var pages, size int64
	f.conn.QueryRowContext(ctx, `SELECT sqlite_version()`).Scan(&version)
	f.conn.QueryRowContext(ctx, `PRAGMA page_count`).Scan(&pages)
	f.conn.QueryRowContext(ctx, `PRAGMA page_size`).Scan(&size)
	return fmt.Sprintf("SQLite %s (modernc.org/sqlite), WAL, the store's connections as poseidon opens them (no ANALYZE); database %.2f GB",
		version, float64(pages*size)/1e9)
}

// pgFiller fills a PostgreSQL store's schema through a pool of its own.
type pgFiller struct {
	dialect
	pool *pgxpool.Pool
}

func newPGFiller(pool *pgxpool.Pool) *pgFiller {
	f := &pgFiller{pool: pool}
	f.dialect = dialect{
		hex: func(e string, width int) string { return fmt.Sprintf("lpad(to_hex(%s), %d, '0')", e, width) },
		rows: func(from, to string) (string, string) {
			return "", `generate_series(` + from + `, ` + to + ` - 1) AS g(j)`
		},
		grid: func(iFrom, iTo, jTo string) (string, string) {
			return "", `generate_series(` + iFrom + `, ` + iTo + ` - 1) AS k(i) CROSS JOIN LATERAL generate_series(0::bigint, ` + jTo + ` - 1) AS g(j)`
		},
		arg: func(n int) string { return fmt.Sprintf("$%d::bigint", n) },
		str: func(n int) string { return fmt.Sprintf("$%d::text", n) },
		exec: func(ctx context.Context, q string, args ...any) error {
			_, err := pool.Exec(ctx, q, args...)
			return err
		},
	}
	return f
}

// settle vacuums and analyzes the filled tables, as autovacuum would in
// service: statistics for the planner, the visibility map for index-only
// scans.
func (f *pgFiller) settle(ctx context.Context) error {
	_, err := f.pool.Exec(ctx, `VACUUM (ANALYZE) export_tasks, servers, agents, perf_samples, system_observations`)
	return err
}

func (f *pgFiller) about(ctx context.Context) string {
	var version, buffers, workMem string
	var size int64
	f.pool.QueryRow(ctx, `SELECT current_setting('server_version'), current_setting('shared_buffers'), current_setting('work_mem'),
		(SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r')`).
		Scan(&version, &buffers, &workMem, &size)
	return fmt.Sprintf("PostgreSQL %s on 127.0.0.1 (shared_buffers %s, work_mem %s), a schema of its own; tables and indexes %.2f GB",
		version, buffers, workMem, float64(size)/1e9)
}
