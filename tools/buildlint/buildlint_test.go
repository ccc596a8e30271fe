package buildlint

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/keel-build/keel/tools/internal/srctree"
)

func TestCheckFile(t *testing.T) {
	tests := []struct {
		name, path, content string
		want                []string // "category:line" of each problem, in order
	}{
		{
			name:    "clean BUILD",
			path:    "pkg/BUILD.bazel",
			content: "filegroup(\n    name = \"all\",\n    srcs = glob([\"*.txt\"]),\n)\n",
		},
		{
			name:    "single quotes and bad indent",
			path:    "pkg/BUILD.bazel",
			content: "filegroup(\n    name = \"all\",\n  srcs = ['a.txt'],\n)\n",
			want:    []string{"format:3"},
		},
		{
			name:    "unused load",
			path:    "pkg/BUILD.bazel",
			content: "load(\":defs.bzl\", \"thing\")\n\nfilegroup(\n    name = \"all\",\n)\n",
			want:    []string{"load:1"},
		},
		{
			name:    "syntax error",
			path:    "pkg/defs.bzl",
			content: "\"\"\"Doc.\"\"\"\n\ndef f(:\n    pass\n",
			want:    []string{"syntax:3"},
		},
		{
			name:    "module file is parsed as one",
			path:    "MODULE.bazel",
			content: "module(name = \"m\")\n\nbazel_dep(name = \"a\", version = \"1\")\n",
		},
		{
			name:    "bzl without module docstring",
			path:    "rules/defs.bzl",
			content: "def f():\n    \"\"\"Does nothing.\"\"\"\n    pass\n",
			want:    []string{"module-docstring:1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, p := range CheckFile(tt.path, []byte(tt.content)) {
				if p.Path != tt.path {
					t.Errorf("problem %v names %q, want %q", p, p.Path, tt.path)
				}
				got = append(got, p.Category+":"+itoa(p.Line))
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("CheckFile(%s) = %q, want %q", tt.path, got, tt.want)
			}
		})
	}
}

func TestCheckTreeSkipsTestdataHiddenAndSymlinks(t *testing.T) {
	root := t.TempDir()
	bad := "filegroup(name='x')\n"
	write(t, filepath.Join(root, "a", "BUILD.bazel"), bad)
	write(t, filepath.Join(root, "a", "notes.txt"), bad)
	write(t, filepath.Join(root, "a", "testdata", "BUILD.bazel"), bad)
	write(t, filepath.Join(root, ".hidden", "BUILD.bazel"), bad)
	write(t, filepath.Join(root, "ok", "BUILD.bazel"), "filegroup(name = \"x\")\n")
	if err := os.Symlink(filepath.Join(root, "a"), filepath.Join(root, "bazel-out")); err != nil {
		t.Fatal(err)
	}
	problems, err := CheckTree(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) != 1 || problems[0].Path != filepath.Join("a", "BUILD.bazel") || problems[0].Category != "format" {
		t.Errorf("CheckTree = %v, want one format problem in a/BUILD.bazel", problems)
	}
}

func TestCheckTreeMissingRoot(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	_, err := CheckTree(missing)
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("CheckTree(%s) error = %v, want a not-exist error naming the path", missing, err)
	}
}

// TestRepositoryIsClean is the project's buildifier check: every Starlark
// file of the repository must be formatted and free of lint warnings.
func TestRepositoryIsClean(t *testing.T) {
	root := repositoryRoot(t)
	problems, err := CheckTree(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
}

func repositoryRoot(t *testing.T) string {
	t.Helper()
	root, err := srctree.Root()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
