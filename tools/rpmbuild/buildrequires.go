package rpmbuild

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/keel-build/keel/tools/resolve"
	"github.com/keel-build/keel/tools/rpmfile"
	"github.com/keel-build/keel/tools/spec"
)

// BuildDeps is what one build installs: the closure of the spec's
// BuildRequires over the candidate RPMs, without what the build root
// already provides.
type BuildDeps struct {
	// BuildRequires are the spec's, as rpm renders them, sorted.
	BuildRequires []string
	// FromBuildRoot are the BuildRequires that the build root's
	// capabilities satisfy: no RPM is installed for them.
	FromBuildRoot []string
	// Packages are the RPMs to install: the BuildRequires the build root
	// does not satisfy and, transitively, their Requires. Sorted by name,
	// EVR and arch.
	Packages []*rpmfile.Package
	// Assumed are Requires of Packages that neither a candidate nor a
	// capability provides, sorted. A Keel-built RPM depends on what its
	// build root had (libc.so.6()(64bit), /bin/sh), which the build root
	// has but does not list: they are left to it rather than failing.
	Assumed []string
}

// UnsatisfiedError names the BuildRequires that neither the build root's
// capabilities nor the candidate RPMs satisfy, or, with Missing empty, says
// that the packages they need conflict or need what nothing provides.
type UnsatisfiedError struct {
	Spec    string
	Missing []string // sorted
	// Why is the resolver's full report (transitive requirements and
	// conflicts included).
	Why error
}

func (e *UnsatisfiedError) Error() string {
	var b strings.Builder
	if len(e.Missing) > 0 {
		fmt.Fprintf(&b, "%s: nothing provides BuildRequires: %s (neither the build root's capabilities nor the RPMs of the package's deps)",
			e.Spec, strings.Join(e.Missing, ", "))
	} else {
		fmt.Fprintf(&b, "%s: the BuildRequires cannot be installed together", e.Spec)
	}
	if e.Why != nil {
		fmt.Fprintf(&b, "\n%v", e.Why)
	}
	return b.String()
}

// buildRootName names the stand-in package that provides the build root's
// capabilities. It starts with "!" so that it sorts before every real
// requirement: the resolver installs requests in sorted order, so the build
// root is in the set before any choice is made, and a requirement it
// satisfies never pulls a candidate RPM.
const buildRootName = "!buildroot"

// senses maps the comparison operators of a dependency, as rpm reads them
// in a spec, to their flags.
var senses = map[string]rpmfile.DepFlags{
	"<":  rpmfile.SenseLess,
	"<=": rpmfile.SenseLess | rpmfile.SenseEqual,
	"=<": rpmfile.SenseLess | rpmfile.SenseEqual,
	"=":  rpmfile.SenseEqual,
	"==": rpmfile.SenseEqual,
	">=": rpmfile.SenseGreater | rpmfile.SenseEqual,
	"=>": rpmfile.SenseGreater | rpmfile.SenseEqual,
	">":  rpmfile.SenseGreater,
}

// ParseCapability parses one capability of a build root: "NAME" or
// "NAME OP VERSION" (as a Provides: line spells it).
func ParseCapability(s string) (rpmfile.Dep, error) {
	f := strings.Fields(s)
	switch len(f) {
	case 1:
		return rpmfile.Dep{Name: f[0]}, nil
	case 3:
		fl, ok := senses[f[1]]
		if !ok {
			return rpmfile.Dep{}, fmt.Errorf("capability %q: unknown operator %q", s, f[1])
		}
		return rpmfile.Dep{Name: f[0], Flags: fl, EVR: rpmfile.ParseEVR(f[2])}, nil
	}
	return rpmfile.Dep{}, fmt.Errorf("capability %q: want NAME or NAME OP VERSION", s)
}

// ResolveBuildDeps computes what a build of specPath (named in errors)
// installs: each of buildRequires is satisfied by the build root when its
// capabilities do, else from candidates together with the Requires closure
// (tools/resolve's rules: provides, file requirements, rich dependencies).
// It fails with an *UnsatisfiedError when a BuildRequires cannot be met,
// and when chosen packages conflict.
func ResolveBuildDeps(ctx context.Context, specPath string, buildRequires []string, candidates []*rpmfile.Package, capabilities []string) (*BuildDeps, error) {
	root := &rpmfile.Package{Name: buildRootName}
	for _, c := range capabilities {
		d, err := ParseCapability(c)
		if err != nil {
			return nil, fmt.Errorf("%s: the build root's %w", specPath, err)
		}
		root.Provides = append(root.Provides, d)
	}
	deps := &BuildDeps{BuildRequires: slices.Sorted(slices.Values(buildRequires))}
	deps.BuildRequires = slices.Compact(deps.BuildRequires)
	var rest []string
	for _, req := range deps.BuildRequires {
		// The build root alone satisfies req when resolving it over the
		// build root alone succeeds.
		_, err := resolve.Resolve(ctx, []*rpmfile.Package{root}, []string{buildRootName, req})
		var unsat *resolve.UnsatisfiedError
		switch {
		case err == nil:
			deps.FromBuildRoot = append(deps.FromBuildRoot, req)
		case errors.As(err, &unsat):
			rest = append(rest, req)
		default:
			return nil, fmt.Errorf("%s: BuildRequires: %w", specPath, err)
		}
	}
	if len(rest) == 0 {
		return deps, nil
	}
	avail := append(slices.Clone(candidates), root)
	// Requirements nothing provides are, after the BuildRequires, left to
	// the build root: each round adds them to its stand-in package. Every
	// round but the last adds at least one, so two or three suffice.
	for round := 0; ; round++ {
		res, err := resolve.Resolve(ctx, avail, append(slices.Clone(rest), buildRootName))
		if err == nil {
			for _, p := range res.Packages {
				if p != root {
					deps.Packages = append(deps.Packages, p)
				}
			}
			slices.Sort(deps.Assumed)
			return deps, nil
		}
		var unsat *resolve.UnsatisfiedError
		if !errors.As(err, &unsat) {
			return nil, fmt.Errorf("%s: resolving BuildRequires: %w", specPath, err)
		}
		var missing []string
		for req, who := range unsat.Missing {
			if slices.Contains(who, "(requested)") {
				missing = append(missing, req)
			}
		}
		if len(missing) > 0 || len(unsat.Conflicts) > 0 || round > 8 {
			sort.Strings(missing)
			return nil, &UnsatisfiedError{Spec: specPath, Missing: missing, Why: err}
		}
		// Copy the stand-in: candidates' slices are the caller's.
		nr := *root
		nr.Provides = slices.Clone(root.Provides)
		for req := range unsat.Missing {
			deps.Assumed = append(deps.Assumed, req)
			for _, n := range depNames(req) {
				nr.Provides = append(nr.Provides, rpmfile.Dep{Name: n})
			}
		}
		avail[len(avail)-1], root = &nr, &nr
	}
}

// depNames returns the package names a requirement needs: "foo >= 1"
// gives foo, "(a or (b if c))" gives a and b, and "(a without b)" a. The
// condition of if, unless and without is not needed: providing it would
// switch other requirements on.
func depNames(req string) []string {
	var names []string
	fields := richTokens(req)
	for i := 0; i < len(fields); i++ {
		switch f := fields[i]; f {
		case "(", ")", "and", "or", "else", "with":
		case "if", "unless", "without":
			i = skipOperand(fields, i+1)
		default:
			if _, op := senses[f]; op {
				i++ // the version
				continue
			}
			names = append(names, f)
		}
	}
	return names
}

// richTokens splits a requirement into words, with the parentheses of rich
// dependencies as words of their own. A name keeps its balanced ones:
// "(perl(C::D) or x)" gives "(", "perl(C::D)", "or", "x", ")".
func richTokens(req string) []string {
	var out []string
	for _, f := range strings.Fields(req) {
		// No name starts with "(": rpm reads one as a rich dependency.
		for strings.HasPrefix(f, "(") {
			out, f = append(out, "("), f[1:]
		}
		closes := 0
		for strings.HasSuffix(f, ")") && strings.Count(f, ")") > strings.Count(f, "(") {
			f, closes = f[:len(f)-1], closes+1
		}
		if f != "" {
			out = append(out, f)
		}
		for range closes {
			out = append(out, ")")
		}
	}
	return out
}

// skipOperand returns the index of the last field of the operand starting
// at fields[i]: a parenthesized group, or a name with its comparison.
func skipOperand(fields []string, i int) int {
	if i >= len(fields) {
		return i
	}
	if fields[i] == "(" {
		depth := 0
		for ; i < len(fields); i++ {
			switch fields[i] {
			case "(":
				depth++
			case ")":
				depth--
			}
			if depth == 0 {
				return i
			}
		}
		return i
	}
	if i+2 < len(fields) {
		if _, op := senses[fields[i+1]]; op {
			return i + 2
		}
	}
	return i
}

// evaluateSpec evaluates the spec as rpmbuild will build it (target
// architecture, defines, %with_check) and returns its BuildRequires and the
// date of its newest %changelog entry (zero if it has none).
func evaluateSpec(path, arch string, defines []string, withCheck bool) (breqs []string, changelog time.Time, err error) {
	ev, err := spec.NewEvaluator(spec.Options{Arch: arch, Defines: defines})
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("evaluating %s: %w", path, err)
	}
	check := 0
	if withCheck {
		check = 1
	}
	s, err := ev.Evaluate(path, check)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("evaluating %s: %w", path, err)
	}
	for _, d := range s.BuildRequires {
		breqs = append(breqs, d.String())
	}
	return breqs, s.ChangelogTime, nil
}

// BuildLock records what one build saw: the build root's share of the
// BuildRequires and the exact RPMs installed. Build writes it as JSON to
// Options.Lock.
type BuildLock struct {
	Spec          string                  `json:"spec"` // base name
	Arch          string                  `json:"arch"`
	BuildRequires []string                `json:"buildrequires"`
	FromBuildRoot []string                `json:"from_buildroot"`
	Packages      []resolve.LockedPackage `json:"packages"`
	Assumed       []string                `json:"assumed_from_buildroot"`
}

// lock hashes the chosen RPMs and returns the lock of a build of spec.
func (d *BuildDeps) lock(specPath, arch string) (*BuildLock, error) {
	l, err := (&resolve.Result{Requested: d.BuildRequires, Packages: d.Packages}).Lock()
	if err != nil {
		return nil, err
	}
	nonNil := func(s []string) []string {
		if s == nil {
			return []string{}
		}
		return s
	}
	return &BuildLock{
		Spec: filepath.Base(specPath), Arch: arch,
		BuildRequires: nonNil(d.BuildRequires), FromBuildRoot: nonNil(d.FromBuildRoot),
		Packages: l.Packages, Assumed: nonNil(d.Assumed),
	}, nil
}

// describe renders the dependency set for the build log, one line each.
func (d *BuildDeps) describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "keel rpmbuild: BuildRequires: %s\n", orNone(d.BuildRequires))
	fmt.Fprintf(&b, "keel rpmbuild: from the build root: %s\n", orNone(d.FromBuildRoot))
	fmt.Fprintf(&b, "keel rpmbuild: installing %d RPM(s):\n", len(d.Packages))
	for _, p := range d.Packages {
		fmt.Fprintf(&b, "keel rpmbuild:   %s (%s)\n", p.NEVRA(), filepath.Base(p.Path))
	}
	if len(d.Assumed) > 0 {
		fmt.Fprintf(&b, "keel rpmbuild: left to the build root (no candidate provides them): %s\n", strings.Join(d.Assumed, ", "))
	}
	return b.String()
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "(none)"
	}
	return strings.Join(s, ", ")
}
