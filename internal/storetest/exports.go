package storetest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/exports"
	"github.com/poseidon-ads/poseidon/internal/queue"
)

// Export tasks: CreateExportTask with its admission, GetExportTask and
// FindExportTasks.
// exportStore is the export tasks' store with the job queue and what the
// worker writes, which finish them.
type exportStore interface {
	Accounts
	Exports
	ExportResults
	queue.Store
}

var exportTests = []test{
	tc("CreateAndGetKeepEveryField", testExportFields),
	tc("FindNewestFirstInKeysetPages", testExportPages),
	tc("FindPagesStableUnderInserts", testExportPagesUnderInserts),
	tc("FindByIDs", testExportFindByIDs),
	tc("FindByAgentSets", testExportFindByAgents),
	tc("AdmissionRefusesADuplicateAgentExport", testExportDuplicate),
	tc("AdmissionLimitsInOrder", testExportLimitsInOrder),
	tc("AdmissionCountsOnlyMatchingTasks", testExportLimitMatching),
	tc("AdmissionIsPerAccount", testExportAdmissionPerAccount),
	tc("ConcurrentCreatesAdmitFiveRunningAgentExports", testExportConcurrentRunning),
	tc("ConcurrentCreatesAdmitTwoAgentExportsADay", testExportConcurrentPerDay),
	tc("ConcurrentCreatesAdmitTwoConfigurationExportsInSixHours", testExportConcurrentConfigurations),
	tc("ConcurrentCreatesCountPerAccount", testExportConcurrentPerAccount),
}

// never is a ready time no test reaches: the jobs of tasks created with
// it are never claimed.
var never = t0.Add(1000 * time.Hour)

// The operations of the export use cases, as they name tasks.
const (
	opStart  = "StartExportTask"
	opConfig = "ExportConfigurations"
)

// exportDiff describes how got differs from want ("" if not at all). Times
// compare as instants.
func exportDiff(got, want *discovery.ExportTask) string {
	var d []string
	diff := func(name string, g, w any) {
		if !reflect.DeepEqual(g, w) {
			d = append(d, fmt.Sprintf("%s = %v, want %v", name, g, w))
		}
	}
	instant := func(name string, g, w time.Time) {
		if !g.Equal(w) {
			d = append(d, fmt.Sprintf("%s = %v, want %v", name, g, w))
		}
	}
	optInstant := func(name string, g, w *time.Time) {
		switch {
		case g == nil && w == nil:
		case g == nil || w == nil:
			d = append(d, fmt.Sprintf("%s = %v, want %v", name, g, w))
		default:
			instant(name, *g, *w)
		}
	}
	diff("AccountID", got.AccountID, want.AccountID)
	diff("ID", got.ID, want.ID)
	diff("Kind", got.Kind, want.Kind)
	diff("Operation", got.Operation, want.Operation)
	diff("AgentID", got.AgentID, want.AgentID)
	diff("Status", got.Status, want.Status)
	diff("Message", got.Message, want.Message)
	instant("RequestTime", got.RequestTime, want.RequestTime)
	optInstant("RequestedStart", got.RequestedStart, want.RequestedStart)
	optInstant("RequestedEnd", got.RequestedEnd, want.RequestedEnd)
	diff("EC2", got.EC2, want.EC2)
	diff("IsTruncated", got.IsTruncated, want.IsTruncated)
	instant("ReadyAt", got.ReadyAt, want.ReadyAt)
	instant("FinishedAt", got.FinishedAt, want.FinishedAt)
	diff("FileSize", got.FileSize, want.FileSize)
	diff("Expired", got.Expired, want.Expired)
	return strings.Join(d, "; ")
}

func testExportFields(t *testing.T, s exportStore) {
	c := ctx(t)
	start, end := t0.Add(-48*time.Hour+123*time.Millisecond), t0.Add(-time.Hour)
	agent := agentExport(acctA, "export-agent", agentID(1), t0.Add(1500*time.Millisecond))
	agent.RequestedStart, agent.RequestedEnd, agent.ReadyAt = &start, &end, t0.Add(31500*time.Millisecond)
	ec2 := exportTask(acctA, "export-ec2", t0.Add(2*time.Second))
	ec2.Kind, ec2.ReadyAt = discovery.KindEC2, never
	ec2.EC2 = &discovery.EC2Preferences{CPU: discovery.MetricBasis{Name: "p95", Adjust: 12.5}, RAM: discovery.MetricBasis{Name: discovery.BasisMAX},
		Tenancy: discovery.TenancyDedicated, Excluded: []string{"t3", "m5.large"}, PreferredRegion: "eu-west-1",
		PurchasingOption: "ALL_UPFRONT", OfferingClass: "STANDARD", TermLength: "ONE_YEAR"}
	ec2Default := exportTask(acctA, "export-ec2-default", t0.Add(3*time.Second))
	ec2Default.Kind, ec2Default.EC2 = discovery.KindEC2, ptr(discovery.DefaultEC2Preferences())
	config := exportTask(acctA, "export-config", t0.Add(4*time.Second))
	config.Operation = opConfig
	startOnly := agentExport(acctA, "export-start-only", agentID(2), t0.Add(5*time.Second))
	startOnly.RequestedStart = &start
	for _, e := range []*discovery.ExportTask{agent, ec2, ec2Default, config, startOnly} {
		create(t, s, e)
	}
	for _, want := range []*discovery.ExportTask{agent, ec2, ec2Default, config, startOnly} {
		got := ok(s.GetExportTask(c, acctA, want.ID))(t)
		if d := exportDiff(got, want); d != "" {
			t.Errorf("GetExportTask(%s): %s", want.ID, d)
		}
		found := ok(s.FindExportTasks(c, discovery.ExportQuery{AccountID: acctA, IDs: []string{want.ID}, Limit: 10}))(t)
		if len(found) != 1 {
			t.Fatalf("FindExportTasks(%s) = %d tasks", want.ID, len(found))
		}
		if d := exportDiff(found[0], want); d != "" {
			t.Errorf("FindExportTasks(%s): %s", want.ID, d)
		}
	}
	for _, tc := range []struct{ account, id string }{{acctA, "export-unknown"}, {acctB, agent.ID}} {
		if _, err := s.GetExportTask(c, tc.account, tc.id); !errors.Is(err, discovery.ErrNotFound) {
			t.Errorf("GetExportTask(%s, %s) = %v, want ErrNotFound", tc.account, tc.id, err)
		}
	}
}

// newestFirst sorts tasks as FindExportTasks lists them: newest first, ties
// by ID, descending.
func newestFirst(ts []*discovery.ExportTask) []string {
	ts = slices.Clone(ts)
	slices.SortFunc(ts, func(a, b *discovery.ExportTask) int {
		if c := b.RequestTime.Compare(a.RequestTime); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	return keys(ts, func(e *discovery.ExportTask) string { return e.ID })
}

func exportCursor(e *discovery.ExportTask) discovery.ExportCursor {
	return discovery.ExportCursor{RequestTimeMs: e.RequestTime.UnixMilli(), ExportID: e.ID}
}

// exportPages reads q's tasks to the end, limit a page.
func exportPages(t *testing.T, s exports.Store, q discovery.ExportQuery, limit int) [][]*discovery.ExportTask {
	t.Helper()
	q.Limit = limit
	return pages(t, limit, func(after *discovery.ExportCursor) ([]*discovery.ExportTask, error) {
		q.After = after
		return s.FindExportTasks(ctx(t), q)
	}, exportCursor)
}

func exportIDs(ts []*discovery.ExportTask) []string {
	return keys(ts, func(e *discovery.ExportTask) string { return e.ID })
}

// someExports creates n tasks of account, two per request time (so that
// ties are broken by ID), in random order; IDs start with prefix.
func someExports(t *testing.T, s exports.Store, account, prefix string, n int) []*discovery.ExportTask {
	t.Helper()
	var ts []*discovery.ExportTask
	for i := range n {
		e := exportTask(account, fmt.Sprintf("%s-%02d", prefix, i), t0.Add(time.Duration(i/2)*time.Minute))
		e.ReadyAt = never
		ts = append(ts, e)
	}
	for _, i := range rand.Perm(n) {
		create(t, s, ts[i])
	}
	return ts
}

func testExportPages(t *testing.T, s exportStore) {
	a := someExports(t, s, acctA, "export-a", 25)
	someExports(t, s, acctB, "export-b", 9)
	want := newestFirst(a)
	all := ok(s.FindExportTasks(ctx(t), discovery.ExportQuery{AccountID: acctA, Limit: 100}))(t)
	sameLines(t, "one page", exportIDs(all), want)
	sameLines(t, "no limit (0)", exportIDs(ok(s.FindExportTasks(ctx(t), discovery.ExportQuery{AccountID: acctA}))(t)), want)
	for _, limit := range []int{1, 2, 7, 25, 26} {
		ps := exportPages(t, s, discovery.ExportQuery{AccountID: acctA}, limit)
		sameLines(t, fmt.Sprintf("pages of %d", limit), exportIDs(flat(ps)), want)
	}
}

func testExportPagesUnderInserts(t *testing.T, s exportStore) {
	c := ctx(t)
	a := someExports(t, s, acctA, "export-a", 20)
	q := discovery.ExportQuery{AccountID: acctA, Limit: 5}
	first := ok(s.FindExportTasks(c, q))(t)
	sameLines(t, "first page", exportIDs(first), newestFirst(a)[:5])
	last := first[len(first)-1]
	// Inserts on both sides of the cursor, among them ties of its time.
	inserted := []*discovery.ExportTask{
		exportTask(acctA, "export-z-newest", t0.Add(time.Hour)),
		exportTask(acctA, "export-0-oldest", t0.Add(-time.Hour)),
		exportTask(acctA, last.ID+"-after-in-id", last.RequestTime),                    // greater ID: before the cursor
		exportTask(acctA, strings.Replace(last.ID, "-a-", "-0-", 1), last.RequestTime), // smaller ID: after it
	}
	for _, e := range inserted {
		e.ReadyAt = never
		create(t, s, e)
	}
	cur := viaToken(t, exportCursor(last))
	q.After = &cur
	rest := flat(pages(t, 5, func(after *discovery.ExportCursor) ([]*discovery.ExportTask, error) {
		if after != nil {
			q.After = after
		}
		return s.FindExportTasks(c, q)
	}, exportCursor))
	everything := newestFirst(append(a, inserted...))
	i := slices.Index(everything, last.ID)
	sameLines(t, "pages after the inserts", exportIDs(rest), everything[i+1:])
	for _, e := range rest {
		if slices.Contains(exportIDs(first), e.ID) {
			t.Fatalf("%s is on two pages", e.ID)
		}
	}
}

func testExportFindByIDs(t *testing.T, s exportStore) {
	c := ctx(t)
	a := someExports(t, s, acctA, "export-a", 6)
	b := someExports(t, s, acctB, "export-b", 2)
	find := func(ids []string) []string {
		return exportIDs(ok(s.FindExportTasks(c, discovery.ExportQuery{AccountID: acctA, IDs: ids, Limit: 100}))(t))
	}
	sameLines(t, "IDs", find([]string{a[1].ID, a[4].ID, "export-unknown", b[0].ID}), []string{a[4].ID, a[1].ID})
	sameLines(t, "no IDs (nil)", find(nil), newestFirst(a))
	sameLines(t, "an empty list of IDs", find([]string{}), nil)
	sameLines(t, "another account's IDs", find([]string{b[0].ID, b[1].ID}), nil)
	// IDs and pages.
	ps := exportPages(t, s, discovery.ExportQuery{AccountID: acctA, IDs: []string{a[0].ID, a[2].ID, a[3].ID, a[5].ID}}, 3)
	sameLines(t, "IDs in pages", exportIDs(flat(ps)), []string{a[5].ID, a[3].ID, a[2].ID, a[0].ID})
}

func testExportFindByAgents(t *testing.T, s exportStore) {
	c := ctx(t)
	x, y, z := agentID(1), agentID(2), agentID(3)
	tasks := []*discovery.ExportTask{
		agentExport(acctA, "e1", x, t0), agentExport(acctA, "e2", x, t0.Add(time.Minute)),
		agentExport(acctA, "e3", y, t0.Add(2*time.Minute)), exportTask(acctA, "e4", t0.Add(3*time.Minute)),
		agentExport(acctB, "e5", x, t0.Add(4*time.Minute)),
	}
	for _, e := range tasks {
		e.ReadyAt = never
		create(t, s, e)
	}
	for _, tc := range []struct {
		name   string
		ids    []string
		agents []string
		want   []string
	}{
		{"one agent", nil, []string{x}, []string{"e2", "e1"}},
		{"either agent", nil, []string{x, y}, []string{"e3", "e2", "e1"}},
		{"sets are AND-ed", nil, both([]string{x, y}, []string{y, z}), []string{"e3"}},
		{"disjoint sets", nil, both([]string{x}, []string{y}), nil},
		{"an agent without exports", nil, []string{z}, nil},
		{"an empty set", nil, []string{}, nil},
		{"agents and IDs", []string{"e1", "e3", "e4"}, []string{x, y}, []string{"e3", "e1"}},
		{"more agents than a statement has parameters", nil, longList(y), []string{"e3"}},
	} {
		got := exportIDs(ok(s.FindExportTasks(c, discovery.ExportQuery{AccountID: acctA, IDs: tc.ids, AgentIDs: tc.agents, Limit: 100}))(t))
		sameLines(t, tc.name, got, tc.want)
	}
	ps := exportPages(t, s, discovery.ExportQuery{AccountID: acctA, AgentIDs: []string{x, y}}, 1)
	sameLines(t, "agents in pages", exportIDs(flat(ps)), []string{"e3", "e2", "e1"})
}

// finish finishes e as the worker does: it claims e's job at e's ready
// time, records status a minute later under the job's lease, and
// completes the job.
func finish(t *testing.T, s exportFinisher, e *discovery.ExportTask, status discovery.ExportStatus) {
	t.Helper()
	c := ctx(t)
	j := claimJob(t, s, "finisher", discovery.JobExport, e.AccountID, e.ID, e.ReadyAt)
	must(t, s.FinishExportTask(c, j.Lease(), e.AccountID, e.ID, discovery.ExportResult{Status: status, Message: string(status)}, e.ReadyAt.Add(time.Minute)))
	must(t, s.Complete(c, j.Lease()))
}

// exportFinisher finishes exports.
type exportFinisher interface {
	ExportResults
	queue.Store
}

// admit creates e under a and returns the refusal.
func admit(t *testing.T, s Exports, e *discovery.ExportTask, a discovery.ExportAdmission) *discovery.ExportRefusal {
	t.Helper()
	r, err := s.CreateExportTask(ctx(t), e, a)
	if err != nil {
		t.Fatal(err)
	}
	_, gerr := s.GetExportTask(ctx(t), e.AccountID, e.ID)
	switch {
	case r == nil && gerr != nil:
		t.Fatalf("admitted %s is not stored: %v", e.ID, gerr)
	case r != nil && !errors.Is(gerr, discovery.ErrNotFound):
		t.Fatalf("refused %s (%+v) is stored: %v", e.ID, *r, gerr)
	}
	return r
}

func wantAdmitted(t *testing.T, r *discovery.ExportRefusal, what string) {
	t.Helper()
	if r != nil {
		t.Fatalf("%s: refused %+v, want admitted", what, *r)
	}
}

func wantLimit(t *testing.T, r *discovery.ExportRefusal, limit int, what string) {
	t.Helper()
	if r == nil || r.DuplicateOf != "" || r.Limit != limit {
		t.Fatalf("%s: refusal %+v, want limit %d", what, r, limit)
	}
}

func testExportDuplicate(t *testing.T, s exportStore) {
	x, y, z := agentID(1), agentID(2), agentID(3)
	start, end := t0.Add(-24*time.Hour), t0.Add(-time.Hour)
	dup := discovery.ExportAdmission{RefuseDuplicate: true}
	windowed := func(e *discovery.ExportTask, from, to *time.Time) *discovery.ExportTask {
		e.RequestedStart, e.RequestedEnd = from, to
		return e
	}
	// A SUCCEEDED export of x over [start, end], one of y with no window,
	// a FAILED one of z.
	dx := windowed(agentExport(acctA, "done-x", x, t0), &start, &end)
	dy := agentExport(acctA, "done-y", y, t0.Add(time.Minute))
	dz := windowed(agentExport(acctA, "failed-z", z, t0.Add(2*time.Minute)), &start, &end)
	for _, e := range []*discovery.ExportTask{dx, dy, dz} {
		create(t, s, e)
	}
	finish(t, s, dx, discovery.ExportSucceeded)
	finish(t, s, dy, discovery.ExportSucceeded)
	finish(t, s, dz, discovery.ExportFailed)

	n := 0
	next := func(account, agent string, from, to *time.Time) *discovery.ExportTask {
		n++
		e := windowed(agentExport(account, fmt.Sprintf("new-%d", n), agent, t0.Add(time.Hour)), from, to)
		e.ReadyAt = never
		return e
	}
	r := admit(t, s, next(acctA, x, &start, &end), dup)
	if r == nil || r.DuplicateOf != dx.ID {
		t.Fatalf("same agent and window: refusal %+v, want duplicate of %s", r, dx.ID)
	}
	if r := admit(t, s, next(acctA, y, nil, nil), dup); r == nil || r.DuplicateOf != dy.ID {
		t.Fatalf("same agent, no window: refusal %+v, want duplicate of %s", r, dy.ID)
	}
	later := end.Add(time.Millisecond)
	for _, tc := range []struct {
		what string
		e    *discovery.ExportTask
		a    discovery.ExportAdmission
	}{
		{"duplicates allowed", next(acctA, x, &start, &end), discovery.ExportAdmission{}},
		{"another end", next(acctA, x, &start, &later), dup},
		{"a start only", next(acctA, x, &start, nil), dup},
		{"a window where the success had none", next(acctA, y, &start, &end), dup},
		{"a failed export of the same window", next(acctA, z, &start, &end), dup},
		{"another account", next(acctB, x, &start, &end), dup},
	} {
		wantAdmitted(t, admit(t, s, tc.e, tc.a), tc.what)
	}
	// An export still running is no duplicate either.
	running := next(acctA, z, &start, &later)
	create(t, s, running)
	wantAdmitted(t, admit(t, s, next(acctA, z, &start, &later), dup), "an export of the same window in progress")
	// A summary export is never refused as a duplicate.
	sum := exportTask(acctA, "summary", t0.Add(time.Hour))
	sum.ReadyAt = never
	wantAdmitted(t, admit(t, s, sum, dup), "a summary export")
}

func testExportLimitsInOrder(t *testing.T, s exportStore) {
	running := discovery.ExportLimit{Kind: discovery.KindAgent, Running: true, Max: 2}
	perDay := discovery.ExportLimit{Kind: discovery.KindAgent, Since: t0.Add(-24 * time.Hour), Max: 3}
	adm := discovery.ExportAdmission{Limits: []discovery.ExportLimit{running, perDay}}
	n := 0
	next := func() *discovery.ExportTask {
		n++
		e := agentExport(acctA, fmt.Sprintf("a%d", n), agentID(n), t0.Add(time.Duration(n)*time.Minute))
		return e
	}
	a1, a2 := next(), next()
	wantAdmitted(t, admit(t, s, a1, adm), "first")
	wantAdmitted(t, admit(t, s, a2, adm), "second")
	// Summary exports count toward neither limit.
	for i := range 3 {
		e := exportTask(acctA, fmt.Sprintf("sum%d", i), t0)
		e.ReadyAt = never
		create(t, s, e)
	}
	a3 := next()
	wantLimit(t, admit(t, s, a3, adm), 0, "third while two run")
	finish(t, s, a1, discovery.ExportFailed)
	wantAdmitted(t, admit(t, s, a3, adm), "third after one failed")
	// Both limits reached: the first one is named.
	a4 := next()
	wantLimit(t, admit(t, s, a4, adm), 0, "fourth while two run and three were made")
	finish(t, s, a2, discovery.ExportSucceeded)
	wantLimit(t, admit(t, s, a4, adm), 1, "fourth with three made today")
	// Without limits anything goes.
	wantAdmitted(t, admit(t, s, a4, discovery.ExportAdmission{}), "fourth without limits")
}

func testExportLimitMatching(t *testing.T, s exportStore) {
	since := t0.Add(-6 * time.Hour)
	existing := []*discovery.ExportTask{
		exportTask(acctA, "config-before", since.Add(-time.Millisecond)),
		exportTask(acctA, "config-at", since),
		exportTask(acctA, "summary-1", t0.Add(-time.Hour)),
		exportTask(acctA, "summary-2", t0.Add(-time.Hour)),
		agentExport(acctA, "agent-1", agentID(1), t0.Add(-time.Hour)),
		exportTask(acctB, "config-b", t0.Add(-time.Hour)),
	}
	existing[0].Operation, existing[1].Operation, existing[5].Operation = opConfig, opConfig, opConfig
	for _, e := range existing {
		e.ReadyAt = never
		create(t, s, e)
	}
	n := 0
	next := func(op string, kind discovery.ExportKind) *discovery.ExportTask {
		n++
		e := exportTask(acctA, fmt.Sprintf("new-%d", n), t0)
		e.Operation, e.Kind, e.ReadyAt = op, kind, never
		if kind == discovery.KindAgent {
			e.AgentID = agentID(n)
		}
		return e
	}
	limit := func(l discovery.ExportLimit) discovery.ExportAdmission {
		return discovery.ExportAdmission{Limits: []discovery.ExportLimit{l}}
	}
	// By operation, from Since on (inclusive): config-at only.
	byOp := limit(discovery.ExportLimit{Operation: opConfig, Since: since, Max: 2})
	wantAdmitted(t, admit(t, s, next(opConfig, discovery.KindSummary), byOp), "one configuration export in the window")
	wantLimit(t, admit(t, s, next(opConfig, discovery.KindSummary), byOp), 0, "two configuration exports in the window")
	// By kind: config-at, summary-1, summary-2 and new-1 are summaries since.
	byKind := limit(discovery.ExportLimit{Kind: discovery.KindSummary, Since: since, Max: 5})
	wantAdmitted(t, admit(t, s, next(opStart, discovery.KindSummary), byKind), "four summaries in the window")
	wantLimit(t, admit(t, s, next(opStart, discovery.KindSummary), byKind), 0, "five summaries in the window")
	// Running, of any kind and time: all of A's seven tasks so far.
	anyRunning := limit(discovery.ExportLimit{Running: true, Max: 7})
	wantLimit(t, admit(t, s, next(opStart, discovery.KindAgent), anyRunning), 0, "seven running")
	// Running counts IN_PROGRESS tasks only.
	ready := exportTask(acctA, "to-fail", t0.Add(-7*time.Hour))
	ready.ReadyAt = t0.Add(-7 * time.Hour)
	create(t, s, ready)
	finish(t, s, ready, discovery.ExportFailed)
	wantLimit(t, admit(t, s, next(opStart, discovery.KindAgent), anyRunning), 0, "seven running and one failed")
	wantAdmitted(t, admit(t, s, next(opStart, discovery.KindAgent), limit(discovery.ExportLimit{Running: true, Max: 8})), "seven running, limit eight")
	// Everything of A, however old, with a zero Since and no other term.
	wantLimit(t, admit(t, s, next(opStart, discovery.KindAgent), limit(discovery.ExportLimit{Max: 9})), 0, "nine of A")
	wantAdmitted(t, admit(t, s, next(opStart, discovery.KindAgent), limit(discovery.ExportLimit{Max: 10})), "nine of A, limit ten")
}

func testExportAdmissionPerAccount(t *testing.T, s exportStore) {
	adm := discovery.ExportAdmission{Limits: []discovery.ExportLimit{{Kind: discovery.KindAgent, Running: true, Max: 1}}}
	a := agentExport(acctA, "a", agentID(1), t0)
	a.ReadyAt = never
	wantAdmitted(t, admit(t, s, a, adm), "A's first")
	b := agentExport(acctB, "b", agentID(1), t0)
	b.ReadyAt = never
	wantAdmitted(t, admit(t, s, b, adm), "B's first while A's runs")
	a2 := agentExport(acctA, "a2", agentID(2), t0)
	a2.ReadyAt = never
	wantLimit(t, admit(t, s, a2, adm), 0, "A's second")
}

// race runs n calls of fn at once and returns the indexes of the calls
// admitted and the refusals of the others.
func race(t *testing.T, n int, fn func(i int) (*discovery.ExportRefusal, error)) (admitted []int, refused []discovery.ExportRefusal) {
	t.Helper()
	for i, r := range together(t, n, fn) {
		if r == nil {
			admitted = append(admitted, i)
		} else {
			refused = append(refused, *r)
		}
	}
	return admitted, refused
}

// wantRace fails the test unless want calls were admitted and the others
// refused by limit.
func wantRace(t *testing.T, admitted []int, refused []discovery.ExportRefusal, want, limit int) {
	t.Helper()
	if len(admitted) != want {
		t.Fatalf("admitted %v (%d), want %d", admitted, len(admitted), want)
	}
	for _, r := range refused {
		if r.DuplicateOf != "" || r.Limit != limit {
			t.Fatalf("refusal %+v, want limit %d", r, limit)
		}
	}
}

// countExports counts account's tasks that keep says to.
func countExports(t *testing.T, s exports.Store, account string, keep func(*discovery.ExportTask) bool) int {
	t.Helper()
	n := 0
	for _, e := range ok(s.FindExportTasks(ctx(t), discovery.ExportQuery{AccountID: account, Limit: 1000}))(t) {
		if keep(e) {
			n++
		}
	}
	return n
}

func isAgent(e *discovery.ExportTask) bool { return e.Kind == discovery.KindAgent }

// serviceAgentAdmission is what the exports service asks of a new agent
// export at now under AWS's limits: 5 running, 2 a day.
func serviceAgentAdmission(now time.Time) discovery.ExportAdmission {
	return discovery.ExportAdmission{RefuseDuplicate: true, Limits: []discovery.ExportLimit{
		{Kind: discovery.KindAgent, Running: true, Max: 5},
		{Kind: discovery.KindAgent, Since: now.Add(-24 * time.Hour), Max: 2},
	}}
}

func testExportConcurrentRunning(t *testing.T, s exportStore) {
	adm := discovery.ExportAdmission{RefuseDuplicate: true, Limits: []discovery.ExportLimit{
		{Kind: discovery.KindAgent, Running: true, Max: 5},
		{Kind: discovery.KindAgent, Since: t0.Add(-24 * time.Hour), Max: 100},
	}}
	admitted, refused := race(t, 8, func(i int) (*discovery.ExportRefusal, error) {
		e := agentExport(acctA, fmt.Sprintf("a%d", i), agentID(i+1), t0)
		e.ReadyAt = never
		return s.CreateExportTask(ctx(t), e, adm)
	})
	wantRace(t, admitted, refused, 5, 0)
	if n := countExports(t, s, acctA, isAgent); n != 5 {
		t.Fatalf("%d agent exports stored, want 5", n)
	}
}

func testExportConcurrentPerDay(t *testing.T, s exportStore) {
	// One made 25 hours ago is outside the day, and finished.
	old := agentExport(acctA, "old", agentID(99), t0.Add(-25*time.Hour))
	old.ReadyAt = old.RequestTime
	create(t, s, old)
	finish(t, s, old, discovery.ExportSucceeded)
	admitted, refused := race(t, 8, func(i int) (*discovery.ExportRefusal, error) {
		e := agentExport(acctA, fmt.Sprintf("a%d", i), agentID(i+1), t0)
		e.ReadyAt = never
		return s.CreateExportTask(ctx(t), e, serviceAgentAdmission(t0))
	})
	wantRace(t, admitted, refused, 2, 1)
	if n := countExports(t, s, acctA, func(e *discovery.ExportTask) bool { return isAgent(e) && !e.RequestTime.Before(t0.Add(-24*time.Hour)) }); n != 2 {
		t.Fatalf("%d agent exports stored in the day, want 2", n)
	}
}

func testExportConcurrentConfigurations(t *testing.T, s exportStore) {
	outside := exportTask(acctA, "config-outside", t0.Add(-6*time.Hour-time.Second))
	outside.Operation = opConfig
	inside := exportTask(acctA, "start-inside", t0.Add(-time.Hour)) // StartExportTask: not counted
	for _, e := range []*discovery.ExportTask{outside, inside} {
		e.ReadyAt = never
		create(t, s, e)
	}
	adm := discovery.ExportAdmission{Limits: []discovery.ExportLimit{{Operation: opConfig, Since: t0.Add(-6 * time.Hour), Max: 2}}}
	admitted, refused := race(t, 8, func(i int) (*discovery.ExportRefusal, error) {
		e := exportTask(acctA, fmt.Sprintf("c%d", i), t0)
		e.Operation, e.ReadyAt = opConfig, never
		return s.CreateExportTask(ctx(t), e, adm)
	})
	wantRace(t, admitted, refused, 2, 0)
	if n := countExports(t, s, acctA, func(e *discovery.ExportTask) bool { return e.Operation == opConfig }); n != 3 {
		t.Fatalf("%d configuration exports stored, want 3 (two new)", n)
	}
}

func testExportConcurrentPerAccount(t *testing.T, s exportStore) {
	accounts := []string{acctA, acctB}
	admitted, _ := race(t, 12, func(i int) (*discovery.ExportRefusal, error) {
		e := agentExport(accounts[i%2], fmt.Sprintf("x%d", i), agentID(i+1), t0)
		e.ReadyAt = never
		return s.CreateExportTask(ctx(t), e, serviceAgentAdmission(t0))
	})
	per := map[string]int{}
	for _, i := range admitted {
		per[accounts[i%2]]++
	}
	if per[acctA] != 2 || per[acctB] != 2 {
		t.Fatalf("admitted per account %v, want 2 each", per)
	}
	for _, a := range accounts {
		if n := countExports(t, s, a, isAgent); n != 2 {
			t.Fatalf("%s has %d agent exports, want 2", a, n)
		}
	}
}
