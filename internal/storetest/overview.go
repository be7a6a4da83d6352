package storetest

import (
	"reflect"
	"testing"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// The counts of the control API's status.
var overviewTests = []test{
	tc("CountsAccounts", testOverview),
}

type overviewStore interface {
	exportStore
	Agents
	Overviews
}

func testOverview(t *testing.T, s overviewStore) {
	c := ctx(t)
	empty := ok(s.Overview(c))(t)
	if len(empty.Accounts) != 0 {
		t.Fatalf("overview of an empty store: %+v", empty)
	}
	must(t, s.EnsureAccount(c, acctB, t0, nil))
	must(t, s.EnsureAccount(c, acctA, t0, nil))
	seedAgents(t, s, acctA, 3)
	var es []*discovery.ExportTask
	for _, id := range []string{"exp-1", "exp-2", "exp-3"} {
		e := exportTask(acctA, id, t0)
		create(t, s, e)
		es = append(es, e)
	}
	finish(t, s, es[0], discovery.ExportSucceeded)
	finish(t, s, es[1], discovery.ExportFailed)

	want := &discovery.Overview{
		Accounts: []discovery.AccountOverview{
			{AccountID: acctA, Agents: 3, Servers: 3, Exports: discovery.ExportCounts(1, 1, 1)},
			{AccountID: acctB, Exports: discovery.ExportCounts(0, 0, 0)},
		},
	}
	if got := ok(s.Overview(c))(t); !reflect.DeepEqual(got, want) {
		t.Errorf("overview:\n got %+v\nwant %+v", got, want)
	}
}
