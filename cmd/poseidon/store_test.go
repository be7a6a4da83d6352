package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	ads "github.com/aws/aws-sdk-go/service/applicationdiscoveryservice"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"

	"github.com/poseidon-ads/poseidon/internal/postgres/pgtestdb"
)

// The store of the tests' servers. By default each keeps its state in
// SQLite in its data directory, as "poseidon serve" does. With
// POSEIDON_TEST_STORE=postgres, every server the tests start (in-process or
// the real binary) keeps it in PostgreSQL instead, on the test server of
// pgtestdb (POSEIDON_TEST_DATABASE_URL), in a schema of its data
// directory's own: made by the first server on that directory, kept across
// its restarts (as the SQLite file is), dropped when the test that made it
// ends. A test that starts a server with a database of its own (the
// --database-url flag, or POSEIDON_DATABASE_URL) keeps it. Under the
// switch an unreachable PostgreSQL fails the run, with or without CI.
// (Unlike the use-case tests' teststore.Kind, POSEIDON_TEST_DATABASE_URL
// alone does not switch: scripts/test.sh runs these tests on SQLite first,
// then on PostgreSQL.)
const testStoreEnv = "POSEIDON_TEST_STORE"

// onPostgres reports whether the tests' servers run on PostgreSQL.
var onPostgres = os.Getenv(testStoreEnv) == "postgres"

// checkTestStore refuses an unknown test store, and fails the run at once
// when the tests' servers are to run on PostgreSQL and it is unreachable
// (rather than skipping every test).
func checkTestStore() error {
	if s := os.Getenv(testStoreEnv); s != "" && s != "sqlite" && s != "postgres" {
		return fmt.Errorf("%s=%q: want sqlite (the default) or postgres", testStoreEnv, s)
	}
	if !onPostgres {
		return nil
	}
	conn, err := pgtestdb.Connect(context.Background())
	if err != nil {
		return fmt.Errorf("%s=postgres but PostgreSQL at %s is unreachable: %w (set POSEIDON_TEST_DATABASE_URL)", testStoreEnv, pgtestdb.ServerURL(), err)
	}
	return conn.Close(context.Background())
}

var (
	schemasMu sync.Mutex
	schemas   = map[string]string{} // data directory -> database URL
)

// storeArgs returns args, the flags of a serve command on the data
// directory data, with those of the test store: none for SQLite, and
// --database-url of the directory's schema for PostgreSQL, unless args or
// the environment already name a database.
func storeArgs(t testing.TB, data string, args []string) []string {
	t.Helper()
	if !onPostgres || os.Getenv("POSEIDON_DATABASE_URL") != "" {
		return args
	}
	for _, a := range args {
		if a == "--database-url" || strings.HasPrefix(a, "--database-url=") {
			return args
		}
	}
	return append(args, "--database-url", dataSchema(t, data))
}

// dataSchema returns the database URL of the data directory's schema,
// making it the first time.
func dataSchema(t testing.TB, data string) string {
	t.Helper()
	key, err := filepath.Abs(data)
	if err != nil {
		t.Fatal(err)
	}
	schemasMu.Lock()
	defer schemasMu.Unlock()
	if url, ok := schemas[key]; ok {
		return url
	}
	url := pgtestdb.Schema(t) // dropped at the end of t, after its servers stop
	schemas[key] = url
	t.Cleanup(func() {
		schemasMu.Lock()
		delete(schemas, key)
		schemasMu.Unlock()
	})
	return url
}

// storeDB opens the store of the server on data for a test to reach into
// it: its SQLite file, or its PostgreSQL schema. q turns a statement
// written with SQLite's ? placeholders into the store's.
func storeDB(t testing.TB, data string) (db *sql.DB, q func(string) string) {
	t.Helper()
	var err error
	if onPostgres {
		db, err = sql.Open("pgx", dataSchema(t, data))
		q = pgtestdb.Numbered
	} else {
		db, err = sql.Open("sqlite", "file:"+filepath.Join(data, "poseidon.db")+"?_pragma=busy_timeout(10000)")
		q = func(s string) string { return s }
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, q
}

// The test servers keep their state in the test store: a restart on the
// same data directory finds it, and with PostgreSQL nothing of it is in
// the data directory (no SQLite file).
func TestTestStore(t *testing.T) {
	data := t.TempDir()
	s := startServer(t, data)
	b := fleetBatch(time.Now().Add(-time.Hour))
	postAgentBatch(t, s.URL, acctA, &b)
	s.Stop(t)
	_, err := os.Stat(filepath.Join(data, "poseidon.db"))
	if sqliteFile := err == nil; sqliteFile == onPostgres {
		t.Fatalf("%s=%q: the data directory holds poseidon.db = %v", testStoreEnv, os.Getenv(testStoreEnv), sqliteFile)
	}
	db, q := storeDB(t, data)
	var n int
	if err := db.QueryRow(q(`SELECT count(*) FROM agents WHERE account_id = ?`), acctA).Scan(&n); err != nil || n != 3 {
		t.Fatalf("agents of A in the store: %d, %v", n, err)
	}
	s = startServer(t, data)
	out, err := client(t, s.URL, acctA, "x").DescribeAgents(&ads.DescribeAgentsInput{})
	if err != nil || len(out.AgentsInfo) != 3 {
		t.Fatalf("agents after a restart: %v, %v", out, err)
	}
}
