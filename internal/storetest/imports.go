package storetest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// Import tasks: CreateImportTask and ImportTaskByToken (client tokens),
// FindImportTasks (order, cursor, filters), PendingImportTasks,
// FinishImportTask, ImportRow (matching and creating servers, linking
// applications and tags), CountImportRecords and DeleteImportData.
var importTests = []test{
	{"CreateOncePerClientToken", testImportCreate},
	{"FindInKeysetPages", testImportPages},
	{"FindFilters", testImportFilters},
	{"PendingOldestFirstOfEveryAccount", testImportPending},
	{"FinishOnlyWhileInProgress", testImportFinish},
	{"ImportRowCreatesServersWithApplicationsAndTags", testImportRowCreates},
	{"ImportRowMatchesServers", testImportRowMatches},
	{"DeleteImportData", testImportDelete},
	{"ImportsArePerAccount", testImportsPerAccount},
}

func importTask(account, id, token string, req time.Time) *discovery.ImportTask {
	return &discovery.ImportTask{AccountID: account, ID: id, ClientToken: token, Name: "name-" + id, URL: "s3://bucket/" + id + ".csv",
		Status: discovery.ImportInProgress, RequestMS: req.UnixMilli()}
}

// newImport creates a task that must be new.
func newImport(t *testing.T, s Store, it *discovery.ImportTask) {
	t.Helper()
	got, created, err := s.CreateImportTask(ctx(t), it)
	if err != nil || !created || got.ID != it.ID {
		t.Fatalf("create import %s = %+v, %v, %v", it.ID, got, created, err)
	}
}

func importIDs(ts []*discovery.ImportTask) []string {
	return keys(ts, func(it *discovery.ImportTask) string { return it.ID })
}

func findImports(t *testing.T, s Store, account string, fs ...discovery.ImportTaskFilter) []string {
	t.Helper()
	return importIDs(ok(s.FindImportTasks(ctx(t), account, fs, "", 1000))(t))
}

func testImportCreate(t *testing.T, s Store) {
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
	sameLines(t, "tasks", findImports(t, s, acctA), []string{"imp-1", "imp-3", "imp-4"})
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

func testImportPages(t *testing.T, s Store) {
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
		return ok(s.FindImportTasks(c, acctA, nil, after, limit))(t)
	}
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
	all := findImports(t, s, acctA)
	sameLines(t, "after the inserts", rest, all[slices.Index(all, first[3].ID)+1:])
	if !slices.Contains(rest, "imp-10a") || slices.Contains(rest, "imp-00a") {
		t.Fatalf("rest = %v", rest)
	}
}

func testImportFilters(t *testing.T, s Store) {
	c := ctx(t)
	for i, name := range []string{"alpha", "beta", "alpha", "gamma"} {
		it := importTask(acctA, fmt.Sprintf("imp-%d", i), "", t0)
		it.Name = name
		newImport(t, s, it)
	}
	newImport(t, s, importTask(acctB, "imp-9", "", t0))
	must(t, s.FinishImportTask(c, &discovery.ImportTask{AccountID: acctA, ID: "imp-1", Status: discovery.ImportComplete}))
	must(t, s.FinishImportTask(c, &discovery.ImportTask{AccountID: acctA, ID: "imp-2", Status: discovery.ImportFailed}))
	f := func(name string, values ...string) discovery.ImportTaskFilter {
		return discovery.ImportTaskFilter{Name: name, Values: values}
	}
	for _, tc := range []struct {
		name string
		fs   []discovery.ImportTaskFilter
		want []string
	}{
		{"none", nil, []string{"imp-0", "imp-1", "imp-2", "imp-3"}},
		{"task IDs", []discovery.ImportTaskFilter{f("IMPORT_TASK_ID", "imp-3", "imp-1", "imp-9")}, []string{"imp-1", "imp-3"}},
		{"status", []discovery.ImportTaskFilter{f("STATUS", discovery.ImportInProgress)}, []string{"imp-0", "imp-3"}},
		{"statuses OR-ed", []discovery.ImportTaskFilter{f("STATUS", discovery.ImportComplete, discovery.ImportFailed)}, []string{"imp-1", "imp-2"}},
		{"name", []discovery.ImportTaskFilter{f("NAME", "alpha")}, []string{"imp-0", "imp-2"}},
		{"name is exact", []discovery.ImportTaskFilter{f("NAME", "ALPHA", "alph")}, nil},
		{"filters AND-ed", []discovery.ImportTaskFilter{f("NAME", "alpha"), f("STATUS", discovery.ImportFailed)}, []string{"imp-2"}},
		{"one name twice intersects", []discovery.ImportTaskFilter{f("NAME", "alpha", "beta"), f("NAME", "beta", "gamma")}, []string{"imp-1"}},
		{"disjoint", []discovery.ImportTaskFilter{f("IMPORT_TASK_ID", "imp-0"), f("IMPORT_TASK_ID", "imp-1")}, nil},
		{"the import template", []discovery.ImportTaskFilter{f("FILE_CLASSIFICATION", "IMPORT_TEMPLATE")}, []string{"imp-0", "imp-1", "imp-2", "imp-3"}},
		{"another classification", []discovery.ImportTaskFilter{f("FILE_CLASSIFICATION", "MODELIZEIT_EXPORT")}, nil},
	} {
		sameLines(t, tc.name, findImports(t, s, acctA, tc.fs...), tc.want)
	}
	// Filters and a cursor.
	got := importIDs(ok(s.FindImportTasks(c, acctA, []discovery.ImportTaskFilter{f("NAME", "alpha", "gamma")}, "imp-0", 1))(t))
	sameLines(t, "filter after a cursor", got, []string{"imp-2"})
}

func testImportPending(t *testing.T, s Store) {
	c := ctx(t)
	for i, tc := range []struct{ account, id string }{{acctA, "imp-c"}, {acctB, "imp-a"}, {acctA, "imp-b"}, {acctB, "imp-d"}} {
		newImport(t, s, importTask(tc.account, tc.id, "", t0.Add(time.Duration(i)*time.Minute)))
	}
	pending := func(limit int) []string {
		return keys(ok(s.PendingImportTasks(c, limit))(t), func(it *discovery.ImportTask) string { return it.AccountID[:1] + "/" + it.ID })
	}
	sameLines(t, "pending", pending(10), []string{"1/imp-c", "2/imp-a", "1/imp-b", "2/imp-d"})
	sameLines(t, "pending, two", pending(2), []string{"1/imp-c", "2/imp-a"})
	must(t, s.FinishImportTask(c, &discovery.ImportTask{AccountID: acctB, ID: "imp-a", Status: discovery.ImportComplete}))
	must(t, s.DeleteImportData(c, acctA, "imp-c", false, t0.UnixMilli()))
	sameLines(t, "pending after a finish and a delete", pending(10), []string{"1/imp-b", "2/imp-d"})
}

func testImportFinish(t *testing.T, s Store) {
	c := ctx(t)
	it := importTask(acctA, "imp-1", "tok", t0)
	newImport(t, s, it)
	newImport(t, s, importTask(acctA, "imp-2", "", t0))
	done := discovery.ImportTask{AccountID: acctA, ID: "imp-1", Status: discovery.ImportCompleteWithErrors, CompletionMS: t0.Add(time.Minute).UnixMilli(),
		ServerSuccess: 3, ServerFailure: 2, AppSuccess: 4, AppFailure: 1, HasErrorsZip: true}
	must(t, s.FinishImportTask(c, &done))
	got := ok(s.ImportTaskByToken(c, acctA, "tok"))(t)
	want := *it
	want.Status, want.CompletionMS, want.ServerSuccess, want.ServerFailure, want.AppSuccess, want.AppFailure, want.HasErrorsZip =
		done.Status, done.CompletionMS, 3, 2, 4, 1, true
	if *got != want {
		t.Fatalf("finished task = %+v\nwant %+v", *got, want)
	}
	again := done
	again.Status = discovery.ImportFailed
	if err := s.FinishImportTask(c, &again); !errors.Is(err, discovery.ErrImportTaskGone) {
		t.Fatalf("second finish = %v, want ErrImportTaskGone", err)
	}
	if got := ok(s.ImportTaskByToken(c, acctA, "tok"))(t); got.Status != discovery.ImportCompleteWithErrors {
		t.Fatalf("status after a second finish = %s", got.Status)
	}
	for _, tc := range []struct{ account, id string }{{acctA, "imp-unknown"}, {acctB, "imp-2"}} {
		if err := s.FinishImportTask(c, &discovery.ImportTask{AccountID: tc.account, ID: tc.id, Status: discovery.ImportComplete}); !errors.Is(err, discovery.ErrImportTaskGone) {
			t.Fatalf("finish of (%s, %s) = %v, want ErrImportTaskGone", tc.account, tc.id, err)
		}
	}
	// A task whose data was deleted is gone for its runner.
	must(t, s.DeleteImportData(c, acctA, "imp-2", false, t0.UnixMilli()))
	if err := s.FinishImportTask(c, &discovery.ImportTask{AccountID: acctA, ID: "imp-2", Status: discovery.ImportComplete}); !errors.Is(err, discovery.ErrImportTaskGone) {
		t.Fatalf("finish of a deleted task = %v, want ErrImportTaskGone", err)
	}
}

// importedServer finds a server of account by ID in the rows an export
// reads: the import template and EC2 rows (which carry ExternalID).
func importedServer(t *testing.T, s Store, account, id string) (discovery.ImportTemplateRow, string) {
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

func testImportRowCreates(t *testing.T, s Store) {
	c := ctx(t)
	newImport(t, s, importTask(acctA, "imp-1", "", t0))
	now := t0.Add(time.Minute)
	row := &discovery.ImportRow{ExternalID: "ext-1", HostName: "imp-host", OSName: "RHEL", OSVersion: "9", VMName: "vm", MoRefID: "vm-77", VCenterID: "vc-9",
		IPs: []string{"192.168.0.1", "192.168.0.2"}, MACs: []string{"02:aa:00:00:00:01"}, CPUs: 2, Cores: 8, Logical: 16, RAMMB: 4096.5,
		Applications: []string{"crm", "erp"}, Wave: "w1", Tags: [][2]string{{"env", "prod"}, {"tier", "db"}}}
	res := ok(s.ImportRow(c, acctA, "imp-1", row, now.UnixMilli()))(t)
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
	items := list(t, s, discovery.ItemQuery{Account: acctA, Type: discovery.TypeServer})
	if len(items) != 1 || items[0].Server.AgentID != "" || !items[0].Server.Created.Equal(now) {
		t.Fatalf("servers = %+v", items)
	}
	if n := ok(s.CountImportRecords(c, acctA))(t); n != 1 {
		t.Fatalf("%d import records, want 1", n)
	}
	// A second row with an application of the first: made once.
	res2 := ok(s.ImportRow(c, acctA, "imp-1", &discovery.ImportRow{ExternalID: "ext-2", HostName: "other", Applications: []string{"erp"}}, now.UnixMilli()))(t)
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
	must(t, s.FinishImportTask(c, &discovery.ImportTask{AccountID: acctA, ID: "imp-1", Status: discovery.ImportComplete}))
	for _, id := range []string{"imp-1", "imp-unknown"} {
		if _, err := s.ImportRow(c, acctA, id, &discovery.ImportRow{ExternalID: "ext-3"}, now.UnixMilli()); !errors.Is(err, discovery.ErrImportTaskGone) {
			t.Fatalf("row of %s = %v, want ErrImportTaskGone", id, err)
		}
	}
	if n := len(list(t, s, discovery.ItemQuery{Account: acctA, Type: discovery.TypeServer})); n != 2 {
		t.Fatalf("%d servers after refused rows, want 2", n)
	}
}

func testImportRowMatches(t *testing.T, s Store) {
	c := ctx(t)
	seedFleet(t, s, acctA)
	newImport(t, s, importTask(acctA, "imp-1", "", t0))
	row := func(r discovery.ImportRow) string {
		t.Helper()
		return ok(s.ImportRow(c, acctA, "imp-1", &r, t0.Add(time.Hour).UnixMilli()))(t).ServerID
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
		return ok(s.ImportRow(c, acctA, task, &r, t0.UnixMilli()))(t).ServerID
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
	must(t, s.FinishImportTask(c, &discovery.ImportTask{AccountID: acctA, ID: "imp-1", Status: discovery.ImportComplete}))
	deleted := t0.Add(time.Hour)
	must(t, s.DeleteImportData(c, acctA, "imp-1", false, deleted.UnixMilli()))
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
	if tags := tagLines(t, s, discovery.TagQuery{Account: acctA, IDs: [][]string{{agent}}}); len(tags) != 1 {
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
	sameLines(t, "tasks (the deleted one kept in history)", findImports(t, s, acctA), []string{"imp-1", "imp-2"})
	// Deleting with its history hides the task; its token still finds it.
	must(t, s.DeleteImportData(c, acctA, "imp-2", true, deleted.UnixMilli()))
	sameLines(t, "tasks (one hidden)", findImports(t, s, acctA), []string{"imp-1"})
	if got := ok(s.ImportTaskByToken(c, acctA, "tok-2"))(t); got.Status != discovery.ImportDeleteComplete {
		t.Fatalf("hidden task = %+v", got)
	}
	if _, created, err := s.CreateImportTask(c, importTask(acctA, "imp-3", "tok-2", t0)); err != nil || created {
		t.Fatalf("create with a hidden task's token: created %v, %v", created, err)
	}
	for _, tc := range []struct{ account, id string }{{acctA, "imp-2"}, {acctA, "imp-unknown"}, {acctB, "imp-1"}} {
		wantNotFound(t, s.DeleteImportData(c, tc.account, tc.id, false, deleted.UnixMilli()), fmt.Sprintf("delete of (%s, %s)", tc.account, tc.id))
	}
}

func testImportsPerAccount(t *testing.T, s Store) {
	c := ctx(t)
	seedFleet(t, s, acctA)
	newImport(t, s, importTask(acctA, "imp-a", "tok", t0))
	newImport(t, s, importTask(acctB, "imp-b", "tok", t0))
	// B's rows never match A's servers.
	got := ok(s.ImportRow(c, acctB, "imp-b", &discovery.ImportRow{ServerID: serverOf(acctA, 1), HostName: hostName(1)}, t0.UnixMilli()))(t)
	if got.ServerID == serverOf(acctA, 1) {
		t.Fatal("B's row matched A's server")
	}
	// Nor write into A's tasks.
	if _, err := s.ImportRow(c, acctB, "imp-a", &discovery.ImportRow{HostName: "x"}, t0.UnixMilli()); !errors.Is(err, discovery.ErrImportTaskGone) {
		t.Fatalf("B's row into A's task = %v, want ErrImportTaskGone", err)
	}
	if a, b := ok(s.CountImportRecords(c, acctA))(t), ok(s.CountImportRecords(c, acctB))(t); a != 0 || b != 1 {
		t.Fatalf("records: A %d, B %d; want 0, 1", a, b)
	}
	sameLines(t, "A's tasks", findImports(t, s, acctA), []string{"imp-a"})
	sameLines(t, "B's tasks", findImports(t, s, acctB), []string{"imp-b"})
	if d := ok(s.DescribeServers(c, acctA, []string{serverOf(acctA, 1)}))(t); len(d) != 1 || d[0].HostName != hostName(1) {
		t.Fatalf("A's server after B's import: %+v", d)
	}
}
