package agents_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/agentdata"
	"github.com/poseidon-ads/poseidon/internal/agents"
	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/pagetoken"
)

const acct = "111111111111"

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newService(t *testing.T, st *testStore) *agents.Service {
	t.Helper()
	return agents.New(agents.Config{Store: st, Now: func() time.Time { return t0 }, Tokens: pagetoken.New([]byte("secret"))})
}

func id(n int) string { return fmt.Sprintf("o-%017x", n) }

// fleet takes in one report from each of five agents of varied kinds.
func fleet(t *testing.T, s *agents.Service) {
	t.Helper()
	var rs []agentdata.Report
	for n := 1; n <= 5; n++ {
		r := agentdata.Report{
			ReportID: fmt.Sprintf("rep-%d", n), AgentID: id(n), Timestamp: float64(t0.Unix() + int64(n)),
			Agent:  agentdata.AgentInfo{Version: fmt.Sprintf("2.0.%d", n%2)},
			Server: agentdata.ServerInfo{HostName: fmt.Sprintf("web-%d.example.com", n)},
			NetworkInterfaces: []agentdata.NetworkInterface{
				{Name: "eth0", IPAddress: fmt.Sprintf("10.1.0.%d", n), MACAddress: fmt.Sprintf("0a:00:00:00:00:%02x", n)}},
		}
		switch n {
		case 2:
			r.Agent.Health, r.Server.HostName = "UNHEALTHY", "db-2.example.com"
		case 4:
			r.Agent.AgentType, r.Agent.ConnectorID = "VMWARE", "conn-1"
			r.NetworkInterfaces = append(r.NetworkInterfaces, agentdata.NetworkInterface{Name: "eth1", IPAddress: "192.168.9.9"})
		}
		rs = append(rs, r)
	}
	if _, err := s.Intake(context.Background(), acct, &agentdata.Batch{Reports: rs}); err != nil {
		t.Fatal(err)
	}
}

func ids(as []*discovery.Agent) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.ID
	}
	return out
}

func describe(t *testing.T, s *agents.Service, in agents.DescribeInput) []string {
	t.Helper()
	p, err := s.Describe(context.Background(), acct, in)
	if err != nil {
		t.Fatal(err)
	}
	if p.Next != "" {
		t.Fatalf("unexpected next token")
	}
	return ids(p.Agents)
}

func f(name, cond string, values ...string) discovery.Filter {
	return discovery.Filter{Name: name, Condition: cond, Values: values}
}

func TestDescribeFilters(t *testing.T) {
	eachStore(t, func(t *testing.T, st *testStore) {
		s := newService(t, st)
		fleet(t, s)
		for _, tc := range []struct {
			name string
			in   agents.DescribeInput
			want []int
		}{
			{"all", agents.DescribeInput{}, []int{1, 2, 3, 4, 5}},
			{"ids, unknown left out", agents.DescribeInput{IDs: []string{id(3), id(1), id(99), id(3)}}, []int{1, 3}},
			{"health equals", agents.DescribeInput{Filters: []discovery.Filter{f("health", "EQUALS", "UNHEALTHY")}}, []int{2}},
			{"values are OR-ed", agents.DescribeInput{Filters: []discovery.Filter{f("agentId", "EQUALS", id(1), id(5))}}, []int{1, 5}},
			{"not equals excludes every value", agents.DescribeInput{Filters: []discovery.Filter{f("agentId", "NOT_EQUALS", id(1), id(5))}}, []int{2, 3, 4}},
			{"contains", agents.DescribeInput{Filters: []discovery.Filter{f("hostName", "CONTAINS", "web-")}}, []int{1, 3, 4, 5}},
			{"not contains", agents.DescribeInput{Filters: []discovery.Filter{f("hostName", "NOT_CONTAINS", "web-")}}, []int{2}},
			{"filters AND-ed", agents.DescribeInput{Filters: []discovery.Filter{f("version", "EQUALS", "2.0.1"), f("hostName", "CONTAINS", "web")}}, []int{1, 3, 5}},
			{"ids AND filters", agents.DescribeInput{IDs: []string{id(1), id(2)}, Filters: []discovery.Filter{f("collectionStatus", "EQUALS", "STARTED")}}, []int{1, 2}},
			{"agent type", agents.DescribeInput{Filters: []discovery.Filter{f("agentType", "EQUALS", "EC2")}}, []int{1, 2, 3, 5}},
			{"connector id", agents.DescribeInput{Filters: []discovery.Filter{f("connectorId", "EQUALS", "conn-1")}}, []int{4}},
			{"any IP of the list", agents.DescribeInput{Filters: []discovery.Filter{f("agentNetworkInfoList.ipAddress", "EQUALS", "192.168.9.9")}}, []int{4}},
			{"no IP of the list", agents.DescribeInput{Filters: []discovery.Filter{f("agentNetworkInfoList.ipAddress", "NOT_CONTAINS", "192.168.")}}, []int{1, 2, 3, 5}},
			{"mac", agents.DescribeInput{Filters: []discovery.Filter{f("agentNetworkInfoList.macAddress", "CONTAINS", ":03")}}, []int{3}},
			{"name case-insensitive", agents.DescribeInput{Filters: []discovery.Filter{f("HOSTNAME", "EQUALS", "db-2.example.com")}}, []int{2}},
			{"registered time", agents.DescribeInput{Filters: []discovery.Filter{f("registeredTime", "EQUALS", t0.Add(3*time.Second).Format(agents.TimeLayout))}}, []int{3}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var want []string
				for _, n := range tc.want {
					want = append(want, id(n))
				}
				if got := describe(t, s, tc.in); !slices.Equal(got, want) {
					t.Fatalf("got %v, want %v", got, want)
				}
			})
		}
	})
}

func TestDescribeErrors(t *testing.T) {
	eachStore(t, func(t *testing.T, st *testStore) {
		s := newService(t, st)
		fleet(t, s)
		ctx := context.Background()
		neg := int32(-1)
		for _, tc := range []struct {
			in   agents.DescribeInput
			code discovery.ErrorCode
			msg  string
		}{
			{agents.DescribeInput{Filters: []discovery.Filter{f("osName", "EQUALS", "x")}}, discovery.InvalidParameter, ""},
			{agents.DescribeInput{Filters: []discovery.Filter{f("health", "GT", "x")}}, discovery.InvalidParameterValue, ""},
			{agents.DescribeInput{MaxResults: &neg}, discovery.InvalidParameterValue,
				"1 validation error detected: Value '-1' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 0"},
			{agents.DescribeInput{NextToken: ptr("garbage")}, discovery.InvalidParameterValue, "The nextToken is not valid for this request."},
		} {
			_, err := s.Describe(ctx, acct, tc.in)
			var de *discovery.Error
			if !errors.As(err, &de) || de.Code != tc.code || (tc.msg != "" && de.Message != tc.msg) {
				t.Errorf("Describe(%+v) = %v, want %s %q", tc.in, err, tc.code, tc.msg)
			}
		}
	})
}

func ptr[T any](v T) *T { return &v }

func TestDescribePages(t *testing.T) {
	eachStore(t, func(t *testing.T, st *testStore) {
		s := newService(t, st)
		fleet(t, s)
		ctx := context.Background()
		for _, filters := range [][]discovery.Filter{nil, {f("hostName", "CONTAINS", ".example.")}} {
			var (
				got  []string
				tok  *string
				seen = map[string]bool{}
			)
			for range 10 {
				p, err := s.Describe(ctx, acct, agents.DescribeInput{Filters: filters, MaxResults: ptr(int32(2)), NextToken: tok})
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, ids(p.Agents)...)
				if p.Next == "" {
					break
				}
				if seen[p.Next] {
					t.Fatal("token repeated")
				}
				seen[p.Next] = true
				tok = &p.Next
			}
			if want := []string{id(1), id(2), id(3), id(4), id(5)}; !slices.Equal(got, want) {
				t.Fatalf("filters %v: pages gave %v", filters, got)
			}
			// The token is bound to the query and the account.
			p, _ := s.Describe(ctx, acct, agents.DescribeInput{Filters: filters, MaxResults: ptr(int32(2))})
			_, err := s.Describe(ctx, acct, agents.DescribeInput{Filters: []discovery.Filter{f("health", "EQUALS", "HEALTHY")}, NextToken: &p.Next})
			var de *discovery.Error
			if !errors.As(err, &de) || de.Code != discovery.InvalidParameterValue {
				t.Fatalf("token of another query: %v", err)
			}
			if _, err := s.Describe(ctx, "222222222222", agents.DescribeInput{Filters: filters, NextToken: &p.Next}); !errors.As(err, &de) {
				t.Fatalf("token of another account: %v", err)
			}
		}
		// maxResults over 100 is capped; 0 means 100.
		for _, m := range []int32{0, 1000} {
			p, err := s.Describe(ctx, acct, agents.DescribeInput{MaxResults: &m})
			if err != nil || len(p.Agents) != 5 || p.Next != "" {
				t.Fatalf("maxResults %d: %v %v", m, p, err)
			}
		}
	})
}

func TestCollectionAndDelete(t *testing.T) {
	eachStore(t, func(t *testing.T, ts *testStore) {
		s := newService(t, ts)
		fleet(t, s)
		ctx := context.Background()
		st, err := s.StopCollection(ctx, acct, []string{id(1), id(99), id(1), id(2)})
		if err != nil {
			t.Fatal(err)
		}
		want := []agents.ConfigurationStatus{
			{AgentID: id(1), OperationSucceeded: true, Description: "Data collection stopped."},
			{AgentID: id(99), OperationSucceeded: false, Description: "Agent " + id(99) + " was not found in this account."},
			{AgentID: id(2), OperationSucceeded: true, Description: "Data collection stopped."},
		}
		if !slices.Equal(st, want) {
			t.Fatalf("stop = %+v", st)
		}
		// Idempotent.
		if st, _ := s.StopCollection(ctx, acct, []string{id(1)}); !st[0].OperationSucceeded {
			t.Fatalf("second stop = %+v", st)
		}
		if got := describe(t, s, agents.DescribeInput{Filters: []discovery.Filter{f("collectionStatus", "EQUALS", "STOPPED")}}); !slices.Equal(got, []string{id(1), id(2)}) {
			t.Fatalf("stopped agents %v", got)
		}
		// Another account's agents are unknown.
		if st, _ := s.StartCollection(ctx, "222222222222", []string{id(1)}); st[0].OperationSucceeded {
			t.Fatalf("start in another account = %+v", st)
		}
		if st, _ := s.StartCollection(ctx, acct, []string{id(2)}); !st[0].OperationSucceeded || st[0].Description != "Data collection started." {
			t.Fatalf("start = %+v", st)
		}

		// id(1) is stopped: deleted. id(2) and id(3) collect: refused unless forced.
		errs, err := s.Delete(ctx, acct, []discovery.DeleteAgentRequest{{AgentID: id(1)}, {AgentID: id(2)}, {AgentID: id(3), Force: true}, {AgentID: id(77)}, {AgentID: id(2)}})
		if err != nil {
			t.Fatal(err)
		}
		if len(errs) != 2 || errs[0].AgentID != id(2) || errs[0].Code != "AGENT_IN_USE" || errs[1].AgentID != id(77) || errs[1].Code != "NOT_FOUND" {
			t.Fatalf("errors = %+v", errs)
		}
		if got := describe(t, s, agents.DescribeInput{}); !slices.Equal(got, []string{id(2), id(4), id(5)}) {
			t.Fatalf("after delete: %v", got)
		}
		if errs, _ := s.Delete(ctx, acct, []discovery.DeleteAgentRequest{{AgentID: id(2), Force: true}}); len(errs) != 0 {
			t.Fatalf("forced delete: %+v", errs)
		}
	})
}

func TestIDs(t *testing.T) {
	sid := discovery.ServerID(acct, id(1))
	if len(sid) != len("d-server-")+17 || sid != discovery.ServerID(acct, id(1)) || sid == discovery.ServerID("222222222222", id(1)) {
		t.Fatalf("server ID %q", sid)
	}
	p1 := discovery.ProcessID(acct, sid, "a/b", "c", "")
	p2 := discovery.ProcessID(acct, sid, "a", "b/c", "")
	if p1 == p2 || len(p1) != len("d-process-")+17 {
		t.Fatalf("process IDs %q %q", p1, p2)
	}
	if c := discovery.ConnectionID(acct, "10.0.0.1", "10.0.0.2", 80, "tcp", "", ""); len(c) != 17 || c == discovery.ConnectionID(acct, "10.0.0.1", "10.0.0.2", 81, "tcp", "", "") {
		t.Fatalf("connection ID %q", c)
	}
}

// forwarded records what intake forwards.
type forwarded struct {
	calls    int
	accepted []string
	live     bool // the context was not canceled
}

func (f *forwarded) Forward(ctx context.Context, account string, b *agentdata.Batch, accepted []string) {
	f.calls++
	f.accepted = append(f.accepted, accepted...)
	f.live = ctx.Err() == nil
}

// Intake forwards the accepted reports of a batch, once stored, even when
// the caller's context ends meanwhile; duplicates and invalid batches are not
// forwarded.
func TestIntakeForwardsAccepted(t *testing.T) {
	eachStore(t, func(t *testing.T, st *testStore) {
		fw := &forwarded{}
		s := agents.New(agents.Config{Store: st, Now: func() time.Time { return t0 }, Tokens: pagetoken.New([]byte("secret")), Forward: fw})
		report := func(rid string) agentdata.Report { // one moment per report ID
			return agentdata.Report{ReportID: rid, AgentID: id(1), Timestamp: float64(t0.Unix()) + float64(rid[len(rid)-1]), Server: agentdata.ServerInfo{HostName: "h"}}
		}
		if _, err := s.Intake(context.Background(), acct, &agentdata.Batch{Reports: []agentdata.Report{report("r-1"), report("r-2")}}); err != nil {
			t.Fatal(err)
		}
		if fw.calls != 1 || !slices.Equal(fw.accepted, []string{"r-1", "r-2"}) || !fw.live {
			t.Fatalf("forwarded %+v", fw)
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		b := &agentdata.Batch{Reports: []agentdata.Report{report("r-1"), report("r-3")}}
		res, err := s.Intake(ctx, acct, b)
		if err != nil {
			t.Fatal(err)
		}
		if res.Duplicates != 1 || fw.calls != 2 || !slices.Equal(fw.accepted, []string{"r-1", "r-2", "r-3"}) {
			t.Fatalf("after a duplicate: %+v, forwarded %+v", res, fw)
		}
		if _, err := s.Intake(context.Background(), acct, &agentdata.Batch{Reports: []agentdata.Report{report("r-1")}}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Intake(context.Background(), acct, &agentdata.Batch{Reports: []agentdata.Report{{ReportID: "bad"}}}); err == nil {
			t.Fatal("an invalid batch was taken in")
		}
		if fw.calls != 2 {
			t.Fatalf("a batch with nothing accepted was forwarded: %+v", fw)
		}
	})
}
