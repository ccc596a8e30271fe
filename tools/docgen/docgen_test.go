package docgen

import (
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.* from the generator's output")

// copyRepo copies testdata/repo to a temporary folder, naming its
// BUILD.bazel.in files BUILD.bazel (in testdata they would make Bazel
// packages).
func copyRepo(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir("testdata/repo", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel("testdata/repo", path)
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		out := filepath.Join(dst, strings.TrimSuffix(rel, ".in"))
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		return os.WriteFile(out, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// writeTree writes files (path → content) under a temporary folder.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		path := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (create it with go test ./tools/docgen -update)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from the output (go test ./tools/docgen -update rewrites it); got:\n%s", path, got)
	}
}

// TestGolden renders the demo API of testdata/repo: a rule re-exported
// under another name, macros with and without a wrapped rule, providers
// with field docs, with a field list and with init, module extensions
// used by MODULE.bazel, and missing doc strings.
func TestGolden(t *testing.T) {
	doc, missing, err := Generate(Options{Root: copyRepo(t)})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "rules.golden.md", doc)
	golden(t, "missing.golden.txt", []byte(strings.Join(missing, "\n")+"\n"))
}

// TestDeterministic generates the demo reference repeatedly (Go's map
// order differs from run to run): the same bytes each time.
func TestDeterministic(t *testing.T) {
	root := copyRepo(t)
	first, _, err := Generate(Options{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		again, _, err := Generate(Options{Root: root})
		if err != nil {
			t.Fatal(err)
		}
		if string(again) != string(first) {
			t.Fatalf("run %d differs from the first", i+2)
		}
	}
}

func TestRun(t *testing.T) {
	root := copyRepo(t)
	out := filepath.Join(root, "docs", "rules.md")

	// No reference yet: --check reports it and writes nothing.
	res, err := Run(Options{Root: root, Check: true})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Changed {
		t.Error("check of a missing reference: not reported as changed")
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("check wrote the reference")
	}

	// Written, then fresh.
	if res, err = Run(Options{Root: root}); err != nil || !res.Changed {
		t.Fatalf("first run: changed %v, err %v", res != nil && res.Changed, err)
	}
	written, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if res, err = Run(Options{Root: root, Check: true}); err != nil || res.Changed {
		t.Fatalf("check after a run: changed %v, err %v", res != nil && res.Changed, err)
	}

	// A hand edit is stale: the diff shows it and the file is kept.
	edited := strings.Replace(string(written), "Hand-written introduction.", "Edited by hand.", 1)
	if err := os.WriteFile(out, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err = Run(Options{Root: root, Check: true})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Changed || !strings.Contains(string(res.Diff), "-Edited by hand.") || !strings.Contains(string(res.Diff), "+Hand-written introduction.") {
		t.Errorf("check of a hand edit: changed %v, diff:\n%s", res.Changed, res.Diff)
	}
	if now, _ := os.ReadFile(out); string(now) != edited {
		t.Error("check rewrote the file")
	}
	if res, err = Run(Options{Root: root}); err != nil || !res.Changed {
		t.Fatalf("run over a hand edit: changed %v, err %v", res != nil && res.Changed, err)
	}
	if now, _ := os.ReadFile(out); string(now) != string(written) {
		t.Error("run did not restore the generated reference")
	}
}

// TestErrors checks that bad input fails with the file (and line) at fault.
func TestErrors(t *testing.T) {
	base := map[string]string{
		"BUILD.bazel":        "",
		"MODULE.bazel":       "module(name = \"demo\")\n",
		"rules/BUILD.bazel":  "",
		"docs/rules.md.tmpl": "# Rules\n\n" + Marker + "\n",
	}
	tests := []struct {
		name  string
		files map[string]string
		want  []string // substrings of the error
	}{
		{
			name:  "syntax error",
			files: map[string]string{"rules/defs.bzl": "x = 1\ny = (\n"},
			want:  []string{"rules/defs.bzl:3:"},
		},
		{
			name:  "undefined private name",
			files: map[string]string{"rules/defs.bzl": "\"\"\"Doc.\"\"\"\n\nrpm_package = _rpm_pakage\n"},
			want:  []string{"rules/defs.bzl:3:15: undefined: _rpm_pakage"},
		},
		{
			name:  "unmodelled built-in called at load time",
			files: map[string]string{"rules/defs.bzl": "x = 1\ny = cc_common.make()\n"},
			want:  []string{"rules/defs.bzl:2:", "cc_common.make: Bazel built-in that keel docs does not model"},
		},
		{
			name:  "unmodelled built-in exported",
			files: map[string]string{"rules/defs.bzl": "CcInfo2 = CcInfo\n"},
			want:  []string{"rules/defs.bzl: CcInfo2 is CcInfo"},
		},
		{
			name: "fail in a loaded file",
			files: map[string]string{
				"rules/defs.bzl": "load(\":bad.bzl\", \"x\")\n\ny = x\n",
				"rules/bad.bzl":  "x = 1\n\nfail(\"boom\")\n",
			},
			want: []string{"rules/defs.bzl:1:1: cannot load :bad.bzl: rules/bad.bzl:3:5: fail: boom"},
		},
		{
			name:  "missing file",
			files: map[string]string{"rules/defs.bzl": "load(\"//rules:gone.bzl\", \"x\")\n"},
			want:  []string{"rules/defs.bzl:1:1: cannot load //rules:gone.bzl: reading rules/gone.bzl"},
		},
		{
			name: "load cycle",
			files: map[string]string{
				"rules/defs.bzl": "load(\":a.bzl\", \"a\")\n",
				"rules/a.bzl":    "load(\":defs.bzl\", \"b\")\na = 1\n",
			},
			want: []string{"rules/a.bzl:1:1: cannot load :defs.bzl: rules/defs.bzl: load cycle"},
		},
		{
			name:  "another repository",
			files: map[string]string{"rules/defs.bzl": "load(\"@bazel_skylib//lib:paths.bzl\", \"paths\")\n"},
			want:  []string{"rules/defs.bzl:1:1:", "@bazel_skylib//lib:paths.bzl is in repository @bazel_skylib"},
		},
		{
			name:  "rule instantiated at load time",
			files: map[string]string{"rules/defs.bzl": "r = rule(implementation = None)\n\nr(name = \"x\")\n"},
			want:  []string{"rules/defs.bzl:3:2: rule (unexported): a .bzl file cannot instantiate a rule"},
		},
		{
			name:  "bad attrs",
			files: map[string]string{"rules/defs.bzl": "r = rule(implementation = None, attrs = {\"a\": \"string\"})\n"},
			want:  []string{"rules/defs.bzl:1:9: rule: attrs: a is a string, want attr.TYPE(...)"},
		},
		{
			name: "not a module extension",
			files: map[string]string{
				"rules/defs.bzl": "x = 1\n",
				"MODULE.bazel":   "module(name = \"demo\")\n\nx = use_extension(\"//rules:defs.bzl\", \"x\")\n",
			},
			want: []string{"MODULE.bazel:3:18: use_extension(\"//rules:defs.bzl\", \"x\"): rules/defs.bzl has no module extension x"},
		},
		{
			name: "no marker",
			files: map[string]string{
				"rules/defs.bzl":     "x = 1\n",
				"docs/rules.md.tmpl": "# Rules\n",
			},
			want: []string{"docs/rules.md.tmpl: no " + Marker + " line"},
		},
		{
			name: "two markers",
			files: map[string]string{
				"rules/defs.bzl":     "x = 1\n",
				"docs/rules.md.tmpl": Marker + "\n\n" + Marker + "\n",
			},
			want: []string{"docs/rules.md.tmpl:3: a second"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{}
			for k, v := range base {
				files[k] = v
			}
			for k, v := range tt.files {
				files[k] = v
			}
			_, _, err := Generate(Options{Root: writeTree(t, files)})
			if err == nil {
				t.Fatalf("no error; want %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}
