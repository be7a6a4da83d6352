package imports

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// Where an import URL may read from. A task reads only:
//
//   - s3://BUCKET/KEY: a local bucket. With PerAccount (strict mode) the
//     caller's own, Data/buckets/<account>/BUCKET/KEY: another account's
//     bucket is not reachable under any name. Without (open mode, one
//     tenant by nature) the shared Data/buckets/BUCKET/KEY.
//   - file:///PATH: a file under one of AllowDirs (none: file:// is off).
//   - http(s)://HOST:PORT/...: one of Hosts (none: http(s) is off).
//
// Files are opened through os.Root, which resolves every path component
// inside its root: a symbolic link (or "..") that leads out of the bucket
// or the allowed directory is refused while the file is opened, not only
// when the URL is checked. Only regular files are read (no FIFO, device or
// directory). Hard links are out of scope: a tenant cannot create one
// through the API, and a hard link the operator places in a bucket is
// that file.

// errUnreadable is every failure to open a local import file: a missing
// bucket or key, another account's bucket, a link out of the bucket, a
// file that is not a regular file. One message for all, so that the
// answer does not tell whether something exists.
var errUnreadable = errors.New("Access Denied. The object does not exist or you do not have permission to read it.")

// bucketName is what poseidon accepts as a local bucket name: S3's
// characters (and upper case and '_', which older S3 regions allowed).
var bucketName = regexp.MustCompile(`^[A-Za-z0-9._-]{1,255}$`)

// Location is where an import URL points: a file inside a root folder
// (Root and Rel, Rel relative and clean, the bucket chain for s3://), or
// an http(s) URL.
type Location struct {
	// Roots are the folders opened one inside the other, from the outer
	// one: [Data/buckets, account, bucket] in strict mode, [Data/buckets,
	// bucket] in open mode, [allowed dir] for file://. The file may not
	// leave the last one.
	Roots []string
	Rel   string // the file, relative to the last root, slash-separated
	HTTP  string // http(s) URL
}

// Path is the file's path (for messages and tests), or "" for http(s).
func (l *Location) Path() string {
	if len(l.Roots) == 0 {
		return ""
	}
	return filepath.Join(filepath.Join(l.Roots...), filepath.FromSlash(l.Rel))
}

func badURL(raw, why string) error {
	if why != "" {
		return invalid("The importUrl %s is not valid: %s", raw, why)
	}
	return invalid("The importUrl %s is not valid.", raw)
}

// Resolve maps the importUrl of account's task to a Location, or answers
// InvalidParameterValueException.
func (s *Service) Resolve(account, raw string) (*Location, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, badURL(raw, "")
	}
	switch strings.ToLower(u.Scheme) {
	case "s3":
		rel, ok := cleanRel(u.Path)
		if !ok || u.Port() != "" || u.User != nil || !bucketName.MatchString(u.Host) || strings.Trim(u.Host, ".") == "" {
			return nil, badURL(raw, "")
		}
		roots := []string{filepath.Join(s.Data, "buckets")}
		if s.PerAccount {
			if !accountID.MatchString(account) {
				return nil, badURL(raw, "")
			}
			roots = append(roots, account)
		}
		return &Location{Roots: append(roots, u.Host), Rel: rel}, nil
	case "file":
		if len(s.AllowDirs) == 0 {
			return nil, badURL(raw, "file:// import URLs are turned off on this server. Use s3://BUCKET/KEY.")
		}
		if u.Host != "" && u.Host != "localhost" || !path.IsAbs(u.Path) || path.Clean(u.Path) != u.Path || u.User != nil {
			return nil, badURL(raw, "")
		}
		p := filepath.FromSlash(u.Path)
		for _, d := range s.AllowDirs {
			if r, err := filepath.Rel(d, p); err == nil && r != "." && filepath.IsLocal(r) {
				return &Location{Roots: []string{d}, Rel: filepath.ToSlash(r)}, nil
			}
		}
		return nil, badURL(raw, "file:// import URLs must name a file under a directory this server allows.")
	case "http", "https":
		if s.Hosts == nil || len(s.Hosts.names) == 0 {
			return nil, badURL(raw, "http(s):// import URLs are turned off on this server. Use s3://BUCKET/KEY.")
		}
		if u.User != nil || !s.Hosts.allowsURL(u) {
			return nil, badURL(raw, "the host is not one this server may fetch import files from.")
		}
		return &Location{HTTP: raw}, nil
	}
	return nil, badURL(raw, "")
}

var accountID = regexp.MustCompile(`^[0-9]{12}$`)

// cleanRel returns p (a URL path) without its leading slash if it names a
// file inside its root: clean, local, no backslash or NUL.
func cleanRel(p string) (string, bool) {
	rel := strings.TrimPrefix(p, "/")
	if rel == "" || strings.ContainsAny(rel, "\\\x00") {
		return "", false
	}
	rel = path.Clean(rel)
	if !filepath.IsLocal(filepath.FromSlash(rel)) || strings.HasSuffix(p, "/") {
		return "", false
	}
	return rel, true
}

// open opens a task's import file for reading. Local failures are
// errUnreadable; http(s) failures are *fetchError values. Both messages
// are safe to show the tenant: no server path, no file content.
func (s *Service) open(ctx context.Context, t *discovery.ImportTask) (io.ReadCloser, error) {
	loc, err := s.Resolve(t.AccountID, t.URL)
	if err != nil {
		return nil, err
	}
	if loc.HTTP != "" {
		return s.Hosts.get(ctx, loc.HTTP)
	}
	f, err := openInRoots(loc.Roots, loc.Rel)
	if err != nil {
		return nil, errUnreadable
	}
	return f, nil
}

// openInRoots opens rel inside the last of roots, each root opened inside
// the one before it, so that no root and no file is reached through a link
// out of its parent. It returns only a regular file.
func openInRoots(roots []string, rel string) (*os.File, error) {
	r, err := os.OpenRoot(roots[0])
	if err != nil {
		return nil, err
	}
	for _, name := range roots[1:] {
		next, err := r.OpenRoot(name)
		r.Close()
		if err != nil {
			return nil, err
		}
		r = next
	}
	defer r.Close()
	// O_NONBLOCK: opening a FIFO must not wait for a writer (it is then
	// refused as not regular); it changes nothing for a regular file.
	f, err := r.OpenFile(filepath.FromSlash(rel), os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s: %w", rel, fs.ErrPermission)
	}
	return f, nil
}
