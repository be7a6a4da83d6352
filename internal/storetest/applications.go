package storetest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/applications"
	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/worker"
)

// Applications: CreateApplication, UpdateApplication, DeleteApplications,
// AssociateServers and DisassociateServers, with their checks.
var applicationTests = []test{
	tc("CreateChecksTheCount", testAppCreate),
	tc("UpdateChangesWhatIsSet", testAppUpdate),
	tc("AssociateServers", testAppAssociate),
	tc("DisassociateServers", testAppDisassociate),
	tc("DeleteTakesAssociationsAndTags", testAppDelete),
	tc("ApplicationsArePerAccount", testAppsPerAccount),
	tc("ServiceRefusalsStoreNothing", testAppServiceRefusals),
	tc("ServiceLimits", testAppServiceLimits),
}

// appService is the applications use case on s at t0, with the limits
// given (0: the defaults).
func appService(s applications.Store, maxApps, maxServers int) *applications.Service {
	return applications.New(applications.Config{Store: s, Now: func() time.Time { return t0 },
		MaxApplications: maxApps, MaxServersPerApplication: maxServers})
}

// wantInvalid fails unless err is InvalidParameterValue with a message
// that contains contains.
func wantInvalid(t *testing.T, err error, contains string) {
	t.Helper()
	if de := wantCode(t, err, discovery.InvalidParameterValue); !strings.Contains(de.Message, contains) {
		t.Fatalf("message %q does not contain %q", de.Message, contains)
	}
}

// appStore is the applications' store, read through the export rows.
type appStore interface {
	Accounts
	applications.Store
	worker.RowSource
}

// apps are account's applications as "ID name/description/wave/count".
func apps(t *testing.T, s worker.RowSource, account string) []string {
	t.Helper()
	return keys(collectRows(t, func(fn func(*discovery.Application) error) error {
		return s.ExportApplications(ctx(t), account, fn)
	}), func(a discovery.Application) string {
		return fmt.Sprintf("%s %s/%s/%s/%d", a.ID, a.Name, a.Description, a.Wave, a.ServerCount)
	})
}

// app returns account's application id as an export reads it.
func app(t *testing.T, s worker.RowSource, account, id string) *discovery.Application {
	t.Helper()
	var out []discovery.Application
	for _, a := range collectRows(t, func(fn func(*discovery.Application) error) error { return s.ExportApplications(ctx(t), account, fn) }) {
		if a.ID == id {
			out = append(out, a)
		}
	}
	if len(out) != 1 {
		t.Fatalf("%d applications %s", len(out), id)
	}
	return &out[0]
}

// members are the servers of account's application id.
func members(t *testing.T, s worker.RowSource, account, id string) []string {
	t.Helper()
	var out []string
	for _, r := range collectRows(t, func(fn func(*discovery.ApplicationServer) error) error {
		return s.ExportApplicationServers(ctx(t), account, fn)
	}) {
		if r.ApplicationID == id {
			out = append(out, r.ServerID)
		}
	}
	return out
}

func testAppCreate(t *testing.T, s appStore) {
	c := ctx(t)
	var seen []int
	check := func(n int) error {
		seen = append(seen, n)
		if n >= 2 {
			return errRefused
		}
		return nil
	}
	created, updated := t0.Add(1500*time.Millisecond), t0.Add(2*time.Second)
	for i := 1; i <= 3; i++ {
		a := &discovery.Application{ID: appID(i), Name: fmt.Sprintf("app %d", i), Description: "d", Wave: "w", Created: created, Updated: updated}
		err := s.CreateApplication(c, acctA, a, check)
		if (i < 3) != (err == nil) || (i == 3 && !errors.Is(err, errRefused)) {
			t.Fatalf("create %d = %v", i, err)
		}
	}
	if !slices.Equal(seen, []int{0, 1, 2}) {
		t.Fatalf("check saw counts %v, want 0, 1, 2", seen)
	}
	sameLines(t, "applications", apps(t, s, acctA), []string{appID(1) + " app 1/d/w/0", appID(2) + " app 2/d/w/0"})
	a := app(t, s, acctA, appID(1))
	if !a.Created.Equal(created) || !a.Updated.Equal(updated) || a.Description != "d" || a.ServerCount != 0 {
		t.Fatalf("application = %+v", *a)
	}
	// B's count is its own.
	seen = nil
	must(t, s.CreateApplication(c, acctB, &discovery.Application{ID: appID(1), Name: "b"}, check))
	if !slices.Equal(seen, []int{0}) {
		t.Fatalf("B's check saw %v, want 0", seen)
	}
}

func testAppUpdate(t *testing.T, s appStore) {
	c := ctx(t)
	newApp(t, s, acctA, appID(1), "shop")
	newApp(t, s, acctA, appID(2), "crm")
	steps := []struct {
		u    discovery.ApplicationUpdate
		want string
	}{
		{discovery.ApplicationUpdate{Name: ptr("store")}, "store/about shop/wave-1/0"},
		{discovery.ApplicationUpdate{Description: ptr("")}, "store//wave-1/0"},
		{discovery.ApplicationUpdate{Wave: ptr("wave-2"), Description: ptr("new")}, "store/new/wave-2/0"},
		{discovery.ApplicationUpdate{}, "store/new/wave-2/0"},
	}
	for i, st := range steps {
		now := t0.Add(time.Duration(i+1) * time.Minute)
		must(t, s.UpdateApplication(c, acctA, appID(1), st.u, now))
		sameLines(t, fmt.Sprintf("after update %d", i), apps(t, s, acctA), []string{appID(1) + " " + st.want, appID(2) + " crm/about crm/wave-1/0"})
		if a := app(t, s, acctA, appID(1)); !a.Updated.Equal(now) || !a.Created.Equal(t0) {
			t.Fatalf("update %d: created %v, updated %v; want %v", i, a.Created, a.Updated, now)
		}
	}
	before := apps(t, s, acctA)
	wantNotFound(t, s.UpdateApplication(c, acctA, appID(9), discovery.ApplicationUpdate{Name: ptr("x")}, t0), "update of an unknown application")
	wantNotFound(t, s.UpdateApplication(c, acctB, appID(1), discovery.ApplicationUpdate{Name: ptr("x")}, t0), "B's update of A's application")
	sameLines(t, "after refused updates", apps(t, s, acctA), before)
}

func testAppAssociate(t *testing.T, s Store) {
	seedFleet(t, s, acctA)
	seedFleet(t, s, acctB)
	newApp(t, s, acctA, appID(1), "shop")
	c := ctx(t)
	s1, s2, s3 := serverOf(acctA, 1), serverOf(acctA, 2), serverOf(acctA, 3)
	var seen discovery.ApplicationMembership
	refuse := func(m discovery.ApplicationMembership) error { seen = m; return errRefused }
	allow := func(m discovery.ApplicationMembership) error { seen = m; return nil }

	// Unknown IDs come in request order, a repeated one each time.
	err := s.AssociateServers(c, acctA, appID(1), []string{s1, "d-server-unknown", serverOf(acctB, 2), s2, "d-server-unknown"}, t0.Add(time.Minute), refuse)
	if !errors.Is(err, errRefused) || !seen.AppExists || !slices.Equal(seen.Unknown, []string{"d-server-unknown", serverOf(acctB, 2), "d-server-unknown"}) {
		t.Fatalf("refused associate = %v, saw %+v", err, seen)
	}
	if m := members(t, s, acctA, appID(1)); len(m) != 0 {
		t.Fatalf("members after a refusal: %v", m)
	}
	must(t, s.AssociateServers(c, acctA, appID(1), []string{s2, s1, s2}, t0.Add(2*time.Minute), allow))
	if !seen.AppExists || len(seen.Unknown) != 0 || seen.Count != 2 {
		t.Fatalf("associate saw %+v", seen)
	}
	sameLines(t, "members", members(t, s, acctA, appID(1)), slices.Sorted(slices.Values([]string{s1, s2})))
	if a := app(t, s, acctA, appID(1)); a.ServerCount != 2 || !a.Updated.Equal(t0.Add(2*time.Minute)) {
		t.Fatalf("application after associate = %+v", *a)
	}
	// Nothing new: no change, and the modification time stays.
	must(t, s.AssociateServers(c, acctA, appID(1), []string{s1}, t0.Add(3*time.Minute), allow))
	if seen.Count != 2 {
		t.Fatalf("count with a member again = %d, want 2", seen.Count)
	}
	if a := app(t, s, acctA, appID(1)); !a.Updated.Equal(t0.Add(2 * time.Minute)) {
		t.Fatalf("modified by a no-op: %v", a.Updated)
	}
	must(t, s.AssociateServers(c, acctA, appID(1), []string{s3, s1}, t0.Add(4*time.Minute), allow))
	if seen.Count != 3 {
		t.Fatalf("count = %d, want 3", seen.Count)
	}
	if a := app(t, s, acctA, appID(1)); a.ServerCount != 3 || !a.Updated.Equal(t0.Add(4*time.Minute)) {
		t.Fatalf("application = %+v", *a)
	}
	// An unknown application.
	err = s.AssociateServers(c, acctA, appID(9), []string{s1}, t0, refuse)
	if !errors.Is(err, errRefused) || seen.AppExists {
		t.Fatalf("associate to an unknown application = %v, saw %+v", err, seen)
	}
}

func testAppDisassociate(t *testing.T, s Store) {
	seedFleet(t, s, acctA)
	newApp(t, s, acctA, appID(1), "shop")
	newApp(t, s, acctA, appID(2), "crm")
	c := ctx(t)
	s1, s2, s3, s4 := serverOf(acctA, 1), serverOf(acctA, 2), serverOf(acctA, 3), serverOf(acctA, 4)
	must(t, s.AssociateServers(c, acctA, appID(1), []string{s1, s2, s3}, t0, allowMembership))
	must(t, s.AssociateServers(c, acctA, appID(2), []string{s1}, t0, allowMembership))
	var seen discovery.ApplicationMembership
	err := s.DisassociateServers(c, acctA, appID(1), []string{s1, "d-server-unknown", s4}, t0.Add(time.Minute),
		func(m discovery.ApplicationMembership) error { seen = m; return errRefused })
	// s4 is a server, though not a member: not unknown.
	if !errors.Is(err, errRefused) || !seen.AppExists || !slices.Equal(seen.Unknown, []string{"d-server-unknown"}) || seen.Count != 2 {
		t.Fatalf("refused disassociate = %v, saw %+v", err, seen)
	}
	sameLines(t, "members after a refusal", members(t, s, acctA, appID(1)), slices.Sorted(slices.Values([]string{s1, s2, s3})))
	allow := func(m discovery.ApplicationMembership) error { seen = m; return nil }
	must(t, s.DisassociateServers(c, acctA, appID(1), []string{s1, s4}, t0.Add(2*time.Minute), allow))
	if seen.Count != 2 || len(seen.Unknown) != 0 {
		t.Fatalf("disassociate saw %+v", seen)
	}
	sameLines(t, "members", members(t, s, acctA, appID(1)), slices.Sorted(slices.Values([]string{s2, s3})))
	sameLines(t, "the other application's members", members(t, s, acctA, appID(2)), []string{s1})
	if a := app(t, s, acctA, appID(1)); a.ServerCount != 2 || !a.Updated.Equal(t0.Add(2*time.Minute)) {
		t.Fatalf("application after disassociate = %+v", *a)
	}
	if a := app(t, s, acctA, appID(2)); !a.Updated.Equal(t0) {
		t.Fatalf("other application modified: %v", a.Updated)
	}
	// Non-members only: no change.
	must(t, s.DisassociateServers(c, acctA, appID(1), []string{s4}, t0.Add(3*time.Minute), allow))
	if a := app(t, s, acctA, appID(1)); !a.Updated.Equal(t0.Add(2 * time.Minute)) {
		t.Fatalf("modified by a no-op: %v", a.Updated)
	}
	err = s.DisassociateServers(c, acctA, appID(9), []string{s1}, t0, func(m discovery.ApplicationMembership) error { seen = m; return errRefused })
	if !errors.Is(err, errRefused) || seen.AppExists {
		t.Fatalf("disassociate from an unknown application = %v, saw %+v", err, seen)
	}
}

func testAppDelete(t *testing.T, s Store) {
	seedFleet(t, s, acctA)
	c := ctx(t)
	s1, s2 := serverOf(acctA, 1), serverOf(acctA, 2)
	for i, name := range []string{"shop", "crm", "hr"} {
		newApp(t, s, acctA, appID(i+1), name)
		must(t, s.AssociateServers(c, acctA, appID(i+1), []string{s1, s2}, t0, allowMembership))
		addTags(t, s, acctA, []string{appID(i + 1)}, discovery.Tag{Key: "app", Value: name})
	}
	addTags(t, s, acctA, []string{s1}, discovery.Tag{Key: "env", Value: "prod"})
	before := apps(t, s, acctA)
	var saw []string
	err := s.DeleteApplications(c, acctA, []string{appID(1), appID(9), appID(8)}, func(missing []string) error { saw = missing; return errRefused })
	if !errors.Is(err, errRefused) || !slices.Equal(saw, []string{appID(9), appID(8)}) {
		t.Fatalf("refused delete = %v, missing %v", err, saw)
	}
	sameLines(t, "applications after a refusal", apps(t, s, acctA), before)
	must(t, s.DeleteApplications(c, acctA, []string{appID(3), appID(1)}, func(missing []string) error {
		if len(missing) > 0 {
			return fmt.Errorf("missing %v", missing)
		}
		return nil
	}))
	sameLines(t, "applications", apps(t, s, acctA), []string{appID(2) + " crm/about crm/wave-1/2"})
	sameLines(t, "tags", tagLines(t, s, discovery.TagQuery{Account: acctA}), []string{appID(2) + " app=crm", s1 + " env=prod"})
	for _, d := range ok(s.DescribeServers(c, acctA, []string{s1, s2}))(t) {
		if len(d.Applications) != 1 || d.Applications[0].ID != appID(2) {
			t.Fatalf("%s's applications: %+v", d.ID, d.Applications)
		}
	}
	if n := len(list(t, s, discovery.ItemQuery{Account: acctA, Type: discovery.TypeServer})); n != fleetAgents {
		t.Fatalf("%d servers after deleting applications", n)
	}
}

func testAppsPerAccount(t *testing.T, s Store) {
	seedFleet(t, s, acctA)
	seedFleet(t, s, acctB)
	c := ctx(t)
	newApp(t, s, acctA, appID(1), "shop")
	must(t, s.AssociateServers(c, acctA, appID(1), []string{serverOf(acctA, 1)}, t0, allowMembership))
	newApp(t, s, acctB, appID(2), "b")
	before := apps(t, s, acctA)
	var saw discovery.ApplicationMembership
	see := func(m discovery.ApplicationMembership) error { saw = m; return errRefused }
	if err := s.AssociateServers(c, acctB, appID(1), []string{serverOf(acctB, 1)}, t0, see); !errors.Is(err, errRefused) || saw.AppExists {
		t.Fatalf("B associating to A's application: %v, %+v", err, saw)
	}
	if err := s.DisassociateServers(c, acctB, appID(1), []string{serverOf(acctA, 1)}, t0, see); !errors.Is(err, errRefused) || saw.AppExists {
		t.Fatalf("B disassociating from A's application: %v, %+v", err, saw)
	}
	if err := s.AssociateServers(c, acctB, appID(2), []string{serverOf(acctA, 1)}, t0, see); !errors.Is(err, errRefused) ||
		!slices.Equal(saw.Unknown, []string{serverOf(acctA, 1)}) {
		t.Fatalf("B associating A's server: %v, %+v", err, saw)
	}
	var missing []string
	if err := s.DeleteApplications(c, acctB, []string{appID(1)}, func(m []string) error { missing = m; return errRefused }); !errors.Is(err, errRefused) ||
		!slices.Equal(missing, []string{appID(1)}) {
		t.Fatalf("B deleting A's application: %v, missing %v", err, missing)
	}
	wantNotFound(t, s.UpdateApplication(c, acctB, appID(1), discovery.ApplicationUpdate{Name: ptr("x")}, t0), "B updating A's application")
	sameLines(t, "A's applications", apps(t, s, acctA), before)
	sameLines(t, "B's applications", apps(t, s, acctB), []string{appID(2) + " b/about b/wave-1/0"})
}

// The use case's refusals on a real store: an unknown application or
// server, another account's, an ID of another type, an empty list; each
// is InvalidParameterValue naming what it refused, and stores nothing.
func testAppServiceRefusals(t *testing.T, s Store) {
	seedFleet(t, s, acctA)
	seedFleet(t, s, acctB)
	c := ctx(t)
	svc := appService(s, 0, 0)
	id := ok(svc.Create(c, acctA, "app", nil, nil))(t)
	other := ok(svc.Create(c, acctB, "other", nil, nil))(t)
	ghost, s1, s9 := "d-application-00000000000000fff", serverOf(acctA, 1), "d-server-00000000000000009"
	name := "x"
	for _, tc := range []struct {
		name, contains string
		call           func() error
	}{
		{"update unknown", ghost, func() error { return svc.Update(c, acctA, ghost, discovery.ApplicationUpdate{Name: &name}) }},
		{"update other account's", other, func() error { return svc.Update(c, acctA, other, discovery.ApplicationUpdate{Name: &name}) }},
		{"update not an application ID", s1, func() error { return svc.Update(c, acctA, s1, discovery.ApplicationUpdate{}) }},
		{"delete unknown", ghost, func() error { return svc.Delete(c, acctA, []string{id, ghost}) }},
		{"delete empty", "at least one", func() error { return svc.Delete(c, acctA, nil) }},
		{"delete server ID", s1, func() error { return svc.Delete(c, acctA, []string{s1}) }},
		{"associate unknown application", ghost, func() error { return svc.Associate(c, acctA, ghost, []string{s1}) }},
		{"associate unknown servers", s9, func() error { return svc.Associate(c, acctA, id, []string{s1, s9, serverOf(acctB, 1)}) }},
		{"associate non-server", "Only servers", func() error { return svc.Associate(c, acctA, id, []string{s1, processOf(acctA, 1)}) }},
		{"associate empty", "at least one", func() error { return svc.Associate(c, acctA, id, []string{}) }},
		{"disassociate unknown application", ghost, func() error { return svc.Disassociate(c, acctA, ghost, []string{s1}) }},
		{"disassociate unknown server", s9, func() error { return svc.Disassociate(c, acctA, id, []string{s9}) }},
	} {
		t.Run(tc.name, func(t *testing.T) { wantInvalid(t, tc.call(), tc.contains) })
	}
	if m := members(t, s, acctA, id); len(m) != 0 {
		t.Fatalf("refused association stored %v", m)
	}
	sameLines(t, "A's applications", apps(t, s, acctA), []string{id + " app///0"})
	sameLines(t, "B's applications", apps(t, s, acctB), []string{other + " other///0"})
}

// The use case's limits on a real store: applications per account (names
// may repeat; a delete frees a place) and servers per application (a
// call that would pass it stores nothing; exactly at it is allowed).
func testAppServiceLimits(t *testing.T, s Store) {
	seedFleet(t, s, acctA)
	c := ctx(t)
	svc := appService(s, 2, 3)
	id := ok(svc.Create(c, acctA, "a", nil, nil))(t)
	ok(svc.Create(c, acctA, "a", nil, nil))(t)
	_, err := svc.Create(c, acctA, "c", nil, nil)
	wantInvalid(t, err, "at most 2 applications")
	ok(svc.Create(c, acctB, "c", nil, nil))(t)
	s1, s2, s3, s4 := serverOf(acctA, 1), serverOf(acctA, 2), serverOf(acctA, 3), serverOf(acctA, 4)
	must(t, svc.Associate(c, acctA, id, []string{s1, s2}))
	wantInvalid(t, svc.Associate(c, acctA, id, []string{s2, s3, s4}), "at most 3 servers")
	if m := members(t, s, acctA, id); len(m) != 2 {
		t.Fatalf("an association over the limit stored %v", m)
	}
	must(t, svc.Associate(c, acctA, id, []string{s2, s3}))
	must(t, svc.Delete(c, acctA, []string{id}))
	ok(svc.Create(c, acctA, "c", nil, nil))(t)
}
