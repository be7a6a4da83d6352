package poseidontest_test

import (
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/awserr"
	"github.com/aws/aws-sdk-go/aws/credentials"
	"github.com/aws/aws-sdk-go/aws/session"
	ads "github.com/aws/aws-sdk-go/service/applicationdiscoveryservice"

	"github.com/poseidon-ads/poseidon/internal/postgres/pgtestdb"
	"github.com/poseidon-ads/poseidon/poseidontest"
)

const otherAccount = "210987654321"

// adsClient is an aws-sdk-go v1 client of srv with creds, without retries.
func adsClient(t *testing.T, srv *poseidontest.Server, creds poseidontest.Credentials) *ads.ApplicationDiscoveryService {
	t.Helper()
	sess, err := session.NewSessionWithOptions(session.Options{
		Config: *aws.NewConfig().WithEndpoint(srv.URL).WithRegion(srv.Region).WithMaxRetries(0).
			WithCredentials(credentials.NewStaticCredentials(creds.AccessKeyID, creds.SecretAccessKey, "")),
		SharedConfigState: session.SharedConfigDisable,
	})
	if err != nil {
		t.Fatal(err)
	}
	return ads.New(sess)
}

// agentCount is the number of agents the account of c sees.
func agentCount(t *testing.T, c *ads.ApplicationDiscoveryService) int {
	t.Helper()
	n := 0
	err := c.DescribeAgentsPages(&ads.DescribeAgentsInput{}, func(p *ads.DescribeAgentsOutput, _ bool) bool {
		n += len(p.AgentsInfo)
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// waitExport starts an agent export of agent and waits until it has
// finished, returning its info.
func exportAgent(t *testing.T, c *ads.ApplicationDiscoveryService, agent string) *ads.ExportInfo {
	t.Helper()
	out, err := c.StartExportTask(&ads.StartExportTaskInput{
		Filters: []*ads.ExportFilter{{Name: aws.String("agentIds"), Values: []*string{aws.String(agent)}, Condition: aws.String("EQUALS")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		d, err := c.DescribeExportTasks(&ads.DescribeExportTasksInput{ExportIds: []*string{out.ExportId}})
		if err != nil {
			t.Fatal(err)
		}
		if info := d.ExportsInfo[0]; aws.StringValue(info.ExportStatus) != ads.ExportStatusInProgress {
			return info
		}
	}
	t.Fatal("the export did not finish within 30 s")
	return nil
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// Reset wipes every account and puts the clock back; ResetAccount wipes
// one account and leaves the others and the clock.
func TestReset(t *testing.T) {
	srv := poseidontest.Start(t)
	mine, other := adsClient(t, srv, srv.Credentials), adsClient(t, srv, srv.CredentialsFor(otherAccount))
	srv.Seed(poseidontest.Fleet{Servers: 4})
	srv.Seed(poseidontest.Fleet{Servers: 3, AccountID: otherAccount})
	if a, b := agentCount(t, mine), agentCount(t, other); a != 4 || b != 3 {
		t.Fatalf("after seeding: %d and %d agents, want 4 and 3", a, b)
	}
	moved := srv.Advance(48 * time.Hour)

	srv.ResetAccount(otherAccount)
	if a, b := agentCount(t, mine), agentCount(t, other); a != 4 || b != 0 {
		t.Fatalf("after resetting %s: %d and %d agents, want 4 and 0", otherAccount, a, b)
	}
	if now := srv.Now(); now.Before(moved) {
		t.Fatalf("an account's reset moved the clock back: %v, was %v", now, moved)
	}

	srv.Reset()
	if a, b := agentCount(t, mine), agentCount(t, other); a != 0 || b != 0 {
		t.Fatalf("after a reset: %d and %d agents, want none", a, b)
	}
	if now := srv.Now(); !now.Before(moved.Add(-24 * time.Hour)) {
		t.Fatalf("the reset left the clock at %v (it was moved to %v)", now, moved)
	}
	// The store still works after a reset.
	srv.Seed(poseidontest.Fleet{Servers: 2})
	if n := agentCount(t, mine); n != 2 {
		t.Fatalf("seeded after a reset: %d agents, want 2", n)
	}
}

// The virtual clock decides when a download URL expires: a day later the
// URL is refused; set back, it is served again.
func TestClockMovesExpiry(t *testing.T) {
	srv := poseidontest.Start(t)
	agents := srv.Seed(poseidontest.Fleet{Servers: 2})
	c := adsClient(t, srv, srv.Credentials)
	info := exportAgent(t, c, agents[0].AgentID)
	if aws.StringValue(info.ExportStatus) != ads.ExportStatusSucceeded {
		t.Fatalf("export %s: %s", aws.StringValue(info.ExportStatus), aws.StringValue(info.StatusMessage))
	}
	link := aws.StringValue(info.ConfigurationsDownloadUrl)
	if code, body := get(t, link); code != http.StatusOK {
		t.Fatalf("fresh URL: HTTP %d %s", code, body)
	}
	before := srv.Now()
	after := srv.Advance(24*time.Hour + time.Minute)
	if d := after.Sub(before); d < 24*time.Hour+time.Minute {
		t.Fatalf("Advance moved the clock by %v", d)
	}
	if code, body := get(t, link); code != http.StatusForbidden || !strings.Contains(body, "expired") {
		t.Fatalf("URL a day later: HTTP %d %s, want 403 expired", code, body)
	}
	if back := srv.SetClock(before); back.Before(before) || !back.Before(after) {
		t.Fatalf("SetClock(%v) = %v", before, back)
	}
	if code, body := get(t, link); code != http.StatusOK {
		t.Fatalf("URL with the clock set back: HTTP %d %s", code, body)
	}
}

// Two servers share nothing: ports, stores and clocks are their own.
func TestStartIsolated(t *testing.T) {
	a, b := poseidontest.Start(t), poseidontest.Start(t)
	if a.URL == b.URL || a.Data == b.Data {
		t.Fatalf("two servers at %s and %s, data %s and %s", a.URL, b.URL, a.Data, b.Data)
	}
	a.Seed(poseidontest.Fleet{Servers: 5})
	if n := agentCount(t, adsClient(t, b, b.Credentials)); n != 0 {
		t.Fatalf("the second server sees %d agents of the first", n)
	}
	if n := agentCount(t, adsClient(t, a, a.Credentials)); n != 5 {
		t.Fatalf("the first server sees %d agents, want 5", n)
	}
	moved := a.Advance(72 * time.Hour)
	if now := b.Now(); !now.Before(moved.Add(-48 * time.Hour)) {
		t.Fatalf("moving the first server's clock moved the second's to %v", now)
	}
}

// When the test ends the listener is closed, the temporary directories
// removed and the server's goroutines ended.
func TestCleanup(t *testing.T) {
	before := runtime.NumGoroutine()
	var url, data string
	t.Run("server", func(t *testing.T) {
		srv := poseidontest.Start(t)
		url, data = srv.URL, srv.Data
		agents := srv.Seed(poseidontest.Fleet{Servers: 2})
		exportAgent(t, adsClient(t, srv, srv.Credentials), agents[0].AgentID)
	})
	addr := strings.TrimPrefix(url, "http://")
	if conn, err := net.Dial("tcp", addr); err == nil {
		conn.Close()
		t.Fatalf("%s still accepts connections after the test", addr)
	}
	if _, err := os.Stat(data); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the data directory %s is still there (%v)", data, err)
	}
	// Goroutines end as their connections close; give them the time to.
	http.DefaultClient.CloseIdleConnections()
	after := runtime.NumGoroutine()
	for deadline := time.Now().Add(5 * time.Second); after > before && time.Now().Before(deadline); after = runtime.NumGoroutine() {
		time.Sleep(10 * time.Millisecond)
	}
	if after > before {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines before the server, %d after:\n%s", before, after, buf[:runtime.Stack(buf, true)])
	}
}

// Close stops the server before the test ends; a second Close (the
// cleanup's) does nothing.
func TestCloseEarly(t *testing.T) {
	srv := poseidontest.Start(t)
	c := adsClient(t, srv, srv.Credentials)
	agentCount(t, c)
	srv.Close()
	if _, err := c.DescribeAgents(&ads.DescribeAgentsInput{}); err == nil {
		t.Fatal("a closed server answered")
	}
	srv.Close()
}

// In strict mode only the fixture's identities get in, and the control
// API takes the fixture's token.
func TestStrict(t *testing.T) {
	srv := poseidontest.Start(t, poseidontest.Strict(), poseidontest.Accounts(otherAccount))
	if !srv.Strict || srv.ControlToken == "" || srv.AccessKeyID == srv.AccountID {
		t.Fatalf("strict server %+v", srv)
	}
	srv.Seed(poseidontest.Fleet{Servers: 2})
	srv.Seed(poseidontest.Fleet{Servers: 1, AccountID: otherAccount})
	if n := agentCount(t, adsClient(t, srv, srv.Credentials)); n != 2 {
		t.Fatalf("the server's account sees %d agents, want 2", n)
	}
	if n := agentCount(t, adsClient(t, srv, srv.CredentialsFor(otherAccount))); n != 1 {
		t.Fatalf("the other account sees %d agents, want 1", n)
	}
	forged := srv.Credentials
	forged.SecretAccessKey = "not-the-secret"
	_, err := adsClient(t, srv, forged).DescribeAgents(&ads.DescribeAgentsInput{})
	var ae awserr.Error
	if !errors.As(err, &ae) || ae.Code() != "InvalidSignatureException" {
		t.Fatalf("a wrong secret: %v, want InvalidSignatureException", err)
	}
	srv.Advance(time.Hour) // with the token
	resp, err := http.Post(srv.URL+"/_poseidon/clock", "application/json", strings.NewReader(`{"advanceSeconds": 1}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusForbidden {
		t.Fatalf("the control API without the token: HTTP %d", resp.StatusCode)
	}
}

// The PostgreSQL option keeps the state in the given database. (It skips
// when the test server is unreachable, unless CI=true.)
func TestPostgreSQL(t *testing.T) {
	url := pgtestdb.Schema(t)
	srv := poseidontest.Start(t, poseidontest.PostgreSQL(url))
	agents := srv.Seed(poseidontest.Fleet{Servers: 3})
	c := adsClient(t, srv, srv.Credentials)
	if n := agentCount(t, c); n != 3 {
		t.Fatalf("%d agents, want 3", n)
	}
	if info := exportAgent(t, c, agents[1].AgentID); aws.StringValue(info.ExportStatus) != ads.ExportStatusSucceeded {
		t.Fatalf("export %s: %s", aws.StringValue(info.ExportStatus), aws.StringValue(info.StatusMessage))
	}
	srv.Reset()
	if n := agentCount(t, c); n != 0 {
		t.Fatalf("%d agents after a reset", n)
	}
}

// The Server's Data is the data directory: a file written to
// Data/buckets/BUCKET/KEY is what an s3://BUCKET/KEY import reads (open
// mode).
func TestDataBuckets(t *testing.T) {
	srv := poseidontest.Start(t)
	dir := filepath.Join(srv.Data, "buckets", "inventory")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	csv := "ExternalId,HostName,IPAddress\next-1,imported-1,10.9.0.1\next-2,imported-2,10.9.0.2\n"
	if err := os.WriteFile(filepath.Join(dir, "servers.csv"), []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	c := adsClient(t, srv, srv.Credentials)
	out, err := c.StartImportTask(&ads.StartImportTaskInput{Name: aws.String("servers"), ImportUrl: aws.String("s3://inventory/servers.csv")})
	if err != nil {
		t.Fatal(err)
	}
	var task *ads.ImportTask
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		d, err := c.DescribeImportTasks(&ads.DescribeImportTasksInput{Filters: []*ads.ImportTaskFilter{
			{Name: aws.String("IMPORT_TASK_ID"), Values: []*string{out.Task.ImportTaskId}}}})
		if err != nil {
			t.Fatal(err)
		}
		if task = d.Tasks[0]; aws.StringValue(task.Status) != ads.ImportStatusImportInProgress {
			break
		}
	}
	if aws.StringValue(task.Status) != ads.ImportStatusImportComplete || aws.Int64Value(task.ServerImportSuccess) != 2 {
		t.Fatalf("import of Data/buckets/inventory/servers.csv: %v", task)
	}
}
