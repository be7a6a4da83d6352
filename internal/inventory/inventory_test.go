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
		f    discovery.Filter
		code discovery.ErrorCode // "" = valid
		msg  string
	}{
		{"unknown name", discovery.TypeServer, discovery.Filter{Name: "server.nope", Values: []string{"x"}, Condition: "EQUALS"}, discovery.InvalidParameter, "server.nope"},
		{"name of another type", discovery.TypeServer, discovery.Filter{Name: "process.name", Values: []string{"x"}, Condition: "EQUALS"}, discovery.InvalidParameter, "not supported for configurationType SERVER"},
		{"sort-only name", discovery.TypeApplication, discovery.Filter{Name: "application.serverCount", Values: []string{"1"}, Condition: "EQUALS"}, discovery.InvalidParameter, "application.serverCount"},
		{"C4 refuses CONTAINS", discovery.TypeServer, discovery.Filter{Name: "server.agentId", Values: []string{"x"}, Condition: "CONTAINS"}, discovery.InvalidParameterValue, "Supported conditions: EQUALS, NOT_EQUALS, EQ, NE."},
		{"C6 refuses GE", discovery.TypeServer, discovery.Filter{Name: "server.hostName", Values: []string{"x"}, Condition: "GE"}, discovery.InvalidParameterValue, "'GE'"},
		{"CN refuses EQUALS", discovery.TypeServer, discovery.Filter{Name: "server.performance.avgCpuUsagePct", Values: []string{"1"}, Condition: "EQUALS"}, discovery.InvalidParameterValue, "GE, LE, GT, LT"},
		{"unknown condition", discovery.TypeServer, discovery.Filter{Name: "server.hostName", Values: []string{"x"}, Condition: "LIKE"}, discovery.InvalidParameterValue, "'LIKE'"},
		{"non-numeric", discovery.TypeServer, discovery.Filter{Name: "server.performance.avgFreeRAMInKB", Values: []string{"12", "lots"}, Condition: "GT"}, discovery.InvalidParameterValue, "'lots'"},
		{"NaN", discovery.TypeServer, discovery.Filter{Name: "server.performance.avgFreeRAMInKB", Values: []string{"NaN"}, Condition: "GT"}, discovery.InvalidParameterValue, "not a number"},
		{"non-integer port", discovery.TypeConnection, discovery.Filter{Name: "connection.destinationPort", Values: []string{"80.5"}, Condition: "EQUALS"}, discovery.InvalidParameterValue, "not an integer"},
		{"no values", discovery.TypeServer, discovery.Filter{Name: "server.hostName", Values: []string{}, Condition: "EQUALS"}, discovery.InvalidParameterValue, "at least one value"},
		{"valid C6", discovery.TypeServer, discovery.Filter{Name: "server.hostName", Values: []string{"a"}, Condition: "NOT_CONTAINS"}, "", ""},
		{"EQ alias", discovery.TypeServer, discovery.Filter{Name: "server.type", Values: []string{"EC2"}, Condition: "EQ"}, "", ""},
		{"NE alias", discovery.TypeServer, discovery.Filter{Name: "server.type", Values: []string{"EC2"}, Condition: "NE"}, "", ""},
		{"lower-case condition", discovery.TypeServer, discovery.Filter{Name: "server.type", Values: []string{"EC2"}, Condition: "equals"}, "", ""},
		{"case-insensitive name", discovery.TypeServer, discovery.Filter{Name: "server.configurationid", Values: []string{"d-server-1"}, Condition: "EQUALS"}, "", ""},
		{"guide's typo", discovery.TypeConnection, discovery.Filter{Name: "destinationprocess.commandLine", Values: []string{"x"}, Condition: "CONTAINS"}, "", ""},
		{"numeric", discovery.TypeServer, discovery.Filter{Name: "server.performance.totalDiskFreeSizeInKB", Values: []string{"1024", "-12.5", "0.25", "007"}, Condition: "LE"}, "", ""},
		// Plain decimal numbers only, though strconv reads these.
		{"exponent", discovery.TypeServer, discovery.Filter{Name: "server.performance.totalDiskFreeSizeInKB", Values: []string{"1e3"}, Condition: "LE"}, discovery.InvalidParameterValue, "'1e3' of the filter 'server.performance.totalDiskFreeSizeInKB' is not a number"},
		{"hex float", discovery.TypeServer, discovery.Filter{Name: "server.performance.avgCpuUsagePct", Values: []string{"0x1p4"}, Condition: "GE"}, discovery.InvalidParameterValue, "'0x1p4'"},
		{"underscores", discovery.TypeServer, discovery.Filter{Name: "server.performance.avgCpuUsagePct", Values: []string{"1_000"}, Condition: "GE"}, discovery.InvalidParameterValue, "'1_000'"},
		{"hex underscores", discovery.TypeServer, discovery.Filter{Name: "server.performance.avgCpuUsagePct", Values: []string{"0x1_0p0"}, Condition: "GE"}, discovery.InvalidParameterValue, "'0x1_0p0'"},
		{"leading space", discovery.TypeServer, discovery.Filter{Name: "server.performance.avgCpuUsagePct", Values: []string{" 5"}, Condition: "GE"}, discovery.InvalidParameterValue, "' 5'"},
		{"trailing space", discovery.TypeServer, discovery.Filter{Name: "server.performance.avgCpuUsagePct", Values: []string{"5 "}, Condition: "GE"}, discovery.InvalidParameterValue, "'5 '"},
		{"plus sign", discovery.TypeServer, discovery.Filter{Name: "server.performance.avgCpuUsagePct", Values: []string{"+5"}, Condition: "GE"}, discovery.InvalidParameterValue, "'+5'"},
		{"bare point", discovery.TypeServer, discovery.Filter{Name: "server.performance.avgCpuUsagePct", Values: []string{"5."}, Condition: "GE"}, discovery.InvalidParameterValue, "'5.'"},
		{"Infinity", discovery.TypeServer, discovery.Filter{Name: "server.performance.avgCpuUsagePct", Values: []string{"Infinity"}, Condition: "GE"}, discovery.InvalidParameterValue, "not a number"},
		{"too large", discovery.TypeServer, discovery.Filter{Name: "server.performance.avgCpuUsagePct", Values: []string{"1" + strings.Repeat("0", 400)}, Condition: "GE"}, discovery.InvalidParameterValue, "out of range"},
		{"hex port", discovery.TypeConnection, discovery.Filter{Name: "connection.destinationPort", Values: []string{"0x50"}, Condition: "EQUALS"}, discovery.InvalidParameterValue, "'0x50' of the filter 'connection.destinationPort' is not an integer"},
		{"port with underscore", discovery.TypeConnection, discovery.Filter{Name: "connection.destinationPort", Values: []string{"4_43"}, Condition: "EQUALS"}, discovery.InvalidParameterValue, "not an integer"},
		{"port with space", discovery.TypeConnection, discovery.Filter{Name: "connection.destinationPort", Values: []string{" 443"}, Condition: "EQUALS"}, discovery.InvalidParameterValue, "not an integer"},
		{"port past int64", discovery.TypeConnection, discovery.Filter{Name: "connection.destinationPort", Values: []string{"99999999999999999999"}, Condition: "EQUALS"}, discovery.InvalidParameterValue, "out of range"},
		{"port", discovery.TypeConnection, discovery.Filter{Name: "connection.destinationPort", Values: []string{"443", "-1", "0"}, Condition: "NOT_EQUALS"}, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := CompileFilters(tc.typ, []discovery.Filter{tc.f})
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
	got, err := CompileFilters(discovery.TypeServer, []discovery.Filter{
		{Name: "SERVER.HOSTNAME", Values: []string{"b", "a", "b"}, Condition: "eq"},
		{Name: "server.performance.avgCpuUsagePct", Values: []string{"50", "10", "20"}, Condition: "GE"},
		{Name: "server.performance.avgCpuUsagePct", Values: []string{"50", "10", "20"}, Condition: "LT"},
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
	ports, err := CompileFilters(discovery.TypeConnection, []discovery.Filter{{Name: "connection.destinationPort", Values: []string{"443", "80", "443"}, Condition: "NOT_EQUALS"}})
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
	if want := []SortKey{{Field: "server.osName", Desc: true}, {Field: "server.hostName", Desc: false}}; !reflect.DeepEqual(got, want) {
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
	queries []discovery.ItemQuery
	items   []discovery.Item
	summary discovery.SummaryCounts
}

func (f *fakeStore) ListItems(_ context.Context, q discovery.ItemQuery) ([]discovery.Item, error) {
	f.queries = append(f.queries, q)
	var out []discovery.Item
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
func (f *fakeStore) DescribeServers(context.Context, string, []string) ([]discovery.ServerDetail, error) {
	return nil, nil
}
func (f *fakeStore) ListNeighbors(context.Context, discovery.NeighborQuery) ([]discovery.Neighbor, error) {
	return nil, nil
}
func (f *fakeStore) CountNeighbors(context.Context, discovery.NeighborQuery) (int64, error) {
	return 0, nil
}
func (f *fakeStore) Summary(context.Context, string) (*discovery.SummaryCounts, error) {
	return &f.summary, nil
}

func newService(st Store) *Service {
	return New(Config{Store: st, Tokens: pagetoken.New([]byte("test"))})
}

func TestListConfigurationsTokensAndMaxResults(t *testing.T) {
	st := &fakeStore{}
	for _, id := range []string{"d-application-1", "d-application-2", "d-application-3"} {
		st.items = append(st.items, discovery.Item{Application: &discovery.Application{ID: id, Name: id}, Cursor: discovery.ItemCursor{ID: id}})
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
		"other filters": {Type: "APPLICATION", NextToken: &p1.Next, Filters: []discovery.Filter{{Name: "application.name", Values: []string{"x"}, Condition: "CONTAINS"}}},
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
	st := &fakeStore{summary: discovery.SummaryCounts{Servers: 7, Applications: 2, ServersInApplications: 3, ServersWithTags: 4, Agents: []discovery.AgentCount{
		{Type: "EC2", Health: "HEALTHY", CollectionStatus: "STARTED", Count: 5},
		{Type: "EC2", Health: "UNHEALTHY", CollectionStatus: "STOPPED", Count: 1},
		{Type: "VMWARE", Health: "SHUTDOWN", CollectionStatus: "STOPPED", Count: 2},
		{Type: "", Health: "BLACKLISTED", CollectionStatus: "STARTED", Count: 1},
		{Type: "EC2", Health: "UNKNOWN", CollectionStatus: "STOPPED", Count: 1},
		{Type: "EC2", Health: "RUNNING", CollectionStatus: "STARTED", Count: 1},
		{Type: "connector", Health: "HEALTHY", CollectionStatus: "STARTED", Count: 2},
		{Type: "CONNECTOR", Health: "UNHEALTHY", CollectionStatus: "STOPPED", Count: 1},
		{Type: "AGENTLESS_COLLECTOR", Health: "HEALTHY", CollectionStatus: "STARTED", Count: 1},
		{Type: "ME_COLLECTOR", Health: "BLACKLISTED", CollectionStatus: "STOPPED", Count: 1},
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
	got []discovery.NeighborQuery
}

func (n *neighborStore) ListNeighbors(_ context.Context, q discovery.NeighborQuery) ([]discovery.Neighbor, error) {
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

// Each filter and sort name reads one typed field of its own item type, and
// every field of the type has a name.
func TestFieldKeys(t *testing.T) {
	for _, typ := range discovery.ItemTypes() {
		keys := map[discovery.Field]string{}
		for _, f := range Fields(typ) {
			if f.Key.Type() != typ {
				t.Errorf("%s %s: key %d is a field of %q", typ, f.Name, f.Key, f.Key.Type())
			}
			if other, dup := keys[f.Key]; dup {
				t.Errorf("%s: %s and %s read the same field", typ, f.Name, other)
			}
			keys[f.Key] = f.Name
		}
		for _, k := range discovery.FieldsOf(typ) {
			if _, ok := keys[k]; !ok {
				t.Errorf("%s: field %d has no name", typ, k)
			}
		}
	}
}

// Where merges the conditions of a request into few predicates that mean
// the same, and says how each is compared.
func TestWhere(t *testing.T) {
	f := func(name, cond string, values ...string) discovery.Filter {
		return discovery.Filter{Name: name, Values: values, Condition: cond}
	}
	for _, tc := range []struct {
		name string
		typ  discovery.ItemType
		fs   []discovery.Filter
		want []discovery.Predicate
	}{
		{"equal is exact, contains folds case", discovery.TypeServer, []discovery.Filter{
			f("server.hostName", "EQUALS", "b", "a"), f("server.osName", "CONTAINS", "x"),
		}, []discovery.Predicate{
			{Field: discovery.FieldServerHostName, Match: discovery.MatchEqual, Quant: discovery.AnyMatch, Text: []string{"a", "b"}},
			{Field: discovery.FieldServerOSName, Match: discovery.MatchContains, Quant: discovery.AnyMatch, Fold: true, Text: []string{"x"}},
		}},
		{"negations: none of the values; lists", discovery.TypeServer, []discovery.Filter{
			f("server.tag.key", "NOT_EQUALS", "k"), f("server.hostName", "NE", "h"), f("server.process.name", "NOT_CONTAINS", "p"),
		}, []discovery.Predicate{
			{Field: discovery.FieldServerTagKey, Multi: true, Match: discovery.MatchEqual, Quant: discovery.NoMatch, Text: []string{"k"}},
			{Field: discovery.FieldServerHostName, Match: discovery.MatchEqual, Quant: discovery.NoMatch, Text: []string{"h"}},
			{Field: discovery.FieldServerProcessName, Multi: true, Match: discovery.MatchContains, Quant: discovery.NoMatch, Fold: true, Text: []string{"p"}},
		}},
		{"a repeated filter counts once", discovery.TypeServer, []discovery.Filter{
			f("server.hostName", "CONTAINS", "a", "b"), f("server.hostName", "CONTAINS", "b", "a"),
		}, []discovery.Predicate{
			{Field: discovery.FieldServerHostName, Match: discovery.MatchContains, Quant: discovery.AnyMatch, Fold: true, Text: []string{"a", "b"}},
		}},
		{"equal sets on a scalar intersect", discovery.TypeServer, []discovery.Filter{
			f("server.type", "EQUALS", "a", "b", "c"), f("server.type", "EQ", "c", "b", "d"),
		}, []discovery.Predicate{
			{Field: discovery.FieldServerType, Match: discovery.MatchEqual, Quant: discovery.AnyMatch, Text: []string{"b", "c"}},
		}},
		{"disjoint equal sets match nothing", discovery.TypeConnection, []discovery.Filter{
			f("connection.destinationPort", "EQUALS", "80"), f("connection.destinationPort", "EQUALS", "443"),
		}, []discovery.Predicate{
			{Field: discovery.FieldConnectionDestinationPort, Match: discovery.MatchEqual, Quant: discovery.AnyMatch, Ints: []int64{}},
		}},
		{"negated sets unite", discovery.TypeConnection, []discovery.Filter{
			f("connection.destinationPort", "NOT_EQUALS", "80", "443"), f("connection.destinationPort", "NE", "443", "22"),
		}, []discovery.Predicate{
			{Field: discovery.FieldConnectionDestinationPort, Match: discovery.MatchEqual, Quant: discovery.NoMatch, Ints: []int64{80, 443, 22}},
		}},
		{"bounds: the tightest", discovery.TypeServer, []discovery.Filter{
			f("server.performance.avgCpuUsagePct", "GE", "10", "30"), f("server.performance.avgCpuUsagePct", "GE", "20"),
			f("server.performance.avgFreeRAMInKB", "LT", "5"), f("server.performance.avgFreeRAMInKB", "LT", "7", "3"),
			f("server.performance.totalDiskFreeSizeInKB", "GT", "1.5"), f("server.performance.totalDiskFreeSizeInKB", "LE", "9"),
		}, []discovery.Predicate{
			{Field: discovery.FieldServerAvgCPUPct, Match: discovery.MatchAtLeast, Quant: discovery.AnyMatch, Nums: []float64{20}},
			{Field: discovery.FieldServerAvgFreeRAMKB, Match: discovery.MatchBelow, Quant: discovery.AnyMatch, Nums: []float64{5}},
			{Field: discovery.FieldServerDiskFreeKB, Match: discovery.MatchAbove, Quant: discovery.AnyMatch, Nums: []float64{1.5}},
			{Field: discovery.FieldServerDiskFreeKB, Match: discovery.MatchAtMost, Quant: discovery.AnyMatch, Nums: []float64{9}},
		}},
		{"contains, and equal over a list: one predicate per filter", discovery.TypeServer, []discovery.Filter{
			f("server.hostName", "CONTAINS", "a"), f("server.tag.value", "EQUALS", "x"), f("server.hostName", "CONTAINS", "b"), f("server.tag.value", "EQUALS", "y"),
		}, []discovery.Predicate{
			{Field: discovery.FieldServerHostName, Match: discovery.MatchContains, Quant: discovery.AnyMatch, Fold: true, Text: []string{"a"}},
			{Field: discovery.FieldServerHostName, Match: discovery.MatchContains, Quant: discovery.AnyMatch, Fold: true, Text: []string{"b"}},
			{Field: discovery.FieldServerTagValue, Multi: true, Match: discovery.MatchEqual, Quant: discovery.AnyMatch, Text: []string{"x"}},
			{Field: discovery.FieldServerTagValue, Multi: true, Match: discovery.MatchEqual, Quant: discovery.AnyMatch, Text: []string{"y"}},
		}},
		{"an application's servers are a list", discovery.TypeApplication, []discovery.Filter{f("server.configurationId", "EQUALS", "d-server-1")}, []discovery.Predicate{
			{Field: discovery.FieldApplicationServerID, Multi: true, Match: discovery.MatchEqual, Quant: discovery.AnyMatch, Text: []string{"d-server-1"}},
		}},
		{"a process's server is one", discovery.TypeProcess, []discovery.Filter{f("server.configurationId", "EQUALS", "d-server-1")}, []discovery.Predicate{
			{Field: discovery.FieldProcessServerID, Match: discovery.MatchEqual, Quant: discovery.AnyMatch, Text: []string{"d-server-1"}},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conds, err := CompileFilters(tc.typ, tc.fs)
			if err != nil {
				t.Fatal(err)
			}
			if got := Where(tc.typ, conds); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// The store gets typed sort keys.
func TestListConfigurationsQuery(t *testing.T) {
	st := &fakeStore{}
	_, err := newService(st).ListConfigurations(context.Background(), "111111111111", ListInput{Type: "PROCESS",
		Filters: []discovery.Filter{{Name: "server.hostName", Values: []string{"h"}, Condition: "EQUALS"}},
		OrderBy: []Order{{"server.osName", "DESC"}, {"process.name", ""}}})
	if err != nil {
		t.Fatal(err)
	}
	q := st.queries[0]
	want := discovery.ItemQuery{Account: "111111111111", Type: discovery.TypeProcess, Limit: 101,
		Where: []discovery.Predicate{{Field: discovery.FieldProcessServerHostName, Match: discovery.MatchEqual, Quant: discovery.AnyMatch, Text: []string{"h"}}},
		Order: []discovery.OrderKey{{Field: discovery.FieldProcessServerOSName, Desc: true}, {Field: discovery.FieldProcessName}}}
	if !reflect.DeepEqual(q, want) {
		t.Fatalf("query %+v\nwant  %+v", q, want)
	}
}
