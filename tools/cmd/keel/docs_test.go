package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDocsVerb runs `keel docs` on a small tree: it writes docs/rules.md
// and warns of a missing doc string; `--check` then passes, and fails with
// the refresh command and a diff once the file is edited by hand.
func TestDocsVerb(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{
		"BUILD.bazel":        "",
		"MODULE.bazel":       "module(name = \"demo\")\n",
		"rules/BUILD.bazel":  "",
		"rules/defs.bzl":     "\"\"\"Demo.\"\"\"\n\nthing = rule(implementation = None, doc = \"A thing.\", attrs = {\"size\": attr.int()})\n",
		"docs/rules.md.tmpl": "# Demo\n\n<!-- keel docs: reference -->\n",
	}
	for name, content := range files {
		path := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"docs", "--root", root}, &stdout, &stderr); code != 0 {
		t.Fatalf("keel docs: exit %d, stderr %q", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "missing doc: rules/defs.bzl: rule thing: attribute size has no doc") {
		t.Errorf("no warning of the missing doc: %q", stderr.String())
	}
	out := filepath.Join(root, "docs", "rules.md")
	doc, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), "#### thing\n") {
		t.Errorf("docs/rules.md lacks the rule:\n%s", doc)
	}
	stderr.Reset()
	if code := run([]string{"docs", "--check", "--root", root}, &stdout, &stderr); code != 0 {
		t.Fatalf("keel docs --check of a fresh file: exit %d, stderr %q", code, stderr.String())
	}
	if err := os.WriteFile(out, append(doc, "edited\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout.Reset()
	stderr.Reset()
	code := run([]string{"docs", "--check", "--root", root}, &stdout, &stderr)
	if code == 0 || !strings.Contains(stderr.String(), "stale (run go run ./tools/cmd/keel docs)") || !strings.Contains(stdout.String(), "-edited") {
		t.Errorf("keel docs --check of an edited file: exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
	if code := run([]string{"docs", "extra"}, &stdout, &stderr); code == 0 {
		t.Error("an argument was accepted")
	}
}
