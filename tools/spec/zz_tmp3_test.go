package spec

import (
	"path/filepath"
	"testing"

	"github.com/keel-build/keel/tools/internal/corpus"
	"github.com/keel-build/keel/tools/spec/internal/macro"
)

func TestTmpCount(t *testing.T) {
	dir := corpusDir(t)
	specs, _ := corpus.Specs(dir)
	ev, _ := NewEvaluator(Options{Arch: "x86_64", MacroDir: filepath.Join(dir, "macros"), Defines: DistroDefines})
	n := 0
	for _, s := range specs {
		a := macro.TmpStates.Load()
		ev.Evaluate(s, 1)
		if macro.TmpStates.Load() > a {
			n++
		}
	}
	t.Logf("specs %d, with lua %d, states %d runs %d", len(specs), n, macro.TmpStates.Load(), macro.TmpRuns.Load())
	ev.shellMu.Lock()
	t.Logf("shell cmds %d", len(ev.shellCache))
	ev.shellMu.Unlock()
}

func TestTmpNames(t *testing.T) {
	TestTmpCount(t)
	macro.TmpNames.Range(func(k, v any) bool {
		t.Logf("%6d %s", v.(interface{ Load() int64 }).Load(), k)
		return true
	})
}
