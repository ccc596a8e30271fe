package docgen

import (
	"testing"

	"github.com/keel-build/keel/tools/internal/srctree"
)

// TestRulesDocIsFresh is CI's `keel docs --check`: docs/rules.md must be
// what the generator writes from the rules' doc strings.
func TestRulesDocIsFresh(t *testing.T) {
	root, err := srctree.Root()
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(Options{Root: root, Check: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range res.Missing {
		t.Logf("missing doc: %s", m)
	}
	if res.Changed {
		t.Errorf("docs/rules.md is stale (run `%s`):\n%s", RefreshCommand, res.Diff)
	}
}

// BenchmarkGenerate measures a whole run over Keel's own rules: loading
// rules/defs.bzl and every file it loads, MODULE.bazel, and rendering.
func BenchmarkGenerate(b *testing.B) {
	root, err := srctree.Root()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Generate(Options{Root: root}); err != nil {
			b.Fatal(err)
		}
	}
}
