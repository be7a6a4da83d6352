package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/poseidon-ads/poseidon/internal/clock"
	"github.com/poseidon-ads/poseidon/internal/imports"
	"github.com/poseidon-ads/poseidon/internal/pagetoken"
	"github.com/poseidon-ads/poseidon/internal/sqlite"
)

// importSources are where import URLs may read from, from the serve flags.
type importSources struct {
	perAccount bool // strict mode: data/buckets/<account>/BUCKET/KEY
	dirs       []string
	hosts      *imports.Hosts
}

// newImports builds the import use-case layer, which serves the import
// operations and runs their tasks (Run); its local buckets live under
// data/buckets/BUCKET/KEY (open mode) or data/buckets/<account>/BUCKET/KEY
// (strict mode), read by s3:// import URLs.
func newImports(db *sqlite.DB, clk *clock.Clock, tokens *pagetoken.Sealer, data string, src importSources) *imports.Service {
	return &imports.Service{Store: db, Now: clk.Now, Tokens: tokens, Data: data, Wake: make(chan struct{}, 1),
		PerAccount: src.perAccount, AllowDirs: src.dirs, Hosts: src.hosts}
}

// importSourcesOf checks the --import-allow-dir and --import-allow-host
// flags. An allowed directory must exist, and may neither hold nor lie
// inside the data directory (the store and every account's files), hold
// the credentials file, or be a kernel file system (/proc, /sys, /dev);
// it is kept with its symbolic links resolved. Host names are resolved
// once, here.
func (c *serveCmd) importSourcesOf(ctx context.Context, strict bool) (importSources, error) {
	src := importSources{perAccount: strict}
	data, err := realPath(c.Data)
	if err != nil {
		return src, err
	}
	guarded := []string{data}
	if c.Credentials != "" {
		creds, err := realPath(c.Credentials)
		if err != nil {
			return src, err
		}
		guarded = append(guarded, creds)
	}
	for _, d := range c.ImportAllowDir {
		p, err := realPath(d)
		if err != nil {
			return src, fmt.Errorf("--import-allow-dir %s: %w", d, err)
		}
		if st, err := os.Stat(p); err != nil || !st.IsDir() {
			return src, fmt.Errorf("--import-allow-dir %s: not a directory", d)
		}
		for _, g := range guarded {
			if within(g, p) || within(p, g) {
				return src, fmt.Errorf("--import-allow-dir %s: overlaps %s, which tenants must not read", d, g)
			}
		}
		for _, k := range []string{"/proc", "/sys", "/dev"} {
			if within(p, k) || within(k, p) {
				return src, fmt.Errorf("--import-allow-dir %s: overlaps %s", d, k)
			}
		}
		src.dirs = append(src.dirs, p)
	}
	if src.hosts, err = imports.NewHosts(ctx, c.ImportAllowHost, nil); err != nil {
		return src, fmt.Errorf("--import-allow-host: %w", err)
	}
	return src, nil
}

// realPath is p made absolute with its symbolic links resolved.
func realPath(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(abs)
}

// within reports whether p is dir or lies inside it.
func within(p, dir string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && (rel == "." || filepath.IsLocal(rel))
}
