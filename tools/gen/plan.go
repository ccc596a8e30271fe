package gen

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
)

// Summary is the machine-readable report of a run (--summary): every list
// sorted, so the same tree gives the same bytes.
type Summary struct {
	Arches     []string         `json:"arches"`
	Packages   []SummaryPackage `json:"packages"`
	Edges      []SummaryEdge    `json:"edges"`
	Unresolved []Unresolved     `json:"unresolved"`
	Cycles     []Cycle          `json:"cycles"`
	Cut        []CutEdge        `json:"cut"`
	Errors     []SpecError      `json:"errors"`
	// UnknownFileLists are the %files -f lists, whose provides gen cannot
	// see until the package is built (provides.learned.json can add them).
	UnknownFileLists []FileList `json:"unknown_file_lists"`
}

// SummaryPackage is one spec's package target.
type SummaryPackage struct {
	Label  string              `json:"label"`
	Spec   string              `json:"spec"` // path below the root
	Arches []string            `json:"arches"`
	RPMs   map[string][]string `json:"rpms"`
}

// SummaryEdge is one build dependency after cycle breaking: From needs
// RPM of To for Requirement (on Arches).
type SummaryEdge struct {
	From        string   `json:"from"`
	To          string   `json:"to"`
	Requirement string   `json:"requirement"`
	RPM         string   `json:"rpm"`
	Via         string   `json:"via"`
	Arches      []string `json:"arches"`
}

// Unresolved is a BuildRequires nothing satisfies.
type Unresolved struct {
	Spec        string   `json:"spec"`
	Requirement string   `json:"requirement"`
	Reason      string   `json:"reason"`
	Arches      []string `json:"arches"`
}

// Cycle is a strongly connected component of the BuildRequires graph as
// found, before any edge was cut.
type Cycle struct {
	Specs []string    `json:"specs"`
	Edges []CycleEdge `json:"edges"`
}

// CycleEdge is an edge inside a cycle with the requirements behind it.
type CycleEdge struct {
	From         string   `json:"from"`
	To           string   `json:"to"`
	Requirements []string `json:"requirements"`
}

// CutEdge is an edge removed to make the graph acyclic; Rule is
// "toolchain", "bootstrap" or "bootstrap-needed" (see the package doc).
type CutEdge struct {
	CycleEdge
	Rule string `json:"rule"`
}

// SpecError is a spec gen could not generate a target for.
type SpecError struct {
	Spec  string `json:"spec"`
	Error string `json:"error"`
}

// FileList is a %files -f list of one package.
type FileList struct {
	Spec    string `json:"spec"`
	Package string `json:"package"`
	File    string `json:"file"`
}

// specPlan is what gen decided for one spec.
type specPlan struct {
	spec       *specInfo
	head       *archInfo // the header of the first arch it builds on
	sources    *specSources
	arches     []string            // arches it builds on
	rpms       map[string][]string // arch → RPM file names
	deps       map[string][]string // arch → labels
	toolchain  []string
	unresolved []string
	cut        []string
}

type planned struct {
	rules   map[*specFolder][]*genRule
	failed  map[*specFolder][]*specInfo
	lock    []LockEntry
	summary *Summary
}

func plan(root, prefix string, specs []*specInfo, cfg *config, arches []string) *planned {
	pl := &planned{rules: map[*specFolder][]*genRule{}, failed: map[*specFolder][]*specInfo{}}
	sum := &Summary{Arches: arches}
	pl.summary = sum
	rel := func(s *specInfo) string { return s.Folder.Dir + "/" + s.File }
	fail := func(s *specInfo, err error) {
		pl.failed[s.Folder] = append(pl.failed[s.Folder], s)
		// Paths in messages are shown relative to the root, so that the
		// summary does not depend on where the tree is checked out.
		sum.Errors = append(sum.Errors, SpecError{rel(s), strings.ReplaceAll(err.Error(), root+string(filepath.Separator), "")})
	}

	// Sources, headers and RPMs.
	plans := map[*specInfo]*specPlan{}
	var good []*specInfo
	for _, s := range specs {
		if s.Err != nil {
			fail(s, s.Err)
			continue
		}
		good = append(good, s)
		p := &specPlan{spec: s, rpms: map[string][]string{}, deps: map[string][]string{}}
		for _, a := range arches {
			ai := s.Arch[a]
			if p.head == nil {
				p.head = ai
			}
			if !ai.buildsOn(a) {
				continue
			}
			if len(p.arches) == 0 {
				p.head = ai
			}
			p.arches = append(p.arches, a)
			for _, pk := range ai.Packages {
				if pk.Built {
					p.rpms[a] = append(p.rpms[a], fmt.Sprintf("%s-%s-%s.%s.rpm", pk.Name, pk.Version, pk.Release, pk.Arch))
				}
				for _, fl := range pk.FileLists {
					sum.UnknownFileLists = append(sum.UnknownFileLists, FileList{s.Label, pk.Name, fl})
				}
			}
			sort.Strings(p.rpms[a])
		}
		f := s.Folder
		if f.sigsErr != nil {
			fail(s, f.sigsErr)
			continue
		}
		src, err := resolveSources(root, pkgPath(prefix, f.Dir), s, f.sigs)
		if err != nil {
			fail(s, err)
			continue
		}
		if clash := targetClash(f, src.local); clash != "" {
			// Bazel lets a rule hide a source file of the same name: the
			// target would depend on itself instead of on the file.
			fail(s, fmt.Errorf("%s/%s: a source file named like the package target %q cannot be referred to in Bazel; rename it", f.Dir, clash, clash))
			continue
		}
		p.sources = src
		pl.lock = append(pl.lock, src.remote...)
		plans[s] = p
		sum.Packages = append(sum.Packages, SummaryPackage{Label: s.Label, Spec: rel(s), Arches: nonNil(p.arches), RPMs: p.rpms})
	}

	// Resolve every BuildRequires on every arch it builds on. Specs whose
	// sources are wrong still provide packages to the others.
	byLabel := map[string]*specInfo{}
	for _, s := range good {
		byLabel[s.Label] = s
	}
	g := newGraph(specs)
	type key struct {
		s   *specInfo
		req string
	}
	unres := map[key]*Unresolved{}
	toolchain := map[*specInfo]map[string]bool{}
	// Arches resolve in parallel; results merge in arch order.
	type specRes struct {
		s   *specInfo
		res []resolution
	}
	perArch := make([][]specRes, len(arches))
	parallel(len(arches), 0, func(i int) {
		a := arches[i]
		rs := &resolver{ix: buildIndex(a, good, cfg), cfg: cfg, byLabel: byLabel}
		for _, s := range good {
			if ai := s.Arch[a]; ai.buildsOn(a) {
				perArch[i] = append(perArch[i], specRes{s, rs.resolveAll(s, ai.BuildRequires)})
			}
		}
	})
	for i, a := range arches {
		for _, sr := range perArch[i] {
			s := sr.s
			for _, r := range sr.res {
				switch r.Kind {
				case kindSpec, kindSelf:
					g.add(s, a, r)
				case kindToolchain:
					if toolchain[s] == nil {
						toolchain[s] = map[string]bool{}
					}
					toolchain[s][r.Req] = true
				case kindUnresolved:
					k := key{s, r.Req}
					if unres[k] == nil {
						unres[k] = &Unresolved{Spec: s.Label, Requirement: r.Req, Reason: r.Via}
					}
					unres[k].Arches = append(unres[k].Arches, a)
				}
			}
		}
	}
	for k, u := range unres {
		sum.Unresolved = append(sum.Unresolved, *u)
		if p := plans[k.s]; p != nil {
			p.unresolved = append(p.unresolved, u.Requirement)
		}
	}

	// Cycles.
	for _, es := range g.breakCycles(cfg.overrides.Bootstrap) {
		var c Cycle
		seen := map[string]bool{}
		for _, e := range es {
			for _, l := range []string{specs[e.from].Label, specs[e.to].Label} {
				if !seen[l] {
					seen[l] = true
					c.Specs = append(c.Specs, l)
				}
			}
			c.Edges = append(c.Edges, cycleEdge(g, e))
		}
		sort.Strings(c.Specs)
		sum.Cycles = append(sum.Cycles, c)
	}

	// Edges into plans.
	edgeSum := map[string]*SummaryEdge{}
	for _, e := range sortedEdges(g) {
		from, to := specs[e.from], specs[e.to]
		p := plans[from]
		if e.cut != "" {
			sum.Cut = append(sum.Cut, CutEdge{cycleEdge(g, e), e.cut})
			if p != nil {
				p.cut = append(p.cut, to.Label)
				if e.cut == CutToolchain {
					for _, r := range e.reasons {
						if toolchain[from] == nil {
							toolchain[from] = map[string]bool{}
						}
						toolchain[from][r.res.Req] = true
					}
				}
			}
			continue
		}
		for _, r := range e.reasons {
			if p != nil && !contains(p.deps[r.arch], to.Label) {
				p.deps[r.arch] = append(p.deps[r.arch], to.Label)
			}
			k := from.Label + "\x00" + to.Label + "\x00" + r.res.Req + "\x00" + r.res.RPM
			if se := edgeSum[k]; se != nil {
				se.Arches = append(se.Arches, r.arch)
				continue
			}
			edgeSum[k] = &SummaryEdge{From: from.Label, To: to.Label, Requirement: r.res.Req, RPM: r.res.RPM, Via: r.res.Via, Arches: []string{r.arch}}
		}
	}
	for _, k := range sortedKeys(edgeSum) {
		sum.Edges = append(sum.Edges, *edgeSum[k])
	}

	// Rules.
	for _, s := range good {
		p := plans[s]
		if p == nil {
			continue
		}
		for _, a := range p.arches {
			sort.Strings(p.deps[a])
		}
		p.toolchain = sortedKeys(toolchain[s])
		sort.Strings(p.unresolved)
		sort.Strings(p.cut)
		pl.rules[s.Folder] = append(pl.rules[s.Folder], ruleFor(p, arches))
	}
	sortSummary(sum)
	return pl
}

func cycleEdge(g *graph, e *edge) CycleEdge {
	ce := CycleEdge{From: g.specs[e.from].Label, To: g.specs[e.to].Label}
	for _, r := range e.reasons {
		if !contains(ce.Requirements, r.res.Req) {
			ce.Requirements = append(ce.Requirements, r.res.Req)
		}
	}
	sort.Strings(ce.Requirements)
	return ce
}

func sortedEdges(g *graph) []*edge {
	out := make([]*edge, 0, len(g.edges))
	for _, e := range g.edges {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].from != out[j].from {
			return out[i].from < out[j].from
		}
		return out[i].to < out[j].to
	})
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func sortSummary(s *Summary) {
	sort.Slice(s.Packages, func(i, j int) bool { return s.Packages[i].Label < s.Packages[j].Label })
	sort.Slice(s.Unresolved, func(i, j int) bool {
		a, b := s.Unresolved[i], s.Unresolved[j]
		return a.Spec < b.Spec || a.Spec == b.Spec && a.Requirement < b.Requirement
	})
	sort.Slice(s.Errors, func(i, j int) bool { return s.Errors[i].Spec < s.Errors[j].Spec })
	sort.Slice(s.UnknownFileLists, func(i, j int) bool {
		a, b := s.UnknownFileLists[i], s.UnknownFileLists[j]
		return strings.Join([]string{a.Spec, a.Package, a.File}, "\x00") < strings.Join([]string{b.Spec, b.Package, b.File}, "\x00")
	})
	s.UnknownFileLists = uniqFileLists(s.UnknownFileLists)
	if s.Edges == nil {
		s.Edges = []SummaryEdge{}
	}
	if s.Unresolved == nil {
		s.Unresolved = []Unresolved{}
	}
	if s.Cycles == nil {
		s.Cycles = []Cycle{}
	}
	if s.Cut == nil {
		s.Cut = []CutEdge{}
	}
	if s.Errors == nil {
		s.Errors = []SpecError{}
	}
	if s.Packages == nil {
		s.Packages = []SummaryPackage{}
	}
}

func uniqFileLists(in []FileList) []FileList {
	out := []FileList{}
	for _, f := range in {
		if n := len(out); n > 0 && out[n-1] == f {
			continue
		}
		out = append(out, f)
	}
	return out
}

// targetClash returns a local source named like a spec target of the
// folder, if any.
func targetClash(f *specFolder, local []string) string {
	for _, sp := range f.Specs {
		if contains(local, strings.TrimSuffix(sp, ".spec")) {
			return strings.TrimSuffix(sp, ".spec")
		}
	}
	return ""
}
