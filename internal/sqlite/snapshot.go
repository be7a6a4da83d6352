package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"slices"
	"strings"
)

// ErrNewerSchema is returned by CheckSchema for a database that has
// migrations this build does not know: a newer poseidon made it.
var ErrNewerSchema = errors.New("the database has a newer schema than this poseidon")

// ExportArchive names the archive of a successful export that has not
// expired: what a snapshot must carry beside the database.
type ExportArchive struct {
	Account, ExportID string
}

// openPlain opens the database at path for a few reads or VACUUM INTO,
// without migrating it and without the store's writer: the one connection
// waits up to busy_timeout for a server's writer, as a reader among the
// store's would. It works while a server has the store open (WAL mode
// lets readers of other processes in).
func openPlain(path string) (*sql.DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

// SnapshotInto copies the database at path into dst, a file that must not
// exist, with VACUUM INTO: one read transaction, so the copy is the
// database as of one commit, whether or not a server has it open (the
// server's writes go on meanwhile). It returns the export archives the
// copy refers to.
func SnapshotInto(ctx context.Context, path, dst string) ([]ExportArchive, error) {
	db, err := openPlain(path)
	if err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, dst); err != nil {
		return nil, fmt.Errorf("snapshot: VACUUM INTO: %w", err)
	}
	copyDB, err := openPlain(dst)
	if err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	defer copyDB.Close()
	rows, err := copyDB.QueryContext(ctx, `SELECT account_id, export_id FROM export_tasks
		WHERE status = 'SUCCEEDED' AND expired = 0 ORDER BY account_id, export_id`)
	if err != nil {
		return nil, fmt.Errorf("snapshot: export archives: %w", err)
	}
	defer rows.Close()
	var out []ExportArchive
	for rows.Next() {
		var a ExportArchive
		if err := rows.Scan(&a.Account, &a.ExportID); err != nil {
			return nil, fmt.Errorf("snapshot: export archives: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// Migrations are the schema versions this build knows, in order.
func Migrations() []string {
	names, _ := fs.Glob(migrations, "migrations/*.sql")
	out := make([]string, 0, len(names))
	for _, n := range names {
		out = append(out, strings.TrimSuffix(strings.TrimPrefix(n, "migrations/"), ".sql"))
	}
	slices.Sort(out)
	return out
}

// CheckSchema reads the schema versions of the database at path and
// returns them; with ErrNewerSchema (naming them) if any is one this build
// does not know.
func CheckSchema(ctx context.Context, path string) ([]string, error) {
	db, err := openPlain(path)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		return nil, fmt.Errorf("not a poseidon SQLite store: %w", err)
	}
	defer rows.Close()
	var versions, unknown []string
	known := Migrations()
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		versions = append(versions, v)
		if !slices.Contains(known, v) {
			unknown = append(unknown, v)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(unknown) > 0 {
		return versions, fmt.Errorf("%w (migrations %s; this build knows up to %s)", ErrNewerSchema,
			strings.Join(unknown, ", "), known[len(known)-1])
	}
	return versions, nil
}
