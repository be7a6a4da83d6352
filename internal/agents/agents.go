// Package agents implements the agent use cases: taking in batches of agent
// reports (POST /_poseidon/intake), DescribeAgents, starting and stopping
// data collection, and BatchDeleteAgents. It validates and normalizes input,
// derives configuration IDs, holds the intake rules (intake.go: a batch
// becomes a discovery.IntakePlan that the store applies in the transaction
// it read from), leaves persistence to a consumer-owned Store, and forwards
// accepted reports to continuous exports (Forwarder).
package agents

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/poseidon-ads/poseidon/internal/agentdata"
	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/pagetoken"
)

// Defaults applied to report members an agent leaves out.
const (
	DefaultAgentType  = "EC2"
	DefaultHealth     = "HEALTHY"
	DefaultServerType = "OTHER"
	DefaultProtocol   = "tcp"
)

// Operation names that read agents (bound into page tokens).
const OpDescribeAgents = "DescribeAgents"

// DeleteError is one BatchDeleteAgentError.
type DeleteError struct {
	AgentID string
	Code    string // NOT_FOUND, AGENT_IN_USE, INTERNAL_SERVER_ERROR
	Message string
}

// ConfigurationStatus is one AgentConfigurationStatus.
type ConfigurationStatus struct {
	AgentID            string
	OperationSucceeded bool
	Description        string
}

// Store persists agents and their data. sqlite.DB implements it.
type Store interface {
	// Intake runs fn in one transaction over account's agent data: what
	// fn reads through the IntakeTx and the plan it applies are atomic
	// together. The IntakeTx is valid only until fn returns. fn has no
	// other effect, so that a store may run it again after a conflict.
	Intake(ctx context.Context, account string, fn func(tx discovery.IntakeTx) error) error
	FindAgents(ctx context.Context, q discovery.AgentQuery) ([]*discovery.Agent, error)
	// SetCollectionStatus sets the status of the account's agents among ids
	// and returns the IDs it found.
	SetCollectionStatus(ctx context.Context, account string, ids []string, status string) (map[string]bool, error)
	// DeleteAgents deletes agent records (not their data) in one
	// transaction, refusing agents whose collection is STARTED unless forced.
	DeleteAgents(ctx context.Context, account string, reqs []discovery.DeleteAgentRequest) (map[string]discovery.DeleteAgentOutcome, error)
}

// Forwarder receives the reports of a batch that intake accepted, after
// they are stored: continuous exports append them to their files.
// continuous.Service implements it. Forward logs its own errors: intake has
// succeeded and does not fail for them.
type Forwarder interface {
	Forward(ctx context.Context, account string, b *agentdata.Batch, accepted []string)
}

// Config configures a Service.
type Config struct {
	Store  Store
	Now    func() time.Time
	Tokens *pagetoken.Sealer
	// Forward, if not nil, receives every batch's accepted reports.
	Forward Forwarder
}

// Service implements the agent use cases.
type Service struct {
	store   Store
	now     func() time.Time
	tokens  *pagetoken.Sealer
	forward Forwarder
}

// New returns a Service.
func New(c Config) *Service {
	return &Service{store: c.Store, now: c.Now, tokens: c.Tokens, forward: c.Forward}
}

// Intake validates a whole batch, then, in one transaction of the store,
// plans what it writes (planIntake) and applies the plan. A batch
// that fails validation stores nothing: InvalidParameterValueException names
// the offending member. The accepted reports then go to the Forwarder,
// before Intake returns, so that a continuous export has them in its files
// when intake answers.
func (s *Service) Intake(ctx context.Context, account string, b *agentdata.Batch) (*discovery.IntakeResult, error) {
	if err := b.Validate(); err != nil {
		var ve *agentdata.Error
		if errors.As(err, &ve) {
			return nil, discovery.Errorf(discovery.InvalidParameterValue, "Invalid agent report batch: %s: %s", ve.Path, ve.Problem)
		}
		return nil, discovery.Errorf(discovery.InvalidParameterValue, "Invalid agent report batch: %s", err)
	}
	reports := make([]*discovery.AgentReport, len(b.Reports))
	for i := range b.Reports {
		reports[i] = prepare(account, &b.Reports[i])
	}
	// No lock here: the store serializes writers itself (sqlite.DB's write
	// turn, in arrival order). A lock held while waiting for that turn let
	// one batch at a time into the writers' queue, so that each batch waited
	// out that queue once for every batch ahead of it.
	now := s.now()
	var plan *discovery.IntakePlan
	err := s.store.Intake(ctx, account, func(tx discovery.IntakeTx) error {
		var err error
		if plan, err = planIntake(ctx, tx, account, reports, now); err != nil {
			return err
		}
		return tx.Apply(ctx, plan)
	})
	if err != nil {
		return nil, fmt.Errorf("intake: %w", err)
	}
	res := plan.Result()
	if s.forward != nil && len(res.AcceptedIDs) > 0 {
		// The batch is stored: a client that goes away now must not cut
		// the forwarding short.
		s.forward.Forward(context.WithoutCancel(ctx), account, b, res.AcceptedIDs)
	}
	return res, nil
}

// prepare applies defaults and derives IDs.
func prepare(account string, r *agentdata.Report) *discovery.AgentReport {
	if r.Agent.AgentType == "" {
		r.Agent.AgentType = DefaultAgentType
	}
	if r.Agent.Health == "" {
		r.Agent.Health = DefaultHealth
	}
	if r.Server.Type == "" {
		r.Server.Type = DefaultServerType
	}
	for i := range r.NetworkInterfaces {
		n := &r.NetworkInterfaces[i]
		if n.Family == "" {
			n.Family = ipFamily(n.IPAddress)
		}
	}
	for i := range r.Connections {
		c := &r.Connections[i]
		if c.IPVersion == "" {
			c.IPVersion = ipFamily(c.SourceIP)
		}
		if c.TransportProtocol == "" {
			c.TransportProtocol = DefaultProtocol
		}
	}
	p := &discovery.AgentReport{Report: r, TimeMs: int64(math.Round(r.Timestamp * 1000)), ServerID: discovery.ServerID(account, r.AgentID)}
	if len(r.Processes) > 0 {
		p.ProcessIDs = make([]string, len(r.Processes))
		for i, pr := range r.Processes {
			p.ProcessIDs[i] = discovery.ProcessID(account, p.ServerID, pr.Name, pr.Path, pr.CommandLine)
		}
	}
	return p
}

func ipFamily(ip string) string {
	if p := net.ParseIP(ip); p != nil && p.To4() == nil {
		return "IPv6"
	}
	return "IPv4"
}

// DescribeInput is a DescribeAgents request.
type DescribeInput struct {
	IDs        []string
	Filters    []discovery.Filter
	MaxResults *int32
	NextToken  *string
}

// Page is one page of agents; Next is "" on the last page.
type Page struct {
	Agents []*discovery.Agent
	Next   string
}

// TimeLayout formats AgentInfo's string times (ads-spec §1.4).
const TimeLayout = "2006-01-02T15:04:05Z"

// filterFields are the AgentInfo keys DescribeAgents filters on, by
// lower-cased name; each yields the values an agent has for the key.
var filterFields = map[string]func(a *discovery.Agent) []string{
	"agentid":          func(a *discovery.Agent) []string { return []string{a.ID} },
	"hostname":         func(a *discovery.Agent) []string { return []string{a.HostName} },
	"health":           func(a *discovery.Agent) []string { return []string{a.Health} },
	"collectionstatus": func(a *discovery.Agent) []string { return []string{a.CollectionStatus} },
	"agenttype":        func(a *discovery.Agent) []string { return []string{a.Type} },
	"version":          func(a *discovery.Agent) []string { return []string{a.Version} },
	"connectorid":      func(a *discovery.Agent) []string { return []string{a.ConnectorID} },
	"registeredtime":   func(a *discovery.Agent) []string { return []string{a.Registered.UTC().Format(TimeLayout)} },
	"lasthealthpingtime": func(a *discovery.Agent) []string {
		return []string{a.LastHealthPing.UTC().Format(TimeLayout)}
	},
	"agentnetworkinfolist.ipaddress": func(a *discovery.Agent) []string {
		out := make([]string, len(a.Network))
		for i, n := range a.Network {
			out[i] = n.IPAddress
		}
		return out
	},
	"agentnetworkinfolist.macaddress": func(a *discovery.Agent) []string {
		out := make([]string, len(a.Network))
		for i, n := range a.Network {
			out[i] = n.MACAddress
		}
		return out
	},
}

// FilterNames lists the filter names DescribeAgents accepts, as AgentInfo spells them.
var FilterNames = []string{"agentId", "hostName", "health", "collectionStatus", "agentType", "version", "connectorId",
	"registeredTime", "lastHealthPingTime", "agentNetworkInfoList.ipAddress", "agentNetworkInfoList.macAddress"}

// Conditions lists the filter conditions DescribeAgents accepts.
var Conditions = []string{"EQUALS", "NOT_EQUALS", "CONTAINS", "NOT_CONTAINS"}

type matcher struct {
	field    func(*discovery.Agent) []string
	values   []string
	contains bool
	negate   bool
}

// match: the positive conditions hold when any of the agent's values equals
// (contains) any filter value; the negative ones when none does.
func (m *matcher) match(a *discovery.Agent) bool {
	hit := false
	for _, have := range m.field(a) {
		for _, v := range m.values {
			if m.contains && strings.Contains(have, v) || !m.contains && have == v {
				hit = true
				break
			}
		}
		if hit {
			break
		}
	}
	return hit != m.negate
}

func compileFilters(fs []discovery.Filter) ([]matcher, error) {
	out := make([]matcher, 0, len(fs))
	for _, f := range fs {
		field, ok := filterFields[strings.ToLower(f.Name)]
		if !ok {
			return nil, discovery.Errorf(discovery.InvalidParameter, "Invalid filter name '%s'. Supported filter names: %s.", f.Name, strings.Join(FilterNames, ", "))
		}
		m := matcher{field: field, values: f.Values}
		switch f.Condition {
		case "EQUALS":
		case "NOT_EQUALS":
			m.negate = true
		case "CONTAINS":
			m.contains = true
		case "NOT_CONTAINS":
			m.contains, m.negate = true, true
		default:
			return nil, discovery.Errorf(discovery.InvalidParameterValue, "Invalid condition '%s' for filter '%s'. Supported conditions: %s.", f.Condition, f.Name, strings.Join(Conditions, ", "))
		}
		out = append(out, m)
	}
	return out, nil
}

type cursor struct {
	After string `json:"a"`
}

// Describe serves DescribeAgents: agentIds and filters combine with AND,
// unknown IDs are left out, agents come in agent ID order.
func (s *Service) Describe(ctx context.Context, account string, in DescribeInput) (*Page, error) {
	limit, err := discovery.PageSize(in.MaxResults)
	if err != nil {
		return nil, err
	}
	matchers, err := compileFilters(in.Filters)
	if err != nil {
		return nil, err
	}
	var ids []string
	if len(in.IDs) > 0 {
		ids = slices.Clone(in.IDs)
		slices.Sort(ids)
		ids = slices.Compact(ids)
	}
	type boundFilter struct {
		N string   `json:"n"`
		V []string `json:"v"`
		C string   `json:"c"`
	}
	bound := make([]boundFilter, len(in.Filters))
	for i, f := range in.Filters {
		bound[i] = boundFilter{strings.ToLower(f.Name), f.Values, f.Condition}
	}
	binding := pagetoken.Query(OpDescribeAgents, account, ids, bound)
	q := discovery.AgentQuery{AccountID: account, IDs: ids}
	if in.NextToken != nil && *in.NextToken != "" {
		var c cursor
		if err := s.tokens.Open(*in.NextToken, binding, &c); err != nil || c.After == "" {
			return nil, discovery.Errorf(discovery.InvalidParameterValue, "The nextToken is not valid for this request.")
		}
		q.After = c.After
	}
	// Without filters the store's page is the answer; with filters, read
	// on in chunks until limit+1 agents match or the account runs out.
	q.Limit = limit + 1
	if len(matchers) > 0 {
		q.Limit = 256
	}
	var got []*discovery.Agent
	for {
		batch, err := s.store.FindAgents(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("find agents: %w", err)
		}
	each:
		for _, a := range batch {
			for i := range matchers {
				if !matchers[i].match(a) {
					continue each
				}
			}
			got = append(got, a)
			if len(got) > limit {
				break
			}
		}
		if len(got) > limit || len(batch) < q.Limit {
			break
		}
		q.After = batch[len(batch)-1].ID
	}
	page := &Page{Agents: got}
	if len(got) > limit {
		page.Agents = got[:limit]
		tok, err := s.tokens.Seal(binding, cursor{After: got[limit-1].ID})
		if err != nil {
			return nil, err
		}
		page.Next = tok
	}
	return page, nil
}

// StartCollection serves StartDataCollectionByAgentIds.
func (s *Service) StartCollection(ctx context.Context, account string, ids []string) ([]ConfigurationStatus, error) {
	return s.setCollection(ctx, account, ids, discovery.CollectionStarted, "Data collection started.")
}

// StopCollection serves StopDataCollectionByAgentIds.
func (s *Service) StopCollection(ctx context.Context, account string, ids []string) ([]ConfigurationStatus, error) {
	return s.setCollection(ctx, account, ids, discovery.CollectionStopped, "Data collection stopped.")
}

// setCollection takes effect at once (there is no agent to wait for) and is
// idempotent. Each requested ID gets one status, in request order.
func (s *Service) setCollection(ctx context.Context, account string, ids []string, status, done string) ([]ConfigurationStatus, error) {
	ids = uniqueInOrder(ids)
	found, err := s.store.SetCollectionStatus(ctx, account, ids, status)
	if err != nil {
		return nil, fmt.Errorf("set collection status: %w", err)
	}
	out := make([]ConfigurationStatus, 0, len(ids))
	for _, id := range ids {
		st := ConfigurationStatus{AgentID: id, OperationSucceeded: found[id], Description: done}
		if !found[id] {
			st.Description = fmt.Sprintf("Agent %s was not found in this account.", id)
		}
		out = append(out, st)
	}
	return out, nil
}

// Delete serves BatchDeleteAgents. Each agent ID is handled once (force if
// any of its entries says so); the agent record goes, its data stays.
func (s *Service) Delete(ctx context.Context, account string, reqs []discovery.DeleteAgentRequest) ([]DeleteError, error) {
	var (
		order []string
		force = map[string]bool{}
	)
	for _, r := range reqs {
		if _, seen := force[r.AgentID]; !seen {
			order = append(order, r.AgentID)
		}
		force[r.AgentID] = force[r.AgentID] || r.Force
	}
	uniq := make([]discovery.DeleteAgentRequest, len(order))
	for i, id := range order {
		uniq[i] = discovery.DeleteAgentRequest{AgentID: id, Force: force[id]}
	}
	outcomes, err := s.store.DeleteAgents(ctx, account, uniq)
	if err != nil {
		return nil, fmt.Errorf("delete agents: %w", err)
	}
	errs := []DeleteError{}
	for _, id := range order {
		switch outcomes[id] {
		case discovery.AgentNotFound:
			errs = append(errs, DeleteError{AgentID: id, Code: "NOT_FOUND", Message: fmt.Sprintf("Agent %s was not found in this account.", id)})
		case discovery.AgentInUse:
			errs = append(errs, DeleteError{AgentID: id, Code: "AGENT_IN_USE",
				Message: fmt.Sprintf("Agent %s is collecting data. Stop its data collection first, or set force to delete it anyway.", id)})
		}
	}
	return errs, nil
}

func uniqueInOrder(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
