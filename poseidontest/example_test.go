package poseidontest_test

import (
	"archive/zip"
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/credentials"
	"github.com/aws/aws-sdk-go/aws/session"
	ads "github.com/aws/aws-sdk-go/service/applicationdiscoveryservice"

	"github.com/poseidon-ads/poseidon/poseidontest"
)

// TestExampleAgentExport is the fixture's example: a test of code that
// exports an agent's data with aws-sdk-go v1. It seeds a simulated fleet,
// starts an agent export, which the server holds IN_PROGRESS for ten
// minutes of its virtual clock (as AWS takes minutes), moves the clock on
// instead of sleeping, waits for SUCCEEDED and downloads the zip from the
// presigned URL.
func TestExampleAgentExport(t *testing.T) {
	srv := poseidontest.Start(t, poseidontest.ExportDelay(10*time.Minute))
	agents := srv.Seed(poseidontest.Fleet{Servers: 3, Hours: 1})

	sess, err := session.NewSession(aws.NewConfig().
		WithEndpoint(srv.URL).
		WithRegion(srv.Region).
		WithCredentials(credentials.NewStaticCredentials(srv.AccessKeyID, srv.SecretAccessKey, "")))
	if err != nil {
		t.Fatal(err)
	}
	client := ads.New(sess)

	agent := agents[0].AgentID
	out, err := client.StartExportTask(&ads.StartExportTaskInput{
		Filters: []*ads.ExportFilter{{Name: aws.String("agentIds"), Values: []*string{aws.String(agent)}, Condition: aws.String("EQUALS")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	describe := func() *ads.ExportInfo {
		t.Helper()
		d, err := client.DescribeExportTasks(&ads.DescribeExportTasksInput{ExportIds: []*string{out.ExportId}})
		if err != nil {
			t.Fatal(err)
		}
		return d.ExportsInfo[0]
	}
	if st := aws.StringValue(describe().ExportStatus); st != ads.ExportStatusInProgress {
		t.Fatalf("a held export is %s", st)
	}

	// Ten minutes pass at once; the export's build then takes the real
	// time it takes.
	srv.Advance(10 * time.Minute)
	info := describe()
	for deadline := time.Now().Add(30 * time.Second); aws.StringValue(info.ExportStatus) == ads.ExportStatusInProgress && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		info = describe()
	}
	if st := aws.StringValue(info.ExportStatus); st != ads.ExportStatusSucceeded {
		t.Fatalf("export %s: %s", st, aws.StringValue(info.StatusMessage))
	}

	resp, err := http.Get(aws.StringValue(info.ConfigurationsDownloadUrl))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("download: HTTP %d %s", resp.StatusCode, body)
	}
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	var osInfo string
	for _, f := range zr.File {
		names = append(names, f.Name)
		if strings.HasSuffix(f.Name, "osInfo.csv") {
			rc, _ := f.Open()
			b, _ := io.ReadAll(rc)
			rc.Close()
			osInfo = string(b)
		}
	}
	if !strings.Contains(osInfo, agent) || !strings.Contains(osInfo, agents[0].HostName) {
		t.Fatalf("the export of %s (%s) holds %v; its osInfo.csv:\n%s", agent, agents[0].HostName, names, osInfo)
	}
}
