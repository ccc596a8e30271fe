// Package resolve computes an image's install set: the closure of Requires,
// from the image's package list, over a set of available RPMs, and writes it
// as a lock file.
//
// Requirements are matched like rpm does: provides with versioned ranges
// compared by rpm's EVR rules, the package's own "name = EVR", file
// requirements ("/usr/bin/sh") against every package's file list, and rich
// (boolean) dependencies: and, or, with, without, if[-else], unless[-else].
// Requires(pre), (post) and the other install-time qualifiers count like
// plain Requires. rpmlib(...) and config(...) requirements are ignored.
//
// Choice policy, when a requirement is not yet satisfied by the set and
// several packages could satisfy it: only one version of a name.arch is ever
// installed, so packages whose name.arch is already in the set at another
// version are out; then prefer the package whose name is the requirement's
// name, then the highest EVR, then the lowest name, then x86_64/aarch64 over
// noarch over other arches (i686), then the lowest arch.
// For (a or b), the first alternative that can be satisfied is taken.
// Conditional terms (if, unless) are decided once the rest of the closure is
// complete, repeatedly until nothing changes. The solver is greedy and never
// backtracks: where it cannot satisfy a requirement it fails, naming every
// unsatisfied requirement and every package that needs it.
package resolve

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/keel-build/keel/tools/rpmfile"
)

// Result is a resolved install set.
type Result struct {
	// Requested is the image's package list, sorted.
	Requested []string
	// Packages is the install set, sorted by name, EVR and arch.
	Packages []*rpmfile.Package
}

// Files opens the RPM files and resolves requested over them.
func Files(ctx context.Context, rpms []string, requested []string) (*Result, error) {
	var avail []*rpmfile.Package
	for _, f := range rpms {
		p, err := rpmfile.Open(f)
		if err != nil {
			return nil, err
		}
		avail = append(avail, p)
	}
	return Resolve(ctx, avail, requested)
}

// All opens the RPM files and returns all of them as the install set, with
// no dependency check (an image that lists its packages exhaustively).
func All(rpms []string) (*Result, error) {
	res := &Result{Requested: []string{}}
	for _, f := range rpms {
		p, err := rpmfile.Open(f)
		if err != nil {
			return nil, err
		}
		res.Packages = append(res.Packages, p)
	}
	sort.SliceStable(res.Packages, func(i, j int) bool { return lessPkg(res.Packages[i], res.Packages[j]) })
	return res, nil
}

// Resolve computes the closure of requested (package names, or
// dependencies such as "bash >= 5" or "/bin/sh") over avail.
func Resolve(ctx context.Context, avail []*rpmfile.Package, requested []string) (*Result, error) {
	r := newResolver(avail)
	req := append([]string(nil), requested...)
	sort.Strings(req)
	for _, name := range req {
		e, err := parseRequest(name)
		if err != nil {
			return nil, err
		}
		if !r.install(e) {
			r.missing(e.String(), "(requested)")
		}
	}
	for {
		for len(r.queue) > 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			p := r.queue[0]
			r.queue = r.queue[1:]
			r.requires(p)
		}
		if !r.settleConditionals() {
			break
		}
	}
	r.checkConflicts()
	if len(r.unsat) > 0 || len(r.conflicts) > 0 {
		return nil, r.unsatError()
	}
	res := &Result{Requested: req}
	for _, p := range r.pkgs {
		if r.installed[p] {
			res.Packages = append(res.Packages, p)
		}
	}
	return res, nil
}

func parseRequest(s string) (*expr, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "(") {
		return parseDep(rpmfile.Dep{Name: s})
	}
	p := &richParser{toks: tokenize(s)}
	e, err := p.parseTerm()
	if err != nil || p.i != len(p.toks) {
		return nil, fmt.Errorf("parsing requested package %q: want NAME or NAME OP VERSION", s)
	}
	return e, nil
}

type provider struct {
	pkg *rpmfile.Package
	dep rpmfile.Dep
}

type conditional struct {
	pkg *rpmfile.Package
	e   *expr
}

type resolver struct {
	pkgs      []*rpmfile.Package // sorted
	provides  map[string][]provider
	files     map[string][]*rpmfile.Package
	installed map[*rpmfile.Package]bool
	byName    map[string]*rpmfile.Package // name.arch → installed package
	queue     []*rpmfile.Package
	conds     []conditional
	unsat     map[string]map[string]bool // requirement → needers
	conflicts []string
}

func newResolver(avail []*rpmfile.Package) *resolver {
	r := &resolver{
		pkgs:      append([]*rpmfile.Package(nil), avail...),
		provides:  map[string][]provider{},
		files:     map[string][]*rpmfile.Package{},
		installed: map[*rpmfile.Package]bool{},
		byName:    map[string]*rpmfile.Package{},
		unsat:     map[string]map[string]bool{},
	}
	sort.SliceStable(r.pkgs, func(i, j int) bool { return lessPkg(r.pkgs[i], r.pkgs[j]) })
	for _, p := range r.pkgs {
		self := rpmfile.Dep{Name: p.Name, Flags: rpmfile.SenseEqual, EVR: p.EVR()}
		r.provides[p.Name] = append(r.provides[p.Name], provider{p, self})
		for _, d := range p.Provides {
			r.provides[d.Name] = append(r.provides[d.Name], provider{p, d})
		}
		for _, f := range p.Files {
			r.files[f.Path] = append(r.files[f.Path], p)
		}
	}
	return r
}

func lessPkg(a, b *rpmfile.Package) bool {
	if a.Name != b.Name {
		return a.Name < b.Name
	}
	if c := rpmfile.CompareEVR(a.EVR(), b.EVR()); c != 0 {
		return c < 0
	}
	if a.Arch != b.Arch {
		return a.Arch < b.Arch
	}
	return a.Path < b.Path
}

// whatProvides lists the packages satisfying a simple dependency, in the
// order of the choice policy.
func (r *resolver) whatProvides(d rpmfile.Dep) []*rpmfile.Package {
	seen := map[*rpmfile.Package]bool{}
	var out []*rpmfile.Package
	for _, pv := range r.provides[d.Name] {
		if !seen[pv.pkg] && rpmfile.Matches(pv.dep, d) {
			seen[pv.pkg] = true
			out = append(out, pv.pkg)
		}
	}
	if strings.HasPrefix(d.Name, "/") {
		for _, p := range r.files[d.Name] {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if (a.Name == d.Name) != (b.Name == d.Name) {
			return a.Name == d.Name
		}
		if c := rpmfile.CompareEVR(a.EVR(), b.EVR()); c != 0 {
			return c > 0
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		if ra, rb := archRank(a.Arch), archRank(b.Arch); ra != rb {
			return ra < rb
		}
		if a.Arch != b.Arch {
			return a.Arch < b.Arch
		}
		return a.Path < b.Path
	})
	return out
}

// archRank prefers the 64-bit primary arches, then noarch, then the rest
// (i686 and other multilib arches), so that a multilib repository does not
// pull 32-bit packages by name order.
func archRank(arch string) int {
	switch arch {
	case "x86_64", "aarch64":
		return 0
	case "noarch":
		return 1
	}
	return 2
}

// installable drops candidates whose name.arch is installed at another EVR.
func (r *resolver) installable(cands []*rpmfile.Package) []*rpmfile.Package {
	var out []*rpmfile.Package
	for _, p := range cands {
		if q, ok := r.byName[p.Name+"."+p.Arch]; !ok || q == p {
			out = append(out, p)
		}
	}
	return out
}

func (r *resolver) add(p *rpmfile.Package) {
	if r.installed[p] {
		return
	}
	r.installed[p] = true
	r.byName[p.Name+"."+p.Arch] = p
	r.queue = append(r.queue, p)
}

// candidates lists the packages that would satisfy a simple, with or
// without term on their own.
func (r *resolver) candidates(e *expr) []*rpmfile.Package {
	switch e.op {
	case "":
		return r.whatProvides(e.dep)
	case "with", "without":
		var out []*rpmfile.Package
		set := r.candidates(e.args[0])
		for _, p := range set {
			keep := true
			for _, b := range e.args[1:] {
				in := false
				for _, q := range r.candidates(b) {
					in = in || q == p
				}
				keep = keep && in == (e.op == "with")
			}
			if keep {
				out = append(out, p)
			}
		}
		return out
	}
	return nil
}

// satisfied reports whether the install set satisfies e now.
func (r *resolver) satisfied(e *expr) bool {
	switch e.op {
	case "", "with", "without":
		for _, p := range r.candidates(e) {
			if r.installed[p] {
				return true
			}
		}
		return false
	case "and":
		for _, a := range e.args {
			if !r.satisfied(a) {
				return false
			}
		}
		return true
	case "or":
		for _, a := range e.args {
			if r.satisfied(a) {
				return true
			}
		}
		return false
	case "if":
		if r.satisfied(e.args[1]) {
			return r.satisfied(e.args[0])
		}
		return len(e.args) < 3 || r.satisfied(e.args[2])
	case "unless":
		if !r.satisfied(e.args[1]) {
			return r.satisfied(e.args[0])
		}
		return len(e.args) < 3 || r.satisfied(e.args[2])
	}
	return false
}

// possible reports whether e could be satisfied by adding packages.
func (r *resolver) possible(e *expr) bool {
	switch e.op {
	case "", "with", "without":
		return len(r.installable(r.candidates(e))) > 0
	case "and":
		for _, a := range e.args {
			if !r.possible(a) {
				return false
			}
		}
		return true
	case "or":
		for _, a := range e.args {
			if r.possible(a) {
				return true
			}
		}
		return false
	}
	return true // conditionals are decided later
}

// install adds packages so that e holds, and reports whether it could.
// Conditionals are only recorded when owner is set (see settleConditionals).
func (r *resolver) install(e *expr) bool {
	if r.satisfied(e) {
		return true
	}
	switch e.op {
	case "", "with", "without":
		c := r.installable(r.candidates(e))
		if len(c) == 0 {
			return false
		}
		r.add(c[0])
		return true
	case "and":
		ok := true
		for _, a := range e.args {
			ok = r.install(a) && ok
		}
		return ok
	case "or":
		for _, a := range e.args {
			if r.possible(a) {
				return r.install(a)
			}
		}
		return false
	case "if":
		if r.satisfied(e.args[1]) {
			return r.install(e.args[0])
		}
		return len(e.args) < 3 || r.install(e.args[2])
	case "unless":
		if !r.satisfied(e.args[1]) {
			return r.install(e.args[0])
		}
		return len(e.args) < 3 || r.install(e.args[2])
	}
	return false
}

func hasConditional(e *expr) bool {
	if e.op == "if" || e.op == "unless" {
		return true
	}
	for _, a := range e.args {
		if hasConditional(a) {
			return true
		}
	}
	return false
}

func ignored(d rpmfile.Dep) bool {
	return d.Flags&rpmfile.SenseRpmlib != 0 || strings.HasPrefix(d.Name, "rpmlib(") || strings.HasPrefix(d.Name, "config(")
}

func (r *resolver) requires(p *rpmfile.Package) {
	for _, d := range p.Requires {
		if ignored(d) {
			continue
		}
		e, err := parseDep(d)
		if err != nil {
			r.missing(d.Name+" (unparsable: "+err.Error()+")", p.NEVRA())
			continue
		}
		if hasConditional(e) {
			r.conds = append(r.conds, conditional{p, e})
			continue
		}
		if !r.install(e) {
			r.missing(e.String(), p.NEVRA())
		}
	}
}

// settleConditionals installs what the conditional requirements need given
// the current set, and reports whether it added anything.
func (r *resolver) settleConditionals() bool {
	before := len(r.installed)
	conds := r.conds
	r.conds = nil
	var keep []conditional
	for _, c := range conds {
		if r.satisfied(c.e) {
			keep = append(keep, c)
			continue
		}
		if !r.install(c.e) {
			r.missing(c.e.String(), c.pkg.NEVRA())
			continue
		}
		keep = append(keep, c)
	}
	r.conds = keep
	return len(r.installed) > before
}

func (r *resolver) checkConflicts() {
	for _, p := range r.pkgs {
		if !r.installed[p] {
			continue
		}
		for _, d := range p.Conflicts {
			for _, q := range r.whatProvides(d) {
				if q != p && r.installed[q] {
					r.conflicts = append(r.conflicts, fmt.Sprintf("%s conflicts with %s (Conflicts: %s)", p.NEVRA(), q.NEVRA(), d))
				}
			}
		}
	}
}

func (r *resolver) missing(req, who string) {
	if r.unsat[req] == nil {
		r.unsat[req] = map[string]bool{}
	}
	r.unsat[req][who] = true
}

// UnsatisfiedError lists every requirement the available packages cannot
// meet.
type UnsatisfiedError struct {
	// Missing maps each unsatisfied requirement to the sorted NEVRAs that
	// need it ("(requested)" for the image's own list).
	Missing map[string][]string
	// Conflicts lists installed packages that conflict with each other.
	Conflicts []string
}

func (e *UnsatisfiedError) Error() string {
	reqs := make([]string, 0, len(e.Missing))
	for k := range e.Missing {
		reqs = append(reqs, k)
	}
	sort.Strings(reqs)
	var b strings.Builder
	fmt.Fprintf(&b, "%d unsatisfied requirement(s), %d conflict(s):", len(reqs), len(e.Conflicts))
	for _, k := range reqs {
		fmt.Fprintf(&b, "\n  nothing provides %s, needed by %s", k, strings.Join(e.Missing[k], ", "))
	}
	for _, c := range e.Conflicts {
		fmt.Fprintf(&b, "\n  %s", c)
	}
	return b.String()
}

func (r *resolver) unsatError() error {
	e := &UnsatisfiedError{Missing: map[string][]string{}, Conflicts: r.conflicts}
	sort.Strings(e.Conflicts)
	for req, who := range r.unsat {
		for w := range who {
			e.Missing[req] = append(e.Missing[req], w)
		}
		sort.Strings(e.Missing[req])
	}
	return e
}
