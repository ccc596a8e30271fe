package bzl

import (
	"go.starlark.net/resolve"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// Macro describes a function exported as name: its parameters, its parsed
// doc string and the rules its body calls.
func (l *Loader) Macro(name string, fn *starlark.Function) *Macro {
	m := &Macro{Name: name, File: fn.Position().Filename(), Doc: ParseDocstring(fn.Doc())}
	n := fn.NumParams()
	if fn.HasKwargs() {
		n--
		m.Kwargs, _ = fn.Param(n)
	}
	if fn.HasVarargs() {
		n--
		m.Varargs, _ = fn.Param(n)
	}
	for i := 0; i < n; i++ {
		p := Param{}
		p.Name, _ = fn.Param(i)
		p.Default = text(fn.ParamDefault(i))
		m.Params = append(m.Params, p)
	}
	if e, ok := l.modules[m.File]; ok && e.mod != nil {
		m.Calls = e.mod.calls(fn)
	}
	return m
}

// calls returns the rules the body of fn calls directly, in source order.
func (m *Module) calls(fn *starlark.Function) []*Rule {
	var def *syntax.DefStmt
	for _, stmt := range m.file.Stmts {
		if d, ok := stmt.(*syntax.DefStmt); ok && d.Name.Name == fn.Name() && d.Def == fn.Position() {
			def = d
		}
	}
	if def == nil {
		return nil // a nested function: not a macro a BUILD file sees
	}
	var rules []*Rule
	seen := map[*Rule]bool{}
	syntax.Walk(def, func(n syntax.Node) bool {
		call, ok := n.(*syntax.CallExpr)
		if !ok {
			return true
		}
		id, ok := call.Fn.(*syntax.Ident)
		if !ok {
			return true
		}
		if r, ok := m.lookup(id).(ruleValue); ok && r.Kind == "rule" && !seen[r.Rule] {
			seen[r.Rule] = true
			rules = append(rules, r.Rule)
		}
		return true
	})
	return rules
}

// lookup is the value a file-level name refers to: a global, or a load()
// binding; nil for anything else.
func (m *Module) lookup(id *syntax.Ident) starlark.Value {
	b, ok := id.Binding.(*resolve.Binding)
	if !ok {
		return nil
	}
	if b.Scope == resolve.Global {
		return m.Globals[id.Name]
	}
	if b.First != nil {
		return m.loads[b.First]
	}
	return nil
}

// Declaration returns the documented declaration a value is, or nil: a
// *Rule, *Provider, *ModuleExtension, or a *Macro (exported as name).
func (l *Loader) Declaration(name string, v starlark.Value) any {
	switch v := v.(type) {
	case ruleValue:
		return v.Rule
	case providerValue:
		return v.Provider
	case extensionValue:
		return v.ModuleExtension
	case *starlark.Function:
		return l.Macro(name, v)
	}
	return nil
}

// Placeholder reports whether v is the placeholder of a Bazel built-in
// that has no stand-in (or of a name nothing defines), and its name.
func Placeholder(v starlark.Value) (string, bool) {
	u, ok := v.(unmodelled)
	return string(u), ok
}
