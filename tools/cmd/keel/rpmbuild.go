package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/keel-build/keel/tools/rpmbuild"
	"github.com/keel-build/keel/tools/sandbox"
)

// listFlag collects a repeatable flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// runRpmbuild builds one package in a sandbox:
//
//	keel rpmbuild --root ROOT.tar.zst --spec F --source F... --dep-rpm F...
//	    [--capability CAP]... [--arch ARCH] [--signatures F] [--sha256 FILE=HEX]...
//	    --out-dir D [--log F] [--target ARCH] [--define 'NAME VALUE']...
//	    [--source-date-epoch N] [--with-check 0|1] [--expect NAME]...
//	    [--srpm F] [--metadata F] [--lock F] [@PARAMFILE]
//
// Arguments may come from a Bazel parameter file (@FILE, one per line).
func runRpmbuild(args []string, stdout, stderr io.Writer) error {
	args, err := expandParamFiles(args)
	if err != nil {
		return err
	}
	var o rpmbuild.Options
	var sources, deps, caps, defines, expect, sums listFlag
	var withCheck int
	var signatures string
	fs := flag.NewFlagSet("rpmbuild", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.Root, "root", "", "build root: a .tar.zst from 'keel buildroot make', or a directory used read-only")
	fs.StringVar(&o.Spec, "spec", "", "spec file")
	fs.Var(&sources, "source", "source or patch file, placed in SOURCES/ by base name (repeatable)")
	fs.Var(&deps, "dep-rpm", "candidate RPM for the BuildRequires (repeatable): the closure of the BuildRequires over these is installed")
	fs.Var(&caps, "capability", "what the build root provides, 'NAME' or 'NAME OP VERSION' (repeatable): BuildRequires it satisfies install nothing")
	fs.StringVar(&o.Arch, "arch", "", "target architecture the spec's BuildRequires are evaluated for (default: --target, else the host's)")
	fs.StringVar(&signatures, "signatures", "", `{"Signatures": {FILE: SHA256}} file: each source it lists must have its sha256 (sources it does not list, e.g. patches kept with the spec, are not checked)`)
	fs.Var(&sums, "sha256", "FILE=SHA256: the source named FILE must have this sha256 (repeatable)")
	fs.StringVar(&o.Target, "target", "", "rpmbuild --target architecture")
	fs.Var(&defines, "define", "'NAME VALUE' macro definition (repeatable)")
	fs.StringVar(&o.OutDir, "out-dir", "", "directory that receives the RPMs and the source RPM")
	fs.StringVar(&o.Log, "log", "", "file that receives the full build log")
	fs.Int64Var(&o.SourceDateEpoch, "source-date-epoch", -1, "SOURCE_DATE_EPOCH; default: the spec's %changelog")
	fs.IntVar(&withCheck, "with-check", 0, "1 runs %check")
	fs.Var(&expect, "expect", "file name the build must produce; if given, the exact set (repeatable)")
	fs.StringVar(&o.SRPM, "srpm", "", "file that receives the source RPM (instead of --out-dir)")
	fs.StringVar(&o.Metadata, "metadata", "", "file that receives a JSON description of the binary RPMs: NEVRA, provides, requires, files")
	fs.StringVar(&o.Lock, "lock", "", "file that receives the JSON lock of the build: the BuildRequires and the exact RPMs installed")
	fs.DurationVar(&o.Timeout, "timeout", 0, "kill the build after this long (0: never)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if withCheck != 0 && withCheck != 1 {
		return fmt.Errorf("--with-check must be 0 or 1, not %d", withCheck)
	}
	o.Sources, o.CandidateRPMs, o.Capabilities, o.Defines, o.WithCheck = sources, deps, caps, defines, withCheck == 1
	if signatures != "" {
		if o.SourceSHA256, err = rpmbuild.ReadSignatures(signatures); err != nil {
			return err
		}
	}
	for _, s := range sums {
		name, sum, ok := strings.Cut(s, "=")
		if !ok || name == "" {
			return fmt.Errorf("--sha256 %q: want FILE=SHA256", s)
		}
		if o.SourceSHA256 == nil {
			o.SourceSHA256 = map[string]string{}
		}
		o.SourceSHA256[name] = sum
	}
	if len(expect) > 0 {
		o.Expect = expect
	}
	o.Stderr = stderr
	// Bazel stops a cancelled or timed-out action with SIGTERM: end the
	// sandbox and remove the work directory (gigabytes) before exiting.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := rpmbuild.Build(ctx, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "built %s in %s (prepare %s, sandbox %s)\n", strings.Join(res.Outputs, " "),
		res.Total.Round(time.Millisecond), res.Prepare.Round(time.Millisecond), res.Sandbox.Round(time.Millisecond))
	return nil
}

// expandParamFiles replaces each "@FILE" argument by the lines of FILE, as
// Bazel writes parameter files (one argument per line, unquoted).
func expandParamFiles(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		name, ok := strings.CutPrefix(a, "@")
		if !ok || name == "" {
			out = append(out, a)
			continue
		}
		data, err := os.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("reading parameter file: %w", err)
		}
		text := strings.TrimSuffix(string(data), "\n")
		if text != "" {
			out = append(out, strings.Split(text, "\n")...)
		}
	}
	return out, nil
}

// runSandboxInit is the hidden verb with which keel re-executes itself as
// the init process of a build sandbox.
func runSandboxInit(_ []string, _, _ io.Writer) error {
	sandbox.InitMain()
	return nil
}

// sandboxInitVerb names runSandboxInit in the verb table.
const sandboxInitVerb = sandbox.InitVerb
