package main

import (
	"github.com/poseidon-ads/poseidon/internal/continuous"
	"github.com/poseidon-ads/poseidon/internal/s3objects"
)

// continuousObjects returns where continuous exports write their buckets:
// the S3-compatible store at --s3-endpoint, or nil for the data directory.
func (c *serveCmd) continuousObjects() (continuous.Objects, error) {
	if c.S3Endpoint == "" {
		return nil, nil
	}
	return s3objects.New(s3objects.Config{Endpoint: c.S3Endpoint, Region: c.S3Region,
		AccessKeyID: c.S3AccessKeyID, SecretAccessKey: c.S3SecretAccessKey})
}
