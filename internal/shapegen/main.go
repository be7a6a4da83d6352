// Command shapegen turns a botocore service model (service-2.json) into Go
// wire shapes, validators and an operation table.
//
// Generate a package:
//
//	go run ./internal/shapegen -model api/models/discovery-2015-11-01.json -pkg adsapi -out internal/adsapi
//
// This writes shapes_gen.go (one struct per structure shape, enum
// constants), validate_gen.go (Validate methods enforcing every model
// constraint, see package internal/validate), operations_gen.go
// (TargetPrefix, SigningName, Operations, OperationNames) and encode_gen.go
// (AppendJSON methods writing exactly what encoding/json writes, without
// reflection; see package internal/awsjson).
//
// Strip a model of AWS's documentation prose, keeping everything else in
// the original key order (the input may be gzipped):
//
//	go run ./internal/shapegen -strip IN OUT
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "shapegen:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("shapegen", flag.ContinueOnError)
	model := fs.String("model", "", "service model `file` (botocore service-2.json)")
	pkg := fs.String("pkg", "", "Go package `name` of the generated code")
	out := fs.String("out", ".", "output `directory`")
	strip := fs.Bool("strip", false, "strip documentation: shapegen -strip IN OUT")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *strip {
		if fs.NArg() != 2 {
			return fmt.Errorf("usage: shapegen -strip IN OUT")
		}
		in, err := readMaybeGzip(fs.Arg(0))
		if err != nil {
			return err
		}
		b, err := Strip(in)
		if err != nil {
			return fmt.Errorf("%s: %w", fs.Arg(0), err)
		}
		return os.WriteFile(fs.Arg(1), b, 0o644)
	}
	if *model == "" || *pkg == "" || fs.NArg() != 0 {
		return fmt.Errorf("usage: shapegen -model FILE -pkg NAME [-out DIR]")
	}
	m, err := LoadModel(*model)
	if err != nil {
		return fmt.Errorf("%s: %w", *model, err)
	}
	files, err := Generate(m, *pkg)
	if err != nil {
		return fmt.Errorf("%s: %w", *model, err)
	}
	for _, name := range OutputFiles {
		if err := os.WriteFile(filepath.Join(*out, name), files[name], 0o644); err != nil {
			return err
		}
	}
	return nil
}
