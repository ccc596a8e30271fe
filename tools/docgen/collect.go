package docgen

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"go.starlark.net/syntax"

	"github.com/keel-build/keel/tools/docgen/internal/bzl"
)

// collect loads the API file and the extensions MODULE.bazel uses.
func collect(o Options) (*api, error) {
	l := bzl.NewLoader(o.Root)
	uses, name, err := moduleExtensions(o)
	if err != nil {
		return nil, err
	}
	l.ModuleName = name
	mod, err := l.Load(o.API)
	if err != nil {
		return nil, err
	}
	a := &api{file: o.API, doc: mod.Doc}
	names := make([]string, 0, len(mod.Globals))
	for n := range mod.Globals {
		if !strings.HasPrefix(n, "_") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		e := entry{name: n}
		switch d := l.Declaration(n, mod.Globals[n]).(type) {
		case *bzl.Rule:
			e.rule = d
			a.rules = append(a.rules, e)
		case *bzl.Macro:
			e.macro = d
			a.rules = append(a.rules, e)
		case *bzl.Provider:
			e.provider = d
			a.providers = append(a.providers, e)
		case *bzl.ModuleExtension:
			e.extension = d
			a.extensions = append(a.extensions, e)
		default:
			if name, ok := bzl.Placeholder(mod.Globals[n]); ok {
				return nil, fmt.Errorf("%s: %s is %s, which is not defined (or is a Bazel built-in that keel docs does not model)", o.API, n, name)
			}
			e.value = mod.Globals[n].String()
			a.others = append(a.others, e)
		}
	}
	for _, u := range uses {
		if !l.IsLocal(u.file) {
			continue
		}
		ext, err := l.LoadLabel(u.file)
		if err != nil {
			return nil, fmt.Errorf("%s: use_extension(%q, %q): %w", u.pos, u.file, u.name, err)
		}
		d, ok := l.Declaration(u.name, ext.Globals[u.name]).(*bzl.ModuleExtension)
		if !ok {
			return nil, fmt.Errorf("%s: use_extension(%q, %q): %s has no module extension %s", u.pos, u.file, u.name, ext.Path, u.name)
		}
		a.extensions = append(a.extensions, entry{
			name:      u.name,
			extension: d,
			use:       fmt.Sprintf("%s = use_extension(%s, %s)", u.variable, strconv.Quote(u.file), strconv.Quote(u.name)),
			tagVar:    u.variable,
		})
	}
	sort.SliceStable(a.extensions, func(i, j int) bool { return a.extensions[i].name < a.extensions[j].name })
	return a, nil
}

// A use is one `VAR = use_extension(FILE, NAME)` of MODULE.bazel.
type use struct {
	variable, file, name string
	pos                  syntax.Position
}

// moduleExtensions reads the use_extension() statements of MODULE.bazel
// (the first of each extension) and the module's name.
func moduleExtensions(o Options) ([]use, string, error) {
	src, err := os.ReadFile(filepath.Join(o.Root, filepath.FromSlash(o.Module)))
	if err != nil {
		return nil, "", fmt.Errorf("reading %s: %w", o.Module, err)
	}
	f, err := (&syntax.FileOptions{}).Parse(o.Module, src, 0)
	if err != nil {
		return nil, "", err
	}
	var uses []use
	seen := map[[2]string]bool{}
	moduleName := ""
	for _, stmt := range f.Stmts {
		if e, ok := stmt.(*syntax.ExprStmt); ok {
			if call, ok := e.X.(*syntax.CallExpr); ok && callee(call) == "module" {
				moduleName = stringArg(call, 0, "name")
			}
			continue
		}
		as, ok := stmt.(*syntax.AssignStmt)
		if !ok || as.Op != syntax.EQ {
			continue
		}
		id, ok1 := as.LHS.(*syntax.Ident)
		call, ok2 := as.RHS.(*syntax.CallExpr)
		if !ok1 || !ok2 || callee(call) != "use_extension" {
			continue
		}
		u := use{variable: id.Name, file: stringArg(call, 0, "extension_bzl_file"), name: stringArg(call, 1, "extension_name"), pos: call.Lparen}
		if u.file == "" || u.name == "" {
			return nil, "", fmt.Errorf("%s: use_extension() without a literal file and name", call.Lparen)
		}
		if key := [2]string{u.file, u.name}; !seen[key] {
			seen[key] = true
			uses = append(uses, u)
		}
	}
	return uses, moduleName, nil
}

func callee(call *syntax.CallExpr) string {
	if id, ok := call.Fn.(*syntax.Ident); ok {
		return id.Name
	}
	return ""
}

// stringArg is the string literal passed as positional argument i or as
// keyword name, or "".
func stringArg(call *syntax.CallExpr, i int, name string) string {
	lit := func(x syntax.Expr) string {
		if l, ok := x.(*syntax.Literal); ok && l.Token == syntax.STRING {
			return l.Value.(string)
		}
		return ""
	}
	pos := 0
	for _, arg := range call.Args {
		if bin, ok := arg.(*syntax.BinaryExpr); ok && bin.Op == syntax.EQ {
			if id, ok := bin.X.(*syntax.Ident); ok && id.Name == name {
				return lit(bin.Y)
			}
			continue
		}
		if pos == i {
			return lit(arg)
		}
		pos++
	}
	return ""
}
