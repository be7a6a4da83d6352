package main

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	ads "github.com/aws/aws-sdk-go/service/applicationdiscoveryservice"

	"github.com/poseidon-ads/poseidon/internal/agentdata"
)

// madeUp returns n distinct IDs of the form prefix + hex, none of which
// names a resource.
func madeUp(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%08x", prefix, i)
	}
	return out
}

// TestLongListsPage sends requests whose lists go past SQLite's limits
// (32,766 bound parameters, expression depth 1,000) through aws-sdk-go v1
// and pages through them one item at a time: every answer is the same as
// for the short request, in the API's order, each item once (issue 11).
func TestLongListsPage(t *testing.T) {
	s := startServer(t, "", "--no-limits")
	c := client(t, s.URL, acctA, "x")
	base := time.Now().Add(-2 * time.Hour).Truncate(time.Minute)

	// Four servers long-1..4 with CPU 10, 30, 50 and none; tags k1 on 2
	// and 3, k2 on 2.
	var reports []agentdata.Report
	agents := make([]string, 4)
	for i := range agents {
		agents[i] = fmt.Sprintf("o-7e%014d", i+1)
		r := agentdata.Report{
			ReportID: fmt.Sprintf("long-%d", i), AgentID: agents[i], Timestamp: float64(base.Unix()),
			Agent:             agentdata.AgentInfo{Version: "2.0.1"},
			Server:            agentdata.ServerInfo{HostName: fmt.Sprintf("long-%d", i+1), OSName: "Linux"},
			NetworkInterfaces: []agentdata.NetworkInterface{{Name: "eth0", IPAddress: fmt.Sprintf("10.7.0.%d", i+1)}},
		}
		if i < 3 {
			r.Performance = &agentdata.Performance{CPUUsagePct: float64(10 + 20*i), FreeRAMMB: 1024, DiskFreeGB: 10}
		}
		reports = append(reports, r)
	}
	postAgentBatch(t, s.URL, acctA, &agentdata.Batch{Reports: reports})
	servers := map[string]string{} // host name -> configuration ID
	err := c.ListConfigurationsPages(&ads.ListConfigurationsInput{ConfigurationType: aws.String("SERVER")}, func(o *ads.ListConfigurationsOutput, _ bool) bool {
		for _, cfg := range o.Configurations {
			servers[aws.StringValue(cfg["server.hostName"])] = aws.StringValue(cfg["server.configurationId"])
		}
		return true
	})
	if err != nil || len(servers) != 4 {
		t.Fatalf("servers %v: %v", servers, err)
	}
	tag := func(key string, hosts ...string) {
		t.Helper()
		var ids []string
		for _, h := range hosts {
			ids = append(ids, servers[h])
		}
		if _, err := c.CreateTags(&ads.CreateTagsInput{ConfigurationIds: aws.StringSlice(ids), Tags: []*ads.Tag{{Key: aws.String(key), Value: aws.String("v")}}}); err != nil {
			t.Fatal(err)
		}
	}
	tag("k1", "long-2", "long-3")
	tag("k2", "long-2")

	t.Run("DescribeExportTasks", func(t *testing.T) {
		// Three exports of agent 1, one of agent 2, one summary export.
		var want []string
		for i := range 3 {
			out, err := c.StartExportTask(&ads.StartExportTaskInput{Filters: agentFilter(agents[0]),
				StartTime: aws.Time(base), EndTime: aws.Time(base.Add(time.Duration(i+1) * time.Minute))})
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, aws.StringValue(out.ExportId))
		}
		for _, in := range []*ads.StartExportTaskInput{{Filters: agentFilter(agents[1])}, {}} {
			if _, err := c.StartExportTask(in); err != nil {
				t.Fatal(err)
			}
		}
		// 40,001 values in one filter, and a second filter: the sets
		// must both hold.
		in := &ads.DescribeExportTasksInput{MaxResults: aws.Int64(1), Filters: []*ads.ExportFilter{
			agentFilter(append(madeUp("o-", 40000), agents[0])...)[0],
			agentFilter(agents[1], agents[0])[0],
		}}
		var got []*ads.ExportInfo
		pages := 0
		err := c.DescribeExportTasksPages(in, func(o *ads.DescribeExportTasksOutput, _ bool) bool {
			pages++
			got = append(got, o.ExportsInfo...)
			return true
		})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for i, e := range got {
			ids = append(ids, aws.StringValue(e.ExportId))
			// Newest first, ties by export ID descending.
			if i > 0 {
				p := got[i-1]
				if e.ExportRequestTime.After(*p.ExportRequestTime) ||
					e.ExportRequestTime.Equal(*p.ExportRequestTime) && aws.StringValue(e.ExportId) > aws.StringValue(p.ExportId) {
					t.Errorf("order: %s after %s", aws.StringValue(e.ExportId), aws.StringValue(p.ExportId))
				}
			}
		}
		slices.Sort(ids)
		slices.Sort(want)
		if !slices.Equal(ids, want) || pages != 3 {
			t.Fatalf("%d pages of %v, want each of %v once on its own page", pages, ids, want)
		}
		// Sets with nothing in common: no task.
		out, err := c.DescribeExportTasks(&ads.DescribeExportTasksInput{Filters: []*ads.ExportFilter{
			agentFilter(append(madeUp("o-", 40000), agents[0])...)[0], agentFilter(agents[1])[0]}})
		if err != nil || len(out.ExportsInfo) != 0 {
			t.Fatalf("disjoint agent sets: %v %v", out, err)
		}
	})

	t.Run("ListConfigurations", func(t *testing.T) {
		filter := func(name, cond string, vals ...string) *ads.Filter {
			return &ads.Filter{Name: aws.String(name), Condition: aws.String(cond), Values: aws.StringSlice(vals)}
		}
		// 12,000 NOT_CONTAINS filters that every server passes, one
		// value each; two EQUALS sets on the host name ({2,3}), two
		// CONTAINS sets; two GE bounds (the tighter wins).
		var fs []*ads.Filter
		for _, v := range madeUp("x", 12000) {
			fs = append(fs, filter("server.hostName", "NOT_CONTAINS", v))
		}
		cases := []struct {
			name    string
			filters []*ads.Filter
			want    []string
		}{
			{"equals sets", append(slices.Clone(fs),
				filter("server.hostName", "EQUALS", "long-1", "long-2", "long-3"),
				filter("server.hostName", "EQUALS", "long-4", "long-3", "long-2")), []string{"long-3", "long-2"}},
			{"contains sets", append(slices.Clone(fs),
				filter("server.hostName", "CONTAINS", "LONG-"),
				filter("server.hostName", "CONTAINS", "-1", "-4")), []string{"long-4", "long-1"}},
			{"not-equals sets", append(slices.Clone(fs),
				filter("server.hostName", "NOT_EQUALS", "long-1"),
				filter("server.hostName", "NOT_EQUALS", "long-4", "long-3")), []string{"long-2"}},
			{"tag sets", append(slices.Clone(fs),
				filter("server.tag.key", "EQUALS", "k1"),
				filter("server.tag.key", "EQUALS", "k2")), []string{"long-2"}},
			{"tag not-contains", append(slices.Clone(fs),
				filter("server.tag.key", "NOT_CONTAINS", "2"),
				filter("server.tag.key", "NOT_CONTAINS", "zz")), []string{"long-4", "long-3", "long-1"}},
			{"numeric bounds", append(slices.Clone(fs),
				filter("server.performance.avgCpuUsagePct", "GE", "20"),
				filter("server.performance.avgCpuUsagePct", "GE", "40")), []string{"long-3"}},
			{"no filters but the 12,000", fs, []string{"long-4", "long-3", "long-2", "long-1"}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				in := &ads.ListConfigurationsInput{ConfigurationType: aws.String("SERVER"), Filters: tc.filters, MaxResults: aws.Int64(1),
					OrderBy: []*ads.OrderByElement{{FieldName: aws.String("server.hostName"), SortOrder: aws.String("DESC")}}}
				var got []string
				err := c.ListConfigurationsPages(in, func(o *ads.ListConfigurationsOutput, _ bool) bool {
					for _, cfg := range o.Configurations {
						got = append(got, aws.StringValue(cfg["server.hostName"]))
					}
					return true
				})
				if err != nil || !slices.Equal(got, tc.want) {
					t.Fatalf("got %v (%v), want %v", got, err, tc.want)
				}
			})
		}
	})

	t.Run("DescribeTags", func(t *testing.T) {
		// 10,000 tagKey filters, each with k1 and a made-up key: k1.
		var fs []*ads.TagFilter
		for _, v := range madeUp("key-", 10000) {
			fs = append(fs, &ads.TagFilter{Name: aws.String("tagKey"), Values: aws.StringSlice([]string{v, "k1"})})
		}
		var got []string
		err := c.DescribeTagsPages(&ads.DescribeTagsInput{Filters: fs, MaxResults: aws.Int64(1)}, func(o *ads.DescribeTagsOutput, _ bool) bool {
			for _, tg := range o.Tags {
				got = append(got, aws.StringValue(tg.ConfigurationId)+"/"+aws.StringValue(tg.Key))
			}
			return true
		})
		want := []string{servers["long-2"] + "/k1", servers["long-3"] + "/k1"}
		slices.Sort(want)
		if err != nil || !slices.Equal(got, want) {
			t.Fatalf("got %v (%v), want %v", got, err, want)
		}
	})

	t.Run("DescribeContinuousExports", func(t *testing.T) {
		var ids []string
		for range 2 {
			out, err := c.StartContinuousExport(&ads.StartContinuousExportInput{})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, aws.StringValue(out.ExportId))
			if _, err := c.StopContinuousExport(&ads.StopContinuousExportInput{ExportId: out.ExportId}); err != nil {
				t.Fatal(err)
			}
		}
		// The two IDs 12,000 times each: each export once.
		var list []string
		for range 12000 {
			list = append(list, ids...)
		}
		var got []string
		err := c.DescribeContinuousExportsPages(&ads.DescribeContinuousExportsInput{ExportIds: aws.StringSlice(list), MaxResults: aws.Int64(1)},
			func(o *ads.DescribeContinuousExportsOutput, _ bool) bool {
				for _, d := range o.Descriptions {
					got = append(got, aws.StringValue(d.ExportId))
				}
				return true
			})
		slices.Sort(got)
		slices.Sort(ids)
		if err != nil || !slices.Equal(got, ids) {
			t.Fatalf("got %v (%v), want %v", got, err, ids)
		}
		// 30,000 distinct unknown IDs: the modeled ResourceNotFoundException.
		_, err = c.DescribeContinuousExports(&ads.DescribeContinuousExportsInput{ExportIds: aws.StringSlice(append(madeUp("e-", 30000), ids...))})
		wantCode(t, err, ads.ErrCodeResourceNotFoundException, 400)
	})
}
