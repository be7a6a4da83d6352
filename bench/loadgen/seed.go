package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

const (
	adsPrefix  = "AWSPoseidonService_V2015_11_01."
	logsPrefix = "Logs_20140328."
)

// seedExports starts n summary exports (StartExportTask; the server needs
// --no-limits) from conns clients, then waits until none is IN_PROGRESS.
func seedExports(ctx context.Context, c *client, n, conns int, wait time.Duration) error {
	t0 := time.Now()
	var next, failed atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for range conns {
		wg.Go(func() {
			for next.Add(1) <= int64(n) {
				a, err := c.call(ctx, adsPrefix+"StartExportTask", map[string]any{})
				if err == nil && a.status != http.StatusOK {
					err = fmt.Errorf("%d %s: %.200s", a.status, a.code, a.body)
				}
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				}
			}
		})
	}
	wg.Wait()
	if f := failed.Load(); f > 0 {
		return fmt.Errorf("%d of %d StartExportTask calls failed, the first: %v", f, n, firstErr.Load())
	}
	fmt.Fprintf(os.Stderr, "started %d exports in %.1fs\n", n, time.Since(t0).Seconds())
	deadline := time.Now().Add(wait)
	for {
		counts, err := exportStatuses(ctx, c)
		if err != nil {
			return err
		}
		total := 0
		for _, v := range counts {
			total += v
		}
		if counts["IN_PROGRESS"] == 0 && total >= n {
			fmt.Fprintf(os.Stderr, "%d exports done in %.1fs: %v\n", total, time.Since(t0).Seconds(), counts)
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("exports still in progress after %s: %v", wait, counts)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// exportStatuses pages through DescribeExportTasks and counts the statuses.
func exportStatuses(ctx context.Context, c *client) (map[string]int, error) {
	counts := map[string]int{}
	in := map[string]any{"maxResults": 100}
	for {
		a, err := c.call(ctx, adsPrefix+"DescribeExportTasks", in)
		if err != nil {
			return nil, err
		}
		if a.status != http.StatusOK {
			return nil, fmt.Errorf("DescribeExportTasks: %d %s: %.200s", a.status, a.code, a.body)
		}
		var out struct {
			ExportsInfo []struct {
				ExportStatus string `json:"exportStatus"`
			} `json:"exportsInfo"`
			NextToken string `json:"nextToken"`
		}
		if err := json.Unmarshal(a.body, &out); err != nil {
			return nil, err
		}
		for _, e := range out.ExportsInfo {
			counts[e.ExportStatus]++
		}
		if out.NextToken == "" {
			return counts, nil
		}
		in["nextToken"] = out.NextToken
	}
}

// seedMoto makes moto hold n CloudWatch Logs export tasks: an S3 bucket
// and a log group (CreateExportTask refuses without them), then n
// CreateExportTask calls. moto has no limit on active tasks (AWS allows
// one per account and region); its tasks complete at once.
func seedMoto(ctx context.Context, url string, n, conns int) error {
	hc := newHTTPClient(conns)
	const bucket, group = "poseidon-bench-exports", "/poseidon/bench"
	s3 := newClient(hc, url, "AKIAMOTOBENCH", "moto-secret", "s3", "us-east-1")
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, s3.url+"/"+bucket, nil)
	if err != nil {
		return err
	}
	a, err := s3.send(req, nil)
	if err != nil {
		return err
	}
	if a.status != http.StatusOK {
		return fmt.Errorf("S3 CreateBucket: %d: %.300s", a.status, a.body)
	}
	logs := newClient(hc, url, "AKIAMOTOBENCH", "moto-secret", "logs", "us-east-1")
	a, err = logs.call(ctx, logsPrefix+"CreateLogGroup", map[string]any{"logGroupName": group})
	if err == nil && a.status != http.StatusOK {
		err = fmt.Errorf("CreateLogGroup: %d: %.300s", a.status, a.body)
	}
	if err != nil {
		return err
	}
	t0 := time.Now()
	now := time.Now().UnixMilli()
	var next, failed atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for range conns {
		wg.Go(func() {
			for i := next.Add(1); i <= int64(n); i = next.Add(1) {
				a, err := logs.call(ctx, logsPrefix+"CreateExportTask", map[string]any{
					"taskName": fmt.Sprintf("bench-%d", i), "logGroupName": group, "destination": bucket,
					"destinationPrefix": "exports", "from": now - 3600_000, "to": now})
				if err == nil && a.status != http.StatusOK {
					err = fmt.Errorf("%d %s: %.200s", a.status, a.code, a.body)
				}
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				}
			}
		})
	}
	wg.Wait()
	if f := failed.Load(); f > 0 {
		return fmt.Errorf("%d of %d CreateExportTask calls failed, the first: %v", f, n, firstErr.Load())
	}
	fmt.Fprintf(os.Stderr, "moto: created %d export tasks in %.1fs\n", n, time.Since(t0).Seconds())
	return nil
}
