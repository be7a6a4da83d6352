package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/poseidon-ads/poseidon/internal/auth"
	"github.com/poseidon-ads/poseidon/internal/awsjson"
	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/mghapi"
)

// The Migration Hub Config API (AWSMigrationHubMultiAccountService) sets the
// home region that every ADS call is checked against.
func (s *Server) mghHandlers() map[string]handler {
	return map[string]handler{
		"CreateHomeRegionControl":    op(s.createHomeRegionControl),
		"DescribeHomeRegionControls": op(s.describeHomeRegionControls),
		"DeleteHomeRegionControl":    op(s.deleteHomeRegionControl),
		"GetHomeRegion":              op(s.getHomeRegion),
	}
}

func invalidInput(format string, args ...any) error {
	return &awsjson.Error{Code: "InvalidInputException", Message: fmt.Sprintf(format, args...), Status: http.StatusBadRequest}
}

func controlShape(c *discovery.HomeRegionControl) *mghapi.HomeRegionControl {
	return &mghapi.HomeRegionControl{
		ControlId:     ptr(c.ID),
		HomeRegion:    ptr(c.HomeRegion),
		Target:        &mghapi.Target{Type: ptr("ACCOUNT"), Id: ptr(c.AccountID)},
		RequestedTime: awsjson.NewTime(c.RequestedTime),
	}
}

func checkTarget(id auth.Identity, t *mghapi.Target) error {
	if t != nil && t.Id != nil && *t.Id != id.AccountID {
		return invalidInput("Target Id %s is not the calling account; a home region can be set only for the calling account.", *t.Id)
	}
	return nil
}

func (s *Server) createHomeRegionControl(ctx context.Context, id auth.Identity, in *mghapi.CreateHomeRegionControlRequest) (*mghapi.CreateHomeRegionControlResult, error) {
	if err := checkTarget(id, in.Target); err != nil {
		return nil, err
	}
	if deref(in.DryRun) {
		return nil, &awsjson.Error{Code: "DryRunOperation", Message: "Request would have succeeded, but DryRun flag is set.", Status: http.StatusBadRequest}
	}
	c, created, err := s.cfg.Store.CreateHomeRegionControl(ctx, &discovery.HomeRegionControl{
		ID: newControlID(), AccountID: id.AccountID, HomeRegion: *in.HomeRegion, RequestedTime: s.cfg.Clock.Now(),
	})
	s.forgetHomeRegions()
	if err != nil {
		return nil, err
	}
	if !created && c.HomeRegion != *in.HomeRegion {
		return nil, invalidInput("The home region of this account is already set to %s. Delete home region control %s before setting another.", c.HomeRegion, c.ID)
	}
	return &mghapi.CreateHomeRegionControlResult{HomeRegionControl: controlShape(c)}, nil
}

func (s *Server) describeHomeRegionControls(ctx context.Context, id auth.Identity, in *mghapi.DescribeHomeRegionControlsRequest) (*mghapi.DescribeHomeRegionControlsResult, error) {
	out := &mghapi.DescribeHomeRegionControlsResult{HomeRegionControls: []*mghapi.HomeRegionControl{}}
	if in.Target != nil && in.Target.Id != nil && *in.Target.Id != id.AccountID {
		return out, nil
	}
	c, err := s.cfg.Store.HomeRegionControl(ctx, id.AccountID)
	if errors.Is(err, discovery.ErrNotFound) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	if (in.ControlId != nil && *in.ControlId != c.ID) || (in.HomeRegion != nil && *in.HomeRegion != c.HomeRegion) {
		return out, nil
	}
	out.HomeRegionControls = append(out.HomeRegionControls, controlShape(c))
	return out, nil
}

func (s *Server) deleteHomeRegionControl(ctx context.Context, id auth.Identity, in *mghapi.DeleteHomeRegionControlRequest) (*mghapi.DeleteHomeRegionControlResult, error) {
	err := s.cfg.Store.DeleteHomeRegionControl(ctx, id.AccountID, *in.ControlId)
	s.forgetHomeRegions() // once the delete is committed (see forgetHomeRegions)
	if errors.Is(err, discovery.ErrNotFound) {
		return nil, invalidInput("Home region control %s does not exist in this account.", *in.ControlId)
	}
	if err != nil {
		return nil, err
	}
	return &mghapi.DeleteHomeRegionControlResult{}, nil
}

func (s *Server) getHomeRegion(ctx context.Context, id auth.Identity, _ *mghapi.GetHomeRegionRequest) (*mghapi.GetHomeRegionResult, error) {
	c, err := s.cfg.Store.HomeRegionControl(ctx, id.AccountID)
	if errors.Is(err, discovery.ErrNotFound) {
		return &mghapi.GetHomeRegionResult{}, nil
	}
	if err != nil {
		return nil, err
	}
	return &mghapi.GetHomeRegionResult{HomeRegion: ptr(c.HomeRegion)}, nil
}
