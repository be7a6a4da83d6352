package main

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go/aws"
	ads "github.com/aws/aws-sdk-go/service/applicationdiscoveryservice"

	"github.com/poseidon-ads/poseidon/internal/agentdata"
)

// longText returns n bytes of random base64 text: no commas, colons or
// quotes, and as good as incompressible (a database that keeps a value in
// an index cannot shrink it under its limits, such as PostgreSQL's 2,704
// bytes of a B-tree entry).
func longText(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawStdEncoding.EncodeToString(b)[:n]
}

// Values with no length bound are kept whole on every store: an import
// row's identity and OS fields, application name and tag, of 1 KiB (the
// intake's bound on a string) and of 4 KiB (under the model's 10,000
// characters of an attribute), which sort and filter the servers; and tags
// of 64 KiB made by CreateTags, which are found by item, not doubled by a
// second CreateTags and deleted by DeleteTags.
func TestLongValues(t *testing.T) {
	for _, n := range []int{1 << 10, 4 << 10} {
		t.Run(fmt.Sprintf("import %d bytes", n), func(t *testing.T) {
			importLongValues(t, n)
		})
	}
	t.Run("agent export of a 1,000-character agent ID", func(t *testing.T) {
		// A filter value holds at most 1,000 characters: 4,000 bytes of
		// UTF-8 here. The export is accepted, found by its agent, and
		// fails (no such agent).
		s := startServer(t, "")
		c := client(t, s.URL, acctA, "x")
		b := make([]byte, 1000)
		rand.Read(b)
		var agent strings.Builder
		for _, x := range b {
			agent.WriteRune(rune(0x10000 + int(x)*997))
		}
		id := agent.String()
		out, err := c.StartExportTask(&ads.StartExportTaskInput{Filters: []*ads.ExportFilter{{Name: aws.String("agentIds"), Values: []*string{&id}, Condition: aws.String("EQUALS")}}})
		if err != nil {
			t.Fatal(err)
		}
		if info := waitExport(t, c, aws.StringValue(out.ExportId)); aws.StringValue(info.ExportStatus) != ads.ExportStatusFailed {
			t.Fatalf("export of an unknown agent: %v", info)
		}
		found, err := c.DescribeExportTasks(&ads.DescribeExportTasksInput{Filters: []*ads.ExportFilter{{Name: aws.String("agentIds"), Values: []*string{&id}, Condition: aws.String("EQUALS")}}})
		if err != nil || len(found.ExportsInfo) != 1 || aws.StringValue(found.ExportsInfo[0].ExportId) != aws.StringValue(out.ExportId) {
			t.Fatalf("exports of the agent: %v %v", found, err)
		}
	})
	t.Run("agent interface name of 8 KiB", func(t *testing.T) {
		s := startServer(t, "")
		c := client(t, s.URL, acctA, "x")
		r := agentReport(1, 0)
		name := longText(8 << 10)
		r.NetworkInterfaces = append(r.NetworkInterfaces, agentdata.NetworkInterface{Name: name, IPAddress: "10.20.0.1"})
		for range 2 {
			takeInReports(t, s.URL, acctA, "x", r)
			r.ReportID, r.Timestamp = "e2e-1-1", r.Timestamp+60
		}
		out, err := c.ListConfigurations(&ads.ListConfigurationsInput{ConfigurationType: aws.String("SERVER")})
		if err != nil || len(out.Configurations) != 1 {
			t.Fatalf("servers: %v %v", out, err)
		}
		id := out.Configurations[0]["server.configurationId"]
		d, err := c.DescribeConfigurations(&ads.DescribeConfigurationsInput{ConfigurationIds: []*string{id}})
		if err != nil || len(d.Configurations) != 1 || !strings.Contains(aws.StringValue(d.Configurations[0]["server.networkInterfaceInfo"]), name) {
			t.Fatalf("the server's interfaces do not hold the long name: %v", err)
		}
	})
	t.Run("CreateTags 64 KiB", func(t *testing.T) {
		s := startServer(t, "")
		c := client(t, s.URL, acctA, "x")
		id := importServers(t, s, c, "ExternalId,HostName\nshort-1,short-host\n")["short-host"]
		k, v := longText(64<<10), longText(64<<10)
		for range 2 {
			if _, err := c.CreateTags(&ads.CreateTagsInput{ConfigurationIds: []*string{&id}, Tags: []*ads.Tag{{Key: &k, Value: &v}, {Key: &k, Value: aws.String("short")}}}); err != nil {
				t.Fatal(err)
			}
		}
		want := []string{"short", v}
		if v < "short" {
			want = []string{v, "short"}
		}
		if tags := tagsWithKey(t, c, id, k); len(tags) != 2 || aws.StringValue(tags[0].Value) != want[0] || aws.StringValue(tags[1].Value) != want[1] {
			t.Fatalf("tags made twice: %d, want 2 in value order", len(tags))
		}
		if _, err := c.DeleteTags(&ads.DeleteTagsInput{ConfigurationIds: []*string{&id}, Tags: []*ads.Tag{{Key: &k, Value: &v}}}); err != nil {
			t.Fatal(err)
		}
		if tags := tagsWithKey(t, c, id, k); len(tags) != 1 || aws.StringValue(tags[0].Value) != "short" {
			t.Fatalf("tags after deleting the long pair: %d", len(tags))
		}
	})
}

// importLongValues imports a server whose fields are n bytes long, and
// reads them back.
func importLongValues(t *testing.T, n int) {
	s := startServer(t, "")
	c := client(t, s.URL, acctA, "x")
	ext, ip, host, osName, osVersion, app, key, value := longText(n), longText(n), longText(n), longText(n), longText(n), longText(n), longText(n), longText(n)
	ids := importServers(t, s, c, "ExternalId,IPAddress,HostName,OS.Name,OS.Version,Applications,Tags\n"+
		strings.Join([]string{ext, ip, host, osName, osVersion, app, key + ":" + value}, ",")+"\n"+
		"short-1,10.1.0.2,short-host,Linux,1,,\n")
	long := ids[host]
	for _, order := range []string{"ASC", "DESC"} {
		out, err := c.ListConfigurations(&ads.ListConfigurationsInput{ConfigurationType: aws.String("SERVER"),
			OrderBy: []*ads.OrderByElement{{FieldName: aws.String("server.osVersion"), SortOrder: aws.String(order)}}})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range out.Configurations {
			got = append(got, aws.StringValue(m["server.osVersion"]))
		}
		want := []string{osVersion, "1"}
		if (osVersion > "1") == (order == "ASC") {
			want = []string{"1", osVersion}
		}
		if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
			t.Fatalf("servers by OS version %s: %.40q", order, got)
		}
	}
	// (A filter value is at most 1,000 characters.)
	out, err := c.ListConfigurations(&ads.ListConfigurationsInput{ConfigurationType: aws.String("SERVER"),
		Filters: []*ads.Filter{{Name: aws.String("server.osName"), Condition: aws.String("CONTAINS"), Values: []*string{aws.String(osName[n-40:])}}}})
	if err != nil || len(out.Configurations) != 1 || aws.StringValue(out.Configurations[0]["server.configurationId"]) != long {
		t.Fatalf("servers of the long OS name: %.200v %v", out, err)
	}
	d, err := c.DescribeConfigurations(&ads.DescribeConfigurationsInput{ConfigurationIds: []*string{&long}})
	if err != nil || len(d.Configurations) != 1 {
		t.Fatalf("describe: %v %v", d, err)
	}
	for attr, want := range map[string]string{"server.hostName": host, "server.osName": osName, "server.osVersion": osVersion} {
		if got := aws.StringValue(d.Configurations[0][attr]); got != want {
			t.Errorf("%s = %.40q…, want the imported %d bytes", attr, got, n)
		}
	}
	apps, err := c.ListConfigurations(&ads.ListConfigurationsInput{ConfigurationType: aws.String("APPLICATION")})
	if err != nil || len(apps.Configurations) != 1 || aws.StringValue(apps.Configurations[0]["application.name"]) != app {
		t.Fatalf("the imported application: %.200v %v", apps, err)
	}
	if tags := tagsWithKey(t, c, long, key); len(tags) != 1 || aws.StringValue(tags[0].Value) != value {
		t.Fatalf("the imported tag: %d tags with its key", len(tags))
	}
	// A second import of the row finds its server by external ID.
	again := importServers(t, s, c, "ExternalId,HostName\n"+ext+",renamed\n")
	if again["renamed"] != long || len(again) != 2 {
		t.Fatalf("the row imported again matched %v, want %s", again, long)
	}
}

// importServers imports a CSV into the account and returns its servers'
// IDs by host name.
func importServers(t *testing.T, s *testServer, c *ads.ApplicationDiscoveryService, csv string) map[string]string {
	t.Helper()
	bucket := filepath.Join(s.Data, "buckets", "b")
	if err := os.MkdirAll(bucket, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bucket, "servers.csv"), []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	rows := int64(strings.Count(csv, "\n") - 1)
	if st := startImport(t, c, "servers", "s3://b/servers.csv"); aws.StringValue(st.Status) != "IMPORT_COMPLETE" || aws.Int64Value(st.ServerImportSuccess) != rows {
		t.Fatalf("import: %v", st)
	}
	ids := map[string]string{}
	err := c.ListConfigurationsPages(&ads.ListConfigurationsInput{ConfigurationType: aws.String("SERVER")}, func(out *ads.ListConfigurationsOutput, _ bool) bool {
		for _, m := range out.Configurations {
			ids[aws.StringValue(m["server.hostName"])] = aws.StringValue(m["server.configurationId"])
		}
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// tagsWithKey returns the tags of an item with key k, in value order. (A
// filter value is at most 1,000 characters: the tags are found by their
// item, then by key.)
func tagsWithKey(t *testing.T, c *ads.ApplicationDiscoveryService, id, k string) []*ads.ConfigurationTag {
	t.Helper()
	out, err := c.DescribeTags(&ads.DescribeTagsInput{Filters: []*ads.TagFilter{{Name: aws.String("configurationId"), Values: []*string{&id}}}})
	if err != nil {
		t.Fatal(err)
	}
	var tags []*ads.ConfigurationTag
	for _, tag := range out.Tags {
		if aws.StringValue(tag.Key) == k {
			tags = append(tags, tag)
		}
	}
	return tags
}
