package main

import (
	"fmt"
	"math/rand/v2"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	ads "github.com/aws/aws-sdk-go/service/applicationdiscoveryservice"
)

// freeAddr is a loopback address with a port free right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestCrashRecovery kill -9s the real binary while exports are queued and
// running, restarts it on the same data, and checks that every acknowledged
// export is still there and none stays IN_PROGRESS.
func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the real binary; skipped with -short")
	}
	data := t.TempDir()
	addr := freeAddr(t)
	rounds := 5
	acked := map[string]bool{}
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range rounds {
		p := startBinary(t, data, addr, "--no-limits", "--export-delay", "300ms", "--workers", "2")
		c := client(t, p.URL, acctA, "x")
		stop := time.After(time.Duration(50+rng.IntN(400)) * time.Millisecond)
	loop:
		for i := 0; ; i++ {
			select {
			case <-stop:
				break loop
			default:
			}
			in := &ads.StartExportTaskInput{}
			if i%4 == 1 {
				in.Filters = agentFilter(fmt.Sprint("o-", i))
			}
			out, err := c.StartExportTask(in)
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			acked[aws.StringValue(out.ExportId)] = true
		}
		if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		p.cmd.Wait()
	}
	p := startBinary(t, data, addr, "--no-limits")
	c := client(t, p.URL, acctA, "x")
	ids := make([]string, 0, len(acked))
	for id := range acked {
		ids = append(ids, id)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		found := map[string]string{}
		err := c.DescribeExportTasksPages(&ads.DescribeExportTasksInput{}, func(o *ads.DescribeExportTasksOutput, _ bool) bool {
			for _, i := range o.ExportsInfo {
				found[aws.StringValue(i.ExportId)] = aws.StringValue(i.ExportStatus)
			}
			return true
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range ids {
			if _, ok := found[id]; !ok {
				t.Fatalf("acknowledged export %s lost after kill -9", id)
			}
		}
		running := 0
		for _, st := range found {
			if st == ads.ExportStatusInProgress {
				running++
			}
		}
		if running == 0 {
			t.Logf("%d rounds of kill -9, %d acknowledged exports, all present and finished", rounds, len(ids))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d exports still IN_PROGRESS after recovery", running)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Every SUCCEEDED summary export downloads as a whole zip.
	out, _ := c.DescribeExportTasks(&ads.DescribeExportTasksInput{MaxResults: aws.Int64(20)})
	for _, i := range out.ExportsInfo {
		if aws.StringValue(i.ExportStatus) == ads.ExportStatusSucceeded {
			code, body := download(t, aws.StringValue(i.ConfigurationsDownloadUrl))
			if code != 200 {
				t.Fatalf("download %s = %d %s", aws.StringValue(i.ExportId), code, body)
			}
			unzip(t, body)
		}
	}
}

// TestSigtermDrains sends SIGTERM to the real binary and expects a clean exit.
func TestSigtermDrains(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary; skipped with -short")
	}
	p := startBinary(t, t.TempDir(), "127.0.0.1:0", "--export-delay", "200ms")
	c := client(t, p.URL, acctA, "x")
	if _, err := c.StartExportTask(&ads.StartExportTaskInput{}); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no exit within 15s of SIGTERM")
	}
}
