package inventory

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/pagetoken"
)

func wantErr(t *testing.T, err error, code discovery.ErrorCode, msgPart string) {
	t.Helper()
	var de *discovery.Error
	if !errors.As(err, &de) {
		t.Fatalf("error = %v, want %s", err, code)
	}
	if de.Code != code || !strings.Contains(de.Message, msgPart) {
		t.Fatalf("error = %s %q, want %s containing %q", de.Code, de.Message, code, msgPart)
	}
}

func TestCompileFiltersValidation(t *testing.T) {
	for _, tc := range []struct {
		name string
		typ  discovery.ItemType
		f    Filter
		code discovery.ErrorCode // "" = valid
		msg  string
	}{
		{"unknown name", discovery.TypeServer, Filter{"server.nope", []string{"x"}, "EQUALS"}, discovery.InvalidParameter, "server.nope"},
		{"name of another type", discovery.TypeServer, Filter{"process.name", []string{"x"}, "EQUALS"}, discovery.InvalidParameter, "not supported for configurationType SERVER"},
		{"sort-only name", discovery.TypeApplication, Filter{"application.serverCount", []string{"1"}, "EQUALS"}, discovery.InvalidParameter, "application.serverCount"},
		{"C4 refuses CONTAINS", discovery.TypeServer, Filter{"server.agentId", []string{"x"}, "CONTAINS"}, discovery.InvalidParameterValue, "Supported conditions: EQUALS, NOT_EQUALS, EQ, NE."},
		{"C6 refuses GE", discovery.TypeServer, Filter{"server.hostName", []string{"x"}, "GE"}, discovery.InvalidParameterValue, "'GE'"},
		{"CN refuses EQUALS", discovery.TypeServer, Filter{"server.performance.avgCpuUsagePct", []string{"1"}, "EQUALS"}, discovery.InvalidParameterValue, "GE, LE, GT, LT"},
		{"unknown condition", discovery.TypeServer, Filter{"server.hostName", []string{"x"}, "LIKE"}, discovery.InvalidParameterValue, "'LIKE'"},
		{"non-numeric", discovery.TypeServer, Filter{"server.performance.avgFreeRAMInKB", []string{"12", "lots"}, "GT"}, discovery.InvalidParameterValue, "'lots'"},
		{"NaN", discovery.TypeServer, Filter{"server.performance.avgFreeRAMInKB", []string{"NaN"}, "GT"}, discovery.InvalidParameterValue, "not a number"},
		{"non-integer port", discovery.TypeConnection, Filter{"connection.destinationPort", []string{"80.5"}, "EQUALS"}, discovery.InvalidParameterValue, "not an integer"},
		{"no values", discovery.TypeServer, Filter{"server.hostName", []string{}, "EQUALS"}, discovery.InvalidParameterValue, "at least one value"},
		{"valid C6", discovery.TypeServer, Filter{"server.hostName", []string{"a"}, "NOT_CONTAINS"}, "", ""},
		{"EQ alias", discovery.TypeServer, Filter{"server.type", []string{"EC2"}, "EQ"}, "", ""},
		{"NE alias", discovery.TypeServer, Filter{"server.type", []string{"EC2"}, "NE"}, "", ""},
		{"lower-case condition", discovery.TypeServer, Filter{"server.type", []string{"EC2"}, "equals"}, "", ""},
		{"case-insensitive name", discovery.TypeServer, Filter{"server.configurationid", []string{"d-server-1"}, "EQUALS"}, "", ""},
		{"guide's typo", discovery.TypeConnection, Filter{"destinationprocess.commandLine", []string{"x"}, "CONTAINS"}, "", ""},
		{"numeric", discovery.TypeServer, Filter{"server.performance.totalDiskFreeSizeInKB", []string{"1024", "-12.5", "0.25", "007"}, "LE"}, "", ""},
		// Plain decimal numbers only, though strconv reads these.
		{"exponent", discovery.TypeServer, Filter{"server.performance.totalDiskFreeSizeInKB", []string{"1e3"}, "LE"}, discovery.InvalidParameterValue, "'1e3' of the filter 'server.performance.totalDiskFreeSizeInKB' is not a number"},
		{"hex float", discovery.TypeServer, Filter{"server.performance.avgCpuUsagePct", []string{"0x1p4"}, "GE"}, discovery.InvalidParameterValue, "'0x1p4'"},
		{"underscores", discovery.TypeServer, Filter{"server.performance.avgCpuUsagePct", []string{"1_000"}, "GE"}, discovery.InvalidParameterValue, "'1_000'"},
		{"hex underscores", discovery.TypeServer, Filter{"server.performance.avgCpuUsagePct", []string{"0x1_0p0"}, "GE"}, discovery.InvalidParameterValue, "'0x1_0p0'"},
		{"leading space", discovery.TypeServer, Filter{"server.performance.avgCpuUsagePct", []string{" 5"}, "GE"}, discovery.InvalidParameterValue, "' 5'"},
		{"trailing space", discovery.TypeServer, Filter{"server.performance.avgCpuUsagePct", []string{"5 "}, "GE"}, discovery.InvalidParameterValue, "'5 '"},
		{"plus sign", discovery.TypeServer, Filter{"server.performance.avgCpuUsagePct", []string{"+5"}, "GE"}, discovery.InvalidParameterValue, "'+5'"},
		{"bare point", discovery.TypeServer, Filter{"server.performance.avgCpuUsagePct", []string{"5."}, "GE"}, discovery.InvalidParameterValue, "'5.'"},
		{"Infinity", discovery.TypeServer, Filter{"server.performance.avgCpuUsagePct", []string{"Infinity"}, "GE"}, discovery.InvalidParameterValue, "not a number"},
		{"too large", discovery.TypeServer, Filter{"server.performance.avgCpuUsagePct", []string{"1" + strings.Repeat("0", 400)}, "GE"}, discovery.InvalidParameterValue, "out of range"},
		{"hex port", discovery.TypeConnection, Filter{"connection.destinationPort", []string{"0x50"}, "EQUALS"}, discovery.InvalidParameterValue, "'0x50' of the filter 'connection.destinationPort' is not an integer"},
		{"port with underscore", discovery.TypeConnection, Filter{"connection.destinationPort", []string{"4_43"}, "EQUALS"}, discovery.InvalidParameterValue, "not an integer"},
		{"port with space", discovery.TypeConnection, Filter{"connection.destinationPort", []string{" 443"}, "EQUALS"}, discovery.InvalidParameterValue, "not an integer"},
		{"port past int64", discovery.TypeConnection, Filter{"connection.destinationPort", []string{"99999999999999999999"}, "EQUALS"}, discovery.InvalidParameterValue, "out of range"},
		{"port", discovery.TypeConnection, Filter{"connection.destinationPort", []string{"443", "-1", "0"}, "NOT_EQUALS"}, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := CompileFilters(tc.typ, []Filter{tc.f})
			if tc.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantErr(t, err, tc.code, tc.msg)
		})
	}
}

func TestCompileFiltersNormalizes(t *testing.T) {
	got, err := CompileFilters(discovery.TypeServer, []Filter{
		{"SERVER.HOSTNAME", []string{"b", "a", "b"}, "eq"},
		{"server.performance.avgCpuUsagePct", []string{"50", "10", "20"}, "GE"},
		{"server.performance.avgCpuUsagePct", []string{"50", "10", "20"}, "LT"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []Condition{
		{Field: "server.hostName", Op: Equals, Values: []any{"a", "b"}},
		{Field: "server.performance.avgCpuUsagePct", Op: GE, Values: []any{10.0}},
		{Field: "server.performance.avgCpuUsagePct", Op: LT, Values: []any{50.0}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v\nwant %#v", got, want)
	}
	ports, err := CompileFilters(discovery.TypeConnection, []Filter{{"connection.destinationPort", []string{"443", "80", "443"}, "NOT_EQUALS"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := []any{int64(80), int64(443)}; !reflect.DeepEqual(ports[0].Values, want) || ports[0].Op != NotEquals {
		t.Fatalf("ports = %#v", ports)
	}
}

func TestCompileOrder(t *testing.T) {
	got, err := CompileOrder(discovery.TypeServer, []Order{{"server.osName", "DESC"}, {"SERVER.hostName", ""}})
	if err != nil {
		t.Fatal(err)
	}
	if want := []OrderKey{{"server.osName", true}, {"server.hostName", false}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v", got)
	}
	for _, tc := range []struct {
		typ discovery.ItemType
		o   []Order
		msg string
	}{
		{discovery.TypeServer, []Order{{"server.agentId", "ASC"}}, "server.agentId"}, // filter, not sortable
		{discovery.TypeServer, []Order{{"server.nope", "ASC"}}, "server.nope"},       // unknown
		{discovery.TypeProcess, []Order{{"process.path", "ASC"}}, "Sortable fields: process.commandLine, process.name, server.hostName, server.osName, server.osVersion"},
		{discovery.TypeServer, []Order{{"server.hostName", "ASC"}, {"server.hostname", "DESC"}}, "more than once"},
		{discovery.TypeServer, []Order{{"server.hostName", "UP"}}, "sortOrder"},
	} {
		_, err := CompileOrder(tc.typ, tc.o)
		wantErr(t, err, discovery.InvalidParameterValue, tc.msg)
	}
	for _, typ := range discovery.ItemTypes() {
		for _, f := range Fields(typ) {
			if _, err := CompileOrder(typ, []Order{{f.Name, "DESC"}}); (err == nil) != f.Sortable {
				t.Errorf("%s %s: sortable %v, CompileOrder err %v", typ, f.Name, f.Sortable, err)
			}
		}
	}
}

// fakeStore records queries and serves canned items.
type fakeStore struct {
	queries []Query
	items   []Item
	summary SummaryCounts
}

func (f *fakeStore) ListItems(_ context.Context, q Query) ([]Item, error) {
	f.queries = append(f.queries, q)
	var out []Item
	for _, it := range f.items {
		if q.After != nil && it.Cursor.ID <= q.After.ID {
			continue
		}
		out = append(out, it)
		if q.Limit > 0 && len(out) == q.Limit {
			break
		}
	}
	return out, nil
}
func (f *fakeStore) DescribeServers(context.Context, string, []string) ([]ServerItem, error) {
	return nil, nil
}
func (f *fakeStore) ListNeighbors(context.Context, NeighborQuery) ([]Neighbor, error) {
	return nil, nil
}
func (f *fakeStore) CountNeighbors(context.Context, NeighborQuery) (int64, error) { return 0, nil }
func (f *fakeStore) Summary(context.Context, string) (*SummaryCounts, error) {
	return &f.summary, nil
}

func newService(st Store) *Service {
	return New(Config{Store: st, Tokens: pagetoken.New([]byte("test"))})
}

func TestListConfigurationsTokensAndMaxResults(t *testing.T) {
	st := &fakeStore{}
	for _, id := range []string{"d-application-1", "d-application-2", "d-application-3"} {
		st.items = append(st.items, Item{Application: &ApplicationItem{ID: id, Name: id}, Cursor: Cursor{ID: id}})
	}
	svc := newService(st)
	ctx := context.Background()
	two := int32(2)
	p1, err := svc.ListConfigurations(ctx, "111111111111", ListInput{Type: "APPLICATION", MaxResults: &two})
	if err != nil {
		t.Fatal(err)
	}
	if len(p1.Configurations) != 2 || p1.Next == "" {
		t.Fatalf("page 1 = %v", p1)
	}
	if st.queries[0].Limit != 3 {
		t.Fatalf("store limit = %d, want page size + 1", st.queries[0].Limit)
	}
	p2, err := svc.ListConfigurations(ctx, "111111111111", ListInput{Type: "APPLICATION", MaxResults: &two, NextToken: &p1.Next})
	if err != nil {
		t.Fatal(err)
	}
	if len(p2.Configurations) != 1 || p2.Next != "" || p2.Configurations[0]["application.configurationId"] != "d-application-3" {
		t.Fatalf("page 2 = %v", p2)
	}
	// The token is bound to the account, the type, the filters and the order.
	for name, in := range map[string]ListInput{
		"other type":    {Type: "SERVER", NextToken: &p1.Next},
		"other filters": {Type: "APPLICATION", NextToken: &p1.Next, Filters: []Filter{{"application.name", []string{"x"}, "CONTAINS"}}},
		"other order":   {Type: "APPLICATION", NextToken: &p1.Next, OrderBy: []Order{{"application.name", "ASC"}}},
		"garbage":       {Type: "APPLICATION", NextToken: ptrTo("garbage")},
	} {
		_, err := svc.ListConfigurations(ctx, "111111111111", in)
		wantErr(t, err, discovery.InvalidParameterValue, "The nextToken is not valid for this request.")
		_ = name
	}
	_, err = svc.ListConfigurations(ctx, "222222222222", ListInput{Type: "APPLICATION", NextToken: &p1.Next})
	wantErr(t, err, discovery.InvalidParameterValue, "nextToken")

	neg := int32(-1)
	_, err = svc.ListConfigurations(ctx, "111111111111", ListInput{Type: "APPLICATION", MaxResults: &neg})
	wantErr(t, err, discovery.InvalidParameterValue, "1 validation error detected: Value '-1' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 0")
	for _, m := range []int32{0, 100, 1000} {
		st.queries = nil
		if _, err := svc.ListConfigurations(ctx, "111111111111", ListInput{Type: "APPLICATION", MaxResults: &m}); err != nil {
			t.Fatal(err)
		}
		if st.queries[0].Limit != 101 {
			t.Errorf("maxResults %d: store limit %d, want 101", m, st.queries[0].Limit)
		}
	}
}

func ptrTo[T any](v T) *T { return &v }

func TestDescribeConfigurationsIDTypes(t *testing.T) {
	svc := newService(&fakeStore{})
	ctx := context.Background()
	_, err := svc.DescribeConfigurations(ctx, "111111111111", []string{"d-server-1", "d-process-1"})
	wantErr(t, err, discovery.InvalidParameterValue, "same type")
	_, err = svc.DescribeConfigurations(ctx, "111111111111", []string{"d-server-1", "i-12345"})
	wantErr(t, err, discovery.InvalidParameterValue, "'i-12345' is not valid")
	out, err := svc.DescribeConfigurations(ctx, "111111111111", []string{})
	if err != nil || out == nil || len(out) != 0 {
		t.Fatalf("empty list: %v %v", out, err)
	}
}

func TestListServerNeighborsValidation(t *testing.T) {
	svc := newService(&fakeStore{})
	ctx := context.Background()
	_, err := svc.ListServerNeighbors(ctx, "111111111111", NeighborsInput{ConfigurationID: "d-process-1"})
	wantErr(t, err, discovery.InvalidParameterValue, "not a server configuration ID")
	_, err = svc.ListServerNeighbors(ctx, "111111111111", NeighborsInput{ConfigurationID: "d-server-1", NeighborIDs: []string{"d-application-1"}})
	wantErr(t, err, discovery.InvalidParameterValue, "d-application-1")
	neg := int32(-5)
	_, err = svc.ListServerNeighbors(ctx, "111111111111", NeighborsInput{ConfigurationID: "d-server-1", MaxResults: &neg})
	wantErr(t, err, discovery.InvalidParameterValue, "Value '-5' at 'maxResults'")
	_, err = svc.ListServerNeighbors(ctx, "111111111111", NeighborsInput{ConfigurationID: "d-server-1", NextToken: ptrTo("x.y")})
	wantErr(t, err, discovery.InvalidParameterValue, "nextToken")
	page, err := svc.ListServerNeighbors(ctx, "111111111111", NeighborsInput{ConfigurationID: "d-server-1"})
	if err != nil || page.Neighbors != nil || page.KnownDependencyCount != 0 {
		t.Fatalf("page = %+v, %v", page, err)
	}
}

func TestSummaryMapping(t *testing.T) {
	st := &fakeStore{summary: SummaryCounts{Servers: 7, Applications: 2, ServersInApplications: 3, ServersWithTags: 4, Agents: []AgentCount{
		{"EC2", "HEALTHY", "STARTED", 5},
		{"EC2", "UNHEALTHY", "STOPPED", 1},
		{"VMWARE", "SHUTDOWN", "STOPPED", 2},
		{"", "BLACKLISTED", "STARTED", 1},
		{"EC2", "UNKNOWN", "STOPPED", 1},
		{"EC2", "RUNNING", "STARTED", 1},
		{"connector", "HEALTHY", "STARTED", 2},
		{"CONNECTOR", "UNHEALTHY", "STOPPED", 1},
		{"AGENTLESS_COLLECTOR", "HEALTHY", "STARTED", 1},
		{"ME_COLLECTOR", "BLACKLISTED", "STOPPED", 1},
	}}}
	got, err := newService(st).GetDiscoverySummary(context.Background(), "111111111111")
	if err != nil {
		t.Fatal(err)
	}
	want := &DiscoverySummary{
		Servers: 7, Applications: 2, ServersMappedToApplications: 3, ServersMappedToTags: 4,
		Agents:              CollectorCounts{Active: 7, Healthy: 5, DenyListed: 1, Shutdown: 2, Unhealthy: 1, Total: 11, Unknown: 1},
		Connectors:          CollectorCounts{Active: 2, Healthy: 2, Unhealthy: 1, Total: 3},
		AgentlessCollectors: CollectorCounts{Active: 1, Healthy: 1, Total: 1},
		MeCollectors:        CollectorCounts{DenyListed: 1, Total: 1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
}

func TestFieldTableMatchesGuide(t *testing.T) {
	// Counts per type: the guide's tables (SERVER 26, APPLICATION 7, PROCESS 8,
	// CONNECTION 14) plus five CONNECTION names of the 2016 SDK docs.
	want := map[discovery.ItemType]int{discovery.TypeServer: 26, discovery.TypeApplication: 7, discovery.TypeProcess: 8, discovery.TypeConnection: 19}
	for typ, n := range want {
		if got := len(Fields(typ)); got != n {
			t.Errorf("%s: %d fields, want %d", typ, got, n)
		}
	}
}

type neighborStore struct {
	fakeStore
	got []NeighborQuery
}

func (n *neighborStore) ListNeighbors(_ context.Context, q NeighborQuery) ([]Neighbor, error) {
	n.got = append(n.got, q)
	return nil, nil
}

func TestListServerNeighborsRestriction(t *testing.T) {
	st := &neighborStore{}
	svc := newService(st)
	for _, ids := range [][]string{nil, {}} {
		if _, err := svc.ListServerNeighbors(context.Background(), "111111111111", NeighborsInput{ConfigurationID: "d-server-1", NeighborIDs: ids}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.ListServerNeighbors(context.Background(), "111111111111", NeighborsInput{ConfigurationID: "d-server-1",
		NeighborIDs: []string{"d-server-3", "d-server-2", "d-server-3"}, PortInformationNeeded: true}); err != nil {
		t.Fatal(err)
	}
	if st.got[0].Only != nil || st.got[1].Only != nil || !reflect.DeepEqual(st.got[2].Only, []string{"d-server-2", "d-server-3"}) || !st.got[2].Ports {
		t.Fatalf("queries %+v", st.got)
	}
	if st.got[0].Limit != 101 {
		t.Fatalf("limit %d", st.got[0].Limit)
	}
}
