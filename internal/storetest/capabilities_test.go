package storetest

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/tags"
)

// accountsOnly is a store with one capability, Accounts.
type accountsOnly struct{}

func (accountsOnly) EnsureAccount(context.Context, string, time.Time, *discovery.HomeRegionControl) error {
	return nil
}
func (accountsOnly) HomeRegionControl(context.Context, string) (*discovery.HomeRegionControl, error) {
	return nil, discovery.ErrNotFound
}
func (accountsOnly) CreateHomeRegionControl(_ context.Context, c *discovery.HomeRegionControl) (*discovery.HomeRegionControl, bool, error) {
	return c, true, nil
}
func (accountsOnly) DeleteHomeRegionControl(context.Context, string, string) error { return nil }
func (accountsOnly) Reset(context.Context) error                                   { return nil }
func (accountsOnly) ResetAccount(context.Context, string) error                    { return nil }
func (accountsOnly) Control(context.Context) (discovery.Control, error) {
	return discovery.Control{}, nil
}
func (accountsOnly) ControlChanges(context.Context) <-chan struct{} { return nil }
func (accountsOnly) UpdateControl(context.Context, func(*discovery.Control)) (discovery.Control, error) {
	return discovery.Control{}, nil
}
func (accountsOnly) Secret(context.Context, string) ([]byte, error) { return nil, nil }
func (accountsOnly) Close() error                                   { return nil }

// withFind has Accounts and one method of tags.Store.
type withFind struct{ accountsOnly }

func (withFind) FindTags(context.Context, discovery.TagQuery) ([]discovery.ConfigurationTag, error) {
	return nil, nil
}

func TestMissingNamesCapabilities(t *testing.T) {
	all := Capabilities()
	if len(all) != len(capabilities) || all[0] != "storetest.Accounts" || !slices.Contains(all, "tags.Store") || !slices.Contains(all, "storetest.Agents") {
		t.Fatalf("Capabilities() = %v", all)
	}
	if got := Missing(accountsOnly{}); !slices.Equal(got, all[1:]) {
		t.Fatalf("Missing(accounts only) = %v, want %v", got, all[1:])
	}
	if got := missing(reflect.TypeFor[queueStore](), reflect.TypeFor[accountsOnly]()); !slices.Equal(got,
		[]string{"storetest.Exports", "storetest.ExportResults", "queue.Store", "storetest.JobLookup", "worker.Retention"}) {
		t.Fatalf("missing of the queue's store = %v", got)
	}
	if got := missing(reflect.TypeFor[Accounts](), reflect.TypeFor[accountsOnly]()); got != nil {
		t.Fatalf("missing of Accounts = %v", got)
	}
	// A need that is no capability is named by its methods.
	type findOnly interface {
		Accounts
		FindTags(context.Context, discovery.TagQuery) ([]discovery.ConfigurationTag, error)
		CreateTags(ctx context.Context, account string, ids []string, tags []discovery.Tag, createdMs int64,
			check func(missing []string, counts map[string]int) error) error
	}
	if got := missing(reflect.TypeFor[findOnly](), reflect.TypeFor[withFind]()); !slices.Equal(got, []string{"CreateTags"}) {
		t.Fatalf("missing of a loose need = %v", got)
	}
	if got := missing(reflect.TypeFor[tags.Store](), reflect.TypeFor[withFind]()); !slices.Equal(got, []string{"tags.Store"}) {
		t.Fatalf("missing of tags.Store = %v", got)
	}
}

func TestAdmitSkipsWhatLacksNames(t *testing.T) {
	cfg := &config{lacks: map[string]string{"tags.Store": "not yet"}}
	var ran bool
	t.Run("needs tags", func(t *testing.T) {
		cfg.admit(t, reflect.TypeFor[interface {
			Accounts
			tags.Store
		}](), accountsOnly{})
		ran = true
	})
	if ran {
		t.Fatal("a subtest ran without a capability it needs")
	}
	t.Run("needs accounts", func(t *testing.T) {
		cfg.admit(t, reflect.TypeFor[Accounts](), accountsOnly{})
		ran = true
	})
	if !ran {
		t.Fatal("a subtest with what it needs did not run")
	}
	if got := Lacking[tags.Store]("why"); got != (Lack{"tags.Store", "why"}) {
		t.Fatalf("Lacking = %+v", got)
	}
}
