package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
)

// stripKeys are the prose keys removed from a model: the repository keeps
// the facts (shapes, constraints, traits), not AWS's documentation text.
var stripKeys = map[string]bool{
	"documentation":    true,
	"documentationUrl": true,
	"examples":         true,
}

// nameMaps are objects whose keys are names chosen by the model (operation,
// shape and member names), never trait names, so their keys are never
// stripped even if a member happened to be called "documentation".
var nameMaps = map[string]bool{
	"operations": true,
	"shapes":     true,
	"members":    true,
}

// Strip removes documentation from a botocore model, keeping key order and
// every other key, and returns it indented with two spaces.
func Strip(in []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(in))
	dec.UseNumber()
	var out bytes.Buffer
	if err := stripValue(dec, &out, "", 0); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("trailing data after model")
	}
	out.WriteByte('\n')
	// Make sure the result is still a model we can generate from.
	if _, err := ParseModel(out.Bytes()); err != nil {
		return nil, fmt.Errorf("stripped model: %w", err)
	}
	return out.Bytes(), nil
}

func stripValue(dec *json.Decoder, out *bytes.Buffer, parentKey string, depth int) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	indent := func(d int) {
		out.WriteByte('\n')
		out.WriteString(strings.Repeat("  ", d))
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			out.WriteByte('{')
			n := 0
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return err
				}
				key := kt.(string)
				if stripKeys[key] && !nameMaps[parentKey] {
					if err := skipValue(dec); err != nil {
						return err
					}
					continue
				}
				if n > 0 {
					out.WriteByte(',')
				}
				n++
				indent(depth + 1)
				writeScalar(out, key)
				out.WriteString(": ")
				if err := stripValue(dec, out, key, depth+1); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil {
				return err
			}
			if n > 0 {
				indent(depth)
			}
			out.WriteByte('}')
		case '[':
			out.WriteByte('[')
			n := 0
			for dec.More() {
				if n > 0 {
					out.WriteByte(',')
				}
				n++
				indent(depth + 1)
				if err := stripValue(dec, out, "", depth+1); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil {
				return err
			}
			if n > 0 {
				indent(depth)
			}
			out.WriteByte(']')
		default:
			return fmt.Errorf("unexpected %v", t)
		}
	default:
		writeScalar(out, tok)
	}
	return nil
}

func skipValue(dec *json.Decoder) error {
	var raw json.RawMessage
	return dec.Decode(&raw)
}

func writeScalar(out *bytes.Buffer, v any) {
	switch v := v.(type) {
	case json.Number:
		out.WriteString(v.String())
	case nil:
		out.WriteString("null")
	default:
		enc := json.NewEncoder(out)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(v)           // strings and bools cannot fail
		out.Truncate(out.Len() - 1) // Encode adds a newline
	}
}

// readMaybeGzip reads a file, gunzipping it when it is gzip-compressed (the
// botocore wheel ships models as service-2.json.gz).
func readMaybeGzip(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		defer zr.Close()
		return io.ReadAll(zr)
	}
	return b, nil
}
