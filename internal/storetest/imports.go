package storetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/imports"
	"github.com/poseidon-ads/poseidon/internal/queue"
	"github.com/poseidon-ads/poseidon/internal/tags"
	"github.com/poseidon-ads/poseidon/internal/worker"
)

// Import tasks: CreateImportTask and ImportTaskByToken (client tokens),
// FindImportTasks (order, cursor, the typed lists), ImportTask,
// FinishImportTask under its job's lease, CountImportRecords, and ImportTx: each typed step, and
// the imports use case's rules over it (imports.ImportRow matching and
// creating servers, linking applications and tags; imports.DeleteData),
// as the import runner and BatchDeleteImportData run them.
var importTests = []test{
	tc("CreateOncePerClientToken", testImportCreate),
	tc("FindInKeysetPages", testImportPages),
	tc("FindFilters", testImportFilters),
	tc("ImportTaskOfTheAccount", testImportTask),
	tc("FinishOnlyWhileInProgress", testImportFinish),
	tc("ImportTxStepsWriteAndReadTheirAccount", testImportTxSteps),
	tc("ImportTxServersInTheInventory", testImportTxInventory),
	tc("ImportTxRollsBackOnError", testImportTxRollback),
	tc("ImportRowCreatesServersWithApplicationsAndTags", testImportRowCreates),
	tc("ImportRowMatchesServers", testImportRowMatches),
	tc("DeleteImportData", testImportDelete),
	tc("ImportsArePerAccount", testImportsPerAccount),
}

// importStore is the import tasks' store; importRowsStore also reads what
// an import writes.
type (
	importStore interface {
		Accounts
		imports.Store
		queue.Store
	}
	importRowsStore interface {
		importStore
		worker.RowSource
		tags.Store
	}
)

// importRow imports r into the account's task as the import runner does:
// the imports use case's rule (imports.ImportRow) in one ImportTx.
func importRow(t *testing.T, s imports.Store, account, task string, r *discovery.ImportRow, now time.Time) (*imports.RowResult, error) {
	t.Helper()
	var res *imports.RowResult
	err := s.ImportTx(ctx(t), account, func(tx discovery.ImportTx) (err error) {
		res, err = imports.ImportRow(ctx(t), tx, task, r, now)
		return err
	})
	return res, err
}

// deleteImportData deletes the data of the account's task as
// BatchDeleteImportData does: imports.DeleteData in one ImportTx.
func deleteImportData(t *testing.T, s imports.Store, account, task string, history bool, now time.Time) error {
	t.Helper()
	return s.ImportTx(ctx(t), account, func(tx discovery.ImportTx) error {
		return imports.DeleteData(ctx(t), tx, task, history, now)
	})
}

// importTx runs fn in an ImportTx of account and fails the test on an error.
func importTx(t *testing.T, s imports.Store, account string, fn func(c context.Context, tx discovery.ImportTx) error) {
	t.Helper()
	c := ctx(t)
	must(t, s.ImportTx(c, account, func(tx discovery.ImportTx) error { return fn(c, tx) }))
}

func importTask(account, id, token string, req time.Time) *discovery.ImportTask {
	return &discovery.ImportTask{AccountID: account, ID: id, ClientToken: token, Name: "name-" + id, URL: "s3://bucket/" + id + ".csv",
		Status: discovery.ImportInProgress, RequestMS: req.UnixMilli()}
}

// newImport creates a task that must be new.
func newImport(t *testing.T, s imports.Store, it *discovery.ImportTask) {
	t.Helper()
	got, created, err := s.CreateImportTask(ctx(t), it)
	if err != nil || !created || got.ID != it.ID {
		t.Fatalf("create import %s = %+v, %v, %v", it.ID, got, created, err)
	}
}

func importIDs(ts []*discovery.ImportTask) []string {
	return keys(ts, func(it *discovery.ImportTask) string { return it.ID })
}

// findImports lists the IDs of the tasks q selects in account.
func findImports(t *testing.T, s imports.Store, account string, q discovery.ImportTaskQuery) []string {
	t.Helper()
	q.Account, q.Limit = account, 1000
	return importIDs(ok(s.FindImportTasks(ctx(t), q))(t))
}

func testImportCreate(t *testing.T, s importStore) {
	c := ctx(t)
	t1 := importTask(acctA, "imp-1", "tok-1", t0.Add(1500*time.Millisecond))
	newImport(t, s, t1)
	got, created, err := s.CreateImportTask(c, importTask(acctA, "imp-2", "tok-1", t0.Add(time.Hour)))
	if err != nil || created || got.ID != "imp-1" {
		t.Fatalf("second create with the token = %+v, %v, %v", got, created, err)
	}
	byToken := ok(s.ImportTaskByToken(c, acctA, "tok-1"))(t)
	if *byToken != *t1 {
		t.Fatalf("task by token = %+v, want %+v", *byToken, *t1)
	}
	// Without a token, every create is new.
	newImport(t, s, importTask(acctA, "imp-3", "", t0))
	newImport(t, s, importTask(acctA, "imp-4", "", t0))
	sameLines(t, "tasks", findImports(t, s, acctA, discovery.ImportTaskQuery{}), []string{"imp-1", "imp-3", "imp-4"})
	_, err = s.ImportTaskByToken(c, acctA, "tok-unknown")
	wantNotFound(t, err, "unknown token")
	_, err = s.ImportTaskByToken(c, acctB, "tok-1")
	wantNotFound(t, err, "another account's token")
	// B's token is B's.
	newImport(t, s, importTask(acctB, "imp-1", "tok-1", t0))
	if got := ok(s.ImportTaskByToken(c, acctB, "tok-1"))(t); got.AccountID != acctB {
		t.Fatalf("B's task by token = %+v", got)
	}
}

func testImportPages(t *testing.T, s importStore) {
	c := ctx(t)
	var want []string
	for _, i := range rand.Perm(12) {
		id := fmt.Sprintf("imp-%02d", i*3)
		want = append(want, id)
		newImport(t, s, importTask(acctA, id, "tok-"+id, t0.Add(time.Duration(i)*time.Second)))
	}
	newImport(t, s, importTask(acctB, "imp-b", "", t0))
	slices.Sort(want)
	find := func(after string, limit int) []*discovery.ImportTask {
		return ok(s.FindImportTasks(c, discovery.ImportTaskQuery{Account: acctA, After: after, Limit: limit}))(t)
	}
	// Limit 0 means no limit, as in every other query.
	sameLines(t, "limit 0", importIDs(find("", 0)), want)
	for _, limit := range []int{1, 5, 12} {
		got := importIDs(flat(pages(t, limit, func(after *string) ([]*discovery.ImportTask, error) {
			if after == nil {
				return find("", limit), nil
			}
			return find(*after, limit), nil
		}, func(it *discovery.ImportTask) string { return it.ID })))
		sameLines(t, fmt.Sprintf("pages of %d", limit), got, want)
	}
	// Stable under inserts: tasks before and after the cursor.
	first := find("", 4)
	newImport(t, s, importTask(acctA, "imp-00a", "", t0))
	newImport(t, s, importTask(acctA, "imp-99", "", t0))
	newImport(t, s, importTask(acctA, "imp-10a", "", t0))
	rest := importIDs(find(first[3].ID, 100))
	all := findImports(t, s, acctA, discovery.ImportTaskQuery{})
	sameLines(t, "after the inserts", rest, all[slices.Index(all, first[3].ID)+1:])
	if !slices.Contains(rest, "imp-10a") || slices.Contains(rest, "imp-00a") {
		t.Fatalf("rest = %v", rest)
	}
}

func testImportFilters(t *testing.T, s importStore) {
	c := ctx(t)
	for i, name := range []string{"alpha", "beta", "alpha", "gamma"} {
		it := importTask(acctA, fmt.Sprintf("imp-%d", i), "", t0)
		it.Name = name
		newImport(t, s, it)
	}
	newImport(t, s, importTask(acctB, "imp-9", "", t0))
	finishImport(t, s, &discovery.ImportTask{AccountID: acctA, ID: "imp-1", Status: discovery.ImportComplete})
	finishImport(t, s, &discovery.ImportTask{AccountID: acctA, ID: "imp-2", Status: discovery.ImportFailed})
	type q = discovery.ImportTaskQuery
	for _, tc := range []struct {
		name string
		q    q
		want []string
	}{
		{"none", q{}, []string{"imp-0", "imp-1", "imp-2", "imp-3"}},
		{"task IDs", q{IDs: []string{"imp-3", "imp-1", "imp-9"}}, []string{"imp-1", "imp-3"}},
		{"status", q{Statuses: []string{discovery.ImportInProgress}}, []string{"imp-0", "imp-3"}},
		{"statuses OR-ed", q{Statuses: []string{discovery.ImportComplete, discovery.ImportFailed}}, []string{"imp-1", "imp-2"}},
		{"name", q{Names: []string{"alpha"}}, []string{"imp-0", "imp-2"}},
		{"name is exact", q{Names: []string{"ALPHA", "alph"}}, nil},
		{"filters AND-ed", q{Names: []string{"alpha"}, Statuses: []string{discovery.ImportFailed}}, []string{"imp-2"}},
		{"one name twice intersects", q{Names: both([]string{"alpha", "beta"}, []string{"beta", "gamma"})}, []string{"imp-1"}},
		{"disjoint", q{IDs: both([]string{"imp-0"}, []string{"imp-1"})}, nil},
		{"no IDs (an empty list)", q{IDs: []string{}}, nil},
		{"no statuses", q{Statuses: []string{}}, nil},
		{"no names", q{Names: []string{}, IDs: []string{"imp-0"}}, nil},
		{"more IDs than a statement has parameters", q{IDs: longList("imp-3", "imp-0")}, []string{"imp-0", "imp-3"}},
	} {
		sameLines(t, tc.name, findImports(t, s, acctA, tc.q), tc.want)
	}
	// Filters and a cursor.
	got := importIDs(ok(s.FindImportTasks(c, q{Account: acctA, Names: []string{"alpha", "gamma"}, After: "imp-0", Limit: 1}))(t))
	sameLines(t, "filter after a cursor", got, []string{"imp-2"})
}

// ImportTask reads a task of its account, also one deleted with its
// history.
func testImportTask(t *testing.T, s importStore) {
	c := ctx(t)
	it := importTask(acctA, "imp-1", "tok", t0.Add(1500*time.Millisecond))
	newImport(t, s, it)
	newImport(t, s, importTask(acctB, "imp-2", "", t0))
	if got := ok(s.ImportTask(c, acctA, "imp-1"))(t); *got != *it {
		t.Fatalf("task = %+v, want %+v", *got, *it)
	}
	for _, tc := range []struct{ account, id string }{{acctA, "imp-2"}, {acctB, "imp-1"}, {acctA, "imp-unknown"}} {
		_, err := s.ImportTask(c, tc.account, tc.id)
		wantNotFound(t, err, fmt.Sprintf("task (%s, %s)", tc.account, tc.id))
	}
	must(t, deleteImportData(t, s, acctA, "imp-1", true, t0.Add(time.Hour)))
	if got := ok(s.ImportTask(c, acctA, "imp-1"))(t); got.Status != discovery.ImportDeleteComplete || got.DeletedMS != t0.Add(time.Hour).UnixMilli() {
		t.Fatalf("task deleted with its history = %+v", got)
	}
}

// FinishImportTask stores an outcome under the lease of the task's job,
// once, while the task is in progress, in its account.
func testImportFinish(t *testing.T, s importStore) {
	c := ctx(t)
	it := importTask(acctA, "imp-1", "tok", t0)
	newImport(t, s, it)
	newImport(t, s, importTask(acctA, "imp-2", "", t0))
	newImport(t, s, importTask(acctB, "imp-3", "", t0))
	done := discovery.ImportTask{AccountID: acctA, ID: "imp-1", Status: discovery.ImportCompleteWithErrors, CompletionMS: t0.Add(time.Minute).UnixMilli(),
		ServerSuccess: 3, ServerFailure: 2, AppSuccess: 4, AppFailure: 1, HasErrorsZip: true}
	j := claimJob(t, s, "w", discovery.JobImport, acctA, "imp-1", t0)
	wantLeaseLost(t, s.FinishImportTask(c, discovery.Lease{Job: j.ID, Owner: "other"}, &done), "an outcome under another owner's lease")
	if got := ok(s.ImportTask(c, acctA, "imp-1"))(t); *got != *it {
		t.Fatalf("task after a refused outcome = %+v", *got)
	}
	must(t, s.FinishImportTask(c, j.Lease(), &done))
	got := ok(s.ImportTaskByToken(c, acctA, "tok"))(t)
	want := *it
	want.Status, want.CompletionMS, want.ServerSuccess, want.ServerFailure, want.AppSuccess, want.AppFailure, want.HasErrorsZip =
		done.Status, done.CompletionMS, 3, 2, 4, 1, true
	if *got != want {
		t.Fatalf("finished task = %+v\nwant %+v", *got, want)
	}
	again := done
	again.Status = discovery.ImportFailed
	if err := s.FinishImportTask(c, j.Lease(), &again); !errors.Is(err, discovery.ErrImportTaskGone) {
		t.Fatalf("second finish = %v, want ErrImportTaskGone", err)
	}
	if got := ok(s.ImportTaskByToken(c, acctA, "tok"))(t); got.Status != discovery.ImportCompleteWithErrors {
		t.Fatalf("status after a second finish = %s", got.Status)
	}
	must(t, s.Complete(c, j.Lease()))
	j2 := claimJob(t, s, "w", discovery.JobImport, acctA, "imp-2", t0)
	for _, tc := range []struct{ account, id string }{{acctA, "imp-unknown"}, {acctA, "imp-3"}, {acctB, "imp-2"}} {
		if err := s.FinishImportTask(c, j2.Lease(), &discovery.ImportTask{AccountID: tc.account, ID: tc.id, Status: discovery.ImportComplete}); !errors.Is(err, discovery.ErrImportTaskGone) {
			t.Fatalf("finish of (%s, %s) = %v, want ErrImportTaskGone", tc.account, tc.id, err)
		}
	}
	if got := ok(s.ImportTask(c, acctB, "imp-3"))(t); got.Status != discovery.ImportInProgress {
		t.Fatalf("B's task after A's finish = %+v", got)
	}
	// A task whose data was deleted is gone for its runner.
	must(t, deleteImportData(t, s, acctA, "imp-2", false, t0))
	if err := s.FinishImportTask(c, j2.Lease(), &discovery.ImportTask{AccountID: acctA, ID: "imp-2", Status: discovery.ImportComplete}); !errors.Is(err, discovery.ErrImportTaskGone) {
		t.Fatalf("finish of a deleted task = %v, want ErrImportTaskGone", err)
	}
}

// finishImport records the outcome done of a task as the import runner
// does: under the lease of its job, which it then completes.
func finishImport(t *testing.T, s importStore, done *discovery.ImportTask) {
	t.Helper()
	j := claimJob(t, s, "importer", discovery.JobImport, done.AccountID, done.ID, never)
	must(t, s.FinishImportTask(ctx(t), j.Lease(), done))
	must(t, s.Complete(ctx(t), j.Lease()))
}

// importedServer finds a server of account by ID in the rows an export
// reads: the import template and EC2 rows (which carry ExternalID).
func importedServer(t *testing.T, s worker.RowSource, account, id string) (discovery.ImportTemplateRow, string) {
	t.Helper()
	var row *discovery.ImportTemplateRow
	must(t, s.ExportImportTemplateRows(ctx(t), account, func(r *discovery.ImportTemplateRow) error {
		if r.Server.ID == id {
			cp := *r
			cp.IPAddresses, cp.MACAddresses = slices.Clone(r.IPAddresses), slices.Clone(r.MACAddresses)
			cp.Applications, cp.Tags = slices.Clone(r.Applications), slices.Clone(r.Tags)
			row = &cp
		}
		return nil
	}))
	if row == nil {
		t.Fatalf("no server %s", id)
	}
	ext := ""
	must(t, s.EC2Servers(ctx(t), account, func(r *discovery.EC2Server) error {
		if r.Server.ID == id {
			ext = r.ExternalID
		}
		return nil
	}))
	return *row, ext
}

func testImportRowCreates(t *testing.T, s importRowsStore) {
	c := ctx(t)
	newImport(t, s, importTask(acctA, "imp-1", "", t0))
	now := t0.Add(time.Minute)
	row := &discovery.ImportRow{ExternalID: "ext-1", HostName: "imp-host", OSName: "RHEL", OSVersion: "9", VMName: "vm", MoRefID: "vm-77", VCenterID: "vc-9",
		IPs: []string{"192.168.0.1", "192.168.0.2"}, MACs: []string{"02:aa:00:00:00:01"}, CPUs: 2, Cores: 8, Logical: 16, RAMMB: 4096.5,
		Applications: []string{"crm", "erp"}, Wave: "w1", Tags: [][2]string{{"env", "prod"}, {"tier", "db"}}}
	res := ok(importRow(t, s, acctA, "imp-1", row, now))(t)
	if !strings.HasPrefix(res.ServerID, discovery.ServerPrefix) || res.AppsCreated != 2 || res.AppsAssoc != 2 || res.LimitReached {
		t.Fatalf("import row = %+v", res)
	}
	got, ext := importedServer(t, s, acctA, res.ServerID)
	sv := got.Server
	if ext != "ext-1" || sv.HostName != "imp-host" || sv.OSName != "RHEL" || sv.OSVersion != "9" || sv.NumCPUs != 2 || sv.NumCores != 8 ||
		sv.NumLogical != 16 || sv.TotalRAMMB != 4096.5 || sv.VMMoRefID != "vm-77" || sv.VCenterID != "vc-9" || sv.VMName != "vm" {
		t.Fatalf("imported server = %+v, external ID %q", sv, ext)
	}
	if !slices.Equal(got.IPAddresses, []string{"192.168.0.1", "192.168.0.2"}) || !slices.Equal(got.MACAddresses, []string{"02:aa:00:00:00:01"}) ||
		!slices.Equal(got.Applications, []string{"crm", "erp"}) && !slices.Equal(got.Applications, []string{"erp", "crm"}) || got.Wave != "w1" ||
		!slices.Equal(got.Tags, []discovery.Tag{{Key: "env", Value: "prod"}, {Key: "tier", Value: "db"}}) {
		t.Fatalf("imported server row = %+v", got)
	}
	servers := collectRows(t, func(fn func(*discovery.Server) error) error { return s.ExportServerRows(c, acctA, fn) })
	if len(servers) != 1 || servers[0].ID != res.ServerID || servers[0].AgentID != "" || !servers[0].Created.Equal(now) {
		t.Fatalf("servers = %+v", servers)
	}
	if n := ok(s.CountImportRecords(c, acctA))(t); n != 1 {
		t.Fatalf("%d import records, want 1", n)
	}
	// A second row with an application of the first: made once.
	res2 := ok(importRow(t, s, acctA, "imp-1", &discovery.ImportRow{ExternalID: "ext-2", HostName: "other", Applications: []string{"erp"}}, now))(t)
	if res2.ServerID == res.ServerID || res2.AppsCreated != 0 || res2.AppsAssoc != 1 {
		t.Fatalf("second row = %+v", res2)
	}
	byName := keys(collectRows(t, func(fn func(*discovery.Application) error) error { return s.ExportApplications(c, acctA, fn) }),
		func(a discovery.Application) string { return fmt.Sprintf("%s/%s/%d", a.Name, a.Wave, a.ServerCount) })
	slices.Sort(byName)
	sameLines(t, "applications", byName, []string{"crm/w1/1", "erp/w1/2"})
	if n := ok(s.CountImportRecords(c, acctA))(t); n != 2 {
		t.Fatalf("%d import records, want 2", n)
	}
	// Rows of a task no longer in progress are refused.
	finishImport(t, s, &discovery.ImportTask{AccountID: acctA, ID: "imp-1", Status: discovery.ImportComplete})
	for _, id := range []string{"imp-1", "imp-unknown"} {
		if _, err := importRow(t, s, acctA, id, &discovery.ImportRow{ExternalID: "ext-3"}, now); !errors.Is(err, discovery.ErrImportTaskGone) {
			t.Fatalf("row of %s = %v, want ErrImportTaskGone", id, err)
		}
	}
	if n := len(serverRowIDs(t, s, acctA)); n != 2 {
		t.Fatalf("%d servers after refused rows, want 2", n)
	}
}

func testImportRowMatches(t *testing.T, s Store) {
	c := ctx(t)
	seedFleet(t, s, acctA)
	newImport(t, s, importTask(acctA, "imp-1", "", t0))
	row := func(r discovery.ImportRow) string {
		t.Helper()
		return ok(importRow(t, s, acctA, "imp-1", &r, t0.Add(time.Hour)))(t).ServerID
	}
	created := row(discovery.ImportRow{ExternalID: "ext-1", HostName: "imp-1", OSName: "RHEL", IPs: []string{"192.168.0.1"}, MACs: []string{"02:aa:00:00:00:01"}})
	for _, tc := range []struct {
		name string
		r    discovery.ImportRow
		want string
	}{
		{"by configuration ID", discovery.ImportRow{ServerID: serverOf(acctA, 2), HostName: "x"}, serverOf(acctA, 2)},
		{"an unknown configuration ID, then the external ID", discovery.ImportRow{ServerID: "d-server-00000000000000009", ExternalID: "ext-1"}, created},
		{"by external ID", discovery.ImportRow{ExternalID: "ext-1", HostName: "imp-1-renamed", OSName: ""}, created},
		{"by IP and MAC", discovery.ImportRow{IPs: []string{"10.1.1.1", "192.168.0.1"}, MACs: []string{"02:aa:00:00:00:01"}}, created},
		{"by an agent server's IP and MAC", discovery.ImportRow{IPs: []string{agentIP(1)}, MACs: []string{agentMAC(1)}}, serverOf(acctA, 1)},
		{"by host name", discovery.ImportRow{HostName: hostName(4)}, serverOf(acctA, 4)},
		{"by VMware identity", discovery.ImportRow{MoRefID: "vm-3", VCenterID: "vc-1"}, serverOf(acctA, 3)},
	} {
		if got := row(tc.r); got != tc.want {
			t.Errorf("%s: matched %s, want %s", tc.name, got, tc.want)
		}
	}
	// An external ID that matches nothing makes a server, though the host
	// name is known.
	if got := row(discovery.ImportRow{ExternalID: "ext-new", HostName: hostName(4)}); got == serverOf(acctA, 4) || got == created {
		t.Errorf("an unknown external ID matched %s", got)
	}
	// A match takes the row's non-empty descriptive values.
	imp, ext := importedServer(t, s, acctA, created)
	if ext != "ext-1" || imp.Server.HostName != "imp-1-renamed" || imp.Server.OSName != "RHEL" {
		t.Fatalf("matched server: external %q, host %q, OS %q", ext, imp.Server.HostName, imp.Server.OSName)
	}
	if n := len(list(t, s, discovery.ItemQuery{Account: acctA, Type: discovery.TypeServer})); n != fleetAgents+2 {
		t.Fatalf("%d servers, want %d", n, fleetAgents+2)
	}
	// One record per (task, server).
	if n := ok(s.CountImportRecords(c, acctA))(t); n != 6 {
		t.Fatalf("%d import records, want 6", n)
	}
}

func testImportDelete(t *testing.T, s Store) {
	c := ctx(t)
	seedFleet(t, s, acctA)
	newImport(t, s, importTask(acctA, "imp-1", "tok-1", t0))
	newImport(t, s, importTask(acctA, "imp-2", "tok-2", t0))
	row := func(task string, r discovery.ImportRow) string {
		t.Helper()
		return ok(importRow(t, s, acctA, task, &r, t0))(t).ServerID
	}
	own := row("imp-1", discovery.ImportRow{ExternalID: "own", IPs: []string{"192.168.9.9"}, Applications: []string{"crm"}, Tags: [][2]string{{"k", "v"}}})
	shared := row("imp-1", discovery.ImportRow{ExternalID: "shared"})
	agent := row("imp-1", discovery.ImportRow{HostName: hostName(1), Tags: [][2]string{{"k", "v"}}})
	if agent != serverOf(acctA, 1) {
		t.Fatalf("row matched %s, want agent 1's server", agent)
	}
	if again := row("imp-2", discovery.ImportRow{ExternalID: "shared"}); again != shared {
		t.Fatalf("second task matched %s, want %s", again, shared)
	}
	finishImport(t, s, &discovery.ImportTask{AccountID: acctA, ID: "imp-1", Status: discovery.ImportComplete})
	deleted := t0.Add(time.Hour)
	must(t, deleteImportData(t, s, acctA, "imp-1", false, deleted))
	// The server the task made and only it referenced goes, with its tags,
	// interfaces and memberships; the shared one and the agent's stay.
	servers := itemIDs(list(t, s, discovery.ItemQuery{Account: acctA, Type: discovery.TypeServer}))
	if slices.Contains(servers, own) || !slices.Contains(servers, shared) || !slices.Contains(servers, agent) || len(servers) != fleetAgents+1 {
		t.Fatalf("servers after the delete: %v (own %s, shared %s)", servers, own, shared)
	}
	for _, tg := range ok(s.FindTags(c, discovery.TagQuery{Account: acctA}))(t) {
		if tg.ConfigurationID == own {
			t.Fatalf("tag of a deleted server: %+v", tg)
		}
	}
	if tags := tagLines(t, s, discovery.TagQuery{Account: acctA, IDs: []string{agent}}); len(tags) != 1 {
		t.Fatalf("agent server's tags: %v", tags)
	}
	for _, n := range collectRows(t, func(fn func(*discovery.ServerNIC) error) error { return s.ExportServerNICs(c, acctA, fn) }) {
		if n.ServerID == own {
			t.Fatalf("interface of a deleted server: %+v", n)
		}
	}
	for _, m := range collectRows(t, func(fn func(*discovery.ApplicationServer) error) error {
		return s.ExportApplicationServers(c, acctA, fn)
	}) {
		if m.ServerID == own {
			t.Fatalf("membership of a deleted server: %+v", m)
		}
	}
	if n := ok(s.CountImportRecords(c, acctA))(t); n != 1 {
		t.Fatalf("%d import records after the delete, want imp-2's 1", n)
	}
	got := ok(s.ImportTaskByToken(c, acctA, "tok-1"))(t)
	if got.Status != discovery.ImportDeleteComplete || got.DeletedMS != deleted.UnixMilli() {
		t.Fatalf("deleted task = %+v", got)
	}
	sameLines(t, "tasks (the deleted one kept in history)", findImports(t, s, acctA, discovery.ImportTaskQuery{}), []string{"imp-1", "imp-2"})
	// Deleting with its history hides the task; its token still finds it.
	must(t, deleteImportData(t, s, acctA, "imp-2", true, deleted))
	sameLines(t, "tasks (one hidden)", findImports(t, s, acctA, discovery.ImportTaskQuery{}), []string{"imp-1"})
	if got := ok(s.ImportTaskByToken(c, acctA, "tok-2"))(t); got.Status != discovery.ImportDeleteComplete {
		t.Fatalf("hidden task = %+v", got)
	}
	if _, created, err := s.CreateImportTask(c, importTask(acctA, "imp-3", "tok-2", t0)); err != nil || created {
		t.Fatalf("create with a hidden task's token: created %v, %v", created, err)
	}
	for _, tc := range []struct{ account, id string }{{acctA, "imp-2"}, {acctA, "imp-unknown"}, {acctB, "imp-1"}} {
		wantNotFound(t, deleteImportData(t, s, tc.account, tc.id, false, deleted), fmt.Sprintf("delete of (%s, %s)", tc.account, tc.id))
	}
}

func testImportsPerAccount(t *testing.T, s Store) {
	c := ctx(t)
	seedFleet(t, s, acctA)
	newImport(t, s, importTask(acctA, "imp-a", "tok", t0))
	newImport(t, s, importTask(acctB, "imp-b", "tok", t0))
	// B's rows never match A's servers.
	got := ok(importRow(t, s, acctB, "imp-b", &discovery.ImportRow{ServerID: serverOf(acctA, 1), HostName: hostName(1)}, t0))(t)
	if got.ServerID == serverOf(acctA, 1) {
		t.Fatal("B's row matched A's server")
	}
	// Nor write into A's tasks.
	if _, err := importRow(t, s, acctB, "imp-a", &discovery.ImportRow{HostName: "x"}, t0); !errors.Is(err, discovery.ErrImportTaskGone) {
		t.Fatalf("B's row into A's task = %v, want ErrImportTaskGone", err)
	}
	if a, b := ok(s.CountImportRecords(c, acctA))(t), ok(s.CountImportRecords(c, acctB))(t); a != 0 || b != 1 {
		t.Fatalf("records: A %d, B %d; want 0, 1", a, b)
	}
	sameLines(t, "A's tasks", findImports(t, s, acctA, discovery.ImportTaskQuery{}), []string{"imp-a"})
	sameLines(t, "B's tasks", findImports(t, s, acctB, discovery.ImportTaskQuery{}), []string{"imp-b"})
	if d := ok(s.DescribeServers(c, acctA, []string{serverOf(acctA, 1)}))(t); len(d) != 1 || d[0].HostName != hostName(1) {
		t.Fatalf("A's server after B's import: %+v", d)
	}
}

// serverRowIDs lists the IDs of account's servers, as the Server.csv rows
// of an export read them.
func serverRowIDs(t *testing.T, s worker.RowSource, account string) []string {
	t.Helper()
	return keys(collectRows(t, func(fn func(*discovery.Server) error) error { return s.ExportServerRows(ctx(t), account, fn) }),
		func(v discovery.Server) string { return v.ID })
}

// The typed steps of ImportTx, each read back through the store's reads: a
// server an import creates, with its interfaces; which server holds a key
// (the lowest ID when several do); patches; records, the first of a task
// and server kept; applications by name (the lowest ID), their wave and
// members; tags, the first creation time kept; a task's records as they
// stand; ending a task, hidden or not. Every step stays in its account.
func testImportTxSteps(t *testing.T, s importRowsStore) {
	c := ctx(t)
	newImport(t, s, importTask(acctA, "imp-1", "tok-1", t0))
	newImport(t, s, importTask(acctA, "imp-other", "", t0))
	newImport(t, s, importTask(acctB, "imp-1", "tok-1", t0))
	finishImport(t, s, &discovery.ImportTask{AccountID: acctB, ID: "imp-1", Status: discovery.ImportComplete})
	srvA, srvZ := discovery.ServerPrefix+"a0000000000000000", discovery.ServerPrefix+"f0000000000000000"
	appA, appZ := appID(1), appID(2)
	imported := func(id string) *discovery.ImportedServer {
		return &discovery.ImportedServer{ID: id, ExternalID: "x", HostName: "h", OSName: "os", OSVersion: "1", MoRefID: "vm-1", VCenterID: "vc-1",
			CPUs: 1, Cores: 2, Logical: 3, RAMMB: 4.5, VMName: "vm", CreatedMS: t0.UnixMilli(),
			NICs: []discovery.NIC{{Name: "eth0", IPAddress: "10.0.0.1", MACAddress: "06-A7-7D-3F-54-57"}, {Name: "eth1", IPAddress: "10.0.0.2"}}}
	}
	importTx(t, s, acctA, func(c context.Context, tx discovery.ImportTx) error {
		if st, err := tx.ImportTaskState(c, "imp-1"); err != nil || st != (discovery.ImportTaskState{Status: discovery.ImportInProgress}) {
			t.Errorf("task state = %+v, %v", st, err)
		}
		_, err := tx.ImportTaskState(c, "imp-unknown")
		wantNotFound(t, err, "state of an unknown task")
		// Two servers hold every key: the lower ID is found.
		must(t, tx.InsertImportedServer(c, imported(srvZ)))
		must(t, tx.InsertImportedServer(c, imported(srvA)))
		for _, k := range []discovery.ServerKey{
			{Kind: discovery.ByServerID, ID: srvZ},
			{Kind: discovery.ByExternalID, ExternalID: "x"},
			{Kind: discovery.ByIPAndMAC, IP: "10.0.0.1", MAC: "06:a7:7d:3f:54:57"},
			{Kind: discovery.ByHostName, HostName: "h"},
			{Kind: discovery.ByVMware, MoRefID: "vm-1", VCenterID: "vc-1"},
		} {
			want := srvA
			if k.Kind == discovery.ByServerID {
				want = srvZ
			}
			if got, err := tx.ServerWithKey(c, k); got != want || err != nil {
				t.Errorf("server with %+v = %q, %v; want %s", k, got, err, want)
			}
			// The same key with another value of its kind finds none.
			k.ID, k.ExternalID, k.IP, k.HostName, k.VCenterID = discovery.ServerPrefix+"b0000000000000000", "y", "10.0.0.2", "H", "vc-2"
			if got, err := tx.ServerWithKey(c, k); got != "" || err != nil {
				t.Errorf("server with %+v = %q, %v; want none", k, got, err)
			}
		}
		if _, err := tx.ServerWithKey(c, discovery.ServerKey{}); err == nil {
			t.Error("a key of no kind found no error")
		}
		if n, err := tx.CountImportedServers(c); n != 2 || err != nil {
			t.Errorf("imported servers = %d, %v; want 2", n, err)
		}
		os, host := "os2", "h2"
		must(t, tx.PatchServer(c, srvA, &discovery.ServerPatch{OSVersion: &os, HostName: &host, UpdatedMS: t0.Add(time.Minute).UnixMilli()}))
		for _, r := range []discovery.ImportRecord{
			{TaskID: "imp-1", ServerID: srvA, Created: true}, {TaskID: "imp-1", ServerID: srvA},
			{TaskID: "imp-other", ServerID: srvZ}, {TaskID: "imp-1", ServerID: srvZ},
		} {
			must(t, tx.RecordImport(c, r))
		}
		must(t, tx.InsertApplication(c, &discovery.Application{ID: appZ, Name: "app", Wave: "w", Created: t0, Updated: t0.Add(time.Second)}))
		must(t, tx.InsertApplication(c, &discovery.Application{ID: appA, Name: "app", Created: t0, Updated: t0.Add(time.Second)}))
		if id, err := tx.ApplicationNamed(c, "app"); id != appA || err != nil {
			t.Errorf("application named app = %q, %v; want %s", id, err, appA)
		}
		if id, err := tx.ApplicationNamed(c, "APP"); id != "" || err != nil {
			t.Errorf("application named APP = %q, %v; want none", id, err)
		}
		must(t, tx.SetApplicationWave(c, appA, "w2", t0.Add(2*time.Second).UnixMilli()))
		for range 2 {
			must(t, tx.AddApplicationServer(c, appA, srvA))
		}
		for i := range 2 {
			must(t, tx.AddTag(c, srvA, discovery.Tag{Key: "k", Value: "v"}, t0.Add(time.Duration(i)*time.Hour).UnixMilli()))
		}
		return nil
	})

	a, ext := importedServer(t, s, acctA, srvA)
	if sv := a.Server; ext != "x" || sv.HostName != "h2" || sv.OSName != "os" || sv.OSVersion != "os2" || sv.NumCPUs != 1 || sv.NumCores != 2 ||
		sv.NumLogical != 3 || sv.TotalRAMMB != 4.5 || sv.VMMoRefID != "vm-1" || sv.VCenterID != "vc-1" || sv.VMName != "vm" {
		t.Errorf("patched server = %+v, external ID %q", sv, ext)
	}
	if !slices.Equal(a.IPAddresses, []string{"10.0.0.1", "10.0.0.2"}) || !slices.Equal(a.MACAddresses, []string{"06-A7-7D-3F-54-57"}) ||
		!slices.Equal(a.Applications, []string{"app"}) || a.Wave != "w2" || !slices.Equal(a.Tags, []discovery.Tag{{Key: "k", Value: "v"}}) {
		t.Errorf("patched server's row = %+v", a)
	}
	if z, _ := importedServer(t, s, acctA, srvZ); z.Server.HostName != "h" || z.Server.OSVersion != "1" || len(z.Applications) != 0 || len(z.Tags) != 0 {
		t.Errorf("the other server = %+v", z)
	}
	for _, r := range collectRows(t, func(fn func(*discovery.Server) error) error { return s.ExportServerRows(c, acctA, fn) }) {
		if r.AgentID != "" || !r.Created.Equal(t0) {
			t.Errorf("imported server = %+v", r)
		}
	}
	apps := collectRows(t, func(fn func(*discovery.Application) error) error { return s.ExportApplications(c, acctA, fn) })
	sameLines(t, "applications", keys(apps, func(a discovery.Application) string {
		return fmt.Sprintf("%s %s/%s/%d %v %v", a.ID, a.Name, a.Wave, a.ServerCount, a.Created.Equal(t0), ms(a.Updated).Sub(t0))
	}), []string{appA + " app/w2/1 true 2s", appZ + " app/w/0 true 1s"})
	if tags := ok(s.FindTags(c, discovery.TagQuery{Account: acctA}))(t); len(tags) != 1 || tags[0].ConfigurationID != srvA || !tags[0].Created.Equal(t0) {
		t.Errorf("tags = %+v, want k=v on %s created %v", tags, srvA, t0)
	}
	if n := ok(s.CountImportRecords(c, acctA))(t); n != 3 {
		t.Errorf("%d import records, want 3", n)
	}

	// Account B sees none of it; its task of the same ID is its own.
	importTx(t, s, acctB, func(c context.Context, tx discovery.ImportTx) error {
		if st, err := tx.ImportTaskState(c, "imp-1"); st.Status != discovery.ImportComplete || err != nil {
			t.Errorf("B's task = %+v, %v", st, err)
		}
		for _, k := range []discovery.ServerKey{{Kind: discovery.ByServerID, ID: srvA}, {Kind: discovery.ByExternalID, ExternalID: "x"},
			{Kind: discovery.ByIPAndMAC, IP: "10.0.0.1", MAC: "06:a7:7d:3f:54:57"}, {Kind: discovery.ByHostName, HostName: "h"},
			{Kind: discovery.ByVMware, MoRefID: "vm-1", VCenterID: "vc-1"}} {
			if got, err := tx.ServerWithKey(c, k); got != "" || err != nil {
				t.Errorf("B's server with %+v = %q, %v", k, got, err)
			}
		}
		if n, err := tx.CountImportedServers(c); n != 0 || err != nil {
			t.Errorf("B's imported servers = %d, %v", n, err)
		}
		if id, err := tx.ApplicationNamed(c, "app"); id != "" || err != nil {
			t.Errorf("B's application named app = %q, %v", id, err)
		}
		if recs, err := tx.ImportRecords(c, "imp-1"); len(recs) != 0 || err != nil {
			t.Errorf("B's records = %+v, %v", recs, err)
		}
		// Writes name A's rows in vain.
		must(t, tx.PatchServer(c, srvA, &discovery.ServerPatch{HostName: ptr("b"), UpdatedMS: 1}))
		must(t, tx.SetApplicationWave(c, appA, "b", 1))
		must(t, tx.DeleteImportRecords(c, "imp-1"))
		must(t, tx.EndImportTask(c, "imp-other", discovery.ImportDeleteComplete, 1, true))
		return tx.Delete(c, &discovery.Deletion{Servers: []string{srvA, srvZ}, InterfacesOf: []string{srvA}, MembershipsOf: []string{srvA}, TagsOf: []string{srvA}})
	})
	if a2, _ := importedServer(t, s, acctA, srvA); !reflect.DeepEqual(a2, a) {
		t.Errorf("A's server after B's writes = %+v\nwas %+v", a2, a)
	}
	sameLines(t, "A's tasks after B's writes", findImports(t, s, acctA, discovery.ImportTaskQuery{}), []string{"imp-1", "imp-other"})
	if n := ok(s.CountImportRecords(c, acctA))(t); n != 3 {
		t.Errorf("%d import records after B's writes, want 3", n)
	}

	// Records as they stand: srvZ deleted, srvA recorded by imp-1 only.
	importTx(t, s, acctA, func(c context.Context, tx discovery.ImportTx) error {
		must(t, tx.Delete(c, &discovery.Deletion{Servers: []string{srvZ}, InterfacesOf: []string{srvZ}}))
		recs, err := tx.ImportRecords(c, "imp-1")
		recs = sorted(recs, func(r discovery.ImportRecordState) string { return r.ServerID })
		want := []discovery.ImportRecordState{
			{ImportRecord: discovery.ImportRecord{TaskID: "imp-1", ServerID: srvA, Created: true}, ServerExists: true},
			{ImportRecord: discovery.ImportRecord{TaskID: "imp-1", ServerID: srvZ}, OtherTasks: true},
		}
		if err != nil || !reflect.DeepEqual(recs, want) {
			t.Errorf("records = %+v, %v\nwant %+v", recs, err, want)
		}
		must(t, tx.DeleteImportRecords(c, "imp-1"))
		if recs, err := tx.ImportRecords(c, "imp-1"); len(recs) != 0 || err != nil {
			t.Errorf("records after their deletion = %+v, %v", recs, err)
		}
		must(t, tx.EndImportTask(c, "imp-1", discovery.ImportDeleteComplete, t0.Add(time.Hour).UnixMilli(), true))
		if st, err := tx.ImportTaskState(c, "imp-1"); err != nil || st != (discovery.ImportTaskState{Status: discovery.ImportDeleteComplete, Hidden: true}) {
			t.Errorf("ended task's state = %+v, %v", st, err)
		}
		must(t, tx.EndImportTask(c, "imp-other", discovery.ImportDeleteComplete, t0.Add(time.Hour).UnixMilli(), false))
		return nil
	})
	sameLines(t, "servers", serverRowIDs(t, s, acctA), []string{srvA})
	if n := ok(s.CountImportRecords(c, acctA))(t); n != 1 {
		t.Errorf("%d import records, want imp-other's 1", n)
	}
	sameLines(t, "listed tasks (one hidden)", findImports(t, s, acctA, discovery.ImportTaskQuery{}), []string{"imp-other"})
	if got := ok(s.ImportTaskByToken(c, acctA, "tok-1"))(t); got.Status != discovery.ImportDeleteComplete || got.DeletedMS != t0.Add(time.Hour).UnixMilli() {
		t.Errorf("ended task = %+v", got)
	}
	if got := ok(s.ImportTaskByToken(c, acctB, "tok-1"))(t); got.Status != discovery.ImportComplete || got.DeletedMS != 0 {
		t.Errorf("B's task = %+v", got)
	}
	sameLines(t, "B's servers", serverRowIDs(t, s, acctB), nil)
}

// A server an import creates is in the inventory as the import's, with
// the name, IP and MAC address of each interface; a patch moves its
// modification time.
func testImportTxInventory(t *testing.T, s Store) {
	c := ctx(t)
	srv := discovery.ServerPrefix + "a0000000000000000"
	importTx(t, s, acctA, func(c context.Context, tx discovery.ImportTx) error {
		must(t, tx.InsertImportedServer(c, &discovery.ImportedServer{ID: srv, ExternalID: "x", HostName: "h", OSName: "os", CPUs: 2, RAMMB: 512,
			CreatedMS: t0.UnixMilli(), NICs: []discovery.NIC{{Name: "eth0", IPAddress: "10.0.0.1", MACAddress: "02:00:00:00:00:01"}, {Name: "eth1", IPAddress: "fe80::1"}}}))
		return nil
	})
	d := ok(s.DescribeServers(c, acctA, []string{srv}))(t)
	if len(d) != 1 || d[0].Source != "Import" || d[0].AgentID != "" || d[0].HostName != "h" || d[0].OSName != "os" || d[0].NumCPUs != 2 ||
		d[0].TotalRAMMB != 512 || !d[0].Created.Equal(t0) || d[0].Perf.Samples != 0 {
		t.Fatalf("imported server = %+v", d)
	}
	nics := keys(d[0].NICs, func(n discovery.NIC) string { return n.Name + " " + n.IPAddress + " " + n.MACAddress })
	sameLines(t, "interfaces", nics, []string{"eth0 10.0.0.1 02:00:00:00:00:01", "eth1 fe80::1 "})
	wantUpdated(t, s, acctA, srv, t0)
	importTx(t, s, acctA, func(c context.Context, tx discovery.ImportTx) error {
		return tx.PatchServer(c, srv, &discovery.ServerPatch{UpdatedMS: t0.Add(time.Hour).UnixMilli()})
	})
	wantUpdated(t, s, acctA, srv, t0.Add(time.Hour))
	if d := ok(s.DescribeServers(c, acctA, []string{srv}))(t); len(d) != 1 || d[0].HostName != "h" || d[0].OSName != "os" {
		t.Fatalf("server after an empty patch = %+v", d)
	}
}

// An error from the function undoes what its ImportTx wrote, and is
// returned.
func testImportTxRollback(t *testing.T, s importRowsStore) {
	c := ctx(t)
	newImport(t, s, importTask(acctA, "imp-1", "", t0))
	boom := errors.New("boom")
	err := s.ImportTx(c, acctA, func(tx discovery.ImportTx) error {
		srv := discovery.ServerPrefix + "a0000000000000000"
		must(t, tx.InsertImportedServer(c, &discovery.ImportedServer{ID: srv, HostName: "h", CreatedMS: t0.UnixMilli(),
			NICs: []discovery.NIC{{Name: "eth0", IPAddress: "10.0.0.1"}}}))
		must(t, tx.RecordImport(c, discovery.ImportRecord{TaskID: "imp-1", ServerID: srv, Created: true}))
		must(t, tx.AddTag(c, srv, discovery.Tag{Key: "k", Value: "v"}, t0.UnixMilli()))
		must(t, tx.EndImportTask(c, "imp-1", discovery.ImportDeleteComplete, t0.UnixMilli(), true))
		return fmt.Errorf("import: %w", boom)
	})
	if !errors.Is(err, boom) {
		t.Fatalf("ImportTx = %v, want the function's error", err)
	}
	sameLines(t, "servers after a rollback", serverRowIDs(t, s, acctA), nil)
	if n := ok(s.CountImportRecords(c, acctA))(t); n != 0 {
		t.Errorf("%d import records after a rollback", n)
	}
	if tags := ok(s.FindTags(c, discovery.TagQuery{Account: acctA}))(t); len(tags) != 0 {
		t.Errorf("tags after a rollback: %+v", tags)
	}
	sameLines(t, "tasks after a rollback", findImports(t, s, acctA, discovery.ImportTaskQuery{Statuses: []string{discovery.ImportInProgress}}), []string{"imp-1"})
}
