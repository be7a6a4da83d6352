package main

import (
	"errors"
	"io"
	"net/http"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/awserr"
	"github.com/aws/aws-sdk-go/aws/credentials"
	"github.com/aws/aws-sdk-go/aws/session"
	"github.com/aws/aws-sdk-go/service/s3"

	"github.com/poseidon-ads/poseidon/internal/continuous"
)

// bucketClient is an S3 client (aws-sdk-go v1) on poseidon's bucket
// endpoint, path-style, signing as akid.
func bucketClient(t *testing.T, url, akid, secret string) *s3.S3 {
	t.Helper()
	sess, err := session.NewSession(&aws.Config{Endpoint: aws.String(url + "/_poseidon/buckets"), Region: aws.String("us-west-2"),
		S3ForcePathStyle: aws.Bool(true), Credentials: credentials.NewStaticCredentials(akid, secret, ""), MaxRetries: aws.Int(0)})
	if err != nil {
		t.Fatal(err)
	}
	return s3.New(sess)
}

// wantDuckDBScript reads the bucket's DuckDB script through c and checks it.
func wantDuckDBScript(t *testing.T, c *s3.S3, bucket string) {
	t.Helper()
	got, err := c.GetObject(&s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(continuous.DuckDBScriptKey)})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(got.Body)
	got.Body.Close()
	if string(body) != continuous.DuckDBScript() {
		t.Fatalf("duckdb.sql = %q", body)
	}
}

func wantS3Code(t *testing.T, err error, code string, status int) {
	t.Helper()
	var rf awserr.RequestFailure
	if !errors.As(err, &rf) || rf.Code() != code || rf.StatusCode() != status {
		t.Fatalf("error %v, want %s %d", err, code, status)
	}
}

// The bucket of a continuous export is served to its account alone, through
// an S3 client (strict mode: SigV4 for "s3"): another account gets the same
// AccessDenied for it as for a bucket that does not exist.
func TestContinuousBucketReads(t *testing.T) {
	s, _ := secStart(t, "--credentials", writeCredentials(t))
	a := &secCaller{url: s.URL, akid: keyA, secret: secretA}
	bucket := secStr(a.call(t, "StartContinuousExport", `{}`).ok(t, "start"), "s3Bucket")
	ca := bucketClient(t, s.URL, keyA, secretA)

	list, err := ca.ListObjectsV2(&s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range list.Contents {
		keys = append(keys, aws.StringValue(o.Key))
	}
	if !slices.Contains(keys, continuous.DuckDBScriptKey) || !slices.Contains(keys, continuous.AthenaDDLKey) || len(keys) != 2+len(continuous.Tables) {
		t.Fatalf("keys %v", keys)
	}
	wantDuckDBScript(t, ca, bucket)
	prefixed, err := ca.ListObjectsV2(&s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String("catalogue/")})
	if err != nil || len(prefixed.Contents) != 2 {
		t.Fatalf("prefix catalogue/: %v %v", prefixed, err)
	}
	_, err = ca.GetObject(&s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("catalogue/none.sql")})
	wantS3Code(t, err, "NoSuchKey", 404)

	// Account B: A's bucket, and a bucket nobody has, are both AccessDenied;
	// so is a key of B's own bucket that climbs into A's.
	cb := bucketClient(t, s.URL, keyB, secretB)
	_, err = cb.GetObject(&s3.GetObjectInput{Bucket: aws.String(continuous.Bucket(acctB)), Key: aws.String("../" + bucket + "/" + continuous.DuckDBScriptKey)})
	if err == nil {
		t.Fatal("B read A's object through ..")
	}
	for _, name := range []string{bucket, continuous.BucketPrefix + "0000000000000000"} {
		_, err = cb.ListObjectsV2(&s3.ListObjectsV2Input{Bucket: aws.String(name)})
		wantS3Code(t, err, "AccessDenied", 403)
		_, err = cb.GetObject(&s3.GetObjectInput{Bucket: aws.String(name), Key: aws.String(continuous.DuckDBScriptKey)})
		wantS3Code(t, err, "AccessDenied", 403)
	}
	// A bad signature and an unsigned request read nothing either.
	_, err = bucketClient(t, s.URL, keyA, "wrong").GetObject(&s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(continuous.DuckDBScriptKey)})
	wantS3Code(t, err, "AccessDenied", 403)
	res, err := http.Get(s.URL + "/_poseidon/buckets/" + bucket + "/" + continuous.DuckDBScriptKey)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 403 {
		t.Fatalf("unsigned read: %d", res.StatusCode)
	}
}
