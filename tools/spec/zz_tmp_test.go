package spec

import (
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/keel-build/keel/tools/internal/corpus"
)

func TestTmpPerSpec(t *testing.T) {
	dir := corpusDir(t)
	specs, _ := corpus.Specs(dir)
	ev, _ := NewEvaluator(Options{Arch: "x86_64", MacroDir: filepath.Join(dir, "macros"), Defines: DistroDefines})
	// warm shell cache
	for _, s := range specs {
		ev.EvaluateReport(s, 1)
	}
	type st struct {
		s string
		d time.Duration
	}
	var all []st
	var tot time.Duration
	for _, s := range specs {
		t0 := time.Now()
		ev.EvaluateReport(s, 1)
		d := time.Since(t0)
		tot += d
		all = append(all, st{filepath.Base(s), d})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].d > all[j].d })
	t.Logf("total %v", tot)
	var cum time.Duration
	for i, a := range all[:40] {
		cum += a.d
		t.Logf("%2d %-40s %v cum %v", i, a.s, a.d, cum)
	}
}
