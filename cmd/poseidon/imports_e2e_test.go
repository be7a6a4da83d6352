package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	ads "github.com/aws/aws-sdk-go/service/applicationdiscoveryservice"
)

const importHeader = "ExternalId,IPAddress,MACAddress,HostName,OS.Name,CPU.NumberOfCores,Applications,ApplicationWave,Tags\n"

func waitImport(t *testing.T, c *ads.ApplicationDiscoveryService, id string) *ads.ImportTask {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, err := c.DescribeImportTasks(&ads.DescribeImportTasksInput{Filters: []*ads.ImportTaskFilter{{Name: aws.String("IMPORT_TASK_ID"), Values: []*string{aws.String(id)}}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Tasks) != 1 {
			t.Fatalf("describe %s: %d tasks", id, len(out.Tasks))
		}
		if s := aws.StringValue(out.Tasks[0].Status); s != "IMPORT_IN_PROGRESS" {
			return out.Tasks[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("import %s still in progress", id)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func startImport(t *testing.T, c *ads.ApplicationDiscoveryService, name, u string) *ads.ImportTask {
	t.Helper()
	out, err := c.StartImportTask(&ads.StartImportTaskInput{Name: aws.String(name), ImportUrl: aws.String(u)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.StringValue(out.Task.Status) != "IMPORT_IN_PROGRESS" {
		t.Fatalf("start status %s", aws.StringValue(out.Task.Status))
	}
	return waitImport(t, c, aws.StringValue(out.Task.ImportTaskId))
}

// serverHosts returns the host names of the account's servers, over every
// page, sorted.
func serverHosts(t *testing.T, c *ads.ApplicationDiscoveryService) []string {
	t.Helper()
	var hosts []string
	err := c.ListConfigurationsPages(&ads.ListConfigurationsInput{ConfigurationType: aws.String("SERVER")},
		func(out *ads.ListConfigurationsOutput, _ bool) bool {
			for _, m := range out.Configurations {
				hosts = append(hosts, aws.StringValue(m["server.hostName"]))
			}
			return true
		})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(hosts)
	return hosts
}

func TestImportTasks(t *testing.T) {
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(importHeader + "ext-h,,,http-1,Linux,2,,,\n"))
	}))
	defer hs.Close()
	allowed := t.TempDir()
	s := startServer(t, "", "--import-allow-dir", allowed, "--import-allow-host", strings.TrimPrefix(hs.URL, "http://"))
	c := client(t, s.URL, acctA, "x")
	bucket := filepath.Join(s.Data, "buckets", "my-bucket")
	if err := os.MkdirAll(bucket, 0o755); err != nil {
		t.Fatal(err)
	}
	good := importHeader +
		"ext-1,10.1.0.1,02:00:00:00:01:01,app-1,Linux,4,\"shop, crm\",1,\"env:prod, zone:1\"\n" +
		"ext-2,10.1.0.2,02:00:00:00:01:02,db-1,Linux,8,shop,,env:prod\n"
	if err := os.WriteFile(filepath.Join(bucket, "good.csv"), []byte(good), 0o644); err != nil {
		t.Fatal(err)
	}
	task := startImport(t, c, "good", "s3://my-bucket/good.csv")
	if aws.StringValue(task.Status) != "IMPORT_COMPLETE" || aws.Int64Value(task.ServerImportSuccess) != 2 || aws.Int64Value(task.ServerImportFailure) != 0 ||
		aws.Int64Value(task.ApplicationImportSuccess) != 2 || task.ErrorsAndFailedEntriesZip != nil || task.ImportCompletionTime == nil {
		t.Fatalf("good import: %v", task)
	}
	if got := serverHosts(t, c); strings.Join(got, ",") != "app-1,db-1" {
		t.Fatalf("servers %v", got)
	}
	apps, err := c.ListConfigurations(&ads.ListConfigurationsInput{ConfigurationType: aws.String("APPLICATION")})
	if err != nil || len(apps.Configurations) != 2 {
		t.Fatalf("applications %v %v", apps, err)
	}
	tags, err := c.DescribeTags(&ads.DescribeTagsInput{})
	if err != nil || len(tags.Tags) != 3 {
		t.Fatalf("tags %v %v", tags, err)
	}

	// Re-import: matched by ExternalId, not duplicated.
	again := startImport(t, c, "again", "s3://my-bucket/good.csv")
	if aws.StringValue(again.Status) != "IMPORT_COMPLETE" || aws.Int64Value(again.ApplicationImportSuccess) != 0 {
		t.Fatalf("re-import: %v", again)
	}
	if got := serverHosts(t, c); len(got) != 2 {
		t.Fatalf("re-import duplicated servers: %v", got)
	}

	// Partly bad file over file://: per-row failures and an errors zip.
	bad := importHeader + "ext-3,,,web-9,Linux,4,,,\n" + ",,,,Linux,4,,,\n" + "ext-4,,,web-10,Linux,many,,,\n" + "ext-5,,,web-11\n"
	badPath := filepath.Join(allowed, "bad.csv")
	if err := os.WriteFile(badPath, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	bt := startImport(t, c, "bad", "file://"+badPath)
	if aws.StringValue(bt.Status) != "IMPORT_COMPLETE_WITH_ERRORS" || aws.Int64Value(bt.ServerImportSuccess) != 1 || aws.Int64Value(bt.ServerImportFailure) != 3 {
		t.Fatalf("bad import: %v", bt)
	}
	code, body := download(t, aws.StringValue(bt.ErrorsAndFailedEntriesZip))
	if code != http.StatusOK {
		t.Fatalf("errors zip: HTTP %d", code)
	}
	members := unzip(t, body)
	failed := members["failed-entries-file.csv"]
	if !strings.Contains(members["errors-file.csv"], "CPU.NumberOfCores") || strings.Count(failed, "\n") != 4 || !strings.Contains(failed, "ErrorReason") || !strings.Contains(failed, "identifying fields") {
		t.Fatalf("zip %v", members)
	}

	// Malformed CSV fails as a whole.
	mal := filepath.Join(bucket, "mal.csv")
	_ = os.WriteFile(mal, []byte(importHeader+"ext-9,\"10.0.0.1,x\n"), 0o644)
	if mt := startImport(t, c, "mal", "s3://my-bucket/mal.csv"); aws.StringValue(mt.Status) != "IMPORT_FAILED" || mt.ErrorsAndFailedEntriesZip == nil {
		t.Fatalf("malformed: %v", mt)
	}

	// Idempotency.
	in := &ads.StartImportTaskInput{Name: aws.String("tok"), ImportUrl: aws.String("s3://my-bucket/good.csv"), ClientRequestToken: aws.String("tok-1")}
	o1, err := c.StartImportTask(in)
	if err != nil {
		t.Fatal(err)
	}
	o2, err := c.StartImportTask(in)
	if err != nil || aws.StringValue(o1.Task.ImportTaskId) != aws.StringValue(o2.Task.ImportTaskId) {
		t.Fatalf("idempotent retry: %v %v", o2, err)
	}
	_, err = c.StartImportTask(&ads.StartImportTaskInput{Name: aws.String("other"), ImportUrl: aws.String("s3://my-bucket/good.csv"), ClientRequestToken: aws.String("tok-1")})
	wantCode(t, err, "ResourceInUseException", 400)
	waitImport(t, c, aws.StringValue(o1.Task.ImportTaskId))

	// URL rules.
	// Only the allowed directory and host: not another path, not another
	// spelling of the allowed host.
	port := strings.TrimPrefix(hs.URL, "http://127.0.0.1:")
	for _, u := range []string{"http://example.com/x.csv", "https://10.0.0.1/x.csv", "s3://my-bucket/../../etc/passwd", "s3://my-bucket/a/../../x.csv",
		"file://relative/x.csv", "ftp://host/x.csv", "file:///etc/passwd", "file://" + filepath.Join(s.Data, "poseidon.db"), "file://" + allowed,
		"http://localhost:" + port + "/f.csv", "http://[::1]:" + port + "/f.csv", "http://2130706433:" + port + "/f.csv"} {
		_, err := c.StartImportTask(&ads.StartImportTaskInput{Name: aws.String("u"), ImportUrl: aws.String(u)})
		wantCode(t, err, "InvalidParameterValueException", 400)
	}
	if ht := startImport(t, c, "http", hs.URL+"/f.csv"); aws.StringValue(ht.Status) != "IMPORT_COMPLETE" || aws.Int64Value(ht.ServerImportSuccess) != 1 {
		t.Fatalf("http import: %v", ht)
	}

	// Pagination and filters.
	var ids []string
	var next *string
	for {
		out, err := c.DescribeImportTasks(&ads.DescribeImportTasksInput{MaxResults: aws.Int64(2), NextToken: next})
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range out.Tasks {
			ids = append(ids, aws.StringValue(tk.ImportTaskId))
		}
		if next = out.NextToken; next == nil {
			break
		}
	}
	if len(ids) != 6 {
		t.Fatalf("paged %d tasks", len(ids))
	}
	st, err := c.DescribeImportTasks(&ads.DescribeImportTasksInput{Filters: []*ads.ImportTaskFilter{{Name: aws.String("STATUS"), Values: []*string{aws.String("IMPORT_FAILED")}}}})
	if err != nil || len(st.Tasks) != 1 {
		t.Fatalf("status filter %v %v", st, err)
	}

	// BatchDeleteImportData: the "good" task's created servers go (but
	// the re-import and token task matched them, so they stay until those go too).
	del, err := c.BatchDeleteImportData(&ads.BatchDeleteImportDataInput{ImportTaskIds: []*string{bt.ImportTaskId, aws.String("import-task-0123456789abcdef0123456789abcdef")}, DeleteHistory: aws.Bool(true)})
	if err != nil || len(del.Errors) != 1 || aws.StringValue(del.Errors[0].ErrorCode) != "NOT_FOUND" {
		t.Fatalf("delete: %v %v", del, err)
	}
	if got := serverHosts(t, c); strings.Join(got, ",") != "app-1,db-1,http-1" {
		t.Fatalf("after delete %v", got)
	}
	if out, _ := c.DescribeImportTasks(&ads.DescribeImportTasksInput{}); len(out.Tasks) != 5 {
		t.Fatalf("history not deleted: %d", len(out.Tasks))
	}
}

// The summary export's ImportTemplate re-imports cleanly: same servers,
// applications and tags, matched rather than duplicated.
func TestImportTemplateRoundTrip(t *testing.T) {
	s := startServer(t, "")
	srv := seedFleet(t, s)
	c := client(t, s.URL, acctA, "x")
	app, err := c.CreateApplication(&ads.CreateApplicationInput{Name: aws.String("shop")})
	if err != nil {
		t.Fatal(err)
	}
	var ids []*string
	for _, id := range srv {
		ids = append(ids, aws.String(id))
	}
	if _, err := c.AssociateConfigurationItemsToApplication(&ads.AssociateConfigurationItemsToApplicationInput{ApplicationConfigurationId: app.ConfigurationId, ConfigurationIds: ids}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateTags(&ads.CreateTagsInput{ConfigurationIds: ids, Tags: []*ads.Tag{{Key: aws.String("env"), Value: aws.String("prod")}}}); err != nil {
		t.Fatal(err)
	}
	before := serverHosts(t, c)
	_, members := exportZip(t, c, &ads.StartExportTaskInput{})
	tpl := members[acctA+"_ImportTemplate.csv"]
	if tpl == "" {
		t.Fatalf("no ImportTemplate in %v", func() []string {
			var k []string
			for n := range members {
				k = append(k, n)
			}
			return k
		}())
	}
	p := filepath.Join(s.Data, "buckets", "round-trip", "tpl.csv")
	_ = os.MkdirAll(filepath.Dir(p), 0o755)
	_ = os.WriteFile(p, []byte(tpl), 0o644)
	task := startImport(t, c, "round trip", "s3://round-trip/tpl.csv")
	if aws.StringValue(task.Status) != "IMPORT_COMPLETE" || aws.Int64Value(task.ServerImportSuccess) != int64(len(before)) || aws.Int64Value(task.ApplicationImportSuccess) != 0 {
		t.Fatalf("round trip import: %v", task)
	}
	if after := serverHosts(t, c); strings.Join(after, ",") != strings.Join(before, ",") {
		t.Fatalf("servers %v, want %v", after, before)
	}
	apps, _ := c.ListConfigurations(&ads.ListConfigurationsInput{ConfigurationType: aws.String("APPLICATION")})
	tags, _ := c.DescribeTags(&ads.DescribeTagsInput{})
	if len(apps.Configurations) != 1 || len(tags.Tags) != len(srv) {
		t.Fatalf("apps %d tags %d", len(apps.Configurations), len(tags.Tags))
	}
}

// --import-allow-dir and --import-allow-host come from POSEIDON_* variables
// like every serve flag (comma-separated lists), and a directory tenants
// must not read stops the start.
func TestImportAllowFlags(t *testing.T) {
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(importHeader + "ext-env-h,,,env-http,Linux,2,,,\n"))
	}))
	defer hs.Close()
	one, two := t.TempDir(), t.TempDir()
	mustWrite(t, filepath.Join(two, "f.csv"), importHeader+"ext-env-f,,,env-file,Linux,2,,,\n")
	t.Setenv("POSEIDON_IMPORT_ALLOW_DIR", one+","+two)
	t.Setenv("POSEIDON_IMPORT_ALLOW_HOST", "example.invalid.:80,"+strings.TrimPrefix(hs.URL, "http://"))
	// example.invalid does not resolve: the server refuses to start.
	if err := run(t.Context(), []string{"serve", "--addr", "127.0.0.1:0", "--data", t.TempDir()}, io.Discard, io.Discard); err == nil ||
		!strings.Contains(err.Error(), "example.invalid") {
		t.Fatalf("serve with an unresolvable allowed host: %v", err)
	}
	t.Setenv("POSEIDON_IMPORT_ALLOW_HOST", strings.TrimPrefix(hs.URL, "http://"))
	s := startServer(t, "")
	c := client(t, s.URL, acctA, "x")
	for _, u := range []string{"file://" + filepath.Join(two, "f.csv"), hs.URL + "/f.csv"} {
		if st := startImport(t, c, "env", u); aws.StringValue(st.Status) != "IMPORT_COMPLETE" {
			t.Fatalf("%s: %v", u, st)
		}
	}
	os.Unsetenv("POSEIDON_IMPORT_ALLOW_HOST")
	data := t.TempDir()
	creds := writeCredentials(t)
	for _, dir := range []string{data, filepath.Join(data, "buckets"), filepath.Dir(data), filepath.Dir(creds), "/", "/proc/self", "/nonexistent-dir"} {
		os.MkdirAll(filepath.Join(data, "buckets"), 0o755)
		err := run(t.Context(), []string{"serve", "--addr", "127.0.0.1:0", "--data", data, "--credentials", creds, "--import-allow-dir", dir}, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "--import-allow-dir") {
			t.Errorf("serve --import-allow-dir %s: %v", dir, err)
		}
	}
}
