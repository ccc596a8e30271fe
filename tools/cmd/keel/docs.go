package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/keel-build/keel/tools/docgen"
)

// runDocs regenerates docs/rules.md from the doc strings of the rules:
//
//	keel docs [--check] [--root DIR]
func runDocs(args []string, stdout, stderr io.Writer) error {
	var o docgen.Options
	fs := flag.NewFlagSet("docs", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.BoolVar(&o.Check, "check", false, "write nothing; print a diff and fail if docs/rules.md is stale")
	fs.StringVar(&o.Root, "root", ".", "the repository")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return errors.New("usage: keel docs [--check] [--root DIR]")
	}
	res, err := docgen.Run(o)
	if err != nil {
		return err
	}
	for _, m := range res.Missing {
		fmt.Fprintf(stderr, "missing doc: %s\n", m)
	}
	switch {
	case res.Changed && o.Check:
		stdout.Write(res.Diff)
		return fmt.Errorf("docs/rules.md is stale (run %s)", docgen.RefreshCommand)
	case res.Changed:
		fmt.Fprintln(stderr, "updated docs/rules.md")
	}
	return nil
}
