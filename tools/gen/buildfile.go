package gen

import (
	"fmt"
	"path"
	"strings"

	"github.com/bazelbuild/buildtools/build"
)

const (
	buildFileName = "BUILD.bazel"
	// RuleKind is the macro every generated target calls, and RulesFile
	// the file it is loaded from.
	RuleKind  = "rpm_package"
	RulesFile = "//rules:defs.bzl"
)

// managedAttrs are the attributes gen writes; on merge, any of them that
// gen no longer generates is removed (unless marked # keep), and any other
// attribute a user added is left alone.
var managedAttrs = []string{
	"spec", "epoch", "version", "release", "srcs", "remote_srcs", "rpms",
	"arches", "deps", "arch_deps", "toolchain_requires", "unresolved_requires", "cut_deps",
}

// attr is one generated attribute value.
type attr struct {
	key string
	val build.Expr
}

// genRule is the rpm_package call gen wants for one spec.
type genRule struct {
	name  string
	attrs []attr
}

func (r *genRule) call() *build.CallExpr {
	c := &build.CallExpr{X: &build.Ident{Name: RuleKind}, ForceMultiLine: true}
	c.List = append(c.List, assign("name", str(r.name)))
	for _, a := range r.attrs {
		c.List = append(c.List, assign(a.key, a.val))
	}
	return c
}

func assign(k string, v build.Expr) *build.AssignExpr {
	return &build.AssignExpr{LHS: &build.Ident{Name: k}, Op: "=", RHS: v}
}

func str(s string) *build.StringExpr { return &build.StringExpr{Value: s} }

func strList(ss []string) *build.ListExpr {
	l := &build.ListExpr{ForceMultiLine: len(ss) > 1}
	for _, s := range ss {
		l.List = append(l.List, str(s))
	}
	return l
}

func strListDict(m map[string][]string) *build.DictExpr {
	d := &build.DictExpr{ForceMultiLine: true}
	for _, k := range sortedKeys(m) {
		d.List = append(d.List, &build.KeyValueExpr{Key: str(k), Value: strList(m[k])})
	}
	return d
}

// isKeep reports a "# keep" comment (alone or followed by a reason) on x.
func isKeep(x build.Expr) bool {
	if x == nil {
		return false
	}
	c := x.Comment()
	for _, cs := range [][]build.Comment{c.Before, c.Suffix} {
		for _, cm := range cs {
			t := strings.TrimSpace(strings.TrimPrefix(cm.Token, "#"))
			if t == "keep" || strings.HasPrefix(t, "keep:") || strings.HasPrefix(t, "keep ") {
				return true
			}
		}
	}
	return false
}

// mergeBuild updates the BUILD file f (nil: none yet) so that its
// rpm_package targets are exactly rules: new ones are appended, existing
// ones updated attribute by attribute, and ones for specs that no longer
// exist removed. Targets and attributes marked # keep, list entries marked
// # keep, targets named in frozen, and everything that is not an
// rpm_package target are kept. It
// returns the formatted file, or nil when the file should not exist.
func mergeBuild(f *build.File, path string, rules []*genRule, frozen map[string]bool) []byte {
	if f == nil {
		f = &build.File{Path: path, Type: build.TypeBuild}
	}
	want := map[string]*genRule{}
	for _, r := range rules {
		want[r.name] = r
	}
	done := map[string]bool{}
	var stmts []build.Expr
	for _, st := range f.Stmt {
		call, ok := st.(*build.CallExpr)
		if !ok {
			stmts = append(stmts, st)
			continue
		}
		r := f.Rule(call)
		if r.Kind() != RuleKind || isKeep(call) || frozen[r.Name()] {
			stmts = append(stmts, st)
			done[r.Name()] = done[r.Name()] || r.Kind() == RuleKind
			continue
		}
		g := want[r.Name()]
		if g == nil || done[r.Name()] {
			continue // its spec is gone (or a duplicate): drop it
		}
		done[r.Name()] = true
		mergeRule(r, g)
		stmts = append(stmts, st)
	}
	for _, r := range rules {
		if !done[r.name] {
			stmts = append(stmts, r.call())
		}
	}
	f.Stmt = stmts
	fixLoad(f)
	if len(f.Stmt) == 0 && len(f.Comments.Before) == 0 && len(f.Comments.After) == 0 {
		return nil
	}
	return build.Format(f)
}

// mergeRule sets r's generated attributes to g's, keeping # keep ones.
func mergeRule(r *build.Rule, g *genRule) {
	gen := map[string]bool{}
	for _, a := range g.attrs {
		gen[a.key] = true
		old := r.AttrDefn(a.key)
		if old == nil {
			r.SetAttr(a.key, a.val)
			continue
		}
		if isKeep(old) || isKeep(old.RHS) {
			continue
		}
		old.RHS = withKeptItems(old.RHS, a.val)
	}
	for _, k := range managedAttrs {
		if old := r.AttrDefn(k); old != nil && !gen[k] && !isKeep(old) && !isKeep(old.RHS) {
			r.DelAttr(k)
		}
	}
}

// withKeptItems returns val plus the # keep entries of the old list.
func withKeptItems(old, val build.Expr) build.Expr {
	ol, ok1 := old.(*build.ListExpr)
	nl, ok2 := val.(*build.ListExpr)
	if !ok1 || !ok2 {
		return val
	}
	have := map[string]bool{}
	for _, x := range nl.List {
		if s, ok := x.(*build.StringExpr); ok {
			have[s.Value] = true
		}
	}
	for _, x := range ol.List {
		if !isKeep(x) {
			continue
		}
		if s, ok := x.(*build.StringExpr); ok && have[s.Value] {
			// Keep the marked entry (with its comment) instead of ours.
			for i, y := range nl.List {
				if ys, ok := y.(*build.StringExpr); ok && ys.Value == s.Value {
					nl.List[i] = x
				}
			}
			continue
		}
		nl.List = append(nl.List, x)
	}
	nl.ForceMultiLine = len(nl.List) > 1
	return nl
}

// fixLoad makes the file load rpm_package from RulesFile iff it calls it.
func fixLoad(f *build.File) {
	uses := len(f.Rules(RuleKind)) > 0
	var load *build.LoadStmt
	for _, st := range f.Stmt {
		if l, ok := st.(*build.LoadStmt); ok && l.Module.Value == RulesFile {
			for _, id := range l.To {
				if id.Name == RuleKind {
					load = l
				}
			}
		}
	}
	switch {
	case uses && load == nil:
		for _, st := range f.Stmt {
			if l, ok := st.(*build.LoadStmt); ok && l.Module.Value == RulesFile {
				l.From = append(l.From, &build.Ident{Name: RuleKind})
				l.To = append(l.To, &build.Ident{Name: RuleKind})
				return
			}
		}
		l := &build.LoadStmt{
			ForceCompact: true,
			Module:       str(RulesFile),
			From:         []*build.Ident{{Name: RuleKind}},
			To:           []*build.Ident{{Name: RuleKind}},
		}
		f.Stmt = append([]build.Expr{l}, f.Stmt...)
	case !uses && load != nil:
		var from, to []*build.Ident
		for i, id := range load.To {
			if id.Name != RuleKind {
				from, to = append(from, load.From[i]), append(to, id)
			}
		}
		load.From, load.To = from, to
		if len(to) == 0 {
			var stmts []build.Expr
			for _, st := range f.Stmt {
				if st != build.Expr(load) {
					stmts = append(stmts, st)
				}
			}
			f.Stmt = stmts
		}
	}
}

// shortLabel writes //a/b:b as //a/b, as buildifier does.
func shortLabel(pkg, name string) string {
	if path.Base(pkg) == name {
		return "//" + pkg
	}
	return "//" + pkg + ":" + name
}

// ruleFor builds the rpm_package call of one spec from its plan.
func ruleFor(p *specPlan, arches []string) *genRule {
	g := &genRule{name: p.spec.Target}
	add := func(k string, v build.Expr) { g.attrs = append(g.attrs, attr{k, v}) }
	add("spec", str(p.spec.File))
	if p.head.Epoch != "" {
		add("epoch", &build.LiteralExpr{Token: p.head.Epoch})
	}
	add("version", str(p.head.Version))
	add("release", str(p.head.Release))
	if len(p.sources.local) > 0 {
		add("srcs", strList(p.sources.local))
	}
	if len(p.sources.remote) > 0 {
		var ls []string
		for _, e := range p.sources.remote {
			ls = append(ls, sourceLabel(e))
		}
		add("remote_srcs", strList(ls))
	}
	add("rpms", strListDict(p.rpms))
	if len(p.arches) != len(arches) {
		add("arches", strList(p.arches))
	}
	common, perArch := splitCommon(p.deps, p.arches)
	if len(common) > 0 {
		add("deps", strList(common))
	}
	if len(perArch) > 0 {
		add("arch_deps", strListDict(perArch))
	}
	if len(p.toolchain) > 0 {
		add("toolchain_requires", strList(p.toolchain))
	}
	if len(p.unresolved) > 0 {
		add("unresolved_requires", strList(p.unresolved))
	}
	if len(p.cut) > 0 {
		add("cut_deps", strList(p.cut))
	}
	return g
}

// splitCommon separates the labels every building arch needs from the
// per-arch rest.
func splitCommon(deps map[string][]string, arches []string) ([]string, map[string][]string) {
	count := map[string]int{}
	for _, a := range arches {
		for _, d := range deps[a] {
			count[d]++
		}
	}
	var common []string
	for _, d := range sortedKeys(count) {
		if count[d] == len(arches) {
			common = append(common, d)
		}
	}
	perArch := map[string][]string{}
	for _, a := range arches {
		for _, d := range deps[a] {
			if count[d] != len(arches) {
				perArch[a] = append(perArch[a], d)
			}
		}
	}
	return common, perArch
}

// parseBuild parses an existing BUILD file.
func parseBuild(path string, data []byte) (*build.File, error) {
	f, err := build.ParseBuild(path, data)
	if err != nil {
		return nil, fmt.Errorf("parsing %s: %w", path, err)
	}
	return f, nil
}
