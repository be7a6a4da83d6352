package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go/aws"
	ads "github.com/aws/aws-sdk-go/service/applicationdiscoveryservice"
)

// A reset while an import runs ends that import: nothing it reads after the
// reset lands in the fresh store.
func TestImportStopsAtReset(t *testing.T) {
	s := startServer(t, "")
	c := client(t, s.URL, acctA, "x")
	bucket := filepath.Join(s.Data, "buckets", "b")
	if err := os.MkdirAll(bucket, 0o755); err != nil {
		t.Fatal(err)
	}
	var big strings.Builder
	big.WriteString(importHeader)
	for i := range 3000 {
		fmt.Fprintf(&big, "big-%d,,,big-host-%d,Linux,2,,,\n", i, i)
	}
	if err := os.WriteFile(filepath.Join(bucket, "big.csv"), []byte(big.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	small := importHeader + "small-1,,,small-host,Linux,2,,,\n"
	if err := os.WriteFile(filepath.Join(bucket, "small.csv"), []byte(small), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := c.StartImportTask(&ads.StartImportTaskInput{Name: aws.String("big"), ImportUrl: aws.String("s3://b/big.csv")}); err != nil {
		t.Fatal(err)
	}
	if code, out := control(t, s.URL, "reset", "", map[string]any{}); code != 200 {
		t.Fatalf("reset: %d %v", code, out)
	}
	// One runner takes tasks in turn: once this import is done, the big
	// one has stopped (or never started).
	if st := startImport(t, c, "small", "s3://b/small.csv"); aws.StringValue(st.Status) != "IMPORT_COMPLETE" {
		t.Fatalf("small import: %v", st)
	}
	if hosts := serverHosts(t, c); len(hosts) != 1 || hosts[0] != "small-host" {
		t.Fatalf("after the reset the account holds %d servers, want only the small import's: %.5v", len(hosts), hosts)
	}
	out, err := c.DescribeImportTasks(&ads.DescribeImportTasksInput{})
	if err != nil || len(out.Tasks) != 1 || aws.StringValue(out.Tasks[0].Name) != "small" {
		t.Fatalf("tasks after reset: %v %v", out, err)
	}
}

// A task that cannot finish (here its errors zip cannot be written) ends
// IMPORT_FAILED instead of being retried forever, and the tasks behind it
// run.
func TestImportThatCannotFinishFails(t *testing.T) {
	s := startServer(t, "")
	c := client(t, s.URL, acctA, "x")
	bucket := filepath.Join(s.Data, "buckets", "b")
	if err := os.MkdirAll(bucket, 0o755); err != nil {
		t.Fatal(err)
	}
	// A file where the account's errors-zip directory would go.
	if err := os.MkdirAll(filepath.Join(s.Data, "imports"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.Data, "imports", acctA), []byte("not a directory"), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := importHeader + "ok-1,,,ok-host,Linux,2,,,\n" + "bad-1,,,bad-host,Linux,many,,,\n"
	if err := os.WriteFile(filepath.Join(bucket, "bad.csv"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	good := importHeader + "good-1,,,good-host,Linux,2,,,\n"
	if err := os.WriteFile(filepath.Join(bucket, "good.csv"), []byte(good), 0o644); err != nil {
		t.Fatal(err)
	}
	first, err := c.StartImportTask(&ads.StartImportTaskInput{Name: aws.String("bad"), ImportUrl: aws.String("s3://b/bad.csv")})
	if err != nil {
		t.Fatal(err)
	}
	if st := startImport(t, c, "good", "s3://b/good.csv"); aws.StringValue(st.Status) != "IMPORT_COMPLETE" {
		t.Fatalf("the task behind the failing one: %v", st)
	}
	if st := waitImport(t, c, aws.StringValue(first.Task.ImportTaskId)); aws.StringValue(st.Status) != "IMPORT_FAILED" || st.ImportCompletionTime == nil {
		t.Fatalf("the task that cannot finish: %v", st)
	}
}
