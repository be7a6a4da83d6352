package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	ads "github.com/aws/aws-sdk-go/service/applicationdiscoveryservice"
	"github.com/schollz/progressbar/v3"
)

// exportCmd runs an export as a client of the ADS API would: StartExportTask,
// DescribeExportTasks until it ends, then the download, unzipped.
type exportCmd struct {
	awsFlags
	Filters     []string      `sep:"none" placeholder:"FILTER" help:"An export filter, repeatable: name=agentIds,values=ID[,ID...],condition=EQUALS (the AWS CLI's shorthand) or JSON ([{\"name\":\"agentIds\",\"values\":[\"ID\"],\"condition\":\"EQUALS\"}])."`
	StartTime   string        `placeholder:"TIME" help:"Start of the agent data exported: RFC 3339 or epoch seconds."`
	EndTime     string        `placeholder:"TIME" help:"End of the agent data exported: RFC 3339 or epoch seconds."`
	Preferences string        `placeholder:"JSON" help:"Export preferences as JSON, e.g. {\"ec2RecommendationsPreferences\":{\"enabled\":true}}."`
	Output      string        `short:"o" placeholder:"DIR" help:"Directory to unzip the export into (default: the export ID, export-UUID), created if missing."`
	Poll        time.Duration `default:"1s" help:"Time between two DescribeExportTasks calls."`
	Timeout     time.Duration `default:"30m" help:"Give up waiting after this long."`
	Quiet       bool          `short:"q" help:"No progress display."`
}

func (c *exportCmd) Run(ctx context.Context, stdout io.Writer, g *globals) error {
	in, err := c.input()
	if err != nil {
		return err
	}
	if c.Poll <= 0 || c.Timeout <= 0 {
		return errors.New("--poll and --timeout must be positive")
	}
	svc, ep, err := c.adsClient()
	if err != nil {
		return err
	}
	started, err := svc.StartExportTaskWithContext(ctx, in)
	if err != nil {
		return fmt.Errorf("StartExportTask at %s: %w", ep.URL, err)
	}
	id := aws.StringValue(started.ExportId)
	info, err := c.wait(ctx, svc, id, g.stderr)
	if err != nil {
		return err
	}
	if s := aws.StringValue(info.ExportStatus); s != ads.ExportStatusSucceeded {
		return fmt.Errorf("%s %s: %s", id, s, aws.StringValue(info.StatusMessage))
	}
	dir := c.Output
	if dir == "" {
		dir = id // export-UUID
		if !strings.HasPrefix(dir, "export-") {
			dir = "export-" + dir
		}
	}
	names, err := fetchExport(ctx, aws.StringValue(info.ConfigurationsDownloadUrl), dir)
	if err != nil {
		return fmt.Errorf("%s: %w", id, err)
	}
	for _, n := range names {
		fmt.Fprintln(stdout, filepath.Join(dir, n))
	}
	note := ""
	if aws.BoolValue(info.IsTruncated) {
		note = " (truncated: the export reached the server's size limit)"
	}
	fmt.Fprintf(g.stderr, "%s SUCCEEDED: %d files in %s%s\n", id, len(names), dir, note)
	return nil
}

// input is StartExportTask's input from the flags.
func (c *exportCmd) input() (*ads.StartExportTaskInput, error) {
	in := &ads.StartExportTaskInput{}
	for _, f := range c.Filters {
		fs, err := parseFilter(f)
		if err != nil {
			return nil, fmt.Errorf("--filters %s: %w", f, err)
		}
		in.Filters = append(in.Filters, fs...)
	}
	for _, t := range []struct {
		flag, v string
		to      **time.Time
	}{{"--start-time", c.StartTime, &in.StartTime}, {"--end-time", c.EndTime, &in.EndTime}} {
		if t.v == "" {
			continue
		}
		tm, err := parseTime(t.v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t.flag, err)
		}
		*t.to = &tm
	}
	if c.Preferences != "" {
		var p ads.ExportPreferences
		dec := json.NewDecoder(strings.NewReader(c.Preferences))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil {
			return nil, fmt.Errorf("--preferences: %w", err)
		}
		in.Preferences = &p
	}
	return in, nil
}

// parseFilter reads one --filters value: JSON (a filter or a list of them,
// as the AWS CLI takes) or the shorthand name=N,values=V1,V2,condition=C.
func parseFilter(v string) ([]*ads.ExportFilter, error) {
	v = strings.TrimSpace(v)
	if strings.HasPrefix(v, "[") || strings.HasPrefix(v, "{") {
		if !strings.HasPrefix(v, "[") {
			v = "[" + v + "]"
		}
		var out []*ads.ExportFilter
		dec := json.NewDecoder(strings.NewReader(v))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&out); err != nil {
			return nil, err
		}
		return out, nil
	}
	f := &ads.ExportFilter{}
	key := ""
	for _, part := range strings.Split(v, ",") {
		k, val, ok := strings.Cut(part, "=")
		if !ok {
			if key != "values" {
				return nil, fmt.Errorf("%q is not KEY=VALUE", part)
			}
			f.Values = append(f.Values, aws.String(part))
			continue
		}
		switch key = k; k {
		case "name":
			f.Name = aws.String(val)
		case "condition":
			f.Condition = aws.String(val)
		case "values":
			f.Values = append(f.Values, aws.String(val))
		default:
			return nil, fmt.Errorf("unknown key %q: want name, values, condition", k)
		}
	}
	if f.Name == nil || f.Condition == nil || len(f.Values) == 0 {
		return nil, errors.New("want name=NAME,values=V[,V...],condition=CONDITION")
	}
	return []*ads.ExportFilter{f}, nil
}

// parseTime reads RFC 3339 or epoch seconds.
func parseTime(v string) (time.Time, error) {
	if n, err := strconv.ParseFloat(v, 64); err == nil {
		return time.UnixMilli(int64(n * 1000)).UTC(), nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither RFC 3339 nor epoch seconds", v)
	}
	return t, nil
}

// wait polls DescribeExportTasks until the export leaves IN_PROGRESS. ADS
// reports no percentage, so the display is a spinner with the status, its
// message and the time elapsed on a terminal, else a line per change.
func (c *exportCmd) wait(ctx context.Context, svc *ads.ApplicationDiscoveryService, id string, stderr io.Writer) (*ads.ExportInfo, error) {
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	var bar *progressbar.ProgressBar
	if !c.Quiet && isTerminal(stderr) {
		bar = progressbar.NewOptions64(-1,
			progressbar.OptionSetWriter(stderr),
			progressbar.OptionSetDescription(id),
			progressbar.OptionSpinnerType(14),
			progressbar.OptionSetElapsedTime(true),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionSetRenderBlankState(true),
		)
		defer bar.Exit()
	}
	start, last := time.Now(), ""
	for {
		out, err := svc.DescribeExportTasksWithContext(ctx, &ads.DescribeExportTasksInput{ExportIds: []*string{&id}})
		if err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("%s: still %s after %s (--timeout): %w", id, last, c.Timeout, err)
			}
			return nil, fmt.Errorf("DescribeExportTasks: %w", err)
		}
		if len(out.ExportsInfo) != 1 {
			return nil, fmt.Errorf("DescribeExportTasks(%s) answered %d exports", id, len(out.ExportsInfo))
		}
		info := out.ExportsInfo[0]
		state := aws.StringValue(info.ExportStatus) + ": " + aws.StringValue(info.StatusMessage)
		if aws.StringValue(info.ExportStatus) != ads.ExportStatusInProgress {
			if bar != nil {
				bar.Finish() // and cleared
			}
			return info, nil
		}
		switch {
		case bar != nil:
			bar.Describe(id + " " + state)
			bar.Add(1)
		case !c.Quiet && state != last:
			fmt.Fprintf(stderr, "%s %s (%.0f s)\n", id, state, time.Since(start).Seconds())
		}
		last = state
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%s: still %s after %s (--timeout)", id, last, c.Timeout)
		case <-time.After(c.Poll):
		}
	}
}

// fetchExport downloads the archive at url and unzips it into dir,
// returning the names of the files written.
func fetchExport(ctx context.Context, url, dir string) ([]string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("download URL %q: %w", url, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("download: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, fmt.Errorf("download: GET answered %s: %s", resp.Status, b)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("download: %w", err)
	}
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		return nil, fmt.Errorf("download: not a zip archive: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var names []string
	for _, f := range zr.File {
		if f.FileInfo().IsDir() {
			continue
		}
		if !filepath.IsLocal(f.Name) {
			return names, fmt.Errorf("archive member %q would land outside %s", f.Name, dir)
		}
		if err := unzipFile(f, filepath.Join(dir, filepath.FromSlash(f.Name))); err != nil {
			return names, err
		}
		names = append(names, f.Name)
	}
	return names, nil
}

func unzipFile(f *zip.File, path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, rc)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}
