package exports_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/clock"
	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/exports"
	"github.com/poseidon-ads/poseidon/internal/pagetoken"
	"github.com/poseidon-ads/poseidon/internal/storetest/teststore"
)

const acct = "123456789012"

type fixture struct {
	svc   *exports.Service
	db    teststore.Store
	clock *clock.Clock
}

func newFixture(t *testing.T, limits exports.Limits) *fixture {
	t.Helper()
	db := teststore.Open(t)
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clk := clock.New(func() time.Time { return base })
	svc := exports.New(exports.Config{Store: db, Now: clk.Now, Limits: limits, Tokens: pagetoken.New([]byte("k"))})
	return &fixture{svc: svc, db: db, clock: clk}
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

func tp(t time.Time) *time.Time { return &t }

func TestStartValidation(t *testing.T) {
	f := newFixture(t, exports.Limits{Disabled: true})
	now := f.clock.Now()
	tests := []struct {
		name     string
		in       exports.StartInput
		wantCode discovery.ErrorCode
		wantMsg  string
	}{
		{"summary", exports.StartInput{}, "", ""},
		{"summary ignores window", exports.StartInput{Start: tp(now.Add(time.Hour)), End: tp(now)}, "", ""},
		{"agent", exports.StartInput{Filters: agentFilter("o-1")}, "", ""},
		{"agentId alias", exports.StartInput{Filters: []discovery.Filter{{Name: "AgentId", Values: []string{"o-1"}, Condition: "EQUALS"}}}, "", ""},
		{"unknown filter name", exports.StartInput{Filters: []discovery.Filter{{Name: "serverId", Values: []string{"x"}, Condition: "EQUALS"}}}, discovery.InvalidParameter, "Invalid filter name 'serverId'"},
		{"bad condition", exports.StartInput{Filters: []discovery.Filter{{Name: "agentIds", Values: []string{"x"}, Condition: "CONTAINS"}}}, discovery.InvalidParameterValue, "Invalid condition 'CONTAINS'"},
		{"two agents", exports.StartInput{Filters: agentFilter("o-1", "o-2")}, discovery.InvalidParameterValue, "single agent ID"},
		{"no agent", exports.StartInput{Filters: agentFilter()}, discovery.InvalidParameterValue, "single agent ID"},
		{"blank agent", exports.StartInput{Filters: agentFilter(" ")}, discovery.InvalidParameterValue, "not an empty string"},
		{"two filters", exports.StartInput{Filters: append(agentFilter("o-1"), agentFilter("o-2")...)}, discovery.InvalidParameterValue, "2 filters"},
		{"future start", exports.StartInput{Filters: agentFilter("o-1"), Start: tp(now.Add(time.Second))}, discovery.InvalidParameterValue, "in the future"},
		{"start after end", exports.StartInput{Filters: agentFilter("o-1"), Start: tp(now.Add(-time.Hour)), End: tp(now.Add(-2 * time.Hour))}, discovery.InvalidParameterValue, "is after endTime"},
		{"start equals end", exports.StartInput{Filters: agentFilter("o-9"), Start: tp(now.Add(-time.Hour)), End: tp(now.Add(-time.Hour))}, "", ""},
		{"ec2 with agent", exports.StartInput{Filters: agentFilter("o-1"), EC2: ptr(discovery.DefaultEC2Preferences())}, discovery.InvalidParameterValue, "cannot be combined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			task, err := f.svc.Start(t.Context(), acct, tt.in)
			if got := codeOf(err); got != tt.wantCode {
				t.Fatalf("Start() error = %v, want code %q", err, tt.wantCode)
			}
			if tt.wantCode != "" {
				if !strings.Contains(err.Error(), tt.wantMsg) {
					t.Fatalf("Start() error = %q, want it to contain %q", err, tt.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if task.Status != discovery.ExportInProgress || task.Message == "" || !strings.HasPrefix(task.ID, "export-") {
				t.Fatalf("task = %+v", task)
			}
		})
	}
}

func TestStartKinds(t *testing.T) {
	f := newFixture(t, exports.Limits{Disabled: true})
	sum, _ := f.svc.Start(t.Context(), acct, exports.StartInput{})
	ag, _ := f.svc.Start(t.Context(), acct, exports.StartInput{Filters: agentFilter("o-7")})
	ec2, _ := f.svc.Start(t.Context(), acct, exports.StartInput{EC2: ptr(discovery.DefaultEC2Preferences())})
	if sum.Kind != discovery.KindSummary || ag.Kind != discovery.KindAgent || ag.AgentID != "o-7" || ec2.Kind != discovery.KindEC2 {
		t.Fatalf("kinds = %s %s(%s) %s", sum.Kind, ag.Kind, ag.AgentID, ec2.Kind)
	}
}

func TestAgentExportLimits(t *testing.T) {
	f := newFixture(t, exports.Limits{AgentConcurrent: 2, AgentPerDay: 3})
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
	// Summary exports have no limit.
	for range 5 {
		if _, err := f.svc.Start(ctx, acct, exports.StartInput{}); err != nil {
			t.Fatalf("summary export refused: %v", err)
		}
	}
	// Other accounts are not affected.
	if _, err := f.svc.Start(ctx, "210987654321", exports.StartInput{Filters: agentFilter("o-1")}); err != nil {
		t.Fatalf("other account refused: %v", err)
	}
	finishAll(t, f)
	if _, err := f.svc.Start(ctx, acct, exports.StartInput{Filters: agentFilter("o-3")}); err != nil {
		t.Fatalf("third agent export of the day: %v", err)
	}
	finishAll(t, f)
	_, err = f.svc.Start(ctx, acct, exports.StartInput{Filters: agentFilter("o-4")})
	if codeOf(err) != discovery.OperationNotPermitted || !strings.Contains(err.Error(), "per 24 hours") {
		t.Fatalf("fourth agent export within 24h: %v, want OperationNotPermittedException", err)
	}
	f.clock.Advance(24*time.Hour + time.Second)
	if _, err := f.svc.Start(ctx, acct, exports.StartInput{Filters: agentFilter("o-4")}); err != nil {
		t.Fatalf("agent export after the rolling day: %v", err)
	}
}

// finishAll marks the task of every claimable export job SUCCEEDED, as the
// worker would.
func finishAll(t *testing.T, f *fixture) {
	t.Helper()
	ctx := t.Context()
	for {
		now := f.clock.Now()
		job, err := f.db.Claim(ctx, "test", []discovery.JobKind{discovery.JobExport}, now, now.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if job == nil {
			return
		}
		if err := f.db.FinishExportTask(ctx, job.Lease(), job.Account, job.Ref, discovery.ExportResult{Status: discovery.ExportSucceeded, Message: discovery.SucceededMessage}, now); err != nil {
			t.Fatal(err)
		}
		if err := f.db.Complete(ctx, job.Lease()); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDuplicateSuccessfulAgentExport(t *testing.T) {
	f := newFixture(t, exports.Limits{Disabled: true})
	ctx := t.Context()
	start, end := tp(f.clock.Now().Add(-48*time.Hour)), tp(f.clock.Now().Add(-24*time.Hour))
	first, err := f.svc.Start(ctx, acct, exports.StartInput{Filters: agentFilter("o-1"), Start: start, End: end})
	if err != nil {
		t.Fatal(err)
	}
	// While the first runs, a second is allowed (it is not yet successful).
	if _, err := f.svc.Start(ctx, acct, exports.StartInput{Filters: agentFilter("o-1"), Start: start, End: end}); err != nil {
		t.Fatal(err)
	}
	finishAll(t, f)
	_, err = f.svc.Start(ctx, acct, exports.StartInput{Filters: agentFilter("o-1"), Start: start, End: end})
	if codeOf(err) != discovery.OperationNotPermitted || !strings.HasPrefix(err.(*discovery.Error).Message, "A successful export is already present Export ID: export-") {
		t.Fatalf("duplicate: %v", err)
	}
	msg := err.(*discovery.Error).Message
	words := strings.Fields(msg)
	if last := words[len(words)-1]; last != first.ID {
		// Either of the two equal exports is a fine answer, but it must be one of ours.
		page, _ := f.svc.Describe(ctx, acct, exports.OpDescribeExportTasks, exports.DescribeInput{IDs: []string{last}})
		if len(page.Tasks) != 1 {
			t.Fatalf("message names %q, not an existing export", last)
		}
	}
	// Another window, another agent, or another account is not a duplicate.
	for _, in := range []exports.StartInput{
		{Filters: agentFilter("o-1"), Start: start},
		{Filters: agentFilter("o-2"), Start: start, End: end},
	} {
		if _, err := f.svc.Start(ctx, acct, in); err != nil {
			t.Fatalf("Start(%+v) = %v", in, err)
		}
	}
	if _, err := f.svc.Start(ctx, "210987654321", exports.StartInput{Filters: agentFilter("o-1"), Start: start, End: end}); err != nil {
		t.Fatal(err)
	}
}

func TestExportConfigurationsLimit(t *testing.T) {
	f := newFixture(t, exports.DefaultLimits)
	ctx := t.Context()
	for range 2 {
		if _, err := f.svc.ExportConfigurations(ctx, acct); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.svc.ExportConfigurations(ctx, acct); codeOf(err) != discovery.OperationNotPermitted {
		t.Fatalf("third ExportConfigurations = %v, want OperationNotPermittedException", err)
	}
	// StartExportTask summaries do not count against it.
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

func TestLimitsDisabled(t *testing.T) {
	f := newFixture(t, exports.Limits{AgentConcurrent: 1, AgentPerDay: 1, ConfigurationExports: 1, Disabled: true})
	for i := range 4 {
		if _, err := f.svc.Start(t.Context(), acct, exports.StartInput{Filters: agentFilter(fmt.Sprint("o-", i))}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.ExportConfigurations(t.Context(), acct); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDescribePagination(t *testing.T) {
	f := newFixture(t, exports.Limits{Disabled: true})
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
	seen := map[string]bool{}
	for page := 0; ; page++ {
		p, err := f.svc.Describe(ctx, acct, exports.OpDescribeExportTasks, exports.DescribeInput{MaxResults: &two, NextToken: tok})
		if err != nil {
			t.Fatal(err)
		}
		for _, task := range p.Tasks {
			got = append(got, task.ID)
		}
		if p.Next == "" {
			break
		}
		if tok != nil && p.Next == *tok {
			t.Fatal("same token returned twice in a row")
		}
		if seen[p.Next] {
			t.Fatal("token repeated")
		}
		seen[p.Next] = true
		tok = &p.Next
		if page > 10 {
			t.Fatal("pagination does not end")
		}
	}
	if len(got) != 7 {
		t.Fatalf("got %d tasks over pages, want 7: %v", len(got), got)
	}
	// Newest first; the two created at the same instant are ordered by ID, descending.
	want := []string{ids[6], ids[5], ids[4], ids[3], ids[2], ids[1], ids[0]}
	if ids[3] > ids[4] {
		want[2], want[3] = ids[3], ids[4]
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("order = %v, want %v", got, want)
		}
	}

	// A token is bound to its query: another filter, account or operation refuses it.
	p, _ := f.svc.Describe(ctx, acct, exports.OpDescribeExportTasks, exports.DescribeInput{MaxResults: &two})
	for name, in := range map[string]struct {
		account, op string
		in          exports.DescribeInput
	}{
		"filter":    {acct, exports.OpDescribeExportTasks, exports.DescribeInput{Filters: agentFilter("o-a"), NextToken: &p.Next}},
		"ids":       {acct, exports.OpDescribeExportTasks, exports.DescribeInput{IDs: ids[:1], NextToken: &p.Next}},
		"account":   {"210987654321", exports.OpDescribeExportTasks, exports.DescribeInput{NextToken: &p.Next}},
		"operation": {acct, exports.OpDescribeExportConfigurations, exports.DescribeInput{NextToken: &p.Next}},
		"tampered":  {acct, exports.OpDescribeExportTasks, exports.DescribeInput{NextToken: ptr(p.Next[:len(p.Next)-2] + "xx")}},
	} {
		if _, err := f.svc.Describe(ctx, in.account, in.op, in.in); codeOf(err) != discovery.InvalidParameterValue {
			t.Errorf("%s: Describe with foreign token = %v, want InvalidParameterValueException", name, err)
		}
	}
	// The same query with another page size keeps working.
	five := int32(5)
	if p2, err := f.svc.Describe(ctx, acct, exports.OpDescribeExportTasks, exports.DescribeInput{MaxResults: &five, NextToken: &p.Next}); err != nil || len(p2.Tasks) != 5 {
		t.Fatalf("resume with page size 5: %v, %d tasks", err, len(p2.Tasks))
	}
}

func ptr[T any](v T) *T { return &v }

func TestDescribeFiltersAndIDs(t *testing.T) {
	f := newFixture(t, exports.Limits{Disabled: true})
	ctx := t.Context()
	a1, _ := f.svc.Start(ctx, acct, exports.StartInput{Filters: agentFilter("o-a")})
	a2, _ := f.svc.Start(ctx, acct, exports.StartInput{Filters: agentFilter("o-a"), End: tp(f.clock.Now())})
	b, _ := f.svc.Start(ctx, acct, exports.StartInput{Filters: agentFilter("o-b")})
	s, _ := f.svc.Start(ctx, acct, exports.StartInput{})
	other, _ := f.svc.Start(ctx, "210987654321", exports.StartInput{Filters: agentFilter("o-a")})
	ids := func(p *exports.Page) map[string]bool {
		m := map[string]bool{}
		for _, task := range p.Tasks {
			m[task.ID] = true
		}
		return m
	}
	tests := []struct {
		name string
		in   exports.DescribeInput
		want []string
	}{
		{"all", exports.DescribeInput{}, []string{a1.ID, a2.ID, b.ID, s.ID}},
		{"agent filter", exports.DescribeInput{Filters: agentFilter("o-a")}, []string{a1.ID, a2.ID}},
		{"agent filter, two values", exports.DescribeInput{Filters: agentFilter("o-a", "o-b")}, []string{a1.ID, a2.ID, b.ID}},
		{"AgentId alias", exports.DescribeInput{Filters: []discovery.Filter{{Name: "AGENTID", Values: []string{"o-b"}, Condition: "EQUALS"}}}, []string{b.ID}},
		{"ids", exports.DescribeInput{IDs: []string{a1.ID, s.ID}}, []string{a1.ID, s.ID}},
		{"ids AND filter", exports.DescribeInput{IDs: []string{a1.ID, b.ID, s.ID}, Filters: agentFilter("o-a")}, []string{a1.ID}},
		{"unknown ids are left out", exports.DescribeInput{IDs: []string{"export-nope", b.ID}}, []string{b.ID}},
		{"other account's id is invisible", exports.DescribeInput{IDs: []string{other.ID}}, nil},
		{"two filters AND", exports.DescribeInput{Filters: append(agentFilter("o-a", "o-b"), agentFilter("o-b")...)}, []string{b.ID}},
		{"two disjoint filters", exports.DescribeInput{Filters: append(agentFilter("o-a"), agentFilter("o-b")...)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := f.svc.Describe(ctx, acct, exports.OpDescribeExportTasks, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			got := ids(p)
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for _, id := range tt.want {
				if !got[id] {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
			}
		})
	}
}

func TestDescribeValidation(t *testing.T) {
	f := newFixture(t, exports.Limits{Disabled: true})
	ctx := t.Context()
	task, _ := f.svc.Start(ctx, acct, exports.StartInput{})
	many := make([]string, 101)
	for i := range many {
		many[i] = fmt.Sprintf("export-%d", i)
	}
	tests := []struct {
		name     string
		op       string
		in       exports.DescribeInput
		wantCode discovery.ErrorCode
		wantN    int
	}{
		{"maxResults absent", exports.OpDescribeExportTasks, exports.DescribeInput{}, "", 1},
		{"maxResults 0 means default", exports.OpDescribeExportTasks, exports.DescribeInput{MaxResults: ptr(int32(0))}, "", 1},
		{"maxResults over 100 is capped", exports.OpDescribeExportTasks, exports.DescribeInput{MaxResults: ptr(int32(1000))}, "", 1},
		{"negative maxResults", exports.OpDescribeExportTasks, exports.DescribeInput{MaxResults: ptr(int32(-1))}, discovery.InvalidParameterValue, 0},
		{"101 exportIds", exports.OpDescribeExportTasks, exports.DescribeInput{IDs: many}, discovery.InvalidParameterValue, 0},
		{"101 exportIds (deprecated op)", exports.OpDescribeExportConfigurations, exports.DescribeInput{IDs: many}, discovery.InvalidParameterValue, 0},
		{"unknown filter", exports.OpDescribeExportTasks, exports.DescribeInput{Filters: []discovery.Filter{{Name: "x", Values: []string{"y"}, Condition: "EQUALS"}}}, discovery.InvalidParameter, 0},
		{"bad condition", exports.OpDescribeExportTasks, exports.DescribeInput{Filters: []discovery.Filter{{Name: "agentIds", Values: []string{"y"}, Condition: "NOT_EQUALS"}}}, discovery.InvalidParameterValue, 0},
		{"deprecated op: unknown id", exports.OpDescribeExportConfigurations, exports.DescribeInput{IDs: []string{task.ID, "export-nope"}}, discovery.ResourceNotFound, 0},
		{"deprecated op: known id", exports.OpDescribeExportConfigurations, exports.DescribeInput{IDs: []string{task.ID}}, "", 1},
		{"garbage token", exports.OpDescribeExportTasks, exports.DescribeInput{NextToken: ptr("garbage")}, discovery.InvalidParameterValue, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := f.svc.Describe(ctx, acct, tt.op, tt.in)
			if got := codeOf(err); got != tt.wantCode {
				t.Fatalf("Describe() = %v, want code %q", err, tt.wantCode)
			}
			if err == nil && len(p.Tasks) != tt.wantN {
				t.Fatalf("got %d tasks, want %d", len(p.Tasks), tt.wantN)
			}
		})
	}
}

func TestDescribeSeesBothOperations(t *testing.T) {
	f := newFixture(t, exports.Limits{Disabled: true})
	ctx := context.Background()
	a, _ := f.svc.Start(ctx, acct, exports.StartInput{})
	b, _ := f.svc.ExportConfigurations(ctx, acct)
	for _, op := range []string{exports.OpDescribeExportTasks, exports.OpDescribeExportConfigurations} {
		p, err := f.svc.Describe(ctx, acct, op, exports.DescribeInput{IDs: []string{a.ID, b.ID}})
		if err != nil || len(p.Tasks) != 2 {
			t.Fatalf("%s: %v, %d tasks", op, err, len(p.Tasks))
		}
	}
}

// Limits hold under concurrent requests: each check runs in the store's
// write transaction, which no other write interleaves with.
func TestLimitsUnderConcurrency(t *testing.T) {
	f := newFixture(t, exports.Limits{AgentConcurrent: 3, ConfigurationExports: 2})
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
