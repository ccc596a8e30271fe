package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/keel-build/keel/tools/gen"
	"github.com/keel-build/keel/tools/spec"
)

// runGen generates the BUILD files of a spec tree:
//
//	keel gen [--check] [--arch x86_64,aarch64] [--macro-dir DIR] [--define 'NAME VALUE']... [--summary FILE] ROOT
func runGen(args []string, stdout, stderr io.Writer) error {
	var o gen.Options
	var arches, summary string
	var defines stringList
	var noCache bool
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.BoolVar(&o.Check, "check", false, "write nothing; print a diff and fail if a file is stale")
	fs.StringVar(&arches, "arch", strings.Join(gen.DefaultArches, ","), "comma-separated target arches")
	fs.StringVar(&o.MacroDir, "macro-dir", "", "distro macro tree: azl/{macros,rpmrc}, macros.d/, lua/")
	fs.Var(&defines, "define", "define a macro, 'NAME VALUE' (repeatable; after the distro's, from ROOT/"+gen.DistFile+")")
	fs.StringVar(&summary, "summary", "", "write the JSON summary to this file")
	fs.StringVar(&o.CacheDir, "cache-dir", defaultCacheDir(), "where spec evaluations are cached between runs")
	fs.BoolVar(&noCache, "no-cache", false, "evaluate every spec, ignoring the cache")
	fs.IntVar(&o.Jobs, "jobs", 0, "specs evaluated in parallel (0: one per CPU)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: keel gen [--check] [--arch LIST] [--macro-dir DIR] [--summary FILE] ROOT")
	}
	o.Root = fs.Arg(0)
	o.Arches = strings.Split(arches, ",")
	// A tree without gen.DistFile (Azure Linux's SPECS) gets the macros of
	// Azure Linux's toolkit.
	o.DistDefaults, o.Defines = spec.DistroDefines, defines
	if noCache {
		o.CacheDir = ""
	}
	res, err := gen.Run(o)
	if err != nil {
		return err
	}
	if summary != "" {
		if err := gen.WriteSummary(summary, res.Summary); err != nil {
			return err
		}
	}
	res.Summary.WriteReport(stderr)
	if o.Check {
		stdout.Write(res.Diff)
		if len(res.Changed) > 0 {
			return fmt.Errorf("%d files are stale (run keel gen %s): %s", len(res.Changed), o.Root, strings.Join(res.Changed, ", "))
		}
	} else if len(res.Changed) > 0 {
		fmt.Fprintf(stderr, "updated %d files\n", len(res.Changed))
	}
	if n := len(res.Summary.Errors); n > 0 {
		return fmt.Errorf("%d specs have errors (their targets were left as they were)", n)
	}
	return nil
}

func defaultCacheDir() string {
	d, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "keel", "gen")
}
