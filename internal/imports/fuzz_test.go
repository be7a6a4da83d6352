package imports

import (
	"archive/zip"
	"context"
	"encoding/csv"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// fuzzStore is an in-memory Store that records the rows the runner hands
// it (importRow) and reports the limit as reached for every seventh row,
// so that both paths of the reader are taken.
type fuzzStore struct {
	rows     []*discovery.ImportRow
	finished *discovery.ImportTask
}

func (s *fuzzStore) CreateImportTask(context.Context, *discovery.ImportTask) (*discovery.ImportTask, bool, error) {
	return nil, false, errors.New("unused")
}
func (s *fuzzStore) ImportTaskByToken(context.Context, string, string) (*discovery.ImportTask, error) {
	return nil, errors.New("unused")
}
func (s *fuzzStore) FindImportTasks(context.Context, discovery.ImportTaskQuery) ([]*discovery.ImportTask, error) {
	return nil, errors.New("unused")
}
func (s *fuzzStore) ImportTask(context.Context, string, string) (*discovery.ImportTask, error) {
	return nil, errors.New("unused")
}
func (s *fuzzStore) importRow(_ context.Context, _ *discovery.ImportTask, r *discovery.ImportRow) (*RowResult, error) {
	s.rows = append(s.rows, r)
	return &RowResult{ServerID: "d-server-1", LimitReached: len(s.rows)%7 == 0}, nil
}
func (s *fuzzStore) CountImportRecords(context.Context, string) (int, error) { return 0, nil }
func (s *fuzzStore) FinishImportTask(_ context.Context, _ discovery.Lease, t *discovery.ImportTask) error {
	s.finished = t
	return nil
}
func (s *fuzzStore) ImportTx(context.Context, string, func(discovery.ImportTx) error) error {
	return errors.New("unused")
}

const fuzzTemplate = "ExternalId,CPU.NumberOfProcessors,CPU.NumberOfCores,CPU.NumberOfLogicalCores,OS.Name,OS.Version,VMware.MoRefId,VMware.VCenterId," +
	"VMware.VMName,RAM.TotalSizeInMB,IPAddress,MACAddress,HostName,Applications,ApplicationWave,Tags,ServerId\n"

// FuzzImportCSV runs an arbitrary file through a whole import task: the
// streaming CSV reader, the row validator and the errors zip. Nothing may
// panic or fail (the store never fails here); the task ends in a final
// status; every row handed to the store is valid; a task with failures has
// a readable errors zip.
func FuzzImportCSV(f *testing.F) {
	for _, s := range []string{
		fuzzTemplate + "srv-1,2,4,8,Linux,6.1,vm-1,vc-1,web,8192,\"10.0.0.1, 10.0.0.2\",06-00-00-00-00-01,web-1,\"app1, app2\",wave1,\"env:prod, team:a\",\n",
		fuzzTemplate + ",,,,,,,,,,,,,,,,\n",
		fuzzTemplate + "srv-1,-1,1.5,1e7,,,,,,-3,,,,,,,\n",
		fuzzTemplate + "srv-1,,,,,,vm-1,,,,,,,,,,\n",
		fuzzTemplate + "srv-1,,,,,,,,,NaN,,,,,,,\n",
		fuzzTemplate + "srv-1,,,,,,,,,Inf,,,,,,,\n",
		fuzzTemplate + "srv-1,,,,,,,,,,,,,,,notatag,\n",
		fuzzTemplate + "srv-1,,,,,,,,,,,,,,,\":v\",\n",
		fuzzTemplate + "too,few\n",
		"\ufeffExternalId,HostName\n\"unterminated,x\n",
		"\ufeff ExternalId , HostName \r\na,b\r\n,\r\n",
		"Name,Value\nx,y\n",
		"",
		"\"a\"b\",c\n",
		"HostName\n" + strings.Repeat("h\n", 20),
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	file := filepath.Join(dir, "buckets", "b", "k.csv")
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// Remove, then write: rewriting a file in place makes some file
		// systems flush it on close, which would slow fuzzing tenfold.
		os.Remove(file)
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
		st := &fuzzStore{}
		s := &Service{Store: st, Now: func() time.Time { return time.UnixMilli(1700000000000) }, Data: dir}
		task := &discovery.ImportTask{AccountID: "111111111111", ID: "import-task-0123456789abcdef0123456789abcdef", URL: "s3://b/k.csv", Status: discovery.ImportInProgress}
		zipPath := s.ErrorsZipPath(task.AccountID, task.ID)
		os.Remove(zipPath)
		if err := s.runWith(t.Context(), discovery.Lease{}, task, st.importRow); err != nil {
			t.Fatalf("run: %v", err)
		}
		if st.finished != task {
			t.Fatal("task not finished")
		}
		switch task.Status {
		case discovery.ImportComplete, discovery.ImportCompleteWithErrors, discovery.ImportFailed:
		default:
			t.Fatalf("status %s", task.Status)
		}
		for _, r := range st.rows {
			fuzzCheckRow(t, r)
		}
		stored := len(st.rows) - len(st.rows)/7
		if task.ServerSuccess != stored {
			t.Fatalf("ServerSuccess %d, stored %d rows (%d over the limit)", task.ServerSuccess, stored, len(st.rows)/7)
		}
		if task.Status == discovery.ImportComplete && (task.ServerFailure > 0 || task.HasErrorsZip) {
			t.Fatalf("complete with %d failures", task.ServerFailure)
		}
		if task.HasErrorsZip != (task.Status != discovery.ImportComplete) {
			t.Fatalf("status %s with errors zip %v", task.Status, task.HasErrorsZip)
		}
		if task.HasErrorsZip {
			fuzzCheckZip(t, zipPath)
		}
	})
}

func fuzzCheckRow(t *testing.T, r *discovery.ImportRow) {
	t.Helper()
	if r.ExternalID == "" && len(r.IPs) == 0 && len(r.MACs) == 0 && r.HostName == "" && r.MoRefID == "" && r.ServerID == "" {
		t.Fatalf("row without an identifying field: %+v", r)
	}
	if (r.MoRefID == "") != (r.VCenterID == "") {
		t.Fatalf("row with half a VMware identity: %+v", r)
	}
	for _, n := range []int{r.CPUs, r.Cores, r.Logical} {
		if n < 0 || n > 1e6 {
			t.Fatalf("row with count %d: %+v", n, r)
		}
	}
	if math.IsNaN(r.RAMMB) || math.IsInf(r.RAMMB, 0) || r.RAMMB < 0 {
		t.Fatalf("row with RAM %v: %+v", r.RAMMB, r)
	}
	for _, list := range [][]string{r.IPs, r.MACs, r.Applications} {
		for _, v := range list {
			if v == "" || v != strings.TrimSpace(v) || strings.Contains(v, ",") {
				t.Fatalf("row with list item %q: %+v", v, r)
			}
		}
	}
	for _, tag := range r.Tags {
		if tag[0] == "" || tag[0] != strings.TrimSpace(tag[0]) {
			t.Fatalf("row with tag %q: %+v", tag, r)
		}
	}
}

func fuzzCheckZip(t *testing.T, path string) {
	t.Helper()
	z, err := zip.OpenReader(path)
	if err != nil {
		t.Fatalf("errors zip: %v", err)
	}
	defer z.Close()
	if len(z.File) != 2 || z.File[0].Name != "errors-file.csv" || z.File[1].Name != "failed-entries-file.csv" {
		t.Fatalf("errors zip holds %d files", len(z.File))
	}
	for _, zf := range z.File {
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		cr := csv.NewReader(rc)
		cr.FieldsPerRecord = -1
		recs, err := cr.ReadAll()
		rc.Close()
		if err != nil {
			t.Fatalf("%s is not CSV: %v", zf.Name, err)
		}
		if zf.Name == "errors-file.csv" {
			if len(recs) < 2 || strings.Join(recs[0], ",") != "LineNumber,ColumnName,ExternalId,ErrorMessage" {
				t.Fatalf("errors-file.csv: %q", recs)
			}
			for _, rec := range recs[1:] {
				if len(rec) != 4 || rec[3] == "" {
					t.Fatalf("errors-file.csv record %q", rec)
				}
			}
		}
	}
}

// FuzzResolve checks which files a tenant's import URL may reach, on a real
// file system: account A's strict-mode bucket full of links out (to /proc,
// /etc, the store, account B's bucket, outside the data directory), a FIFO,
// another account's buckets and an allowed file:// directory with links of
// its own. Whatever the URL, Resolve either refuses it with an
// InvalidParameterValueException or the file opened is one A may read
// (they hold "OK"; every other file holds "SECRET"), or the open fails with
// the one unreadable message.
func FuzzResolve(f *testing.F) {
	s, root := tenantTree(f)
	for _, seed := range []string{
		"s3://b/ok.csv", "s3://b/dir/../ok.csv", "s3://b/../c/k.csv", "s3://../x/k", "s3://b%2F..%2F../k", "s3://b/%2e%2e/%2e%2e/k",
		"s3://b/link-out.csv", "s3://b/link-db.csv", "s3://b/link-other.csv", "s3://b/link-cmdline.csv", "s3://b/link-etc/passwd",
		"s3://b/link-up/../poseidon.db", "s3://b/link-proc/environ", "s3://evil/secret.csv", "s3://up/poseidon.db",
		"s3://" + tenantB + "/b/secret.csv", "s3://b/fifo.csv",
		"s3://.../k", "s3://b:80/k", "S3://b/k", "s3:///k", "s3://b/", "s3://b\\..\\x/k",
		"file://" + root + "/allow/ok.csv", "file://" + root + "/allow/link-out.csv", "file://" + root + "/allow/link-sibling/secret.csv",
		"file:///proc/self/cmdline", "file:///etc/passwd", "file://localhost" + root + "/allow/ok.csv",
		"http://127.0.0.1/x", "http://[::1]:80/x", "https://localhost/x", "http://0x7f.1/x", "gopher://127.0.0.1/x", "", "%", "::",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if _, err := s.Resolve(tenantA, raw); err != nil {
			if !isInvalid(err) {
				t.Fatalf("Resolve(%q) error %#v", raw, err)
			}
			return
		}
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		got, err := readURL(ctx, s, tenantA, raw)
		switch {
		case err != nil && !errors.Is(err, errUnreadable):
			t.Fatalf("open(%q): %v", raw, err)
		case strings.Contains(got, "SECRET"):
			t.Fatalf("open(%q) read a file account A may not read: %q", raw, got)
		case err == nil && !strings.HasPrefix(got, "OK"):
			t.Fatalf("open(%q) read %q", raw, got)
		}
	})
}
