package main

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go/aws"
	ads "github.com/aws/aws-sdk-go/service/applicationdiscoveryservice"

	"github.com/poseidon-ads/poseidon/internal/postgres"
	"github.com/poseidon-ads/poseidon/internal/postgres/pgtestdb"
	"github.com/poseidon-ads/poseidon/internal/sqlite"
)

// closeOnly has one method of Store's names, with another signature.
type closeOnly struct{}

func (closeOnly) Close() {}

// missingMethods names the methods of Store a value lacks or has with
// another signature, and none of a store that implements it.
func TestMissingMethods(t *testing.T) {
	if m := missingMethods(&sqlite.DB{}); len(m) != 0 {
		t.Fatalf("SQLite lacks %v", m)
	}
	all := reflect.TypeFor[Store]().NumMethod()
	if m := missingMethods(struct{}{}); len(m) != all {
		t.Fatalf("an empty struct lacks %d methods, want all %d", len(m), all)
	}
	if m := missingMethods(closeOnly{}); len(m) != all || !slices.Contains(m, "Close") {
		t.Fatalf("a Close of another signature: %d missing (Close among them: %v), want all %d", len(m), slices.Contains(m, "Close"), all)
	}
}

// The data directory's ID is made once and kept; each directory has its
// own.
func TestDataDirID(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	first, err := dataDirID(a)
	if err != nil || len(first) != 32 {
		t.Fatalf("dataDirID = %q, %v", first, err)
	}
	if again, err := dataDirID(a); err != nil || again != first {
		t.Fatalf("dataDirID again = %q, %v; want %q", again, err, first)
	}
	if other, err := dataDirID(b); err != nil || other == first {
		t.Fatalf("another directory's ID = %q, %v", other, err)
	}
	entries, _ := os.ReadDir(a)
	if len(entries) != 1 {
		t.Fatalf("the data directory holds %d entries, want the ID file only", len(entries))
	}
	os.WriteFile(filepath.Join(b, "poseidon-dir-id"), []byte("garbage"), 0o644)
	if _, err := dataDirID(b); err == nil {
		t.Fatal("a malformed ID was accepted")
	}
}

// poseidon serve --database-url keeps its state and export archives in
// PostgreSQL: two replicas on one database, each with a data directory of
// its own, serve the same exports. An export started on A is described and
// downloaded on B, with B's URL and with A's (as behind a load balancer),
// and a reset on B removes it for both. Until the PostgreSQL store
// implements the whole Store, serve refuses the flag and says what the
// store lacks.
func TestDatabaseURLReplicas(t *testing.T) {
	dbURL := pgtestdb.Schema(t)
	db, err := postgres.Open(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	missing := missingMethods(db)
	db.Close()
	if len(missing) > 0 {
		err := run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--database-url", dbURL}, io.Discard, io.Discard)
		want := "--database-url: the PostgreSQL store does not yet implement: " + strings.Join(missing, ", ")
		if err == nil || err.Error() != want {
			t.Fatalf("serve --database-url = %v, want %q", err, want)
		}
		t.Skipf("the replicas run once the PostgreSQL store implements Store (it lacks %d methods)", len(missing))
	}
	a := startServer(t, "", "--database-url", dbURL)
	b := startServer(t, "", "--database-url", dbURL)
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
