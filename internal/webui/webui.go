// Package webui holds the web console's files, embedded in the binary: its
// pages and scripts (plain ES modules, no build step) and the browser
// libraries vendored from npm (assets/vendor, refreshed by vendor.sh at the
// versions of package-lock.json). See docs/console.md.
package webui

import (
	"embed"
	"io/fs"
)

//go:embed assets
var files embed.FS

// Files returns the console's files, index.html at the root.
func Files() fs.FS {
	sub, err := fs.Sub(files, "assets")
	if err != nil {
		panic(err) // "assets" is embedded above
	}
	return sub
}
