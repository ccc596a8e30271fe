// Package bzl loads Bazel .bzl files with go.starlark.net, with stand-ins
// for Bazel's built-ins (rule, attr.*, provider, module_extension,
// tag_class, Label, ...) that record what the files declare: their doc
// strings, attributes, provider fields and tag classes. Nothing is built
// or fetched; a rule implementation never runs.
//
// Built-ins without a stand-in (DefaultInfo, platform_common, ctx APIs, ...)
// resolve to placeholders, so function bodies may use any of them; calling
// one while a file loads is an error that names it. load()s resolve within
// the repository only.
package bzl

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"go.starlark.net/resolve"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// fileOptions is Bazel's .bzl dialect as far as it matters here.
var fileOptions = &syntax.FileOptions{TopLevelControl: true}

// A Module is one loaded .bzl file.
type Module struct {
	Path    string // relative to the root, slash-separated
	Doc     string // the module doc string
	Globals starlark.StringDict

	file  *syntax.File
	loads map[*syntax.Ident]starlark.Value // load() bindings, by the bound identifier
}

// A Loader loads .bzl files of one source tree, each once.
type Loader struct {
	// ModuleName is the tree's Bazel module name: labels in @NAME are
	// labels of the tree too.
	ModuleName string

	root    string
	modules map[string]*loaded
}

type loaded struct {
	mod  *Module
	err  error
	done bool
}

// NewLoader returns a loader of the .bzl files under root.
func NewLoader(root string) *Loader {
	return &Loader{root: root, modules: map[string]*loaded{}}
}

// Load loads the file at rel (relative to the root, slash-separated) and
// the files it loads. Errors name the file and line.
func (l *Loader) Load(rel string) (*Module, error) {
	rel = path.Clean(rel)
	if e, ok := l.modules[rel]; ok {
		if !e.done {
			return nil, fmt.Errorf("%s: load cycle", rel)
		}
		return e.mod, e.err
	}
	e := &loaded{}
	l.modules[rel] = e
	e.mod, e.err = l.exec(rel)
	e.done = true
	return e.mod, e.err
}

func (l *Loader) exec(rel string) (*Module, error) {
	src, err := os.ReadFile(filepath.Join(l.root, filepath.FromSlash(rel)))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", rel, err)
	}
	pkg, err := l.packageOf(rel)
	if err != nil {
		return nil, err
	}
	predeclared := builtins(pkg)
	isPredeclared := func(name string) bool {
		// Everything but the core language's own built-ins and private
		// names (a typo, not a Bazel built-in): Bazel's names get a
		// stand-in or a placeholder below.
		return predeclared.Has(name) || !starlark.Universe.Has(name) && !strings.HasPrefix(name, "_")
	}
	f, prog, err := starlark.SourceProgramOptions(fileOptions, rel, src, isPredeclared)
	if err != nil {
		return nil, err // "file:line:col: msg" already
	}
	syntax.Walk(f, func(n syntax.Node) bool {
		if id, ok := n.(*syntax.Ident); ok {
			if b, ok := id.Binding.(*resolve.Binding); ok && b.Scope == resolve.Predeclared && !predeclared.Has(id.Name) {
				predeclared[id.Name] = unmodelled(id.Name)
			}
		}
		return true
	})

	m := &Module{Path: rel, file: f, loads: map[*syntax.Ident]starlark.Value{}}
	if len(f.Stmts) > 0 {
		if e, ok := f.Stmts[0].(*syntax.ExprStmt); ok {
			if lit, ok := e.X.(*syntax.Literal); ok && lit.Token == syntax.STRING {
				m.Doc = lit.Value.(string)
			}
		}
	}
	thread := &starlark.Thread{
		Name:  rel,
		Print: func(*starlark.Thread, string) {}, // keep the output to the docs
		Load: func(_ *starlark.Thread, label string) (starlark.StringDict, error) {
			dep, err := l.loadLabel(label, pkg)
			if err != nil {
				return nil, err
			}
			return dep.Globals, nil
		},
	}
	thread.SetLocal(fileKey, rel)
	globals, err := prog.Init(thread, predeclared)
	if err != nil {
		return nil, positioned(err)
	}
	globals.Freeze()
	m.Globals = globals
	if err := m.bindLoads(l, pkg); err != nil {
		return nil, err
	}
	m.export()
	return m, nil
}

const fileKey = "keel.docgen.file"

// currentFile is the file whose top level the thread is running.
func currentFile(thread *starlark.Thread) string {
	s, _ := thread.Local(fileKey).(string)
	return s
}

// positioned prefixes an evaluation error with the innermost source
// position of its call stack: "rules/x.bzl:12:5: message".
func positioned(err error) error {
	var ee *starlark.EvalError
	if !errors.As(err, &ee) {
		return err
	}
	for i := range ee.CallStack {
		fr := ee.CallStack.At(i)
		if fr.Pos.IsValid() && fr.Pos.Filename() != "<builtin>" {
			return fmt.Errorf("%s: %s", fr.Pos, ee.Msg)
		}
	}
	return err
}

// bindLoads records what each load() binding refers to, for Calls.
func (m *Module) bindLoads(l *Loader, pkg string) error {
	for _, stmt := range m.file.Stmts {
		load, ok := stmt.(*syntax.LoadStmt)
		if !ok {
			continue
		}
		dep, err := l.loadLabel(load.ModuleName(), pkg)
		if err != nil {
			return err // not reached: Init loaded it already
		}
		for i, from := range load.From {
			m.loads[load.To[i]] = dep.Globals[from.Name]
		}
	}
	return nil
}

// export names the rules, providers and extensions this file declares
// after the global they are bound to, as Bazel does; with several such
// globals, the first public one in sorted order (else the first one).
func (m *Module) export() {
	names := make([]string, 0, len(m.Globals))
	for name := range m.Globals {
		names = append(names, name)
	}
	sort.Slice(names, func(i, j int) bool {
		pi, pj := !strings.HasPrefix(names[i], "_"), !strings.HasPrefix(names[j], "_")
		if pi != pj {
			return pi
		}
		return names[i] < names[j]
	})
	for _, name := range names {
		switch v := m.Globals[name].(type) {
		case ruleValue:
			if v.Rule.Name == "" && v.File == m.Path {
				v.Rule.Name = name
			}
		case providerValue:
			if v.Provider.Name == "" && v.File == m.Path {
				v.Provider.Name = name
			}
		case extensionValue:
			if v.Name == "" && v.File == m.Path {
				v.Name = name
			}
		}
	}
}

// LoadLabel loads the .bzl file a label relative to the root package
// names, as MODULE.bazel's use_extension() does.
func (l *Loader) LoadLabel(label string) (*Module, error) {
	return l.loadLabel(label, "")
}

// IsLocal reports whether a label is of this tree.
func (l *Loader) IsLocal(label string) bool {
	lbl, err := ParseLabel(label, "")
	return err == nil && (lbl.Repo == "" || lbl.Repo == l.ModuleName)
}

// loadLabel loads the .bzl file a load() label names, from a file of
// package pkg.
func (l *Loader) loadLabel(label, pkg string) (*Module, error) {
	lbl, err := ParseLabel(label, pkg)
	if err != nil {
		return nil, err
	}
	if lbl.Repo != "" && lbl.Repo != l.ModuleName {
		return nil, fmt.Errorf("%s is in repository @%s: keel docs reads this repository's .bzl files only", label, lbl.Repo)
	}
	if !strings.HasSuffix(lbl.Target, ".bzl") {
		return nil, fmt.Errorf("%s is not a .bzl file", label)
	}
	return l.Load(path.Join(lbl.Pkg, lbl.Target))
}

// packageOf is the Bazel package of the file at rel: the closest folder
// above it with a BUILD file (relative labels resolve against it).
func (l *Loader) packageOf(rel string) (string, error) {
	dir := path.Dir(rel)
	for {
		for _, b := range []string{"BUILD.bazel", "BUILD"} {
			if _, err := os.Stat(filepath.Join(l.root, filepath.FromSlash(dir), b)); err == nil {
				if dir == "." {
					return "", nil
				}
				return dir, nil
			}
		}
		if dir == "." {
			return "", fmt.Errorf("%s: no BUILD file in its folder or above: it is in no package", rel)
		}
		dir = path.Dir(dir)
	}
}

// ParseLabel parses a label as Bazel does, relative ones (":name",
// "name") against package pkg. "@@//", "@//" and "//" are the main
// repository (Repo "").
func ParseLabel(s, pkg string) (*Label, error) {
	repo, rest := "", s
	if strings.HasPrefix(rest, "@") {
		i := strings.Index(rest, "//")
		if i < 0 {
			return nil, fmt.Errorf("label %q: no // after the repository", s)
		}
		repo, rest = strings.TrimLeft(rest[:i], "@"), rest[i:]
	}
	var p, target string
	switch {
	case strings.HasPrefix(rest, "//"):
		p, target = strings.TrimPrefix(rest, "//"), ""
		if i := strings.Index(p, ":"); i >= 0 {
			p, target = p[:i], p[i+1:]
		} else {
			target = path.Base(p)
		}
	case repo != "":
		return nil, fmt.Errorf("label %q: want //PACKAGE:NAME after the repository", s)
	default:
		p, target = pkg, strings.TrimPrefix(rest, ":")
	}
	if target == "" || strings.Contains(target, ":") {
		return nil, fmt.Errorf("label %q: no target name", s)
	}
	return &Label{Repo: repo, Pkg: p, Target: target}, nil
}
