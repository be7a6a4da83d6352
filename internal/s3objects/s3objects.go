// Package s3objects keeps continuous export buckets on an S3-compatible
// store through the AWS SDK for Go v2 S3 client (continuous.Objects).
package s3objects

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/poseidon-ads/poseidon/internal/continuous"
)

// Config says where the store is.
type Config struct {
	// Endpoint is the store's base URL (http://127.0.0.1:5000).
	Endpoint string
	Region   string
	// AccessKeyID and SecretAccessKey sign the requests (SigV4, by the SDK).
	AccessKeyID, SecretAccessKey string
}

// Store is a bucket store on an S3-compatible endpoint. Buckets are made
// the first time they are written to, as AWS makes the export's bucket when
// continuous export starts; addressing is path-style.
type Store struct {
	client *s3.Client
	region string
	mu     sync.Mutex
	made   map[string]bool // buckets known to exist
}

// New returns a Store for c.
func New(c Config) (*Store, error) {
	if c.Endpoint == "" {
		return nil, errors.New("s3objects: no endpoint")
	}
	if c.Region == "" {
		c.Region = "us-west-2"
	}
	var creds aws.CredentialsProvider = aws.AnonymousCredentials{}
	if c.AccessKeyID != "" {
		creds = credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, "")
	}
	client := s3.New(s3.Options{Region: c.Region, BaseEndpoint: aws.String(c.Endpoint), UsePathStyle: true, Credentials: creds})
	return &Store{client: client, region: c.Region, made: map[string]bool{}}, nil
}

// Client returns the S3 client (tests read through it).
func (s *Store) Client() *s3.Client { return s.client }

// ensure makes bucket unless it is known to exist.
func (s *Store) ensure(ctx context.Context, bucket string) error {
	s.mu.Lock()
	made := s.made[bucket]
	s.mu.Unlock()
	if made {
		return nil
	}
	in := &s3.CreateBucketInput{Bucket: aws.String(bucket)}
	if s.region != "us-east-1" { // S3 wants the region named, except its first
		in.CreateBucketConfiguration = &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraint(s.region)}
	}
	_, err := s.client.CreateBucket(ctx, in)
	var owned *types.BucketAlreadyOwnedByYou
	var exists *types.BucketAlreadyExists
	if err != nil && !errors.As(err, &owned) && !errors.As(err, &exists) {
		return fmt.Errorf("s3objects: creating bucket %s: %w", bucket, err)
	}
	s.mu.Lock()
	s.made[bucket] = true
	s.mu.Unlock()
	return nil
}

// Put writes one object (a single PutObject: readers see all of it or
// nothing).
func (s *Store) Put(ctx context.Context, bucket, key string, data []byte) error {
	if err := s.ensure(ctx, bucket); err != nil {
		return err
	}
	_, err := s.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data)))})
	if err != nil {
		return fmt.Errorf("s3objects: writing s3://%s/%s: %w", bucket, key, err)
	}
	return nil
}

// Get reads one object; continuous.ErrNoSuchKey if it (or its bucket) is
// missing: the store said NoSuchKey or NoSuchBucket, or answered 404 with
// an error the SDK could not name (an S3-compatible store may answer a
// missing object without S3's error body).
func (s *Store) Get(ctx context.Context, bucket, key string) ([]byte, error) {
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	var noKey *types.NoSuchKey
	var noBucket *types.NoSuchBucket
	var resp *awshttp.ResponseError
	if errors.As(err, &noKey) || errors.As(err, &noBucket) || errors.As(err, &resp) && resp.HTTPStatusCode() == 404 {
		return nil, continuous.ErrNoSuchKey
	}
	if err != nil {
		return nil, fmt.Errorf("s3objects: reading s3://%s/%s: %w", bucket, key, err)
	}
	defer out.Body.Close()
	return io.ReadAll(out.Body)
}

// List returns the objects of bucket under prefix, in key order.
func (s *Store) List(ctx context.Context, bucket, prefix string) ([]continuous.Object, error) {
	var out []continuous.Object
	p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		var missing *types.NoSuchBucket
		if errors.As(err, &missing) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("s3objects: listing %s: %w", bucket, err)
		}
		for _, o := range page.Contents {
			out = append(out, continuous.Object{Key: aws.ToString(o.Key), Size: aws.ToInt64(o.Size), Modified: aws.ToTime(o.LastModified)})
		}
	}
	return out, nil
}

// RemoveBucket deletes every object of bucket (the bucket stays); a
// missing bucket has none.
func (s *Store) RemoveBucket(ctx context.Context, bucket string) error {
	p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		var missing *types.NoSuchBucket
		if errors.As(err, &missing) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("s3objects: listing %s: %w", bucket, err)
		}
		if len(page.Contents) == 0 {
			continue
		}
		ids := make([]types.ObjectIdentifier, len(page.Contents))
		for i, o := range page.Contents {
			ids[i] = types.ObjectIdentifier{Key: o.Key}
		}
		if _, err := s.client.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(bucket), Delete: &types.Delete{Objects: ids}}); err != nil {
			return fmt.Errorf("s3objects: deleting from %s: %w", bucket, err)
		}
	}
	return nil
}

// RemoveBuckets deletes the objects of every bucket whose name starts with
// prefix.
func (s *Store) RemoveBuckets(ctx context.Context, prefix string) error {
	out, err := s.client.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		return fmt.Errorf("s3objects: listing buckets: %w", err)
	}
	var errs []error
	for _, b := range out.Buckets {
		if name := aws.ToString(b.Name); strings.HasPrefix(name, prefix) {
			errs = append(errs, s.RemoveBucket(ctx, name))
		}
	}
	return errors.Join(errs...)
}
