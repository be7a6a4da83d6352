package imports

import (
	"archive/zip"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/queue"
)

// ErrorsZipPath is where a task's errors-and-failed-entries zip is kept.
func (s *Service) ErrorsZipPath(account, taskID string) string {
	return filepath.Join(s.Data, "imports", filepath.Base(account), filepath.Base(taskID)+".zip")
}

var _ queue.Handler = (*Service)(nil)

// Handle runs the import task of an import job, under its lease. A task no
// longer in progress (finished by an earlier owner of the job, deleted, or
// reset) is left as it is. ctx ending (shutdown, lost lease) stops it; it
// runs again from its start then. A task that cannot finish (a store or
// file error) ends IMPORT_FAILED with the counts so far, so that it is not
// run again and again; only if even that cannot be recorded does the
// attempt fail, for the queue to try again.
func (s *Service) Handle(ctx context.Context, j *discovery.Job) error {
	t, err := s.Store.ImportTask(ctx, j.Account, j.Ref)
	if errors.Is(err, discovery.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if t.Status != discovery.ImportInProgress {
		return nil
	}
	err = s.run(ctx, j.Lease(), t)
	switch {
	case err == nil, errors.Is(err, discovery.ErrImportTaskGone):
		return nil
	case ctx.Err() != nil, errors.Is(err, discovery.ErrLeaseLost):
		return err
	}
	t.Status, t.CompletionMS = discovery.ImportFailed, s.Now().UnixMilli()
	ferr := s.Store.FinishImportTask(ctx, j.Lease(), t)
	if ferr != nil && !errors.Is(ferr, discovery.ErrImportTaskGone) {
		return errors.Join(err, ferr)
	}
	if s.Log != nil {
		s.Log.ErrorContext(ctx, "import task failed", "accountId", t.AccountID, "importTaskId", t.ID, "err", err)
	}
	return nil
}

// GiveUp removes the errors zip an attempt may have left; the task ends
// IMPORT_FAILED.
func (s *Service) GiveUp(_ context.Context, j *discovery.Job, cause error) string {
	os.Remove(s.ErrorsZipPath(j.Account, j.Ref))
	if errors.Is(cause, queue.ErrInterrupted) {
		return "the server stopped while running the import too many times"
	}
	return "the import could not finish: " + cause.Error()
}

type failure struct {
	line   int
	column string
	record []string
	reason string
}

// rowImporter stores one valid row of task t; process hands it each row
// that passes parseRow.
type rowImporter func(ctx context.Context, t *discovery.ImportTask, row *discovery.ImportRow) (*RowResult, error)

func (s *Service) run(ctx context.Context, l discovery.Lease, t *discovery.ImportTask) error {
	return s.runWith(ctx, l, t, s.importRow)
}

// runWith runs task t, storing its rows with importRow, and records its
// outcome under the lease l of its job.
func (s *Service) runWith(ctx context.Context, l discovery.Lease, t *discovery.ImportTask, importRow rowImporter) error {
	var fails []failure
	var header []string
	fatal := ""
	var injected bool
	if s.Faults != nil {
		reason, fail, err := s.Faults.ImportFailure(ctx, t.AccountID, t.ID)
		if err != nil {
			return fmt.Errorf("read injected faults: %w", err)
		}
		fatal, injected = reason, fail
	}
	var body io.ReadCloser
	var err error
	if !injected {
		body, err = s.open(ctx, t)
	}
	switch {
	case injected:
		// The file is not read: the task fails as one that cannot be.
	case err != nil:
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// The reasons open gives are safe to show: no server path, no
		// byte of a file the tenant did not provide.
		fatal = "The import file could not be read: " + err.Error()
	default:
		defer body.Close()
		header, fails, fatal, err = s.process(ctx, t, io.LimitReader(body, 10<<20+1), importRow)
		if err != nil {
			return err
		}
	}
	t.CompletionMS = s.Now().UnixMilli()
	switch {
	case fatal != "" || (t.ServerSuccess == 0 && len(fails) > 0):
		t.Status = discovery.ImportFailed
	case len(fails) > 0:
		t.Status = discovery.ImportCompleteWithErrors
	default:
		t.Status = discovery.ImportComplete
	}
	if fatal != "" {
		fails = append(fails, failure{reason: fatal})
	}
	if len(fails) > 0 {
		if err := s.writeZip(t, header, fails); err != nil {
			return err
		}
		t.HasErrorsZip = true
	}
	err = s.Store.FinishImportTask(ctx, l, t)
	if errors.Is(err, discovery.ErrImportTaskGone) && t.HasErrorsZip {
		// A reset or a deletion took the task while it ran: its zip
		// must not outlive it.
		os.Remove(s.ErrorsZipPath(t.AccountID, t.ID))
	}
	return err
}

// writeZip writes the task's errors zip to a temporary file and renames it
// into place, so that a reader never sees a part of it (also while an owner
// that lost the task's job still writes its own).
func (s *Service) writeZip(t *discovery.ImportTask, header []string, fails []failure) error {
	p := s.ErrorsZipPath(t.AccountID, t.ID)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(p), "."+filepath.Base(p)+"-*.tmp")
	if err != nil {
		return err
	}
	defer f.Close()
	if err := writeZipTo(f, header, fails); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), p); err != nil {
		os.Remove(f.Name())
		return err
	}
	return nil
}

func writeZipTo(f *os.File, header []string, fails []failure) error {
	z := zip.NewWriter(f)
	w, err := z.Create("errors-file.csv")
	if err != nil {
		return err
	}
	c := csv.NewWriter(w)
	_ = c.Write([]string{"LineNumber", "ColumnName", "ExternalId", "ErrorMessage"})
	for _, fl := range fails {
		ext := ""
		if i := indexOf(header, "ExternalId"); i >= 0 && i < len(fl.record) {
			ext = fl.record[i]
		}
		line := ""
		if fl.line > 0 {
			line = strconv.Itoa(fl.line)
		}
		_ = c.Write([]string{line, fl.column, ext, fl.reason})
	}
	c.Flush()
	w, err = z.Create("failed-entries-file.csv")
	if err != nil {
		return err
	}
	c = csv.NewWriter(w)
	if header != nil {
		_ = c.Write(append(append([]string{}, header...), "ErrorReason"))
	}
	for _, fl := range fails {
		if fl.record != nil {
			rec := append([]string{}, fl.record...)
			for len(rec) < len(header) {
				rec = append(rec, "")
			}
			_ = c.Write(append(rec[:len(header)], fl.reason))
		}
	}
	c.Flush()
	if err := z.Close(); err != nil {
		return err
	}
	return f.Close()
}

func indexOf(h []string, name string) int {
	for i, v := range h {
		if v == name {
			return i
		}
	}
	return -1
}

// process streams the CSV; fatal is a whole-file failure reason.
func (s *Service) process(ctx context.Context, t *discovery.ImportTask, r io.Reader, importRow rowImporter) ([]string, []failure, string, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, nil, "The import file is not a valid CSV file: " + err.Error(), nil
	}
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff")
	}
	for i := range header {
		header[i] = strings.TrimSpace(header[i])
	}
	if indexOf(header, "ExternalId") < 0 && indexOf(header, "IPAddress") < 0 && indexOf(header, "HostName") < 0 &&
		indexOf(header, "MACAddress") < 0 && indexOf(header, "VMware.MoRefId") < 0 {
		return header, nil, "The import file has no identifying column of the import template.", nil
	}
	used, err := s.Store.CountImportRecords(ctx, t.AccountID)
	if err != nil {
		return nil, nil, "", err
	}
	var fails []failure
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) && pe.Err == csv.ErrFieldCount {
				continue
			}
			return header, fails, fmt.Sprintf("The import file is not a valid CSV file at line %d: %v", line, err), nil
		}
		if len(rec) != len(header) {
			fails = append(fails, failure{line, "", rec, fmt.Sprintf("The record has %d fields; the header has %d.", len(rec), len(header))})
			t.ServerFailure++
			continue
		}
		col, reason := unstorableField(header, rec)
		var row *discovery.ImportRow
		if reason == "" {
			row, col, reason = parseRow(header, rec)
		}
		if reason == "" && used >= discovery.MaxImportRecords {
			reason = fmt.Sprintf("The account already holds %d imported records (limit).", discovery.MaxImportRecords)
		}
		if reason != "" {
			fails = append(fails, failure{line, col, rec, reason})
			t.ServerFailure++
			continue
		}
		res, err := importRow(ctx, t, row)
		if err != nil {
			return nil, nil, "", err
		}
		if res.LimitReached {
			fails = append(fails, failure{line, "", rec, fmt.Sprintf("The account already holds %d imported servers (limit).", discovery.MaxImportServers)})
			t.ServerFailure++
			continue
		}
		used++
		t.ServerSuccess++
		t.AppSuccess += res.AppsCreated
	}
	return header, fails, "", nil
}

// unstorableField returns the column and the reason of the first field of
// rec no store can hold as text (a NUL character, or bytes that are not
// UTF-8: PostgreSQL refuses both), or "", "".
func unstorableField(header, rec []string) (string, string) {
	for i, f := range rec {
		if strings.ContainsRune(f, 0) || !utf8.ValidString(f) {
			return header[i], fmt.Sprintf("The value of %s holds a NUL character or bytes that are not UTF-8.", header[i])
		}
	}
	return "", ""
}

func splitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func parseRow(header, rec []string) (*discovery.ImportRow, string, string) {
	r := &discovery.ImportRow{}
	get := func(name string) string {
		if i := indexOf(header, name); i >= 0 {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	num := func(name string, dst *int) string {
		v := get(name)
		if v == "" {
			return ""
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || f > 1e6 || f != float64(int(f)) {
			return fmt.Sprintf("The value %q of %s is not a valid non-negative integer.", v, name)
		}
		*dst = int(f)
		return ""
	}
	r.ExternalID, r.HostName = get("ExternalId"), get("HostName")
	r.OSName, r.OSVersion, r.VMName = get("OS.Name"), get("OS.Version"), get("VMware.VMName")
	r.MoRefID, r.VCenterID, r.ServerID = get("VMware.MoRefId"), get("VMware.VCenterId"), get("ServerId")
	r.IPs, r.MACs = splitList(get("IPAddress")), splitList(get("MACAddress"))
	for i, m := range r.MACs {
		r.MACs[i] = strings.ToLower(strings.ReplaceAll(m, "-", ":"))
	}
	if (r.MoRefID == "") != (r.VCenterID == "") {
		return nil, "VMware.MoRefId", "VMware.MoRefId and VMware.VCenterId must be given together."
	}
	if r.ExternalID == "" && len(r.IPs) == 0 && len(r.MACs) == 0 && r.HostName == "" && r.MoRefID == "" && r.ServerID == "" {
		return nil, "", "The record has none of the identifying fields (ExternalId, IPAddress, MACAddress, HostName, VMware.MoRefId and VMware.VCenterId)."
	}
	for _, c := range []struct {
		n string
		d *int
	}{{"CPU.NumberOfProcessors", &r.CPUs}, {"CPU.NumberOfCores", &r.Cores}, {"CPU.NumberOfLogicalCores", &r.Logical}} {
		if m := num(c.n, c.d); m != "" {
			return nil, c.n, m
		}
	}
	if v := get("RAM.TotalSizeInMB"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || !(f >= 0) || math.IsInf(f, 0) {
			return nil, "RAM.TotalSizeInMB", fmt.Sprintf("The value %q of RAM.TotalSizeInMB is not a valid non-negative number.", v)
		}
		r.RAMMB = f
	}
	r.Applications, r.Wave = splitList(get("Applications")), get("ApplicationWave")
	for _, p := range splitList(get("Tags")) {
		k, v, ok := strings.Cut(p, ":")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, "Tags", fmt.Sprintf("The tag %q is not a name:value pair.", p)
		}
		r.Tags = append(r.Tags, [2]string{strings.TrimSpace(k), strings.TrimSpace(v)})
	}
	return r, "", ""
}
