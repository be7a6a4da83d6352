package server

import (
	"context"

	"github.com/poseidon-ads/poseidon/internal/adsapi"
	"github.com/poseidon-ads/poseidon/internal/auth"
	"github.com/poseidon-ads/poseidon/internal/awsjson"
	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/tags"
)

// tagHandlers registers the tag operations: CreateTags, DeleteTags, DescribeTags.
func (s *Server) tagHandlers() map[string]handler {
	return map[string]handler{
		"CreateTags":   op(s.createTags),
		"DeleteTags":   op(s.deleteTags),
		"DescribeTags": op(s.describeTags),
	}
}

// Tags is the tag use-case layer. *tags.Service implements it.
type Tags interface {
	Create(ctx context.Context, account string, ids []string, in []discovery.Tag) error
	Delete(ctx context.Context, account string, ids []string, in []discovery.Tag) error
	Describe(ctx context.Context, account string, in tags.DescribeInput) (*tags.Page, error)
}

// tagList converts the request's tags; nil stays nil (absent).
func tagList(in []*adsapi.Tag) []discovery.Tag {
	if in == nil {
		return nil
	}
	out := make([]discovery.Tag, 0, len(in))
	for _, t := range in {
		if t != nil {
			out = append(out, discovery.Tag{Key: deref(t.Key), Value: deref(t.Value)})
		}
	}
	return out
}

func (s *Server) createTags(ctx context.Context, id auth.Identity, in *adsapi.CreateTagsRequest) (*adsapi.CreateTagsResponse, error) {
	if err := s.cfg.Tags.Create(ctx, id.AccountID, in.ConfigurationIds, tagList(in.Tags)); err != nil {
		return nil, err
	}
	return &adsapi.CreateTagsResponse{}, nil
}

func (s *Server) deleteTags(ctx context.Context, id auth.Identity, in *adsapi.DeleteTagsRequest) (*adsapi.DeleteTagsResponse, error) {
	if err := s.cfg.Tags.Delete(ctx, id.AccountID, in.ConfigurationIds, tagList(in.Tags)); err != nil {
		return nil, err
	}
	return &adsapi.DeleteTagsResponse{}, nil
}

func (s *Server) describeTags(ctx context.Context, id auth.Identity, in *adsapi.DescribeTagsRequest) (*adsapi.DescribeTagsResponse, error) {
	req := tags.DescribeInput{MaxResults: in.MaxResults, NextToken: in.NextToken}
	for _, f := range in.Filters {
		if f != nil {
			req.Filters = append(req.Filters, tags.Filter{Name: deref(f.Name), Values: f.Values})
		}
	}
	page, err := s.cfg.Tags.Describe(ctx, id.AccountID, req)
	if err != nil {
		return nil, err
	}
	out := &adsapi.DescribeTagsResponse{Tags: make([]*adsapi.ConfigurationTag, 0, len(page.Tags))}
	for _, t := range page.Tags {
		out.Tags = append(out.Tags, &adsapi.ConfigurationTag{
			ConfigurationType: ptr(string(t.Type)),
			ConfigurationId:   ptr(t.ConfigurationID),
			Key:               ptr(t.Key),
			Value:             ptr(t.Value),
			TimeOfCreation:    &awsjson.Time{Time: t.Created},
		})
	}
	if page.Next != "" {
		out.NextToken = &page.Next
	}
	return out, nil
}
