package gen

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/keel-build/keel/tools/internal/corpus"
	"github.com/keel-build/keel/tools/spec"
)

// corpusTree copies the corpus's SPECS tree into a fresh workspace and
// returns the options to generate it.
func corpusTree(tb testing.TB) Options {
	tb.Helper()
	dir, ok := corpus.Dir()
	if !ok {
		tb.Skipf("spec corpus not found (set %s)", corpus.EnvVar)
	}
	ws := tb.TempDir()
	if err := os.WriteFile(filepath.Join(ws, "MODULE.bazel"), nil, 0o644); err != nil {
		tb.Fatal(err)
	}
	if out, err := exec.Command("cp", "-r", filepath.Join(dir, "SPECS"), ws).CombinedOutput(); err != nil {
		tb.Fatalf("copying the corpus: %v\n%s", err, out)
	}
	return Options{
		Root:     filepath.Join(ws, "SPECS"),
		MacroDir: filepath.Join(dir, "macros"),
		Defines:  spec.DistroDefines,
	}
}

// BenchmarkGenCorpus generates the whole corpus tree from scratch: every
// spec evaluated for both arches (no cache), every BUILD file written.
func BenchmarkGenCorpus(b *testing.B) {
	o := corpusTree(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		removeBuildFiles(b, o.Root)
		b.StartTimer()
		if _, err := Run(o); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGenNoop reruns gen on an up-to-date corpus tree with a warm
// evaluation cache: it must find nothing to write.
func BenchmarkGenNoop(b *testing.B) {
	o := corpusTree(b)
	o.CacheDir = b.TempDir()
	if _, err := Run(o); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := Run(o)
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Changed) > 0 {
			b.Fatalf("no-op run changed %v", res.Changed)
		}
	}
}

func removeBuildFiles(tb testing.TB, root string) {
	m, _ := filepath.Glob(filepath.Join(root, "*", buildFileName))
	for _, f := range m {
		if err := os.Remove(f); err != nil {
			tb.Fatal(err)
		}
	}
}
