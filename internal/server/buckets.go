package server

import (
	"encoding/xml"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/poseidon-ads/poseidon/internal/continuous"
)

// bucketsPath is where the continuous export buckets are served, S3
// path-style: GET bucketsPath/<bucket>?list-type=2 (ListObjectsV2) and
// GET bucketsPath/<bucket>/<key> (GetObject). An S3 client reads them with
// its endpoint set to http://HOST:PORT/_poseidon/buckets and path-style
// addressing.
const bucketsPath = "/_poseidon/buckets"

// bucketCaller authenticates a bucket read as an S3 request (SigV4 scoped
// to "s3" in strict mode; open mode trusts the credential scope, as for the
// API) and returns the caller's account.
func (s *Server) bucketCaller(w http.ResponseWriter, r *http.Request) (string, bool) {
	id, err := s.cfg.Auth.Authenticate(r.Context(), r, nil, "s3")
	if err != nil {
		writeS3Error(w, r, http.StatusForbidden, "AccessDenied", "Access Denied")
		return "", false
	}
	return id.AccountID, true
}

// bucketError answers a read's error: the same AccessDenied for another
// account's bucket and for one that does not exist.
func (s *Server) bucketError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, continuous.ErrAccessDenied):
		writeS3Error(w, r, http.StatusForbidden, "AccessDenied", "Access Denied")
	case errors.Is(err, continuous.ErrNoSuchKey):
		writeS3Error(w, r, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
	default:
		s.cfg.Log.ErrorContext(r.Context(), "continuous export bucket read", "err", err)
		writeS3Error(w, r, http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.")
	}
}

// getBucketObject serves GetObject (and HeadObject) on the caller's bucket.
func (s *Server) getBucketObject(w http.ResponseWriter, r *http.Request) {
	account, ok := s.bucketCaller(w, r)
	if !ok {
		return
	}
	b, err := s.cfg.ContinuousExports.Object(r.Context(), account, r.PathValue("bucket"), r.PathValue("key"))
	if err != nil {
		s.bucketError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	if r.Method != http.MethodHead {
		w.Write(b)
	}
}

type listBucketResult struct {
	XMLName     xml.Name       `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListBucketResult"`
	Name        string         `xml:"Name"`
	Prefix      string         `xml:"Prefix"`
	KeyCount    int            `xml:"KeyCount"`
	MaxKeys     int            `xml:"MaxKeys"`
	IsTruncated bool           `xml:"IsTruncated"`
	Contents    []listedObject `xml:"Contents"`
}

type listedObject struct {
	Key          string `xml:"Key"`
	LastModified string `xml:"LastModified"`
	Size         int64  `xml:"Size"`
	StorageClass string `xml:"StorageClass"`
}

// listBucket serves ListObjectsV2 (list-type=2, prefix) on the caller's
// bucket, in one page.
func (s *Server) listBucket(w http.ResponseWriter, r *http.Request) {
	account, ok := s.bucketCaller(w, r)
	if !ok {
		return
	}
	bucket, prefix := r.PathValue("bucket"), r.URL.Query().Get("prefix")
	objs, err := s.cfg.ContinuousExports.Objects(r.Context(), account, bucket, prefix)
	if err != nil {
		s.bucketError(w, r, err)
		return
	}
	res := listBucketResult{Name: bucket, Prefix: prefix, KeyCount: len(objs), MaxKeys: max(1000, len(objs))}
	for _, o := range objs {
		res.Contents = append(res.Contents, listedObject{Key: o.Key, Size: o.Size, StorageClass: "STANDARD",
			LastModified: o.Modified.UTC().Format(time.RFC3339Nano)})
	}
	b, _ := xml.Marshal(res)
	w.Header().Set("Content-Type", "application/xml")
	w.Write([]byte(xml.Header))
	w.Write(b)
}
