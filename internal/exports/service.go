// Package exports implements the export use cases: StartExportTask,
// ExportConfigurations and the two Describe calls. It validates what the
// model cannot express, enforces limits, and hands work to the worker through
// the store; it never builds a file itself.
package exports

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/pagetoken"
)

// Store persists export tasks. sqlite.DB implements it.
type Store interface {
	// CreateExportTask stores t unless the admission refuses it, checking
	// the admission and inserting atomically: two concurrent calls, in this
	// process or another, never both pass a limit only one of them fits. It
	// returns nil when it stored t.
	CreateExportTask(ctx context.Context, t *discovery.ExportTask, a discovery.ExportAdmission) (*discovery.ExportRefusal, error)
	FindExportTasks(ctx context.Context, q discovery.ExportQuery) ([]*discovery.ExportTask, error)
}

// Limits are the per-account export limits (DECISIONS.md). A zero count means
// no limit; Disabled turns them all off.
type Limits struct {
	AgentConcurrent      int // running agent exports
	AgentPerDay          int // agent exports per rolling 24 hours
	ConfigurationExports int // ExportConfigurations calls per rolling 6 hours
	Disabled             bool
}

// DefaultLimits are AWS's documented limits.
var DefaultLimits = Limits{AgentConcurrent: 5, AgentPerDay: 2, ConfigurationExports: 2}

// Operation names that make or read export tasks.
const (
	OpStartExportTask              = "StartExportTask"
	OpExportConfigurations         = "ExportConfigurations"
	OpDescribeExportTasks          = "DescribeExportTasks"
	OpDescribeExportConfigurations = "DescribeExportConfigurations"
)

const maxExportIDs = 100

// Service implements the export use cases.
type Service struct {
	store  Store
	now    func() time.Time
	delay  time.Duration
	limits Limits
	tokens *pagetoken.Sealer
	wake   func()
	newID  func() string
}

// Config configures a Service.
type Config struct {
	Store  Store
	Now    func() time.Time
	Delay  time.Duration // --export-delay
	Limits Limits
	Tokens *pagetoken.Sealer
	Wake   func() // nudges the worker; may be nil
	NewID  func() string
}

// New returns a Service.
func New(c Config) *Service {
	s := &Service{store: c.Store, now: c.Now, delay: c.Delay, limits: c.Limits, tokens: c.Tokens, wake: c.Wake, newID: c.NewID}
	if s.newID == nil {
		s.newID = func() string { return "export-" + uuid.NewString() }
	}
	if s.wake == nil {
		s.wake = func() {}
	}
	return s
}

// StartInput is a StartExportTask request, in domain terms.
type StartInput struct {
	Formats    []string
	Filters    []discovery.Filter
	Start, End *time.Time
	// EC2 are the ec2RecommendationsPreferences, defaults applied, when
	// they are enabled; nil otherwise.
	EC2 *discovery.EC2Preferences
}

// canonicalFilter reports whether name is the agent filter (DECISIONS.md:
// agentIds, also agentId and AgentId, case-insensitively).
func isAgentFilter(name string) bool {
	switch strings.ToLower(name) {
	case "agentids", "agentid":
		return true
	}
	return false
}

func checkFilters(fs []discovery.Filter) error {
	for _, f := range fs {
		if !isAgentFilter(f.Name) {
			return discovery.Errorf(discovery.InvalidParameter, "Invalid filter name '%s'. The only supported filter name is agentIds.", f.Name)
		}
		if f.Condition != "EQUALS" {
			return discovery.Errorf(discovery.InvalidParameterValue, "Invalid condition '%s' for filter '%s'. The only supported condition is EQUALS.", f.Condition, f.Name)
		}
	}
	return nil
}

// Start validates a StartExportTask request and queues the export.
func (s *Service) Start(ctx context.Context, account string, in StartInput) (*discovery.ExportTask, error) {
	if err := checkFilters(in.Filters); err != nil {
		return nil, err
	}
	now := s.now()
	t := &discovery.ExportTask{
		AccountID:      account,
		ID:             s.newID(),
		Kind:           discovery.KindSummary,
		Operation:      OpStartExportTask,
		Status:         discovery.ExportInProgress,
		Message:        discovery.InProgressMessage,
		RequestTime:    now,
		RequestedStart: in.Start,
		RequestedEnd:   in.End,
		ReadyAt:        now.Add(s.delay),
	}
	switch {
	case len(in.Filters) > 1:
		return nil, discovery.Errorf(discovery.InvalidParameterValue, "StartExportTask accepts one agentIds filter, with a single agent ID; %d filters were given.", len(in.Filters))
	case len(in.Filters) == 1:
		f := in.Filters[0]
		if len(f.Values) != 1 {
			return nil, discovery.Errorf(discovery.InvalidParameterValue, "The agentIds filter of StartExportTask takes a single agent ID; %d values were given.", len(f.Values))
		}
		if strings.TrimSpace(f.Values[0]) == "" {
			return nil, discovery.Errorf(discovery.InvalidParameterValue, "The agentIds filter value must be an agent ID, not an empty string.")
		}
		if in.EC2 != nil {
			return nil, discovery.Errorf(discovery.InvalidParameterValue, "ec2RecommendationsPreferences cannot be combined with an agentIds filter.")
		}
		if in.Start != nil && in.Start.After(now) {
			return nil, discovery.Errorf(discovery.InvalidParameterValue, "startTime %s is in the future.", in.Start.Format(time.RFC3339))
		}
		if in.Start != nil && in.End != nil && in.Start.After(*in.End) {
			return nil, discovery.Errorf(discovery.InvalidParameterValue, "startTime %s is after endTime %s.", in.Start.Format(time.RFC3339), in.End.Format(time.RFC3339))
		}
		t.Kind, t.AgentID = discovery.KindAgent, f.Values[0]
	case in.EC2 != nil:
		if err := in.EC2.Validate(); err != nil {
			return nil, err
		}
		prefs := *in.EC2
		t.Kind, t.EC2 = discovery.KindEC2, &prefs
	}

	var (
		adm     discovery.ExportAdmission
		refuses []error // parallels adm.Limits
	)
	if t.Kind == discovery.KindAgent {
		adm.RefuseDuplicate = true
		if n := s.limits.AgentConcurrent; n > 0 && !s.limits.Disabled {
			adm.Limits = append(adm.Limits, discovery.ExportLimit{Kind: discovery.KindAgent, Running: true, Max: n})
			refuses = append(refuses, discovery.Errorf(discovery.OperationNotPermitted, "You have reached limit of maximum allowed concurrent exports. Please wait for current export tasks to finish before starting another.").
				WithHint(fmt.Sprintf("agent export refused: %d running, AWS's limit; start poseidon with --no-limits or --agent-exports-running N (0: no limit)", n)))
		}
		if n := s.limits.AgentPerDay; n > 0 && !s.limits.Disabled {
			adm.Limits = append(adm.Limits, discovery.ExportLimit{Kind: discovery.KindAgent, Since: now.Add(-24 * time.Hour), Max: n})
			refuses = append(refuses, discovery.Errorf(discovery.OperationNotPermitted, "You have reached the limit of %d agent data exports per 24 hours. Try again later. %s", n, limitGuidance).
				WithHint(fmt.Sprintf("agent export refused: %d in the last 24 hours, AWS's limit; start poseidon with --no-limits or --agent-exports-per-day N (0: no limit), or move the virtual clock a day on: POST /_poseidon/clock {\"advanceSeconds\": 86400}", n)))
		}
	}
	if err := s.create(ctx, t, adm, refuses); err != nil {
		return nil, err
	}
	return t, nil
}

// limitGuidance ends the messages of the limits whose wording is poseidon's
// (AWS's own, observed, is kept as is): what lifts them in poseidon.
const limitGuidance = "(poseidon: --no-limits lifts the limit, or move the virtual clock on with POST /_poseidon/clock.)"

// create stores t under the admission and wakes the worker. A refusal is
// OperationNotPermittedException: the duplicate's, or refuses[i] for limit i.
func (s *Service) create(ctx context.Context, t *discovery.ExportTask, adm discovery.ExportAdmission, refuses []error) error {
	r, err := s.store.CreateExportTask(ctx, t, adm)
	switch {
	case err != nil:
		return fmt.Errorf("create export task: %w", err)
	case r == nil:
		s.wake()
		return nil
	case r.DuplicateOf != "":
		return discovery.Errorf(discovery.OperationNotPermitted, "A successful export is already present Export ID: %s", r.DuplicateOf)
	case r.Limit >= 0 && r.Limit < len(refuses):
		return refuses[r.Limit]
	}
	return fmt.Errorf("create export task: refusal %+v names no limit", *r)
}

// ExportConfigurations queues a summary export, at most
// Limits.ConfigurationExports times per rolling 6 hours.
func (s *Service) ExportConfigurations(ctx context.Context, account string) (*discovery.ExportTask, error) {
	now := s.now()
	t := &discovery.ExportTask{
		AccountID:   account,
		ID:          s.newID(),
		Kind:        discovery.KindSummary,
		Operation:   OpExportConfigurations,
		Status:      discovery.ExportInProgress,
		Message:     discovery.InProgressMessage,
		RequestTime: now,
		ReadyAt:     now.Add(s.delay),
	}
	var (
		adm     discovery.ExportAdmission
		refuses []error
	)
	if n := s.limits.ConfigurationExports; n > 0 && !s.limits.Disabled {
		adm.Limits = []discovery.ExportLimit{{Operation: OpExportConfigurations, Since: now.Add(-6 * time.Hour), Max: n}}
		refuses = []error{discovery.Errorf(discovery.OperationNotPermitted, "The system imposes a limit of %d configuration exports in six hours. Try again later. %s", n, limitGuidance).
			WithHint(fmt.Sprintf("ExportConfigurations refused: %d in the last 6 hours, AWS's limit; start poseidon with --no-limits or --config-exports-per-6h N (0: no limit), or move the virtual clock 6 hours on: POST /_poseidon/clock {\"advanceSeconds\": 21600}", n))}
	}
	if err := s.create(ctx, t, adm, refuses); err != nil {
		return nil, err
	}
	return t, nil
}

// DescribeInput is a DescribeExportTasks or DescribeExportConfigurations request.
type DescribeInput struct {
	IDs        []string
	Filters    []discovery.Filter
	MaxResults *int32
	NextToken  *string
}

// Page is one page of export tasks; Next is "" on the last page.
type Page struct {
	Tasks []*discovery.ExportTask
	Next  string
}

// Describe serves DescribeExportTasks (op OpDescribeExportTasks) and
// DescribeExportConfigurations (op OpDescribeExportConfigurations). Both see
// every export of the account.
func (s *Service) Describe(ctx context.Context, account, op string, in DescribeInput) (*Page, error) {
	if len(in.IDs) > maxExportIDs {
		return nil, discovery.Errorf(discovery.InvalidParameterValue,
			"1 validation error detected: Value '[%s]' at 'exportIds' failed to satisfy constraint: Member must have length less than or equal to %d",
			strings.Join(in.IDs, ", "), maxExportIDs)
	}
	limit, err := discovery.PageSize(in.MaxResults)
	if err != nil {
		return nil, err
	}
	if err := checkFilters(in.Filters); err != nil {
		return nil, err
	}
	q := discovery.ExportQuery{AccountID: account, Limit: limit + 1}
	if len(in.IDs) > 0 {
		q.IDs = uniqueSorted(in.IDs)
	}
	// The agent filters all hold: their sets intersect.
	var agents [][]string
	for _, f := range in.Filters {
		agents = append(agents, uniqueSorted(f.Values))
	}
	q.AgentIDs, _ = discovery.Intersect(agents)
	binding := pagetoken.Query(op, account, q.IDs, agents)
	if in.NextToken != nil && *in.NextToken != "" {
		var c discovery.ExportCursor
		if err := s.tokens.Open(*in.NextToken, binding, &c); err != nil {
			return nil, discovery.Errorf(discovery.InvalidParameterValue, "The nextToken is not valid for this request.")
		}
		q.After = &c
	} else if op == OpDescribeExportConfigurations && len(q.IDs) > 0 {
		if err := s.checkExist(ctx, account, q.IDs); err != nil {
			return nil, err
		}
	}
	tasks, err := s.store.FindExportTasks(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("find export tasks: %w", err)
	}
	page := &Page{Tasks: tasks}
	if len(tasks) > limit {
		page.Tasks = tasks[:limit]
		last := page.Tasks[limit-1]
		tok, err := s.tokens.Seal(binding, discovery.ExportCursor{RequestTimeMs: last.RequestTime.UnixMilli(), ExportID: last.ID})
		if err != nil {
			return nil, err
		}
		page.Next = tok
	}
	return page, nil
}

// checkExist fails with ResourceNotFoundException naming the first unknown ID.
func (s *Service) checkExist(ctx context.Context, account string, ids []string) error {
	found, err := s.store.FindExportTasks(ctx, discovery.ExportQuery{AccountID: account, IDs: ids, Limit: len(ids)})
	if err != nil {
		return fmt.Errorf("find export tasks: %w", err)
	}
	have := make(map[string]bool, len(found))
	for _, t := range found {
		have[t.ID] = true
	}
	for _, id := range ids {
		if !have[id] {
			return discovery.Errorf(discovery.ResourceNotFound, "The specified export ID was not located: %s", id)
		}
	}
	return nil
}

func uniqueSorted(v []string) []string {
	out := slices.Clone(v)
	slices.Sort(out)
	return slices.Compact(out)
}
