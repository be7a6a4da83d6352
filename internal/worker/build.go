package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/exportfile"
)

// RowSource streams the rows of export files, in file order, one callback per
// row; the callback gets a reused struct and must not keep it. An error from
// the callback stops the scan and is returned unchanged. Agent series are read
// for timestamps in [from, to], both ends included. sqlite.DB implements it.
type RowSource interface {
	AgentPerfSamples(ctx context.Context, account, agent string, from, to time.Time, fn func(*discovery.PerfSample) error) error
	AgentOSInfo(ctx context.Context, account, agent string, from, to time.Time, fn func(*discovery.OSInfo) error) error
	AgentNICs(ctx context.Context, account, agent string, from, to time.Time, fn func(*discovery.NICSample) error) error
	AgentProcesses(ctx context.Context, account, agent string, from, to time.Time, fn func(*discovery.ProcessSample) error) error
	// AgentConnections reads one direction: discovery.Outbound or discovery.Inbound.
	AgentConnections(ctx context.Context, account, agent, direction string, from, to time.Time, fn func(*discovery.ConnectionSample) error) error

	ExportApplications(ctx context.Context, account string, fn func(*discovery.Application) error) error
	ExportApplicationServers(ctx context.Context, account string, fn func(*discovery.ApplicationServer) error) error
	// ExportServerRows, ExportServerPerformance and ExportVMwareServers
	// stream the servers by configuration ID with only the fields of
	// Server.csv, SystemPerformance.csv and VMwareInfo.csv filled (the last
	// only the servers with a VMware identity).
	ExportServerRows(ctx context.Context, account string, fn func(*discovery.Server) error) error
	ExportServerPerformance(ctx context.Context, account string, fn func(*discovery.Server) error) error
	ExportVMwareServers(ctx context.Context, account string, fn func(*discovery.Server) error) error
	// EC2Servers streams the servers an EC2 recommendations export sizes,
	// by configuration ID, each with its agent's samples.
	EC2Servers(ctx context.Context, account string, fn func(*discovery.EC2Server) error) error
	ExportServerNICs(ctx context.Context, account string, fn func(*discovery.ServerNIC) error) error
	ExportServerTags(ctx context.Context, account string, fn func(*discovery.ServerTag) error) error
	ExportImportTemplateRows(ctx context.Context, account string, fn func(*discovery.ImportTemplateRow) error) error
}

// DefaultMaxExportBytes is the size limit of an agent export's CSV files
// (uncompressed) when Worker.MaxExportBytes is zero.
const DefaultMaxExportBytes int64 = 1 << 30

func (w *Worker) maxExportBytes() int64 {
	if w.MaxExportBytes > 0 {
		return w.MaxExportBytes
	}
	return DefaultMaxExportBytes
}

// build renders the task's archive, showing its progress through p, and
// returns the outcome to record.
func (w *Worker) build(ctx context.Context, t *discovery.ExportTask, p *progress) discovery.ExportResult {
	log := w.log().With("exportId", t.ID)
	p.start(ctx)
	switch t.Kind {
	case discovery.KindAgent:
		agent, err := w.Store.GetAgent(ctx, t.AccountID, t.AgentID)
		if errors.Is(err, discovery.ErrNotFound) {
			return failed(fmt.Sprintf("Export failed: agent %s was not found in this account. Check the agent ID with DescribeAgents.", t.AgentID))
		}
		if err != nil {
			log.ErrorContext(ctx, "get agent", "err", err)
			return failed("Export failed: an internal error occurred while reading the agent's data.")
		}
		return w.buildAgent(ctx, t, resolveWindow(t, agent, w.Now()), p)
	case discovery.KindEC2:
		return w.buildEC2(ctx, t, p)
	default:
		size, err := w.Files.Write(ctx, t.AccountID, t.ID, func(out io.Writer) error { return w.writeSummary(ctx, out, t, p) })
		if err != nil {
			return w.writeFailed(ctx, log, err)
		}
		return discovery.ExportResult{Status: discovery.ExportSucceeded, Message: discovery.SucceededMessage, FileSize: size}
	}
}

func failed(msg string) discovery.ExportResult {
	return discovery.ExportResult{Status: discovery.ExportFailed, Message: msg}
}

// Window is the span of agent data an export holds: rows with Start <= ts <= End.
type Window struct {
	Start, End time.Time
	Truncated  bool
}

// resolveWindow applies DECISIONS.md: a missing startTime means the agent's
// first data, a missing endTime its latest data (or now, if it has none), and
// a window longer than 72 hours keeps its first 72 hours and is truncated.
func resolveWindow(t *discovery.ExportTask, a *discovery.Agent, now time.Time) Window {
	var w Window
	switch {
	case t.RequestedEnd != nil:
		w.End = *t.RequestedEnd
	case !a.LastData.IsZero():
		w.End = a.LastData
	default:
		w.End = now
	}
	switch {
	case t.RequestedStart != nil:
		w.Start = *t.RequestedStart
	case !a.FirstData.IsZero():
		w.Start = a.FirstData
	default:
		w.Start = w.End.Add(-discovery.MaxAgentWindow)
	}
	if w.End.Sub(w.Start) > discovery.MaxAgentWindow {
		w.End = w.Start.Add(discovery.MaxAgentWindow)
		w.Truncated = true
	}
	return w
}

// overflow stops an agent export whose next row would pass the size limit.
type overflow struct{}

func (overflow) Error() string { return "export size limit reached" }

// agentStats describes the rows an agent export wrote.
type agentStats struct {
	first, last time.Time // of the data rows written; zero if none
	files       int       // CSV files with at least one data row
	dataBytes   int64     // data rows only
	csvBytes    int64     // uncompressed, headers included
}

func (s *agentStats) note(ts time.Time) {
	if s.first.IsZero() || ts.Before(s.first) {
		s.first = ts
	}
	if ts.After(s.last) {
		s.last = ts
	}
}

// agentHeaderBytes is the size of the agent files' header rows.
var agentHeaderBytes = func() int64 {
	var n int64
	for _, l := range exportfile.AgentLayouts {
		n += int64(len(exportfile.AppendRow(nil, l.Header)))
	}
	return n
}()

// buildAgent writes an agent export: the six CSV files with the agent's rows
// in the window, then results.json.
//
// The size limit cuts every file at the same report time, so that the archive
// holds exactly the rows up to ActualEndTime and a follow-up export can start
// there. The common case is a single pass. When a row would pass the limit,
// the partial archive is dropped, one sizing pass adds up the bytes of each
// report time over all files (memory grows with the number of report times in
// the window, not with rows), and the archive is written again up to the last
// report time that fits.
func (w *Worker) buildAgent(ctx context.Context, t *discovery.ExportTask, win Window, p *progress) discovery.ExportResult {
	budget := w.maxExportBytes() - agentHeaderBytes // for data rows
	end, sized := win.End, false
	const attempts = 3 // a report arriving between passes can make a cut too late once more
	for attempt := 1; ; attempt++ {
		p.restart()
		var st agentStats
		size, err := w.Files.Write(ctx, t.AccountID, t.ID, func(out io.Writer) error {
			return w.writeAgent(ctx, out, t, win, end, win.Truncated || sized, budget, &st, p)
		})
		if errors.As(err, new(overflow)) && attempt < attempts {
			if end, err = w.cutAgent(ctx, t, win, budget); err == nil {
				sized = true
				continue
			}
		}
		if err != nil {
			return w.writeFailed(ctx, w.log().With("exportId", t.ID), err)
		}
		return discovery.ExportResult{Status: discovery.ExportSucceeded, Message: discovery.SucceededMessage,
			IsTruncated: win.Truncated || sized, FileSize: size}
	}
}

// cutAgent returns the last report time whose rows, with all earlier ones,
// fit in budget bytes (before win.Start if none does).
func (w *Worker) cutAgent(ctx context.Context, t *discovery.ExportTask, win Window, budget int64) (time.Time, error) {
	sizes := map[int64]int64{} // report time (ms) → bytes of its rows in all files
	for _, l := range exportfile.AgentLayouts {
		err := w.agentRows(ctx, l.Name, t.AccountID, t.AgentID, win.Start, win.End, func(ts time.Time, line []byte) error {
			sizes[ts.UnixMilli()] += int64(len(line))
			return nil
		})
		if err != nil {
			return time.Time{}, err
		}
	}
	times := slices.Sorted(maps.Keys(sizes))
	cut := win.Start.Add(-time.Millisecond)
	var used int64
	for _, ts := range times {
		if used+sizes[ts] > budget {
			break
		}
		used += sizes[ts]
		cut = time.UnixMilli(ts).UTC()
	}
	return cut, nil
}

// writeAgent writes the archive of an agent export with the rows of
// [win.Start, end]. It stops with overflow when a data row would pass budget.
func (w *Worker) writeAgent(ctx context.Context, out io.Writer, t *discovery.ExportTask, win Window, end time.Time, truncated bool, budget int64, st *agentStats, p *progress) error {
	a := exportfile.NewArchive(out, t.AccountID, t.RequestTime)
	for _, l := range exportfile.AgentLayouts {
		_, rows, err := a.CSV(l, func(cw *exportfile.CSVWriter) error {
			emit := func(ts time.Time, line []byte) error {
				n := int64(len(line))
				if st.dataBytes+n > budget {
					return overflow{}
				}
				if err := cw.WriteLine(line); err != nil {
					return err
				}
				st.dataBytes += n
				st.note(ts)
				return nil
			}
			return w.agentRows(ctx, l.Name, t.AccountID, t.AgentID, win.Start, end, emit)
		})
		if err != nil {
			return err
		}
		if rows > 0 {
			st.files++
		}
		p.fileDone(ctx)
	}
	st.csvBytes = a.CSVBytes()
	if err := a.Member("results.json", resultsJSON(t, truncated, st)); err != nil {
		return err
	}
	p.fileDone(ctx)
	return a.Close()
}

// agentRows streams the rows of one agent file to emit, oldest first, each
// as its CSV line (valid until the next row).
func (w *Worker) agentRows(ctx context.Context, file, account, agent string, from, to time.Time, emit func(time.Time, []byte) error) error {
	q := w.Store
	var l exportfile.Line
	switch file {
	case "destinationProcessConnection", "sourceProcessConnection":
		dir := discovery.Inbound
		if file == "sourceProcessConnection" {
			dir = discovery.Outbound
		}
		return q.AgentConnections(ctx, account, agent, dir, from, to, func(r *discovery.ConnectionSample) error {
			return emit(r.Time, l.ConnectionSample(account, r))
		})
	case "networkInterface":
		return q.AgentNICs(ctx, account, agent, from, to, func(r *discovery.NICSample) error {
			return emit(r.Time, l.NICSample(account, r))
		})
	case "osInfo":
		return q.AgentOSInfo(ctx, account, agent, from, to, func(r *discovery.OSInfo) error {
			return emit(r.Time, l.OSInfo(account, r))
		})
	case "process":
		return q.AgentProcesses(ctx, account, agent, from, to, func(r *discovery.ProcessSample) error {
			return emit(r.Time, l.ProcessSample(account, r))
		})
	case "systemPerformance":
		return q.AgentPerfSamples(ctx, account, agent, from, to, func(r *discovery.PerfSample) error {
			return emit(r.Time, l.PerfSample(account, r))
		})
	}
	return fmt.Errorf("no rows for agent file %q", file)
}

// resultsJSON is the agent export's {account}_results.json, with the keys
// that readers of real exports use (ads-spec §5.2), in that order.
func resultsJSON(t *discovery.ExportTask, truncated bool, st *agentStats) []byte {
	type filter struct {
		Name      string   `json:"Name"`
		Values    []string `json:"Values"`
		Condition string   `json:"Condition"`
	}
	type summary struct {
		IsTruncated     bool   `json:"isTruncated"`
		ActualStartTime string `json:"ActualStartTime,omitempty"`
		ActualEndTime   string `json:"ActualEndTime,omitempty"`
	}
	type results struct {
		CustomerAccount        string   `json:"CustomerAccount"`
		ExportID               string   `json:"ExportId"`
		RequestedFilters       []filter `json:"RequestedFilters"`
		RequestedStartTime     *string  `json:"RequestedStartTime"`
		RequestedEndTime       *string  `json:"RequestedEndTime"`
		ResultFilesGenerated   int      `json:"ResultFilesGenerated"`
		TotalSizeOfResultFiles int64    `json:"TotalSizeOfResultFiles"`
		ExportStartedAt        string   `json:"ExportStartedAt"`
		ExportStatus           string   `json:"ExportStatus"`
		StatusMessage          string   `json:"StatusMessage"`
		ExportSummary          summary  `json:"ExportSummary"`
	}
	opt := func(p *time.Time) *string {
		if p == nil {
			return nil
		}
		s := p.UTC().Format(exportfile.ResultsTimeLayout)
		return &s
	}
	r := results{
		CustomerAccount:        t.AccountID,
		ExportID:               t.ID,
		RequestedFilters:       []filter{{Name: "agentIds", Values: []string{t.AgentID}, Condition: "EQUALS"}},
		RequestedStartTime:     opt(t.RequestedStart),
		RequestedEndTime:       opt(t.RequestedEnd),
		ResultFilesGenerated:   st.files,
		TotalSizeOfResultFiles: st.csvBytes,
		ExportStartedAt:        t.RequestTime.UTC().Format(exportfile.ResultsTimeLayout),
		ExportStatus:           string(discovery.ExportSucceeded),
		StatusMessage:          discovery.SucceededMessage,
		ExportSummary:          summary{IsTruncated: truncated},
	}
	if !st.first.IsZero() {
		r.ExportSummary.ActualStartTime = st.first.UTC().Format(exportfile.ResultsTimeLayout)
		r.ExportSummary.ActualEndTime = st.last.UTC().Format(exportfile.ResultsTimeLayout)
	}
	body, _ := json.MarshalIndent(r, "", "  ")
	return body
}

// writeSummary writes a summary export: the eight inventory files, each in
// configuration ID order.
func (w *Worker) writeSummary(ctx context.Context, out io.Writer, t *discovery.ExportTask, p *progress) error {
	a := exportfile.NewArchive(out, t.AccountID, t.RequestTime)
	if err := w.summaryFiles(ctx, a, t, p); err != nil {
		return err
	}
	return a.Close()
}

// summaryFiles writes the eight summary files into a, reporting progress
// after each one.
func (w *Worker) summaryFiles(ctx context.Context, a *exportfile.Archive, t *discovery.ExportTask, p *progress) error {
	for _, l := range exportfile.SummaryLayouts {
		if _, _, err := a.CSV(l, func(cw *exportfile.CSVWriter) error {
			return w.summaryRows(ctx, l.Name, t.AccountID, cw.Write)
		}); err != nil {
			return err
		}
		p.fileDone(ctx)
	}
	return nil
}

// summaryRows streams the rows of one summary file to emit.
func (w *Worker) summaryRows(ctx context.Context, file, account string, emit func([]string) error) error {
	q := w.Store
	rec := make([]string, 0, 40)
	switch file {
	case "Application":
		return q.ExportApplications(ctx, account, func(r *discovery.Application) error { rec = exportfile.ApplicationRecord(r, rec); return emit(rec) })
	case "ApplicationResourceAssociation":
		return q.ExportApplicationServers(ctx, account, func(r *discovery.ApplicationServer) error {
			rec = exportfile.ApplicationServerRecord(r, rec)
			return emit(rec)
		})
	case "ImportTemplate":
		return q.ExportImportTemplateRows(ctx, account, func(r *discovery.ImportTemplateRow) error {
			rec = exportfile.ImportTemplateRecord(r, rec)
			return emit(rec)
		})
	case "NetworkInterface":
		return q.ExportServerNICs(ctx, account, func(r *discovery.ServerNIC) error { rec = exportfile.ServerNICRecord(r, rec); return emit(rec) })
	case "Server":
		return q.ExportServerRows(ctx, account, func(r *discovery.Server) error { rec = exportfile.ServerRecord(r, rec); return emit(rec) })
	case "SystemPerformance":
		return q.ExportServerPerformance(ctx, account, func(r *discovery.Server) error { rec = exportfile.PerformanceRecord(r, rec); return emit(rec) })
	case "Tags":
		return q.ExportServerTags(ctx, account, func(r *discovery.ServerTag) error { rec = exportfile.ServerTagRecord(r, rec); return emit(rec) })
	case "VMwareInfo":
		return q.ExportVMwareServers(ctx, account, func(r *discovery.Server) error { rec = exportfile.VMwareRecord(r, rec); return emit(rec) })
	}
	return fmt.Errorf("no rows for summary file %q", file)
}

// exportFiles is how many files an export of the kind holds: the eight
// summary files; the six agent files and results.json; the one EC2
// recommendations file.
func exportFiles(k discovery.ExportKind) int {
	switch k {
	case discovery.KindAgent:
		return len(exportfile.AgentLayouts) + 1
	case discovery.KindEC2:
		return 1
	}
	return len(exportfile.SummaryLayouts)
}
