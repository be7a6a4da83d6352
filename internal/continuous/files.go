package continuous

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/poseidon-ads/poseidon/internal/agentdata"
	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// DefaultBufferInterval is how long (virtual clock) a bucket buffers agent
// data before it delivers it as Parquet files: Firehose's default buffering
// interval.
const DefaultBufferInterval = 300 * time.Second

// Files delivers continuous export data the way Firehose does: accepted
// reports are buffered per bucket, and once the buffer's interval has passed
// since its first record arrived, its rows are written as one Parquet file
// per table (Key) under Root/<bucket>/. Each file is written whole under a
// temporary name, synced and renamed into place, so a reader never sees a
// half-written file.
//
// The buffer is a file of its own (Spool/<bucket>/<start>-<random>.jsonl, one
// JSON line per report, each appended in one write and synced before intake
// answers), so that data buffered when the process dies is delivered after
// it restarts; a delivery's file names derive from the buffer's, so a
// delivery interrupted after some renames writes the same files again.
type Files struct {
	// Root holds the buckets (unless Objects is set); Spool the buffers.
	Root, Spool string
	// Objects, if not nil, receives the delivered files instead of Root:
	// an S3-compatible store, say.
	Objects Objects
	// Interval is the buffering interval; DefaultBufferInterval if zero.
	Interval time.Duration
	// Now is the virtual clock.
	Now func() time.Time
	Log *slog.Logger

	mu      sync.Mutex        // guards open and the spool's files
	open    map[string]*spool // the buffer each bucket appends to
	deliver sync.Mutex        // one delivery at a time
}

// Objects is a store of buckets and their objects (S3's model) that
// deliveries write to.
type Objects interface {
	// Put writes one whole object; readers see all of it or nothing.
	Put(ctx context.Context, bucket, key string, data []byte) error
	// Get reads one object; ErrNoSuchKey if there is none.
	Get(ctx context.Context, bucket, key string) ([]byte, error)
	// List returns the bucket's objects whose key starts with prefix, in
	// key order (none for a missing bucket).
	List(ctx context.Context, bucket, prefix string) ([]Object, error)
	// RemoveBucket deletes the bucket's objects.
	RemoveBucket(ctx context.Context, bucket string) error
	// RemoveBuckets deletes the objects of every bucket whose name starts
	// with prefix.
	RemoveBuckets(ctx context.Context, prefix string) error
}

// Object describes a stored object.
type Object = discovery.StoredObject

// ErrNoSuchKey is the error of a read of a missing object.
var ErrNoSuchKey = discovery.ErrNotFound

// ObjectStore keeps buckets in the store (PostgreSQL: every replica
// serves every bucket).
type ObjectStore interface {
	// PutContinuousObject writes an object whole, replacing any.
	PutContinuousObject(ctx context.Context, bucket, key string, data []byte, modified time.Time) error
	// ContinuousObject reads an object; discovery.ErrNotFound if none.
	ContinuousObject(ctx context.Context, bucket, key string) ([]byte, error)
	// ListContinuousObjects lists a bucket's objects under prefix, in key
	// order.
	ListContinuousObjects(ctx context.Context, bucket, prefix string) ([]discovery.StoredObject, error)
	// DeleteContinuousObjects deletes the objects of the buckets whose
	// name starts with prefix (exactly bucket prefix if exact).
	DeleteContinuousObjects(ctx context.Context, prefix string, exact bool) error
}

// StoreObjects is Objects over the store, on the virtual clock.
type StoreObjects struct {
	Store ObjectStore
	Now   func() time.Time
}

// Put implements Objects.
func (o StoreObjects) Put(ctx context.Context, bucket, key string, data []byte) error {
	return o.Store.PutContinuousObject(ctx, bucket, key, data, o.Now())
}

// Get implements Objects.
func (o StoreObjects) Get(ctx context.Context, bucket, key string) ([]byte, error) {
	return o.Store.ContinuousObject(ctx, bucket, key)
}

// List implements Objects.
func (o StoreObjects) List(ctx context.Context, bucket, prefix string) ([]Object, error) {
	return o.Store.ListContinuousObjects(ctx, bucket, prefix)
}

// RemoveBucket implements Objects.
func (o StoreObjects) RemoveBucket(ctx context.Context, bucket string) error {
	return o.Store.DeleteContinuousObjects(ctx, bucket, true)
}

// RemoveBuckets implements Objects.
func (o StoreObjects) RemoveBuckets(ctx context.Context, prefix string) error {
	return o.Store.DeleteContinuousObjects(ctx, prefix, false)
}

// Dir is the local bucket store: Root/<bucket>/<key>, each file written
// whole under a hidden temporary name and renamed into place.
type Dir struct{ Root string }

// Put implements Objects.
func (d Dir) Put(_ context.Context, bucket, key string, data []byte) error {
	return writeAtomic(filepath.Join(d.Root, bucket, filepath.FromSlash(key)), data)
}

// Get implements Objects. The key is opened inside the bucket's folder
// (os.Root): no key leads out of it; hidden names (a delivery being
// written) are not objects.
func (d Dir) Get(_ context.Context, bucket, key string) ([]byte, error) {
	if !validName(bucket) || !validKey(key) {
		return nil, ErrNoSuchKey
	}
	root, err := os.OpenRoot(filepath.Join(d.Root, bucket))
	if err != nil {
		return nil, ErrNoSuchKey
	}
	defer root.Close()
	fh, err := root.Open(filepath.FromSlash(key))
	if err != nil {
		return nil, ErrNoSuchKey
	}
	defer fh.Close()
	if st, err := fh.Stat(); err != nil || !st.Mode().IsRegular() {
		return nil, ErrNoSuchKey
	}
	return io.ReadAll(fh)
}

// List implements Objects.
func (d Dir) List(_ context.Context, bucket, prefix string) ([]Object, error) {
	if !validName(bucket) {
		return nil, nil
	}
	dir := filepath.Join(d.Root, bucket)
	var out []Object
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil
			}
			return err
		}
		if e.IsDir() || !e.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if !validKey(key) || !strings.HasPrefix(key, prefix) {
			return nil
		}
		st, err := e.Info()
		if err != nil {
			return nil // removed meanwhile
		}
		out = append(out, Object{Key: key, Size: st.Size(), Modified: st.ModTime().UTC()})
		return nil
	})
	slices.SortFunc(out, func(a, b Object) int { return strings.Compare(a.Key, b.Key) })
	return out, err
}

// validName reports whether a bucket name is one of continuous export's.
func validName(bucket string) bool {
	return strings.HasPrefix(bucket, BucketPrefix) && !strings.ContainsAny(bucket, "/\\") && bucket != "." && bucket != ".."
}

// validKey reports whether key names an object: no empty, "." or ".."
// segment, no hidden segment (a delivery being written), no backslash.
func validKey(key string) bool {
	if key == "" || strings.Contains(key, "\\") {
		return false
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || strings.HasPrefix(seg, ".") {
			return false
		}
	}
	return true
}

// RemoveBucket implements Objects.
func (d Dir) RemoveBucket(_ context.Context, bucket string) error {
	return os.RemoveAll(filepath.Join(d.Root, bucket))
}

// RemoveBuckets implements Objects; Dir holds only continuous export
// buckets, so it removes Root.
func (d Dir) RemoveBuckets(context.Context, string) error {
	return os.RemoveAll(d.Root)
}

func (f *Files) objects() Objects {
	if f.Objects != nil {
		return f.Objects
	}
	return Dir{Root: f.Root}
}

// spool is a buffer being filled.
type spool struct {
	path  string
	start time.Time
}

// spoolLine is a buffered report.
type spoolLine struct {
	Account string            `json:"account"`
	Report  *agentdata.Report `json:"report"`
}

func (f *Files) interval() time.Duration {
	if f.Interval <= 0 {
		return DefaultBufferInterval
	}
	return f.Interval
}

// Key returns the key, in the bucket, of table's file of the buffer that
// started at start: Firehose's default layout under a per-table prefix,
// <table>/YYYY/MM/dd/HH/aws-application-discovery-service-<table>-1-YYYY-MM-dd-HH-mm-ss-<id>.parquet
// (UTC).
func Key(table string, start time.Time, id string) string {
	t := start.UTC()
	return fmt.Sprintf("%s/%s/%s%s-1-%s-%s.parquet", table, t.Format("2006/01/02/15"), BucketPrefix, table, t.Format("2006-01-02-15-04-05"), id)
}

// Append buffers the reports of account for its bucket: one write and one
// fsync. A buffer whose interval has passed is closed first (its delivery
// is left to Deliver), so that a buffer never spans more than an interval.
func (f *Files) Append(account, bucket string, reports []*agentdata.Report) error {
	var b bytes.Buffer
	for _, r := range reports {
		line, err := json.Marshal(spoolLine{account, r})
		if err != nil {
			return err
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	now := f.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.open[bucket]
	if s != nil && !now.Before(s.start.Add(f.interval())) {
		s = nil
	}
	if s == nil {
		// The random part keeps names apart when the virtual clock
		// goes back; a delivery's file names derive from it.
		s = &spool{path: filepath.Join(f.Spool, bucket, fmt.Sprintf("%d-%s.jsonl", now.UnixMilli(), uuid.NewString())), start: now}
		if f.open == nil {
			f.open = map[string]*spool{}
		}
		f.open[bucket] = s
	}
	return appendFile(s.path, b.Bytes())
}

// Deliver writes the buffers whose interval has passed (every buffer of
// bucket, whatever its age, if bucket is not ""), and returns how many it
// delivered.
func (f *Files) Deliver(bucket string) (int, error) {
	f.deliver.Lock()
	defer f.deliver.Unlock()
	now := f.Now()
	due, err := f.due(now, bucket)
	if err != nil {
		return 0, err
	}
	var errs []error
	n := 0
	for _, d := range due {
		if err := f.deliverOne(d.bucket, d.path, d.start); err != nil {
			errs = append(errs, fmt.Errorf("continuous export: delivering %s: %w", d.path, err))
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

type dueSpool struct {
	bucket, path string
	start        time.Time
}

// due closes and returns the buffers to deliver now, oldest first.
func (f *Files) due(now time.Time, only string) ([]dueSpool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	buckets, err := os.ReadDir(f.Spool)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []dueSpool
	for _, bd := range buckets {
		bucket := bd.Name()
		if !bd.IsDir() || (only != "" && bucket != only) {
			continue
		}
		files, err := os.ReadDir(filepath.Join(f.Spool, bucket))
		if err != nil {
			return nil, err
		}
		for _, fe := range files {
			name := fe.Name()
			ms, ok := spoolStart(name)
			if !ok {
				continue
			}
			start := time.UnixMilli(ms).UTC()
			if only == "" && now.Before(start.Add(f.interval())) {
				continue
			}
			path := filepath.Join(f.Spool, bucket, name)
			if s := f.open[bucket]; s != nil && s.path == path {
				delete(f.open, bucket)
			}
			out = append(out, dueSpool{bucket, path, start})
		}
	}
	slices.SortFunc(out, func(a, b dueSpool) int { return a.start.Compare(b.start) })
	return out, nil
}

// spoolStart parses the start time (epoch milliseconds) of a buffer's name.
func spoolStart(name string) (int64, bool) {
	base, ok := strings.CutSuffix(name, ".jsonl")
	if !ok {
		return 0, false
	}
	ms, _, _ := strings.Cut(base, "-")
	v, err := strconv.ParseInt(ms, 10, 64)
	return v, err == nil
}

// deliverOne writes a closed buffer's Parquet files, then removes it.
func (f *Files) deliverOne(bucket, path string, start time.Time) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var rs rows
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var l spoolLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil || l.Report == nil {
			// Only the last line can be torn (a crash in its one write):
			// its intake never answered, and the agent sends it again.
			f.logger().Warn("continuous export: skipping a torn buffer line", "buffer", path, "err", err)
			continue
		}
		rs.add(l.Account, l.Report)
	}
	if err := sc.Err(); err != nil {
		return err
	}
	files, err := rs.encoded()
	if err != nil {
		return err
	}
	for _, table := range Tables {
		data, ok := files[table]
		if !ok {
			continue
		}
		id := uuid.NewSHA1(uuid.NameSpaceURL, []byte(bucket+"/"+filepath.Base(path)+"/"+table)).String()
		if err := f.objects().Put(context.Background(), bucket, Key(table, start, id), data); err != nil {
			return err
		}
	}
	return os.Remove(path)
}

// WriteCatalogue writes the bucket's catalogue: the Athena DDL, the DuckDB
// script and each table's schema file (SchemaFile).
func (f *Files) WriteCatalogue(ctx context.Context, bucket string) error {
	o := f.objects()
	if err := o.Put(ctx, bucket, AthenaDDLKey, []byte(AthenaDDL(bucket))); err != nil {
		return err
	}
	if err := o.Put(ctx, bucket, DuckDBScriptKey, []byte(DuckDBScript())); err != nil {
		return err
	}
	for _, table := range Tables {
		b, err := emptyFile(table)
		if err != nil {
			return err
		}
		if err := o.Put(ctx, bucket, table+"/"+SchemaFile, b); err != nil {
			return err
		}
	}
	return nil
}

// Run delivers due buffers until ctx ends: whenever the virtual clock moves
// (changed) and every second of real time.
func (f *Files) Run(ctx context.Context, changed <-chan struct{}) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		if _, err := f.Deliver(""); err != nil {
			f.logger().ErrorContext(ctx, "continuous export: delivery", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-changed:
		case <-t.C:
		}
	}
}

func (f *Files) logger() *slog.Logger {
	if f.Log == nil {
		return slog.Default()
	}
	return f.Log
}

// appendFile appends b to the file at p (created with its folders if need
// be) in one write, then fsyncs it.
func appendFile(p string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	fh, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	if _, err := fh.Write(b); err != nil {
		fh.Close()
		return err
	}
	if err := fh.Sync(); err != nil {
		fh.Close()
		return err
	}
	return fh.Close()
}

// writeAtomic writes b to p whole: into a hidden temporary file beside it,
// synced, then renamed into place, and the folder synced.
func writeAtomic(p string, b []byte) error {
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(b)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), p)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// RemoveAccount deletes the bucket and the buffers of account (each account
// has one bucket, named by Bucket).
func (f *Files) RemoveAccount(account string) error {
	f.deliver.Lock()
	defer f.deliver.Unlock()
	f.mu.Lock()
	defer f.mu.Unlock()
	bucket := Bucket(account)
	delete(f.open, bucket)
	return errors.Join(os.RemoveAll(filepath.Join(f.Spool, bucket)), f.objects().RemoveBucket(context.Background(), bucket))
}

// RemoveAll deletes every bucket and buffer (the folders themselves: Append
// and the deliveries create what they need).
func (f *Files) RemoveAll() error {
	f.deliver.Lock()
	defer f.deliver.Unlock()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.open = nil
	return errors.Join(os.RemoveAll(f.Spool), f.objects().RemoveBuckets(context.Background(), BucketPrefix))
}
