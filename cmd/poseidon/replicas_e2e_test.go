package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/awserr"
	ads "github.com/aws/aws-sdk-go/service/applicationdiscoveryservice"
	"github.com/aws/aws-sdk-go/service/migrationhubconfig"
	"github.com/aws/aws-sdk-go/service/s3"
	"github.com/jackc/pgx/v5"
	"github.com/parquet-go/parquet-go"

	"github.com/poseidon-ads/poseidon/internal/agentdata"
	"github.com/poseidon-ads/poseidon/internal/continuous"
	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/postgres/pgtestdb"
)

// The replica tests run two real poseidon processes (the binary, built
// once) on one PostgreSQL schema, each with a data directory and an
// address of its own, as behind a load balancer. They skip when the test
// server is unreachable, unless CI=true.

// replica is one poseidon process of a pair sharing a database.
type replica struct {
	*proc
	name  string
	data  string
	addr  string
	flags []string
}

// startReplicas starts n replicas of the binary on the database at dbURL
// with extra flags.
func startReplicas(t *testing.T, dbURL string, n int, extra ...string) []*replica {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the real binary; skipped with -short")
	}
	rs := make([]*replica, n)
	for i := range rs {
		rs[i] = &replica{name: string(rune('A' + i)), data: t.TempDir(), addr: freeAddr(t),
			flags: append([]string{"--database-url", dbURL}, extra...)}
		rs[i].start(t)
	}
	return rs
}

// start (re)starts the replica on its data directory and address.
func (r *replica) start(t *testing.T) {
	t.Helper()
	r.proc = startBinary(t, r.data, r.addr, r.flags...)
}

// kill kill -9s the replica and waits for it to be gone.
func (r *replica) kill(t *testing.T) {
	t.Helper()
	if err := r.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	r.cmd.Wait()
}

// owns reports whether a job owner name is this replica's process
// ("<dir>/slot-N/host/pid/random").
func (r *replica) owns(owner string) bool {
	return strings.Contains(owner, fmt.Sprintf("/%d/", r.cmd.Process.Pid))
}

// eventually polls cond every 10 ms until it holds, for at most 20 s, and
// returns how long it took.
func eventually(t *testing.T, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > 20*time.Second {
			t.Fatalf("%s: not within 20s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Since(start)
}

// dbConn is a connection of the test's own to the replicas' database.
func dbConn(t *testing.T, dbURL string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// Eight StartExportTask calls for agent exports at once, spread over two
// replicas, admit exactly 5 (the running limit, held by the database for
// every replica); the three others are refused with the limit's error.
// Several rounds, each on an account of its own.
func TestReplicasExportLimitRace(t *testing.T) {
	dbURL := pgtestdb.Schema(t)
	rs := startReplicas(t, dbURL, 2, "--agent-exports-per-day", "0", "--export-delay", "1h")
	const rounds, calls = 4, 8
	for round := range rounds {
		account := fmt.Sprintf("3000000000%02d", round)
		clients := make([]*ads.ApplicationDiscoveryService, calls)
		for i := range clients {
			clients[i] = client(t, rs[i%2].URL, account, "x")
		}
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make([]error, calls)
		ids := make([]string, calls)
		for i := range calls {
			wg.Go(func() {
				<-start
				out, err := clients[i].StartExportTask(&ads.StartExportTaskInput{Filters: agentFilter(fmt.Sprintf("o-%017d", i))})
				errs[i] = err
				if err == nil {
					ids[i] = aws.StringValue(out.ExportId)
				}
			})
		}
		close(start)
		wg.Wait()
		admitted := map[string]int{}
		var running []string
		for i, err := range errs {
			var rf awserr.RequestFailure
			switch {
			case err == nil:
				admitted[rs[i%2].name]++
				running = append(running, ids[i])
			case errors.As(err, &rf) && rf.Code() == ads.ErrCodeOperationNotPermittedException && rf.StatusCode() == 400 &&
				strings.Contains(rf.Message(), "maximum allowed concurrent exports"):
			default:
				t.Fatalf("round %d, call %d on %s: %v", round, i, rs[i%2].name, err)
			}
		}
		if len(running) != 5 {
			t.Fatalf("round %d: %d of %d concurrent agent exports admitted over two replicas (%v), want 5", round, len(running), calls, admitted)
		}
		// Both replicas describe the same five, still running.
		for _, r := range rs {
			out, err := client(t, r.URL, account, "x").DescribeExportTasks(&ads.DescribeExportTasksInput{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range out.ExportsInfo {
				if aws.StringValue(e.ExportStatus) != ads.ExportStatusInProgress {
					t.Fatalf("%s is %s, want it held IN_PROGRESS", aws.StringValue(e.ExportId), aws.StringValue(e.ExportStatus))
				}
				got = append(got, aws.StringValue(e.ExportId))
			}
			if slices.Sort(got); !slices.Equal(got, slices.Sorted(slices.Values(running))) {
				t.Fatalf("round %d: %s describes %v, want %v", round, r.name, got, running)
			}
		}
		t.Logf("round %d: admitted by replica %v", round, admitted)
	}
}

// A nextToken made by one replica pages on the other: DescribeExportTasks,
// ListConfigurations and DescribeAgents, each page asked of the other
// replica than the one before, list every item once, in the order one
// replica gives.
func TestReplicasPageTokens(t *testing.T) {
	dbURL := pgtestdb.Schema(t)
	rs := startReplicas(t, dbURL, 2, "--no-limits")
	cs := []*ads.ApplicationDiscoveryService{client(t, rs[0].URL, acctA, "x"), client(t, rs[1].URL, acctA, "x")}
	var reports []agentdata.Report
	for n := 1; n <= 11; n++ {
		reports = append(reports, agentReport(n, 0))
	}
	takeInReports(t, rs[1].URL, acctA, "x", reports...)
	for i := range 7 {
		if _, err := cs[i%2].StartExportTask(&ads.StartExportTaskInput{}); err != nil {
			t.Fatal(err)
		}
	}
	// alternate pages through fn(client, token) → (ids, next), starting on
	// replica first, and returns the IDs in order.
	alternate := func(first int, fn func(c *ads.ApplicationDiscoveryService, token *string) ([]string, *string)) []string {
		var all []string
		var token *string
		for i := first; ; i++ {
			ids, next := fn(cs[i%2], token)
			all = append(all, ids...)
			if next == nil {
				return all
			}
			token = next
		}
	}
	check := func(what string, fn func(c *ads.ApplicationDiscoveryService, token *string) ([]string, *string), want int) {
		t.Helper()
		fromA, fromB := alternate(0, fn), alternate(1, fn)
		if len(fromA) != want || !slices.Equal(fromA, fromB) || len(slices.Compact(slices.Sorted(slices.Values(fromA)))) != want {
			t.Fatalf("%s paged across replicas: %v and %v, want %d distinct items in the same order", what, fromA, fromB, want)
		}
	}
	check("DescribeExportTasks", func(c *ads.ApplicationDiscoveryService, token *string) ([]string, *string) {
		out, err := c.DescribeExportTasks(&ads.DescribeExportTasksInput{MaxResults: aws.Int64(2), NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, e := range out.ExportsInfo {
			ids = append(ids, aws.StringValue(e.ExportId))
		}
		return ids, out.NextToken
	}, 7)
	check("ListConfigurations", func(c *ads.ApplicationDiscoveryService, token *string) ([]string, *string) {
		out, err := c.ListConfigurations(&ads.ListConfigurationsInput{ConfigurationType: aws.String("SERVER"), MaxResults: aws.Int64(3), NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, m := range out.Configurations {
			ids = append(ids, aws.StringValue(m["server.configurationId"]))
		}
		return ids, out.NextToken
	}, 11)
	check("DescribeAgents", func(c *ads.ApplicationDiscoveryService, token *string) ([]string, *string) {
		out, err := c.DescribeAgents(&ads.DescribeAgentsInput{MaxResults: aws.Int64(4), NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, a := range out.AgentsInfo {
			ids = append(ids, aws.StringValue(a.AgentId))
		}
		return ids, out.NextToken
	}, 11)
}

// kill -9 of the replica building an export: the other takes the job over
// once its lease (--job-lease 2s) has passed and finishes it. The build is
// held in the middle, after it wrote its archive's header and before its
// first chunk, by a lock the test takes on the chunks' table; the replica
// holding the job is killed while it waits for the lock. The database
// records, through triggers of the test, every claim of the job, every
// status change of the export and every archive committed: the export
// ends SUCCEEDED once, from the second claim, with one archive; it
// downloads from the survivor.
func TestReplicasTakeOverKilledBuild(t *testing.T) {
	dbURL := pgtestdb.Schema(t)
	rs := startReplicas(t, dbURL, 2, "--job-lease", "2s", "--no-limits")
	takeInReports(t, rs[0].URL, acctA, "x", agentReport(1, 0), agentReport(2, 0))
	conn := dbConn(t, dbURL)
	ctx := t.Context()
	for _, q := range []string{
		`CREATE TABLE test_log (seq bigserial PRIMARY KEY, what text NOT NULL, ref text NOT NULL, owner text, attempts int)`,
		`CREATE FUNCTION test_log_claim() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
			INSERT INTO test_log (what, ref, owner, attempts) VALUES ('claim', NEW.ref, NEW.owner, NEW.attempts); RETURN NULL; END $$`,
		`CREATE TRIGGER test_log_claim AFTER UPDATE OF owner ON jobs FOR EACH ROW
			WHEN (NEW.owner IS NOT NULL AND NEW.owner IS DISTINCT FROM OLD.owner) EXECUTE FUNCTION test_log_claim()`,
		`CREATE FUNCTION test_log_status() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
			INSERT INTO test_log (what, ref) VALUES ('status ' || NEW.status, NEW.export_id); RETURN NULL; END $$`,
		`CREATE TRIGGER test_log_status AFTER UPDATE OF status ON export_tasks FOR EACH ROW
			WHEN (NEW.status IS DISTINCT FROM OLD.status) EXECUTE FUNCTION test_log_status()`,
		`CREATE FUNCTION test_log_archive() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
			INSERT INTO test_log (what, ref) VALUES (CASE WHEN TG_OP = 'INSERT' THEN 'archive written' ELSE 'archive committed' END, NEW.export_id);
			RETURN NULL; END $$`,
		`CREATE TRIGGER test_log_archive_insert AFTER INSERT ON export_archives FOR EACH ROW EXECUTE FUNCTION test_log_archive()`,
		`CREATE TRIGGER test_log_archive_commit AFTER UPDATE OF committed ON export_archives FOR EACH ROW
			WHEN (NEW.committed AND NOT OLD.committed) EXECUTE FUNCTION test_log_archive()`,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	hold, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hold.Exec(ctx, `LOCK TABLE export_archive_chunks IN SHARE MODE`); err != nil {
		t.Fatal(err)
	}
	out, err := client(t, rs[0].URL, acctA, "x").StartExportTask(&ads.StartExportTaskInput{})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.StringValue(out.ExportId)

	// The build waits for the lock, in the middle of writing its archive.
	watch := dbConn(t, dbURL)
	eventually(t, "a build waiting to write its archive's chunks", func() bool {
		var n int
		if err := watch.QueryRow(ctx, `SELECT count(*) FROM pg_locks WHERE relation = 'export_archive_chunks'::regclass AND NOT granted`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n > 0
	})
	var owner string
	if err := watch.QueryRow(ctx, `SELECT owner FROM jobs WHERE kind = 'export' AND ref = $1`, id).Scan(&owner); err != nil {
		t.Fatal(err)
	}
	holder, survivor := rs[0], rs[1]
	if !holder.owns(owner) {
		holder, survivor = survivor, holder
	}
	if !holder.owns(owner) {
		t.Fatalf("the job's owner %q is neither replica", owner)
	}
	cs := client(t, survivor.URL, acctA, "x")
	if d, err := cs.DescribeExportTasks(&ads.DescribeExportTasksInput{ExportIds: aws.StringSlice([]string{id})}); err != nil ||
		aws.StringValue(d.ExportsInfo[0].ExportStatus) != ads.ExportStatusInProgress {
		t.Fatalf("before the kill: %v %v", d, err)
	}
	holder.kill(t)
	killed := time.Now()
	if err := hold.Rollback(ctx); err != nil {
		t.Fatal(err)
	}

	info := waitExport(t, cs, id)
	took := time.Since(killed)
	if aws.StringValue(info.ExportStatus) != ads.ExportStatusSucceeded {
		t.Fatalf("after the take-over: %s %s", aws.StringValue(info.ExportStatus), aws.StringValue(info.StatusMessage))
	}
	code, body := download(t, aws.StringValue(info.ConfigurationsDownloadUrl))
	if code != http.StatusOK || len(unzip(t, body)) != 8 {
		t.Fatalf("download from %s: %d, %d bytes", survivor.name, code, len(body))
	}

	rows, err := watch.Query(ctx, `SELECT what, coalesce(owner, ''), coalesce(attempts, 0) FROM test_log WHERE ref = $1 ORDER BY seq`, id)
	if err != nil {
		t.Fatal(err)
	}
	var log []string
	var claims []string
	for rows.Next() {
		var what, owner string
		var attempts int
		if err := rows.Scan(&what, &owner, &attempts); err != nil {
			t.Fatal(err)
		}
		if what == "claim" {
			who := "?"
			for _, r := range rs {
				if r.owns(owner) {
					who = r.name
				}
			}
			what = fmt.Sprintf("claim %d by %s", attempts, who)
			claims = append(claims, who)
		}
		log = append(log, what)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	want := []string{"claim 1 by " + holder.name, "archive written", "claim 2 by " + survivor.name, "archive written", "archive committed", "status SUCCEEDED"}
	if !slices.Equal(log, want) {
		t.Fatalf("what the database recorded of export %s:\n  %v\nwant\n  %v", id, log, want)
	}
	var archives, committed int
	if err := watch.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE committed) FROM export_archives WHERE export_id = $1`, id).Scan(&archives, &committed); err != nil {
		t.Fatal(err)
	}
	if archives != 1 || committed != 1 {
		t.Fatalf("export %s has %d archives (%d committed), want the survivor's only", id, archives, committed)
	}
	fmt.Printf("replicas: kill -9 of %s mid-build (--job-lease 2s): %s finished the export %s after the kill; %v\n",
		holder.name, survivor.name, took.Round(10*time.Millisecond), log)
}

// A clock move and the resets made on one replica reach the other, which
// applies them without being asked: its clock, its export expiries and
// limits, the accounts it knew (their home region controls), and the files
// it keeps for accounts in its own data directory. The time each took to
// reach it is printed.
func TestReplicasFollowClockAndResets(t *testing.T) {
	dbURL := pgtestdb.Schema(t)
	rs := startReplicas(t, dbURL, 2)
	a, b := rs[0], rs[1]
	ca, cb := client(t, a.URL, acctA, "x"), client(t, b.URL, acctA, "x")

	// An export on B, and the day's two agent exports on A: B refuses a
	// third.
	out, err := cb.StartExportTask(&ads.StartExportTaskInput{})
	if err != nil {
		t.Fatal(err)
	}
	summary := aws.StringValue(out.ExportId)
	url := aws.StringValue(waitExport(t, cb, summary).ConfigurationsDownloadUrl)
	for i := range 2 {
		if _, err := ca.StartExportTask(&ads.StartExportTaskInput{Filters: agentFilter(fmt.Sprintf("o-c1%015d", i))}); err != nil {
			t.Fatal(err)
		}
	}
	third := &ads.StartExportTaskInput{Filters: agentFilter("o-c1999999999999999")}
	_, err = cb.StartExportTask(third)
	wantCode(t, err, ads.ErrCodeOperationNotPermittedException, 400)

	// The clock moves on A past the export's retention: B follows.
	moved := clockNow(t, a.URL)
	advance(t, a.URL, discovery.Retention+time.Hour)
	target := moved.Add(discovery.Retention + time.Hour)
	clockLag := eventually(t, "B follows A's clock", func() bool { return !clockNow(t, b.URL).Before(target) })
	d, err := cb.DescribeExportTasks(&ads.DescribeExportTasksInput{ExportIds: aws.StringSlice([]string{summary})})
	if err != nil {
		t.Fatal(err)
	}
	if e := d.ExportsInfo[0]; aws.StringValue(e.StatusMessage) != discovery.ExpiredMessage || e.ConfigurationsDownloadUrl != nil {
		t.Fatalf("B after the move: %q, url %v; want the data expired", aws.StringValue(e.StatusMessage), e.ConfigurationsDownloadUrl)
	}
	if code, _ := download(t, url); code == http.StatusOK {
		t.Fatal("B serves the download of an expired export")
	}
	if _, err := cb.StartExportTask(third); err != nil {
		t.Fatalf("B, a day later: %v", err)
	}

	// Two accounts known to both replicas.
	const acctX, acctY = "444444444444", "555555555555"
	for _, acct := range []string{acctX, acctY} {
		for _, r := range rs {
			if _, err := client(t, r.URL, acct, "x").DescribeAgents(&ads.DescribeAgentsInput{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// X's home region control is deleted on A: B refuses X's calls.
	mgh := mghClient(t, a.URL, acctX, "x", region)
	hrc, err := mgh.DescribeHomeRegionControls(&migrationhubconfig.DescribeHomeRegionControlsInput{})
	if err != nil || len(hrc.HomeRegionControls) != 1 {
		t.Fatalf("X's controls: %v %v", hrc, err)
	}
	if _, err := mgh.DeleteHomeRegionControl(&migrationhubconfig.DeleteHomeRegionControlInput{ControlId: hrc.HomeRegionControls[0].ControlId}); err != nil {
		t.Fatal(err)
	}
	_, err = client(t, b.URL, acctX, "x").DescribeAgents(&ads.DescribeAgentsInput{})
	wantCode(t, err, ads.ErrCodeHomeRegionNotSetException, 400)
	// Files B keeps for X and Y in its own data directory (continuous
	// export buffers; the buckets themselves are in the database).
	for _, acct := range []string{acctX, acctY} {
		dir := filepath.Join(b.data, "continuous-buffer", continuous.Bucket(acct))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "x.jsonl"), []byte("{}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gone := func(acct string) bool {
		_, err := os.Stat(filepath.Join(b.data, "continuous-buffer", continuous.Bucket(acct)))
		return errors.Is(err, os.ErrNotExist)
	}

	// X is reset on A. B forgets X and records it again with its default
	// control; its files for X go, Y's stay.
	if code, out := control(t, a.URL, "reset", "", map[string]any{"accountId": acctX}); code != 200 {
		t.Fatalf("reset X on A: %d %v", code, out)
	}
	resetLag := eventually(t, "B removes its files of X", func() bool { return gone(acctX) })
	if gone(acctY) {
		t.Fatal("B removed Y's files on X's reset")
	}
	hrcB, err := mghClient(t, b.URL, acctX, "x", region).DescribeHomeRegionControls(&migrationhubconfig.DescribeHomeRegionControlsInput{})
	if err != nil || len(hrcB.HomeRegionControls) != 1 || aws.StringValue(hrcB.HomeRegionControls[0].HomeRegion) != region {
		t.Fatalf("X's controls on B after the reset: %v %v; want the default", hrcB, err)
	}
	if _, err := client(t, b.URL, acctX, "x").DescribeAgents(&ads.DescribeAgentsInput{}); err != nil {
		t.Fatalf("X on B after the reset: %v", err)
	}

	// Y's control is deleted and Y is reset on A; B's very next ADS call of
	// Y, before B may have followed the reset, finds Y's default control.
	mghY := mghClient(t, a.URL, acctY, "x", region)
	if hrc, err = mghY.DescribeHomeRegionControls(&migrationhubconfig.DescribeHomeRegionControlsInput{}); err != nil || len(hrc.HomeRegionControls) != 1 {
		t.Fatalf("Y's controls: %v %v", hrc, err)
	}
	if _, err := mghY.DeleteHomeRegionControl(&migrationhubconfig.DeleteHomeRegionControlInput{ControlId: hrc.HomeRegionControls[0].ControlId}); err != nil {
		t.Fatal(err)
	}
	if code, out := control(t, a.URL, "reset", "", map[string]any{"accountId": acctY}); code != 200 {
		t.Fatalf("reset Y on A: %d %v", code, out)
	}
	if _, err := client(t, b.URL, acctY, "x").DescribeAgents(&ads.DescribeAgentsInput{}); err != nil {
		t.Fatalf("Y on B right after its reset on A: %v", err)
	}

	// Everything is reset on A: B's clock is back at real time, and B
	// lists none of A's exports.
	if code, out := control(t, a.URL, "reset", "", map[string]any{}); code != 200 {
		t.Fatalf("reset on A: %d %v", code, out)
	}
	eventually(t, "B's clock back at real time", func() bool { return time.Until(clockNow(t, b.URL)) < time.Hour })
	if d, err := cb.DescribeExportTasks(&ads.DescribeExportTasksInput{}); err != nil || len(d.ExportsInfo) != 0 {
		t.Fatalf("B after the reset: %v %v", d, err)
	}
	if !gone(acctY) {
		t.Fatal("B kept Y's files after a reset of everything")
	}
	fmt.Printf("replicas: B followed A's clock move within %v and A's account reset within %v (polled every 10 ms; bound %v without notifications)\n",
		clockLag.Round(time.Millisecond), resetLag.Round(time.Millisecond), 500*time.Millisecond)
}

// On PostgreSQL the continuous export buckets are in the database: the
// files one replica delivered are served by the other.
func TestReplicasServeEveryBucket(t *testing.T) {
	dbURL := pgtestdb.Schema(t)
	rs := startReplicas(t, dbURL, 2)
	a, b := rs[0], rs[1]
	bucket, fb := startFed(t, a.URL)
	advance(t, a.URL, continuous.DefaultBufferInterval)
	fromB := bucketClient(t, b.URL, acctA, "x")
	var data []string
	eventually(t, "B serves A's delivery", func() bool {
		out, err := fromB.ListObjectsV2(&s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
		if err != nil {
			t.Fatal(err)
		}
		data = nil
		for _, o := range out.Contents {
			if keyLayout.MatchString(aws.StringValue(o.Key)) {
				data = append(data, aws.StringValue(o.Key))
			}
		}
		return len(data) == len(continuous.Tables)
	})
	wantDuckDBScript(t, fromB, bucket)
	for _, k := range data {
		if !strings.HasPrefix(k, continuous.TableOSInfo+"/") {
			continue
		}
		obj, err := fromB.GetObject(&s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(k)})
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(obj.Body)
		obj.Body.Close()
		rows, err := parquet.Read[continuous.OSInfoRow](bytes.NewReader(body), int64(len(body)))
		if err != nil || len(rows) != len(fb.Reports) {
			t.Fatalf("%s from B: %d rows, %v", k, len(rows), err)
		}
	}
	// Neither replica has the bucket in its data directory.
	for _, r := range rs {
		if _, err := os.Stat(filepath.Join(r.data, "continuous-exports", bucket)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("replica %s has a bucket folder: %v", r.name, err)
		}
	}
}
