package applications

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// fakeStore records calls and answers checks with a fixed state.
type fakeStore struct {
	calls int
	count int
	m     discovery.ApplicationMembership
}

func (f *fakeStore) CreateApplication(_ context.Context, _ string, _ *discovery.Application, check func(int) error) error {
	f.calls++
	return check(f.count)
}
func (f *fakeStore) UpdateApplication(context.Context, string, string, discovery.ApplicationUpdate, time.Time) error {
	f.calls++
	return discovery.ErrNotFound
}
func (f *fakeStore) DeleteApplications(_ context.Context, _ string, _ []string, check func([]string) error) error {
	f.calls++
	return check(nil)
}
func (f *fakeStore) AssociateServers(_ context.Context, _, _ string, _ []string, _ time.Time, check func(discovery.ApplicationMembership) error) error {
	f.calls++
	return check(f.m)
}
func (f *fakeStore) DisassociateServers(_ context.Context, _, _ string, _ []string, _ time.Time, check func(discovery.ApplicationMembership) error) error {
	f.calls++
	return check(f.m)
}

func wantInvalid(t *testing.T, err error, contains string) {
	t.Helper()
	var de *discovery.Error
	if !errors.As(err, &de) || de.Code != discovery.InvalidParameterValue || !strings.Contains(de.Message, contains) {
		t.Fatalf("err = %v, want InvalidParameterValueException containing %q", err, contains)
	}
}

func TestDefaultsAndLimits(t *testing.T) {
	st := &fakeStore{count: DefaultMaxApplications - 1}
	s := New(Config{Store: st, Now: func() time.Time { return time.Unix(0, 0) }})
	if _, err := s.Create(t.Context(), "1", "a", nil, nil); err != nil {
		t.Fatal(err)
	}
	st.count = DefaultMaxApplications
	_, err := s.Create(t.Context(), "1", "a", nil, nil)
	wantInvalid(t, err, "at most 1000 applications")

	st.m = discovery.ApplicationMembership{AppExists: true, Count: DefaultMaxServersPerApplication + 1}
	wantInvalid(t, s.Associate(t.Context(), "1", "d-application-00000000000000001", []string{"d-server-1"}), "at most 400 servers")
	st.m.Count = DefaultMaxServersPerApplication
	if err := s.Associate(t.Context(), "1", "d-application-00000000000000001", []string{"d-server-1"}); err != nil {
		t.Fatal(err)
	}
}

func TestValidationBeforeStore(t *testing.T) {
	st := &fakeStore{}
	s := New(Config{Store: st})
	ctx := t.Context()
	wantInvalid(t, s.Update(ctx, "1", "app-1", discovery.ApplicationUpdate{}), "app-1")
	wantInvalid(t, s.Delete(ctx, "1", []string{"d-server-1"}), "d-server-1")
	wantInvalid(t, s.Associate(ctx, "1", "nope", []string{"d-server-1"}), "nope")
	many := []string{}
	for i := range 12 {
		many = append(many, "d-process-"+strings.Repeat("0", i))
	}
	wantInvalid(t, s.Associate(ctx, "1", "d-application-1", many), "and 2 more")
	wantInvalid(t, s.Disassociate(ctx, "1", "d-application-1", nil), "at least one")
	if st.calls != 0 {
		t.Fatalf("store called %d times for invalid input", st.calls)
	}
	wantInvalid(t, s.Update(ctx, "1", "d-application-1", discovery.ApplicationUpdate{}), "d-application-1") // store says not found
}

func TestApplicationIDsRandom(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		id := NewID()
		if seen[id] || !strings.HasPrefix(id, "d-application-") || len(id) != len("d-application-")+17 {
			t.Fatalf("bad or repeated id %q", id)
		}
		seen[id] = true
	}
}
