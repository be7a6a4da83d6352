package postgres

import (
	"testing"
	"time"
)

// A small inventory written with SQL, for the tests of tags, batch deletes
// and resets; the item query tests use package fixture's (fullInventory).

const (
	invA = "111111111111"
	invB = "222222222222"

	srv1 = "d-server-00000000000000001"
	srv2 = "d-server-00000000000000002"
	srv3 = "d-server-00000000000000003"
	srv4 = "d-server-00000000000000004"
	srvB = "d-server-0000000000000000b"

	procNginx = "d-process-0000000000000001"
	procSSHD  = "d-process-0000000000000002"
	procB     = "d-process-000000000000000b"

	app1 = "d-application-0000000000001"
	app2 = "d-application-0000000000002"
	app3 = "d-application-0000000000003"

	conn1 = "0000000000000c001" // as intake stores them: no prefix
	conn2 = "0000000000000c002"
)

var invT0 = time.Date(2016, 10, 28, 23, 44, 0, 0, time.UTC)

func invAt(d time.Duration) int64 { return invT0.Add(d).UnixMilli() }

func insertServer(t testing.TB, db *DB, account, id, agent, host string, created int64) {
	t.Helper()
	exec(t, db, `INSERT INTO servers (account_id, server_id, agent_id, source, host_name, created_ms, updated_ms)
		VALUES ($1, $2, $3, $4, $5, $6, $6)`, account, id, agent, map[bool]string{true: "Agent", false: "Import"}[agent != ""], host, created)
}

// invFixture fills account A with four servers, processes, connections,
// applications and tags, and account B with look-alikes that A must never
// see.
func invFixture(t testing.TB) *DB {
	t.Helper()
	db := openTest(t)
	insertServer(t, db, invA, srv1, "o-agent0000000001", "web-1.example.com", invAt(0))
	insertServer(t, db, invA, srv2, "o-agent0000000002", "db-1.example.com", invAt(30*time.Second))
	insertServer(t, db, invA, srv3, "", "cache-1.example.com", invAt(time.Minute))
	insertServer(t, db, invA, srv4, "o-agent0000000003", "web-2.example.com", invAt(2*time.Minute))
	insertServer(t, db, invB, srvB, "o-agentB00000001", "web-1.example.com", invAt(0))
	for _, p := range [][]any{
		{invA, procNginx, srv1, "nginx", invAt(time.Hour)},
		{invA, procSSHD, srv1, "sshd", invAt(2 * time.Hour)},
		{invB, procB, srvB, "nginx", invAt(time.Hour)},
	} {
		exec(t, db, `INSERT INTO processes (account_id, process_id, server_id, name, created_ms, last_seen_ms) VALUES ($1, $2, $3, $4, $5, $5)`, p...)
	}
	for _, c := range [][]any{
		{invA, conn1, srv1, srv2, "10.0.0.1", "10.0.0.2", 5432, invAt(5 * time.Hour)},
		{invA, conn2, srv1, srv2, "10.0.0.1", "10.0.0.2", 6379, invAt(6 * time.Hour)},
		{invB, conn1, srvB, srv2, "10.0.0.1", "10.0.0.2", 5432, invAt(5 * time.Hour)},
	} {
		exec(t, db, `INSERT INTO connections (account_id, connection_id, source_server_id, destination_server_id, source_ip, destination_ip,
			destination_port, first_ms, latest_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)`, c...)
	}
	for _, a := range [][]any{
		{invA, app1, "Payments", "Card payments", invAt(24 * time.Hour), invAt(25 * time.Hour)},
		{invA, app2, "Web Store", "", invAt(26 * time.Hour), invAt(26 * time.Hour)},
		{invA, app3, "Empty", "nothing yet", invAt(27 * time.Hour), invAt(28 * time.Hour)},
		{invB, app1, "Payments B", "", invAt(24 * time.Hour), invAt(24 * time.Hour)},
	} {
		exec(t, db, `INSERT INTO applications (account_id, application_id, name, description, created_ms, updated_ms) VALUES ($1, $2, $3, $4, $5, $6)`, a...)
	}
	for _, x := range [][]any{{invA, app1, srv1}, {invA, app1, srv2}, {invA, app2, srv1}, {invB, app1, srvB}} {
		exec(t, db, `INSERT INTO application_servers (account_id, application_id, server_id) VALUES ($1, $2, $3)`, x...)
	}
	for _, x := range [][]any{{invA, srv1, "env", "prod"}, {invA, srv1, "tier", "web"}, {invA, srv2, "env", "dev"}, {invB, srv3, "env", "prod"}} {
		exec(t, db, `INSERT INTO tags (account_id, configuration_id, key, value, created_ms) VALUES ($1, $2, $3, $4, 0)`, x...)
	}
	return db
}
