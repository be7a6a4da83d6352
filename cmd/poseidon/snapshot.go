package main

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/poseidon-ads/poseidon/internal/postgres"
	"github.com/poseidon-ads/poseidon/internal/sqlite"
)

// snapshotCmd copies a store to a file and back, so that a CI job can start
// from a prepared fleet (docs/behavior.md, "Snapshots").
type snapshotCmd struct {
	Save snapshotSaveCmd `cmd:"" help:"Copy a store into FILE, consistently, while servers run on it or not: SQLite with the files of its data directory, or a PostgreSQL schema."`
	Load snapshotLoadCmd `cmd:"" help:"Restore FILE into a data directory or PostgreSQL schema, which must be empty (or --force) and have no server running on it."`
}

// snapshotStore are the flags naming the store, as serve's.
type snapshotStore struct {
	Data        string `default:"./poseidon-data" env:"POSEIDON_DATA" predictor:"dir" help:"Data directory, as serve's --data."`
	DatabaseURL string `name:"database-url" env:"POSEIDON_DATABASE_URL" placeholder:"URL" help:"PostgreSQL store, as serve's, with search_path=SCHEMA: its schema is copied with pg_dump and restored with pg_restore (installed: postgresql-client)."`
}

// snapshotFormat is the version of the snapshot file's layout.
const snapshotFormat = 1

// snapshotManifest is the first member of a snapshot, poseidon-snapshot.json.
type snapshotManifest struct {
	Format   int      `json:"format"`
	Store    string   `json:"store"`
	Schema   []string `json:"schema"`
	Poseidon string   `json:"poseidon"`
	// PGSchema is the schema a PostgreSQL snapshot was saved from.
	PGSchema string    `json:"pgSchema,omitempty"`
	Created  time.Time `json:"created"`
}

const (
	manifestName = "poseidon-snapshot.json"
	storeFile    = "poseidon.db"
)

// snapshotDirs are the directories of the data directory a snapshot
// carries besides the database: the export archives (only those the copied
// database refers to), continuous export data and import buckets.
var snapshotDirs = []string{"exports", "continuous-exports", "buckets"}

type snapshotSaveCmd struct {
	snapshotStore
	File string `arg:"" type:"path" predictor:"file" help:"Snapshot file to write (a gzipped tar); replaced if it exists."`
}

func (c *snapshotSaveCmd) Run(ctx context.Context, stdout io.Writer, g *globals) error {
	tmp, err := os.MkdirTemp("", "poseidon-snapshot-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	man := snapshotManifest{Format: snapshotFormat, Poseidon: versionString(), Created: time.Now().UTC()}
	var fill func(tw *tar.Writer) (int, error)
	from := "SQLite store of " + c.Data
	if c.DatabaseURL != "" {
		pg, err := parsePG(c.DatabaseURL)
		if err != nil {
			return err
		}
		dump := pgDumpPath(tmp)
		if man.Schema, err = pg.saveDump(ctx, c.DatabaseURL, dump); err != nil {
			return fmt.Errorf("snapshot save: %w", err)
		}
		man.Store, man.PGSchema = "postgres", pg.schema
		from = "PostgreSQL schema " + pg.schema
		fill = func(tw *tar.Writer) (int, error) { return 0, addFile(tw, dump, pgDumpFile) }
	} else {
		man.Store = "sqlite"
		if fill, man.Schema, err = c.sqliteMembers(ctx, tmp, g.stderr); err != nil {
			return err
		}
	}
	files, err := writeSnapshot(c.File, man, fill)
	if err != nil {
		return fmt.Errorf("snapshot save: %w", err)
	}
	st, _ := os.Stat(c.File)
	fmt.Fprintf(stdout, "saved %s: %s (schema %s), %d files beside it, %d bytes\n", c.File, from, lastOf(man.Schema), files, st.Size())
	return nil
}

// sqliteMembers copies the SQLite store of the data directory into dir
// and returns what adds it to a snapshot, with the export archives it
// refers to and the other files of the data directory, and its schema.
func (c *snapshotSaveCmd) sqliteMembers(ctx context.Context, dir string, stderr io.Writer) (func(*tar.Writer) (int, error), []string, error) {
	db := filepath.Join(c.Data, storeFile)
	if _, err := os.Stat(db); err != nil {
		return nil, nil, fmt.Errorf("snapshot save: no store in %s (%v): give the data directory of a server with --data", c.Data, err)
	}
	dbCopy := filepath.Join(dir, storeFile)
	archives, err := sqlite.SnapshotInto(ctx, db, dbCopy)
	if err != nil {
		return nil, nil, err
	}
	schema, err := sqlite.CheckSchema(ctx, dbCopy)
	if err != nil && !errors.Is(err, sqlite.ErrNewerSchema) {
		return nil, nil, err
	}
	return func(tw *tar.Writer) (int, error) {
		if err := addFile(tw, dbCopy, storeFile); err != nil {
			return 0, err
		}
		files := 0
		// The archives the copied database refers to: each was written
		// whole before its export was marked SUCCEEDED, so each is
		// there, unless the janitor deleted it since (the export expired
		// meanwhile).
		for _, a := range archives {
			name := filepath.ToSlash(filepath.Join("exports", a.Account, a.ExportID+".zip"))
			err := addFile(tw, filepath.Join(c.Data, name), name)
			if errors.Is(err, fs.ErrNotExist) {
				fmt.Fprintf(stderr, "poseidon snapshot: export %s of account %s expired while saving; its archive is left out\n", a.ExportID, a.Account)
				continue
			}
			if err != nil {
				return files, err
			}
			files++
		}
		for _, d := range snapshotDirs[1:] {
			n, err := addTree(tw, c.Data, d)
			files += n
			if err != nil {
				return files, err
			}
		}
		return files, nil
	}, schema, nil
}

// writeSnapshot writes a snapshot to file (under another name, then
// renamed into place): the manifest, then what fill adds. It returns
// fill's count of files.
func writeSnapshot(file string, man snapshotManifest, fill func(*tar.Writer) (int, error)) (int, error) {
	out, err := os.CreateTemp(filepath.Dir(file), "."+filepath.Base(file)+"-*")
	if err != nil {
		return 0, err
	}
	defer os.Remove(out.Name())
	zw, _ := gzip.NewWriterLevel(out, gzip.BestSpeed)
	tw := tar.NewWriter(zw)
	b, _ := json.Marshal(man)
	err = tw.WriteHeader(&tar.Header{Name: manifestName, Mode: 0o644, Size: int64(len(b)), ModTime: man.Created, Typeflag: tar.TypeReg})
	if err == nil {
		_, err = tw.Write(b)
	}
	files := 0
	if err == nil {
		files, err = fill(tw)
	}
	if err == nil {
		err = tw.Close()
	}
	if err == nil {
		err = zw.Close()
	}
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(out.Name(), file)
	}
	return files, err
}

func lastOf(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return s[len(s)-1]
}

// addFile adds the regular file at path to tw as name.
func addFile(tw *tar.Writer, path, name string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: st.Size(), ModTime: st.ModTime(), Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	// A file that grows while it is copied (a continuous export's hour
	// being appended) is cut at the size it had.
	_, err = io.CopyN(tw, f, st.Size())
	return err
}

// addTree adds the regular files under data/dir to tw (none if there is no
// such directory), but hidden ones (temporary files being written).
func addTree(tw *tar.Writer, data, dir string) (int, error) {
	n := 0
	err := filepath.WalkDir(filepath.Join(data, dir), func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(data, p)
		if err != nil {
			return err
		}
		if err := addFile(tw, p, filepath.ToSlash(rel)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		n++
		return nil
	})
	return n, err
}

type snapshotLoadCmd struct {
	snapshotStore
	File  string `arg:"" type:"existingfile" predictor:"file" help:"Snapshot file written by snapshot save."`
	Force bool   `help:"Replace the store and files of a data directory that is not empty."`
}

func (c *snapshotLoadCmd) Run(ctx context.Context, stdout io.Writer) error {
	if c.DatabaseURL != "" {
		return c.loadPostgres(ctx, stdout)
	}
	if err := c.checkTarget(); err != nil {
		return err
	}
	if err := os.MkdirAll(c.Data, 0o755); err != nil {
		return fmt.Errorf("snapshot load: %w", err)
	}
	stage, err := os.MkdirTemp(c.Data, ".poseidon-snapshot-")
	if err != nil {
		return fmt.Errorf("snapshot load: %w", err)
	}
	defer os.RemoveAll(stage)
	man, files, err := extractSnapshot(c.File, stage, "sqlite")
	if err != nil {
		return fmt.Errorf("snapshot load %s: %w", c.File, err)
	}
	// The database itself is what a server would migrate: it decides.
	if _, err := sqlite.CheckSchema(ctx, filepath.Join(stage, storeFile)); err != nil {
		return fmt.Errorf("snapshot load %s: %w: load it with that poseidon (%s) or a newer one", c.File, err, man.Poseidon)
	}
	// Replace: what the data directory held of a store goes, then the
	// snapshot's members are renamed into place (one file system).
	for _, name := range append([]string{storeFile, storeFile + "-wal", storeFile + "-shm", storeFile + "-journal"}, snapshotDirs...) {
		if err := os.RemoveAll(filepath.Join(c.Data, name)); err != nil {
			return fmt.Errorf("snapshot load: %w", err)
		}
	}
	entries, err := os.ReadDir(stage)
	if err != nil {
		return fmt.Errorf("snapshot load: %w", err)
	}
	for _, e := range entries {
		if err := os.Rename(filepath.Join(stage, e.Name()), filepath.Join(c.Data, e.Name())); err != nil {
			return fmt.Errorf("snapshot load: %w", err)
		}
	}
	fmt.Fprintf(stdout, "loaded %s into %s: SQLite store (schema %s, saved by %s at %s), %d files beside it\n",
		c.File, c.Data, lastOf(man.Schema), man.Poseidon, man.Created.Format(time.RFC3339), files)
	return nil
}

// loadPostgres restores a PostgreSQL snapshot into the schema of
// --database-url.
func (c *snapshotLoadCmd) loadPostgres(ctx context.Context, stdout io.Writer) error {
	pg, err := parsePG(c.DatabaseURL)
	if err != nil {
		return err
	}
	stage, err := os.MkdirTemp("", "poseidon-snapshot-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(stage)
	man, _, err := extractSnapshot(c.File, stage, "postgres")
	if err != nil {
		return fmt.Errorf("snapshot load %s: %w", c.File, err)
	}
	if err := pg.loadDump(ctx, pgDumpPath(stage), man.PGSchema, c.Force); err != nil {
		return fmt.Errorf("snapshot load %s: %w", c.File, err)
	}
	fmt.Fprintf(stdout, "loaded %s into PostgreSQL schema %s: (schema %s, saved from schema %s by %s at %s)\n",
		c.File, pg.schema, lastOf(man.Schema), man.PGSchema, man.Poseidon, man.Created.Format(time.RFC3339))
	return nil
}

// checkTarget refuses a data directory that is not empty, without --force,
// and one a server runs on: a server holds an owner slot lock
// (ownerSlot) while it runs.
func (c *snapshotLoadCmd) checkTarget() error {
	entries, err := os.ReadDir(c.Data)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("snapshot load: %w", err)
	}
	if len(entries) > 0 && !c.Force {
		return fmt.Errorf("snapshot load: %s is not empty: give an empty or new --data directory, or --force to replace the store and files it holds", c.Data)
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), storeFile+"-slot-") || !strings.HasSuffix(e.Name(), ".lock") {
			continue
		}
		f, err := os.OpenFile(filepath.Join(c.Data, e.Name()), os.O_RDWR, 0)
		if err != nil {
			continue
		}
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return fmt.Errorf("snapshot load: a poseidon server is running on %s (it holds %s): stop it first", c.Data, e.Name())
		}
	}
	return nil
}

// extractSnapshot checks the manifest (the first member: a snapshot of a
// store of kind store, of a schema this build knows) and writes the members
// of the snapshot at path under dir. It returns the manifest and how many
// files besides the database it held.
func extractSnapshot(path, dir, store string) (snapshotManifest, int, error) {
	var man snapshotManifest
	f, err := os.Open(path)
	if err != nil {
		return man, 0, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return man, 0, fmt.Errorf("not a poseidon snapshot: %w", err)
	}
	tr := tar.NewReader(zr)
	h, err := tr.Next()
	if err != nil || h.Name != manifestName {
		return man, 0, fmt.Errorf("not a poseidon snapshot: no %s first", manifestName)
	}
	if err := json.NewDecoder(io.LimitReader(tr, 1<<20)).Decode(&man); err != nil {
		return man, 0, fmt.Errorf("not a poseidon snapshot: %s: %w", manifestName, err)
	}
	if man.Format > snapshotFormat {
		return man, 0, fmt.Errorf("snapshot format %d is newer than this poseidon reads (%d): load it with %s or a newer poseidon", man.Format, snapshotFormat, man.Poseidon)
	}
	if man.Store != store {
		flag := map[string]string{"sqlite": "without --database-url (into --data)", "postgres": "with --database-url"}[man.Store]
		if flag == "" {
			return man, 0, fmt.Errorf("a snapshot of a %q store, which this poseidon does not know", man.Store)
		}
		return man, 0, fmt.Errorf("a snapshot of a %s store: load it %s", man.Store, flag)
	}
	dbMember, allowed := storeFile, snapshotDirs
	if store == "postgres" {
		dbMember, allowed = pgDumpFile, nil
	}
	known := sqlite.Migrations()
	if store == "postgres" {
		known = postgres.Migrations()
	}
	if err := checkVersions(known, man.Schema, man.Poseidon); err != nil {
		return man, 0, err
	}
	files, sawStore := 0, false
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return man, 0, fmt.Errorf("read snapshot: %w", err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		top, _, _ := strings.Cut(h.Name, "/")
		if !filepath.IsLocal(h.Name) || h.Name != dbMember && !slices.Contains(allowed, top) {
			return man, 0, fmt.Errorf("snapshot member %q is not one of a data directory's", h.Name)
		}
		p := filepath.Join(dir, filepath.FromSlash(h.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return man, 0, err
		}
		out, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return man, 0, err
		}
		_, err = io.Copy(out, tr)
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return man, 0, err
		}
		if h.Name == dbMember {
			sawStore = true
		} else {
			files++
		}
	}
	if !sawStore {
		return man, 0, fmt.Errorf("not a poseidon snapshot: no %s", dbMember)
	}
	return man, files, nil
}

// checkVersions refuses a snapshot whose schema has migrations that are not
// known (this build's), saved by poseidon by.
func checkVersions(known, versions []string, by string) error {
	for _, v := range versions {
		if !slices.Contains(known, v) {
			return fmt.Errorf("%w (migration %s; this build knows up to %s): load it with that poseidon (%s) or a newer one",
				sqlite.ErrNewerSchema, v, known[len(known)-1], by)
		}
	}
	return nil
}
