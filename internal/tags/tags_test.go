package tags

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/pagetoken"
)

// recStore records calls; it finds every ID.
type recStore struct {
	calls   int
	ids     []string
	tags    []discovery.Tag
	queries []discovery.TagQuery
}

func (s *recStore) CreateTags(_ context.Context, _ string, ids []string, ts []discovery.Tag, _ int64, check func([]string, map[string]int) error) error {
	s.calls++
	s.ids, s.tags = ids, ts
	return check(nil, map[string]int{})
}

func (s *recStore) DeleteTags(_ context.Context, _ string, ids []string, ts []discovery.Tag, check func([]string) error) error {
	s.calls++
	s.ids, s.tags = ids, ts
	return check(nil)
}

func (s *recStore) FindTags(_ context.Context, q discovery.TagQuery) ([]discovery.ConfigurationTag, error) {
	s.calls++
	s.queries = append(s.queries, q)
	return nil, nil
}

func code(t *testing.T, err error) discovery.ErrorCode {
	t.Helper()
	var de *discovery.Error
	if !errors.As(err, &de) {
		t.Fatalf("error = %v, want a *discovery.Error", err)
	}
	return de.Code
}

func TestValidationStoresNothing(t *testing.T) {
	ctx := context.Background()
	st := &recStore{}
	svc := New(st, time.Now, pagetoken.New([]byte("k")))
	srv := "d-server-0123456789abcdef"
	for _, c := range []struct {
		name string
		err  error
		want discovery.ErrorCode
	}{
		{"create no ids", svc.Create(ctx, "a", nil, []discovery.Tag{{Key: "k", Value: "v"}}), discovery.InvalidParameterValue},
		{"create no tags", svc.Create(ctx, "a", []string{srv}, nil), discovery.InvalidParameterValue},
		{"create empty key", svc.Create(ctx, "a", []string{srv}, []discovery.Tag{{Key: " ", Value: "v"}}), discovery.InvalidParameterValue},
		{"create foreign id", svc.Create(ctx, "a", []string{srv, "i-0abc"}, []discovery.Tag{{Key: "k", Value: "v"}}), discovery.ResourceNotFound},
		{"delete no ids", svc.Delete(ctx, "a", []string{}, nil), discovery.InvalidParameterValue},
		{"delete foreign id", svc.Delete(ctx, "a", []string{"x"}, nil), discovery.ResourceNotFound},
		{"delete empty key", svc.Delete(ctx, "a", []string{srv}, []discovery.Tag{{Key: "", Value: "v"}}), discovery.InvalidParameterValue},
	} {
		if got := code(t, c.err); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
	if st.calls != 0 {
		t.Fatalf("store called %d times", st.calls)
	}
}

func TestDedupAndDeleteAll(t *testing.T) {
	ctx := context.Background()
	st := &recStore{}
	svc := New(st, time.Now, pagetoken.New([]byte("k")))
	a, b := "d-server-1", "d-application-2"
	if err := svc.Create(ctx, "acct", []string{a, b, a}, []discovery.Tag{{Key: "k", Value: "v"}, {Key: "k", Value: "v"}, {Key: "k", Value: "w"}}); err != nil {
		t.Fatal(err)
	}
	if len(st.ids) != 2 || len(st.tags) != 2 {
		t.Fatalf("ids %v tags %v", st.ids, st.tags)
	}
	if err := svc.Delete(ctx, "acct", []string{a}, nil); err != nil {
		t.Fatal(err)
	}
	if st.tags != nil {
		t.Fatalf("absent tags should reach the store as nil (delete all), got %v", st.tags)
	}
	if err := svc.Delete(ctx, "acct", []string{a}, []discovery.Tag{}); err != nil {
		t.Fatal(err)
	}
	if st.tags == nil || len(st.tags) != 0 {
		t.Fatalf("empty tags should reach the store as empty, got %#v", st.tags)
	}
}

// DescribeTags: the values of a filter are alternatives and the filters all
// hold, so the sets of one name intersect before the store sees them; a name
// without filter is no condition.
func TestDescribeQuery(t *testing.T) {
	st := &recStore{}
	svc := New(st, time.Now, pagetoken.New([]byte("k")))
	_, err := svc.Describe(context.Background(), "a", DescribeInput{Filters: []Filter{
		{Name: FilterTagKey, Values: []string{"env", "tier", "env"}}, {Name: FilterTagKey, Values: []string{"tier", "role", "env"}},
		{Name: FilterTagValue, Values: []string{"prod"}}, {Name: FilterTagValue, Values: []string{"dev"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	q := st.queries[0]
	if !reflect.DeepEqual(q.Keys, []string{"env", "tier"}) || q.Values == nil || len(q.Values) != 0 || q.IDs != nil || q.Limit != 101 {
		t.Fatalf("query %+v", q)
	}
}

// DescribeTags refuses an unknown filter name (names are case-sensitive),
// a filter without values and a negative maxResults, before asking the
// store.
func TestDescribeRefusals(t *testing.T) {
	st := &recStore{}
	svc := New(st, time.Now, pagetoken.New([]byte("k")))
	minus := int32(-1)
	for _, c := range []struct {
		in   DescribeInput
		want discovery.ErrorCode
	}{
		{DescribeInput{Filters: []Filter{{Name: "TagKey", Values: []string{"env"}}}}, discovery.InvalidParameter},
		{DescribeInput{Filters: []Filter{{Name: FilterTagKey, Values: nil}}}, discovery.InvalidParameterValue},
		{DescribeInput{MaxResults: &minus}, discovery.InvalidParameterValue},
	} {
		if _, err := svc.Describe(context.Background(), "a", c.in); code(t, err) != c.want {
			t.Errorf("%+v: %v, want %s", c.in, err, c.want)
		}
	}
	if st.calls != 0 {
		t.Fatalf("%d store calls", st.calls)
	}
}
