package scale

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/postgres"
	"github.com/poseidon-ads/poseidon/internal/postgres/pgtestdb"
	"github.com/poseidon-ads/poseidon/internal/sqlite"
)

// keptNow is the virtual time of a kept store: 9 days after the first
// export task, so that the janitor expires no export (they expire 10 days
// after they finish) and retention deletes no sample (kept 90 days) when
// poseidon starts on it; the stores' state is the same at every start.
var keptNow = base.Add(9 * 24 * time.Hour)

// TestKeep fills a store at scale POSEIDON_SCALE, as TestScale does, and
// keeps it under POSEIDON_SCALE_KEEP=DIR for poseidon to start on
// (bench/startup.sh):
//
//   - SQLite: DIR/sqlite-SCALE, a data directory (--data) with its
//     poseidon.db;
//   - PostgreSQL: the schema bench_keep_SCALE of the test server (see
//     pgtestdb.ServerURL), whose URL (--database-url) it writes to
//     DIR/postgres-SCALE.url.
//
// A store already filled (DIR/sqlite-SCALE/filled, or the .url file) is
// kept as it is. Either way TestKeep then sets the store's virtual clock
// to keptNow.
func TestKeep(t *testing.T) {
	dir := os.Getenv("POSEIDON_SCALE_KEEP")
	v := os.Getenv("POSEIDON_SCALE")
	if dir == "" || v == "" {
		t.Skip("set POSEIDON_SCALE_KEEP=DIR and POSEIDON_SCALE to fill a store and keep it; see bench/startup.sh")
	}
	scale, err := strconv.ParseFloat(v, 64)
	if err != nil || scale <= 0 {
		t.Fatalf("POSEIDON_SCALE=%q: want a positive number", v)
	}
	tag := strings.NewReplacer(".", "_", "-", "_", "+", "_").Replace(strconv.FormatFloat(scale, 'g', -1, 64))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	which := os.Getenv("POSEIDON_SCALE_STORE")
	sz := sizesOf(scale)
	if which == "" || which == "sqlite" || which == "both" {
		t.Run("sqlite", func(t *testing.T) { keepSQLite(t, filepath.Join(dir, "sqlite-"+tag), sz) })
	}
	if which == "" || which == "postgres" || which == "both" {
		t.Run("postgres", func(t *testing.T) {
			keepPostgres(t, filepath.Join(dir, "postgres-"+tag+".url"), "bench_keep_"+tag, sz)
		})
	}
}

// controlStore is how TestKeep sets a kept store's clock.
type controlStore interface {
	UpdateControl(ctx context.Context, fn func(*discovery.Control)) (discovery.Control, error)
}

func setKeptClock(t *testing.T, st controlStore) {
	t.Helper()
	if _, err := st.UpdateControl(t.Context(), func(c *discovery.Control) { c.ClockOffset = time.Until(keptNow) }); err != nil {
		t.Fatal(err)
	}
}

func keepSQLite(t *testing.T, data string, sz sizes) {
	ctx := t.Context()
	marker := filepath.Join(data, "filled")
	_, err := os.Stat(marker)
	filled := err == nil
	if !filled {
		if err := os.RemoveAll(data); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(data, "poseidon.db")
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if !filled {
		raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		f, err := newSQLiteFiller(ctx, raw)
		if err != nil {
			t.Fatal(err)
		}
		fill(t, "sqlite", f, sz)
		f.close()
		if err := os.WriteFile(marker, []byte(time.Now().UTC().Format(time.RFC3339)+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	setKeptClock(t, db)
	fmt.Printf("keep: sqlite: --data %s (filled: %v)\n", data, !filled)
}

func keepPostgres(t *testing.T, urlFile, schema string, sz sizes) {
	ctx := t.Context()
	b, err := os.ReadFile(urlFile)
	filled := err == nil
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	url := strings.TrimSpace(string(b))
	if !filled {
		admin := pgtestdb.Admin(t)
		defer admin.Close(context.Background())
		if _, err := admin.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{schema}.Sanitize()+` CASCADE`); err != nil {
			t.Fatal(err)
		}
		if _, err := admin.Exec(ctx, `CREATE SCHEMA `+pgx.Identifier{schema}.Sanitize()); err != nil {
			t.Fatal(err)
		}
		url = pgtestdb.WithSearchPath(t, pgtestdb.ServerURL(), schema)
	}
	db, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if !filled {
		pool, err := pgxpool.New(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer pool.Close()
		fill(t, "postgres", newPGFiller(pool), sz)
		if err := os.WriteFile(urlFile, []byte(url+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	setKeptClock(t, db)
	fmt.Printf("keep: postgres: --database-url %s (filled: %v)\n", url, !filled)
}
