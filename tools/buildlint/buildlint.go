// Package buildlint checks the Starlark files of a source tree (BUILD files,
// .bzl files, MODULE.bazel) the way `buildifier --mode=check --lint=warn`
// does: each file must be formatted as buildifier formats it and must raise
// none of buildifier's default lint warnings.
//
// It calls buildifier's Go packages (github.com/bazelbuild/buildtools) instead
// of running the buildifier binary, so the same check runs under `go test`
// and under `bazel test` with nothing to install.
package buildlint

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/bazelbuild/buildtools/build"
	"github.com/bazelbuild/buildtools/warn"
)

// A Problem is one finding in one file.
type Problem struct {
	Path     string // as given to CheckFile, or relative to the tree's root
	Line     int    // 1-based; 0 when the finding is about the whole file
	Category string // "syntax", "format", or the name of a buildifier warning
	Message  string
}

func (p Problem) String() string {
	return fmt.Sprintf("%s:%d: %s: %s", p.Path, p.Line, p.Category, p.Message)
}

// IsStarlark reports whether a file name is one buildifier checks.
func IsStarlark(name string) bool {
	switch filepath.Ext(name) {
	case ".bazel", ".bzl", ".star":
		return true
	}
	return name == "BUILD" || name == "WORKSPACE"
}

// CheckFile checks one file's content. path names the file in problems and
// decides its kind (BUILD, .bzl, MODULE.bazel).
func CheckFile(path string, data []byte) []Problem {
	f, err := build.Parse(path, data)
	if err != nil {
		line := 0
		if pe, ok := err.(build.ParseError); ok {
			line = pe.Pos.Line
		}
		return []Problem{{Path: path, Line: line, Category: "syntax", Message: err.Error()}}
	}
	var problems []Problem
	if formatted := build.Format(f); !bytes.Equal(formatted, data) {
		problems = append(problems, Problem{
			Path:     path,
			Line:     firstDifferentLine(data, formatted),
			Category: "format",
			Message:  "not formatted as buildifier formats it (run buildifier on it)",
		})
	}
	// Multi-file warnings may read other files; they are looked up relative
	// to the file, and a missing one simply yields no finding.
	reader := warn.NewFileReader(func(name string) ([]byte, error) {
		return os.ReadFile(filepath.Join(filepath.Dir(path), name))
	})
	for _, w := range warn.FileWarnings(f, warn.DefaultWarnings, nil, warn.ModeWarn, reader) {
		problems = append(problems, Problem{
			Path:     path,
			Line:     w.Start.Line,
			Category: w.Category,
			Message:  w.Message,
		})
	}
	return problems
}

// CheckTree checks every Starlark file under root. It skips hidden
// directories, Bazel's convenience symlinks (bazel-*), and testdata
// directories, whose files are inputs of tests rather than part of the build.
func CheckTree(root string) ([]Problem, error) {
	var problems []Problem
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasPrefix(name, "bazel-") || !d.Type().IsRegular() || !IsStarlark(name) {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("reading %s: %w", path, err)
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return fmt.Errorf("naming %s relative to %s: %w", path, root, err)
		}
		for _, p := range CheckFile(path, data) {
			p.Path = rel
			problems = append(problems, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("walking %s: %w", root, err)
	}
	sort.SliceStable(problems, func(i, j int) bool {
		if problems[i].Path != problems[j].Path {
			return problems[i].Path < problems[j].Path
		}
		return problems[i].Line < problems[j].Line
	})
	return problems, nil
}

// firstDifferentLine returns the 1-based number of the first line where a
// and b differ.
func firstDifferentLine(a, b []byte) int {
	line := 1
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return line
		}
		if a[i] == '\n' {
			line++
		}
	}
	return line
}
