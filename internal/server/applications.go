package server

import (
	"context"

	"github.com/poseidon-ads/poseidon/internal/adsapi"
	"github.com/poseidon-ads/poseidon/internal/auth"
	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// Applications is the application use-case layer. applications.Service
// implements it.
type Applications interface {
	Create(ctx context.Context, account, name string, description, wave *string) (string, error)
	Update(ctx context.Context, account, id string, u discovery.ApplicationUpdate) error
	Delete(ctx context.Context, account string, ids []string) error
	Associate(ctx context.Context, account, appID string, ids []string) error
	Disassociate(ctx context.Context, account, appID string, ids []string) error
}

// applicationHandlers registers the application operations: CreateApplication,
// UpdateApplication, DeleteApplications, AssociateConfigurationItemsToApplication,
// DisassociateConfigurationItemsFromApplication.
func (s *Server) applicationHandlers() map[string]handler {
	if s.cfg.Applications == nil {
		return map[string]handler{}
	}
	return map[string]handler{
		"CreateApplication":                             op(s.createApplication),
		"UpdateApplication":                             op(s.updateApplication),
		"DeleteApplications":                            op(s.deleteApplications),
		"AssociateConfigurationItemsToApplication":      op(s.associateConfigurationItems),
		"DisassociateConfigurationItemsFromApplication": op(s.disassociateConfigurationItems),
	}
}

func (s *Server) createApplication(ctx context.Context, id auth.Identity, in *adsapi.CreateApplicationRequest) (*adsapi.CreateApplicationResponse, error) {
	appID, err := s.cfg.Applications.Create(ctx, id.AccountID, deref(in.Name), in.Description, in.Wave)
	if err != nil {
		return nil, err
	}
	return &adsapi.CreateApplicationResponse{ConfigurationId: &appID}, nil
}

func (s *Server) updateApplication(ctx context.Context, id auth.Identity, in *adsapi.UpdateApplicationRequest) (*adsapi.UpdateApplicationResponse, error) {
	u := discovery.ApplicationUpdate{Name: in.Name, Description: in.Description, Wave: in.Wave}
	if err := s.cfg.Applications.Update(ctx, id.AccountID, deref(in.ConfigurationId), u); err != nil {
		return nil, err
	}
	return &adsapi.UpdateApplicationResponse{}, nil
}

func (s *Server) deleteApplications(ctx context.Context, id auth.Identity, in *adsapi.DeleteApplicationsRequest) (*adsapi.DeleteApplicationsResponse, error) {
	if err := s.cfg.Applications.Delete(ctx, id.AccountID, in.ConfigurationIds); err != nil {
		return nil, err
	}
	return &adsapi.DeleteApplicationsResponse{}, nil
}

func (s *Server) associateConfigurationItems(ctx context.Context, id auth.Identity, in *adsapi.AssociateConfigurationItemsToApplicationRequest) (*adsapi.AssociateConfigurationItemsToApplicationResponse, error) {
	if err := s.cfg.Applications.Associate(ctx, id.AccountID, deref(in.ApplicationConfigurationId), in.ConfigurationIds); err != nil {
		return nil, err
	}
	return &adsapi.AssociateConfigurationItemsToApplicationResponse{}, nil
}

func (s *Server) disassociateConfigurationItems(ctx context.Context, id auth.Identity, in *adsapi.DisassociateConfigurationItemsFromApplicationRequest) (*adsapi.DisassociateConfigurationItemsFromApplicationResponse, error) {
	if err := s.cfg.Applications.Disassociate(ctx, id.AccountID, deref(in.ApplicationConfigurationId), in.ConfigurationIds); err != nil {
		return nil, err
	}
	return &adsapi.DisassociateConfigurationItemsFromApplicationResponse{}, nil
}
