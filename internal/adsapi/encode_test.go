package adsapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/awsjson"
)

// BenchmarkEncodeExportPage encodes the response of the read path's poll (a
// page of 10 exports with presigned URLs and a nextToken) with encoding/json
// and with the generated encoder.
func BenchmarkEncodeExportPage(b *testing.B) {
	str := func(s string) *string { return &s }
	at := awsjson.NewTime(time.Unix(1700000000, 123e6))
	out := &DescribeExportTasksResponse{NextToken: str(strings.Repeat("tok", 60))}
	for i := range 10 {
		out.ExportsInfo = append(out.ExportsInfo, &ExportInfo{
			ExportId:                  str(fmt.Sprintf("export-%08x-0000-4000-8000-%012x", i, i)),
			ExportStatus:              str(ExportStatusSucceeded),
			StatusMessage:             str("Data export completed successfully."),
			ConfigurationsDownloadUrl: str("http://127.0.0.1:8080/_poseidon/exports/x.zip?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20261204%2Fus-west-2%2Fs3%2Faws4_request&X-Amz-Date=20261204T175400Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=" + strings.Repeat("ab", 32)),
			ExportRequestTime:         at,
			IsTruncated:               new(bool),
		})
	}
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		var buf bytes.Buffer
		for b.Loop() {
			buf.Reset()
			if err := json.NewEncoder(&buf).Encode(out); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("AppendJSON", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			var err error
			if buf, err = out.AppendJSON(buf[:0]); err != nil {
				b.Fatal(err)
			}
		}
	})
}
