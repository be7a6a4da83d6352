package launch

import (
	"time"

	"github.com/poseidon-ads/poseidon/internal/continuous"
	"github.com/poseidon-ads/poseidon/internal/s3objects"
)

// continuousObjects returns where continuous exports keep their buckets:
// the S3-compatible store at --s3-endpoint; else PostgreSQL's table, so
// that every replica serves every bucket; else (SQLite) nil, the data
// directory.
func (c *Config) continuousObjects(store Store, now func() time.Time) (continuous.Objects, error) {
	switch {
	case c.S3Endpoint != "":
		return s3objects.New(s3objects.Config{Endpoint: c.S3Endpoint, Region: c.S3Region,
			AccessKeyID: c.S3AccessKeyID, SecretAccessKey: c.S3SecretAccessKey})
	case !servesAlone(store):
		return continuous.StoreObjects{Store: store, Now: now}, nil
	}
	return nil, nil
}
