package gen

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/bazelbuild/buildtools/build"
)

// DistFile, at the tree root, holds the distribution's macros: the
// Starlark list DistVar of "NAME VALUE" strings. gen evaluates every spec
// with them, and the tree's Bazel toolchains load the same list into
// rpm_toolchain's defines, so the RPM names gen predicts are the ones
// rpmbuild makes.
const (
	DistFile = "dist.bzl"
	DistVar  = "DIST_DEFINES"
)

// DistDefines reads root/DistFile. found is false when the file is absent.
// The file is Starlark, but only a top-level `DIST_DEFINES = [...]` of
// string literals is read: anything computed would need a Starlark
// interpreter to agree with Bazel's.
func DistDefines(root string) (defines []string, found bool, err error) {
	path := filepath.Join(root, DistFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("reading %s: %w", path, err)
	}
	defines, err = parseDistDefines(path, data)
	if err != nil {
		return nil, false, err
	}
	return defines, true, nil
}

func parseDistDefines(path string, data []byte) ([]string, error) {
	f, err := build.ParseBzl(path, data)
	if err != nil {
		return nil, fmt.Errorf("parsing %s: %w", path, err)
	}
	var list *build.ListExpr
	for _, stmt := range f.Stmt {
		as, ok := stmt.(*build.AssignExpr)
		if !ok {
			continue
		}
		if id, ok := as.LHS.(*build.Ident); !ok || id.Name != DistVar {
			continue
		}
		line := lineOf(as)
		if list != nil {
			return nil, fmt.Errorf("%s:%d: %s is assigned twice", path, line, DistVar)
		}
		if as.Op != "=" {
			return nil, fmt.Errorf("%s:%d: %s: assign the list with =, not %s", path, line, DistVar, as.Op)
		}
		if list, ok = as.RHS.(*build.ListExpr); !ok {
			return nil, fmt.Errorf("%s:%d: %s is not a list literal", path, line, DistVar)
		}
	}
	if list == nil {
		return nil, fmt.Errorf("%s: no top-level %s = [...]", path, DistVar)
	}
	out := make([]string, 0, len(list.List))
	for _, e := range list.List {
		s, ok := e.(*build.StringExpr)
		if !ok {
			return nil, fmt.Errorf("%s:%d: %s: %s is not a string literal", path, lineOf(e), DistVar, build.FormatString(e))
		}
		name, value, ok := strings.Cut(s.Value, " ")
		if !ok || name == "" || strings.TrimSpace(value) == "" || strings.ContainsAny(name, "\t\n") {
			return nil, fmt.Errorf("%s:%d: %s: %q is not \"NAME VALUE\"", path, lineOf(e), DistVar, s.Value)
		}
		out = append(out, s.Value)
	}
	return out, nil
}

func lineOf(e build.Expr) int {
	start, _ := e.Span()
	return start.Line
}
