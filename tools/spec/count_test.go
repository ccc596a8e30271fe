package spec

import (
	"fmt"
	"path/filepath"
	"testing"
	"sort"
	"github.com/keel-build/keel/tools/internal/corpus"
	"github.com/keel-build/keel/tools/spec/internal/macro"
)

func TestCountShell(t *testing.T) {
	dir, _ := corpus.Dir()
	ev, _ := NewEvaluator(Options{Arch: "x86_64", MacroDir: filepath.Join(dir, "macros"), Defines: DistroDefines})
	cmds := map[string]int{}
	w, _ := ev.getWorker()
	w.base = w.base.Clone()
	_ = macro.DefaultMaxOutput
	specs, _ := corpus.Specs(dir)
	old := shellHook
	shellHook = func(c string) { cmds[c]++ }
	defer func() { shellHook = old }()
	ev.putWorker(w)
	for _, s := range specs[:200] {
		ev.Evaluate(s, 1)
	}
	type kv struct{ k string; v int }
	var l []kv
	for k, v := range cmds { l = append(l, kv{k, v}) }
	sort.Slice(l, func(i, j int) bool { return l[i].v > l[j].v })
	for _, x := range l[:min(15, len(l))] { fmt.Printf("%5d %.150q\n", x.v, x.k) }
}
