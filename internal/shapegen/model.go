package main

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Model is the part of a botocore service-2.json that the generator uses.
// Object key order is kept for operations, shapes and members, so that
// generated fields (and hence JSON output and violation order) follow the
// model.
type Model struct {
	Metadata   Metadata            `json:"metadata"`
	Operations Ordered[*Operation] `json:"operations"`
	Shapes     Ordered[*Shape]     `json:"shapes"`
}

// Metadata is the model's metadata block.
type Metadata struct {
	APIVersion     string `json:"apiVersion"`
	EndpointPrefix string `json:"endpointPrefix"`
	JSONVersion    string `json:"jsonVersion"`
	Protocol       string `json:"protocol"`
	SigningName    string `json:"signingName"`
	TargetPrefix   string `json:"targetPrefix"`
	UID            string `json:"uid"`
}

// Operation is one operation of the model.
type Operation struct {
	Name       string     `json:"name"`
	Input      *ShapeRef  `json:"input"`
	Output     *ShapeRef  `json:"output"`
	Errors     []ShapeRef `json:"errors"`
	Deprecated bool       `json:"deprecated"`
}

// ShapeRef points at a shape.
type ShapeRef struct {
	Shape string `json:"shape"`
}

// Shape is one entry of the model's shapes.
type Shape struct {
	Type       string           `json:"type"`
	Members    Ordered[*Member] `json:"members"`
	Required   []string         `json:"required"`
	Member     *ShapeRef        `json:"member"`
	Key        *ShapeRef        `json:"key"`
	Value      *ShapeRef        `json:"value"`
	Min        json.Number      `json:"min"`
	Max        json.Number      `json:"max"`
	Pattern    *string          `json:"pattern"`
	Enum       []string         `json:"enum"`
	Union      bool             `json:"union"`
	Exception  bool             `json:"exception"`
	Fault      bool             `json:"fault"`
	Deprecated bool             `json:"deprecated"`
	Sensitive  bool             `json:"sensitive"`
}

// Member is a member of a structure shape.
type Member struct {
	Shape            string `json:"shape"`
	LocationName     string `json:"locationName"`
	Deprecated       bool   `json:"deprecated"`
	IdempotencyToken bool   `json:"idempotencyToken"`
}

// Ordered is a JSON object that remembers its key order.
type Ordered[T any] struct {
	Keys []string
	M    map[string]T
}

// UnmarshalJSON decodes an object, keeping key order and rejecting
// duplicate keys.
func (o *Ordered[T]) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("expected object, got %v", tok)
	}
	o.Keys = nil
	o.M = map[string]T{}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return err
		}
		key := kt.(string)
		if _, dup := o.M[key]; dup {
			return fmt.Errorf("duplicate key %q", key)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return err
		}
		var v T
		if err := json.Unmarshal(raw, &v); err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		o.Keys = append(o.Keys, key)
		o.M[key] = v
	}
	_, err = dec.Token()
	return err
}

// LoadModel reads and checks a (possibly gzipped) botocore model.
func LoadModel(path string) (*Model, error) {
	b, err := readMaybeGzip(path)
	if err != nil {
		return nil, err
	}
	return ParseModel(b)
}

// ParseModel decodes and checks a botocore model.
func ParseModel(b []byte) (*Model, error) {
	var m Model
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("decode model: %w", err)
	}
	if err := m.check(); err != nil {
		return nil, err
	}
	return &m, nil
}

func (m *Model) check() error {
	if m.Metadata.TargetPrefix == "" {
		return fmt.Errorf("model has no metadata.targetPrefix")
	}
	ref := func(ctx, name string) error {
		if _, ok := m.Shapes.M[name]; !ok {
			return fmt.Errorf("%s: unknown shape %q", ctx, name)
		}
		return nil
	}
	for _, name := range m.Operations.Keys {
		op := m.Operations.M[name]
		if op.Name != "" && op.Name != name {
			return fmt.Errorf("operation %s: name %q differs", name, op.Name)
		}
		op.Name = name
		for _, r := range []*ShapeRef{op.Input, op.Output} {
			if r != nil {
				if err := ref("operation "+name, r.Shape); err != nil {
					return err
				}
				if t := m.Shapes.M[r.Shape].Type; t != "structure" {
					return fmt.Errorf("operation %s: %s is a %s, not a structure", name, r.Shape, t)
				}
			}
		}
		for _, r := range op.Errors {
			if err := ref("operation "+name, r.Shape); err != nil {
				return err
			}
		}
	}
	for _, name := range m.Shapes.Keys {
		s := m.Shapes.M[name]
		ctx := "shape " + name
		switch s.Type {
		case "structure":
			for _, mn := range s.Members.Keys {
				if err := ref(ctx+"."+mn, s.Members.M[mn].Shape); err != nil {
					return err
				}
			}
			for _, r := range s.Required {
				if _, ok := s.Members.M[r]; !ok {
					return fmt.Errorf("%s: required member %q does not exist", ctx, r)
				}
			}
		case "list":
			if s.Member == nil {
				return fmt.Errorf("%s: list without member", ctx)
			}
			if err := ref(ctx, s.Member.Shape); err != nil {
				return err
			}
		case "map":
			if s.Key == nil || s.Value == nil {
				return fmt.Errorf("%s: map without key or value", ctx)
			}
			if err := ref(ctx, s.Key.Shape); err != nil {
				return err
			}
			if err := ref(ctx, s.Value.Shape); err != nil {
				return err
			}
			if t := m.Shapes.M[s.Key.Shape].Type; t != "string" {
				return fmt.Errorf("%s: map key is a %s, not a string", ctx, t)
			}
		case "string", "integer", "long", "boolean", "double", "float", "timestamp", "blob":
		default:
			return fmt.Errorf("%s: unsupported type %q", ctx, s.Type)
		}
	}
	return nil
}
