package spec

import (
	"bytes"
	"math/rand"
	"path/filepath"
	"testing"

	"github.com/keel-build/keel/tools/internal/corpus"
	"github.com/keel-build/keel/tools/spec/internal/macro"
)

// TestEvaluationOrder shows that nothing one evaluation leaves behind
// (released Lua interpreters taken by the next engine, the %(...) cache,
// the Evaluator's shared macro table) changes another, and that skipping
// the with_check 0 evaluation of a spec that never looks at %with_check
// changes nothing: each corpus spec gets the same report evaluated alone
// (a new Evaluator and %(...) cache, a new Lua interpreter, both
// evaluations made) as in batches of the whole corpus in two shuffled
// orders, one sequential, one on four workers.
func TestEvaluationOrder(t *testing.T) {
	if testing.Short() {
		t.Skip("evaluates the corpus three times per arch")
	}
	dir := corpusDir(t)
	specs, err := corpus.Specs(dir)
	if err != nil || len(specs) == 0 {
		t.Fatalf("listing corpus specs: %v (%d found)", err, len(specs))
	}
	for _, arch := range corpusArches {
		t.Run(arch, func(t *testing.T) {
			opts := Options{Arch: arch, MacroDir: filepath.Join(dir, "macros"), Defines: DistroDefines}
			batch := func(seed int64, jobs int) [][]byte {
				order := rand.New(rand.NewSource(seed)).Perm(len(specs))
				shuffled := make([]string, len(specs))
				for i, j := range order {
					shuffled[i] = specs[j]
				}
				ev, err := NewEvaluator(opts)
				if err != nil {
					t.Fatal(err)
				}
				docs := make([][]byte, len(specs))
				ev.renderAll(shuffled, 1, jobs, func(i int, doc []byte) error {
					docs[order[i]] = bytes.Clone(doc)
					return nil
				})
				return docs
			}
			_, reused := macro.LuaStats()
			first := batch(1, 1)
			if _, r := macro.LuaStats(); r == reused {
				t.Fatal("no Lua interpreter was reused: the comparison would show nothing")
			}
			second := batch(2, 4)
			for i, p := range specs {
				if !bytes.Equal(first[i], second[i]) {
					t.Errorf("%s: the report depends on the order of evaluation:\n%s", filepath.Base(p), lineDiff(second[i], first[i]))
				}
			}
			alone := opts
			alone.freshLua = true
			for i := 0; i < len(specs); i += 7 {
				forgetHostShells()
				ev, err := NewEvaluator(alone)
				if err != nil {
					t.Fatal(err)
				}
				var doc []byte
				if s, nc, err := ev.evaluatePair(specs[i], 1, true, nil); err != nil {
					doc = MarshalJSON(ErrorReport(specs[i], arch, err))
				} else {
					doc = RenderReport(s, nc, arch)
				}
				if !bytes.Equal(doc, first[i]) {
					t.Errorf("%s: the report in a batch differs from the report alone:\n%s", filepath.Base(specs[i]), lineDiff(first[i], doc))
				}
			}
		})
	}
}
