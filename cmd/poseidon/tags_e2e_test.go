package main

import (
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go/aws"
	ads "github.com/aws/aws-sdk-go/service/applicationdiscoveryservice"
)

func adsTag(k, v string) *ads.Tag { return &ads.Tag{Key: aws.String(k), Value: aws.String(v)} }

func tagFilter(name string, values ...string) *ads.TagFilter {
	return &ads.TagFilter{Name: aws.String(name), Values: aws.StringSlice(values)}
}

// describeAllTags pages through DescribeTags with page size 2 and returns
// "id key=value" rows and the number of pages.
func describeAllTags(t *testing.T, c *ads.ApplicationDiscoveryService, fs ...*ads.TagFilter) ([]string, int) {
	t.Helper()
	var out []string
	pages := 0
	err := c.DescribeTagsPages(&ads.DescribeTagsInput{Filters: fs, MaxResults: aws.Int64(2)}, func(p *ads.DescribeTagsOutput, last bool) bool {
		pages++
		if len(p.Tags) > 2 {
			t.Errorf("page of %d tags", len(p.Tags))
		}
		for _, tg := range p.Tags {
			if aws.TimeValue(tg.TimeOfCreation).IsZero() || aws.StringValue(tg.ConfigurationType) == "" {
				t.Errorf("tag without type or timeOfCreation: %v", tg)
			}
			out = append(out, aws.StringValue(tg.ConfigurationId)+" "+aws.StringValue(tg.Key)+"="+aws.StringValue(tg.Value))
		}
		return pages < 50
	})
	if err != nil {
		t.Fatal(err)
	}
	return out, pages
}

// summaryTagsCSV runs a summary export and returns its Tags.csv.
func summaryTagsCSV(t *testing.T, c *ads.ApplicationDiscoveryService) string {
	t.Helper()
	_, b := summaryExport(t, c)
	files := unzip(t, b)
	f, ok := files[acctA+"_Tags.csv"]
	if !ok {
		t.Fatalf("no Tags.csv in %v", reflect.ValueOf(files).MapKeys())
	}
	return f
}

func TestTags(t *testing.T) {
	s := startServer(t, "")
	srv := seedFleet(t, s)
	c := client(t, s.URL, acctA, "x")
	web1, db1, web2 := srv["web-1.example.com"], srv["db-1.example.com"], srv["web-2.example.com"]
	procs, err := c.ListConfigurations(&ads.ListConfigurationsInput{ConfigurationType: aws.String("PROCESS"), MaxResults: aws.Int64(1)})
	if err != nil || len(procs.Configurations) != 1 {
		t.Fatal(err, procs)
	}
	proc := aws.StringValue(procs.Configurations[0]["process.configurationId"])

	create := func(ids []string, tags ...*ads.Tag) {
		t.Helper()
		if _, err := c.CreateTags(&ads.CreateTagsInput{ConfigurationIds: aws.StringSlice(ids), Tags: tags}); err != nil {
			t.Fatal(err)
		}
	}
	create([]string{web1, db1}, adsTag("env", "prod"))
	create([]string{web1}, adsTag("role", "web"))
	create([]string{db1}, adsTag("role", "db"), adsTag("env", "prod")) // env=prod again: idempotent
	create([]string{proc}, adsTag("owner", "ops"))

	// DescribeTags: everything, in configuration ID, key, value order, two per page.
	all, pages := describeAllTags(t, c)
	want := []string{db1 + " env=prod", db1 + " role=db", proc + " owner=ops", web1 + " env=prod", web1 + " role=web"}
	wantSorted := func(rows []string) []string {
		// The order is by configuration ID: d-process- sorts before d-server-.
		out := append([]string(nil), rows...)
		for i := range out {
			for j := i + 1; j < len(out); j++ {
				if out[j] < out[i] {
					out[i], out[j] = out[j], out[i]
				}
			}
		}
		return out
	}
	if !reflect.DeepEqual(all, wantSorted(want)) || pages != 3 {
		t.Fatalf("DescribeTags = %v in %d pages, want %v", all, pages, wantSorted(want))
	}
	for _, c2 := range []struct {
		fs   []*ads.TagFilter
		want []string
	}{
		{[]*ads.TagFilter{tagFilter("tagKey", "role")}, []string{db1 + " role=db", web1 + " role=web"}},
		{[]*ads.TagFilter{tagFilter("tagValue", "prod", "ops")}, []string{db1 + " env=prod", proc + " owner=ops", web1 + " env=prod"}},
		{[]*ads.TagFilter{tagFilter("tagKey", "env", "role"), tagFilter("configurationId", web1, web2)}, []string{web1 + " env=prod", web1 + " role=web"}},
		{[]*ads.TagFilter{tagFilter("configurationId", web2)}, nil},
	} {
		got, _ := describeAllTags(t, c, c2.fs...)
		if !reflect.DeepEqual(got, wantSorted(c2.want)) {
			t.Errorf("filters %v: %v, want %v", c2.fs, got, wantSorted(c2.want))
		}
	}
	one, err := c.DescribeTags(&ads.DescribeTagsInput{Filters: []*ads.TagFilter{tagFilter("configurationId", proc)}})
	if err != nil || len(one.Tags) != 1 || aws.StringValue(one.Tags[0].ConfigurationType) != "PROCESS" || one.NextToken != nil {
		t.Fatalf("process tag: %v %v", one, err)
	}
	// Account B sees none of A's tags.
	if out, err := client(t, s.URL, acctB, "x").DescribeTags(&ads.DescribeTagsInput{}); err != nil || len(out.Tags) != 0 {
		t.Fatalf("account B: %v %v", out, err)
	}

	// The inventory views follow.
	checkViews := func(tagged int64, roleServers []string, web1Tags string, csvRows []string) {
		t.Helper()
		d, err := c.DescribeConfigurations(&ads.DescribeConfigurationsInput{ConfigurationIds: aws.StringSlice([]string{web1})})
		if err != nil || len(d.Configurations) != 1 {
			t.Fatal(err, d)
		}
		if got := aws.StringValue(d.Configurations[0]["server.tags"]); got != web1Tags {
			t.Errorf("server.tags = %s, want %s", got, web1Tags)
		}
		l, _ := listAllConfigurations(t, c, &ads.ListConfigurationsInput{ConfigurationType: aws.String("SERVER"),
			Filters: []*ads.Filter{filter("server.tag.key", "EQUALS", "role")}}, 10)
		var ids []string
		for _, m := range l {
			ids = append(ids, m["server.configurationId"])
		}
		if !reflect.DeepEqual(wantSorted(ids), wantSorted(roleServers)) {
			t.Errorf("servers with tag role = %v, want %v", ids, roleServers)
		}
		sum, err := c.GetDiscoverySummary(&ads.GetDiscoverySummaryInput{})
		if err != nil {
			t.Fatal(err)
		}
		if got := aws.Int64Value(sum.ServersMappedtoTags); got != tagged {
			t.Errorf("serversMappedtoTags = %d, want %d", got, tagged)
		}
		csv := summaryTagsCSV(t, c)
		lines := strings.Split(strings.TrimRight(strings.ReplaceAll(csv, "\r\n", "\n"), "\n"), "\n")
		var got []string
		for _, l := range lines[1:] {
			f := strings.Split(l, ",")
			got = append(got, f[0]+" "+f[2]+"="+f[3])
		}
		if !reflect.DeepEqual(got, wantSorted(csvRows)) {
			t.Errorf("Tags.csv rows = %v, want %v\n%s", got, csvRows, csv)
		}
	}
	checkViews(2, []string{web1, db1}, `[{"key":"env","value":"prod"},{"key":"role","value":"web"}]`,
		[]string{db1 + " env=prod", db1 + " role=db", web1 + " env=prod", web1 + " role=web"})

	// DeleteTags: one pair (plus one that is not there), then all tags of db-1.
	if _, err := c.DeleteTags(&ads.DeleteTagsInput{ConfigurationIds: aws.StringSlice([]string{web1}), Tags: []*ads.Tag{adsTag("role", "web"), adsTag("role", "nope")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteTags(&ads.DeleteTagsInput{ConfigurationIds: aws.StringSlice([]string{db1})}); err != nil {
		t.Fatal(err)
	}
	all, _ = describeAllTags(t, c)
	if want := wantSorted([]string{proc + " owner=ops", web1 + " env=prod"}); !reflect.DeepEqual(all, want) {
		t.Fatalf("after delete: %v, want %v", all, want)
	}
	checkViews(1, nil, `[{"key":"env","value":"prod"}]`, []string{web1 + " env=prod"})
}

func TestTagsModeledErrors(t *testing.T) {
	s := startServer(t, "")
	srv := seedFleet(t, s)
	c := client(t, s.URL, acctA, "x")
	web1 := srv["web-1.example.com"]
	if _, err := c.CreateTags(&ads.CreateTagsInput{ConfigurationIds: aws.StringSlice([]string{web1}), Tags: []*ads.Tag{adsTag("env", "prod")}}); err != nil {
		t.Fatal(err)
	}
	bOut, err := client(t, s.URL, acctB, "x").ListConfigurations(&ads.ListConfigurationsInput{ConfigurationType: aws.String("SERVER")})
	if err != nil || len(bOut.Configurations) != 1 {
		t.Fatal(err, bOut)
	}
	serverB := aws.StringValue(bOut.Configurations[0]["server.configurationId"])
	snapshot := func() []string { rows, _ := describeAllTags(t, c); return rows }
	before := snapshot()

	// ResourceNotFoundException: unknown IDs and other accounts' IDs; nothing stored.
	for _, bad := range []string{"d-server-0000000000000dead", serverB, "d-application-0123456789abcdef0", "i-0123456789"} {
		_, err := c.CreateTags(&ads.CreateTagsInput{ConfigurationIds: aws.StringSlice([]string{web1, bad}), Tags: []*ads.Tag{adsTag("new", "tag")}})
		rf := wantCode(t, err, ads.ErrCodeResourceNotFoundException, 400)
		if !strings.Contains(rf.Message(), bad) {
			t.Errorf("message %q does not name %s", rf.Message(), bad)
		}
		_, err = c.DeleteTags(&ads.DeleteTagsInput{ConfigurationIds: aws.StringSlice([]string{web1, bad})})
		wantCode(t, err, ads.ErrCodeResourceNotFoundException, 400)
	}
	if got := snapshot(); !reflect.DeepEqual(got, before) {
		t.Fatalf("failed calls changed tags: %v, was %v", got, before)
	}

	// InvalidParameterException: missing required members, unknown filter name.
	for _, r := range []struct{ op, body string }{
		{"CreateTags", `{"tags":[{"key":"k","value":"v"}]}`},
		{"CreateTags", `{"configurationIds":["` + web1 + `"]}`},
		{"DeleteTags", `{}`},
		{"DescribeTags", `{"filters":[{"name":"tagKey"}]}`},
	} {
		code, body := rawADS(t, s.URL, r.op, r.body)
		if code != 400 || !strings.Contains(body, "InvalidParameterException") {
			t.Errorf("%s %s = %d %s", r.op, r.body, code, body)
		}
	}
	_, err = c.DescribeTags(&ads.DescribeTagsInput{Filters: []*ads.TagFilter{tagFilter("key", "env")}})
	wantCode(t, err, ads.ErrCodeInvalidParameterException, 400)

	// InvalidParameterValueException: empty lists, empty key, maxResults, tokens.
	_, err = c.CreateTags(&ads.CreateTagsInput{ConfigurationIds: aws.StringSlice([]string{web1}), Tags: []*ads.Tag{}})
	wantCode(t, err, ads.ErrCodeInvalidParameterValueException, 400)
	_, err = c.CreateTags(&ads.CreateTagsInput{ConfigurationIds: []*string{}, Tags: []*ads.Tag{adsTag("k", "v")}})
	wantCode(t, err, ads.ErrCodeInvalidParameterValueException, 400)
	_, err = c.CreateTags(&ads.CreateTagsInput{ConfigurationIds: aws.StringSlice([]string{web1}), Tags: []*ads.Tag{adsTag("", "v")}})
	wantCode(t, err, ads.ErrCodeInvalidParameterValueException, 400)
	_, err = c.DescribeTags(&ads.DescribeTagsInput{MaxResults: aws.Int64(-1)})
	rf := wantCode(t, err, ads.ErrCodeInvalidParameterValueException, 400)
	if rf.Message() != "1 validation error detected: Value '-1' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 0" {
		t.Errorf("message %q", rf.Message())
	}
	var ts []*ads.Tag
	for _, k := range []string{"a", "b", "c"} {
		ts = append(ts, adsTag(k, "1"))
	}
	if _, err := c.CreateTags(&ads.CreateTagsInput{ConfigurationIds: aws.StringSlice([]string{web1}), Tags: ts}); err != nil {
		t.Fatal(err)
	}
	page, err := c.DescribeTags(&ads.DescribeTagsInput{MaxResults: aws.Int64(1)})
	if err != nil || page.NextToken == nil {
		t.Fatal(err, page)
	}
	for _, in := range []*ads.DescribeTagsInput{
		{NextToken: aws.String(*page.NextToken + "x")},
		{NextToken: page.NextToken, Filters: []*ads.TagFilter{tagFilter("tagKey", "a")}},
	} {
		_, err := c.DescribeTags(in)
		rf := wantCode(t, err, ads.ErrCodeInvalidParameterValueException, 400)
		if rf.Message() != "The nextToken is not valid for this request." {
			t.Errorf("message %q", rf.Message())
		}
	}
	_, err = client(t, s.URL, acctB, "x").DescribeTags(&ads.DescribeTagsInput{NextToken: page.NextToken})
	wantCode(t, err, ads.ErrCodeInvalidParameterValueException, 400)
	// maxResults above 100 is capped, 0 is the default.
	for _, m := range []int64{0, 500} {
		out, err := c.DescribeTags(&ads.DescribeTagsInput{MaxResults: aws.Int64(m)})
		if err != nil || len(out.Tags) != 4 || out.NextToken != nil {
			t.Fatalf("maxResults %d: %v %v", m, out, err)
		}
	}
	// Tags per configuration item: 30.
	ts = nil
	for i := range 27 {
		ts = append(ts, adsTag("k", strings.Repeat("x", i+1)))
	}
	_, err = c.CreateTags(&ads.CreateTagsInput{ConfigurationIds: aws.StringSlice([]string{web1}), Tags: ts})
	wantCode(t, err, ads.ErrCodeInvalidParameterValueException, 400)
	if _, err := c.CreateTags(&ads.CreateTagsInput{ConfigurationIds: aws.StringSlice([]string{web1}), Tags: ts[:26]}); err != nil {
		t.Fatalf("30 tags refused: %v", err)
	}

	t.Run("AuthorizationError", func(t *testing.T) {
		s := startServer(t, "", "--credentials", writeCredentials(t))
		ro := client(t, s.URL, keyRO, secretR)
		_, err := ro.CreateTags(&ads.CreateTagsInput{ConfigurationIds: aws.StringSlice([]string{"d-server-0000000000000dead"}), Tags: []*ads.Tag{adsTag("k", "v")}})
		wantCode(t, err, ads.ErrCodeAuthorizationErrorException, 400)
		_, err = ro.DeleteTags(&ads.DeleteTagsInput{ConfigurationIds: aws.StringSlice([]string{"d-server-0000000000000dead"})})
		wantCode(t, err, ads.ErrCodeAuthorizationErrorException, 400)
		if _, err := ro.DescribeTags(&ads.DescribeTagsInput{}); err != nil {
			t.Fatalf("DescribeTags is a Describe* action: %v", err)
		}
	})
	t.Run("HomeRegionNotSet", func(t *testing.T) {
		s := startServer(t, "", "--home-region", "none")
		c := client(t, s.URL, acctA, "x")
		_, err := c.CreateTags(&ads.CreateTagsInput{ConfigurationIds: aws.StringSlice([]string{"d-server-0000000000000dead"}), Tags: []*ads.Tag{adsTag("k", "v")}})
		wantCode(t, err, ads.ErrCodeHomeRegionNotSetException, 400)
		_, err = c.DeleteTags(&ads.DeleteTagsInput{ConfigurationIds: aws.StringSlice([]string{"d-server-0000000000000dead"})})
		wantCode(t, err, ads.ErrCodeHomeRegionNotSetException, 400)
		_, err = c.DescribeTags(&ads.DescribeTagsInput{})
		wantCode(t, err, ads.ErrCodeHomeRegionNotSetException, 400)
	})
}
