package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/keel-build/keel/tools/spec"
)

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return fmt.Sprint(*l) }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// runSpec evaluates spec files:
//
//	keel spec parse --arch ARCH --macro-dir DIR [--define 'NAME VALUE']... [--with-check 0|1] --out-dir OUT SPEC...
func runSpec(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "parse" {
		return errors.New("usage: keel spec parse --arch ARCH --macro-dir DIR [--define 'NAME VALUE']... [--with-check 0|1] --out-dir OUT SPEC...")
	}
	var o spec.BatchOptions
	var defines stringList
	fs := flag.NewFlagSet("spec parse", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.Arch, "arch", "x86_64", "target architecture (rpm --target)")
	fs.StringVar(&o.MacroDir, "macro-dir", "", "distro macro tree: azl/{macros,rpmrc}, macros.d/, lua/")
	fs.Var(&defines, "define", "define a macro, 'NAME VALUE' (repeatable; after the distro defines)")
	fs.IntVar(&o.WithCheck, "with-check", 1, "value of %with_check (0 or 1)")
	fs.StringVar(&o.OutDir, "out-dir", "", "directory for the <spec>.json reports")
	fs.IntVar(&o.Jobs, "jobs", 0, "specs evaluated in parallel (0: one per CPU)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if o.OutDir == "" || fs.NArg() == 0 {
		return errors.New("--out-dir and at least one SPEC are required")
	}
	if o.WithCheck != 0 && o.WithCheck != 1 {
		return fmt.Errorf("--with-check must be 0 or 1, not %d", o.WithCheck)
	}
	o.Defines = append(append([]string{}, spec.DistroDefines...), defines...)
	return spec.ParseFiles(o, fs.Args())
}
