package imports

import (
	"archive/zip"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// ErrorsZipPath is where a task's errors-and-failed-entries zip is kept.
func (s *Service) ErrorsZipPath(account, taskID string) string {
	return filepath.Join(s.Data, "imports", filepath.Base(account), filepath.Base(taskID)+".zip")
}

// RunPending runs every in-progress task once. A task that cannot finish
// (a store or file error) ends IMPORT_FAILED, so that it is not retried on
// every tick and does not hold up the tasks behind it; its error is returned,
// joined with the others', once every task has had its turn.
func (s *Service) RunPending(ctx context.Context) (int, error) {
	ts, err := s.Store.PendingImportTasks(ctx, 20)
	if err != nil {
		return 0, err
	}
	var errs []error
	for _, t := range ts {
		err := s.run(ctx, t)
		switch {
		case err == nil, errors.Is(err, discovery.ErrImportTaskGone):
			continue
		case ctx.Err() != nil:
			return 0, ctx.Err() // shutting down: the task runs again after a restart
		}
		t.Status, t.CompletionMS = discovery.ImportFailed, s.Now().UnixMilli()
		if ferr := s.Store.FinishImportTask(ctx, t); ferr != nil && !errors.Is(ferr, discovery.ErrImportTaskGone) {
			return 0, errors.Join(err, ferr)
		}
		errs = append(errs, fmt.Errorf("import task %s failed: %w", t.ID, err))
	}
	return len(ts), errors.Join(errs...)
}

// Run executes pending import tasks until ctx ends.
func (s *Service) Run(ctx context.Context, log *slog.Logger) {
	tk := time.NewTicker(100 * time.Millisecond)
	defer tk.Stop()
	for {
		if _, err := s.RunPending(ctx); err != nil && ctx.Err() == nil {
			log.ErrorContext(ctx, "import", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
		case <-s.Wake:
		}
	}
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

func (s *Service) run(ctx context.Context, t *discovery.ImportTask) error {
	return s.runWith(ctx, t, s.importRow)
}

// runWith runs task t, storing its rows with importRow.
func (s *Service) runWith(ctx context.Context, t *discovery.ImportTask, importRow rowImporter) error {
	var fails []failure
	var header []string
	fatal := ""
	body, err := s.open(ctx, t)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// The reasons open gives are safe to show: no server path, no
		// byte of a file the tenant did not provide.
		fatal = "The import file could not be read: " + err.Error()
	} else {
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
	err = s.Store.FinishImportTask(ctx, t)
	if errors.Is(err, discovery.ErrImportTaskGone) && t.HasErrorsZip {
		// A reset or a deletion took the task while it ran: its zip
		// must not outlive it.
		os.Remove(s.ErrorsZipPath(t.AccountID, t.ID))
	}
	return err
}

func (s *Service) writeZip(t *discovery.ImportTask, header []string, fails []failure) error {
	p := s.ErrorsZipPath(t.AccountID, t.ID)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	f, err := os.Create(p)
	if err != nil {
		return err
	}
	defer f.Close()
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
		row, col, reason := parseRow(header, rec)
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
