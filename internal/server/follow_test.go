package server

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/auth"
	"github.com/poseidon-ads/poseidon/internal/clock"
	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/exportfile"
	"github.com/poseidon-ads/poseidon/internal/postgres"
	"github.com/poseidon-ads/poseidon/internal/postgres/pgtestdb"
	"github.com/poseidon-ads/poseidon/internal/sqlite/sqlitetest"
)

// The tests of the control state run on each real store: SQLite, and
// PostgreSQL (skipped when its test server is unreachable, unless
// CI=true). Two servers on one store play two replicas: on SQLite they
// share the handle, on PostgreSQL each has a pool of its own.

// eachStore runs test with two handles on one new store of each kind.
func eachStore(t *testing.T, test func(t *testing.T, a, b Store)) {
	t.Run("sqlite", func(t *testing.T) {
		s := sqlitetest.Open(t)
		test(t, s, s)
	})
	t.Run("postgres", func(t *testing.T) {
		url := pgtestdb.Schema(t)
		var dbs [2]*postgres.DB
		for i := range dbs {
			db, err := postgres.Open(t.Context(), url)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			dbs[i] = db
		}
		test(t, dbs[0], dbs[1])
	})
}

// fileLog records the removals a server asks of the files it keeps for
// accounts.
type fileLog struct {
	mu      sync.Mutex
	removed []string // account IDs, "*" for all
}

func (f *fileLog) RemoveAccount(account string) error { return f.add(account) }
func (f *fileLog) RemoveAll() error                   { return f.add("*") }

func (f *fileLog) add(what string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.removed = append(f.removed, what)
	return nil
}

func (f *fileLog) take() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.removed
	f.removed = nil
	return out
}

// replica is a server on a store, with its clock and files.
type replica struct {
	*Server
	clock *clock.Clock
	files *fileLog
}

// newReplica starts a server on store as cmd/poseidon does: the clock set
// from the control state read at start.
func newReplica(t *testing.T, store Store) *replica {
	t.Helper()
	c, err := store.Control(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.New(time.Now)
	clk.SetOffset(c.ClockOffset)
	files := &fileLog{}
	s := New(Config{Store: store, Auth: auth.Open(), Clock: clk, Files: exportfile.Dir{Root: t.TempDir()},
		AccountFiles: []AccountFiles{files}, HomeRegion: "us-west-2", Control: c})
	return &replica{s, clk, files}
}

// post sends a control API request to r and returns the status.
func (r *replica) post(t *testing.T, path, body string) int {
	t.Helper()
	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/_poseidon/"+path, strings.NewReader(body)))
	if w.Code != http.StatusOK {
		t.Logf("%s %s: %d %s", path, body, w.Code, w.Body)
	}
	return w.Code
}

// catchUp reads the store's control state and applies it, as Follow does.
func (r *replica) catchUp(t *testing.T) {
	t.Helper()
	c, err := r.cfg.Store.Control(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := r.follow(t.Context(), c); err != nil {
		t.Fatal(err)
	}
}

func (r *replica) knows(account string) bool {
	_, ok := r.accounts.Load(account)
	return ok
}

const acct1, acct2 = "111111111111", "222222222222"

// A clock move and the resets made on one replica reach the other when it
// follows the store: the same offset, the accounts it knew forgotten, the
// files it keeps for them removed, each change applied once and in order.
func TestFollowClockAndResets(t *testing.T) {
	eachStore(t, func(t *testing.T, sa, sb Store) {
		a, b := newReplica(t, sa), newReplica(t, sb)
		ctx := t.Context()
		for _, r := range []*replica{a, b} {
			for _, acct := range []string{acct1, acct2} {
				if _, err := r.ensureAccount(ctx, acct); err != nil {
					t.Fatal(err)
				}
			}
		}
		if code := a.post(t, "clock", `{"advanceSeconds": 86400.0004}`); code != 200 {
			t.Fatal(code)
		}
		if got := a.clock.Offset(); got != 24*time.Hour+time.Millisecond {
			t.Fatalf("A's offset after the move: %v, want a day and a millisecond (rounded up)", got)
		}
		if b.clock.Offset() != 0 {
			t.Fatal("B moved before following")
		}
		b.catchUp(t)
		if got := b.clock.Offset(); got != a.clock.Offset() {
			t.Fatalf("B's offset %v, A's %v", got, a.clock.Offset())
		}

		// An account reset on A: A removes its files once, and so does B
		// when it follows; both forget the account, not the other.
		if code := a.post(t, "reset", `{"accountId": "`+acct1+`"}`); code != 200 {
			t.Fatal(code)
		}
		if got := a.files.take(); !slices.Equal(got, []string{acct1}) || a.knows(acct1) || !a.knows(acct2) {
			t.Fatalf("A after its reset of %s: removed %v, knows it %v", acct1, got, a.knows(acct1))
		}
		if !b.knows(acct1) || len(b.files.take()) != 0 {
			t.Fatal("B applied the reset before following")
		}
		b.catchUp(t)
		b.catchUp(t) // applied once
		if got := b.files.take(); !slices.Equal(got, []string{acct1}) || b.knows(acct1) || !b.knows(acct2) {
			t.Fatalf("B after following: removed %v, knows %s %v, knows %s %v", got, acct1, b.knows(acct1), acct2, b.knows(acct2))
		}
		if b.clock.Offset() != 24*time.Hour+time.Millisecond {
			t.Fatalf("an account reset moved B's clock to %v", b.clock.Offset())
		}

		// Two changes on B (a move back, a whole reset): A applies both at
		// once, the reset's files and a clock back at real time.
		if code := b.post(t, "clock", `{"setEpochSeconds": 2000000000}`); code != 200 {
			t.Fatal(code)
		}
		if now := b.clock.Now(); now.Before(time.Unix(2000000000, 0)) || now.After(time.Unix(2000000010, 0)) {
			t.Fatalf("B's clock set to %v", now)
		}
		if code := b.post(t, "reset", ``); code != 200 {
			t.Fatal(code)
		}
		if got := b.files.take(); !slices.Equal(got, []string{"*"}) || b.knows(acct2) || b.clock.Offset() != 0 {
			t.Fatalf("B after its reset: removed %v, knows %s %v, offset %v", got, acct2, b.knows(acct2), b.clock.Offset())
		}
		a.catchUp(t)
		if got := a.files.take(); !slices.Equal(got, []string{"*"}) || a.knows(acct2) || a.clock.Offset() != 0 {
			t.Fatalf("A after following: removed %v, knows %s %v, offset %v", got, acct2, a.knows(acct2), a.clock.Offset())
		}

		// A state older than the one applied (a read that raced a change)
		// is ignored.
		stale := discovery.Control{Version: 1, ClockOffset: time.Hour, Resets: []discovery.ControlReset{{Version: 1}}}
		if err := a.follow(ctx, stale); err != nil || a.clock.Offset() != 0 || len(a.files.take()) != 0 {
			t.Fatalf("a stale state was applied: offset %v, %v", a.clock.Offset(), err)
		}

		// A replica started now starts from the stored state, and applies
		// no reset made before it started.
		c := newReplica(t, sb)
		c.catchUp(t)
		if got := c.files.take(); len(got) != 0 || c.followed != a.followed {
			t.Fatalf("a new replica applied past resets: %v (followed %d, want %d)", got, c.followed, a.followed)
		}
	})
}

// Changes made at once on both replicas are all kept: two replicas
// advancing the clock at once add up, whatever each had seen.
func TestMoveClockOnBothAtOnce(t *testing.T) {
	eachStore(t, func(t *testing.T, sa, sb Store) {
		a, b := newReplica(t, sa), newReplica(t, sb)
		const n = 10
		var wg sync.WaitGroup
		for i := range n {
			r := []*replica{a, b}[i%2]
			wg.Go(func() {
				if code := r.post(t, "clock", `{"advanceSeconds": 60}`); code != 200 {
					t.Errorf("advance: %d", code)
				}
			})
		}
		wg.Wait()
		a.catchUp(t)
		b.catchUp(t)
		for _, r := range []*replica{a, b} {
			if got := r.clock.Offset(); got != n*time.Minute {
				t.Fatalf("offset after %d advances of a minute: %v", n, got)
			}
		}
	})
}

// Follow applies another replica's changes when told, and when its period
// passes without being told.
func TestFollowLoop(t *testing.T) {
	eachStore(t, func(t *testing.T, sa, sb Store) {
		a, b := newReplica(t, sa), newReplica(t, sb)
		changed := make(chan struct{}, 1)
		ctx, cancel := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		wg.Go(func() { b.Follow(ctx, time.Hour, changed) })
		waitOffset := func(want time.Duration) {
			t.Helper()
			deadline := time.Now().Add(10 * time.Second)
			for b.clock.Offset() != want {
				if time.Now().After(deadline) {
					t.Fatalf("B's offset is %v, want %v", b.clock.Offset(), want)
				}
				time.Sleep(5 * time.Millisecond)
			}
		}
		a.post(t, "clock", `{"advanceSeconds": 3600}`)
		changed <- struct{}{}
		waitOffset(time.Hour)
		cancel()
		wg.Wait()

		// Untold, it reads the state every period.
		ctx, cancel = context.WithCancel(t.Context())
		defer cancel()
		wg.Go(func() { b.Follow(ctx, 10*time.Millisecond, nil) })
		a.post(t, "clock", `{"advanceSeconds": 3600}`)
		waitOffset(2 * time.Hour)
		cancel()
		wg.Wait()
	})
}

// A server that has not yet followed a reset made elsewhere, asked by an
// account it knew, finds the account gone and records it again with its
// default home region; an account whose control was deleted stays without
// one.
func TestHomeRegionAfterResetElsewhere(t *testing.T) {
	eachStore(t, func(t *testing.T, sa, sb Store) {
		a, b := newReplica(t, sa), newReplica(t, sb)
		ctx := t.Context()
		id := auth.Identity{AccountID: acct1, Region: "us-west-2"}
		if _, err := b.ensureAccount(ctx, acct1); err != nil {
			t.Fatal(err)
		}
		if code := a.post(t, "reset", `{"accountId": "`+acct1+`"}`); code != 200 {
			t.Fatal(code)
		}
		if err := b.checkHomeRegion(ctx, id, true); err != nil {
			t.Fatalf("B, before following the reset: %v", err)
		}
		c, err := sb.HomeRegionControl(ctx, acct1)
		if err != nil || c.HomeRegion != "us-west-2" {
			t.Fatalf("control recorded again: %+v, %v", c, err)
		}
		if err := sb.DeleteHomeRegionControl(ctx, acct1, c.ID); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			var de *discovery.Error
			known, err := b.ensureAccount(ctx, acct1)
			if err != nil {
				t.Fatal(err)
			}
			if err := b.checkHomeRegion(ctx, id, known); !errors.As(err, &de) || de.Code != discovery.HomeRegionNotSet {
				t.Fatalf("an account without a control: %v", err)
			}
		}
	})
}

// An account that has a control but no row (a replica that had not yet
// followed a reset let it create one) keeps its control when it is
// recorded again.
func TestEnsureAccountKeepsControl(t *testing.T) {
	eachStore(t, func(t *testing.T, sa, sb Store) {
		ctx := t.Context()
		now := time.Now()
		mine := &discovery.HomeRegionControl{ID: "hrc-mine", AccountID: acct1, HomeRegion: "eu-west-1", RequestedTime: now}
		if _, created, err := sa.CreateHomeRegionControl(ctx, mine); err != nil || !created {
			t.Fatalf("create: %v %v", created, err)
		}
		def := &discovery.HomeRegionControl{ID: "hrc-default", AccountID: acct1, HomeRegion: "us-west-2", RequestedTime: now}
		if err := sb.EnsureAccount(ctx, acct1, now, def); err != nil {
			t.Fatal(err)
		}
		if c, err := sa.HomeRegionControl(ctx, acct1); err != nil || c.ID != "hrc-mine" || c.HomeRegion != "eu-west-1" {
			t.Fatalf("control after EnsureAccount: %+v, %v", c, err)
		}
	})
}
