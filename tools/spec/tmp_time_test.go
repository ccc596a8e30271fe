package spec

import (
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"sort"

	"github.com/keel-build/keel/tools/internal/corpus"
	"github.com/keel-build/keel/tools/spec/internal/macro"
)

func TestTmpTime(t *testing.T) {
	dir, _ := corpus.Dir()
	var shellNs atomic.Int64
	var mu sync.Mutex
	per := map[string]time.Duration{}
	ev, _ := NewEvaluator(Options{Arch: "x86_64", MacroDir: filepath.Join(dir, "macros"), Defines: DistroDefines,
		Shell: func(d, cmd string) (string, error) {
			st := time.Now()
			o, e := macro.DefaultShell(d, macro.DefaultMaxOutput)(perlShim + cmd)
			el := time.Since(st)
			shellNs.Add(int64(el))
			mu.Lock(); per[cmd] += el; mu.Unlock()
			return o, e
		}})
	specs, _ := corpus.Specs(dir)
	st := time.Now()
	type r struct{ s string; d time.Duration }
	var rs []r
	for _, s := range specs {
		s0 := time.Now()
		ev.EvaluateReport(s, 1)
		rs = append(rs, r{filepath.Base(s), time.Since(s0)})
	}
	fmt.Println("total", time.Since(st), "shell", time.Duration(shellNs.Load()), "cmds", len(per))
	sort.Slice(rs, func(i, j int) bool { return rs[i].d > rs[j].d })
	for _, x := range rs[:12] { fmt.Println(x.s, x.d) }
	var cs []string
	for k := range per { cs = append(cs, k) }
	sort.Slice(cs, func(i, j int) bool { return per[cs[i]] > per[cs[j]] })
	for _, c := range cs[:8] { fmt.Printf("%v %.80q\n", per[c], c) }
}
