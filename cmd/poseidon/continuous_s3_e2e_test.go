package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	ads "github.com/aws/aws-sdk-go/service/applicationdiscoveryservice"
	s3v1 "github.com/aws/aws-sdk-go/service/s3"
	"github.com/parquet-go/parquet-go"

	"github.com/poseidon-ads/poseidon/internal/continuous"
	"github.com/poseidon-ads/poseidon/internal/s3objects"
)

// startMoto starts moto's S3 server (python3 -m moto.server) on a free port
// and returns its URL; it skips the test if moto is missing (fails under
// CI=true).
func startMoto(t *testing.T) string {
	t.Helper()
	if err := exec.Command("python3", "-c", "import moto.server").Run(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("moto is required under CI=true (python3 -m moto.server): %v", err)
		}
		t.Skipf("moto is not installed (python3 -m moto.server): %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command("python3", "-m", "moto.server", "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	// moto's log (its tracebacks too) is shown if the test fails.
	var mu sync.Mutex
	var log bytes.Buffer
	cmd.Stdout = writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return log.Write(p) })
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			mu.Lock()
			t.Logf("moto's log:\n%s", log.String())
			mu.Unlock()
		}
	})
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	// moto's own dashboard answers 200: not another server that took the
	// port between its pick and moto's start.
	eventually(t, "moto answers", func() bool {
		res, err := http.Get(url + "/moto-api/")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	})
	return url
}

// With --s3-endpoint, the bucket is made on the S3-compatible store and the
// catalogue and the Parquet files are written there through the SDK's S3
// client, at the same keys as in the data directory; nothing is written to
// the data directory. A reset empties the account's bucket.
func TestContinuousExportToS3(t *testing.T) {
	moto := startMoto(t)
	s := startServerLogged(t, "", "--s3-endpoint", moto, "--s3-access-key-id", "poseidon", "--s3-secret-access-key", "poseidon")
	c := client(t, s.URL, acctA, "x")
	st, err := c.StartContinuousExport(&ads.StartContinuousExportInput{})
	if err != nil {
		t.Fatal(err)
	}
	bucket := aws.ToString(st.S3Bucket)
	store, err := s3objects.New(s3objects.Config{Endpoint: moto, AccessKeyID: "poseidon", SecretAccessKey: "poseidon"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	keys := func() []string {
		var out []string
		p := s3.NewListObjectsV2Paginator(store.Client(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range page.Contents {
				out = append(out, aws.ToString(o.Key))
			}
		}
		return out
	}
	if k := keys(); !slices.Contains(k, continuous.AthenaDDLKey) || !slices.Contains(k, continuous.DuckDBScriptKey) ||
		!slices.Contains(k, "os_info_agent/"+continuous.SchemaFile) {
		t.Fatalf("catalogue keys %v", k)
	}
	advance(t, s.URL, 11*time.Second)
	fb := fleetBatch(time.Now().Add(-2 * time.Hour).Truncate(time.Minute))
	postAgentBatch(t, s.URL, acctA, &fb)
	advance(t, s.URL, continuous.DefaultBufferInterval)
	var data []string
	eventually(t, "the delivery to S3", func() bool {
		data = nil
		for _, k := range keys() {
			if keyLayout.MatchString(k) {
				data = append(data, k)
			}
		}
		return len(data) == len(continuous.Tables)
	})
	for _, k := range data {
		if strings.HasPrefix(k, continuous.TableOSInfo+"/") {
			obj, err := store.Client().GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(k)})
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(obj.Body)
			obj.Body.Close()
			rows, err := parquet.Read[continuous.OSInfoRow](bytes.NewReader(b), int64(len(b)))
			if err != nil || len(rows) != len(fb.Reports) {
				t.Fatalf("%s: %d rows, %v", k, len(rows), err)
			}
		}
	}
	// poseidon's bucket endpoint serves the same objects from the store.
	served, err := bucketClient(t, s.URL, acctA, "x").ListObjectsV2(&s3v1.ListObjectsV2Input{Bucket: aws.String(bucket)})
	if err != nil || len(served.Contents) != len(keys()) {
		t.Fatalf("served list: %v %v", served, err)
	}
	wantDuckDBScript(t, bucketClient(t, s.URL, acctA, "x"), bucket)
	_, err = bucketClient(t, s.URL, acctA, "x").GetObject(&s3v1.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("nope")})
	wantS3Code(t, err, "NoSuchKey", 404)
	if _, err := os.Stat(s.Data + "/continuous-exports/" + bucket); !os.IsNotExist(err) {
		t.Errorf("the data directory has the bucket too: %v", err)
	}

	// Another account's export has its own bucket, holding none of A's data.
	stB, err := client(t, s.URL, acctB, "x").StartContinuousExport(&ads.StartContinuousExportInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(stB.S3Bucket) == bucket {
		t.Fatal("two accounts share a bucket")
	}

	if code, out := control(t, s.URL, "reset", "", map[string]any{"accountId": acctA}); code != 200 {
		t.Fatalf("reset: %d %v", code, out)
	}
	if k := keys(); len(k) != 0 {
		t.Fatalf("keys after A's reset: %v", k)
	}
}
