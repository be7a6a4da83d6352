package postgres

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/clock"
	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/exports"
	"github.com/poseidon-ads/poseidon/internal/pagetoken"
)

const acct = "123456789012"

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func agentTask(id, agent string, at time.Time) *discovery.ExportTask {
	return &discovery.ExportTask{AccountID: acct, ID: id, Kind: discovery.KindAgent, Operation: exports.OpStartExportTask, AgentID: agent,
		Status: discovery.ExportInProgress, Message: discovery.InProgressMessage, RequestTime: at, ReadyAt: at}
}

// Eight replicas, each with its own pool, start an agent export each at
// once (twice over): the limit of 5 running agent exports admits exactly 5,
// and refuses the others by that limit.
func TestExportAdmissionAcrossReplicas(t *testing.T) {
	const n, perReplica = 8, 2
	dbs := replicas(t, testSchema(t), n)
	admission := discovery.ExportAdmission{Limits: []discovery.ExportLimit{
		{Operation: exports.OpStartExportTask, Kind: discovery.KindAgent, Running: true, Max: 5},
	}}
	var (
		mu       sync.Mutex
		admitted []string
		refused  []discovery.ExportRefusal
	)
	atOnce(n*perReplica, func(k int) {
		i := k % n
		id := fmt.Sprintf("export-%d", k)
		r, err := dbs[i].CreateExportTask(t.Context(), agentTask(id, fmt.Sprintf("o-%d", k), t0), admission)
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err != nil:
			t.Errorf("replica %d: %v", i, err)
		case r == nil:
			admitted = append(admitted, id)
		default:
			refused = append(refused, *r)
		}
	})
	if len(admitted) != 5 || len(refused) != n*perReplica-5 {
		t.Fatalf("admitted %d (%v), refused %d; want 5 admitted", len(admitted), admitted, len(refused))
	}
	for _, r := range refused {
		if r != (discovery.ExportRefusal{Limit: 0}) {
			t.Errorf("refusal %+v, want the running limit", r)
		}
	}
	if n := count(t, dbs[0], `SELECT count(*) FROM export_tasks WHERE account_id = $1`, acct); n != 5 {
		t.Fatalf("%d tasks stored, want 5", n)
	}
}

// CreateExportTask stores every field as given; GetExportTask reads it back
// and sees only the account's own tasks.
func TestExportTaskRoundTrip(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	start, end := t0.Add(-2*time.Hour), t0.Add(-time.Hour)
	prefs := discovery.DefaultEC2Preferences()
	prefs.Excluded = []string{"t3", "m5.large"}
	prefs.CPU = discovery.MetricBasis{Name: "p95", Adjust: 20}
	for _, task := range []*discovery.ExportTask{
		{AccountID: acct, ID: "export-agent", Kind: discovery.KindAgent, Operation: exports.OpStartExportTask, AgentID: "o-1",
			Status: discovery.ExportInProgress, Message: "m", RequestTime: t0.Add(123 * time.Millisecond), RequestedStart: &start, RequestedEnd: &end,
			ReadyAt: t0.Add(time.Minute)},
		{AccountID: acct, ID: "export-ec2", Kind: discovery.KindEC2, Operation: exports.OpStartExportTask,
			Status: discovery.ExportInProgress, Message: "m", RequestTime: t0, EC2: &prefs, ReadyAt: t0},
		{AccountID: acct, ID: "export-summary", Kind: discovery.KindSummary, Operation: exports.OpExportConfigurations,
			Status: discovery.ExportInProgress, Message: "m", RequestTime: t0, IsTruncated: true, ReadyAt: t0},
	} {
		if r, err := db.CreateExportTask(ctx, task, discovery.ExportAdmission{}); err != nil || r != nil {
			t.Fatalf("create %s: %v, %v", task.ID, r, err)
		}
		got, err := db.GetExportTask(ctx, acct, task.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, task) {
			t.Errorf("read back\n%+v\nwant\n%+v", got, task)
		}
		if _, err := db.GetExportTask(ctx, "999999999999", task.ID); !errors.Is(err, discovery.ErrNotFound) {
			t.Errorf("another account reads %s: %v", task.ID, err)
		}
	}
	// A stored document it cannot read gives no preferences, not an error.
	exec(t, db, `UPDATE export_tasks SET ec2_preferences = '{"cpu": "nope"}' WHERE export_id = 'export-ec2'`)
	if got, err := db.GetExportTask(ctx, acct, "export-ec2"); err != nil || got.EC2 != nil {
		t.Fatalf("damaged preferences: %+v, %v", got, err)
	}
}

// exportFixture is the export use case over the PostgreSQL store, with a
// virtual clock.
type exportFixture struct {
	svc   *exports.Service
	db    *DB
	clock *clock.Clock
}

func newExportFixture(t *testing.T, limits exports.Limits) *exportFixture {
	db := openTest(t)
	clk := clock.New(func() time.Time { return t0 })
	svc := exports.New(exports.Config{Store: db, Now: clk.Now, Limits: limits, Tokens: pagetoken.New([]byte("k"))})
	return &exportFixture{svc: svc, db: db, clock: clk}
}

func agentFilter(ids ...string) []discovery.Filter {
	return []discovery.Filter{{Name: "agentIds", Values: ids, Condition: "EQUALS"}}
}

func codeOf(err error) discovery.ErrorCode {
	var de *discovery.Error
	if errors.As(err, &de) {
		return de.Code
	}
	return ""
}

// finishAll marks every task whose job is due SUCCEEDED, as the worker
// would: it claims the job, records the outcome under its lease and
// completes it.
func (f *exportFixture) finishAll(t *testing.T) {
	t.Helper()
	for {
		now := f.clock.Now()
		j, err := f.db.Claim(t.Context(), "test", []discovery.JobKind{discovery.JobExport}, now, now.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if j == nil {
			return
		}
		res := discovery.ExportResult{Status: discovery.ExportSucceeded, Message: discovery.SucceededMessage}
		if err := f.db.FinishExportTask(t.Context(), j.Lease(), j.Account, j.Ref, res, now); err != nil {
			t.Fatal(err)
		}
		if err := f.db.Complete(t.Context(), j.Lease()); err != nil {
			t.Fatal(err)
		}
	}
}

// The limits of internal/exports, as its own tests check them on SQLite.
func TestAgentExportLimits(t *testing.T) {
	f := newExportFixture(t, exports.Limits{AgentConcurrent: 2, AgentPerDay: 3})
	ctx := t.Context()
	for i := range 2 {
		if _, err := f.svc.Start(ctx, acct, exports.StartInput{Filters: agentFilter(fmt.Sprint("o-", i))}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := f.svc.Start(ctx, acct, exports.StartInput{Filters: agentFilter("o-x")})
	if codeOf(err) != discovery.OperationNotPermitted || !strings.Contains(err.Error(), "concurrent exports") {
		t.Fatalf("third running agent export: %v, want OperationNotPermittedException (concurrent)", err)
	}
	for range 5 {
		if _, err := f.svc.Start(ctx, acct, exports.StartInput{}); err != nil {
			t.Fatalf("summary export refused: %v", err)
		}
	}
	if _, err := f.svc.Start(ctx, "210987654321", exports.StartInput{Filters: agentFilter("o-1")}); err != nil {
		t.Fatalf("other account refused: %v", err)
	}
	f.finishAll(t)
	if _, err := f.svc.Start(ctx, acct, exports.StartInput{Filters: agentFilter("o-3")}); err != nil {
		t.Fatalf("third agent export of the day: %v", err)
	}
	f.finishAll(t)
	_, err = f.svc.Start(ctx, acct, exports.StartInput{Filters: agentFilter("o-4")})
	if codeOf(err) != discovery.OperationNotPermitted || !strings.Contains(err.Error(), "per 24 hours") {
		t.Fatalf("fourth agent export within 24h: %v, want OperationNotPermittedException", err)
	}
	f.clock.Advance(24*time.Hour + time.Second)
	if _, err := f.svc.Start(ctx, acct, exports.StartInput{Filters: agentFilter("o-4")}); err != nil {
		t.Fatalf("agent export after the rolling day: %v", err)
	}
}

func TestDuplicateSuccessfulAgentExport(t *testing.T) {
	f := newExportFixture(t, exports.Limits{Disabled: true})
	ctx := t.Context()
	start, end := f.clock.Now().Add(-48*time.Hour), f.clock.Now().Add(-24*time.Hour)
	first, err := f.svc.Start(ctx, acct, exports.StartInput{Filters: agentFilter("o-1"), Start: &start, End: &end})
	if err != nil {
		t.Fatal(err)
	}
	f.finishAll(t)
	_, err = f.svc.Start(ctx, acct, exports.StartInput{Filters: agentFilter("o-1"), Start: &start, End: &end})
	if codeOf(err) != discovery.OperationNotPermitted || !strings.HasSuffix(err.(*discovery.Error).Message, first.ID) {
		t.Fatalf("duplicate: %v", err)
	}
	// Another window (an open end too: NULL is a window of its own),
	// another agent, or another account is not a duplicate.
	for _, in := range []exports.StartInput{
		{Filters: agentFilter("o-1"), Start: &start},
		{Filters: agentFilter("o-2"), Start: &start, End: &end},
	} {
		if _, err := f.svc.Start(ctx, acct, in); err != nil {
			t.Fatalf("Start(%+v) = %v", in, err)
		}
	}
	if _, err := f.svc.Start(ctx, "210987654321", exports.StartInput{Filters: agentFilter("o-1"), Start: &start, End: &end}); err != nil {
		t.Fatal(err)
	}
	// Windowless exports are duplicates of each other.
	if _, err := f.svc.Start(ctx, acct, exports.StartInput{Filters: agentFilter("o-9")}); err != nil {
		t.Fatal(err)
	}
	f.finishAll(t)
	if _, err := f.svc.Start(ctx, acct, exports.StartInput{Filters: agentFilter("o-9")}); codeOf(err) != discovery.OperationNotPermitted {
		t.Fatalf("windowless duplicate: %v", err)
	}
}

func TestExportConfigurationsLimit(t *testing.T) {
	f := newExportFixture(t, exports.DefaultLimits)
	ctx := t.Context()
	for range 2 {
		if _, err := f.svc.ExportConfigurations(ctx, acct); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.svc.ExportConfigurations(ctx, acct); codeOf(err) != discovery.OperationNotPermitted {
		t.Fatalf("third ExportConfigurations = %v, want OperationNotPermittedException", err)
	}
	if _, err := f.svc.Start(ctx, acct, exports.StartInput{}); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(6*time.Hour - time.Second)
	if _, err := f.svc.ExportConfigurations(ctx, acct); codeOf(err) != discovery.OperationNotPermitted {
		t.Fatalf("just under 6h: %v, want OperationNotPermittedException", err)
	}
	f.clock.Advance(2 * time.Second)
	if _, err := f.svc.ExportConfigurations(ctx, acct); err != nil {
		t.Fatalf("after 6h: %v", err)
	}
}

// Limits hold under concurrent requests of one process too.
func TestLimitsUnderConcurrency(t *testing.T) {
	f := newExportFixture(t, exports.Limits{AgentConcurrent: 3, ConfigurationExports: 2})
	ctx := t.Context()
	const n = 24
	errs := make(chan error, 2*n)
	for i := range n {
		go func() {
			_, err := f.svc.Start(ctx, acct, exports.StartInput{Filters: agentFilter(fmt.Sprint("o-", i))})
			errs <- err
		}()
		go func() {
			_, err := f.svc.ExportConfigurations(ctx, acct)
			errs <- err
		}()
	}
	accepted, refused := 0, 0
	for range 2 * n {
		switch err := <-errs; {
		case err == nil:
			accepted++
		case codeOf(err) == discovery.OperationNotPermitted:
			refused++
		default:
			t.Fatalf("unexpected error: %v", err)
		}
	}
	if accepted != 3+2 || refused != 2*n-5 {
		t.Fatalf("accepted %d, refused %d; want 5 accepted (3 agent, 2 configuration exports)", accepted, refused)
	}
}

// DescribeExportTasks pages newest first, ties by export ID descending,
// through keyset tokens.
func TestDescribePagination(t *testing.T) {
	f := newExportFixture(t, exports.Limits{Disabled: true})
	ctx := t.Context()
	var ids []string
	for i := range 7 {
		in := exports.StartInput{}
		if i%2 == 1 {
			in.Filters = agentFilter("o-a")
		}
		task, err := f.svc.Start(ctx, acct, in)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, task.ID)
		if i != 3 { // two tasks share a request time: ties go by exportId
			f.clock.Advance(time.Second)
		}
	}
	two := int32(2)
	var got []string
	var tok *string
	for page := 0; ; page++ {
		p, err := f.svc.Describe(ctx, acct, exports.OpDescribeExportTasks, exports.DescribeInput{MaxResults: &two, NextToken: tok})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Tasks) > 2 {
			t.Fatalf("page of %d", len(p.Tasks))
		}
		for _, task := range p.Tasks {
			got = append(got, task.ID)
		}
		if p.Next == "" {
			break
		}
		tok = &p.Next
		if page > 10 {
			t.Fatal("pagination does not end")
		}
	}
	want := []string{ids[6], ids[5], ids[4], ids[3], ids[2], ids[1], ids[0]}
	if ids[3] > ids[4] {
		want[2], want[3] = ids[3], ids[4]
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("order = %v, want %v", got, want)
	}
}

func TestFindExportTasksFilters(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	mk := func(id, agent string, sec int) {
		task := agentTask(id, agent, t0.Add(time.Duration(sec)*time.Second))
		if agent == "" {
			task.Kind = discovery.KindSummary
		}
		if r, err := db.CreateExportTask(ctx, task, discovery.ExportAdmission{}); err != nil || r != nil {
			t.Fatal(r, err)
		}
	}
	mk("export-a1", "o-a", 1)
	mk("export-a2", "o-a", 2)
	mk("export-b", "o-b", 3)
	mk("export-s", "", 4)
	other := agentTask("export-other", "o-a", t0)
	other.AccountID = "210987654321"
	if _, err := db.CreateExportTask(ctx, other, discovery.ExportAdmission{}); err != nil {
		t.Fatal(err)
	}
	find := func(q discovery.ExportQuery) []string {
		t.Helper()
		q.AccountID = acct
		if q.Limit == 0 {
			q.Limit = 100
		}
		tasks, err := db.FindExportTasks(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, task := range tasks {
			out = append(out, task.ID)
		}
		return out
	}
	for _, c := range []struct {
		name string
		q    discovery.ExportQuery
		want []string
	}{
		{"all, newest first", discovery.ExportQuery{}, []string{"export-s", "export-b", "export-a2", "export-a1"}},
		{"limit", discovery.ExportQuery{Limit: 2}, []string{"export-s", "export-b"}},
		{"after", discovery.ExportQuery{After: &discovery.ExportCursor{RequestTimeMs: t0.Add(3 * time.Second).UnixMilli(), ExportID: "export-b"}}, []string{"export-a2", "export-a1"}},
		{"ids", discovery.ExportQuery{IDs: []string{"export-a1", "export-s", "export-other", "export-nope"}}, []string{"export-s", "export-a1"}},
		{"no ids", discovery.ExportQuery{IDs: []string{}}, nil},
		{"agents", discovery.ExportQuery{AgentIDs: []string{"o-a", "o-b"}}, []string{"export-b", "export-a2", "export-a1"}},
		{"no agents", discovery.ExportQuery{AgentIDs: []string{}}, nil},
		{"ids and agents", discovery.ExportQuery{IDs: []string{"export-a1", "export-b"}, AgentIDs: []string{"o-a"}}, []string{"export-a1"}},
	} {
		if got := find(c.q); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
