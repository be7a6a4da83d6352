package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// The counts of the control API's status.
var overviewTests = []test{
	tc("CountsAccountsAndJobs", testOverview),
}

type overviewStore interface {
	exportStore
	Agents
	Overviews
}

func testOverview(t *testing.T, s overviewStore) {
	c := ctx(t)
	empty := ok(s.Overview(c, t0))(t)
	if len(empty.Accounts) != 0 || len(empty.Jobs) != 0 {
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
	// The third export's job is claimed with a lease of an hour.
	claimJob(t, s, "worker", discovery.JobExport, acctA, "exp-3", t0)

	want := &discovery.Overview{
		Accounts: []discovery.AccountOverview{
			{AccountID: acctA, Agents: 3, Servers: 3, Exports: discovery.ExportCounts(1, 1, 1)},
			{AccountID: acctB, Exports: discovery.ExportCounts(0, 0, 0)},
		},
		Jobs: []discovery.JobQueue{{Kind: discovery.JobExport, Running: 1}},
	}
	if got := ok(s.Overview(c, t0.Add(time.Minute)))(t); !reflect.DeepEqual(got, want) {
		t.Errorf("overview while the export runs:\n got %+v\nwant %+v", got, want)
	}
	// Once the lease has passed, the job waits to be taken over.
	want.Jobs = []discovery.JobQueue{{Kind: discovery.JobExport, Waiting: 1}}
	if got := ok(s.Overview(c, t0.Add(2*time.Hour)))(t); !reflect.DeepEqual(got, want) {
		t.Errorf("overview after the lease passed:\n got %+v\nwant %+v", got, want)
	}
}
