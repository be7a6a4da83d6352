// Package storetest is the conformance suite of poseidon's store contract,
// in the manner of a database driver's conformance tests: every store
// (internal/sqlite, internal/postgres) runs it unchanged from its own test
// file:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, openFresh, reopenSame)
//	}
//
// Store is the contract: the Store interfaces that the use cases, the
// background runners and the HTTP edge declare, composed of capabilities
// (Accounts, Exports, tags.Store, ...). Each subtest takes the capabilities
// it uses, so that a store that has part of the contract runs that part: it
// names what it lacks (Lacking) and the rest skips. The suite covers every one of
// its methods: the order and keyset cursors of each list (no duplicate and no
// gap across pages, stable under inserts), account isolation, each filter,
// the limits that must hold under concurrent callers, secrets and the clock
// offset, resets, and what a restart keeps. Its subtests are grouped by area,
// one file each (exports.go, queue.go, agents.go, ...), so that a change of
// one part of the contract touches one file.
//
// The typed transactions are tested step by step (intaketx.go, imports.go,
// batchdelete.go), and the use cases' rules over them as the use cases run
// them: intake through the agents service, imports.ImportRow and
// imports.DeleteData, batchdelete.Execute. The suite imports use-case
// packages for their interfaces and those rules; it imports no store.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/agents"
	"github.com/poseidon-ads/poseidon/internal/applications"
	"github.com/poseidon-ads/poseidon/internal/batchdelete"
	"github.com/poseidon-ads/poseidon/internal/console"
	"github.com/poseidon-ads/poseidon/internal/continuous"
	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/exports"
	"github.com/poseidon-ads/poseidon/internal/imports"
	"github.com/poseidon-ads/poseidon/internal/inventory"
	"github.com/poseidon-ads/poseidon/internal/pagetoken"
	"github.com/poseidon-ads/poseidon/internal/queue"
	"github.com/poseidon-ads/poseidon/internal/tags"
	"github.com/poseidon-ads/poseidon/internal/worker"
)

// Store is the store contract the suite checks: the use cases' and runners'
// Store interfaces, and the account, secret and clock methods the HTTP edge
// and cmd/poseidon use (server.Store; contract_test.go checks that Store
// covers it). It is composed of capabilities (Capabilities lists them);
// each subtest takes the capabilities it uses, so that a store that has
// some of them runs those subtests (Run's lacks).
type Store interface {
	Accounts
	Exports
	ExportResults
	worker.Store
	worker.Retention
	queue.Store
	JobLookup
	Agents
	agents.RetentionStore
	inventory.Store
	applications.Store
	tags.Store
	batchdelete.Store
	continuous.Store
	continuous.ObjectStore
	imports.Store
	console.Store
	Overviews
}

// Overviews counts what a store holds, for the control API's status.
type Overviews interface {
	// Overview counts each account's agents, servers and export tasks by
	// status (every account EnsureAccount recorded, in account order).
	Overview(ctx context.Context) (*discovery.Overview, error)
}

// Accounts is what every store has: accounts and their home region
// controls, secrets, the clock offset, resets, and Close.
type Accounts interface {
	// EnsureAccount records an account the first time it is seen and then
	// gives it defaultControl, if not nil.
	EnsureAccount(ctx context.Context, account string, now time.Time, defaultControl *discovery.HomeRegionControl) error
	// HomeRegionControl returns the account's control, or discovery.ErrNotFound.
	HomeRegionControl(ctx context.Context, account string) (*discovery.HomeRegionControl, error)
	// CreateHomeRegionControl stores c unless the account has a control;
	// then it returns that one and false.
	CreateHomeRegionControl(ctx context.Context, c *discovery.HomeRegionControl) (*discovery.HomeRegionControl, bool, error)
	// DeleteHomeRegionControl deletes the account's control with that ID, or
	// returns discovery.ErrNotFound.
	DeleteHomeRegionControl(ctx context.Context, account, id string) error
	// Reset deletes the state of every account; secrets stay.
	Reset(ctx context.Context) error
	// ResetAccount deletes all state of one account.
	ResetAccount(ctx context.Context, account string) error
	// Control returns the control state (the virtual clock's offset and
	// the latest resets, numbered by change); UpdateControl changes it
	// atomically, adding one to its Version. It survives restarts and
	// resets.
	Control(ctx context.Context) (discovery.Control, error)
	UpdateControl(ctx context.Context, fn func(*discovery.Control)) (discovery.Control, error)
	// ControlChanges signals, until ctx ends, the changes of the control
	// state that processes sharing the store make; nil when no other
	// process can share it.
	ControlChanges(ctx context.Context) <-chan struct{}
	// Secret returns the named server secret, made the first time and kept
	// across restarts and resets.
	Secret(ctx context.Context, name string) ([]byte, error)
	Close() error
}

// Exports is the export tasks' store: the exports use case's, and
// GetExportTask, which the HTTP edge and the worker use.
type Exports interface {
	exports.Store
	// GetExportTask returns one export task of the account, or discovery.ErrNotFound.
	GetExportTask(ctx context.Context, account, id string) (*discovery.ExportTask, error)
}

// ExportResults is what the export worker writes of a task under the
// lease of its job (worker.Store without the reads it shares with Exports,
// Agents and worker.RowSource).
type ExportResults interface {
	FinishExportTask(ctx context.Context, l discovery.Lease, account, id string, r discovery.ExportResult, now time.Time) error
	FinishExportJob(ctx context.Context, l discovery.Lease, account, id string, r discovery.ExportResult, now time.Time) error
	ReportExportProgress(ctx context.Context, l discovery.Lease, account, id, message string) error
}

// JobLookup finds the queued job of a task and counts the jobs, as the job queue's own suite
// (queue/queuetest) does: the tests see that each task has its job.
type JobLookup interface {
	// Job returns the queued job of a kind, account and ref, or
	// discovery.ErrNotFound.
	Job(ctx context.Context, kind discovery.JobKind, account, ref string) (*discovery.Job, error)
	// JobDepths counts the jobs of each kind that has any (by kind) at
	// now: running (leased), queued (due, free or their lease passed),
	// scheduled (not due yet).
	JobDepths(ctx context.Context, now time.Time) ([]discovery.JobDepth, error)
}

// Agents is the agents' store: the agents use case's (intake, listing,
// collection status, deletion), and GetAgent, which the export worker uses.
type Agents interface {
	agents.Store
	GetAgent(ctx context.Context, account, id string) (*discovery.Agent, error)
}

// capabilities are the parts Store is composed of.
var capabilities = []reflect.Type{
	reflect.TypeFor[Accounts](),
	reflect.TypeFor[Exports](),
	reflect.TypeFor[ExportResults](),
	reflect.TypeFor[queue.Store](),
	reflect.TypeFor[JobLookup](),
	reflect.TypeFor[worker.Retention](),
	reflect.TypeFor[worker.RowSource](),
	reflect.TypeFor[Agents](),
	reflect.TypeFor[agents.RetentionStore](),
	reflect.TypeFor[inventory.Store](),
	reflect.TypeFor[applications.Store](),
	reflect.TypeFor[tags.Store](),
	reflect.TypeFor[batchdelete.Store](),
	reflect.TypeFor[continuous.Store](),
	reflect.TypeFor[imports.Store](),
	reflect.TypeFor[console.Store](),
	reflect.TypeFor[Overviews](),
}

// Capabilities names the capabilities Store is composed of ("tags.Store",
// "storetest.Agents", ...).
func Capabilities() []string {
	return keys(capabilities, reflect.Type.String)
}

// Missing names the capabilities of Store that s lacks, and the methods of
// Store that no capability s lacks explains.
func Missing(s any) []string {
	return missing(reflect.TypeFor[Store](), reflect.TypeOf(s))
}

// missing names the capabilities that need has and have lacks, or else the
// methods of need that have lacks.
func missing(need, have reflect.Type) []string {
	if have != nil && have.Implements(need) {
		return nil
	}
	var out []string
	for _, c := range capabilities {
		if need.Implements(c) && (have == nil || !have.Implements(c)) {
			out = append(out, c.String())
		}
	}
	if len(out) > 0 {
		return out
	}
	for m := range need.Methods() {
		if have == nil {
			out = append(out, m.Name)
		} else if _, ok := have.MethodByName(m.Name); !ok {
			out = append(out, m.Name)
		}
	}
	return out
}

// Open returns a new, empty store for one subtest; it closes the store when
// the test ends (t.Cleanup). The store has some or all of Store's
// capabilities.
type Open func(t *testing.T) Accounts

// Reopen stops using s as a process that ends would (work in flight is left
// as it is), and opens the same database again, as the next process would.
// The store it returns is closed when the test ends.
type Reopen func(t *testing.T, s Accounts) Accounts

// Lack is a capability (one of Capabilities) that a store does not have
// yet, and why: the branch that adds it, say.
type Lack struct {
	Capability, Why string
}

// Lacking is the Lack of capability C.
func Lacking[C any](why string) Lack {
	return Lack{reflect.TypeFor[C]().String(), why}
}

// config is how Run runs the suite.
type config struct {
	lacks map[string]string // capability: why
}

// test is one subtest of an area: run calls a function that takes the
// capabilities the subtest uses (need).
type test struct {
	name string
	need reflect.Type
	run  func(t *testing.T, s Accounts)
}

// tc is the subtest name running fn, which takes the interface S: the
// capabilities it uses.
func tc[S Accounts](name string, fn func(t *testing.T, s S)) test {
	return test{name, reflect.TypeFor[S](), func(t *testing.T, s Accounts) { fn(t, s.(S)) }}
}

// restartTest is a subtest that reopens its store.
type restartTest struct {
	name string
	need reflect.Type
	run  func(t *testing.T, s Accounts, reopen func(Accounts) Accounts)
}

// rtc is the restart subtest name running fn.
func rtc[S Accounts](name string, fn func(t *testing.T, s S, reopen func(S) S)) restartTest {
	return restartTest{name, reflect.TypeFor[S](), func(t *testing.T, s Accounts, reopen func(Accounts) Accounts) {
		fn(t, s.(S), func(s S) S { return reopen(s).(S) })
	}}
}

// admit skips or fails t unless s has the capabilities of need: it skips
// when the store lacks only capabilities that Run's lacks list.
func (c *config) admit(t *testing.T, need reflect.Type, s Accounts) {
	t.Helper()
	gone := missing(need, reflect.TypeOf(s))
	if len(gone) == 0 {
		return
	}
	var why []string
	for _, g := range gone {
		w, ok := c.lacks[g]
		if !ok {
			t.Fatalf("%T lacks %s, which this test needs", s, strings.Join(gone, ", "))
		}
		why = append(why, g+" ("+w+")")
	}
	t.Skipf("%T lacks %s", s, strings.Join(why, ", "))
}

// Run runs the suite: each subtest gets a fresh store from open; the
// crash-restart subtests reopen theirs with reopen. The subtests of an area
// run in parallel, so the stores open returns must be independent.
//
// A subtest that needs a capability the store lacks skips, naming it, if
// lacks lists it, and fails if not. A Capabilities subtest fails while
// lacks lists a capability the store has, so that the entry goes once the
// store implements it.
func Run(t *testing.T, open Open, reopen Reopen, lacks ...Lack) {
	cfg := &config{lacks: map[string]string{}}
	for _, l := range lacks {
		cfg.lacks[l.Capability] = l.Why
	}
	t.Run("Capabilities", func(t *testing.T) {
		s := open(t)
		have := reflect.TypeOf(s)
		for _, c := range capabilities {
			why, lacked := cfg.lacks[c.String()]
			switch has := have.Implements(c); {
			case has && lacked:
				t.Errorf("%T has %s now: drop Lacking[%s](%q)", s, c, c, why)
			case !has && !lacked:
				t.Errorf("%T lacks %s (methods %s)", s, c, strings.Join(missing(c, have), ", "))
			}
		}
		for name := range cfg.lacks {
			if !slices.Contains(Capabilities(), name) {
				t.Errorf("lacks names %s, which is not one of the capabilities %v", name, Capabilities())
			}
		}
	})
	areas := []struct {
		name  string
		tests []test
	}{
		{"Accounts", accountTests},
		{"Exports", exportTests},
		{"Jobs", jobTests},
		{"ExportRows", rowTests},
		{"Agents", agentTests},
		{"Inventory", inventoryTests},
		{"Tags", tagTests},
		{"Applications", applicationTests},
		{"BatchDelete", batchDeleteTests},
		{"Continuous", continuousTests},
		{"Imports", importTests},
		{"Console", consoleTests},
		{"Overview", overviewTests},
	}
	for _, a := range areas {
		t.Run(a.name, func(t *testing.T) {
			for _, st := range a.tests {
				t.Run(st.name, func(t *testing.T) {
					t.Parallel()
					s := open(t)
					cfg.admit(t, st.need, s)
					st.run(t, s)
				})
			}
		})
	}
	t.Run("Restart", func(t *testing.T) {
		for _, st := range restartTests {
			t.Run(st.name, func(t *testing.T) {
				t.Parallel()
				s := open(t)
				cfg.admit(t, st.need, s)
				st.run(t, s, func(s Accounts) Accounts { return reopen(t, s) })
			})
		}
	})
}

// The accounts of the suite, and the time its data is stamped around.
const (
	acctA = "111111111111"
	acctB = "222222222222"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func ctx(t *testing.T) context.Context { return t.Context() }

// must fails the test on err.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// ok returns v of a call that must not fail: ok(s.GetAgent(...))(t).
func ok[T any](v T, err error) func(t *testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// tokens seals cursors as the services do, so that every cursor the suite
// hands back to a store has been through a page token's JSON.
var tokens = pagetoken.New([]byte("storetest"))

// viaToken returns c as it comes back from a page token.
func viaToken[C any](t *testing.T, c C) C {
	t.Helper()
	q := pagetoken.Query("storetest", fmt.Sprintf("%T", c))
	tok, err := tokens.Seal(q, c)
	if err != nil {
		t.Fatal(err)
	}
	var out C
	if err := tokens.Open(tok, q, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// pages reads a list to its end, limit items a page: page reads the page
// after a cursor (nil for the first), cursor gives an item's cursor, which
// goes through a page token before it is handed back. It fails the test if
// a page is longer than limit or the list does not end.
func pages[T, C any](t *testing.T, limit int, page func(after *C) ([]T, error), cursor func(T) C) [][]T {
	t.Helper()
	var (
		out   [][]T
		after *C
	)
	for range 1000 {
		p, err := page(after)
		if err != nil {
			t.Fatal(err)
		}
		if len(p) > limit {
			t.Fatalf("page of %d items, limit %d", len(p), limit)
		}
		if len(p) > 0 {
			out = append(out, p)
		}
		if len(p) < limit {
			return out
		}
		c := viaToken(t, cursor(p[len(p)-1]))
		after = &c
	}
	t.Fatal("the list did not end after 1000 pages")
	return nil
}

// flat joins pages.
func flat[T any](ps [][]T) []T {
	var out []T
	for _, p := range ps {
		out = append(out, p...)
	}
	return out
}

// keys maps items to their keys.
func keys[T any, K any](items []T, key func(T) K) []K {
	out := make([]K, len(items))
	for i, v := range items {
		out[i] = key(v)
	}
	return out
}

// both is the one list a use case hands a store for repeated filters of
// one attribute: the values in every set (discovery.Intersect).
func both(sets ...[]string) []string {
	vals, _ := discovery.Intersect(sets)
	return vals
}

// longList returns vals among more absent values than a statement of
// SQLite (32,766) or PostgreSQL (65,535) takes parameters, for stores that
// must pass a list as one value.
func longList(vals ...string) []string {
	absent := absentValues()
	out := make([]string, 0, len(absent)+len(vals))
	out = append(out, absent[:len(absent)/2]...)
	out = append(out, vals...)
	return append(out, absent[len(absent)/2:]...)
}

// absentValues are longList's absent values.
var absentValues = sync.OnceValue(func() []string {
	out := make([]string, 66_000)
	for i := range out {
		out[i] = fmt.Sprintf("absent-%05d", i)
	}
	return out
})

// ptr returns a pointer to v.
func ptr[T any](v T) *T { return &v }

// ms rounds t to the millisecond, the precision of stored times.
func ms(t time.Time) time.Time { return t.Truncate(time.Millisecond) }

// together runs fn(0) to fn(n-1) at once, each in a goroutine of its own,
// and returns their results in that order; errors fail the test.
func together[R any](t *testing.T, n int, fn func(i int) (R, error)) []R {
	t.Helper()
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		out   = make([]R, n)
		errs  = make([]error, n)
	)
	for i := range n {
		wg.Go(func() {
			<-start
			out[i], errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	return out
}
