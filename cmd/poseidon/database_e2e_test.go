package main

import (
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/aws/aws-sdk-go/aws"
	ads "github.com/aws/aws-sdk-go/service/applicationdiscoveryservice"

	"github.com/poseidon-ads/poseidon/internal/postgres/pgtestdb"
)

// poseidon serve --database-url (or POSEIDON_DATABASE_URL) keeps its state
// and export archives in PostgreSQL: two replicas on one database, each
// with a data directory of its own, serve the same exports. An export
// started on A is described and downloaded on B, with B's URL and with A's
// (as behind a load balancer), and a reset on B removes it for both. (It
// skips when the test server is unreachable, unless CI=true.)
func TestDatabaseURLReplicas(t *testing.T) {
	dbURL := pgtestdb.Schema(t)
	a := startServer(t, "", "--database-url", dbURL)
	t.Setenv("POSEIDON_DATABASE_URL", dbURL) // B takes it from the environment
	b := startServer(t, "")
	ca, cb := client(t, a.URL, acctA, "any"), client(t, b.URL, acctA, "any")
	out, err := ca.StartExportTask(&ads.StartExportTaskInput{})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.StringValue(out.ExportId)
	info := waitExport(t, cb, id)
	if aws.StringValue(info.ExportStatus) != ads.ExportStatusSucceeded {
		t.Fatalf("export on B: %s %s", aws.StringValue(info.ExportStatus), aws.StringValue(info.StatusMessage))
	}
	status, body := download(t, aws.StringValue(info.ConfigurationsDownloadUrl))
	if status != http.StatusOK || len(unzip(t, body)) != 8 {
		t.Fatalf("download from B: %d, %d bytes", status, len(body))
	}
	infoA := waitExport(t, ca, id)
	fromA := viaHost(t, aws.StringValue(infoA.ConfigurationsDownloadUrl), b.URL)
	if status, again := fetch(t, fromA); status != http.StatusOK || string(again) != string(body) {
		t.Fatalf("A's URL sent to B: %d, %d bytes", status, len(again))
	}
	if code, out := control(t, b.URL, "reset", "", map[string]any{"accountId": acctA}); code != http.StatusOK {
		t.Fatalf("reset on B: %d %v", code, out)
	}
	if status, _ := fetch(t, viaHost(t, aws.StringValue(infoA.ConfigurationsDownloadUrl), a.URL)); status != http.StatusNotFound {
		t.Fatalf("download from A after B's reset: %d, want 404", status)
	}
}

// viaHost is a request for rawURL sent to the server at base, with rawURL's
// Host header, as a load balancer in front of replicas forwards it.
func viaHost(t *testing.T, rawURL, base string) *http.Request {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	host := u.Host
	b, _ := url.Parse(base)
	u.Host = b.Host
	req, err := http.NewRequest(http.MethodGet, u.String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	return req
}

func fetch(t *testing.T, req *http.Request) (int, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}
