package main

import (
	"encoding/csv"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	ads "github.com/aws/aws-sdk-go/service/applicationdiscoveryservice"
	"github.com/aws/aws-sdk-go/service/migrationhubconfig"

	"github.com/poseidon-ads/poseidon/internal/exportfile"
)

// TestExportFlow is the flow a user runs: start, poll, download, unzip, read.
func TestExportFlow(t *testing.T) {
	s := startServer(t, "")
	c := client(t, s.URL, acctA, "any")
	out, err := c.StartExportTask(&ads.StartExportTaskInput{})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.StringValue(out.ExportId)
	if !strings.HasPrefix(id, "export-") || len(id) != len("export-")+36 {
		t.Fatalf("exportId = %q", id)
	}
	info := waitExport(t, c, id)
	if aws.StringValue(info.ExportStatus) != ads.ExportStatusSucceeded {
		t.Fatalf("status = %s: %s", aws.StringValue(info.ExportStatus), aws.StringValue(info.StatusMessage))
	}
	if got, want := aws.StringValue(info.StatusMessage), "Data export ran successfully and is accessible from the download URL. The URL will expire in 24 hours. The export data expires in 10 days."; got != want {
		t.Fatalf("statusMessage = %q", got)
	}
	if info.ExportRequestTime == nil || time.Since(*info.ExportRequestTime) > time.Minute || info.RequestedStartTime != nil || info.RequestedEndTime != nil {
		t.Fatalf("times = %v %v %v", info.ExportRequestTime, info.RequestedStartTime, info.RequestedEndTime)
	}
	u, err := url.Parse(aws.StringValue(info.ConfigurationsDownloadUrl))
	if err != nil || u.Query().Get("X-Amz-Expires") != "86400" || u.Query().Get("X-Amz-Signature") == "" {
		t.Fatalf("download URL = %v (%v)", u, err)
	}
	status, body := download(t, u.String())
	if status != 200 {
		t.Fatalf("GET download URL = %d %s", status, body)
	}
	members := unzip(t, body)
	if len(members) != 8 {
		t.Fatalf("zip members = %d, want 8", len(members))
	}
	for _, l := range exportfile.SummaryLayouts {
		name := acctA + "_" + l.Name + ".csv"
		rows, err := csv.NewReader(strings.NewReader(members[name])).ReadAll()
		if err != nil || len(rows) != 1 || !slices.Equal(rows[0], l.Header) {
			t.Fatalf("%s: rows %v err %v", name, rows, err)
		}
	}
}

// TestPaginateSeven pages through seven exports two at a time.
func TestPaginateSeven(t *testing.T) {
	s := startServer(t, "", "--no-limits")
	c := client(t, s.URL, acctA, "x")
	var made []string
	for i := range 7 {
		in := &ads.StartExportTaskInput{}
		if i%3 == 0 {
			in.Filters = []*ads.ExportFilter{{Name: aws.String("agentIds"), Values: aws.StringSlice([]string{"o-1"}), Condition: aws.String("EQUALS")}}
		}
		out, err := c.StartExportTask(in)
		if err != nil {
			t.Fatal(err)
		}
		made = append(made, aws.StringValue(out.ExportId))
	}
	for name, pager := range map[string]func(fn func([]*ads.ExportInfo, bool)) error{
		"DescribeExportTasks": func(fn func([]*ads.ExportInfo, bool)) error {
			return c.DescribeExportTasksPages(&ads.DescribeExportTasksInput{MaxResults: aws.Int64(2)}, func(o *ads.DescribeExportTasksOutput, last bool) bool {
				fn(o.ExportsInfo, last)
				return true
			})
		},
		"DescribeExportConfigurations": func(fn func([]*ads.ExportInfo, bool)) error {
			return c.DescribeExportConfigurationsPages(&ads.DescribeExportConfigurationsInput{MaxResults: aws.Int64(2)}, func(o *ads.DescribeExportConfigurationsOutput, last bool) bool {
				fn(o.ExportsInfo, last)
				return true
			})
		},
	} {
		t.Run(name, func(t *testing.T) {
			var got []string
			pages := 0
			err := pager(func(infos []*ads.ExportInfo, last bool) {
				pages++
				if len(infos) > 2 {
					t.Errorf("page of %d", len(infos))
				}
				var prev *time.Time
				for _, i := range infos {
					got = append(got, aws.StringValue(i.ExportId))
					if prev != nil && i.ExportRequestTime.After(*prev) {
						t.Errorf("not newest first")
					}
					prev = i.ExportRequestTime
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			if pages != 4 {
				t.Errorf("pages = %d, want 4", pages)
			}
			want := slices.Clone(made)
			slices.Sort(want)
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Fatalf("paged IDs = %v, want each of %v once", got, want)
			}
		})
	}
}

func agentFilter(ids ...string) []*ads.ExportFilter {
	return []*ads.ExportFilter{{Name: aws.String("agentIds"), Values: aws.StringSlice(ids), Condition: aws.String("EQUALS")}}
}

func TestFilters(t *testing.T) {
	s := startServer(t, "", "--no-limits")
	c := client(t, s.URL, acctA, "x")
	start := func(in *ads.StartExportTaskInput) string {
		out, err := c.StartExportTask(in)
		if err != nil {
			t.Fatal(err)
		}
		return aws.StringValue(out.ExportId)
	}
	end := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	a1 := start(&ads.StartExportTaskInput{Filters: agentFilter("o-a")})
	a2 := start(&ads.StartExportTaskInput{Filters: agentFilter("o-a"), EndTime: &end})
	b := start(&ads.StartExportTaskInput{Filters: agentFilter("o-b")})
	sum := start(&ads.StartExportTaskInput{})
	ids := func(in *ads.DescribeExportTasksInput) []string {
		out, err := c.DescribeExportTasks(in)
		if err != nil {
			t.Fatal(err)
		}
		var r []string
		for _, i := range out.ExportsInfo {
			r = append(r, aws.StringValue(i.ExportId))
		}
		slices.Sort(r)
		return r
	}
	sorted := func(v ...string) []string { slices.Sort(v); return v }
	for name, tc := range map[string]struct {
		in   *ads.DescribeExportTasksInput
		want []string
	}{
		"agentIds":               {&ads.DescribeExportTasksInput{Filters: agentFilter("o-a")}, sorted(a1, a2)},
		"AgentId alias":          {&ads.DescribeExportTasksInput{Filters: []*ads.ExportFilter{{Name: aws.String("AgentId"), Values: aws.StringSlice([]string{"o-b"}), Condition: aws.String("EQUALS")}}}, []string{b}},
		"ids AND filter":         {&ads.DescribeExportTasksInput{ExportIds: aws.StringSlice([]string{a1, b, sum}), Filters: agentFilter("o-b")}, []string{b}},
		"unknown ids left out":   {&ads.DescribeExportTasksInput{ExportIds: aws.StringSlice([]string{"export-unknown", sum})}, []string{sum}},
		"filter matches nothing": {&ads.DescribeExportTasksInput{Filters: agentFilter("o-zzz")}, nil},
	} {
		if got := ids(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %v, want %v", name, got, tc.want)
		}
	}
	// requestedEndTime echoes what was sent, and only that.
	out, _ := c.DescribeExportTasks(&ads.DescribeExportTasksInput{ExportIds: aws.StringSlice([]string{a1, a2})})
	for _, i := range out.ExportsInfo {
		switch aws.StringValue(i.ExportId) {
		case a1:
			if i.RequestedEndTime != nil || i.RequestedStartTime != nil {
				t.Errorf("a1 echoes times it was not sent")
			}
		case a2:
			if i.RequestedEndTime == nil || !i.RequestedEndTime.Equal(end) || i.RequestedStartTime != nil {
				t.Errorf("a2 requestedEndTime = %v, want %v", i.RequestedEndTime, end)
			}
		}
	}
	// An agent export of an agent the store does not know ends FAILED, saying why.
	info := waitExport(t, c, a1)
	if aws.StringValue(info.ExportStatus) != ads.ExportStatusFailed || !strings.Contains(aws.StringValue(info.StatusMessage), "o-a") || info.ConfigurationsDownloadUrl != nil {
		t.Fatalf("unknown agent export = %s %q", aws.StringValue(info.ExportStatus), aws.StringValue(info.StatusMessage))
	}
}

// TestModeledErrors triggers every modeled error of the four export
// operations that input can reach (ServerInternalErrorException is covered
// by the error-mapping unit test).
func TestModeledErrors(t *testing.T) {
	s := startServer(t, "")
	c := client(t, s.URL, acctA, "x")
	const (
		ipe  = ads.ErrCodeInvalidParameterException
		ipve = ads.ErrCodeInvalidParameterValueException
	)
	future := time.Now().Add(time.Hour)
	past := time.Now().Add(-time.Hour)
	many := make([]string, 101)
	for i := range many {
		many[i] = fmt.Sprint("export-", i)
	}
	tests := []struct {
		name string
		call func() error
		code string
		msg  string
	}{
		{"Start: missing filter condition", func() error {
			_, err := c.StartExportTask(&ads.StartExportTaskInput{Filters: []*ads.ExportFilter{{Name: aws.String("agentIds"), Values: aws.StringSlice([]string{"o-1"})}}})
			return err
		}, ipe, "Value null at 'filters.1.member.condition' failed to satisfy constraint: Member must not be null"},
		{"Start: unknown filter name", func() error {
			_, err := c.StartExportTask(&ads.StartExportTaskInput{Filters: []*ads.ExportFilter{{Name: aws.String("serverId"), Values: aws.StringSlice([]string{"x"}), Condition: aws.String("EQUALS")}}})
			return err
		}, ipe, "Invalid filter name 'serverId'"},
		{"Start: GRAPHML", func() error {
			_, err := c.StartExportTask(&ads.StartExportTaskInput{ExportDataFormat: aws.StringSlice([]string{"GRAPHML"})})
			return err
		}, ipve, "Member must satisfy enum value set: [CSV]"},
		{"Start: bad tenancy", func() error {
			_, err := c.StartExportTask(&ads.StartExportTaskInput{Preferences: &ads.ExportPreferences{Ec2RecommendationsPreferences: &ads.Ec2RecommendationsExportPreferences{Enabled: aws.Bool(true), Tenancy: aws.String("HOST")}}})
			return err
		}, ipve, "preferences.ec2RecommendationsPreferences.tenancy"},
		{"Start: future startTime", func() error {
			_, err := c.StartExportTask(&ads.StartExportTaskInput{Filters: agentFilter("o-1"), StartTime: &future})
			return err
		}, ipve, "in the future"},
		{"Start: startTime after endTime", func() error {
			_, err := c.StartExportTask(&ads.StartExportTaskInput{Filters: agentFilter("o-1"), StartTime: &past, EndTime: aws.Time(past.Add(-time.Hour))})
			return err
		}, ipve, "is after endTime"},
		{"Start: two agents", func() error {
			_, err := c.StartExportTask(&ads.StartExportTaskInput{Filters: agentFilter("o-1", "o-2")})
			return err
		}, ipve, "single agent ID"},
		{"DescribeTasks: unknown filter", func() error {
			_, err := c.DescribeExportTasks(&ads.DescribeExportTasksInput{Filters: []*ads.ExportFilter{{Name: aws.String("status"), Values: aws.StringSlice([]string{"x"}), Condition: aws.String("EQUALS")}}})
			return err
		}, ipe, "Invalid filter name 'status'"},
		{"DescribeTasks: missing filter values", func() error {
			_, err := c.DescribeExportTasks(&ads.DescribeExportTasksInput{Filters: []*ads.ExportFilter{{Name: aws.String("agentIds"), Condition: aws.String("EQUALS")}}})
			return err
		}, ipe, "'filters.1.member.values'"},
		{"DescribeTasks: negative maxResults", func() error {
			_, err := c.DescribeExportTasks(&ads.DescribeExportTasksInput{MaxResults: aws.Int64(-1)})
			return err
		}, ipve, "Value '-1' at 'maxResults'"},
		{"DescribeTasks: 101 exportIds", func() error {
			_, err := c.DescribeExportTasks(&ads.DescribeExportTasksInput{ExportIds: aws.StringSlice(many)})
			return err
		}, ipve, "at 'exportIds'"},
		{"DescribeTasks: foreign token", func() error {
			_, err := c.DescribeExportTasks(&ads.DescribeExportTasksInput{NextToken: aws.String("eyJxIjoiIn0.AAAA")})
			return err
		}, ipve, "nextToken"},
		{"DescribeTasks: condition", func() error {
			_, err := c.DescribeExportTasks(&ads.DescribeExportTasksInput{Filters: []*ads.ExportFilter{{Name: aws.String("agentIds"), Values: aws.StringSlice([]string{"x"}), Condition: aws.String("CONTAINS")}}})
			return err
		}, ipve, "Invalid condition 'CONTAINS'"},
		{"DescribeConfigurations: unknown id", func() error {
			_, err := c.DescribeExportConfigurations(&ads.DescribeExportConfigurationsInput{ExportIds: aws.StringSlice([]string{"export-nope"})})
			return err
		}, ads.ErrCodeResourceNotFoundException, "export-nope"},
		{"DescribeConfigurations: bad id pattern", func() error {
			_, err := c.DescribeExportConfigurations(&ads.DescribeExportConfigurationsInput{ExportIds: aws.StringSlice([]string{"export with space"})})
			return err
		}, ipve, "Member must satisfy regular expression pattern"},
		{"DescribeConfigurations: negative maxResults", func() error {
			_, err := c.DescribeExportConfigurations(&ads.DescribeExportConfigurationsInput{MaxResults: aws.Int64(-5)})
			return err
		}, ipve, "maxResults"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rf := wantCode(t, tt.call(), tt.code, 400)
			if !strings.Contains(rf.Message(), tt.msg) {
				t.Fatalf("message = %q, want it to contain %q", rf.Message(), tt.msg)
			}
		})
	}
	// Nothing was stored by the refused calls.
	out, err := c.DescribeExportTasks(&ads.DescribeExportTasksInput{})
	if err != nil || len(out.ExportsInfo) != 0 {
		t.Fatalf("refused calls stored exports: %v %v", out, err)
	}

	t.Run("OperationNotPermitted", func(t *testing.T) {
		for range 2 {
			if _, err := c.ExportConfigurations(&ads.ExportConfigurationsInput{}); err != nil {
				t.Fatal(err)
			}
		}
		_, err := c.ExportConfigurations(&ads.ExportConfigurationsInput{})
		wantCode(t, err, ads.ErrCodeOperationNotPermittedException, 400)
		for i := range 2 {
			if _, err := c.StartExportTask(&ads.StartExportTaskInput{Filters: agentFilter(fmt.Sprint("o-", i))}); err != nil {
				t.Fatal(err)
			}
		}
		_, err = c.StartExportTask(&ads.StartExportTaskInput{Filters: agentFilter("o-3")})
		wantCode(t, err, ads.ErrCodeOperationNotPermittedException, 400)
		// The limits roll with the virtual clock.
		advance(t, s.URL, 24*time.Hour+time.Second)
		if _, err := c.StartExportTask(&ads.StartExportTaskInput{Filters: agentFilter("o-3")}); err != nil {
			t.Fatalf("after a day: %v", err)
		}
		if _, err := c.ExportConfigurations(&ads.ExportConfigurationsInput{}); err != nil {
			t.Fatalf("after 6 hours: %v", err)
		}
	})

	t.Run("HomeRegionNotSet", func(t *testing.T) {
		other := clientIn(t, s.URL, acctA, "x", "eu-west-1")
		_, err := other.StartExportTask(&ads.StartExportTaskInput{})
		wantCode(t, err, ads.ErrCodeHomeRegionNotSetException, 400)
		_, err = other.DescribeExportTasks(&ads.DescribeExportTasksInput{})
		wantCode(t, err, ads.ErrCodeHomeRegionNotSetException, 400)
		_, err = other.ExportConfigurations(&ads.ExportConfigurationsInput{})
		wantCode(t, err, ads.ErrCodeHomeRegionNotSetException, 400)
		_, err = other.DescribeExportConfigurations(&ads.DescribeExportConfigurationsInput{})
		wantCode(t, err, ads.ErrCodeHomeRegionNotSetException, 400)
	})
}

func TestSmithyStatusCodes(t *testing.T) {
	s := startServer(t, "", "--smithy-status-codes", "--config-exports-per-6h", "1")
	c := client(t, s.URL, acctA, "x")
	if _, err := c.ExportConfigurations(&ads.ExportConfigurationsInput{}); err != nil {
		t.Fatal(err)
	}
	_, err := c.ExportConfigurations(&ads.ExportConfigurationsInput{})
	wantCode(t, err, ads.ErrCodeOperationNotPermittedException, 429)
}

func TestHomeRegion(t *testing.T) {
	s := startServer(t, "", "--home-region", "none")
	c := client(t, s.URL, acctA, "x")
	_, err := c.DescribeExportTasks(&ads.DescribeExportTasksInput{})
	rf := wantCode(t, err, ads.ErrCodeHomeRegionNotSetException, 400)
	if rf.Message() != "The home region is not set. Set the home region to continue." {
		t.Fatalf("message = %q", rf.Message())
	}
	m := mghClient(t, s.URL, acctA, "x", "eu-central-1")
	got, err := m.GetHomeRegion(&migrationhubconfig.GetHomeRegionInput{})
	if err != nil || got.HomeRegion != nil {
		t.Fatalf("GetHomeRegion = %v, %v", got, err)
	}
	_, err = m.CreateHomeRegionControl(&migrationhubconfig.CreateHomeRegionControlInput{
		HomeRegion: aws.String("eu-central-1"), Target: &migrationhubconfig.Target{Type: aws.String("ACCOUNT"), Id: aws.String(acctA)}, DryRun: aws.Bool(true)})
	wantCode(t, err, "DryRunOperation", 400)
	_, err = m.CreateHomeRegionControl(&migrationhubconfig.CreateHomeRegionControlInput{
		HomeRegion: aws.String("eu-central-1"), Target: &migrationhubconfig.Target{Type: aws.String("ACCOUNT"), Id: aws.String(acctB)}})
	wantCode(t, err, "InvalidInputException", 400)
	_, err = m.CreateHomeRegionControl(&migrationhubconfig.CreateHomeRegionControlInput{
		HomeRegion: aws.String("Not A Region"), Target: &migrationhubconfig.Target{Type: aws.String("ACCOUNT")}})
	wantCode(t, err, "InvalidInputException", 400)
	created, err := m.CreateHomeRegionControl(&migrationhubconfig.CreateHomeRegionControlInput{
		HomeRegion: aws.String("eu-central-1"), Target: &migrationhubconfig.Target{Type: aws.String("ACCOUNT")}})
	if err != nil {
		t.Fatal(err)
	}
	ctl := created.HomeRegionControl
	if !strings.HasPrefix(aws.StringValue(ctl.ControlId), "hrc-") || aws.StringValue(ctl.Target.Id) != acctA || ctl.RequestedTime == nil {
		t.Fatalf("control = %v", ctl)
	}
	// The ADS API now answers in eu-central-1, and only there.
	eu := clientIn(t, s.URL, acctA, "x", "eu-central-1")
	if _, err := eu.DescribeExportTasks(&ads.DescribeExportTasksInput{}); err != nil {
		t.Fatalf("after setting the home region: %v", err)
	}
	_, err = c.DescribeExportTasks(&ads.DescribeExportTasksInput{})
	wantCode(t, err, ads.ErrCodeHomeRegionNotSetException, 400)
	// Another account is unaffected.
	_, err = clientIn(t, s.URL, acctB, "x", "eu-central-1").DescribeExportTasks(&ads.DescribeExportTasksInput{})
	wantCode(t, err, ads.ErrCodeHomeRegionNotSetException, 400)
	// Setting another region is refused; the same one is idempotent.
	_, err = m.CreateHomeRegionControl(&migrationhubconfig.CreateHomeRegionControlInput{
		HomeRegion: aws.String("us-east-1"), Target: &migrationhubconfig.Target{Type: aws.String("ACCOUNT")}})
	wantCode(t, err, "InvalidInputException", 400)
	desc, err := m.DescribeHomeRegionControls(&migrationhubconfig.DescribeHomeRegionControlsInput{})
	if err != nil || len(desc.HomeRegionControls) != 1 || aws.StringValue(desc.HomeRegionControls[0].ControlId) != aws.StringValue(ctl.ControlId) {
		t.Fatalf("DescribeHomeRegionControls = %v, %v", desc, err)
	}
	hr, err := m.GetHomeRegion(&migrationhubconfig.GetHomeRegionInput{})
	if err != nil || aws.StringValue(hr.HomeRegion) != "eu-central-1" {
		t.Fatalf("GetHomeRegion = %v, %v", hr, err)
	}
	if _, err := eu.DescribeExportTasks(&ads.DescribeExportTasksInput{}); err != nil {
		t.Fatalf("in the home region: %v", err)
	}
	if _, err := m.DeleteHomeRegionControl(&migrationhubconfig.DeleteHomeRegionControlInput{ControlId: ctl.ControlId}); err != nil {
		t.Fatal(err)
	}
	_, err = eu.DescribeExportTasks(&ads.DescribeExportTasksInput{})
	wantCode(t, err, ads.ErrCodeHomeRegionNotSetException, 400)
	_, err = m.DeleteHomeRegionControl(&migrationhubconfig.DeleteHomeRegionControlInput{ControlId: ctl.ControlId})
	wantCode(t, err, "InvalidInputException", 400)
	// Set again, to another region: the calls follow it at once (a server
	// that keeps home regions in memory forgets them as they change).
	if _, err := m.CreateHomeRegionControl(&migrationhubconfig.CreateHomeRegionControlInput{
		HomeRegion: aws.String(region), Target: &migrationhubconfig.Target{Type: aws.String("ACCOUNT")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DescribeExportTasks(&ads.DescribeExportTasksInput{}); err != nil {
		t.Fatalf("after setting the home region to %s: %v", region, err)
	}
	_, err = eu.DescribeExportTasks(&ads.DescribeExportTasksInput{})
	wantCode(t, err, ads.ErrCodeHomeRegionNotSetException, 400)
	if _, err := c.DescribeExportTasks(&ads.DescribeExportTasksInput{}); err != nil {
		t.Fatalf("in the home region: %v", err)
	}
	// A reset of the account takes its control away (--home-region none).
	if code, out := control(t, s.URL, "reset", "", map[string]any{"accountId": acctA}); code != 200 {
		t.Fatalf("reset: %d %v", code, out)
	}
	_, err = c.DescribeExportTasks(&ads.DescribeExportTasksInput{})
	wantCode(t, err, ads.ErrCodeHomeRegionNotSetException, 400)
}

func TestDownloadURLExpiryAndTampering(t *testing.T) {
	s := startServer(t, "")
	c := client(t, s.URL, acctA, "x")
	out, err := c.StartExportTask(&ads.StartExportTaskInput{})
	if err != nil {
		t.Fatal(err)
	}
	info := waitExport(t, c, aws.StringValue(out.ExportId))
	link := aws.StringValue(info.ConfigurationsDownloadUrl)
	if code, _ := download(t, link); code != 200 {
		t.Fatalf("fresh URL = %d", code)
	}
	u, _ := url.Parse(link)
	q := u.Query()
	sig := q.Get("X-Amz-Signature")
	flip := map[byte]byte{'0': '1'}
	b := []byte(sig)
	if f, ok := flip[b[0]]; ok {
		b[0] = f
	} else {
		b[0] = '0'
	}
	q.Set("X-Amz-Signature", string(b))
	u.RawQuery = q.Encode()
	tampered := []string{
		u.String(),
		strings.Replace(link, acctA, acctB, 1),
		strings.Replace(link, "X-Amz-Expires=86400", "X-Amz-Expires=604800", 1),
		strings.Replace(link, ".zip?", "/../../../poseidon.db?", 1),
		strings.Replace(link, ".zip?", "%2F..%2F..%2Fposeidon.db?", 1),
	}
	for _, l := range tampered {
		if code, body := download(t, l); code != 403 && code != 404 {
			t.Errorf("tampered URL %s = %d %s, want 403", l, code, body)
		} else if code == 200 {
			t.Errorf("tampered URL served")
		}
	}
	if code, body := download(t, tampered[0]); code != 403 || !strings.Contains(string(body), "SignatureDoesNotMatch") {
		t.Errorf("bad signature = %d %s", code, body)
	}
	// Each describe issues a fresh URL.
	advance(t, s.URL, time.Second)
	again, _ := c.DescribeExportTasks(&ads.DescribeExportTasksInput{ExportIds: []*string{out.ExportId}})
	if fresh := aws.StringValue(again.ExportsInfo[0].ConfigurationsDownloadUrl); fresh == link || fresh == "" {
		t.Errorf("describe did not issue a fresh URL")
	}
	// 24 hours later the old URL is refused, and a fresh one works.
	advance(t, s.URL, 24*time.Hour)
	if code, body := download(t, link); code != 403 || !strings.Contains(string(body), "expired") {
		t.Fatalf("expired URL = %d %s", code, body)
	}
	again, _ = c.DescribeExportTasks(&ads.DescribeExportTasksInput{ExportIds: []*string{out.ExportId}})
	if code, _ := download(t, aws.StringValue(again.ExportsInfo[0].ConfigurationsDownloadUrl)); code != 200 {
		t.Fatalf("fresh URL after a day = %d", code)
	}
	// 10 days after the export finished its data is gone.
	advance(t, s.URL, 9*24*time.Hour)
	again, _ = c.DescribeExportTasks(&ads.DescribeExportTasksInput{ExportIds: []*string{out.ExportId}})
	info = again.ExportsInfo[0]
	if aws.StringValue(info.ExportStatus) != ads.ExportStatusSucceeded || info.ConfigurationsDownloadUrl != nil || !strings.Contains(aws.StringValue(info.StatusMessage), "expired") {
		t.Fatalf("after 10 days = %v", info)
	}
}

func TestRestartLosesNothing(t *testing.T) {
	data := t.TempDir()
	s := startServer(t, data, "--no-limits")
	c := client(t, s.URL, acctA, "x")
	var ids []string
	for range 5 {
		out, err := c.StartExportTask(&ads.StartExportTaskInput{})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, aws.StringValue(out.ExportId))
	}
	for _, id := range ids {
		waitExport(t, c, id)
	}
	page, err := c.DescribeExportTasks(&ads.DescribeExportTasksInput{MaxResults: aws.Int64(2)})
	if err != nil || page.NextToken == nil {
		t.Fatalf("first page: %v %v", page, err)
	}
	link := aws.StringValue(page.ExportsInfo[0].ConfigurationsDownloadUrl)
	s.Stop(t)

	s2 := startServerAt(t, data, strings.TrimPrefix(s.URL, "http://"), "--no-limits")
	c2 := client(t, s2.URL, acctA, "x")
	out, err := c2.DescribeExportTasks(&ads.DescribeExportTasksInput{ExportIds: aws.StringSlice(ids)})
	if err != nil || len(out.ExportsInfo) != 5 {
		t.Fatalf("after restart: %d exports, %v", len(out.ExportsInfo), err)
	}
	for _, i := range out.ExportsInfo {
		if aws.StringValue(i.ExportStatus) != ads.ExportStatusSucceeded {
			t.Fatalf("%s is %s after restart", aws.StringValue(i.ExportId), aws.StringValue(i.ExportStatus))
		}
	}
	// Page tokens and download URLs survive the restart (their secrets are stored).
	rest, err := c2.DescribeExportTasks(&ads.DescribeExportTasksInput{MaxResults: aws.Int64(10), NextToken: page.NextToken})
	if err != nil || len(rest.ExportsInfo) != 3 {
		t.Fatalf("token across restart: %v, %d", err, len(rest.ExportsInfo))
	}
	if code, _ := download(t, link); code != 200 {
		t.Fatalf("URL across restart = %d", code)
	}
}

// TestFlagsFromEnvironment checks that flags can come from POSEIDON_*
// variables, and that --public-url sets the base of download URLs.
func TestFlagsFromEnvironment(t *testing.T) {
	t.Setenv("POSEIDON_HOME_REGION", "none")
	t.Setenv("POSEIDON_PUBLIC_URL", "http://downloads.example.test:9999")
	s := startServer(t, "")
	c := client(t, s.URL, acctA, "x")
	_, err := c.DescribeExportTasks(&ads.DescribeExportTasksInput{})
	wantCode(t, err, ads.ErrCodeHomeRegionNotSetException, 400)

	t.Setenv("POSEIDON_HOME_REGION", "us-west-2")
	s2 := startServer(t, "")
	c2 := client(t, s2.URL, acctA, "x")
	out, err := c2.StartExportTask(&ads.StartExportTaskInput{})
	if err != nil {
		t.Fatal(err)
	}
	info := waitExport(t, c2, aws.StringValue(out.ExportId))
	if u := aws.StringValue(info.ConfigurationsDownloadUrl); !strings.HasPrefix(u, "http://downloads.example.test:9999/poseidon-exports/"+acctA+"/") {
		t.Fatalf("download URL = %q", u)
	}
}
