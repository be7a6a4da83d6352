package postgres

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/applications"
	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// The application tests of internal/sqlite, on this store.

const (
	apAcct  = "111111111111"
	apOther = "222222222222"
)

var rowsT0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

type apFixture struct {
	db  *DB
	svc *applications.Service
	now time.Time
}

func apSetup(t *testing.T, maxApps, maxServers int) *apFixture {
	t.Helper()
	f := &apFixture{db: openTest(t), now: rowsT0}
	f.svc = applications.New(applications.Config{Store: f.db, Now: func() time.Time { return f.now },
		MaxApplications: maxApps, MaxServersPerApplication: maxServers})
	for i := 1; i <= 5; i++ {
		insertServer(t, f.db, apAcct, apSrv(i), "", fmt.Sprintf("host%d", i), 0)
	}
	insertServer(t, f.db, apOther, "d-server-0000000000000000b", "", "other", 0)
	return f
}

func apSrv(i int) string { return fmt.Sprintf("d-server-%017x", i) }

func apCode(t *testing.T, err error, want discovery.ErrorCode, contains string) {
	t.Helper()
	var de *discovery.Error
	if !errors.As(err, &de) || de.Code != want {
		t.Fatalf("err = %v, want %s", err, want)
	}
	if !strings.Contains(de.Message, contains) {
		t.Fatalf("message %q does not contain %q", de.Message, contains)
	}
}

func (f *apFixture) members(t *testing.T, account, app string) []string {
	t.Helper()
	out, err := column(t.Context(), f.db.pool, `SELECT server_id FROM application_servers WHERE account_id = $1 AND application_id = $2 ORDER BY server_id`, account, app)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestApplicationLifecycle(t *testing.T) {
	f := apSetup(t, 0, 0)
	ctx := t.Context()
	desc, wave := "billing stack", "wave-1"
	id, err := f.svc.Create(ctx, apAcct, "billing", &desc, &wave)
	if err != nil {
		t.Fatal(err)
	}
	a, err := f.db.GetApplication(ctx, apAcct, id)
	if err != nil {
		t.Fatal(err)
	}
	if a.Name != "billing" || a.Description != desc || a.Wave != wave || !a.Created.Equal(rowsT0) || !a.Updated.Equal(rowsT0) {
		t.Fatalf("stored %+v", a)
	}
	if _, err := f.db.GetApplication(ctx, apOther, id); !errors.Is(err, discovery.ErrNotFound) {
		t.Fatalf("other account sees the application: %v", err)
	}

	// Update changes only the given fields and the modification time.
	f.now = rowsT0.Add(time.Minute)
	newName, empty := "billing-v2", ""
	if err := f.svc.Update(ctx, apAcct, id, discovery.ApplicationUpdate{Name: &newName, Wave: &empty}); err != nil {
		t.Fatal(err)
	}
	a, _ = f.db.GetApplication(ctx, apAcct, id)
	if a.Name != newName || a.Description != desc || a.Wave != "" || !a.Updated.Equal(f.now) || !a.Created.Equal(rowsT0) {
		t.Fatalf("after update %+v", a)
	}

	// Associate (with a duplicate) then an already-associated server: no change, no touch.
	f.now = rowsT0.Add(2 * time.Minute)
	if err := f.svc.Associate(ctx, apAcct, id, []string{apSrv(1), apSrv(2), apSrv(1)}); err != nil {
		t.Fatal(err)
	}
	if got := f.members(t, apAcct, id); strings.Join(got, ",") != apSrv(1)+","+apSrv(2) {
		t.Fatalf("members %v", got)
	}
	a, _ = f.db.GetApplication(ctx, apAcct, id)
	if !a.Updated.Equal(f.now) {
		t.Fatalf("associate did not touch: %v", a.Updated)
	}
	f.now = rowsT0.Add(3 * time.Minute)
	if err := f.svc.Associate(ctx, apAcct, id, []string{apSrv(2)}); err != nil {
		t.Fatal(err)
	}
	if a, _ = f.db.GetApplication(ctx, apAcct, id); !a.Updated.Equal(rowsT0.Add(2 * time.Minute)) {
		t.Fatalf("no-op associate touched: %v", a.Updated)
	}

	// Disassociate.
	f.now = rowsT0.Add(4 * time.Minute)
	if err := f.svc.Disassociate(ctx, apAcct, id, []string{apSrv(1), apSrv(3)}); err != nil {
		t.Fatal(err)
	}
	if got := f.members(t, apAcct, id); strings.Join(got, ",") != apSrv(2) {
		t.Fatalf("members %v", got)
	}
	if a, _ = f.db.GetApplication(ctx, apAcct, id); !a.Updated.Equal(f.now) {
		t.Fatalf("disassociate did not touch: %v", a.Updated)
	}

	// Delete removes the application, its associations and its tags.
	exec(t, f.db, `INSERT INTO tags (account_id, configuration_id, key, value, created_ms) VALUES ($1, $2, 'k', 'v', 0), ($1, $3, 'k', 'v', 0)`, apAcct, id, apSrv(2))
	if err := f.svc.Delete(ctx, apAcct, []string{id, id}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.GetApplication(ctx, apAcct, id); !errors.Is(err, discovery.ErrNotFound) {
		t.Fatalf("still there: %v", err)
	}
	if got := f.members(t, apAcct, id); len(got) != 0 {
		t.Fatalf("associations left: %v", got)
	}
	if n := count(t, f.db, `SELECT count(*) FROM tags WHERE account_id = $1`, apAcct); n != 1 {
		t.Fatalf("tags left = %d, want the server's only", n)
	}
}

func TestApplicationErrorsStoreNothing(t *testing.T) {
	f := apSetup(t, 0, 0)
	ctx := t.Context()
	id, err := f.svc.Create(ctx, apAcct, "app", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ghost := "d-application-00000000000000fff"
	other, err := f.svc.Create(ctx, apOther, "other", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	name := "x"
	cases := []struct {
		name, contains string
		call           func() error
	}{
		{"update unknown", ghost, func() error { return f.svc.Update(ctx, apAcct, ghost, discovery.ApplicationUpdate{Name: &name}) }},
		{"update other account", other, func() error { return f.svc.Update(ctx, apAcct, other, discovery.ApplicationUpdate{Name: &name}) }},
		{"delete unknown", ghost, func() error { return f.svc.Delete(ctx, apAcct, []string{id, ghost}) }},
		{"associate unknown app", ghost, func() error { return f.svc.Associate(ctx, apAcct, ghost, []string{apSrv(1)}) }},
		{"associate unknown servers", apSrv(9), func() error {
			return f.svc.Associate(ctx, apAcct, id, []string{apSrv(1), apSrv(9), "d-server-0000000000000000b"})
		}},
		{"disassociate unknown app", ghost, func() error { return f.svc.Disassociate(ctx, apAcct, ghost, []string{apSrv(1)}) }},
		{"disassociate unknown server", apSrv(9), func() error { return f.svc.Disassociate(ctx, apAcct, id, []string{apSrv(9)}) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			apCode(t, c.call(), discovery.InvalidParameterValue, c.contains)
		})
	}
	if got := f.members(t, apAcct, id); len(got) != 0 {
		t.Fatalf("refused association stored %v", got)
	}
	if _, err := f.db.GetApplication(ctx, apAcct, id); err != nil {
		t.Fatalf("refused delete deleted: %v", err)
	}
	if a, _ := f.db.GetApplication(ctx, apOther, other); a.Name != "other" {
		t.Fatalf("other account's application changed: %+v", a)
	}
}

// The store reports unknown IDs in request order, duplicates included, as
// SQLite's does.
func TestApplicationMembershipUnknownOrder(t *testing.T) {
	f := apSetup(t, 0, 0)
	ctx := t.Context()
	id, err := f.svc.Create(ctx, apAcct, "app", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got discovery.ApplicationMembership
	stop := errors.New("stop")
	ids := []string{apSrv(9), apSrv(1), apSrv(8), apSrv(9)}
	err = f.db.AssociateServers(ctx, apAcct, id, ids, f.now, func(m discovery.ApplicationMembership) error { got = m; return stop })
	if !errors.Is(err, stop) || !got.AppExists || strings.Join(got.Unknown, ",") != strings.Join([]string{apSrv(9), apSrv(8), apSrv(9)}, ",") || got.Count != 3 {
		t.Fatalf("membership %+v, %v", got, err)
	}
	var missing []string
	err = f.db.DeleteApplications(ctx, apAcct, []string{"d-application-b", id, "d-application-a"}, func(m []string) error { missing = m; return stop })
	if !errors.Is(err, stop) || strings.Join(missing, ",") != "d-application-b,d-application-a" {
		t.Fatalf("missing %v, %v", missing, err)
	}
}

func TestApplicationLimits(t *testing.T) {
	f := apSetup(t, 2, 3)
	ctx := t.Context()
	id, _ := f.svc.Create(ctx, apAcct, "a", nil, nil)
	if _, err := f.svc.Create(ctx, apAcct, "a", nil, nil); err != nil { // duplicate names allowed
		t.Fatal(err)
	}
	_, err := f.svc.Create(ctx, apAcct, "c", nil, nil)
	apCode(t, err, discovery.InvalidParameterValue, "at most 2 applications")
	if _, err := f.svc.Create(ctx, apOther, "c", nil, nil); err != nil { // limit is per account
		t.Fatal(err)
	}
	if err := f.svc.Associate(ctx, apAcct, id, []string{apSrv(1), apSrv(2)}); err != nil {
		t.Fatal(err)
	}
	err = f.svc.Associate(ctx, apAcct, id, []string{apSrv(2), apSrv(3), apSrv(4)})
	apCode(t, err, discovery.InvalidParameterValue, "at most 3 servers")
	if got := f.members(t, apAcct, id); len(got) != 2 {
		t.Fatalf("over-limit association stored: %v", got)
	}
	if err := f.svc.Associate(ctx, apAcct, id, []string{apSrv(2), apSrv(3)}); err != nil { // exactly at the limit
		t.Fatal(err)
	}
	if err := f.svc.Delete(ctx, apAcct, []string{id}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Create(ctx, apAcct, "c", nil, nil); err != nil { // deleting frees a slot
		t.Fatal(err)
	}
}
