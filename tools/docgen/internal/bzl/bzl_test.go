package bzl

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseLabel(t *testing.T) {
	tests := []struct {
		in, pkg string
		want    Label
		err     string
	}{
		{in: "//rules:defs.bzl", want: Label{Pkg: "rules", Target: "defs.bzl"}},
		{in: "@@//rules/private:x.bzl", want: Label{Pkg: "rules/private", Target: "x.bzl"}},
		{in: "@//:MODULE.bazel", want: Label{Target: "MODULE.bazel"}},
		{in: "@keel//rules:defs.bzl", want: Label{Repo: "keel", Pkg: "rules", Target: "defs.bzl"}},
		{in: "@@rules_go~//go:def.bzl", want: Label{Repo: "rules_go~", Pkg: "go", Target: "def.bzl"}},
		{in: ":providers.bzl", pkg: "rules/private", want: Label{Pkg: "rules/private", Target: "providers.bzl"}},
		{in: "providers.bzl", pkg: "rules", want: Label{Pkg: "rules", Target: "providers.bzl"}},
		{in: "//tools/cmd/keel", want: Label{Pkg: "tools/cmd/keel", Target: "keel"}},
		{in: "@repo", err: "no // after the repository"},
		{in: "//rules:", err: "no target name"},
		{in: "//a:b:c", err: "no target name"},
	}
	for _, tt := range tests {
		got, err := ParseLabel(tt.in, tt.pkg)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseLabel(%q): error %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || *got != tt.want {
			t.Errorf("ParseLabel(%q, %q) = %+v, %v; want %+v", tt.in, tt.pkg, got, err, tt.want)
		}
	}
}

func TestClean(t *testing.T) {
	tests := []struct{ in, want string }{
		{"One line.", "One line."},
		{"  Padded.  ", "Padded."},
		{"First.\n\n    Second,\n      indented.\n    ", "First.\n\nSecond,\n  indented."},
		{"\n    Starts on line two.\n    Still.\n", "Starts on line two.\nStill."},
		{"Flush.\nsecond line", "Flush.\nsecond line"},
	}
	for _, tt := range tests {
		if got := Clean(tt.in); got != tt.want {
			t.Errorf("Clean(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseDocstring(t *testing.T) {
	doc := `Builds things.

    More about it.

    Args:
      name: the name.
      srcs (list): the sources,
        one per line.

        A second paragraph.
      *args: more.
      **kwargs: the rest.

    Returns:
      A struct.

    Trailing words.
    `
	got := ParseDocstring(doc)
	want := Docstring{
		Description: "Builds things.\n\nMore about it.\n\nTrailing words.",
		Args: []Arg{
			{"name", "the name."},
			{"srcs", "the sources,\none per line.\n\nA second paragraph."},
			{"*args", "more."},
			{"**kwargs", "the rest."},
		},
		Returns: "A struct.",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ParseDocstring:\n got %#v\nwant %#v", got, want)
	}
	if got := ParseDocstring("Just a line."); got.Description != "Just a line." || got.Args != nil {
		t.Errorf("ParseDocstring of one line = %#v", got)
	}
}

func write(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		path := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestPackages checks that relative loads resolve against the package (the
// closest folder with a BUILD file), not the file's own folder.
func TestPackages(t *testing.T) {
	root := t.TempDir()
	write(t, root, map[string]string{
		"rules/BUILD.bazel":  "",
		"rules/sub/a.bzl":    "load(\":b.bzl\", \"b\")\na = b\n",
		"rules/b.bzl":        "b = \"from rules/b.bzl\"\n",
		"orphan/x.bzl":       "x = 1\n",
		"rules/sub/c.bzl":    "load(\"@other//:d.bzl\", \"d\")\n",
		"rules/sub/e.bzl":    "load(\"@demo//rules:b.bzl\", \"b\")\ne = b\n",
		"rules/sub/NOTBUILD": "",
	})
	l := NewLoader(root)
	l.ModuleName = "demo"
	m, err := l.Load("rules/sub/a.bzl")
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Globals["a"].String(); got != `"from rules/b.bzl"` {
		t.Errorf("a = %s", got)
	}
	if _, err := l.Load("orphan/x.bzl"); err == nil || !strings.Contains(err.Error(), "orphan/x.bzl: no BUILD file") {
		t.Errorf("file in no package: error %v", err)
	}
	if _, err := l.Load("rules/sub/c.bzl"); err == nil || !strings.Contains(err.Error(), "rules/sub/c.bzl:1:1: cannot load @other//:d.bzl") {
		t.Errorf("load from another repository: error %v", err)
	}
	if m, err := l.Load("rules/sub/e.bzl"); err != nil || m.Globals["e"].String() != `"from rules/b.bzl"` {
		t.Errorf("load through the module's own name: %v", err)
	}
}
